// BOLT 8 Appendix A: every handshake and message-encryption vector, including every failure case.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { InitiatorHandshake, NoiseCipher, NoiseError, ResponderHandshake, type NoiseErrorCode } from '../../src/noise/index.ts';

type Case = Record<string, string | undefined> & { name: string };
const hs = JSON.parse(readFileSync(new URL('../vectors/bolt08/handshake.json', import.meta.url), 'utf8')) as {
  initiator: Case[];
  responder: Case[];
};
const msgVec = JSON.parse(readFileSync(new URL('../vectors/bolt08/message-encryption.json', import.meta.url), 'utf8')) as {
  test: { ck: string; sk: string; rk: string; plaintext: string; outputs: { n: number; output: string }[] };
};

/** The spec's expected_error → our typed error (code, act, spec receiver step). */
const EXPECTED: Record<string, { code: NoiseErrorCode; phase: string; step: number }> = {
  ACT1_READ_FAILED: { code: 'SHORT_READ', phase: 'act1', step: 1 },
  ACT1_BAD_VERSION: { code: 'BAD_VERSION', phase: 'act1', step: 3 },
  ACT1_BAD_PUBKEY: { code: 'BAD_KEY', phase: 'act1', step: 2 },
  ACT1_BAD_TAG: { code: 'BAD_MAC', phase: 'act1', step: 7 },
  ACT2_READ_FAILED: { code: 'SHORT_READ', phase: 'act2', step: 1 },
  'ACT2_BAD_VERSION 1': { code: 'BAD_VERSION', phase: 'act2', step: 3 },
  ACT2_BAD_PUBKEY: { code: 'BAD_KEY', phase: 'act2', step: 2 },
  ACT2_BAD_TAG: { code: 'BAD_MAC', phase: 'act2', step: 7 },
  ACT3_READ_FAILED: { code: 'SHORT_READ', phase: 'act3', step: 1 },
  'ACT3_BAD_VERSION 1': { code: 'BAD_VERSION', phase: 'act3', step: 3 },
  ACT3_BAD_CIPHERTEXT: { code: 'BAD_MAC', phase: 'act3', step: 4 },
  ACT3_BAD_PUBKEY: { code: 'BAD_KEY', phase: 'act3', step: 4 },
  ACT3_BAD_TAG: { code: 'BAD_MAC', phase: 'act3', step: 8 },
};

function fixed(hex: string) {
  const k = fromHex(hex);
  return (n: number) => {
    expect(n).toBe(32);
    return k.slice();
  };
}

function expectNoiseError(f: () => unknown, expected: string): void {
  const want = EXPECTED[expected];
  expect(want, `mapping for ${expected}`).toBeDefined();
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NoiseError);
  const ne = err as NoiseError;
  expect({ code: ne.code, phase: ne.phase, step: ne.step }).toEqual(want);
}

describe('BOLT 8 handshake vectors: initiator', () => {
  it('covers every initiator case in the file', () => {
    expect(hs.initiator.length).toBe(5);
  });
  for (const v of hs.initiator) {
    it(v.name, () => {
      expect(toHex(new InitiatorHandshake({ localSecret: fromHex(v['ls.priv']!), remoteStatic: fromHex(v['rs.pub']!), random: fixed(v['e.priv']!) }).localPublicKey)).toBe(v['ls.pub']);
      const i = new InitiatorHandshake({ localSecret: fromHex(v['ls.priv']!), remoteStatic: fromHex(v['rs.pub']!), random: fixed(v['e.priv']!) });
      expect(toHex(i.writeActOne())).toBe(v.act1_output);
      if (v.expected_error) {
        expectNoiseError(() => i.readActTwo(fromHex(v.act2_input!)), v.expected_error);
        // A failed machine cannot be driven further.
        expect(() => i.writeActThree()).toThrow(NoiseError);
        return;
      }
      i.readActTwo(fromHex(v.act2_input!));
      const { act, cipher } = i.writeActThree();
      expect(toHex(act)).toBe(v.act3_output);
      const st = cipher.debugState();
      expect(toHex(st.send.k)).toBe(v.sk);
      expect(toHex(st.recv.k)).toBe(v.rk);
    });
  }
});

describe('BOLT 8 handshake vectors: responder', () => {
  it('covers every responder case in the file', () => {
    expect(hs.responder.length).toBe(10); // 1 success + 9 failures (the README summary says 8)
    for (const v of [...hs.initiator, ...hs.responder]) if (v.expected_error) expect(EXPECTED[v.expected_error]).toBeDefined();
  });
  for (const v of hs.responder) {
    it(v.name, () => {
      const r = new ResponderHandshake({ localSecret: fromHex(v['ls.priv']!), random: fixed(v['e.priv']!) });
      expect(toHex(r.localPublicKey)).toBe(v['ls.pub']);
      if (v.expected_error?.startsWith('ACT1')) {
        expectNoiseError(() => r.readActOne(fromHex(v.act1_input!)), v.expected_error);
        expect(() => r.writeActTwo()).toThrow(NoiseError);
        return;
      }
      r.readActOne(fromHex(v.act1_input!));
      expect(toHex(r.writeActTwo())).toBe(v.act2_output);
      if (v.expected_error) {
        expectNoiseError(() => r.readActThree(fromHex(v.act3_input!)), v.expected_error);
        return;
      }
      const { remoteStatic, cipher } = r.readActThree(fromHex(v.act3_input!));
      expect(toHex(remoteStatic)).toBe('034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa');
      const st = cipher.debugState();
      expect(toHex(st.send.k)).toBe(v.sk);
      expect(toHex(st.recv.k)).toBe(v.rk);
    });
  }
});

describe('BOLT 8 message encryption vectors (key rotation)', () => {
  const t = msgVec.test;
  it('the successful handshake ends with the vector ck, sk, rk', () => {
    const v = hs.initiator[0]!;
    const i = new InitiatorHandshake({ localSecret: fromHex(v['ls.priv']!), remoteStatic: fromHex(v['rs.pub']!), random: fixed(v['e.priv']!) });
    i.writeActOne();
    i.readActTwo(fromHex(v.act2_input!));
    const st = i.writeActThree().cipher.debugState();
    expect(toHex(st.send.ck)).toBe(t.ck);
    expect(toHex(st.recv.ck)).toBe(t.ck);
    expect(toHex(st.send.k)).toBe(t.sk);
  });

  it('encrypts "hello" 1002 times and matches frames 0, 1, 500, 501, 1000, 1001; the responder decrypts all', () => {
    const sender = new NoiseCipher(fromHex(t.sk), fromHex(t.rk), fromHex(t.ck));
    // The responder's view: its rk is the initiator's sk.
    const receiver = new NoiseCipher(fromHex(t.rk), fromHex(t.sk), fromHex(t.ck));
    const want = new Map(t.outputs.map((o) => [o.n, o.output]));
    const pt = fromHex(t.plaintext);
    let checked = 0;
    for (let n = 0; n <= 1001; n++) {
      const frame = sender.encryptFrame(pt);
      const w = want.get(n);
      if (w !== undefined) {
        expect(toHex(frame), `frame ${n}`).toBe(w);
        checked++;
      }
      expect(receiver.decryptLength(frame.subarray(0, 18))).toBe(5);
      expect(toHex(receiver.decryptBody(frame.subarray(18)))).toBe(t.plaintext);
    }
    expect(checked).toBe(6);
  });
});
