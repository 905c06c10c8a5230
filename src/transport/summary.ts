// Bounded logging for what an attacker can make happen at will: connections refused or evicted at
// accept, inbound connections closed before `init` (silent, garbage, timed out), and per-peer log
// lines in general. Each used to be one synchronous line; a flood of them grew the log without
// bound (580 KB in 70 s of churn, at --log-level warn too).
//
// - ConnLogSummary counts them by reason and writes at most one line per interval, e.g.
//   `inbound connections in the last 5 s: refused 1234 (1200 per-source cap, 34 total cap);
//   evicted 17; closed 280 before init (250 act one timeout, 30 websocket upgrade timeout)`
//   at warn level when anything was refused or evicted, info otherwise. Its timer is unref'd
//   (never keeps the process alive) and stops with the registry.
// - budgetedLogger passes per-peer info/warn lines while a shared token bucket allows and demotes
//   the rest to debug (still there at --log-level debug), counting them in the same summary.
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';

/** Counts by reason, with a bounded number of distinct reasons (the rest are "other"). */
class Counts {
  private readonly m = new Map<string, number>();
  total = 0;
  constructor(private readonly maxKeys = 16) {}
  add(reason: string, n = 1): void {
    const key = this.m.has(reason) || this.m.size < this.maxKeys ? reason : 'other';
    this.m.set(key, (this.m.get(key) ?? 0) + n);
    this.total += n;
  }
  describe(): string {
    return [...this.m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
  }
  clear(): void {
    this.m.clear();
    this.total = 0;
  }
}

export class ConnLogSummary {
  private readonly refusedCounts = new Counts();
  private readonly closedCounts = new Counts();
  private evictedCount = 0;
  private demotedCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private windowStart = 0;
  private stopped = false;
  /** Lines written (tests and stats). */
  lines = 0;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly clock: Clock,
  ) {}

  /** An inbound socket refused at accept. */
  refused(reason: string): void {
    this.refusedCounts.add(reason);
    this.arm();
  }

  /** A pending inbound connection evicted to make room for a newcomer. */
  evicted(): void {
    this.evictedCount++;
    this.arm();
  }

  /** An inbound connection closed before `init` (by timeout, failure or the peer). */
  closedBeforeInit(reason: string): void {
    this.closedCounts.add(reason);
    this.arm();
  }

  /** A per-peer log line went out at debug level instead of its own. */
  demoted(): void {
    this.demotedCount++;
    this.arm();
  }

  /** Write the pending summary now (if any) and stop; later events are not counted. */
  close(): void {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
  }

  private arm(): void {
    if (this.timer || this.stopped) return;
    this.windowStart = this.clock.now();
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const r = this.refusedCounts.total;
    const c = this.closedCounts.total;
    if (r === 0 && c === 0 && this.evictedCount === 0 && this.demotedCount === 0) return;
    const secs = Math.max(0, this.clock.now() - this.windowStart);
    const parts: string[] = [];
    if (r) parts.push(`refused ${r} (${this.refusedCounts.describe()})`);
    if (this.evictedCount) parts.push(`evicted ${this.evictedCount} pending`);
    if (c) parts.push(`closed ${c} before init (${this.closedCounts.describe()})`);
    if (this.demotedCount) parts.push(`${this.demotedCount} peer log lines demoted to debug`);
    const line = `inbound connections in the last ${secs < 10 ? secs.toFixed(1) : Math.round(secs)} s: ${parts.join('; ')}`;
    if (r || this.evictedCount) this.log.warn(line);
    else this.log.info(line);
    this.lines++;
    this.refusedCounts.clear();
    this.closedCounts.clear();
    this.evictedCount = 0;
    this.demotedCount = 0;
  }
}

/** A token bucket: `burst` tokens at most, `perSecond` more each second (times from the clock). */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.at = clock.now();
  }
  take(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, now - this.at) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * `base`, with info and warn lines passed while `bucket` allows and sent at debug level beyond it
 * (`onDemoted` counts them). Debug lines pass as they are; error lines too (they mean a bug). The
 * children share the bucket.
 */
export function budgetedLogger(base: Logger, bucket: TokenBucket, onDemoted: () => void): Logger {
  const gate = (line: string, f: (m: string) => void) => {
    if (bucket.take()) f(line);
    else {
      onDemoted();
      base.debug(line);
    }
  };
  return {
    debug: (m) => base.debug(m),
    info: (m) => gate(m, (x) => base.info(x)),
    warn: (m) => gate(m, (x) => base.warn(x)),
    error: (m) => base.error(m),
    child: (p) => budgetedLogger(base.child(p), bucket, onDemoted),
  };
}
