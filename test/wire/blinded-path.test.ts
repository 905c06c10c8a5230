// blinded_path / sciddir_or_pubkey (BOLT 1 fundamental types, BOLT 4 route blinding).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBlindedPath, encodeBlindedPath, readSciddirOrPubkey, writeSciddirOrPubkey, type BlindedPath, type SciddirOrPubkey } from '../../src/wire/blinded-path.ts';
import { Reader, Writer } from '../../src/wire/codec.ts';
import { WireError } from '../../src/wire/errors.ts';
import { concatBytes, fromHex, toHex } from '../../src/util/bytes.ts';
import { fuzzDecoder } from './fuzz-helpers.ts';

const point = fc.tuple(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([p, x]) => concatBytes(Uint8Array.of(p), x));
const sciddir: fc.Arbitrary<SciddirOrPubkey> = fc.oneof(
  point.map((nodeId) => ({ kind: 'pubkey' as const, nodeId })),
  fc.record({ kind: fc.constant('scid' as const), direction: fc.constantFrom(0 as const, 1 as const), scid: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
);
const path: fc.Arbitrary<BlindedPath> = fc.record({
  introductionNode: sciddir,
  firstPathKey: point,
  hops: fc.array(fc.record({ blindedNodeId: point, encryptedRecipientData: fc.uint8Array({ maxLength: 80 }) }), { minLength: 1, maxLength: 5 }),
});

describe('sciddir_or_pubkey', () => {
  it('9 bytes for a scid direction, 33 for a point', () => {
    const w = new Writer();
    writeSciddirOrPubkey(w, { kind: 'scid', direction: 1, scid: 0x0102030405060708n });
    expect(toHex(w.finish())).toBe('010102030405060708');
    const r = new Reader(fromHex('00' + '00'.repeat(7) + '2a'));
    expect(readSciddirOrPubkey(r, 'x')).toEqual({ kind: 'scid', direction: 0, scid: 42n });
    const p = fromHex('03' + 'ab'.repeat(32));
    expect(readSciddirOrPubkey(new Reader(p), 'x')).toEqual({ kind: 'pubkey', nodeId: p });
    expect(() => readSciddirOrPubkey(new Reader(fromHex('04' + 'ab'.repeat(32))), 'x')).toThrow(WireError);
    expect(() => writeSciddirOrPubkey(new Writer(), { kind: 'pubkey', nodeId: fromHex('04' + 'ab'.repeat(32)) })).toThrow(RangeError);
  });
});

describe('blinded_path', () => {
  it('round-trips (property)', () => {
    fc.assert(
      fc.property(path, (p) => {
        expect(decodeBlindedPath(encodeBlindedPath(p))).toEqual(p);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses zero hops, trailing bytes and bad points', () => {
    const one: BlindedPath = {
      introductionNode: { kind: 'pubkey', nodeId: fromHex('02' + '11'.repeat(32)) },
      firstPathKey: fromHex('03' + '22'.repeat(32)),
      hops: [{ blindedNodeId: fromHex('02' + '33'.repeat(32)), encryptedRecipientData: fromHex('abcd') }],
    };
    const b = encodeBlindedPath(one);
    expect(b.length).toBe(33 + 33 + 1 + 33 + 2 + 2);
    const zero = b.slice(0, 67);
    zero[66] = 0;
    expect(() => decodeBlindedPath(zero)).toThrow(/at least one hop/);
    expect(() => decodeBlindedPath(concatBytes(b, fromHex('00')))).toThrow(/trailing/);
    expect(() => encodeBlindedPath({ ...one, hops: [] })).toThrow(RangeError);
    expect(() => encodeBlindedPath({ ...one, firstPathKey: new Uint8Array(32) })).toThrow(RangeError);
  });

  it('fuzz: only WireError', () => {
    const samples = fc.sample(path, { numRuns: 20, seed: 7 }).map(encodeBlindedPath);
    const r = fuzzDecoder((b) => decodeBlindedPath(b), samples, 0xb1d);
    expect(r.ok).toBeGreaterThan(100);
  });
});
