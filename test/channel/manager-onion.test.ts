// The payment onion of an incoming HTLC (src/channel/payment-onion.ts) against BOLT 4's vectors:
// the final hop of onion-test.json, Eve (the recipient inside a blinded route) of
// blinded-payment-onion-test.json, Bob (the introduction node, current_path_key) of the same, and
// the return packet of onion-error-test.json; then the malformed cases.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { sha256 } from '../../src/crypto/index.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { unblindHop } from '../../src/onion-message/route-blinding.ts';
import { parseOnionPacket, peelOnionPacket } from '../../src/onion-message/sphinx.ts';
import {
  FAILURE_CODE,
  ammagKey,
  decodePaymentPayload,
  encodeFailureMessage,
  failurePacket,
  incorrectPaymentDetails,
  obfuscateFailurePacket,
  peelPaymentOnion,
  PayloadError,
} from '../../src/channel/payment-onion.ts';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../vectors/bolt04/${name}`, import.meta.url), 'utf8'));

describe('peelPaymentOnion: BOLT 4 vectors', () => {
  it('onion-test.json: each hop peels its layer (payment_hash as associated data) and reads its payload; the last is final', () => {
    const V = load('onion-test.json');
    const ad = fromHex(V.generate.associated_data);
    let onion = fromHex(V.onion);
    const amounts = [15000n, 14000n, 12500n, 10000n, 10000n];
    const n = V.generate.hops.length as number;
    for (let i = 0; i < n; i++) {
      const key = new Uint8Array(32).fill(0x41 + i);
      const r = peelPaymentOnion(key, { onionRoutingPacket: onion, paymentHash: ad });
      expect(r.kind, `hop ${i}`).toBe('peeled');
      if (r.kind !== 'peeled') return;
      expect(r.final).toBe(i === n - 1);
      expect(r.payload.amtToForward).toBe(amounts[i]);
      if (i < n - 1) expect(r.payload.shortChannelId).toBe(BigInt(i + 1));
      else expect(r.payload.paymentData?.totalMsat).toBe(10000n);
      if (i < n - 1) onion = peelOnionPacket(parseOnionPacket(onion), key, { associatedData: ad }).next!.packet;
    }
    // The wrong key: a bad HMAC, answered update_fail_malformed_htlc invalid_onion_hmac with SHA256(onion).
    const bad = peelPaymentOnion(new Uint8Array(32).fill(0x51), { onionRoutingPacket: fromHex(V.onion), paymentHash: ad });
    expect(bad).toMatchObject({ kind: 'malformed', failureCode: FAILURE_CODE.invalid_onion_hmac });
    expect(toHex((bad as { sha256OfOnion: Uint8Array }).sha256OfOnion)).toBe(toHex(sha256(fromHex(V.onion))));
    // The wrong associated data (another payment_hash): the HMAC fails too.
    expect(peelPaymentOnion(new Uint8Array(32).fill(0x41), { onionRoutingPacket: fromHex(V.onion), paymentHash: new Uint8Array(32) })).toMatchObject({ kind: 'malformed' });
  });

  const B = load('blinded-payment-onion-test.json');
  const ad = fromHex(B.generate.associated_data);
  const dec = B.decrypt.hops as any[];
  const route = B.generate.full_route.hops as any[];

  it('blinded-payment-onion-test.json, Eve: the final node inside a blinded route (path_key in update_add_htlc)', () => {
    const eve = dec[4];
    const r = peelPaymentOnion(fromHex(eve.node_privkey), { onionRoutingPacket: fromHex(eve.onion), paymentHash: ad, pathKey: fromHex(dec[3].next_path_key) });
    expect(r.kind).toBe('peeled');
    if (r.kind !== 'peeled') return;
    expect(r.final).toBe(true);
    expect(r.pathKeyFromUpdate).toBe(true);
    const t = route[4].tlvs;
    expect(r.payload.amtToForward).toBe(BigInt(t.amt_to_forward));
    expect(r.payload.totalAmountMsat).toBe(BigInt(t.total_amount_msat));
    expect(r.payload.outgoingCltvValue).toBe(t.outgoing_cltv_value);
    expect(r.payload.currentPathKey).toBeUndefined();
    expect(r.payload.types).toEqual([2n, 4n, 10n, 18n]);
    // The recipient data decrypts with that path key: path_id and payment_constraints as the vector says.
    const hop = unblindHop(fromHex(eve.node_privkey), r.pathKey!, r.payload.encryptedRecipientData!);
    expect(toHex(hop.data.pathId!)).toBe(t.encrypted_recipient_data.path_id);
    expect(hop.data.paymentConstraints).toEqual({ maxCltvExpiry: 750000, htlcMinimumMsat: 50n });
    // Without the path key the layer is not ours; inside a blinded route every failure is invalid_onion_blinding.
    const noKey = peelPaymentOnion(fromHex(eve.node_privkey), { onionRoutingPacket: fromHex(eve.onion), paymentHash: ad });
    expect(noKey).toMatchObject({ kind: 'malformed', failureCode: FAILURE_CODE.invalid_onion_hmac });
    const wrongKey = peelPaymentOnion(fromHex(eve.node_privkey), { onionRoutingPacket: fromHex(eve.onion), paymentHash: ad, pathKey: fromHex(dec[2].next_path_key) });
    expect(wrongKey).toMatchObject({ kind: 'malformed', failureCode: FAILURE_CODE.invalid_onion_blinding });
  });

  it('blinded-payment-onion-test.json, Bob: the introduction node reads current_path_key from its payload (not final)', () => {
    const bob = dec[1];
    const r = peelPaymentOnion(fromHex(bob.node_privkey), { onionRoutingPacket: fromHex(bob.onion), paymentHash: ad });
    expect(r.kind).toBe('peeled');
    if (r.kind !== 'peeled') return;
    expect(r.final).toBe(false);
    expect(r.pathKeyFromUpdate).toBe(false);
    expect(toHex(r.pathKey!)).toBe(route[1].tlvs.current_path_key);
    const hop = unblindHop(fromHex(bob.node_privkey), r.pathKey!, r.payload.encryptedRecipientData!);
    expect(toHex(hop.nextPathKey)).toBe(bob.next_path_key);
    // Alice's layer is a plain one: amt_to_forward, outgoing_cltv_value, short_channel_id.
    const alice = peelPaymentOnion(fromHex(dec[0].node_privkey), { onionRoutingPacket: fromHex(dec[0].onion), paymentHash: ad });
    expect(alice).toMatchObject({ kind: 'peeled', final: false, payload: { amtToForward: 110125n, outgoingCltvValue: 749150 } });
  });

  it('a bad version or public key is malformed; a hop of a blinded route answers invalid_onion_blinding for either', () => {
    const eve = dec[4];
    const onion = fromHex(eve.onion);
    const v1 = onion.slice();
    v1[0] = 1;
    expect(peelPaymentOnion(fromHex(eve.node_privkey), { onionRoutingPacket: v1, paymentHash: ad })).toMatchObject({ kind: 'malformed', failureCode: FAILURE_CODE.invalid_onion_version });
    const badKey = onion.slice();
    badKey[1] = 0x05;
    expect(peelPaymentOnion(fromHex(eve.node_privkey), { onionRoutingPacket: badKey, paymentHash: ad })).toMatchObject({ kind: 'malformed', failureCode: FAILURE_CODE.invalid_onion_key });
    expect(peelPaymentOnion(fromHex(eve.node_privkey), { onionRoutingPacket: v1, paymentHash: ad, pathKey: fromHex(dec[3].next_path_key) })).toMatchObject({
      kind: 'malformed',
      failureCode: FAILURE_CODE.invalid_onion_blinding,
    });
  });
});

describe('the return packet: onion-error-test.json', () => {
  it('node 4 builds hmac(um) || failure_len || failuremsg || pad_len || pad and obfuscates it; the hops back give the origin\'s packet', () => {
    const V = load('onion-error-test.json');
    const hops = V.generate.hops as any[];
    const last = hops[4];
    expect(toHex(ammagKey(fromHex(last.hop_shared_secret)))).toBe(last.ammag_key);
    // temporary_node_failure (NODE|2 = 0x2002), no data, padded to 256.
    const msg = fromHex(V.generate.failure_message);
    expect(toHex(encodeFailureMessage({ code: 0x2002, data: new Uint8Array(0) }))).toBe(V.generate.failure_message);
    let p = failurePacket(fromHex(last.hop_shared_secret), { code: (msg[0]! << 8) | msg[1]!, data: msg.subarray(2) });
    expect(p.length).toBe(32 + 2 + 2 + 2 + 254);
    for (let i = 3; i >= 0; i--) p = obfuscateFailurePacket(fromHex(hops[i].hop_shared_secret), p);
    expect(toHex(p)).toBe(V.errorpacket);
  });

  it('incorrect_or_unknown_payment_details carries htlc_msat and height (the trace in 04-onion-routing.md, "Returning Errors")', () => {
    expect(toHex(encodeFailureMessage(incorrectPaymentDetails(100n, 800000)))).toBe('400f0000000000000064000c3500');
  });
});

describe('decodePaymentPayload', () => {
  it('refuses an unknown even type, a non-minimal tu64 and a bad point, naming the type and offset', () => {
    expect(() => decodePaymentPayload(fromHex('020101' + '1401ff'))).toThrow(PayloadError);
    try {
      decodePaymentPayload(fromHex('02020001'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PayloadError);
      expect((e as PayloadError).tlvType).toBe(2n);
      expect((e as PayloadError).offset).toBe(2);
    }
    expect(() => decodePaymentPayload(fromHex('0c21' + '05'.repeat(33)))).toThrow(/current_path_key/);
    // Unknown odd types are fine, and listed.
    expect(decodePaymentPayload(fromHex('020164' + '0401' + '0a' + '1301ff')).types).toEqual([2n, 4n, 19n]);
  });
});
