// Shared by the benchmarks (files starting with `_` are not benchmarks themselves).

/**
 * Best (lowest) µs per call of each function over `rounds` rounds of `n` calls. The functions take
 * turns within each round, so a bound and what is measured against it see the same machine load
 * (the CI machine is shared).
 */
export function timeUs(n: number, rounds: number, fs: (() => void)[]): number[] {
  for (const f of fs) for (let i = 0; i < Math.min(n, 50); i++) f(); // warm up
  const best = fs.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    fs.forEach((f, k) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) f();
      best[k] = Math.min(best[k]!, ((performance.now() - t0) * 1000) / n);
    });
  }
  return best;
}
