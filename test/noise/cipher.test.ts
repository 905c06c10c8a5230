// The cipher state beyond the vectors: uneven traffic (the shared-chaining-key bug), framing
// errors, and full handshakes with random keys.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deterministicRandom, publicKey } from '../../src/crypto/index.ts';
import { InitiatorHandshake, NoiseCipher, NoiseError, ResponderHandshake } from '../../src/noise/index.ts';
import { bytesEqual } from '../../src/util/bytes.ts';

function pair(seed: string): { a: NoiseCipher; b: NoiseCipher; aPub: Uint8Array; bPub: Uint8Array } {
  const rnd = deterministicRandom(seed);
  const aSec = rnd(32);
  const bSec = rnd(32);
  const i = new InitiatorHandshake({ localSecret: aSec, remoteStatic: publicKey(bSec), random: rnd });
  const r = new ResponderHandshake({ localSecret: bSec, random: rnd });
  r.readActOne(i.writeActOne());
  i.readActTwo(r.writeActTwo());
  const { act, cipher: a } = i.writeActThree();
  const { remoteStatic, cipher: b } = r.readActThree(act);
  expect(bytesEqual(remoteStatic, publicKey(aSec))).toBe(true);
  return { a, b, aPub: publicKey(aSec), bPub: publicKey(bSec) };
}

function roundTrip(from: NoiseCipher, to: NoiseCipher, m: Uint8Array): Uint8Array {
  const [lc, c] = from.encryptMessage(m);
  expect(lc.length).toBe(18);
  expect(to.decryptLength(lc)).toBe(m.length);
  return to.decryptBody(c);
}

describe('NoiseCipher', () => {
  it('keeps sending and receiving chaining keys separate under uneven traffic (past several rotations)', () => {
    const { a, b } = pair('uneven');
    // a sends 1700 messages (3 rotations of a's sk), b sends 260 (none), then interleave.
    for (let i = 0; i < 1700; i++) expect(roundTrip(a, b, new Uint8Array([i & 0xff, 1, 2])).length).toBe(3);
    for (let i = 0; i < 260; i++) roundTrip(b, a, new Uint8Array(40));
    const sa = a.debugState();
    expect(sa.send.n).toBe((1700 * 2) % 1000);
    expect(sa.recv.n).toBe(520);
    expect(bytesEqual(sa.send.ck, sa.recv.ck)).toBe(false); // sck rotated 3 times, rck never
    for (let i = 0; i < 1500; i++) {
      const m = new Uint8Array(i % 300).fill(i & 0xff);
      expect(bytesEqual(roundTrip(i % 3 ? a : b, i % 3 ? b : a, m), m)).toBe(true);
    }
  });

  it('rejects a tampered length prefix with a typed BAD_MAC', () => {
    const { a, b } = pair('tamper-len');
    const [lc] = a.encryptMessage(new Uint8Array(10));
    lc[0]! ^= 1;
    expect(() => b.decryptLength(lc)).toThrow(NoiseError);
    try {
      b.decryptLength(lc);
    } catch (e) {
      expect((e as NoiseError).code).toBe('BAD_MAC');
      expect((e as NoiseError).phase).toBe('length');
    }
  });

  it('rejects a tampered body with BAD_MAC and a body of the wrong size with BAD_LENGTH', () => {
    const { a, b } = pair('tamper-body');
    const [lc, c] = a.encryptMessage(new Uint8Array(10));
    expect(b.decryptLength(lc)).toBe(10);
    expect(() => b.decryptBody(c.subarray(0, 20))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    c[3]! ^= 0x80;
    expect(() => b.decryptBody(c)).toThrow(expect.objectContaining({ code: 'BAD_MAC', phase: 'body' }));
  });

  it('refuses to encrypt more than 65535 bytes and accepts exactly 65535', () => {
    const { a, b } = pair('max');
    expect(() => a.encryptMessage(new Uint8Array(65536))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    const m = new Uint8Array(65535).fill(7);
    expect(bytesEqual(roundTrip(a, b, m), m)).toBe(true);
  });

  it('enforces header-then-body order', () => {
    const { a, b } = pair('order');
    const [lc, c] = a.encryptMessage(new Uint8Array(1));
    expect(() => b.decryptBody(c)).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
    b.decryptLength(lc);
    expect(() => b.decryptLength(lc)).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
  });

  it('round-trips arbitrary messages in both directions (property)', () => {
    const { a, b } = pair('prop');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (m, dir) => {
        const out = dir ? roundTrip(a, b, m) : roundTrip(b, a, m);
        return bytesEqual(out, m);
      }),
      { numRuns: 300 },
    );
  });
});

describe('handshake state machines', () => {
  it('an initiator that dials the wrong node id fails act one at the responder (BAD_MAC)', () => {
    const rnd = deterministicRandom('wrong-id');
    const a = rnd(32);
    const b = rnd(32);
    const other = rnd(32);
    const i = new InitiatorHandshake({ localSecret: a, remoteStatic: publicKey(other), random: rnd });
    const r = new ResponderHandshake({ localSecret: b, random: rnd });
    expect(() => r.readActOne(i.writeActOne())).toThrow(expect.objectContaining({ code: 'BAD_MAC', phase: 'act1' }));
  });

  it('rejects an invalid remote static key and out-of-order calls', () => {
    const rnd = deterministicRandom('state');
    expect(() => new InitiatorHandshake({ localSecret: rnd(32), remoteStatic: new Uint8Array(33), random: rnd })).toThrow(
      expect.objectContaining({ code: 'BAD_KEY' }),
    );
    const r = new ResponderHandshake({ localSecret: rnd(32), random: rnd });
    expect(() => r.writeActTwo()).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
    expect(() => r.readActThree(new Uint8Array(66))).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
  });

  it('draws a new ephemeral key when the random source yields an invalid scalar', () => {
    const good = deterministicRandom('retry');
    let calls = 0;
    const rnd = (n: number) => (calls++ === 0 ? new Uint8Array(n) : good(n)); // 0 is not a valid key
    const b = good(32);
    const i = new InitiatorHandshake({ localSecret: good(32), remoteStatic: publicKey(b), random: rnd });
    expect(i.writeActOne().length).toBe(50);
    expect(calls).toBe(2);
  });
});
