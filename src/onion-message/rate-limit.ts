// Token buckets for onion message rate limits. BOLT 4: the reader "MAY rate-limit messages by
// dropping them"; Core Lightning (connectd) refills 1 ms of credit per ms up to 1000 ms and charges
// 250 ms per message (4/s, burst 4) and warns "Ratelimited onion_message" once.

/** Tolerance for floating-point refills: Unix seconds near 1.7e9 carry ~2e-7 s of rounding, and 0.3 s at (1/0.3)/s must buy a whole token. */
const EPS = 1e-4;

/** A classic token bucket over an injected clock (seconds, fractional). */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private rate: number,
    private burst: number,
    now: number,
  ) {
    if (!(rate > 0) || !(burst >= 1)) throw new RangeError('TokenBucket: rate > 0 and burst >= 1');
    this.tokens = burst;
    this.last = now;
  }
  get ratePerSec(): number {
    return this.rate;
  }
  get capacity(): number {
    return this.burst;
  }
  private refill(now: number): void {
    // A clock that moves backwards (a test's ManualClock.set) refills nothing.
    const dt = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + dt * this.rate);
    this.last = Math.max(this.last, now);
  }
  /** Take one token if available. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens >= 1 - EPS) {
      this.tokens = Math.max(0, this.tokens - 1);
      return true;
    }
    return false;
  }
  /** Seconds until a token is available (0 when one is). */
  waitTime(now: number): number {
    this.refill(now);
    return this.tokens >= 1 - EPS ? 0 : (1 - this.tokens) / this.rate;
  }
  /** Change rate and burst; tokens above the new burst are discarded. */
  reconfigure(rate: number, burst: number, now: number): void {
    this.refill(now);
    this.rate = rate;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }
}
