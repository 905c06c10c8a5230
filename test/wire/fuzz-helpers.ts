// Shared by the wire tests: a deterministic PRNG and an input generator for "only WireError"
// fuzz loops (random bytes, and mutations of valid encodings).
import { expect } from 'vitest';
import { WireError } from '../../src/wire/errors.ts';

/** xorshift32: reproducible, no global state. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** One fuzz input: random bytes, or a valid sample truncated, extended or with bytes flipped. */
export function fuzzInput(rnd: () => number, samples: readonly Uint8Array[]): Uint8Array {
  const mode = rnd() % 5;
  if (mode === 0 || samples.length === 0) {
    const n = rnd() % 120;
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = rnd() & 0xff;
    return b;
  }
  const s = samples[rnd() % samples.length]!;
  if (mode === 1) return s.slice(0, s.length === 0 ? 0 : rnd() % (s.length + 1));
  if (mode === 2) {
    const extra = new Uint8Array(1 + (rnd() % 12));
    for (let i = 0; i < extra.length; i++) extra[i] = rnd() & 0xff;
    const out = new Uint8Array(s.length + extra.length);
    out.set(s);
    out.set(extra, s.length);
    return out;
  }
  const out = s.slice();
  const flips = 1 + (rnd() % 4);
  for (let k = 0; k < flips && out.length > 0; k++) {
    const i = rnd() % out.length;
    // Favour the interesting values: 0x00, 0xfd..0xff, or a random byte.
    const pick = rnd() % 4;
    out[i] = pick === 0 ? 0 : pick === 1 ? 0xfd + (rnd() % 3) : rnd() & 0xff;
  }
  return out;
}

/**
 * Run `decode` on `n` generated inputs; every throw must be a WireError. Returns how many inputs
 * decoded and how many failed, so a test can check both paths were exercised.
 */
export function fuzzDecoder(
  decode: (b: Uint8Array) => unknown,
  samples: readonly Uint8Array[],
  seed: number,
  n = 20_000,
): { ok: number; failed: number } {
  const rnd = prng(seed);
  let ok = 0;
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const input = fuzzInput(rnd, samples);
    try {
      decode(input);
      ok++;
    } catch (e) {
      if (!(e instanceof WireError)) {
        expect.fail(`non-WireError ${String(e)} on input ${Buffer.from(input).toString('hex')}`);
      }
      failed++;
    }
  }
  return { ok, failed };
}
