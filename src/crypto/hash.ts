// Hashes, MACs and key derivation, served by node:crypto (native, ~10x the pure-JS rate).
import { createHash, createHmac, hkdfSync, pbkdf2Sync } from 'node:crypto';

/** SHA256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** HMAC-SHA256(key, concatenation of `parts`). */
export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/**
 * HKDF-SHA256 (RFC 5869). BOLT 8: `HKDF(salt, ikm)` is called with a zero-length `info` and
 * returns 64 bytes, split into two 32-byte keys.
 */
export function hkdfSha256(salt: Uint8Array, ikm: Uint8Array, length = 64, info: Uint8Array = new Uint8Array(0)): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
}

/** PBKDF2-HMAC-SHA512 (RFC 8018), as BIP39 turns a mnemonic into a seed. */
export function pbkdf2Sha512(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array {
  return new Uint8Array(pbkdf2Sync(password, salt, iterations, length, 'sha512'));
}

const tagCache = new Map<string, Uint8Array>();

/** BIP340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || msg...). */
export function taggedHash(tag: string | Uint8Array, ...msgs: Uint8Array[]): Uint8Array {
  let th: Uint8Array | undefined;
  if (typeof tag === 'string') {
    th = tagCache.get(tag);
    if (!th) {
      th = sha256(new TextEncoder().encode(tag));
      // Bounded: tags are compile-time constants in this code base, but never let it grow unbounded.
      if (tagCache.size < 256) tagCache.set(tag, th);
    }
  } else {
    th = sha256(tag);
  }
  return sha256(th, th, ...msgs);
}
