// The Legendre-symbol point check (src/crypto/point-check.ts) against the libraries' own answers
// (decompression in tiny-secp256k1 and @noble/curves) and against Euler's criterion; the midstate
// SHA256 (prefixedSha256/taggedSha256) against node:crypto's plain SHA256 of the concatenation.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as c from '../../src/crypto/index.ts';
import { compressedPointOnCurve, legendreModP } from '../../src/crypto/point-check.ts';
import { concatBytes, fromHex, utf8 } from '../../src/util/bytes.ts';

const P = 2n ** 256n - 2n ** 32n - 977n;

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
  }
  return r;
}
/** Euler's criterion: y^((p-1)/2) is 1 for a square, p-1 otherwise. */
function euler(y: bigint): 1 | -1 {
  return modPow(y, (P - 1n) / 2n, P) === 1n ? 1 : -1;
}
const hex32 = (x: bigint) => x.toString(16).padStart(64, '0');
const bigOf = (b: Uint8Array) => BigInt('0x' + Buffer.from(b).toString('hex'));

afterEach(() => c.useSecp256k1Backend('tiny'));

describe('Legendre symbol mod p', () => {
  it('agrees with Euler’s criterion on edge values and on random values', () => {
    const edges = [1n, 2n, 3n, 7n, 8n, P - 1n, P - 2n, (P - 1n) / 2n, 2n ** 255n, 2n ** 26n - 1n, 2n ** 26n, 2n ** 52n + 1n];
    for (const y of edges) expect(legendreModP(y), `y = ${y}`).toBe(euler(y));
    // p ≡ 3 (mod 4): -1 is not a square; every k² is.
    expect(legendreModP(P - 1n)).toBe(-1);
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: P - 1n }), (y) => {
        expect(legendreModP(y)).toBe(euler(y));
        expect(legendreModP((y * y) % P)).toBe(1);
      }),
      { numRuns: 500 },
    );
  });

  it('gives up (0) rather than guess when its step budget runs out, and the check then says undefined', () => {
    const y = 0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdefn;
    expect(legendreModP(y, 1)).toBe(0);
    expect(compressedPointOnCurve(c.publicKey(fromHex('00'.repeat(31) + '07')), 1)).toBeUndefined();
    // A budget of 64 batches (the default) is far above the ~22–33 random inputs need.
    for (let i = 0; i < 200; i++) {
      const y2 = bigOf(c.sha256(utf8.encode(`budget ${i}`))) % P;
      if (y2 !== 0n) expect(legendreModP(y2, 40)).not.toBe(0);
    }
  });
});

describe('compressedPointOnCurve', () => {
  it('agrees with both libraries’ decompression on random encodings (about half are points)', () => {
    for (const backend of ['tiny', 'noble'] as const) {
      c.useSecp256k1Backend(backend);
      let points = 0;
      const runs = backend === 'tiny' ? 3000 : 600;
      for (let i = 0; i < runs; i++) {
        const p = new Uint8Array(33);
        p[0] = 2 + (i & 1);
        p.set(c.sha256(utf8.encode(`${backend} ${i}`)), 1);
        const lib = c.isPointByLibrary(p);
        expect(compressedPointOnCurve(p), `${backend} ${Buffer.from(p).toString('hex')}`).toBe(lib);
        expect(c.isPoint(p)).toBe(lib);
        if (lib) points++;
      }
      // x³+7 is a square for about half of all x: a check that answered one way always would fail here.
      expect(points).toBeGreaterThan(runs * 0.4);
      expect(points).toBeLessThan(runs * 0.6);
    }
  });

  it('accepts real public keys and refuses x ≥ p, bad prefixes and lengths', () => {
    for (let i = 1; i < 50; i++) {
      const pub = c.publicKey(c.sha256(utf8.encode(`key ${i}`)));
      expect(compressedPointOnCurve(pub)).toBe(true);
      const flipped = pub.slice();
      flipped[0] = pub[0] === 2 ? 3 : 2; // the same x, the other y
      expect(compressedPointOnCurve(flipped)).toBe(true);
    }
    // x = 0: 7 is not a square mod p, so there is no such point.
    const zero = fromHex('02' + '00'.repeat(32));
    expect(euler(7n)).toBe(-1);
    expect(compressedPointOnCurve(zero)).toBe(false);
    expect(c.isPointByLibrary(zero)).toBe(false);
    // x = 5: 132 is not a square (BIP340 test vector 5's key).
    expect(compressedPointOnCurve(fromHex('02' + hex32(5n)))).toBe(false);
    // x ≥ p is refused even where x - p would be on the curve.
    for (const x of [P, P + 1n, 2n ** 256n - 1n]) {
      const enc = fromHex('02' + hex32(x));
      expect(compressedPointOnCurve(enc)).toBe(false);
      expect(c.isPointByLibrary(enc)).toBe(false);
    }
    const g = c.publicKey(fromHex('00'.repeat(31) + '01'));
    for (const prefix of [0, 1, 4, 5, 6, 7, 0xff]) {
      const bad = g.slice();
      bad[0] = prefix;
      expect(compressedPointOnCurve(bad)).toBe(false);
      expect(c.isPoint(bad)).toBe(false);
    }
    expect(compressedPointOnCurve(g.subarray(0, 32))).toBe(false);
    expect(compressedPointOnCurve(concatBytes(g, new Uint8Array(1)))).toBe(false);
    expect(compressedPointOnCurve(new Uint8Array(0))).toBe(false);
  });
});

describe('SHA256 resumed after a fixed 64-byte prefix', () => {
  it('equals SHA256 of the concatenation, for every length around the block boundaries, hashers interleaved', () => {
    const prefixA = c.sha256(utf8.encode('a'));
    const prefixB = c.sha256(utf8.encode('b'));
    const a = c.prefixedSha256(concatBytes(prefixA, prefixA));
    const b = c.prefixedSha256(concatBytes(prefixB, prefixB));
    for (let n = 0; n <= 200; n++) {
      const m = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
      const m2 = m.subarray(0, n >> 1);
      // Interleaved calls: each hasher restarts from its own saved state every time.
      expect(a(m)).toEqual(c.sha256(prefixA, prefixA, m));
      expect(b(m, m2)).toEqual(c.sha256(prefixB, prefixB, m, m2));
      expect(a(m2, m)).toEqual(c.sha256(prefixA, prefixA, m2, m));
    }
    expect(() => c.prefixedSha256(new Uint8Array(63))).toThrow(RangeError);
  });

  it('taggedSha256 is the BIP340 tagged hash', () => {
    const h = c.taggedSha256(utf8.encode('LnBranch'));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 80 }), (x, y) => {
        expect(h(x, y)).toEqual(c.taggedHash('LnBranch', x, y));
      }),
      { numRuns: 300 },
    );
  });
});
