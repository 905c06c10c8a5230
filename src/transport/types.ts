// The public face of a connection (`Peer`) and what a connection needs from its registry.
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { RandomSource } from '../crypto/index.ts';
import type { InitMessage, Network } from '../wire/index.ts';
import type { PeerLimits } from './limits.ts';
import type { PeerConnection } from './peer.ts';

/** A connected peer, as the layers above see it (after the `init` exchange). */
export interface Peer {
  /** The peer's node id: its 33-byte static public key from the BOLT 8 handshake. */
  readonly nodeId: Uint8Array;
  /** 'out' when we dialled, 'in' when it connected to us. */
  readonly direction: 'in' | 'out';
  readonly transport: 'tcp' | 'ws';
  /** `host:port` of the other end. */
  readonly remoteAddress: string;
  /** The peer's `init` message. */
  readonly remoteInit: InitMessage;
  /** The peer's features: `globalfeatures | features` of its `init` (BOLT 1), minimal length. */
  readonly remoteFeatures: Uint8Array;
  /** True from the `init` exchange until the connection closes. */
  readonly connected: boolean;
  /**
   * Send one message (`type` plus `payload`, at most 65535 bytes together; larger throws a
   * RangeError). False when closed or when the output queue is full (limits.maxOutputQueueBytes).
   */
  send(type: number, payload: Uint8Array): boolean;
  /**
   * Core Lightning `ping` semantics: `len` bytes of padding (`ignored`, default 128, at most 65529)
   * and `pongBytes` asked of the peer (default 128). Resolves with `totlen`, the length of the pong
   * including its type (4 + pongBytes), or 0 at once when pongBytes ≥ 65532 (no reply is due).
   * Rejects with PingError (NOT_CONNECTED, QUEUE_FULL, TOO_MANY_PENDING, TIMEOUT, DISCONNECTED).
   */
  ping(len?: number, pongBytes?: number): Promise<{ totlen: number }>;
  /** Close the connection (queued output is flushed first); logs `disconnect: <reason>`. */
  disconnect(reason: string): void;
  /**
   * Stop reading this peer's messages until `releaseReading` with the same reason (a layer above
   * is behind: TCP flow control slows the peer down). Holds of several reasons add up.
   */
  holdReading(reason: string): void;
  releaseReading(reason: string): void;
  stats(): PeerStats;
}

export interface PeerStats {
  /** Bytes received from / written to the socket (BOLT 8 frames and handshake). */
  bytesIn: number;
  bytesOut: number;
  /** Lightning messages decrypted / sent (including init, ping, pong). */
  msgsIn: number;
  msgsOut: number;
  /** Encrypted bytes waiting in the socket's output queue now. */
  queuedOutBytes: number;
  /** Received bytes not yet decrypted now, and the most ever buffered on this connection. */
  bufferedInBytes: number;
  maxBufferedInBytes: number;
  /** The most bytes ever waiting in the output queue of this connection. */
  maxQueuedOutBytes: number;
}

/** What a connection needs from its registry. */
export interface PeerHost {
  readonly nodeSecret: Uint8Array;
  readonly nodeId: Uint8Array;
  readonly network: Network;
  readonly localFeatures: Uint8Array;
  readonly limits: PeerLimits;
  readonly random: RandomSource;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * The peer's `init` passed its checks: a reason to refuse it (established-peer caps), or
   * undefined to go on (then `peerReady`).
   */
  admitPeer(p: PeerConnection): string | undefined;
  /** The peer's `init` was accepted: register it (duplicate policy) and announce it. */
  peerReady(p: PeerConnection): void;
  /**
   * The connection is gone (`wasReady`: it had completed `init`). `category` (the head of the
   * reason) is set for an inbound connection closed before `init`, to be counted in the summary.
   */
  peerClosed(p: PeerConnection, reason: string, wasReady: boolean, category?: string): void;
  /** Deliver a message to subscribers; true when `type` has at least one subscriber. */
  dispatch(p: PeerConnection, type: number, payload: Uint8Array): boolean;
}
