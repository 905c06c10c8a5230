// Per-peer and per-registry bounds: time, memory, rate, and the inbound connection budget. Every
// field can be overridden per PeerRegistry (`limits: Partial<PeerLimits>`), so tests can make
// timeouts short.
//
// Why these numbers (descriptors first: every socket is one, and the process has a fixed table):
// - An inbound socket is "pending" from `accept` (before any WebSocket upgrade or BOLT 8 act) until
//   the peer's `init` is accepted. At most 256 pending in all, and 16 from one source (an IPv4
//   address or an IPv6 /64): 16 covers several nodes behind one NAT reconnecting at once, and a
//   flood from one source can then hold at most 16 of the 256. A source that is quieter than the
//   fullest one is never refused for the total: the fullest source's oldest pending connection is
//   evicted instead (budget.ts).
// - Each pending slot is short-lived: 5 s for the WebSocket upgrade (one HTTP request of a few
//   hundred bytes sent right after connect; Node's own HTTP server would wait ~90 s), 5 s for act
//   one (BOLT 8: the initiator sends its 50 bytes first, at once; even a Tor circuit's round trip
//   is a few seconds), 10 s for the whole handshake (act three is one round trip later) and 15 s
//   for `init` after it (Core Lightning allows 60 s for handshake and init together; LDK one timer
//   tick, ~10 s, for the handshake).
// - Established peers: at most 1000 inbound (LDK refuses inbound peers beyond 2,500 without a
//   funded channel, ChannelManager MAX_NO_CHANNEL_PEERS; Core Lightning has no cap and closes a
//   random peer when accept() hits EMFILE). We carry no channels, and each peer may hold up to
//   maxInputBufferBytes + maxOutputQueueBytes (~2.3 MiB) at worst, so 1000 is a bound on memory as
//   much as on descriptors. 100 more are kept for connections we dial, which inbound peers can
//   never take: a full house of inbound peers cannot stop us from reaching the peer we need.
// - Worst case, inbound sockets stay below 256 + 1000 plus those closing (≤ closeGraceMs): well
//   inside any descriptor table Node.js runs with (it raises the soft limit to the hard one at
//   start; 4096 and more in practice). If the table fills anyway (other users of the process), we
//   warn above 80% and refuse new inbound sockets above 90%, leaving room for the RPC socket, the
//   store and our own dials.
// - Log lines: refusals and evictions, and inbound connections closed before `init`, are logged
//   one by one only at debug level and summed up in at most one line per 5 s; other per-peer lines
//   beyond a budget of 100 (refilled at 10 per second) are demoted to debug.

export interface PeerLimits {
  /** Dialling: TCP connect / WebSocket upgrade must finish within this (ms). */
  connectTimeoutMs: number;
  /** From the socket opening (for WebSocket: from the upgrade) to act three done (ms). A peer that sends part of an act and goes silent is dropped here. */
  handshakeTimeoutMs: number;
  /** Inbound: from the socket opening (for WebSocket: from the upgrade) to the 50 bytes of act one (ms). */
  actOneTimeoutMs: number;
  /** Inbound WebSocket: from `accept` to a completed HTTP upgrade (ms); the socket is destroyed otherwise. */
  wsUpgradeTimeoutMs: number;
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
  /**
   * Inbound sockets pending at once, both listeners together: counted from `accept` (before any
   * WebSocket upgrade or handshake) until `init` is accepted. When full, a newcomer from a source
   * with fewer pending connections than the fullest source evicts that source's oldest; otherwise
   * it is refused.
   */
  maxPendingConnections: number;
  /** Inbound sockets pending at once from one source (an IPv4 address, an IPv6 /64); more are refused. */
  maxPendingPerSource: number;
  /** Established inbound peers; an inbound peer beyond it is sent a `warning` and closed after `init`. */
  maxInboundPeers: number;
  /** Established peers we dialled (kept apart from the inbound ones); `connect` beyond it fails with TOO_MANY_PEERS. */
  maxOutboundPeers: number;
  /** Warn when the process's open descriptors exceed this fraction of its limit (RLIMIT_NOFILE soft). */
  fdWarnFraction: number;
  /** Refuse new inbound sockets while open descriptors exceed this fraction of the limit. */
  fdRefuseFraction: number;
  /** How often the descriptor count is sampled while listening (ms). */
  fdCheckIntervalMs: number;
  /** Refusals, evictions and pre-`init` closes of inbound connections are summed up in one line this often at most (ms). */
  logSummaryIntervalMs: number;
  /** Per-peer log lines (info and warn) allowed in a burst, registry-wide; beyond, they go out at debug level. */
  peerLogBurst: number;
  /** ... and their sustained rate (lines per second). */
  peerLogPerSecond: number;
  /** After queueing a final `warning`/`error`, how long we let it flush before destroying the socket (ms). */
  closeGraceMs: number;
}

export const DEFAULT_PEER_LIMITS: Readonly<PeerLimits> = Object.freeze({
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  actOneTimeoutMs: 5_000,
  wsUpgradeTimeoutMs: 5_000,
  initTimeoutMs: 15_000,
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
  maxPendingPerSource: 16,
  maxInboundPeers: 1000,
  maxOutboundPeers: 100,
  fdWarnFraction: 0.8,
  fdRefuseFraction: 0.9,
  fdCheckIntervalMs: 1_000,
  logSummaryIntervalMs: 5_000,
  peerLogBurst: 100,
  peerLogPerSecond: 10,
  closeGraceMs: 1_000,
});

/** Defaults overridden by `partial`; rejects non-finite or negative values (a configuration bug). */
export function resolveLimits(partial: Partial<PeerLimits> = {}): PeerLimits {
  const out = { ...DEFAULT_PEER_LIMITS, ...partial };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`limits.${k} must be a non-negative number`);
  }
  for (const k of ['fdWarnFraction', 'fdRefuseFraction'] as const) {
    if (out[k] > 1) throw new RangeError(`limits.${k} must be a fraction in [0, 1]`);
  }
  if (out.maxInputBufferBytes < 65569 + 1) throw new RangeError('limits.maxInputBufferBytes must hold at least one full frame (65569 bytes)');
  return out;
}
