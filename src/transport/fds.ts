// How close the process is to its file descriptor limit. Every socket is a descriptor; when the
// table is full, accept() fails (EMFILE), and so do the RPC socket, the store and our own dials.
// The registry samples the count while it listens, warns above limits.fdWarnFraction and refuses
// new inbound sockets above limits.fdRefuseFraction, so the process degrades (new inbound peers
// wait) instead of failing everything.
import { readFileSync, readdirSync, statSync } from 'node:fs';

export interface FdUsage {
  /** Descriptors open in the process now. */
  open: number;
  /** Its RLIMIT_NOFILE soft limit. */
  limit: number;
}

/** Where the counts come from (injectable for tests); undefined when unknown (not Linux, no /proc). */
export type FdProbe = () => FdUsage | undefined;

/**
 * Linux: the soft limit from /proc/self/limits ("Max open files"), the count from /proc/self/fd.
 * Since Linux 6.2 `stat` of that directory reports the count as its size (~30 µs); older kernels
 * report 0, and we list it (~1 ms per thousand descriptors).
 */
export const procFdProbe: FdProbe = () => {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m || m[1] === 'unlimited') return undefined;
    const limit = Number(m[1]);
    let open = statSync('/proc/self/fd').size;
    if (!(open > 0)) open = readdirSync('/proc/self/fd').length - 1; // minus the directory's own
    return { open, limit };
  } catch {
    return undefined;
  }
};

/**
 * The count between samples: the last sample plus the sockets the registry accepted minus those
 * that closed since. Sampled every `intervalMs` while started, and again on demand when the
 * estimate nears the refusal mark and the sample is older than 100 ms.
 */
export class FdMonitor {
  private last: FdUsage | undefined;
  private sampledAt = 0;
  private delta = 0;
  private timer: NodeJS.Timeout | undefined;
  private warnedAt = -Infinity;
  private above = false;

  constructor(
    private readonly probe: FdProbe,
    private readonly opts: {
      readonly warnFraction: number;
      readonly refuseFraction: number;
      readonly intervalMs: number;
      /** Milliseconds, monotonic enough for rate limiting the warning. */
      readonly nowMs: () => number;
      /** Called when usage first crosses the warning mark, then at most once a minute while above it. */
      readonly warn: (u: FdUsage, warnAt: number, refuseAt: number) => void;
      /** Called once when usage falls back below the warning mark. */
      readonly recovered: (u: FdUsage) => void;
    },
  ) {}

  start(): void {
    if (this.timer || this.opts.intervalMs <= 0) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  opened(): void {
    this.delta++;
  }

  closed(): void {
    this.delta--;
  }

  /** The latest figures (estimated since the last sample), or undefined when unknown. */
  usage(): FdUsage | undefined {
    if (!this.last) return undefined;
    return { open: Math.max(0, this.last.open + this.delta), limit: this.last.limit };
  }

  /** True when a new inbound socket must be refused (open descriptors above the refusal mark). */
  overHighWater(): boolean {
    let u = this.usage();
    if (!u) return false;
    const refuseAt = u.limit * this.opts.refuseFraction;
    if (u.open >= u.limit * this.opts.warnFraction && this.opts.nowMs() - this.sampledAt > 100) {
      this.sample();
      u = this.usage();
      if (!u) return false;
    }
    return u.open >= refuseAt;
  }

  sample(): void {
    const u = this.probe();
    this.sampledAt = this.opts.nowMs();
    this.delta = 0;
    this.last = u;
    if (!u) return;
    const warnAt = Math.floor(u.limit * this.opts.warnFraction);
    const refuseAt = Math.floor(u.limit * this.opts.refuseFraction);
    if (u.open >= warnAt) {
      if (!this.above || this.sampledAt - this.warnedAt >= 60_000) {
        this.warnedAt = this.sampledAt;
        this.opts.warn(u, warnAt, refuseAt);
      }
      this.above = true;
    } else if (this.above) {
      this.above = false;
      this.opts.recovered(u);
    }
  }
}
