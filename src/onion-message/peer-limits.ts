// Per-peer rate limits of the messenger: the inbound token bucket (with when to warn the peer) and
// the outbound pace, slowed by the peer's "Ratelimited onion_message" warnings and recovering
// after a quiet period. State is kept per node id in maps bounded by `maxTrackedPeers` (the oldest
// entry is forgotten first), so a peer that reconnects keeps its bucket and its penalty.
import type { OnionMessageLimits } from './limits.ts';
import { TokenBucket } from './rate-limit.ts';

interface InboundState {
  bucket: TokenBucket;
  lastWarnedAt: number;
}

interface OutboundState {
  bucket: TokenBucket;
  rate: number;
  penalizedAt: number;
  /** The most the peer said it takes (messages/s), kept for as long as we track the peer. */
  cap: number;
}

/** How close to a peer's stated limit we pace (TCP may deliver two of our messages together). */
const CAP_MARGIN = 0.8;

function boundedSet<V>(m: Map<string, V>, key: string, v: V, max: number): V {
  if (m.size >= max) {
    const oldest = m.keys().next().value;
    if (oldest !== undefined) m.delete(oldest);
  }
  m.set(key, v);
  return v;
}

export class PeerRateLimits {
  private readonly inbound = new Map<string, InboundState>();
  private readonly outbound = new Map<string, OutboundState>();

  constructor(private readonly limits: OnionMessageLimits) {}

  /**
   * Admit one incoming message from `key`, or refuse it; on a refusal `warn` says whether to tell
   * the peer now (at most once per `warnIntervalSec`, as Core Lightning warns once).
   */
  admit(key: string, now: number): { ok: true } | { ok: false; warn: boolean } {
    const l = this.limits;
    const st =
      this.inbound.get(key) ??
      boundedSet(this.inbound, key, { bucket: new TokenBucket(l.inboundRatePerSec, l.inboundBurst, now), lastWarnedAt: -Infinity }, l.maxTrackedPeers);
    if (st.bucket.take(now)) return { ok: true };
    if (now - st.lastWarnedAt >= l.warnIntervalSec) {
      st.lastWarnedAt = now;
      return { ok: false, warn: true };
    }
    return { ok: false, warn: false };
  }

  /** The outbound bucket for `key`; a penalized pace doubles back every `outboundRecoverySec`. */
  outboundBucket(key: string, now: number): TokenBucket {
    return this.outboundState(key, now).bucket;
  }

  /**
   * A rate-limit warning from `key`: halve its pace (floor `minOutboundRatePerSec`), no burst.
   * When the warning states the peer's limit (`peerLimitPerSec`), never pace above 80% of it again:
   * Core Lightning warns only once per connection (connectd/onion_message.c), then drops silently,
   * so halving alone could leave us above its limit for good.
   */
  penalize(key: string, now: number, peerLimitPerSec?: number): number {
    const st = this.outboundState(key, now);
    if (peerLimitPerSec !== undefined && peerLimitPerSec > 0) st.cap = Math.min(st.cap, peerLimitPerSec * CAP_MARGIN);
    // The floor keeps a warning from starving a peer, but a limit the peer stated wins over it.
    st.rate = Math.min(st.cap, Math.max(this.limits.minOutboundRatePerSec, st.rate / 2));
    st.penalizedAt = now;
    st.bucket.reconfigure(st.rate, 1, now);
    return st.rate;
  }

  /** The current outbound pace for `key` (messages per second). */
  outboundRate(key: string): number {
    return this.outbound.get(key)?.rate ?? this.limits.outboundRatePerSec;
  }

  private outboundState(key: string, now: number): OutboundState {
    const l = this.limits;
    let st = this.outbound.get(key);
    if (!st) {
      st = boundedSet(
        this.outbound,
        key,
        { bucket: new TokenBucket(l.outboundRatePerSec, l.outboundBurst, now), rate: l.outboundRatePerSec, penalizedAt: -Infinity, cap: Infinity },
        l.maxTrackedPeers,
      );
    } else if (st.rate < Math.min(l.outboundRatePerSec, st.cap) && now - st.penalizedAt >= l.outboundRecoverySec) {
      st.rate = Math.min(l.outboundRatePerSec, st.cap, st.rate * 2);
      st.penalizedAt = now;
      st.bucket.reconfigure(st.rate, st.rate >= l.outboundRatePerSec ? l.outboundBurst : 1, now);
    }
    return st;
  }
}
