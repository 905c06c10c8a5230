// Blinded paths we build (padding, dummy hops, path_id), joining a sender route with a recipient
// path, and per-hop processing over whole routes — pure, no sockets.
import { describe, expect, it } from 'vitest';
import { deterministicRandom, publicKey } from '../../src/crypto/index.ts';
import { bytesEqual, toHex, utf8 } from '../../src/util/bytes.ts';
import { decodeBlindedPath, encodeBlindedPath, type BlindedPath } from '../../src/wire/blinded-path.ts';
import {
  buildOnionMessage,
  buildReceivePath,
  chooseHopPayloadsLength,
  decodeEncryptedDataTlv,
  DEFAULT_MIN_PATH_LENGTH,
  dummyHopCount,
  encodeEncryptedDataTlv,
  MAX_DUMMY_HOPS,
  padToCommonLength,
  PathIdAuthenticator,
  peelOnionMessage,
  unblindHop,
  type PeelResult,
} from '../../src/onion-message/index.ts';

const rnd = deterministicRandom('blinded-paths');
function key(i: number): Uint8Array {
  const k = new Uint8Array(32);
  k.fill(0x10 + i);
  return k;
}
const nodes = Array.from({ length: 8 }, (_, i) => ({ secret: key(i), id: publicKey(key(i)) }));

describe('padding (BOLT 4: "all encrypted_data_tlv[i] have the same length")', () => {
  it('pads hops of different sizes to one length, including gaps of 1, 255 and 256 bytes', () => {
    const id = nodes[0]!.id;
    for (const extra of [0, 1, 2, 3, 200, 219, 220, 221, 222, 253, 254, 255, 256, 300]) {
      const hops = [{ nextNodeId: id }, { pathId: new Uint8Array(extra) }, {}];
      for (const roundOff of [0, 16, 100]) {
        const out = padToCommonLength(hops, roundOff);
        const lens = new Set(out.map((o) => o.length));
        expect(lens.size, `extra=${extra} roundOff=${roundOff}`).toBe(1);
        if (roundOff) expect(out[0]!.length % roundOff).toBe(0);
        // Padding is a valid type-1 record; the rest decodes back to the hop's fields.
        out.forEach((o, i) => {
          const d = decodeEncryptedDataTlv(o);
          const { padding, ...rest } = d;
          expect(encodeEncryptedDataTlv(rest)).toEqual(encodeEncryptedDataTlv(hops[i]!));
        });
      }
    }
  });
});

describe('paths to us: dummy hops and padding', () => {
  const me = nodes[7]!;
  it('defaults to at least 4 hops, dummies capped at 10', () => {
    expect(DEFAULT_MIN_PATH_LENGTH).toBe(4);
    expect(dummyHopCount(1, {})).toBe(3);
    expect(dummyHopCount(2, {})).toBe(2);
    expect(dummyHopCount(5, {})).toBe(0);
    expect(dummyHopCount(1, { dummyHops: 50 })).toBe(MAX_DUMMY_HOPS);
    expect(dummyHopCount(3, { minPathLength: 6 })).toBe(3);
  });

  it('our own hops blinded with our secret (multiplications of G) are byte for byte the plain ones', () => {
    const via = [{ nodeId: nodes[0]!.id }, { nodeId: nodes[1]!.id }];
    for (const dummyHops of [0, 3]) {
      const e0 = rnd(32);
      const plain = buildReceivePath({ ourNodeId: me.id, firstPathSecret: e0, via, pathId: utf8.encode('same'), dummyHops, paddingRoundOff: 16 });
      const fast = buildReceivePath({ ourNodeId: me.id, ourSecret: me.secret, firstPathSecret: e0, via, pathId: utf8.encode('same'), dummyHops, paddingRoundOff: 16 });
      expect(toHex(encodeBlindedPath(fast))).toBe(toHex(encodeBlindedPath(plain)));
    }
  });

  it('every hop has the same ciphertext length, distinct blinded ids, and the same content layout', () => {
    const via = [{ nodeId: nodes[0]!.id }, { nodeId: nodes[1]!.id, shortChannelId: 0x0001020003000004n }];
    const path = buildReceivePath({ ourNodeId: me.id, firstPathSecret: rnd(32), via, pathId: utf8.encode('a path id of some length') });
    expect(path.hops).toHaveLength(4); // 2 real + us, + 1 dummy → 4
    const lens = new Set(path.hops.map((h) => h.encryptedRecipientData.length));
    expect(lens.size).toBe(1);
    const ids = new Set(path.hops.map((h) => toHex(h.blindedNodeId)));
    expect(ids.size).toBe(4);
    for (const h of path.hops) expect(bytesEqual(h.blindedNodeId, me.id)).toBe(false);
    expect(path.introductionNode).toEqual({ kind: 'pubkey', nodeId: nodes[0]!.id });
    // Unblind every hop with the right key and look at the layouts.
    const secrets = [nodes[0]!.secret, nodes[1]!.secret, me.secret, me.secret];
    let pk = path.firstPathKey;
    const layouts: string[] = [];
    path.hops.forEach((h, i) => {
      const u = unblindHop(secrets[i]!, pk, h.encryptedRecipientData);
      expect(toHex(publicKey(u.blindedSecret))).toBe(toHex(h.blindedNodeId));
      layouts.push(Object.keys(u.data).sort().join(','));
      if (i === 1) expect(u.data.shortChannelId).toBe(0x0001020003000004n);
      if (i === 2) expect(u.data.nextNodeId && bytesEqual(u.data.nextNodeId, me.id)).toBe(true); // dummy follows
      if (i === 3) expect(utf8.decode(u.data.pathId!)).toBe('a path id of some length');
      pk = u.nextPathKey;
    });
    // Real forward hop (padding + next_node_id) and the dummy hop have the same fields.
    expect(layouts[0]).toBe('nextNodeId,padding');
    expect(layouts[2]).toBe('nextNodeId,padding');
    expect(layouts[3]).toBe('padding,pathId');
  });

  it('a path with only us gets 3 dummy hops and survives the blinded_path codec', () => {
    const path = buildReceivePath({ ourNodeId: me.id, firstPathSecret: rnd(32), pathId: new Uint8Array(40) });
    expect(path.hops).toHaveLength(4);
    const back = decodeBlindedPath(encodeBlindedPath(path));
    expect(back.hops.map((h) => toHex(h.encryptedRecipientData))).toEqual(path.hops.map((h) => toHex(h.encryptedRecipientData)));
  });
});

describe('path_id authentication', () => {
  const a = new PathIdAuthenticator(nodes[0]!.secret);
  const b = new PathIdAuthenticator(nodes[1]!.secret);
  const ctx = utf8.encode('invoice 42');
  it('verifies our own, with purpose and context', () => {
    const id = a.create({ purpose: 'refund', context: ctx, nonce: rnd(16) });
    const r = a.verify(id, 1000);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.purpose).toBe('refund');
      expect(utf8.decode(r.context)).toBe('invoice 42');
    }
  });
  it('refuses a foreign, a forged, a tampered and an expired path_id', () => {
    const id = a.create({ purpose: 'reply', context: ctx, nonce: rnd(16), expiresAt: 2000 });
    expect(b.verify(id, 1000)).toEqual({ ok: false, reason: 'bad_path_id' });
    expect(a.verify(rnd(id.length), 1000)).toEqual({ ok: false, reason: 'bad_path_id' });
    for (let i = 0; i < id.length; i++) {
      const t = id.slice();
      t[i]! ^= 1;
      expect(a.verify(t, 1000).ok).toBe(false);
    }
    expect(a.verify(id.subarray(0, 10), 1000).ok).toBe(false);
    expect(a.verify(id, 2001)).toEqual({ ok: false, reason: 'path_expired' });
    expect(a.verify(id, 2000).ok).toBe(true);
  });
});

/** Peel a message hop by hop as each node would, following next_node_id. */
function walk(first: Uint8Array, pathKey: Uint8Array, packet: Uint8Array): { visited: string[]; result: PeelResult } {
  const visited: string[] = [];
  let at = first;
  let pk = pathKey;
  let pkt = packet;
  for (let i = 0; i < 40; i++) {
    const n = nodes.find((x) => bytesEqual(x.id, at))!;
    visited.push(toHex(at).slice(0, 6));
    const r = peelOnionMessage(n.secret, pk, pkt);
    if (r.kind === 'receive') return { visited, result: r };
    if (r.next.kind !== 'node') throw new Error('scid');
    at = r.next.nodeId;
    pk = r.nextPathKey;
    pkt = r.packet;
  }
  throw new Error('too many hops');
}
const short = (i: number) => toHex(nodes[i]!.id).slice(0, 6);

describe('building and peeling whole routes', () => {
  const contents = { type: 64n, value: utf8.encode('an invoice_request, opaque here') };

  it('to a node id over 0..5 clear hops; 1300-byte packets', () => {
    for (let n = 0; n <= 5; n++) {
      const via = nodes.slice(0, n).map((x) => x.id);
      const dest = nodes[6]!.id;
      const b = buildOnionMessage({ route: { via, destination: { nodeId: dest } }, final: { contents }, sessionKey: rnd(32), blindingSecret: rnd(32) });
      expect(b.packet.length).toBe(1366);
      expect(b.hopCount).toBe(n + 1);
      const { visited, result } = walk(b.firstNodeId, b.pathKey, b.packet);
      expect(visited).toEqual([...nodes.slice(0, n).map((_, i) => short(i)), short(6)]);
      expect(result.kind).toBe('receive');
      if (result.kind === 'receive') {
        expect(result.contents.type).toBe(64n);
        expect(utf8.decode(result.contents.value)).toBe('an invoice_request, opaque here');
        expect(result.pathId).toBeUndefined();
      }
    }
  });

  it('joins clear hops with a recipient blinded path (next_path_key_override) including dummy hops and a reply path', () => {
    const recipient = nodes[6]!;
    const auth = new PathIdAuthenticator(recipient.secret);
    const pathId = auth.create({ purpose: 'offer', context: utf8.encode('offer-1'), nonce: rnd(16) });
    const bp = buildReceivePath({ ourNodeId: recipient.id, firstPathSecret: rnd(32), via: [{ nodeId: nodes[3]!.id }], pathId });
    const reply: BlindedPath = buildReceivePath({ ourNodeId: nodes[0]!.id, firstPathSecret: rnd(32), pathId: new Uint8Array(8) });
    const b = buildOnionMessage({
      route: { via: [nodes[1]!.id, nodes[2]!.id], destination: { blindedPath: bp } },
      final: { contents, replyPath: reply },
      sessionKey: rnd(32),
      blindingSecret: rnd(32),
    });
    const { visited, result } = walk(b.firstNodeId, b.pathKey, b.packet);
    // 1, 2 (ours), 3 (intro), 6 (recipient), 6, 6 (dummies peeled by the recipient itself).
    expect(visited).toEqual([short(1), short(2), short(3), short(6), short(6), short(6)]);
    if (result.kind !== 'receive') throw new Error('not received');
    expect(auth.verify(result.pathId!, 0).ok).toBe(true);
    expect(toHex(encodeBlindedPath(result.replyPath!))).toBe(toHex(encodeBlindedPath(reply)));
  });

  it('into a blinded path directly (no clear hops): path_key is the path\'s first_path_key', () => {
    const bp = buildReceivePath({ ourNodeId: nodes[5]!.id, firstPathSecret: rnd(32), via: [{ nodeId: nodes[4]!.id }], pathId: new Uint8Array(4) });
    const b = buildOnionMessage({ route: { destination: { blindedPath: bp } }, final: { contents }, sessionKey: rnd(32), blindingSecret: rnd(32) });
    expect(toHex(b.pathKey)).toBe(toHex(bp.firstPathKey));
    expect(toHex(b.firstNodeId)).toBe(toHex(nodes[4]!.id));
    expect(walk(b.firstNodeId, b.pathKey, b.packet).result.kind).toBe('receive');
  });

  it('picks 32768 when the payloads exceed 1300 bytes, and refuses beyond', () => {
    expect(chooseHopPayloadsLength(1300)).toBe(1300);
    expect(chooseHopPayloadsLength(1301)).toBe(32768);
    expect(() => chooseHopPayloadsLength(32769)).toThrow(RangeError);
    const big = { type: 66n, value: new Uint8Array(5000) };
    const b = buildOnionMessage({ route: { via: [nodes[0]!.id], destination: { nodeId: nodes[1]!.id } }, final: { contents: big }, sessionKey: rnd(32), blindingSecret: rnd(32) });
    expect(b.packet.length).toBe(32834);
    const r = walk(b.firstNodeId, b.pathKey, b.packet).result;
    expect(r.kind === 'receive' && r.contents.value.length).toBe(5000);
    expect(() =>
      buildOnionMessage({ route: { destination: { nodeId: nodes[1]!.id } }, final: { contents: { type: 66n, value: new Uint8Array(33000) } }, sessionKey: rnd(32), blindingSecret: rnd(32) }),
    ).toThrow(/largest packet/);
  });
});
