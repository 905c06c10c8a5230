// Time is injected: every component takes a Clock so tests can move time deterministically.

/** A source of the current time. */
export interface Clock {
  /** Seconds since the Unix epoch; may carry a fraction (rate limiters use it). */
  now(): number;
}

/** Wall-clock time. */
export const systemClock: Clock = { now: () => Date.now() / 1000 };

/** A clock that only moves when told to: for tests. */
export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000) {}
  now(): number {
    return this.t;
  }
  set(seconds: number): void {
    this.t = seconds;
  }
  advance(seconds: number): void {
    this.t += seconds;
  }
}

/** Whole seconds since the epoch, as BOLT timestamps use. */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now());
}
