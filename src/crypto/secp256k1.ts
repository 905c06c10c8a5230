// secp256k1: keys, ECDH (BOLT 4/8), ECDSA (low-S, compact and DER), BIP340 Schnorr, tweaks.
//
// Two back-ends serve the same interface: tiny-secp256k1 (libsecp256k1 compiled to WASM, the hot
// path) and @noble/curves (portable pure JS). Callers never see which one answers; set
// BOLT12D_SECP256K1=noble to force the fallback, and the tests check both agree.
//
// ECDSA sign and verify have a third, faster back-end when it loads: the `secp256k1` package's
// native libsecp256k1 binding (a prebuilt binary inside the npm package, no build step). Gossip
// ingest verifies ~500k signatures for a mainnet graph, and measured here a native verify costs
// ~50–60 µs against ~235 µs in WASM and ~1,270 µs in pure JS. It serves ECDSA and public keys
// from secrets only (it has no BIP340), and only when the main back-end is tiny-secp256k1: BOLT12D_SECP256K1=native (the
// default) uses it when it loads, =tiny never does, =noble uses @noble/curves for everything.
import * as tiny from 'tiny-secp256k1';
import { createRequire } from 'node:module';
import { secp256k1 as nobleSecp, schnorr as nobleSchnorr } from '@noble/curves/secp256k1.js';
import { sha256, taggedHash } from './hash.ts';
import { compressedPointOnCurve } from './point-check.ts';
import { bigIntFromBytes } from '../util/bytes.ts';

/** Raised for an invalid key, point, scalar or signature encoding. */
export class Secp256k1Error extends Error {
  readonly code = 'SECP256K1';
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function to32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

interface Backend {
  name: string;
  isPoint(p: Uint8Array): boolean;
  isPrivate(d: Uint8Array): boolean;
  pointFromScalar(d: Uint8Array): Uint8Array | null;
  pointMultiply(p: Uint8Array, t: Uint8Array): Uint8Array | null;
  pointAdd(a: Uint8Array, b: Uint8Array): Uint8Array | null;
  privateAdd(d: Uint8Array, t: Uint8Array): Uint8Array | null;
  signEcdsa(h: Uint8Array, d: Uint8Array): Uint8Array;
  verifyEcdsa(h: Uint8Array, q: Uint8Array, sig: Uint8Array): boolean;
  signSchnorr(h: Uint8Array, d: Uint8Array, aux: Uint8Array): Uint8Array;
  verifySchnorr(h: Uint8Array, xonly: Uint8Array, sig: Uint8Array): boolean;
}

const tinyBackend: Backend = {
  name: 'tiny-secp256k1',
  isPoint: (p) => p.length === 33 && tiny.isPoint(p),
  isPrivate: (d) => d.length === 32 && tiny.isPrivate(d),
  pointFromScalar: (d) => tiny.pointFromScalar(d, true),
  pointMultiply: (p, t) => tiny.pointMultiply(p, t, true),
  pointAdd: (a, b) => tiny.pointAdd(a, b, true),
  privateAdd: (d, t) => tiny.privateAdd(d, t),
  signEcdsa: (h, d) => tiny.sign(h, d),
  // strict = true: reject high-S signatures (BOLT 7/2 signatures are low-S).
  verifyEcdsa: (h, q, sig) => tiny.verify(h, q, sig, true),
  signSchnorr: (h, d, aux) => tiny.signSchnorr(h, d, aux),
  verifySchnorr: (h, x, sig) => tiny.verifySchnorr(h, x, sig),
};

const P = nobleSecp.Point;
function noblePoint(p: Uint8Array) {
  return P.fromBytes(p);
}
const nobleBackend: Backend = {
  name: '@noble/curves',
  isPoint: (p) => {
    if (p.length !== 33) return false;
    try {
      noblePoint(p).assertValidity();
      return true;
    } catch {
      return false;
    }
  },
  isPrivate: (d) => {
    if (d.length !== 32) return false;
    const x = bigIntFromBytes(d);
    return x > 0n && x < N;
  },
  pointFromScalar: (d) => {
    const x = bigIntFromBytes(d);
    if (x === 0n || x >= N) return null;
    return P.BASE.multiply(x).toBytes(true);
  },
  pointMultiply: (p, t) => {
    const x = bigIntFromBytes(t);
    if (x === 0n || x >= N) return null;
    return noblePoint(p).multiply(x).toBytes(true);
  },
  pointAdd: (a, b) => {
    const r = noblePoint(a).add(noblePoint(b));
    if (r.equals(P.ZERO)) return null;
    return r.toBytes(true);
  },
  privateAdd: (d, t) => {
    const tt = bigIntFromBytes(t);
    if (tt >= N) return null;
    const r = (bigIntFromBytes(d) + tt) % N;
    return r === 0n ? null : to32(r);
  },
  signEcdsa: (h, d) => nobleSecp.sign(h, d, { prehash: false, lowS: true }),
  verifyEcdsa: (h, q, sig) => {
    try {
      return nobleSecp.verify(sig, h, q, { prehash: false, lowS: true });
    } catch {
      return false;
    }
  },
  signSchnorr: (h, d, aux) => nobleSchnorr.sign(h, d, aux),
  verifySchnorr: (h, x, sig) => {
    try {
      return nobleSchnorr.verify(sig, h, x);
    } catch {
      return false;
    }
  },
};

/** The native binding's share of {@link Backend}: ECDSA over compact signatures, and `d·G`. */
interface EcdsaBackend {
  name: string;
  signEcdsa(h: Uint8Array, d: Uint8Array): Uint8Array;
  verifyEcdsa(h: Uint8Array, q: Uint8Array, sig: Uint8Array): boolean;
  pointFromScalar(d: Uint8Array): Uint8Array | null;
  /** `(d · t) mod n`, in constant time (libsecp256k1's scalar arithmetic); absent on the JS back-ends. */
  scalarMultiply?(d: Uint8Array, t: Uint8Array): Uint8Array;
  /** BIP340 signing (absent: the main back-end's). */
  signSchnorr?(h: Uint8Array, d: Uint8Array, aux: Uint8Array): Uint8Array;
}

interface NativeSecp256k1 {
  privateKeyVerify(seckey: Uint8Array): boolean;
  privateKeyNegate(seckey: Uint8Array): Uint8Array;
  privateKeyTweakAdd(seckey: Uint8Array, tweak: Uint8Array): Uint8Array;
  privateKeyTweakMul(seckey: Uint8Array, tweak: Uint8Array): Uint8Array;
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaVerify(sig: Uint8Array, msg32: Uint8Array, pubkey: Uint8Array): boolean;
  publicKeyCreate(seckey: Uint8Array, compressed: boolean): Uint8Array;
}

/**
 * The native binding, or null when it does not load (no prebuilt binary for this platform, or
 * the package absent). `secp256k1/bindings.js` is required directly: the package's main entry
 * falls back to a pure-JS implementation silently, which would hide a missing binary.
 */
function loadNative(): EcdsaBackend | null {
  let lib: NativeSecp256k1;
  try {
    lib = createRequire(import.meta.url)('secp256k1/bindings.js') as NativeSecp256k1;
  } catch {
    return null;
  }
  return {
    name: 'secp256k1 (native)',
    // libsecp256k1 signs with RFC 6979 nonces and always produces low-S signatures.
    signEcdsa: (h, d) => lib.ecdsaSign(h, d).signature,
    // secp256k1_ecdsa_verify refuses high-S signatures ("only accepts lower-S"), like tiny's strict mode.
    verifyEcdsa: (h, q, sig) => lib.ecdsaVerify(sig, h, q),
    // Public keys from secrets: ~10x tiny-secp256k1's WASM here (which has no precomputed tables);
    // callers check the scalar first (publicKey's mustScalar), so the binding never throws.
    pointFromScalar: (d) => lib.publicKeyCreate(d, true),
    // secp256k1_ec_seckey_tweak_mul works in place: on a copy. Both operands are valid scalars
    // (callers check), so the product is one too (n is prime) and the binding does not throw.
    scalarMultiply: (d, t) => lib.privateKeyTweakMul(new Uint8Array(d), t),
    signSchnorr: (h, d, aux) => nativeSignSchnorr(lib, h, d, aux),
  };
}

/**
 * BIP340 "Default Signing" on libsecp256k1's primitives: the binding has no Schnorr signing, and
 * tiny-secp256k1's WASM takes ~190 µs a signature (two multiplications of G without precomputed
 * tables) against ~60 µs here. Every step on a secret runs in libsecp256k1 in constant time
 * (multiplication of G, negation, scalar product and sum); the branches are on public values (the
 * parity of P and R, the challenge), or on events of probability ~2^-128 (a nonce or result out of
 * range), which go to tiny-secp256k1's own signer. Checked against BIP340's vectors and against
 * tiny-secp256k1 byte for byte (test/crypto/crypto.test.ts).
 */
function nativeSignSchnorr(lib: NativeSecp256k1, m: Uint8Array, secret: Uint8Array, aux: Uint8Array): Uint8Array {
  // P = d'·G; d = d' if has_even_y(P) else n - d'.
  const P = lib.publicKeyCreate(secret, true);
  const d = new Uint8Array(secret);
  if (P[0] === 0x03) lib.privateKeyNegate(d);
  const px = P.subarray(1);
  // t = bytes(d) xor hash_BIP0340/aux(a); rand = hash_BIP0340/nonce(t || bytes(P) || m).
  const t = taggedHash('BIP0340/aux', aux);
  for (let i = 0; i < 32; i++) t[i]! ^= d[i]!;
  const k = taggedHash('BIP0340/nonce', t, px, m);
  t.fill(0);
  // k' = int(rand) mod n, and k' = 0 fails: both out-of-range cases left to the library signer.
  if (!lib.privateKeyVerify(k)) {
    d.fill(0);
    return tiny.signSchnorr(m, secret, aux);
  }
  // R = k'·G; k = k' if has_even_y(R) else n - k'.
  const R = lib.publicKeyCreate(k, true);
  if (R[0] === 0x03) lib.privateKeyNegate(k);
  const rx = R.subarray(1);
  // e = int(hash_BIP0340/challenge(bytes(R) || bytes(P) || m)) mod n (public).
  let e = taggedHash('BIP0340/challenge', rx, px, m);
  if (bigIntFromBytes(e) >= N) e = to32(bigIntFromBytes(e) % N);
  try {
    // sig = bytes(R) || bytes((k + e·d) mod n).
    const sig = new Uint8Array(64);
    sig.set(rx, 0);
    sig.set(lib.privateKeyTweakAdd(lib.privateKeyTweakMul(d, e), k), 32);
    return sig;
  } catch {
    // e = 0 or k + e·d = 0 mod n.
    return tiny.signSchnorr(m, secret, aux);
  } finally {
    d.fill(0);
    k.fill(0);
  }
}
const nativeEcdsa = loadNative();

export type Secp256k1BackendChoice = 'native' | 'tiny' | 'noble';

let backend: Backend = tinyBackend;
let ecdsaBackend: EcdsaBackend = tinyBackend;
let choice: Secp256k1BackendChoice = 'tiny';
useSecp256k1Backend(
  process.env.BOLT12D_SECP256K1 === 'noble' ? 'noble' : process.env.BOLT12D_SECP256K1 === 'tiny' || !nativeEcdsa ? 'tiny' : 'native',
);

/** Which library serves secp256k1 now (for logs and benchmarks only). */
export function secp256k1BackendName(): string {
  return ecdsaBackend === backend ? backend.name : `${backend.name} + ${ecdsaBackend.name} ECDSA`;
}
/** Whether the native ECDSA binding loaded on this machine. */
export function nativeSecp256k1Available(): boolean {
  return nativeEcdsa !== null;
}
/**
 * Switch back-ends (tests compare them). `native`: tiny-secp256k1 with ECDSA on the native binding
 * (a Secp256k1Error when it did not load); `tiny`: tiny-secp256k1 for everything; `noble`:
 * @noble/curves for everything.
 */
export function useSecp256k1Backend(name: Secp256k1BackendChoice): void {
  if (name === 'native' && !nativeEcdsa) throw new Secp256k1Error('the native secp256k1 binding did not load on this machine');
  backend = name === 'noble' ? nobleBackend : tinyBackend;
  ecdsaBackend = name === 'native' ? nativeEcdsa! : backend;
  choice = name;
}
/** The back-end chosen now (verification workers start with the same one). */
export function currentSecp256k1Backend(): Secp256k1BackendChoice {
  return choice;
}

function need(cond: boolean, what: string): void {
  if (!cond) throw new Secp256k1Error(what);
}
/**
 * Run a point operation whose library call parses (and so validates) its input points itself:
 * checking them first would only add work (isPoint ~3 µs on top of the library's own ~19 µs
 * decompression in WASM). Only the encoding is checked here; a point off the curve comes back from
 * the library as a throw or null.
 */
function onPoints<T>(what: string, points: Uint8Array[], op: () => T | null): T {
  for (const p of points) {
    need(p instanceof Uint8Array && p.length === 33 && (p[0] === 0x02 || p[0] === 0x03), `${what}: not a valid compressed secp256k1 point`);
  }
  let r: T | null;
  try {
    r = op();
  } catch {
    throw new Secp256k1Error(`${what}: not a valid compressed secp256k1 point`);
  }
  need(r !== null, `${what}: result is the point at infinity`);
  return r!;
}
function mustScalar(d: Uint8Array, what = 'secret key'): void {
  need(d instanceof Uint8Array && backend.isPrivate(d), `${what}: not a valid secp256k1 scalar (0 < d < n)`);
}
function mustBytes(b: Uint8Array, len: number, what: string): void {
  need(b instanceof Uint8Array && b.length === len, `${what}: must be ${len} bytes`);
}

/** The secp256k1 group order n. */
export const CURVE_ORDER = N;

/**
 * True when `p` is a valid 33-byte compressed point on the curve. Answered by a Legendre symbol
 * (point-check.ts, ~3 µs) rather than the library's decompression (~19 µs); the library decides in
 * the never-seen case where that runs out of steps.
 */
export function isPoint(p: Uint8Array): boolean {
  if (!(p instanceof Uint8Array)) return false;
  return compressedPointOnCurve(p) ?? backend.isPoint(p);
}
/** The library's own answer to {@link isPoint} (by decompression), for tests. */
export function isPointByLibrary(p: Uint8Array): boolean {
  return p instanceof Uint8Array && backend.isPoint(p);
}
/** True when `d` is a valid secret key: 32 bytes, 0 < d < n. */
export function isPrivateKey(d: Uint8Array): boolean {
  return d instanceof Uint8Array && backend.isPrivate(d);
}
/** The 33-byte compressed public key of `secret`. */
export function publicKey(secret: Uint8Array): Uint8Array {
  mustScalar(secret);
  return ecdsaBackend.pointFromScalar(secret)!;
}
/** The 32-byte BIP340 x-only public key of `secret`. */
export function xOnlyPublicKey(secret: Uint8Array): Uint8Array {
  return publicKey(secret).subarray(1);
}

/**
 * ECDH as BOLT 4 and BOLT 8 define it: SHA256 of the compressed encoding of `secret · point`.
 */
export function ecdh(secret: Uint8Array, point: Uint8Array): Uint8Array {
  mustScalar(secret);
  return sha256(onPoints('ecdh: point', [point], () => backend.pointMultiply(point, secret)));
}

/** `point · tweak` (tweak a 32-byte scalar). Used by route blinding: B(i) = HMAC(...) · N(i). */
export function pointMultiply(point: Uint8Array, tweak: Uint8Array): Uint8Array {
  mustScalar(tweak, 'tweak');
  return onPoints('pointMultiply: point', [point], () => backend.pointMultiply(point, tweak));
}
/** `a + b` of two points. */
export function pointAdd(a: Uint8Array, b: Uint8Array): Uint8Array {
  return onPoints('pointAdd: point', [a, b], () => backend.pointAdd(a, b));
}
/** `(secret + tweak) mod n`. */
export function privateAdd(secret: Uint8Array, tweak: Uint8Array): Uint8Array {
  mustScalar(secret);
  mustBytes(tweak, 32, 'tweak');
  const r = backend.privateAdd(secret, tweak);
  need(r !== null, 'privateAdd: result is zero or tweak out of range');
  return r!;
}
/** `(secret · tweak) mod n`. Used by BOLT 4 for ephemeral key rotation: e(i+1) = e(i) · b(i). */
export function privateMultiply(secret: Uint8Array, tweak: Uint8Array): Uint8Array {
  mustScalar(secret);
  mustScalar(tweak, 'tweak');
  // tiny-secp256k1 has no scalar · scalar: libsecp256k1's through the native binding (constant
  // time) when it is in use, else plain modular arithmetic.
  if (ecdsaBackend.scalarMultiply) return ecdsaBackend.scalarMultiply(secret, tweak);
  return to32((bigIntFromBytes(secret) * bigIntFromBytes(tweak)) % N);
}

/**
 * `ecdh(secret, publicKey(known))` for a point whose secret we hold (route blinding towards our
 * own node): e·(k·G) = (e·k)·G, so one multiplication of the generator, with its precomputed
 * tables, replaces a multiplication of an arbitrary point (about 6x here). Only where the scalar
 * product runs in constant time (the native binding); otherwise the plain computation, since both
 * scalars are secrets.
 */
export function ecdhKnownPoint(secret: Uint8Array, known: Uint8Array): Uint8Array {
  mustScalar(secret);
  mustScalar(known, 'known secret');
  if (ecdsaBackend.scalarMultiply) return sha256(ecdsaBackend.pointFromScalar(ecdsaBackend.scalarMultiply(secret, known))!);
  return ecdh(secret, publicKey(known));
}

/** `pointMultiply(publicKey(known), tweak)` for a point whose secret we hold: (k·t)·G, as above. */
export function pointMultiplyKnown(known: Uint8Array, tweak: Uint8Array): Uint8Array {
  mustScalar(known, 'known secret');
  mustScalar(tweak, 'tweak');
  if (ecdsaBackend.scalarMultiply) return ecdsaBackend.pointFromScalar(ecdsaBackend.scalarMultiply(known, tweak))!;
  return pointMultiply(publicKey(known), tweak);
}

/** ECDSA over a 32-byte digest: 64-byte compact `r || s`, low-S (RFC 6979 nonces). */
export function signEcdsa(digest32: Uint8Array, secret: Uint8Array): Uint8Array {
  mustBytes(digest32, 32, 'digest');
  mustScalar(secret);
  return ecdsaBackend.signEcdsa(digest32, secret);
}
/** Verify a compact 64-byte ECDSA signature; high-S signatures are rejected. */
export function verifyEcdsa(digest32: Uint8Array, pub: Uint8Array, sig64: Uint8Array): boolean {
  if (!(digest32 instanceof Uint8Array) || digest32.length !== 32) return false;
  if (!(sig64 instanceof Uint8Array) || sig64.length !== 64) return false;
  // The library parses (and so validates) `pub` itself: no separate point check.
  if (!(pub instanceof Uint8Array) || pub.length !== 33 || (pub[0] !== 0x02 && pub[0] !== 0x03)) return false;
  if (!scalarInRange(sig64, 0) || !scalarInRange(sig64, 32)) return false;
  try {
    return ecdsaBackend.verifyEcdsa(digest32, pub, sig64);
  } catch {
    return false;
  }
}

const N_BYTES = to32(N);
/** 0 < b[off..off+32] < n, compared byte by byte (no bigint: this runs once per gossip signature). */
function scalarInRange(b: Uint8Array, off: number): boolean {
  let zero = true;
  for (let i = 0; i < 32; i++) {
    if (b[off + i] !== 0) {
      zero = false;
      break;
    }
  }
  if (zero) return false;
  for (let i = 0; i < 32; i++) {
    const x = b[off + i]!;
    const n = N_BYTES[i]!;
    if (x !== n) return x < n;
  }
  return false; // equal to n
}

/**
 * Verify `count` compact ECDSA signatures packed in one buffer, each record `digest (32) || pubkey
 * (33) || signature (64)` ({@link ECDSA_RECORD_LEN} bytes); `out[i]` is set to 1 when record `i`
 * verifies, else 0. For verification workers, which receive a batch as one transferred buffer.
 */
export function verifyEcdsaPacked(records: Uint8Array, count: number, out: Uint8Array): void {
  if (records.length < count * ECDSA_RECORD_LEN || out.length < count) throw new RangeError('verifyEcdsaPacked: buffers too short');
  for (let i = 0, o = 0; i < count; i++, o += ECDSA_RECORD_LEN) {
    out[i] = verifyEcdsa(records.subarray(o, o + 32), records.subarray(o + 32, o + 65), records.subarray(o + 65, o + 129)) ? 1 : 0;
  }
}
/** Bytes per record of {@link verifyEcdsaPacked}: digest 32 + compressed key 33 + signature 64. */
export const ECDSA_RECORD_LEN = 129;
/** Compact 64-byte signature → DER. */
export function signatureToDer(sig64: Uint8Array): Uint8Array {
  mustBytes(sig64, 64, 'signature');
  return nobleSecp.Signature.fromBytes(sig64, 'compact').toBytes('der');
}
/** DER signature → compact 64 bytes (throws {@link Secp256k1Error} on bad DER). */
export function signatureFromDer(der: Uint8Array): Uint8Array {
  try {
    return nobleSecp.Signature.fromBytes(der, 'der').toBytes('compact');
  } catch (e) {
    throw new Secp256k1Error(`signature: bad DER encoding (${(e as Error).message})`);
  }
}

/** BIP340 Schnorr signature of a 32-byte message. `aux32` is the auxiliary randomness (injected). */
export function signSchnorr(msg32: Uint8Array, secret: Uint8Array, aux32: Uint8Array = new Uint8Array(32)): Uint8Array {
  mustBytes(msg32, 32, 'message');
  mustScalar(secret);
  mustBytes(aux32, 32, 'aux randomness');
  return (ecdsaBackend.signSchnorr ?? backend.signSchnorr)(msg32, secret, aux32);
}
/**
 * BIP340 verification. `pub` may be a 32-byte x-only key or a 33-byte compressed key (BOLT 12
 * carries node ids as 33-byte points and verifies against their x coordinate).
 */
export function verifySchnorr(msg32: Uint8Array, pub: Uint8Array, sig64: Uint8Array): boolean {
  if (!(msg32 instanceof Uint8Array) || msg32.length !== 32) return false;
  if (!(sig64 instanceof Uint8Array) || sig64.length !== 64) return false;
  if (!(pub instanceof Uint8Array)) return false;
  let x: Uint8Array;
  if (pub.length === 33) {
    // BIP340 verification lifts x (failing when it is not on the curve) and ignores the parity,
    // so checking the whole point first would only decompress it twice.
    if (pub[0] !== 0x02 && pub[0] !== 0x03) return false;
    x = pub.subarray(1);
  } else if (pub.length === 32) {
    x = pub;
  } else return false;
  try {
    return backend.verifySchnorr(msg32, x, sig64);
  } catch {
    return false;
  }
}
