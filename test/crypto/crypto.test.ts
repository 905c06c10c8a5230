// src/crypto against published vectors (RFC 8439, RFC 5869, BIP340) and both secp256k1 back-ends
// against each other.
import { afterEach, describe, expect, it } from 'vitest';
import * as c from '../../src/crypto/index.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';

afterEach(() => {
  c.useSecp256k1Backend('tiny');
  c.useAeadBackend('auto');
});

describe('symmetric', () => {
  it('ChaCha20-Poly1305 matches RFC 8439 §2.8.2', () => {
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('070000004041424344454647');
    const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const pt = utf8.encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const sealed = c.chacha20poly1305Encrypt(key, nonce, ad, pt);
    expect(toHex(sealed.subarray(0, 16))).toBe('d31a8d34648e60db7b86afbc53ef7ec2');
    expect(toHex(sealed.subarray(sealed.length - 16))).toBe('1ae10b594f09e26a7e902ecbd0600691');
    expect(c.chacha20poly1305Decrypt(key, nonce, ad, sealed)).toEqual(pt);
    const bad = sealed.slice();
    bad[3]! ^= 1;
    expect(() => c.chacha20poly1305Decrypt(key, nonce, ad, bad)).toThrow(c.AeadError);
    expect(() => c.chacha20poly1305Decrypt(key, nonce, ad, new Uint8Array(5))).toThrow(c.AeadError);
  });
  it('libsodium (small messages) and node:crypto (all) seal and open alike, at every size boundary', () => {
    // sodium-native is a dependency: it must load here (unless switched off to test the fallback)
    if (process.env.BOLT12D_SODIUM !== 'off') expect(c.aeadBackendName()).toMatch(/libsodium/);
    else expect(c.aeadBackendName()).toBe('node:crypto');
    const r = c.deterministicRandom('aead');
    for (const n of [0, 1, 2, 16, 100, 1000, 8191, 8192, 8193, 20000, 65535]) {
      const key = r(32);
      const nonce = r(12);
      const ad = n % 2 ? r(7) : new Uint8Array(0);
      const pt = r(n);
      c.useAeadBackend('auto');
      const a = c.chacha20poly1305Encrypt(key, nonce, ad, pt);
      c.useAeadBackend('node');
      const b = c.chacha20poly1305Encrypt(key, nonce, ad, pt);
      expect(toHex(a)).toBe(toHex(b));
      for (const backend of ['auto', 'node'] as const) {
        c.useAeadBackend(backend);
        expect(toHex(c.chacha20poly1305Decrypt(key, nonce, ad, a))).toBe(toHex(pt));
        const bad = a.slice();
        bad[bad.length - 1]! ^= 0x80;
        expect(() => c.chacha20poly1305Decrypt(key, nonce, ad, bad)).toThrow(c.AeadError);
        expect(() => c.chacha20poly1305Decrypt(key, r(12), ad, a)).toThrow(c.AeadError);
      }
    }
  });
  it('ChaCha20 key stream matches RFC 8439 §2.4.2 (counter 1 = skip one block)', () => {
    const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const nonce = fromHex('000000000000004a00000000');
    const ks = c.chacha20Stream(key, 64 + 16, nonce).subarray(64);
    const pt = utf8.encode('Ladies and Gentl');
    expect(toHex(pt.map((b, i) => b ^ ks[i]!))).toBe('6e2e359a2568f98041ba0728dd0d6981');
  });
  it('BOLT 8 nonce is 4 zero bytes then the little-endian counter', () => {
    expect(toHex(c.bolt8Nonce(1))).toBe('000000000100000000000000');
    expect(toHex(c.bolt8Nonce(2 ** 32 + 2))).toBe('000000000200000001000000');
  });
  it('HKDF-SHA256 matches RFC 5869 test case 1', () => {
    const ikm = fromHex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
    const salt = fromHex('000102030405060708090a0b0c');
    const info = fromHex('f0f1f2f3f4f5f6f7f8f9');
    expect(toHex(c.hkdfSha256(salt, ikm, 42, info))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
  it('HMAC-SHA256 matches RFC 4231 test case 2', () => {
    expect(toHex(c.hmacSha256(utf8.encode('Jefe'), utf8.encode('what do ya want '), utf8.encode('for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
  it('taggedHash is SHA256(SHA256(tag)||SHA256(tag)||msg)', () => {
    const th = c.sha256(utf8.encode('BIP0340/challenge'));
    expect(c.taggedHash('BIP0340/challenge', fromHex('00'))).toEqual(c.sha256(th, th, fromHex('00')));
  });
});

describe('secp256k1', () => {
  const backends = ['tiny', 'noble'] as const;
  it('BIP340 test vector 0 and 1 sign and verify on every back-end', () => {
    for (const b of c.nativeSecp256k1Available() ? [...backends, 'native' as const] : backends) {
      c.useSecp256k1Backend(b);
      // BIP340 test-vectors.csv, index 0
      const sk0 = fromHex('0000000000000000000000000000000000000000000000000000000000000003');
      expect(toHex(c.xOnlyPublicKey(sk0))).toBe('f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9');
      const sig0 = c.signSchnorr(new Uint8Array(32), sk0, new Uint8Array(32));
      expect(toHex(sig0)).toBe(
        'e907831f80848d1069a5371b402410364bdf1c5f8307b0084c55f1ce2dca821525f66a4a85ea8b71e482a74f382d2ce5ebeee8fdb2172f477df4900d310536c0',
      );
      // index 1
      const sk1 = fromHex('b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef');
      const msg1 = fromHex('243f6a8885a308d313198a2e03707344a4093822299f31d0082efa98ec4e6c89');
      const aux1 = fromHex('0000000000000000000000000000000000000000000000000000000000000001');
      const sig1 = c.signSchnorr(msg1, sk1, aux1);
      expect(toHex(sig1)).toBe(
        '6896bd60eeae296db48a229ff71dfe071bde413e6d43f917dc8dcf8c78de33418906d11ac976abccb20b091292bff4ea897efcb639ea871cfa95f6de339e4b0a',
      );
      expect(c.verifySchnorr(msg1, c.xOnlyPublicKey(sk1), sig1)).toBe(true);
      expect(c.verifySchnorr(msg1, c.publicKey(sk1), sig1)).toBe(true);
      const bad = sig1.slice();
      bad[63]! ^= 1;
      expect(c.verifySchnorr(msg1, c.xOnlyPublicKey(sk1), bad)).toBe(false);
      expect(c.verifySchnorr(msg1, new Uint8Array(5), sig1)).toBe(false);
    }
  });

  it('both back-ends agree on keys, ECDH, tweaks and ECDSA', () => {
    const r = c.deterministicRandom('backend-agreement');
    for (let i = 0; i < 20; i++) {
      const a = r(32);
      const b = r(32);
      const msg = r(32);
      const res = backends.map((name) => {
        c.useSecp256k1Backend(name);
        const A = c.publicKey(a);
        return {
          A: toHex(A),
          ecdh: toHex(c.ecdh(b, A)),
          mul: toHex(c.pointMultiply(A, b)),
          add: toHex(c.pointAdd(A, c.publicKey(b))),
          padd: toHex(c.privateAdd(a, b)),
          pmul: toHex(c.privateMultiply(a, b)),
          sig: toHex(c.signEcdsa(msg, a)),
          ok: c.verifyEcdsa(msg, A, c.signEcdsa(msg, a)),
        };
      });
      expect(res[0]).toEqual(res[1]);
      expect(res[0]!.ok).toBe(true);
      // ECDH is symmetric: a·B = b·A
      expect(toHex(c.ecdh(a, c.publicKey(b)))).toBe(res[0]!.ecdh);
      // the private tweaks match the point tweaks
      expect(toHex(c.publicKey(c.privateMultiply(a, b)))).toBe(res[0]!.mul);
      expect(toHex(c.publicKey(c.privateAdd(a, b)))).toBe(res[0]!.add);
    }
  });

  it('ECDSA: low-S only, DER round trip, bad input refused with a typed error', () => {
    const sk = fromHex('0000000000000000000000000000000000000000000000000000000000000001'.replace(/1$/, '7'));
    const h = c.sha256(utf8.encode('x'));
    const sig = c.signEcdsa(h, sk);
    const s = BigInt('0x' + toHex(sig.subarray(32)));
    expect(s <= c.CURVE_ORDER / 2n).toBe(true);
    // high-S twin of a valid signature is rejected
    const highS = sig.slice();
    highS.set(fromHex((c.CURVE_ORDER - s).toString(16).padStart(64, '0')), 32);
    expect(c.verifyEcdsa(h, c.publicKey(sk), highS)).toBe(false);
    expect(c.signatureFromDer(c.signatureToDer(sig))).toEqual(sig);
    expect(() => c.signatureFromDer(fromHex('3000'))).toThrow(c.Secp256k1Error);
    expect(() => c.publicKey(new Uint8Array(32))).toThrow(c.Secp256k1Error);
    expect(() => c.ecdh(sk, fromHex('02' + '00'.repeat(32)))).toThrow(c.Secp256k1Error);
    expect(c.isPoint(fromHex('04' + '11'.repeat(32)))).toBe(false);
  });
});

describe('verifySchnorr key forms', () => {
  it('refuses a 33-byte key whose x is not on the curve, or with a bad prefix, on both back-ends', () => {
    const sk = fromHex('b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef');
    const msg = c.sha256(utf8.encode('m'));
    const sig = c.signSchnorr(msg, sk);
    for (const b of ['tiny', 'noble'] as const) {
      c.useSecp256k1Backend(b);
      const pub = c.publicKey(sk);
      expect(c.verifySchnorr(msg, pub, sig)).toBe(true);
      const otherParity = pub.slice();
      otherParity[0] = pub[0] === 2 ? 3 : 2; // BIP340 keys are x-only: parity does not matter
      expect(c.verifySchnorr(msg, otherParity, sig)).toBe(true);
      const badPrefix = pub.slice();
      badPrefix[0] = 4;
      expect(c.verifySchnorr(msg, badPrefix, sig)).toBe(false);
      // x = 5 is not on secp256k1 (5^3 + 7 = 132 is not a square mod p)
      const offCurve = fromHex('02' + '00'.repeat(31) + '05');
      expect(c.isPoint(offCurve)).toBe(false);
      expect(c.verifySchnorr(msg, offCurve, sig)).toBe(false);
    }
  });
});

describe('point operations validate their points (the library parses them: no double check)', () => {
  it('refuses off-curve and badly encoded points with a typed error, on both back-ends', () => {
    const sk = fromHex('00'.repeat(31) + '07');
    const good = c.publicKey(sk);
    const offCurve = fromHex('02' + '00'.repeat(31) + '05');
    const badPrefix = fromHex('05' + toHex(good.subarray(1)));
    const h = c.sha256(utf8.encode('x'));
    for (const b of ['tiny', 'noble'] as const) {
      c.useSecp256k1Backend(b);
      for (const p of [offCurve, badPrefix, good.subarray(0, 32)]) {
        expect(() => c.ecdh(sk, p)).toThrow(c.Secp256k1Error);
        expect(() => c.pointMultiply(p, sk)).toThrow(c.Secp256k1Error);
        expect(() => c.pointAdd(p, good)).toThrow(c.Secp256k1Error);
        expect(() => c.pointAdd(good, p)).toThrow(c.Secp256k1Error);
        expect(c.verifyEcdsa(h, p, c.signEcdsa(h, sk))).toBe(false);
      }
      // P + (−P) is the point at infinity
      const neg = good.slice();
      neg[0] = good[0] === 2 ? 3 : 2;
      expect(() => c.pointAdd(good, neg)).toThrow(/infinity/);
      expect(c.verifyEcdsa(h, good, c.signEcdsa(h, sk))).toBe(true);
    }
  });
});


describe('products with a secret we hold (paths to ourselves)', () => {
  it('ecdhKnownPoint, pointMultiplyKnown and privateMultiply give what the plain operations give, on every back-end', () => {
    const r = c.deterministicRandom('known-point');
    const names = c.nativeSecp256k1Available() ? (['native', 'tiny', 'noble'] as const) : (['tiny', 'noble'] as const);
    for (let i = 0; i < 25; i++) {
      const e = r(32);
      const k = r(32);
      const t = r(32);
      c.useSecp256k1Backend('noble');
      const K = c.publicKey(k);
      const want = { ss: toHex(c.ecdh(e, K)), B: toHex(c.pointMultiply(K, t)), et: toHex(c.privateMultiply(e, t)) };
      for (const name of names) {
        c.useSecp256k1Backend(name);
        expect({ ss: toHex(c.ecdhKnownPoint(e, k)), B: toHex(c.pointMultiplyKnown(k, t)), et: toHex(c.privateMultiply(e, t)) }, name).toEqual(want);
      }
    }
    // Edge scalars: 1 and n-1.
    const one = new Uint8Array(32);
    one[31] = 1;
    const nMinus1 = fromHex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140');
    for (const name of names) {
      c.useSecp256k1Backend(name);
      expect(toHex(c.privateMultiply(nMinus1, nMinus1)), name).toBe(toHex(one));
      expect(toHex(c.pointMultiplyKnown(one, nMinus1)), name).toBe(toHex(c.publicKey(nMinus1)));
      expect(() => c.ecdhKnownPoint(new Uint8Array(32), one), name).toThrow(/scalar/);
    }
  });

  it('the native back-end multiplies scalars without touching its inputs', () => {
    if (!c.nativeSecp256k1Available()) return;
    c.useSecp256k1Backend('native');
    const a = c.deterministicRandom('in-place')(32);
    const b = c.deterministicRandom('in-place 2')(32);
    const a0 = toHex(a);
    const b0 = toHex(b);
    c.privateMultiply(a, b);
    c.ecdhKnownPoint(a, b);
    expect([toHex(a), toHex(b)]).toEqual([a0, b0]);
  });
});

describe('BIP340 signing on the native binding', () => {
  it('signs byte for byte as tiny-secp256k1 (deterministic given aux) for 400 random keys, messages and aux, including odd-y keys', () => {
    if (!c.nativeSecp256k1Available()) return;
    const r = c.deterministicRandom('native-schnorr');
    let odd = 0;
    for (let i = 0; i < 400; i++) {
      const d = r(32);
      const m = r(32);
      const aux = i % 7 === 0 ? new Uint8Array(32) : r(32);
      if (!c.isPrivateKey(d)) continue;
      if (c.publicKey(d)[0] === 0x03) odd++;
      c.useSecp256k1Backend('tiny');
      const want = toHex(c.signSchnorr(m, d, aux));
      c.useSecp256k1Backend('native');
      const sig = c.signSchnorr(m, d, aux);
      expect(toHex(sig)).toBe(want);
      expect(c.verifySchnorr(m, c.xOnlyPublicKey(d), sig)).toBe(true);
    }
    expect(odd).toBeGreaterThan(100);
  });

  it('BIP340 vectors 2 and 3 (odd-y key, all-ones message) on the native binding', () => {
    if (!c.nativeSecp256k1Available()) return;
    c.useSecp256k1Backend('native');
    // BIP340 test-vectors.csv, index 2
    const sk2 = fromHex('c90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b14e5c9');
    expect(
      toHex(c.signSchnorr(fromHex('7e2d58d8b3bcdf1abadec7829054f90dda9805aab56c77333024b9d0a508b75c'), sk2, fromHex('c87aa53824b4d7ae2eb035a2b5bbbccc080e76cdc6d1692c4b0b62d798e6d906'))),
    ).toBe('5831aaeed7b44bb74e5eab94ba9d4294c49bcf2a60728d8b4c200f50dd313c1bab745879a5ad954a72c45a91c3a51d3c7adea98d82f8481e0e1e03674a6f3fb7');
    // index 3
    const sk3 = fromHex('0b432b2677937381aef05bb02a66ecd012773062cf3fa2549e44f58ed2401710');
    expect(toHex(c.signSchnorr(fromHex('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'), sk3, fromHex('ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff')))).toBe(
      '7eb0509757e246f19449885651611cb965ecc1a187dd51b64fda1edc9637d5ec97582b9cb13db3933705b32ba982af5af25fd78881ebb32771fc5922efc66ea3',
    );
  });

  it('does not touch the secret, message or aux it is given', () => {
    if (!c.nativeSecp256k1Available()) return;
    c.useSecp256k1Backend('native');
    const r = c.deterministicRandom('native-schnorr-inputs');
    const d = r(32);
    const m = r(32);
    const aux = r(32);
    const before = [d, m, aux].map(toHex);
    c.signSchnorr(m, d, aux);
    c.signSchnorr(m, d, aux);
    expect([d, m, aux].map(toHex)).toEqual(before);
  });
});
