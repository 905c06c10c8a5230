// BOLT 12 string form: removing `+` continuations is linear in the string's length. The old loop
// re-read the string it was building at each `+`, so V8 flattened it again every time: 120k `+`
// took 46 s. This compares a continuation-heavy string with a plain one of the same length (a
// ratio, not an absolute time, so a slow machine does not fail it).
import { describe, expect, it } from 'vitest';
import { decodeBolt12StringData, removeContinuations } from '../../src/bolt12/string.ts';
import { Bolt12Error } from '../../src/bolt12/errors.ts';
import { decodeMethod } from '../../src/rpc/methods/decode.ts';

const MB = 1 << 20;

/** Best of `runs` timings of `f`, in ms. */
function best(f: () => void, runs = 5): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

function tryDecode(s: string): void {
  try {
    decodeBolt12StringData(s, 'lnr');
  } catch (e) {
    if (!(e instanceof Bolt12Error)) throw e;
  }
}

describe('string form: continuations are linear', () => {
  // ~1 MiB: "lnr1" then "qq+ " repeated (262k continuations, each followed by a space).
  const heavy = 'lnr1' + 'qq+ '.repeat((MB - 8) / 4) + 'qq';
  const plain = 'lnr1' + 'q'.repeat(heavy.length - 4);

  it('removes every continuation and keeps the characters', () => {
    const out = removeContinuations(heavy);
    expect(out.length).toBe(4 + ((MB - 8) / 4) * 2 + 2);
    expect(out).toBe('lnr1' + 'q'.repeat(out.length - 4));
  });

  it('a 1 MiB continuation-heavy string costs a small multiple of a plain one', () => {
    expect(heavy.length).toBe(plain.length);
    tryDecode(heavy); // warm up both paths
    tryDecode(plain);
    const tPlain = best(() => tryDecode(plain));
    const tHeavy = best(() => tryDecode(heavy));
    // Linear: the heavy string does a slice per continuation, a few times the plain cost. The
    // quadratic version took minutes here (a ratio in the thousands).
    expect(tHeavy / Math.max(tPlain, 0.5)).toBeLessThan(20);
  });

  it('the decode RPC over ~1 MiB of continuations answers in a small multiple of a plain string', () => {
    const rpc = (s: string) => () => {
      try {
        decodeMethod.handler({ string: s }, undefined);
      } catch {
        /* a typed RPC error is the expected answer for these bytes */
      }
    };
    rpc(heavy)();
    const tPlain = best(rpc(plain), 3);
    const tHeavy = best(rpc(heavy), 3);
    expect(tHeavy / Math.max(tPlain, 0.5)).toBeLessThan(20);
  });

  it('the rules stay: a `+` must sit between bech32 characters', () => {
    for (const bad of ['+lnr1qq', 'lnr1qq+', 'lnr1qq+ ', 'lnr1qq++qq', 'lnr1qq +qq', 'lnr1qq+ +qq', 'lnr1qq+\u00a0-']) {
      expect(() => removeContinuations(bad), bad).toThrow(Bolt12Error);
    }
    expect(removeContinuations('lnr1qq+\t\r\n\u00a0\u3000qq')).toBe('lnr1qqqq');
    expect(removeContinuations('lnr1qq+qq+ qq')).toBe('lnr1qqqqqq');
  });
});
