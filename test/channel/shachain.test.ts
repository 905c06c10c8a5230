// Per-commitment secrets and their compact store (BOLT 3), by property (fixed seed, test/setup.ts):
// everything inserted stays derivable from at most 49 entries, a secret from another seed is caught
// by the first insert that covers it, and the persistent form round-trips.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  commitmentIndex,
  generateFromSeed,
  perCommitmentSecret,
  SHACHAIN_FIRST_INDEX,
  ShachainError,
  ShachainStore,
} from '../../src/channel/index.ts';
import { toHex } from '../../src/util/bytes.ts';

const seed32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('shachain', () => {
  it('our secret for commitment n is generate_from_seed(seed, 2^48 - 1 - n)', () => {
    fc.assert(
      fc.property(seed32, fc.bigInt({ min: 0n, max: SHACHAIN_FIRST_INDEX }), (seed, n) => {
        expect(commitmentIndex(n)).toBe(SHACHAIN_FIRST_INDEX - n);
        expect(toHex(perCommitmentSecret(seed, n))).toBe(toHex(generateFromSeed(seed, SHACHAIN_FIRST_INDEX - n)));
      }),
    );
    // Index 0 is the seed itself (no bit set).
    const s = new Uint8Array(32).fill(9);
    expect(toHex(generateFromSeed(s, 0n))).toBe(toHex(s));
    expect(() => generateFromSeed(s, SHACHAIN_FIRST_INDEX + 1n)).toThrow(ShachainError);
    expect(() => generateFromSeed(new Uint8Array(31), 1n)).toThrow(ShachainError);
  });

  it('stores any run of secrets in at most 49 entries and derives every one of them', () => {
    fc.assert(
      fc.property(seed32, fc.integer({ min: 1, max: 300 }), (seed, count) => {
        const secrets = Array.from({ length: count + 1 }, (_, n) => perCommitmentSecret(seed, BigInt(n)));
        const store = new ShachainStore();
        for (let n = 0n; n < BigInt(count); n++) store.insertCommitment(n, secrets[Number(n)]!);
        expect(store.size).toBeLessThanOrEqual(49);
        expect(store.lastIndex).toBe(commitmentIndex(BigInt(count - 1)));
        for (let n = 0n; n < BigInt(count); n++) expect(toHex(store.getCommitment(n)!)).toBe(toHex(secrets[Number(n)]!));
        // Not received yet: the next one.
        expect(store.getCommitment(BigInt(count))).toBeUndefined();
        // The persistent form round-trips.
        const again = ShachainStore.fromBytes(store.toBytes());
        expect(toHex(again.toBytes())).toBe(toHex(store.toBytes()));
        expect(again.lastIndex).toBe(store.lastIndex);
        for (let n = 0n; n < BigInt(count); n++) expect(toHex(again.getCommitment(n)!)).toBe(toHex(secrets[Number(n)]!));
        again.insertCommitment(BigInt(count), secrets[count]!);
      }),
      { numRuns: 15 },
    );
  });

  it('a secret from another seed is refused by the first insert whose index covers it', () => {
    fc.assert(
      fc.property(seed32, seed32, fc.integer({ min: 0, max: 200 }), (seed, other, bad) => {
        fc.pre(toHex(seed) !== toHex(other));
        const store = new ShachainStore();
        const badIndex = commitmentIndex(BigInt(bad));
        let refusedAt: bigint | undefined;
        for (let n = 0n; n <= BigInt(bad) + 300n && refusedAt === undefined; n++) {
          const secret = n === BigInt(bad) ? perCommitmentSecret(other, n) : perCommitmentSecret(seed, n);
          try {
            store.insertCommitment(n, secret);
          } catch (e) {
            expect(e).toBeInstanceOf(ShachainError);
            refusedAt = commitmentIndex(n);
          }
        }
        expect(refusedAt).toBeDefined();
        // An odd index goes to bucket 0 and is checked against nothing: the next (even) index, which
        // must derive it, refuses. An even index must itself derive bucket 0 (the odd index above).
        const expected = badIndex % 2n === 1n ? badIndex - 1n : badIndex;
        expect(refusedAt).toBe(expected);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses secrets out of order and bad stored forms', () => {
    const seed = new Uint8Array(32).fill(0xff);
    const store = new ShachainStore();
    expect(() => store.insert(SHACHAIN_FIRST_INDEX - 1n, generateFromSeed(seed, SHACHAIN_FIRST_INDEX - 1n))).toThrow(/out of order/);
    store.insert(SHACHAIN_FIRST_INDEX, generateFromSeed(seed, SHACHAIN_FIRST_INDEX));
    expect(() => store.insert(SHACHAIN_FIRST_INDEX, generateFromSeed(seed, SHACHAIN_FIRST_INDEX))).toThrow(/out of order/);
    expect(() => store.insert(SHACHAIN_FIRST_INDEX - 2n, generateFromSeed(seed, SHACHAIN_FIRST_INDEX - 2n))).toThrow(/out of order/);
    expect(() => store.insert(SHACHAIN_FIRST_INDEX - 1n, new Uint8Array(31))).toThrow(ShachainError);
    expect(() => store.insert(-1n, new Uint8Array(32))).toThrow(ShachainError);
    expect(() => store.get(1n << 48n)).toThrow(ShachainError);

    expect(() => ShachainStore.fromBytes(new Uint8Array(0))).toThrow(ShachainError);
    expect(() => ShachainStore.fromBytes(Uint8Array.of(50))).toThrow(ShachainError);
    const good = store.toBytes();
    expect(() => ShachainStore.fromBytes(good.subarray(0, good.length - 1))).toThrow(ShachainError);
    const wrongBucket = good.slice();
    wrongBucket[1] = 3; // index 2^48-1 has no trailing zero: bucket 0
    expect(() => ShachainStore.fromBytes(wrongBucket)).toThrow(/bucket/);
    const tooBig = good.slice();
    tooBig[2] = 0x01; // index above 2^48 - 1
    expect(() => ShachainStore.fromBytes(tooBig)).toThrow(/above/);
  });
});
