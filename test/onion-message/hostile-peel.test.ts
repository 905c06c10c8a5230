// Hostile input to one node's processing (pure): every malformed packet is refused with the
// reason the BOLT 4 reader's rule names, never a crash — checked rule by rule and by fuzzing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deterministicRandom, publicKey } from '../../src/crypto/index.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { encodeTlvStream } from '../../src/wire/tlv.ts';
import {
  blindHops,
  buildOnionMessage,
  buildOnionMessagePacket,
  buildReceivePath,
  encodeEncryptedDataTlv,
  encodeOnionMessagePayload,
  OnionMessageDropError,
  peelOnionMessage,
  constructOnionPacket,
  type EncryptedDataTlv,
  type DropReason,
} from '../../src/onion-message/index.ts';

const rnd = deterministicRandom('hostile-peel');
const alice = { secret: new Uint8Array(32).fill(0x21) };
const bob = { secret: new Uint8Array(32).fill(0x22) };
const aliceId = publicKey(alice.secret);
const bobId = publicKey(bob.secret);

function reason(f: () => unknown): DropReason | 'ok' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof OnionMessageDropError) return e.reason;
    throw e;
  }
}

/**
 * A one- or two-hop onion (Alice, then optionally Bob) with hand-made payloads: `alicePayload`
 * receives Alice's encrypted data and returns her whole onionmsg_tlv.
 */
function craft(o: { aliceData: EncryptedDataTlv; alicePayload?: (enc: Uint8Array) => Uint8Array; toBob?: boolean; hopPayloadsLength?: number }) {
  const ids = o.toBob ? [aliceId, bobId] : [aliceId];
  const datas = o.toBob ? [o.aliceData, {}] : [o.aliceData];
  const { firstPathKey, steps } = blindHops(rnd(32), ids.map((nodeId, i) => ({ nodeId, plaintext: encodeEncryptedDataTlv(datas[i]!) })));
  const payloads = steps.map((s, i) =>
    i === 0 && o.alicePayload ? o.alicePayload(s.encryptedRecipientData) : encodeOnionMessagePayload({ encryptedRecipientData: s.encryptedRecipientData, contents: i === steps.length - 1 ? [{ type: 65n, value: utf8.encode('x') }] : [] }),
  );
  const { packet } = constructOnionPacket({
    sessionKey: rnd(32),
    hops: steps.map((s, i) => ({ pubkey: s.blindedNodeId, payload: payloads[i]! })),
    hopPayloadsLength: o.hopPayloadsLength ?? 1300,
  });
  return { pathKey: firstPathKey, packet };
}

describe('one node refuses malformed onion messages, with the rule broken', () => {
  const good = buildOnionMessage({
    route: { via: [aliceId], destination: { nodeId: bobId } },
    final: { contents: { type: 64n, value: new Uint8Array(10) } },
    sessionKey: rnd(32),
    blindingSecret: rnd(32),
  });

  it('accepts the well-formed one', () => {
    expect(peelOnionMessage(alice.secret, good.pathKey, good.packet).kind).toBe('forward');
  });

  it('wrong HMAC, any flipped byte of hop_payloads or hmac', () => {
    for (const at of [40, 100, 700, 1300, good.packet.length - 1]) {
      const p = good.packet.slice();
      p[at]! ^= 0x80;
      expect(reason(() => peelOnionMessage(alice.secret, good.pathKey, p))).toBe('bad_hmac');
    }
  });

  it('wrong node (a packet not for us) fails the HMAC', () => {
    expect(reason(() => peelOnionMessage(bob.secret, good.pathKey, good.packet))).toBe('bad_hmac');
  });

  it('wrong path_key: invalid point, or another valid one', () => {
    const bad = good.pathKey.slice();
    bad[0] = 0x05;
    expect(reason(() => peelOnionMessage(alice.secret, bad, good.packet))).toBe('bad_path_key');
    expect(reason(() => peelOnionMessage(alice.secret, publicKey(rnd(32)), good.packet))).toBe('bad_hmac');
  });

  it('version not 0, public key not a point', () => {
    const v = good.packet.slice();
    v[0] = 1;
    expect(reason(() => peelOnionMessage(alice.secret, good.pathKey, v))).toBe('bad_version');
    const k = good.packet.slice();
    k[1] = 0x07;
    expect(reason(() => peelOnionMessage(alice.secret, good.pathKey, k))).toBe('bad_public_key');
  });

  it('wrong sizes: empty, header only, truncated, padded, oversized', () => {
    expect(reason(() => peelOnionMessage(alice.secret, good.pathKey, new Uint8Array(0)))).toBe('bad_size');
    expect(reason(() => peelOnionMessage(alice.secret, good.pathKey, good.packet.subarray(0, 66)))).toBe('bad_size');
    expect(reason(() => peelOnionMessage(alice.secret, good.pathKey, good.packet.subarray(0, 1000)))).toBe('bad_hmac');
    const longer = new Uint8Array(good.packet.length + 1);
    longer.set(good.packet);
    expect(reason(() => peelOnionMessage(alice.secret, good.pathKey, longer))).toBe('bad_hmac');
    const huge = new Uint8Array(66 + 32769);
    huge.set(good.packet.subarray(0, 34));
    expect(reason(() => peelOnionMessage(alice.secret, good.pathKey, huge))).toBe('bad_size');
  });

  it('odd packet sizes that are otherwise valid are accepted (BOLT 4: length implied by the total)', () => {
    const c = craft({ aliceData: {}, hopPayloadsLength: 700 });
    expect(peelOnionMessage(alice.secret, c.pathKey, c.packet).kind).toBe('receive');
  });

  it('unknown even type in onionmsg_tlv; unknown odd kept', () => {
    const even = craft({ aliceData: {}, alicePayload: (enc) => encodeTlvStream([{ type: 4n, value: enc }, { type: 6n, value: new Uint8Array(1) }, { type: 65n, value: new Uint8Array(1) }]) });
    expect(reason(() => peelOnionMessage(alice.secret, even.pathKey, even.packet))).toBe('unknown_even_type');
    const even64 = craft({ aliceData: {}, alicePayload: (enc) => encodeTlvStream([{ type: 4n, value: enc }, { type: 70n, value: new Uint8Array(1) }]) });
    expect(reason(() => peelOnionMessage(alice.secret, even64.pathKey, even64.packet))).toBe('unknown_even_type');
    const odd = craft({ aliceData: {}, alicePayload: (enc) => encodeTlvStream([{ type: 3n, value: new Uint8Array(2) }, { type: 4n, value: enc }, { type: 65n, value: new Uint8Array(1) }]) });
    const r = peelOnionMessage(alice.secret, odd.pathKey, odd.packet);
    expect(r.kind === 'receive' && r.payload.unknown).toEqual([{ type: 3n, value: new Uint8Array(2) }]);
  });

  it('malformed TLV stream and malformed reply_path', () => {
    const junk = craft({ aliceData: {}, alicePayload: () => Uint8Array.of(4, 200, 1, 2) });
    expect(reason(() => peelOnionMessage(alice.secret, junk.pathKey, junk.packet))).toBe('bad_payload');
    const rp = craft({ aliceData: {}, alicePayload: (enc) => encodeTlvStream([{ type: 2n, value: new Uint8Array(5) }, { type: 4n, value: enc }, { type: 65n, value: new Uint8Array(1) }]) });
    expect(reason(() => peelOnionMessage(alice.secret, rp.pathKey, rp.packet))).toBe('bad_payload');
  });

  it('non-final hop: fields other than encrypted_recipient_data, no data, path_id, both scid and node id, no next hop', () => {
    const extra = craft({ aliceData: { nextNodeId: bobId }, toBob: true, alicePayload: (enc) => encodeTlvStream([{ type: 4n, value: enc }, { type: 65n, value: new Uint8Array(1) }]) });
    expect(reason(() => peelOnionMessage(alice.secret, extra.pathKey, extra.packet))).toBe('non_final_extra_fields');
    const none = craft({ aliceData: { nextNodeId: bobId }, toBob: true, alicePayload: () => encodeTlvStream([{ type: 1n, value: new Uint8Array(1) }]) });
    expect(reason(() => peelOnionMessage(alice.secret, none.pathKey, none.packet))).toBe('non_final_extra_fields');
    const empty = craft({ aliceData: { nextNodeId: bobId }, toBob: true, alicePayload: () => new Uint8Array(0) });
    expect(reason(() => peelOnionMessage(alice.secret, empty.pathKey, empty.packet))).toBe('missing_encrypted_data');
    const pid = craft({ aliceData: { nextNodeId: bobId, pathId: new Uint8Array(3) }, toBob: true });
    expect(reason(() => peelOnionMessage(alice.secret, pid.pathKey, pid.packet))).toBe('path_id_in_forward');
    const both = craft({ aliceData: { nextNodeId: bobId, shortChannelId: 5n }, toBob: true });
    expect(reason(() => peelOnionMessage(alice.secret, both.pathKey, both.packet))).toBe('bad_encrypted_data_tlv');
    const nowhere = craft({ aliceData: {}, toBob: true });
    expect(reason(() => peelOnionMessage(alice.secret, nowhere.pathKey, nowhere.packet))).toBe('no_next_hop');
    const feat = craft({ aliceData: { nextNodeId: bobId, allowedFeatures: Uint8Array.of(1) }, toBob: true });
    expect(reason(() => peelOnionMessage(alice.secret, feat.pathKey, feat.packet))).toBe('allowed_features');
    const featEmpty = craft({ aliceData: { nextNodeId: bobId, allowedFeatures: new Uint8Array(0) }, toBob: true });
    expect(peelOnionMessage(alice.secret, featEmpty.pathKey, featEmpty.packet).kind).toBe('forward');
  });

  it('encrypted data: does not decrypt, unknown even field', () => {
    const bad = craft({ aliceData: {}, alicePayload: (enc) => encodeOnionMessagePayload({ encryptedRecipientData: enc.map((b, i) => (i === 0 ? b ^ 1 : b)), contents: [{ type: 65n, value: new Uint8Array(1) }] }) });
    expect(reason(() => peelOnionMessage(alice.secret, bad.pathKey, bad.packet))).toBe('bad_encrypted_data');
    const short = craft({ aliceData: {}, alicePayload: () => encodeOnionMessagePayload({ encryptedRecipientData: new Uint8Array(3), contents: [{ type: 65n, value: new Uint8Array(1) }] }) });
    expect(reason(() => peelOnionMessage(alice.secret, short.pathKey, short.packet))).toBe('bad_encrypted_data');
    const unk = craft({ aliceData: { unknown: [{ type: 42n, value: new Uint8Array(1) }] } });
    expect(reason(() => peelOnionMessage(alice.secret, unk.pathKey, unk.packet))).toBe('bad_encrypted_data_tlv');
  });

  it('a path of ours cut short at a dummy hop (probing where it ends) is refused', () => {
    const path = buildReceivePath({ ourNodeId: aliceId, firstPathSecret: rnd(32), pathId: new Uint8Array(20) });
    expect(path.hops).toHaveLength(4);
    // The sender makes the onion end at hop 1 (a dummy hop: it names us as next node).
    const { packet } = buildOnionMessagePacket(path.hops.slice(0, 2), { contents: { type: 64n, value: new Uint8Array(1) } }, rnd(32));
    const first = peelOnionMessage(alice.secret, path.firstPathKey, packet);
    if (first.kind !== 'forward') throw new Error('expected forward');
    expect(reason(() => peelOnionMessage(alice.secret, first.nextPathKey, first.packet))).toBe('final_has_next_hop');
    const single = craft({ aliceData: { nextNodeId: bobId } });
    expect(reason(() => peelOnionMessage(alice.secret, single.pathKey, single.packet))).toBe('final_has_next_hop');
  });

  it('final hop: more than one payload field, none at all', () => {
    const two = craft({ aliceData: {}, alicePayload: (enc) => encodeTlvStream([{ type: 4n, value: enc }, { type: 64n, value: new Uint8Array(1) }, { type: 66n, value: new Uint8Array(1) }]) });
    expect(reason(() => peelOnionMessage(alice.secret, two.pathKey, two.packet))).toBe('multiple_payloads');
    const zero = craft({ aliceData: {}, alicePayload: (enc) => encodeTlvStream([{ type: 4n, value: enc }]) });
    expect(reason(() => peelOnionMessage(alice.secret, zero.pathKey, zero.packet))).toBe('no_payload');
  });

  it('fuzz: random packets and random mutations never throw anything but a drop', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1500 }), fc.uint8Array({ minLength: 33, maxLength: 33 }), (pkt, pk) => {
        const r = reason(() => peelOnionMessage(alice.secret, pk, pkt));
        expect(r).not.toBe('ok');
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(good.packet.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const p = good.packet.slice();
        p[at]! ^= x;
        const r = reason(() => peelOnionMessage(alice.secret, good.pathKey, p));
        expect(['bad_hmac', 'bad_version', 'bad_public_key']).toContain(r);
      }),
      { numRuns: 200 },
    );
  });
});
