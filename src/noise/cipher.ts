// The BOLT 8 cipher state after the handshake: framing (encrypted length header + encrypted body),
// nonces, and key rotation with SEPARATE sending and receiving chaining keys (`sck`, `rck`).
//
// Usage (one per connection, created by the handshake):
//   const [lc, c] = cipher.encryptMessage(msg);           // write lc then c to the socket
//   const len = cipher.decryptLength(first18bytes);       // throws NoiseError on a bad MAC
//   const msg = cipher.decryptBody(next(len + 16 bytes));  // throws NoiseError on a bad MAC
import { AEAD_TAG_LEN, AeadError, chacha20poly1305Decrypt, chacha20poly1305Encrypt, hkdfSha256 } from '../crypto/index.ts';
import { NoiseError } from './errors.ts';

/** BOLT 8: "The *maximum* size of _any_ Lightning message MUST NOT exceed `65535` bytes." */
export const MAX_MESSAGE_LEN = 65535;
/** The encrypted length prefix: 2-byte length + 16-byte MAC. */
export const LENGTH_HEADER_LEN = 2 + AEAD_TAG_LEN;
/** The MAC that follows every encrypted body. */
export const BODY_MAC_LEN = AEAD_TAG_LEN;
/** "A key is to be rotated after a party encrypts or decrypts 1000 times with it." */
export const KEY_ROTATION_INTERVAL = 1000;

const EMPTY = new Uint8Array(0);

/**
 * One direction of the transport: a key `k`, its nonce `n` and its own chaining key `ck`.
 * BOLT 8 rotates `sk` with `sck` and `rk` with `rck` *individually*; keeping one object per
 * direction makes a shared chaining key impossible by construction.
 */
class DirectionalKey {
  private k: Uint8Array;
  private ck: Uint8Array;
  private n = 0;
  /** The 96-bit nonce: 32 zero bits, then `n` as a 64-bit little-endian value. Reused (the AEAD copies it). */
  private readonly nonce = new Uint8Array(12);
  private readonly nonceView = new DataView(this.nonce.buffer);

  constructor(k: Uint8Array, ck: Uint8Array) {
    this.k = Uint8Array.from(k);
    this.ck = Uint8Array.from(ck);
  }

  /** The nonce for the next operation. `n` never exceeds 1000 (it is reset on rotation). */
  currentNonce(): Uint8Array {
    this.nonceView.setUint32(4, this.n, true);
    return this.nonce;
  }

  get key(): Uint8Array {
    return this.k;
  }

  /** "The nonce ... MUST be incremented after this step", then rotate once it reaches 1000. */
  advance(): void {
    this.n++;
    if (this.n === KEY_ROTATION_INTERVAL) this.rotate();
  }

  // BOLT 8, Lightning Message Key Rotation.
  private rotate(): void {
    // 1. Let `ck` be the chaining key (i.e. `rck` for `rk` or `sck` for `sk`)
    // 2. `ck', k' = HKDF(ck, k)`
    const okm = hkdfSha256(this.ck, this.k);
    // 3. Reset the nonce for the key to `n = 0`.
    this.n = 0;
    // 4. `k = k'`
    this.k = okm.slice(32, 64);
    // 5. `ck = ck'`
    this.ck = okm.slice(0, 32);
  }

  /** Test hook: the current key, chaining key and nonce (copies). */
  snapshot(): { k: Uint8Array; ck: Uint8Array; n: number } {
    return { k: this.k.slice(), ck: this.ck.slice(), n: this.n };
  }
}

/** The transport cipher state of one connection (BOLT 8, Lightning Message Specification). */
export class NoiseCipher {
  private readonly send: DirectionalKey;
  private readonly recv: DirectionalKey;
  /** Length announced by the last decrypted header, or -1 when a header is expected next. */
  private pendingBodyLen = -1;

  /**
   * @param sk key for messages we send; @param rk key for messages we receive;
   * @param ck the final handshake chaining key: "rck = sck = ck" (act three, step 8 / 11).
   */
  constructor(sk: Uint8Array, rk: Uint8Array, ck: Uint8Array) {
    if (sk.length !== 32 || rk.length !== 32 || ck.length !== 32) {
      throw new NoiseError('BAD_STATE', 'encrypt', 0, 'sk, rk and ck must be 32 bytes');
    }
    this.send = new DirectionalKey(sk, ck);
    this.recv = new DirectionalKey(rk, ck);
  }

  /**
   * BOLT 8, Encrypting and Sending Messages. Returns `[lc, c]`: the 18-byte encrypted length
   * prefix and the encrypted body with its MAC; the wire bytes are `lc || c`.
   */
  encryptMessage(m: Uint8Array): [Uint8Array, Uint8Array] {
    // 1. Let `l = len(m)`.
    const l = m.length;
    if (l > MAX_MESSAGE_LEN) {
      throw new NoiseError('BAD_LENGTH', 'encrypt', 1, `message of ${l} bytes exceeds 65535`);
    }
    // 2. Serialize `l` into 2 bytes encoded as a big-endian integer.
    const lbytes = new Uint8Array(2);
    lbytes[0] = l >>> 8;
    lbytes[1] = l & 0xff;
    // 3. Encrypt `l` (using `ChaChaPoly-1305`, `sn`, and `sk`), to obtain `lc` (18 bytes)
    //    ... The nonce `sn` MUST be incremented after this step.
    const lc = chacha20poly1305Encrypt(this.send.key, this.send.currentNonce(), EMPTY, lbytes);
    this.send.advance();
    // 4. Finally, encrypt the message itself (`m`) ... The nonce `sn` MUST be incremented after this step.
    const c = chacha20poly1305Encrypt(this.send.key, this.send.currentNonce(), EMPTY, m);
    this.send.advance();
    // 5. Send `lc || c` over the network buffer.
    return [lc, c];
  }

  /** `lc || c` as one buffer (one extra copy; prefer {@link encryptMessage} with a vectored write). */
  encryptFrame(m: Uint8Array): Uint8Array {
    const [lc, c] = this.encryptMessage(m);
    const out = new Uint8Array(lc.length + c.length);
    out.set(lc, 0);
    out.set(c, lc.length);
    return out;
  }

  /**
   * BOLT 8, Receiving and Decrypting Messages, steps 1-3: decrypt the 18-byte length prefix and
   * return `l`; the caller then reads exactly `l + 16` bytes for {@link decryptBody}.
   * Throws NoiseError BAD_MAC when the prefix does not authenticate: the stream can no longer be
   * framed and the connection must be dropped.
   */
  decryptLength(lc: Uint8Array): number {
    if (this.pendingBodyLen !== -1) throw new NoiseError('BAD_STATE', 'length', 0, 'a body is expected next');
    // 1. Read _exactly_ 18 bytes from the network buffer.
    if (lc.length !== LENGTH_HEADER_LEN) {
      throw new NoiseError('SHORT_READ', 'length', 1, `length prefix must be 18 bytes, got ${lc.length}`);
    }
    // 3. Decrypt `lc` (using `ChaCha20-Poly1305`, `rn`, and `rk`), to obtain the size of the encrypted packet `l`.
    //    ... The nonce `rn` MUST be incremented after this step.
    const lbytes = this.open(lc, 'length', 3);
    const l = (lbytes[0]! << 8) | lbytes[1]!;
    this.pendingBodyLen = l;
    return l;
  }

  /** Steps 4-5: decrypt the `l + 16` bytes that follow a length prefix; returns the message. */
  decryptBody(c: Uint8Array): Uint8Array {
    const l = this.pendingBodyLen;
    if (l === -1) throw new NoiseError('BAD_STATE', 'body', 0, 'a length prefix is expected next');
    // 4. Read _exactly_ `l+16` bytes from the network buffer
    if (c.length !== l + BODY_MAC_LEN) {
      throw new NoiseError('BAD_LENGTH', 'body', 4, `expected ${l + BODY_MAC_LEN} bytes, got ${c.length}`);
    }
    // 5. Decrypt `c` (using `ChaCha20-Poly1305`, `rn`, and `rk`), to obtain decrypted plaintext packet `p`.
    //    ... The nonce `rn` MUST be incremented after this step.
    const p = this.open(c, 'body', 5);
    this.pendingBodyLen = -1;
    return p;
  }

  /** The body length the next {@link decryptBody} expects, or -1 when a length prefix is expected. */
  get expectedBodyLength(): number {
    return this.pendingBodyLen;
  }

  private open(sealed: Uint8Array, phase: 'length' | 'body', step: number): Uint8Array {
    let p: Uint8Array;
    try {
      p = chacha20poly1305Decrypt(this.recv.key, this.recv.currentNonce(), EMPTY, sealed);
    } catch (e) {
      if (e instanceof AeadError) {
        throw new NoiseError('BAD_MAC', phase, step, phase === 'length' ? 'length prefix MAC does not verify' : 'message MAC does not verify');
      }
      throw e;
    }
    this.recv.advance();
    return p;
  }

  /** Test hook: the state of each direction (copies). */
  debugState(): { send: { k: Uint8Array; ck: Uint8Array; n: number }; recv: { k: Uint8Array; ck: Uint8Array; n: number } } {
    return { send: this.send.snapshot(), recv: this.recv.snapshot() };
  }
}
