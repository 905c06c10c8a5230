// BOLT 1, "Fundamental Types" and Appendix D (signed integers): the Reader and Writer.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Reader, Writer, encodeTu } from '../../src/wire/codec.ts';
import { WireError } from '../../src/wire/errors.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { fuzzDecoder } from './fuzz-helpers.ts';

const SIGNED = JSON.parse(readFileSync(new URL('../vectors/bolt01/signed-integers.json', import.meta.url), 'utf8')) as {
  cases: { value: string; bytes: string }[];
};

describe('signed integers (BOLT 1 Appendix D)', () => {
  it('has the 23 vectors', () => expect(SIGNED.cases).toHaveLength(23));

  for (const v of SIGNED.cases) {
    const bytes = fromHex(v.bytes);
    const value = BigInt(v.value);
    it(`s${bytes.length * 8} ${v.value} <-> ${v.bytes}`, () => {
      const r = new Reader(bytes);
      const w = new Writer();
      switch (bytes.length) {
        case 1:
          expect(r.s8('v')).toBe(Number(value));
          w.s8(Number(value));
          break;
        case 2:
          expect(r.s16('v')).toBe(Number(value));
          w.s16(Number(value));
          break;
        case 4:
          expect(r.s32('v')).toBe(Number(value));
          w.s32(Number(value));
          break;
        case 8:
          expect(r.s64('v')).toBe(value);
          w.s64(value);
          break;
        default:
          throw new Error(`bad vector length ${bytes.length}`);
      }
      r.end('v');
      expect(toHex(w.finish())).toBe(v.bytes);
    });
  }

  it('the vector length is the smallest signed type that holds the value', () => {
    for (const v of SIGNED.cases) {
      const x = BigInt(v.value);
      const bits = [8, 16, 32, 64].find((b) => x >= -(1n << BigInt(b - 1)) && x < 1n << BigInt(b - 1))!;
      expect(v.bytes.length * 4).toBe(bits);
    }
  });

  it('writers refuse out-of-range signed values', () => {
    expect(() => new Writer().s8(128)).toThrow(RangeError);
    expect(() => new Writer().s8(-129)).toThrow(RangeError);
    expect(() => new Writer().s16(32768)).toThrow(RangeError);
    expect(() => new Writer().s32(-2147483649)).toThrow(RangeError);
    expect(() => new Writer().s64(1n << 63n)).toThrow(RangeError);
    expect(() => new Writer().s64(-(1n << 63n) - 1n)).toThrow(RangeError);
  });
});

describe('unsigned integers', () => {
  it('round-trip u8/u16/u32/u64 big-endian', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
        (a, b, c, d) => {
          const bytes = new Writer(1).u8(a).u16(b).u32(c).u64(d).finish();
          expect(bytes.length).toBe(15);
          const r = new Reader(bytes);
          expect([r.u8('a'), r.u16('b'), r.u32('c'), r.u64('d')]).toEqual([a, b, c, d]);
          r.end('x');
        },
      ),
    );
    expect(toHex(new Writer().u16(0x0102).u32(0x03040506).finish())).toBe('0102' + '03040506');
  });

  it('writers refuse out-of-range values instead of wrapping', () => {
    expect(() => new Writer().u8(256)).toThrow(RangeError);
    expect(() => new Writer().u16(-1)).toThrow(RangeError);
    expect(() => new Writer().u32(2 ** 32)).toThrow(RangeError);
    expect(() => new Writer().u64(1n << 64n)).toThrow(RangeError);
    expect(() => new Writer().u64(-1n)).toThrow(RangeError);
  });

  it('a Writer of any initial size grows', () => {
    const w = new Writer(0);
    for (let i = 0; i < 1000; i++) w.u32(i);
    expect(w.length).toBe(4000);
    expect(new Reader(w.finish()).bytes(4000, 'x').length).toBe(4000);
  });

  it('short reads are WireErrors naming the field', () => {
    const r = new Reader(fromHex('0102'));
    expect(() => r.u32('the_field')).toThrow(expect.objectContaining({ field: 'the_field' }));
    expect(r.u16('ok')).toBe(0x0102);
    expect(() => r.u8('past_end')).toThrow(WireError);
    expect(() => new Reader(new Uint8Array(0)).bytes(-1, 'neg')).toThrow(WireError);
  });
});

describe('truncated integers (tu16/tu32/tu64)', () => {
  it('encode minimally: no leading zero byte, zero is zero bytes', () => {
    expect(toHex(encodeTu(0))).toBe('');
    expect(toHex(encodeTu(1))).toBe('01');
    expect(toHex(encodeTu(256))).toBe('0100');
    expect(toHex(encodeTu(0xffff_ffff_ffff_ffffn))).toBe('ffffffffffffffff');
    expect(() => encodeTu(1n << 64n)).toThrow(RangeError);
    expect(() => encodeTu(-1)).toThrow(RangeError);
  });

  it('round-trip within their width', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), (x) => {
        const b = encodeTu(x);
        expect(new Reader(b).tu('v', b.length, 8)).toBe(x);
      }),
    );
  });

  it('reject leading zeros and values wider than the type', () => {
    expect(() => new Reader(fromHex('00')).tu('v', 1, 8)).toThrow(/not minimal/);
    expect(() => new Reader(fromHex('0001')).tu('v', 2, 2)).toThrow(/not minimal/);
    expect(() => new Reader(fromHex('010000')).tu('v', 3, 2)).toThrow(/longer than 2/);
    expect(() => new Reader(fromHex('0100000000')).tu('v', 5, 4)).toThrow(/longer than 4/);
    expect(new Reader(fromHex('ffffffff')).tu('v', 4, 4)).toBe(0xffff_ffffn);
  });
});

describe('point, bytes, rest, end', () => {
  it('point checks the compressed prefix', () => {
    const p = fromHex('02' + '11'.repeat(32));
    expect(new Reader(p).point('p')).toEqual(p);
    expect(() => new Reader(fromHex('04' + '11'.repeat(32))).point('p')).toThrow(/0x02 or 0x03/);
    expect(() => new Reader(fromHex('03' + '11'.repeat(31))).point('p')).toThrow(WireError);
  });

  it('rest takes everything; end refuses leftovers', () => {
    const r = new Reader(fromHex('010203'));
    r.u8('a');
    expect(() => r.end('msg')).toThrow(/2 unexpected trailing bytes/);
    expect(toHex(r.rest())).toBe('0203');
    expect(r.eof).toBe(true);
    r.end('msg');
  });

  it('fuzz: a mixed sequence of reads throws only WireError', () => {
    const read = (b: Uint8Array): void => {
      const r = new Reader(b);
      r.bigsize('a');
      r.u16('b');
      r.point('c');
      r.tu('d', r.remaining, 8);
      r.end('e');
    };
    const sample = new Writer().bigsize(300).u16(7).bytes(fromHex('03' + '22'.repeat(32))).tu(12345).finish();
    const res = fuzzDecoder(read, [sample], 0xc0dec);
    expect(res.ok).toBeGreaterThan(10);
  });
});
