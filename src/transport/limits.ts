// Per-peer bounds: time, memory and rate. Every field can be overridden per PeerRegistry
// (`limits: Partial<PeerLimits>`), so tests can make timeouts short.

export interface PeerLimits {
  /** Dialling: TCP connect / WebSocket upgrade must finish within this (ms). */
  connectTimeoutMs: number;
  /** From the socket opening to act three done (ms). A peer that sends part of an act and goes silent is dropped here. */
  handshakeTimeoutMs: number;
  /** From act three to the peer's `init` (ms). */
  initTimeoutMs: number;
  /** Once a frame has started arriving (its first byte), the whole frame must arrive within this (ms). */
  frameTimeoutMs: number;
  /** Liveness: we send a `ping` this often (ms); 0 disables liveness pings. */
  pingIntervalMs: number;
  /** A liveness `ping` (and a `Peer.ping()`) unanswered for this long: disconnect (liveness) or reject (ping()). */
  pongTimeoutMs: number;
  /**
   * Bytes received but not yet decrypted. We decrypt eagerly, so this holds at most one partial
   * frame (≤ 65569 bytes) plus one socket chunk (≤ 64 KiB on TCP, ≤ maxWsMessageBytes on WS).
   * Exceeding it disconnects.
   */
  maxInputBufferBytes: number;
  /** Largest WebSocket message accepted (the `ws` library closes the socket with 1009 above it). */
  maxWsMessageBytes: number;
  /**
   * Encrypted bytes queued for the socket. `Peer.send` returns false above it; while above it we
   * stop reading from the peer (back-pressure) until the socket drains.
   */
  maxOutputQueueBytes: number;
  /**
   * Ping-flood protection, a token bucket per peer: it holds at most `pingBurst` tokens and gains
   * `pingRefillPerSecond`. Each incoming `ping` costs 1 + floor(num_pong_bytes / 1024) tokens (so
   * big pongs, a 10 000× amplification of a 6-byte ping, are rationed too). A ping that finds too
   * few tokens is answered with a `warning` and the peer is DISCONNECTED (not silently ignored).
   */
  pingBurst: number;
  pingRefillPerSecond: number;
  /** Outstanding `Peer.ping()` calls per peer; more are rejected. */
  maxPendingPings: number;
  /** Connections still in handshake/init at once, registry-wide; further inbound sockets are closed at once. */
  maxPendingConnections: number;
  /** After queueing a final `warning`/`error`, how long we let it flush before destroying the socket (ms). */
  closeGraceMs: number;
}

export const DEFAULT_PEER_LIMITS: Readonly<PeerLimits> = Object.freeze({
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 30_000,
  initTimeoutMs: 30_000,
  frameTimeoutMs: 60_000,
  pingIntervalMs: 60_000,
  pongTimeoutMs: 30_000,
  maxInputBufferBytes: 256 * 1024,
  maxWsMessageBytes: 128 * 1024,
  maxOutputQueueBytes: 2 * 1024 * 1024,
  // 2000 small pings in a burst (a test or a `bolt12-cli ping` loop of 1,100 pings passes), then
  // 10 per second sustained: CLN pings every 15-45 s and LDK every timer tick (~10 s).
  pingBurst: 2000,
  pingRefillPerSecond: 10,
  maxPendingPings: 100,
  maxPendingConnections: 256,
  closeGraceMs: 1_000,
});

/** Defaults overridden by `partial`; rejects non-finite or negative values (a configuration bug). */
export function resolveLimits(partial: Partial<PeerLimits> = {}): PeerLimits {
  const out = { ...DEFAULT_PEER_LIMITS, ...partial };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`limits.${k} must be a non-negative number`);
  }
  if (out.maxInputBufferBytes < 65569 + 1) throw new RangeError('limits.maxInputBufferBytes must hold at least one full frame (65569 bytes)');
  return out;
}
