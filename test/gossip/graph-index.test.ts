import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NodeIdIndex, U64Index, mix32 } from '../../src/gossip/graph-index.ts';

describe('graph hash indexes', () => {
  it('U64Index behaves like a Map through inserts, overwrites, deletes and rehashes', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.tuple(fc.constantFrom('set', 'set', 'del'), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 }), fc.nat()), { maxLength: 600 }),
        (seed, ops) => {
          const ix = new U64Index(seed >>> 0, 16);
          const model = new Map<string, number>();
          for (const [op, hiK, loK, v] of ops) {
            const hi = (hiK * 0x9e3779b1) >>> 0; // spread, plus equal halves across keys
            const lo = loK;
            const k = `${hi}:${lo}`;
            if (op === 'set') {
              ix.set(hi, lo, v);
              model.set(k, v);
            } else expect(ix.delete(hi, lo)).toBe(model.delete(k));
            expect(ix.size).toBe(model.size);
          }
          for (let hiK = 0; hiK <= 40; hiK++) {
            for (let lo = 0; lo <= 3; lo++) {
              const hi = (hiK * 0x9e3779b1) >>> 0;
              expect(ix.get(hi, lo)).toBe(model.get(`${hi}:${lo}`) ?? -1);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('U64Index stays bounded under churn (tombstones are reclaimed)', () => {
    const ix = new U64Index(1, 16);
    for (let i = 0; i < 100_000; i++) {
      ix.set(i, i, i);
      if (i >= 8) ix.delete(i - 8, i - 8);
    }
    expect(ix.size).toBe(8);
    expect(ix.byteLength).toBeLessThanOrEqual(12 * 64);
    expect(ix.get(99_999, 99_999)).toBe(99_999);
    expect(ix.get(5, 5)).toBe(-1);
  });

  it('NodeIdIndex finds ids by their bytes, including ids that differ in one byte only', () => {
    const ids = new Uint8Array(33 * 3000);
    const ix = new NodeIdIndex(42, () => ids, 16);
    const id = (i: number) => {
      const b = new Uint8Array(33).fill(0xab);
      b[0] = 2 + (i & 1);
      b[1 + (i % 32)] = (i >> 5) & 0xff;
      return b;
    };
    for (let i = 0; i < 3000; i++) {
      ids.set(id(i), i * 33);
      ix.add(i);
    }
    for (let i = 0; i < 3000; i++) expect(ix.get(id(i))).toBe(i);
    for (let i = 0; i < 3000; i += 2) ix.remove(i);
    for (let i = 0; i < 3000; i++) expect(ix.get(id(i))).toBe(i % 2 ? i : -1);
    const buf = new Uint8Array(40);
    buf.set(id(7), 5);
    expect(ix.get(buf, 5)).toBe(7);
  });

  it('mix32 spreads neighbouring inputs', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 4096; i++) seen.add(mix32(i) & 4095);
    expect(seen.size).toBeGreaterThan(2400); // ~63% of buckets for a random function
  });
});
