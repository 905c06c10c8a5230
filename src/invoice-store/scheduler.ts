// When the store wakes up to re-check the clock. The store computes its next deadline (the
// earliest unpaid expiry, the earliest waitanyinvoice timeout) from the injected Clock and asks a
// WakeScheduler to call it back after that delay; when called it re-reads the clock, so a wake that
// comes early (or a ManualClock that did not move) does nothing but re-arm. Tests use
// `manualScheduler()` (never fires on its own) and drive time with `clock.advance()` + `store.tick()`.

export interface WakeHandle {
  cancel(): void;
}

export interface WakeScheduler {
  /** Call `wake` in about `delayMs` milliseconds (at most once). */
  schedule(delayMs: number, wake: () => void): WakeHandle;
}

/** Node's 32-bit timer limit: longer delays are re-armed on wake. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Real timers. They are unref'd: a store's pending expiry must not keep a process alive by
 * itself (a daemon is kept alive by its sockets).
 */
export const timerScheduler: WakeScheduler = {
  schedule(delayMs, wake) {
    const t = setTimeout(wake, Math.max(0, Math.min(Math.ceil(delayMs), MAX_TIMER_MS)));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A scheduler that only records what was asked: for tests that call `store.tick()` themselves. */
export function manualScheduler(): WakeScheduler & { pending(): number[]; fire(): void } {
  const armed = new Map<number, { delayMs: number; wake: () => void }>();
  let next = 0;
  return {
    schedule(delayMs, wake) {
      const id = next++;
      armed.set(id, { delayMs, wake });
      return { cancel: () => void armed.delete(id) };
    },
    /** Delays (ms) of the wake-ups currently armed. */
    pending: () => [...armed.values()].map((a) => a.delayMs),
    /** Fire every armed wake-up now. */
    fire() {
      const all = [...armed.values()];
      armed.clear();
      for (const a of all) a.wake();
    },
  };
}
