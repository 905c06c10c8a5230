// BOLT 1, "The `ping` and `pong` Messages": the bookkeeping a Peer keeps for them.
//   - PingBudget: ping-flood protection for pings we receive (a token bucket).
//   - PendingPongs: pings we sent, matched to the pongs that answer them.
import { PING_NO_REPLY_THRESHOLD } from '../wire/index.ts';

/**
 * "Limited precautions are recommended against `ping` flooding" (BOLT 1, Rationale). A token
 * bucket: at most `burst` tokens, refilled at `refillPerSecond`. A ping costs
 * 1 + floor(num_pong_bytes / 1024) tokens, so a ping asking a large pong (up to 65531 bytes for a
 * 6-byte ping) is rationed by what it makes us send.
 */
export class PingBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly burst: number,
    private readonly refillPerSecond: number,
    /** Seconds, from the injected clock. */
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  static cost(numPongBytes: number): number {
    return 1 + (numPongBytes < PING_NO_REPLY_THRESHOLD ? Math.floor(numPongBytes / 1024) : 0);
  }

  /** Spend the cost of one incoming ping; false when the budget cannot cover it (a flood). */
  take(numPongBytes: number, now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, now - this.at) * this.refillPerSecond);
    this.at = now;
    const cost = PingBudget.cost(numPongBytes);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

interface Pending {
  pongBytes: number;
  timer: ReturnType<typeof setTimeout>;
  done(err: Error | null, totlen: number): void;
}

/**
 * Pings we sent and their pongs. A peer answers pings in order, and a pong is recognised by its
 * length (`byteslen` = our `num_pong_bytes`), so the first pending ping with that length is the one
 * answered.
 */
export class PendingPongs {
  private readonly list: Pending[] = [];

  get size(): number {
    return this.list.length;
  }

  /**
   * Expect a pong of `pongBytes` within `timeoutMs`: `done(null, totlen)` when it comes (totlen =
   * 4 + pongBytes, the pong's length including its type), `done(onTimeout(), 0)` when it does not.
   */
  expect(pongBytes: number, timeoutMs: number, onTimeout: () => Error, done: (err: Error | null, totlen: number) => void): void {
    const entry: Pending = {
      pongBytes,
      done,
      timer: setTimeout(() => {
        const i = this.list.indexOf(entry);
        if (i >= 0) this.list.splice(i, 1);
        done(onTimeout(), 0);
      }, timeoutMs),
    };
    entry.timer.unref?.();
    this.list.push(entry);
  }

  /** A pong of `byteslen` bytes arrived: settle its ping. False when no ping asked for it. */
  answer(byteslen: number): boolean {
    const i = this.list.findIndex((p) => p.pongBytes === byteslen);
    if (i === -1) return false;
    const [p] = this.list.splice(i, 1);
    clearTimeout(p!.timer);
    p!.done(null, 4 + byteslen);
    return true;
  }

  /** The connection is gone: fail every pending ping with `err`. */
  failAll(err: Error): void {
    for (const p of this.list.splice(0)) {
      clearTimeout(p.timer);
      p.done(err, 0);
    }
  }
}
