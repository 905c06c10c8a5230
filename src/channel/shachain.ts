// BOLT 3, Per-commitment Secret Requirements and Efficient Per-commitment Secret Storage: our
// secrets from one seed, and the compact store of the counterparty's (at most 49 entries, whatever
// the number of commitments). Pure.
//
// API:
//   SHACHAIN_FIRST_INDEX = 2^48 - 1
//   generateFromSeed(seed, index): Uint8Array            BOLT 3 generate_from_seed
//   perCommitmentSecret(seed, commitmentNumber)          = generateFromSeed(seed, 2^48 - 1 - n)
//   commitmentIndex(commitmentNumber)                    = 2^48 - 1 - n
//   class ShachainStore { insert(index, secret); insertCommitment(n, secret); get(index);
//     getCommitment(n); lastIndex; size; toBytes(); static fromBytes(bytes) }
import { sha256 } from '../crypto/index.ts';
import { bigIntFromBytes } from '../util/bytes.ts';
import { ShachainError } from './errors.ts';

/** BOLT 3: "The first secret used MUST be index 281474976710655, and from there, the index is decremented." */
export const SHACHAIN_FIRST_INDEX = (1n << 48n) - 1n;

function needIndex(index: bigint): void {
  if (typeof index !== 'bigint' || index < 0n || index > SHACHAIN_FIRST_INDEX) throw new ShachainError(typeof index === 'bigint' ? index : -1n, 'index must be a 48-bit unsigned integer');
}

/** Flip bit `b` (bit b%8 of byte b/8) and hash, for each bit `bits-1 … 0` set in `index`. */
function deriveSecret(base: Uint8Array, bits: number, index: bigint): Uint8Array {
  // The index has 48 bits: test them as two 24-bit numbers rather than by BigInt shifts.
  const lo = Number(index & 0xff_ffffn);
  const hi = Number(index >> 24n);
  let p = base;
  for (let b = bits - 1; b >= 0; b--) {
    if ((b >= 24 ? hi >> (b - 24) : lo >> b) & 1) {
      const q = p.slice();
      q[b >> 3]! ^= 1 << (b & 7);
      p = sha256(q);
    }
  }
  return p === base ? base.slice() : p;
}

/** BOLT 3, generate_from_seed(seed, I): the I'th secret of the chain rooted at `seed`. */
export function generateFromSeed(seed: Uint8Array, index: bigint): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new ShachainError(index, 'seed must be 32 bytes');
  needIndex(index);
  return deriveSecret(seed, 48, index);
}

/** The shachain index of commitment number `n` (0 → 2^48 - 1). */
export function commitmentIndex(commitmentNumber: bigint): bigint {
  needIndex(commitmentNumber);
  return SHACHAIN_FIRST_INDEX - commitmentNumber;
}

/** Our per-commitment secret for commitment number `n`. */
export function perCommitmentSecret(seed: Uint8Array, commitmentNumber: bigint): Uint8Array {
  return generateFromSeed(seed, commitmentIndex(commitmentNumber));
}

/** where_to_put_secret: the number of trailing zero bits of `index` (48 for index 0, the seed). */
function bucketOf(index: bigint): number {
  for (let b = 0; b < 48; b++) if ((index >> BigInt(b)) & 1n) return b;
  return 48;
}

interface Entry {
  index: bigint;
  secret: Uint8Array;
}

/**
 * The counterparty's per-commitment secrets, stored compactly: one (index, secret) pair per count of
 * trailing zeros. Secrets must arrive in the order BOLT 3 gives them (2^48 - 1, then one less each
 * time); each new secret must derive every stored one it covers (insert_secret), else it comes from
 * another seed and is refused with {@link ShachainError}, leaving the store unchanged.
 */
export class ShachainStore {
  private readonly known: (Entry | undefined)[] = new Array(49).fill(undefined);
  private last: bigint | undefined;

  /** The index of the last secret inserted (the lowest), or undefined when empty. */
  get lastIndex(): bigint | undefined {
    return this.last;
  }
  /** How many (index, secret) pairs are held (at most 49). */
  get size(): number {
    return this.known.filter((e) => e !== undefined).length;
  }

  /** BOLT 3, insert_secret(secret, I). */
  insert(index: bigint, secret: Uint8Array): void {
    needIndex(index);
    if (!(secret instanceof Uint8Array) || secret.length !== 32) throw new ShachainError(index, 'secret must be 32 bytes');
    const expected = this.last === undefined ? SHACHAIN_FIRST_INDEX : this.last - 1n;
    if (index !== expected) throw new ShachainError(index, `out of order: the next index is ${expected}`);
    const B = bucketOf(index);
    for (let b = 0; b < B; b++) {
      const e = this.known[b];
      if (e === undefined) continue;
      const derived = deriveSecret(secret, B, e.index);
      if (!equal32(derived, e.secret)) throw new ShachainError(index, `does not derive the stored secret ${e.index}: not from the same seed`);
    }
    this.known[B] = { index, secret: secret.slice() };
    this.last = index;
  }

  /** Insert the secret that revokes commitment number `n`. */
  insertCommitment(commitmentNumber: bigint, secret: Uint8Array): void {
    this.insert(commitmentIndex(commitmentNumber), secret);
  }

  /** BOLT 3, derive_old_secret(I): the secret at `index`, or undefined if not received yet. */
  get(index: bigint): Uint8Array | undefined {
    needIndex(index);
    for (let b = 0; b < 49; b++) {
      const e = this.known[b];
      if (e === undefined) continue;
      // Mask off the non-zero prefix of the index: entry b's index has b trailing zeros.
      const mask = ~((1n << BigInt(b)) - 1n) & SHACHAIN_FIRST_INDEX;
      if ((index & mask) === e.index) return deriveSecret(e.secret, b, index);
    }
    return undefined;
  }

  /** The secret that revoked commitment number `n`, or undefined. */
  getCommitment(commitmentNumber: bigint): Uint8Array | undefined {
    return this.get(commitmentIndex(commitmentNumber));
  }

  /**
   * Persistent form: a count byte, then per entry its bucket (u8), index (u64 big-endian) and
   * secret (32 bytes), in bucket order. At most 1 + 49 × 41 bytes.
   */
  toBytes(): Uint8Array {
    const entries = this.known.map((e, b) => ({ e, b })).filter((x) => x.e !== undefined);
    const out = new Uint8Array(1 + entries.length * 41);
    const dv = new DataView(out.buffer);
    out[0] = entries.length;
    entries.forEach(({ e, b }, k) => {
      const o = 1 + k * 41;
      out[o] = b;
      dv.setBigUint64(o + 1, e!.index);
      out.set(e!.secret, o + 9);
    });
    return out;
  }

  /** Read {@link toBytes}' form back; throws {@link ShachainError} for anything it could not have written. */
  static fromBytes(bytes: Uint8Array): ShachainStore {
    const s = new ShachainStore();
    const n = bytes[0];
    if (n === undefined || n > 49 || bytes.length !== 1 + n * 41) throw new ShachainError(0n, 'stored shachain: bad length');
    let prev = -1;
    for (let k = 0; k < n; k++) {
      const o = 1 + k * 41;
      const b = bytes[o]!;
      const index = bigIntFromBytes(bytes.subarray(o + 1, o + 9));
      if (index > SHACHAIN_FIRST_INDEX) throw new ShachainError(index, 'stored shachain: index above 2^48 - 1');
      if (b <= prev || bucketOf(index) !== b) throw new ShachainError(index, `stored shachain: index does not belong in bucket ${b}`);
      prev = b;
      s.known[b] = { index, secret: bytes.slice(o + 9, o + 41) };
      if (s.last === undefined || index < s.last) s.last = index;
    }
    return s;
  }
}

function equal32(a: Uint8Array, b: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < 32; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
