// BOLT 8 Authenticated Key Exchange (Noise_XK_secp256k1_ChaChaPoly_SHA256) as two state machines.
// Pure: bytes in, bytes out; the ephemeral key comes from an injected RandomSource.
//
//   initiator                                        responder
//   const i = new InitiatorHandshake(...)            const r = new ResponderHandshake(...)
//   send(i.writeActOne())                 ──50──▶    r.readActOne(act1)
//   i.readActTwo(act2)                    ◀──50──    send(r.writeActTwo())
//   const { act, cipher } = i.writeActThree()
//   send(act)                             ──66──▶    const { remoteStatic, cipher } = r.readActThree(act3)
//
// Every method's body is the spec's numbered steps, one comment per step, so it can be read
// side by side with 08-transport.md. A failing step throws NoiseError naming act and step.
import {
  AeadError,
  chacha20poly1305Decrypt,
  chacha20poly1305Encrypt,
  Secp256k1Error,
  ecdh,
  hkdfSha256,
  isPoint,
  isPrivateKey,
  publicKey,
  sha256,
  type RandomSource,
} from '../crypto/index.ts';
import { NoiseCipher } from './cipher.ts';
import { NoiseError, type NoisePhase } from './errors.ts';

/** Act One: 1 byte version, 33 bytes ephemeral key, 16 bytes MAC. */
export const ACT_ONE_SIZE = 50;
/** Act Two: same layout as act one. */
export const ACT_TWO_SIZE = 50;
/** Act Three: 1 byte version, 33+16 bytes encrypted static key, 16 bytes MAC. */
export const ACT_THREE_SIZE = 66;
/** The only handshake version defined: 0. */
export const HANDSHAKE_VERSION = 0;

const enc = new TextEncoder();
const ZERO = new Uint8Array(0);
/** "where `protocolName = "Noise_XK_secp256k1_ChaChaPoly_SHA256"` encoded as an ASCII string" */
const PROTOCOL_NAME = enc.encode('Noise_XK_secp256k1_ChaChaPoly_SHA256');
/** "where `prologue` is the ASCII string: `lightning`" */
const PROLOGUE = enc.encode('lightning');
// Handshake State Initialization, steps 1-3, are constants: compute them once.
// 1. h = SHA-256(protocolName)
const INIT_H1 = sha256(PROTOCOL_NAME);
// 2. ck = h
const INIT_CK = INIT_H1;
// 3. h = SHA-256(h || prologue)
const INIT_H = sha256(INIT_H1, PROLOGUE);

/** BOLT 8 `encryptWithAD(k, n, ad, plaintext)`: nonce = 32 zero bits || little-endian 64-bit n. */
function encryptWithAD(k: Uint8Array, n: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305Encrypt(k, nonce(n), ad, plaintext);
}

/** BOLT 8 `decryptWithAD`: returns null when the MAC does not verify. */
function decryptWithAD(k: Uint8Array, n: number, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
  try {
    return chacha20poly1305Decrypt(k, nonce(n), ad, ciphertext);
  } catch (e) {
    if (e instanceof AeadError) return null;
    throw e;
  }
}

function nonce(n: number): Uint8Array {
  const iv = new Uint8Array(12);
  iv[4] = n & 0xff; // handshake nonces are 0 or 1
  return iv;
}

/** `HKDF(salt, ikm)` split into its two 32-byte halves. */
function hkdf2(salt: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const okm = hkdfSha256(salt, ikm);
  return [okm.slice(0, 32), okm.slice(32, 64)];
}

/** `generateKey()`: a fresh secp256k1 keypair from the injected randomness. */
function generateKey(random: RandomSource): { priv: Uint8Array; pub: Uint8Array } {
  for (let i = 0; i < 16; i++) {
    const priv = random(32);
    if (isPrivateKey(priv)) return { priv, pub: publicKey(priv) };
  }
  throw new NoiseError('BAD_KEY', 'act1', 1, 'random source produced no valid secp256k1 key in 16 tries');
}

/**
 * `ECDH(k, rk)`. An invalid remote key is detected here (src/crypto validates the point before
 * multiplying; checking it again beforehand would cost a second point decompression per act) and
 * reported as the parse step that received it.
 */
function dh(priv: Uint8Array, pub: Uint8Array, phase: NoisePhase, parseStep: number, name: string): Uint8Array {
  try {
    return ecdh(priv, pub);
  } catch (e) {
    if (e instanceof Secp256k1Error) throw new NoiseError('BAD_KEY', phase, parseStep, `${name} is not a valid compressed public key`);
    throw e;
  }
}

function checkSize(m: Uint8Array, size: number, phase: NoisePhase): void {
  // 1. Read _exactly_ N bytes from the network buffer.
  if (!(m instanceof Uint8Array) || m.length !== size) {
    throw new NoiseError('SHORT_READ', phase, 1, `expected exactly ${size} bytes, got ${m?.length ?? 0}`);
  }
}

function checkVersion(v: number, phase: NoisePhase): void {
  // 3. If `v` is an unrecognized handshake version, then the responder MUST abort the connection attempt.
  if (v !== HANDSHAKE_VERSION) throw new NoiseError('BAD_VERSION', phase, 3, `unknown handshake version ${v}`);
}

type State = 'start' | 'act1' | 'act2' | 'done' | 'failed';

/** The variables both sides keep: `ck`, `h`, the intermediate key and the ephemeral keypair. */
abstract class HandshakeBase {
  protected ck: Uint8Array = INIT_CK;
  protected h: Uint8Array = INIT_H;
  protected tempK2: Uint8Array = ZERO;
  protected e: { priv: Uint8Array; pub: Uint8Array } | null = null;
  protected re: Uint8Array = ZERO;
  protected state: State = 'start';
  protected readonly ls: Uint8Array;
  protected readonly lsPub: Uint8Array;

  constructor(
    localSecret: Uint8Array,
    protected readonly random: RandomSource,
    localPublicKey?: Uint8Array,
  ) {
    if (!isPrivateKey(localSecret)) throw new NoiseError('BAD_KEY', 'act1', 0, 'local static key is not a valid secret key');
    this.ls = localSecret;
    // Deriving the public key costs as much as a third of an ECDH: callers that keep it pass it.
    this.lsPub = localPublicKey ?? publicKey(localSecret);
  }

  /** Our static public key (33 bytes). */
  get localPublicKey(): Uint8Array {
    return this.lsPub;
  }

  protected expect(state: State, what: string, phase: NoisePhase): void {
    if (this.state !== state) throw new NoiseError('BAD_STATE', phase, 0, `${what} called in state ${this.state}`);
  }

  /** Runs one act; any failure leaves the machine in 'failed' so it cannot be reused. */
  protected guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }

  protected mixHash(data: Uint8Array): void {
    this.h = sha256(this.h, data);
  }
}

/** The side that dials: knows the responder's node id (`rs`) in advance. */
export class InitiatorHandshake extends HandshakeBase {
  private readonly rs: Uint8Array;

  /**
   * @param opts.localPublicKey optional, MUST be `publicKey(localSecret)` (saves deriving it).
   */
  constructor(opts: { localSecret: Uint8Array; remoteStatic: Uint8Array; random: RandomSource; localPublicKey?: Uint8Array }) {
    super(opts.localSecret, opts.random, opts.localPublicKey);
    if (!isPoint(opts.remoteStatic)) throw new NoiseError('BAD_KEY', 'act1', 0, 'remote static key is not a valid compressed point');
    this.rs = opts.remoteStatic;
    // "The initiating node mixes in the responding node's static public key serialized in
    //  Bitcoin's compressed format: h = SHA-256(h || rs.pub.serializeCompressed())"
    this.mixHash(this.rs);
  }

  /** The responder's static public key we dialled. */
  get remoteStatic(): Uint8Array {
    return this.rs;
  }

  /** Act One, sender actions. Returns the 50 bytes to send. */
  writeActOne(): Uint8Array {
    this.expect('start', 'writeActOne', 'act1');
    return this.guard(() => {
      // 1. e = generateKey()
      const e = (this.e = generateKey(this.random));
      // 2. h = SHA-256(h || e.pub.serializeCompressed())
      this.mixHash(e.pub);
      // 3. es = ECDH(e.priv, rs)
      const es = ecdh(e.priv, this.rs);
      // 4. ck, temp_k1 = HKDF(ck, es)
      const [ck, tempK1] = hkdf2(this.ck, es);
      this.ck = ck;
      // 5. c = encryptWithAD(temp_k1, 0, h, zero)
      const c = encryptWithAD(tempK1, 0, this.h, ZERO);
      // 6. h = SHA-256(h || c)
      this.mixHash(c);
      // 7. Send m = 0 || e.pub.serializeCompressed() || c to the responder over the network buffer.
      const m = new Uint8Array(ACT_ONE_SIZE);
      m[0] = HANDSHAKE_VERSION;
      m.set(e.pub, 1);
      m.set(c, 34);
      this.state = 'act1';
      return m;
    });
  }

  /** Act Two, receiver actions. `m` must be exactly the 50 bytes received. */
  readActTwo(m: Uint8Array): void {
    this.expect('act1', 'readActTwo', 'act2');
    this.guard(() => {
      // 1. Read _exactly_ 50 bytes from the network buffer.
      checkSize(m, ACT_TWO_SIZE, 'act2');
      // 2. Parse the read message (m) into v, re, and c
      const v = m[0]!;
      const re = m.slice(1, 34);
      const c = m.subarray(34, 50);
      // 3. If v is an unrecognized handshake version, then the responder MUST abort the connection attempt.
      checkVersion(v, 'act2');
      this.re = re;
      // 4. h = SHA-256(h || re.serializeCompressed())
      this.mixHash(re);
      // 5. ee = ECDH(e.priv, re)   (an invalid `re` from step 2 is detected here)
      const ee = dh(this.e!.priv, re, 'act2', 2, 're');
      // 6. ck, temp_k2 = HKDF(ck, ee)
      const [ck, tempK2] = hkdf2(this.ck, ee);
      this.ck = ck;
      this.tempK2 = tempK2;
      // 7. p = decryptWithAD(temp_k2, 0, h, c)
      //    If the MAC check in this operation fails, then the initiator MUST terminate the connection.
      if (decryptWithAD(tempK2, 0, this.h, c) === null) throw new NoiseError('BAD_MAC', 'act2', 7, 'act two MAC does not verify');
      // 8. h = SHA-256(h || c)
      this.mixHash(c);
      this.state = 'act2';
    });
  }

  /** Act Three, sender actions. Returns the 66 bytes to send and the transport cipher. */
  writeActThree(): { act: Uint8Array; cipher: NoiseCipher } {
    this.expect('act2', 'writeActThree', 'act3');
    return this.guard(() => {
      // 1. c = encryptWithAD(temp_k2, 1, h, s.pub.serializeCompressed())
      const c = encryptWithAD(this.tempK2, 1, this.h, this.lsPub);
      // 2. h = SHA-256(h || c)
      this.mixHash(c);
      // 3. se = ECDH(s.priv, re)
      const se = ecdh(this.ls, this.re);
      // 4. ck, temp_k3 = HKDF(ck, se)
      const [ck, tempK3] = hkdf2(this.ck, se);
      this.ck = ck;
      // 5. t = encryptWithAD(temp_k3, 0, h, zero)
      const t = encryptWithAD(tempK3, 0, this.h, ZERO);
      // 6. sk, rk = HKDF(ck, zero)
      const [sk, rk] = hkdf2(this.ck, ZERO);
      // 7. rn = 0, sn = 0  and  8. rck = sck = ck  (both inside NoiseCipher)
      const cipher = new NoiseCipher(sk, rk, this.ck);
      // 9. Send m = 0 || c || t over the network buffer.
      const m = new Uint8Array(ACT_THREE_SIZE);
      m[0] = HANDSHAKE_VERSION;
      m.set(c, 1);
      m.set(t, 50);
      this.state = 'done';
      this.e = null;
      return { act: m, cipher };
    });
  }
}

/** The side that listens: learns the initiator's node id in act three. */
export class ResponderHandshake extends HandshakeBase {
  /**
   * @param opts.localPublicKey optional, MUST be `publicKey(localSecret)` (saves deriving it).
   */
  constructor(opts: { localSecret: Uint8Array; random: RandomSource; localPublicKey?: Uint8Array }) {
    super(opts.localSecret, opts.random, opts.localPublicKey);
    // "The responding node mixes in their local static public key serialized in Bitcoin's
    //  compressed format: h = SHA-256(h || ls.pub.serializeCompressed())"
    this.mixHash(this.lsPub);
  }

  /** Act One, receiver actions. `m` must be exactly the 50 bytes received. */
  readActOne(m: Uint8Array): void {
    this.expect('start', 'readActOne', 'act1');
    this.guard(() => {
      // 1. Read _exactly_ 50 bytes from the network buffer.
      checkSize(m, ACT_ONE_SIZE, 'act1');
      // 2. Parse the read message (m) into v, re, and c
      const v = m[0]!;
      const re = m.slice(1, 34);
      const c = m.subarray(34, 50);
      // 3. If v is an unrecognized handshake version, then the responder MUST abort the connection attempt.
      checkVersion(v, 'act1');
      this.re = re;
      // 4. h = SHA-256(h || re.serializeCompressed())
      this.mixHash(re);
      // 5. es = ECDH(s.priv, re)   (an invalid `re` from step 2 is detected here)
      const es = dh(this.ls, re, 'act1', 2, 're');
      // 6. ck, temp_k1 = HKDF(ck, es)
      const [ck, tempK1] = hkdf2(this.ck, es);
      this.ck = ck;
      // 7. p = decryptWithAD(temp_k1, 0, h, c)
      //    If the MAC check in this operation fails, then the initiator does _not_ know the
      //    responder's static public key: the responder MUST terminate the connection.
      if (decryptWithAD(tempK1, 0, this.h, c) === null) throw new NoiseError('BAD_MAC', 'act1', 7, 'act one MAC does not verify');
      // 8. h = SHA-256(h || c)
      this.mixHash(c);
      this.state = 'act1';
    });
  }

  /** Act Two, sender actions. Returns the 50 bytes to send. */
  writeActTwo(): Uint8Array {
    this.expect('act1', 'writeActTwo', 'act2');
    return this.guard(() => {
      // 1. e = generateKey()
      const e = (this.e = generateKey(this.random));
      // 2. h = SHA-256(h || e.pub.serializeCompressed())
      this.mixHash(e.pub);
      // 3. ee = ECDH(e.priv, re)
      const ee = ecdh(e.priv, this.re);
      // 4. ck, temp_k2 = HKDF(ck, ee)
      const [ck, tempK2] = hkdf2(this.ck, ee);
      this.ck = ck;
      this.tempK2 = tempK2;
      // 5. c = encryptWithAD(temp_k2, 0, h, zero)
      const c = encryptWithAD(tempK2, 0, this.h, ZERO);
      // 6. h = SHA-256(h || c)
      this.mixHash(c);
      // 7. Send m = 0 || e.pub.serializeCompressed() || c to the initiator over the network buffer.
      const m = new Uint8Array(ACT_TWO_SIZE);
      m[0] = HANDSHAKE_VERSION;
      m.set(e.pub, 1);
      m.set(c, 34);
      this.state = 'act2';
      return m;
    });
  }

  /** Act Three, receiver actions. Returns the initiator's static key (its node id) and the cipher. */
  readActThree(m: Uint8Array): { remoteStatic: Uint8Array; cipher: NoiseCipher } {
    this.expect('act2', 'readActThree', 'act3');
    return this.guard(() => {
      // 1. Read _exactly_ 66 bytes from the network buffer.
      checkSize(m, ACT_THREE_SIZE, 'act3');
      // 2. Parse the read message (m) into v, c, and t
      const v = m[0]!;
      const c = m.subarray(1, 50);
      const t = m.subarray(50, 66);
      // 3. If v is an unrecognized handshake version, then the responder MUST abort the connection attempt.
      checkVersion(v, 'act3');
      // 4. rs = decryptWithAD(temp_k2, 1, h, c)
      //    If the MAC check in this operation fails, then the responder MUST terminate the connection.
      const rsBytes = decryptWithAD(this.tempK2, 1, this.h, c);
      if (rsBytes === null) throw new NoiseError('BAD_MAC', 'act3', 4, 'encrypted static key MAC does not verify');
      const rs = Uint8Array.from(rsBytes);
      // 5. h = SHA-256(h || c)
      this.mixHash(c);
      // 6. se = ECDH(e.priv, rs)   (an invalid `rs` from step 4 is detected here)
      const se = dh(this.e!.priv, rs, 'act3', 4, 'rs');
      // 7. ck, temp_k3 = HKDF(ck, se)
      const [ck, tempK3] = hkdf2(this.ck, se);
      this.ck = ck;
      // 8. p = decryptWithAD(temp_k3, 0, h, t)
      //    If the MAC check in this operation fails, then the responder MUST terminate the connection.
      if (decryptWithAD(tempK3, 0, this.h, t) === null) throw new NoiseError('BAD_MAC', 'act3', 8, 'act three MAC does not verify');
      // 9. rk, sk = HKDF(ck, zero)
      const [rk, sk] = hkdf2(this.ck, ZERO);
      // 10. rn = 0, sn = 0  and  11. rck = sck = ck  (both inside NoiseCipher)
      const cipher = new NoiseCipher(sk, rk, this.ck);
      this.state = 'done';
      this.e = null;
      return { remoteStatic: rs, cipher };
    });
  }
}
