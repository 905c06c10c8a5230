// Is a 33-byte compressed encoding a point of secp256k1? Without decompressing it.
//
// SEC 1 §2.3.4: `02|x` or `03|x` encodes a point when x < p and x³ + 7 has a square root mod p.
// Parsers (BOLT 1 `point`; BOLT 12 ids, path keys, blinded node ids) need only that yes/no, not the
// root. The libraries answer by computing the root, an exponentiation of ~270 field multiplications
// (19 µs in tiny-secp256k1's WASM, 59 µs in @noble/curves). The Legendre symbol of x³ + 7 gives the
// same answer; here it is computed with a binary GCD in ~3 µs. A BOLT 12 invoice carries five or more
// such points, so this is most of the cost of reading one after its signature.
//
// Method: "positive divsteps" (Bernstein & Yang, "Fast constant-time gcd computation and modular
// inversion", 2019, with the Jacobi-tracking variant libsecp256k1 uses for `secp256k1_fe_is_square_var`),
// written here for JavaScript numbers. With f odd, g > 0, the Jacobi symbol (g/f) obeys:
//   (g/f) = (2/f)·((g/2)/f)                   (2/f) = -1 exactly when f ≡ 3, 5 (mod 8)
//   (g/f) = ((g + w·f)/f)                     for any integer w ≥ 0
//   (g/f) = (f/g)·(-1)^((f-1)/2·(g-1)/2)      f, g odd and positive (quadratic reciprocity)
// Starting from f = p, g = x³ + 7 mod p, each step halves g, adds a multiple of f that clears g's low
// bits, or swaps f and g; all values stay positive and never grow. Every decision needs only the low
// bits of f and g, so steps run in batches of K = 26 on the low 32 bits, recording the batch as a 2×2
// matrix, which is then applied to the full numbers (ten 26-bit limbs held exactly in doubles). The
// sequence reaches f = 1, where (g/1) = 1 and the tracked sign is the answer. Typical inputs need 22–33
// batches; after MAX_BATCHES the caller falls back to the library (never seen in 10^6 random inputs).
// Public data only: variable time is fine.

import { bigIntFromBytes } from '../util/bytes.ts';

const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const LIMB_BITS = 26;
const LIMB = 2 ** LIMB_BITS;
const INV_LIMB = 2 ** -LIMB_BITS; // multiplying by it is exact, and faster than dividing
const LIMBS = 10; // 260 bits ≥ 256
/** Steps per batch. Equal to LIMB_BITS so applying a batch shifts by exactly one limb. */
const K = 26;
const MAX_BATCHES = 64;
const MASK26 = BigInt(LIMB - 1);
const POW2 = Array.from({ length: 33 }, (_, i) => 2 ** i);

function toLimbs(x: bigint, out: Float64Array): void {
  for (let i = 0; i < LIMBS; i++) {
    out[i] = Number(x & MASK26);
    x >>= 26n;
  }
}
const P_LIMBS = new Float64Array(LIMBS);
toLimbs(P, P_LIMBS);

// Scratch for one synchronous call (never held across calls, so many nodes can share the module).
const F = new Float64Array(LIMBS);
const G = new Float64Array(LIMBS);

/**
 * The Legendre symbol (y/p) for 0 < y < p: 1 (a square) or -1, or 0 when the batch limit ran out
 * (the caller then asks the library).
 */
export function legendreModP(y: bigint, maxBatches = MAX_BATCHES): 1 | -1 | 0 {
  F.set(P_LIMBS);
  toLimbs(y, G);
  let len = LIMBS;
  // eta = -delta of the divstep: its sign picks between halving/adding and swapping.
  let eta = -1;
  let jac = 0; // bit 0: the sign flips collected so far
  for (let batch = 0; batch < maxBatches; batch++) {
    // Low 32 bits of f and g. After i halvings only the low 32 - i bits are exact; each decision
    // below reads at most 6 of them and i ≤ K = 26.
    let f = F[0]! | (F[1]! << LIMB_BITS);
    let g = G[0]! | (G[1]! << LIMB_BITS);
    // The batch as a matrix: f_new·2^i = u·f + v·g, g_new·2^i = q·f + r·g. Each row's sum stays ≤ 2^i.
    let u = 1;
    let v = 0;
    let q = 0;
    let r = 1;
    let i = 0;
    for (;;) {
      // Halve g by all its trailing zero bits at once (a sentinel stops at the batch end).
      const s = g | (1 << (K - i));
      const zeros = 31 - Math.clz32(s & -s);
      g >>>= zeros;
      u *= POW2[zeros]!;
      v *= POW2[zeros]!;
      eta -= zeros;
      i += zeros;
      // (2/f) = -1 for f ≡ 3, 5 (mod 8): bit 1 xor bit 2 of f; counts only for an odd number of halvings.
      jac ^= zeros & ((f >> 1) ^ (f >> 2));
      if (i === K) break;
      // g is odd now.
      if (eta < 0) {
        // Swap: reciprocity flips the sign when f ≡ g ≡ 3 (mod 4).
        eta = -eta;
        let t = f;
        f = g;
        g = t;
        t = u;
        u = q;
        q = t;
        t = v;
        v = r;
        r = t;
        jac ^= (f & g) >> 1;
      }
      // Add w·f to clear the low `bits` bits of g: w = -g / f (mod 2^bits). Never past the batch end,
      // nor past the point where eta would change sign (the next swap is due there).
      let bits = eta + 1;
      if (bits > K - i) bits = K - i;
      if (bits > 6) bits = 6;
      let inv = f; // f·f ≡ 1 (mod 8) for odd f; one Newton step makes it f⁻¹ mod 64
      inv = Math.imul(inv, 2 - Math.imul(f, inv));
      const w = Math.imul(-g, inv) & ((1 << bits) - 1);
      g = (g + Math.imul(w, f)) | 0;
      q += w * u;
      r += w * v;
    }
    // Apply the batch: f = (u·F + v·G) / 2^26, g = (q·F + r·G) / 2^26, limb by limb. Every product is
    // below 2^26·2^26 and each row sum ≤ 2^26, so each limb's sum plus carry stays below 2^53 (exact).
    let cf = Math.floor((u * F[0]! + v * G[0]!) * INV_LIMB);
    let cg = Math.floor((q * F[0]! + r * G[0]!) * INV_LIMB);
    for (let j = 1; j < len; j++) {
      const fj = F[j]!;
      const gj = G[j]!;
      const tf = u * fj + v * gj + cf;
      const tg = q * fj + r * gj + cg;
      cf = Math.floor(tf * INV_LIMB);
      cg = Math.floor(tg * INV_LIMB);
      F[j - 1] = tf - cf * LIMB;
      G[j - 1] = tg - cg * LIMB;
    }
    F[len - 1] = cf;
    G[len - 1] = cg;
    if (F[0] === 1) {
      let rest = 0;
      for (let j = 1; j < len; j++) rest += F[j]!;
      // f = 1: (g/1) = 1, so (y/p) is the collected sign.
      if (rest === 0) return jac & 1 ? -1 : 1;
    }
    // Both shrank below the top limb: drop it.
    if (len > 2 && F[len - 1] === 0 && G[len - 1] === 0) len--;
  }
  return 0;
}

/**
 * Whether `p` (33 bytes) is a compressed secp256k1 point: prefix 02/03, x < p, x³ + 7 a square mod p.
 * `undefined` when the batch limit ran out: ask a library instead.
 */
export function compressedPointOnCurve(p: Uint8Array, maxBatches = MAX_BATCHES): boolean | undefined {
  if (p.length !== 33 || (p[0] !== 0x02 && p[0] !== 0x03)) return false;
  const x = bigIntFromBytes(p.subarray(1));
  if (x >= P) return false;
  // x³ + 7 ≠ 0 for every x: the group has prime order, so no point has y = 0.
  const l = legendreModP((((x * x) % P) * x + 7n) % P, maxBatches);
  return l === 0 ? undefined : l === 1;
}
