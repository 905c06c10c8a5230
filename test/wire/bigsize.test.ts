// BOLT 1, Appendix A: every BigSize decoding and encoding vector, plus round trips and fuzzing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { bigSizeLength, decodeBigSize, encodeBigSize, readBigSize, writeBigSize } from '../../src/wire/bigsize.ts';
import { WireError } from '../../src/wire/errors.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { fuzzDecoder } from './fuzz-helpers.ts';

interface BigSizeVector {
  name: string;
  value: string;
  bytes: string;
  exp_error?: string;
}
const V = JSON.parse(readFileSync(new URL('../vectors/bolt01/bigsize.json', import.meta.url), 'utf8')) as {
  decoding: BigSizeVector[];
  encoding: BigSizeVector[];
};

describe('BigSize vectors (BOLT 1 Appendix A)', () => {
  it('has the 18 decoding and 8 encoding vectors', () => {
    expect(V.decoding).toHaveLength(18);
    expect(V.encoding).toHaveLength(8);
    expect(V.decoding.filter((v) => v.exp_error !== undefined)).toHaveLength(10);
  });

  for (const v of V.decoding) {
    it(`decodes: ${v.name}`, () => {
      const bytes = fromHex(v.bytes);
      if (v.exp_error === undefined) {
        expect(decodeBigSize(bytes)).toBe(BigInt(v.value));
        expect(readBigSize(bytes, 0)).toEqual({ value: BigInt(v.value), next: bytes.length });
      } else {
        let err: unknown;
        try {
          decodeBigSize(bytes, 'x');
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(WireError);
        // The rule is the error text of the spec's Go example.
        expect((err as WireError).rule).toBe(v.exp_error);
        expect((err as WireError).field).toBe('x');
      }
    });
  }

  for (const v of V.encoding) {
    it(`encodes: ${v.name}`, () => {
      const value = BigInt(v.value);
      expect(toHex(encodeBigSize(value))).toBe(v.bytes);
      expect(bigSizeLength(value)).toBe(v.bytes.length / 2);
      if (value <= BigInt(Number.MAX_SAFE_INTEGER)) expect(toHex(encodeBigSize(Number(value)))).toBe(v.bytes);
    });
  }
});

describe('BigSize', () => {
  it('round-trips every u64, minimal by construction', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), (x) => {
        const b = encodeBigSize(x);
        expect(decodeBigSize(b)).toBe(x);
        expect(b.length).toBe(bigSizeLength(x));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads at an offset inside a larger buffer and a subarray view', () => {
    const buf = fromHex('aaaafd0100bb');
    expect(readBigSize(buf, 2)).toEqual({ value: 256n, next: 5 });
    expect(readBigSize(buf.subarray(2), 0)).toEqual({ value: 256n, next: 3 });
    const out = new Uint8Array(12);
    expect(writeBigSize(out, 3, 0x1_0000_0000n)).toBe(12);
    expect(toHex(out.subarray(3))).toBe('ff0000000100000000');
  });

  it('refuses trailing bytes in decodeBigSize and out-of-range values when writing', () => {
    expect(() => decodeBigSize(fromHex('0100'))).toThrow(WireError);
    expect(() => encodeBigSize(-1n)).toThrow(RangeError);
    expect(() => encodeBigSize(1n << 64n)).toThrow(RangeError);
  });

  it('fuzz: only WireError', () => {
    const samples = V.decoding.map((v) => fromHex(v.bytes));
    const r = fuzzDecoder(decodeBigSize, samples, 0xb16);
    expect(r.ok).toBeGreaterThan(100);
    expect(r.failed).toBeGreaterThan(100);
  });
});
