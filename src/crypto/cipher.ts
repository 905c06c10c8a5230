// Symmetric ciphers. ChaCha20-Poly1305 is served by libsodium (sodium-native, a native binding)
// for messages up to 8 KiB and by node:crypto (OpenSSL) above: node:crypto costs ~2.7 µs a call
// whatever the size, libsodium ~0.6 µs for 100 bytes, and OpenSSL's vectorised ChaCha20 wins from
// ~16 KiB on (measured on this project's 2-core machine). BOLT 8 seals every message twice (the
// 18-byte length, then the body), so small messages are where the time goes. Without
// sodium-native (a platform it has no build for, or BOLT12D_SODIUM=off) node:crypto serves all.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createRequire } from 'node:module';

interface SodiumAead {
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number;
}

function loadSodium(): SodiumAead | undefined {
  if (process.env.BOLT12D_SODIUM === 'off') return undefined;
  try {
    return createRequire(import.meta.url)('sodium-native') as SodiumAead;
  } catch {
    return undefined;
  }
}

const sodiumLib = loadSodium();
let sodium: SodiumAead | undefined = sodiumLib;
/** Up to this many plaintext bytes, libsodium seals and opens (see the file comment). */
const SODIUM_MAX_BYTES = 8192;

/** Which library serves ChaCha20-Poly1305 for small messages (for logs and benchmarks only). */
export function aeadBackendName(): string {
  return sodium ? 'libsodium (<= 8 KiB) + node:crypto' : 'node:crypto';
}
/** Serve every AEAD from node:crypto (`'node'`), or small ones from libsodium when present (`'auto'`). Tests compare both. */
export function useAeadBackend(name: 'auto' | 'node'): void {
  sodium = name === 'node' ? undefined : sodiumLib;
}

/** The AEAD tag length of ChaCha20-Poly1305 (RFC 8439). */
export const AEAD_TAG_LEN = 16;

/** Error raised when an AEAD tag does not verify (BOLT 8: "bad MAC"). */
export class AeadError extends Error {
  readonly code = 'AEAD_BAD_MAC';
  constructor() {
    super('ChaCha20-Poly1305: authentication tag does not verify');
  }
}

/**
 * The 96-bit nonce BOLT 8 uses: 32 zero bits, then the 64-bit little-endian counter `n`.
 */
export function bolt8Nonce(n: number): Uint8Array {
  const iv = new Uint8Array(12);
  const dv = new DataView(iv.buffer);
  dv.setUint32(4, n >>> 0, true);
  dv.setUint32(8, Math.floor(n / 0x1_0000_0000), true);
  return iv;
}

/** ChaCha20-Poly1305 (IETF, RFC 8439) encryption: returns ciphertext || 16-byte tag. */
export function chacha20poly1305Encrypt(key: Uint8Array, nonce12: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (sodium && plaintext.length <= SODIUM_MAX_BYTES) {
    const out = new Uint8Array(plaintext.length + AEAD_TAG_LEN);
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, ad.length > 0 ? ad : null, null, nonce12, key);
    return out;
  }
  const c = createCipheriv('chacha20-poly1305', key, nonce12, { authTagLength: AEAD_TAG_LEN });
  // An empty AD authenticates the same as no AD (RFC 8439 §2.8: pad16 of nothing is nothing);
  // skipping the call saves ~1 µs per BOLT 8 frame.
  if (ad.length > 0) c.setAAD(ad, { plaintextLength: plaintext.length });
  const head = c.update(plaintext);
  c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(head.length + AEAD_TAG_LEN);
  out.set(head, 0);
  out.set(tag, head.length);
  return out;
}

/** ChaCha20-Poly1305 decryption of ciphertext || tag; throws {@link AeadError} on a bad tag. */
export function chacha20poly1305Decrypt(key: Uint8Array, nonce12: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < AEAD_TAG_LEN) throw new AeadError();
  const ctLen = sealed.length - AEAD_TAG_LEN;
  if (sodium && ctLen <= SODIUM_MAX_BYTES) {
    const out = new Uint8Array(ctLen);
    try {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, sealed, ad.length > 0 ? ad : null, nonce12, key);
    } catch {
      throw new AeadError();
    }
    return out;
  }
  const d = createDecipheriv('chacha20-poly1305', key, nonce12, { authTagLength: AEAD_TAG_LEN });
  if (ad.length > 0) d.setAAD(ad, { plaintextLength: ctLen });
  d.setAuthTag(sealed.subarray(ctLen));
  const out = d.update(sealed.subarray(0, ctLen));
  try {
    d.final();
  } catch {
    throw new AeadError();
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * The ChaCha20 key stream (RFC 8439 block function, counter starting at 0) XORed over `data`.
 * With `data` all zeros it is the raw stream BOLT 4 uses to build and peel onions.
 */
export function chacha20(key: Uint8Array, nonce12: Uint8Array, data: Uint8Array): Uint8Array {
  // OpenSSL's chacha20 takes a 16-byte IV: 4-byte little-endian block counter, then the 12-byte nonce.
  const iv = new Uint8Array(16);
  iv.set(nonce12, 4);
  const c = createCipheriv('chacha20', key, iv);
  const out = c.update(data);
  c.final();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** `length` bytes of ChaCha20 key stream under `key` with an all-zero nonce (BOLT 4 `generate_cipher_stream`). */
export function chacha20Stream(key: Uint8Array, length: number, nonce12: Uint8Array = new Uint8Array(12)): Uint8Array {
  return chacha20(key, nonce12, new Uint8Array(length));
}
