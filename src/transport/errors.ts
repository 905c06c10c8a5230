// Typed failures of `PeerRegistry.connect` and `Peer.ping`.

export type ConnectErrorCode =
  /** The node id is not a valid 33-byte compressed public key, or it is our own. */
  | 'INVALID_NODE_ID'
  /** The TCP connect or WebSocket upgrade failed (refused, unreachable, timed out). */
  | 'DIAL_FAILED'
  /** BOLT 8 handshake failed or timed out (wrong node id: the responder drops us after act one). */
  | 'HANDSHAKE_FAILED'
  /** The peer's `init` was missing, malformed or incompatible (features, networks). */
  | 'INIT_FAILED'
  /** The connection closed before `init` completed, or the registry was closed. */
  | 'CLOSED'
  /** limits.maxOutboundPeers (dialling) or limits.maxInboundPeers (accepting) established peers already. */
  | 'TOO_MANY_PEERS';

export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    readonly code: ConnectErrorCode,
    /** The same reason the disconnect log line gives. */
    readonly reason: string,
  ) {
    super(`connect failed (${code}): ${reason}`);
  }
}

export type PingErrorCode = 'NOT_CONNECTED' | 'QUEUE_FULL' | 'TIMEOUT' | 'TOO_MANY_PENDING' | 'DISCONNECTED';

export class PingError extends Error {
  override readonly name = 'PingError';
  constructor(
    readonly code: PingErrorCode,
    detail: string,
  ) {
    super(`ping failed (${code}): ${detail}`);
  }
}
