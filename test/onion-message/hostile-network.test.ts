// Hostile input over real sockets: malformed packets, wrong HMACs, wrong sizes, unknown even
// payload types, loops in short_channel_id forwarding, and a flood of 10,000 messages from one
// peer — every bad message dropped with a counted reason, the flooder throttled alone, another
// peer's messages still delivered, memory bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicRandom, publicKey } from '../../src/crypto/index.ts';
import { bytesEqual, toHex, utf8 } from '../../src/util/bytes.ts';
import { encodeTlvStream } from '../../src/wire/tlv.ts';
import { decodeOnionMessage, decodeWarning, encodeOnionMessage, encodeWarning, MSG } from '../../src/wire/messages.ts';
import {
  blindHops,
  buildBlindedPath,
  buildOnionMessage,
  buildOnionMessagePacket,
  constructOnionPacket,
  encodeOnionMessagePayload,
  type DropReason,
  type ReceivedOnionMessage,
  type ScidResolver,
} from '../../src/onion-message/index.ts';
import { closeAll, connect, listen, makeNode, sleep, waitFor, type TestNode } from './net.ts';

const CUSTOM = 0x10001n;
const rnd = deterministicRandom('hostile-network');

/** A raw `onion_message` payload to `to` (one hop), with a hand-made onionmsg_tlv. */
function rawOneHop(to: Uint8Array, payload: (enc: Uint8Array) => Uint8Array, hopPayloadsLength = 1300): Uint8Array {
  const { firstPathKey, steps } = blindHops(rnd(32), [{ nodeId: to, plaintext: new Uint8Array(0) }]);
  const { packet } = constructOnionPacket({
    sessionKey: rnd(32),
    hops: [{ pubkey: steps[0]!.blindedNodeId, payload: payload(steps[0]!.encryptedRecipientData) }],
    hopPayloadsLength,
  });
  return encodeOnionMessage({ pathKey: firstPathKey, onionPacket: packet });
}

function validTo(to: Uint8Array, text: string): Uint8Array {
  const b = buildOnionMessage({
    route: { destination: { nodeId: to } },
    final: { contents: { type: CUSTOM, value: utf8.encode(text) } },
    sessionKey: rnd(32),
    blindingSecret: rnd(32),
  });
  return encodeOnionMessage({ pathKey: b.pathKey, onionPacket: b.packet });
}

describe('bad messages are dropped with a counted reason', () => {
  let victim: TestNode;
  let mallory: TestNode;
  let other: TestNode;
  // Channel 1x1x1 leads back to Mallory; 2x2x2 to "other"; 3x3x3 to the victim itself.
  const SCID_TO_MALLORY = (1n << 40n) | (1n << 16n) | 1n;
  const SCID_TO_OTHER = (2n << 40n) | (2n << 16n) | 2n;
  const SCID_TO_SELF = (3n << 40n) | (3n << 16n) | 3n;
  beforeAll(async () => {
    mallory = await makeNode('mallory');
    other = await makeNode('other');
    const resolver: ScidResolver = {
      peerOfChannel: (s) => (s === SCID_TO_MALLORY ? mallory.id : s === SCID_TO_OTHER ? other.id : s === SCID_TO_SELF ? victim.id : undefined),
      nodeOfDirection: () => undefined,
    };
    // Generous inbound limits here: this test is about reasons, the flood test about rates.
    victim = await makeNode('victim', { scidResolver: resolver, limits: { inboundRatePerSec: 1000, inboundBurst: 1000 } });
    await connect(mallory, victim);
    await connect(other, victim);
    listen(victim, CUSTOM);
    listen(other, CUSTOM);
  });
  afterAll(async () => closeAll([victim, mallory, other]));

  async function expectDrop(payload: Uint8Array, reason: DropReason): Promise<void> {
    const before = victim.om.stats().dropped[reason] ?? 0;
    expect(mallory.reg.get(victim.id)!.send(MSG.onion_message, payload)).toBe(true);
    await waitFor(() => (victim.om.stats().dropped[reason] ?? 0) === before + 1, 5000, reason);
  }

  it('malformed envelope, bad sizes, bad version, bad key, wrong HMAC', async () => {
    await expectDrop(new Uint8Array(10), 'malformed');
    const good = validTo(victim.id, 'x');
    await expectDrop(good.subarray(0, good.length - 1), 'malformed'); // len says more than present
    const m = decodeOnionMessage(good);
    await expectDrop(encodeOnionMessage({ pathKey: m.pathKey, onionPacket: m.onionPacket.subarray(0, 60) }), 'bad_size');
    await expectDrop(encodeOnionMessage({ pathKey: m.pathKey, onionPacket: new Uint8Array(40000) }), 'bad_size');
    const v = m.onionPacket.slice();
    v[0] = 1;
    await expectDrop(encodeOnionMessage({ pathKey: m.pathKey, onionPacket: v }), 'bad_version');
    const k = m.onionPacket.slice();
    k.fill(0xff, 1, 34);
    await expectDrop(encodeOnionMessage({ pathKey: m.pathKey, onionPacket: k }), 'bad_public_key');
    const h = m.onionPacket.slice();
    h[500]! ^= 1;
    await expectDrop(encodeOnionMessage({ pathKey: m.pathKey, onionPacket: h }), 'bad_hmac');
    // Truncated to another (smaller) size: the HMAC no longer matches.
    await expectDrop(encodeOnionMessage({ pathKey: m.pathKey, onionPacket: m.onionPacket.subarray(0, 700) }), 'bad_hmac');
  });

  it('unknown even payload types, two payloads, none', async () => {
    await expectDrop(rawOneHop(victim.id, (enc) => encodeTlvStream([{ type: 4n, value: enc }, { type: 70n, value: new Uint8Array(3) }])), 'unknown_even_type');
    await expectDrop(rawOneHop(victim.id, (enc) => encodeTlvStream([{ type: 4n, value: enc }, { type: 10n, value: new Uint8Array(3) }, { type: 65n, value: new Uint8Array(1) }])), 'unknown_even_type');
    await expectDrop(rawOneHop(victim.id, (enc) => encodeTlvStream([{ type: 4n, value: enc }, { type: 64n, value: new Uint8Array(3) }, { type: 65n, value: new Uint8Array(1) }])), 'multiple_payloads');
    await expectDrop(rawOneHop(victim.id, (enc) => encodeTlvStream([{ type: 4n, value: enc }])), 'no_payload');
    // An unknown odd type (below 64) beside a valid payload is fine.
    const before = victim.inbox.length;
    mallory.reg.get(victim.id)!.send(MSG.onion_message, rawOneHop(victim.id, (enc) => encodeTlvStream([{ type: 3n, value: new Uint8Array(3) }, { type: 4n, value: enc }, { type: CUSTOM, value: utf8.encode('odd ok') }])));
    await waitFor(() => victim.inbox.length === before + 1);
    expect(victim.inbox[before]!.unknownFields).toEqual([{ type: 3n, value: new Uint8Array(3) }]);
  });

  /** A message whose hops are all the victim, each forwarding by `scid`, then `last`. */
  function scidChain(n: number, scid: bigint, lastNode?: Uint8Array, exitScid = scid): Uint8Array {
    const hops = Array.from({ length: n }, (_, i) => ({ nodeId: victim.id, data: { shortChannelId: i + 1 < n ? scid : exitScid } }));
    if (lastNode) hops.push({ nodeId: lastNode, data: {} as { shortChannelId: bigint } });
    const path = buildBlindedPath({ firstPathSecret: rnd(32), hops });
    const { packet } = buildOnionMessagePacket(path.hops, { contents: { type: CUSTOM, value: utf8.encode('via scid') } }, rnd(32));
    return encodeOnionMessage({ pathKey: path.firstPathKey, onionPacket: packet });
  }

  it('short_channel_id forwarding: to a peer; unknown scid; back to the sender; loops through us', async () => {
    const before = other.inbox.length;
    mallory.reg.get(victim.id)!.send(MSG.onion_message, scidChain(1, SCID_TO_OTHER, other.id));
    await waitFor(() => other.inbox.length === before + 1, 5000, 'scid forward');
    await expectDrop(scidChain(1, 0x99n, other.id), 'unknown_scid');
    // Straight back to the peer it came from.
    await expectDrop(scidChain(1, SCID_TO_MALLORY, mallory.id), 'loop');
    // A channel "to ourselves", many times: bounded local peels.
    await expectDrop(scidChain(30, SCID_TO_SELF, other.id, SCID_TO_OTHER), 'loop');
    // A few local hops (like dummy hops) are fine.
    const b2 = other.inbox.length;
    mallory.reg.get(victim.id)!.send(MSG.onion_message, scidChain(3, SCID_TO_SELF, other.id, SCID_TO_OTHER));
    await waitFor(() => other.inbox.length === b2 + 1);
  });

  it('forward to a peer that is not connected; path_id in a forwarding hop; bad encrypted data', async () => {
    const stranger = publicKey(rnd(32));
    const p1 = buildBlindedPath({ firstPathSecret: rnd(32), hops: [{ nodeId: victim.id, data: { nextNodeId: stranger } }, { nodeId: stranger, data: {} }] });
    await expectDrop(encodeOnionMessage({ pathKey: p1.firstPathKey, onionPacket: buildOnionMessagePacket(p1.hops, { contents: { type: CUSTOM, value: new Uint8Array(1) } }, rnd(32)).packet }), 'next_peer_not_connected');
    const p2 = buildBlindedPath({ firstPathSecret: rnd(32), hops: [{ nodeId: victim.id, data: { nextNodeId: other.id, pathId: new Uint8Array(4) } }, { nodeId: other.id, data: {} }] });
    await expectDrop(encodeOnionMessage({ pathKey: p2.firstPathKey, onionPacket: buildOnionMessagePacket(p2.hops, { contents: { type: CUSTOM, value: new Uint8Array(1) } }, rnd(32)).packet }), 'path_id_in_forward');
    await expectDrop(rawOneHop(victim.id, () => encodeOnionMessagePayload({ encryptedRecipientData: new Uint8Array(40), contents: [{ type: CUSTOM, value: new Uint8Array(1) }] })), 'bad_encrypted_data');
  });

  it('the victim is still healthy and the attacker still connected', async () => {
    const before = other.inbox.length;
    victim.om.send({ nodeId: other.id }, { type: CUSTOM, value: utf8.encode('still here') });
    await waitFor(() => other.inbox.length === before + 1);
    expect(victim.reg.get(mallory.id)).toBeDefined();
  });
});

describe('a flood of 10,000 messages from one peer', () => {
  let victim: TestNode;
  let flooder: TestNode;
  let alice: TestNode;
  let carol: TestNode;
  beforeAll(async () => {
    victim = await makeNode('flood-victim');
    flooder = await makeNode('flooder');
    alice = await makeNode('flood-alice');
    carol = await makeNode('flood-carol');
    await connect(flooder, victim);
    await connect(alice, victim);
    await connect(victim, carol);
    listen(victim, CUSTOM);
    listen(carol, CUSTOM);
  });
  afterAll(async () => closeAll([victim, flooder, alice, carol]));

  it('throttles the flooder alone; others get through; RSS stays bounded', async () => {
    // The RSS bound: growth of the whole test process (all four nodes) under 64 MiB while 10,000
    // onion messages (~14 MB on the wire) go through: what the victim keeps is bounded by its
    // buckets and queues, not by what it is sent.
    const RSS_BOUND = 64 * 1024 * 1024;
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const warnings: string[] = [];
    flooder.reg.onMessage(MSG.warning, (_p, payload) => void warnings.push(utf8.decode(decodeWarning(payload).data)));

    const link = flooder.reg.get(victim.id)!;
    // A third of the flood is garbage, a third wrong HMACs, a third valid (half of them to forward to Carol).
    const valid = validTo(victim.id, 'flood');
    const fwd = (() => {
      const b = buildOnionMessage({ route: { via: [victim.id], destination: { nodeId: carol.id } }, final: { contents: { type: CUSTOM, value: utf8.encode('flood-fwd') } }, sessionKey: rnd(32), blindingSecret: rnd(32) });
      return encodeOnionMessage({ pathKey: b.pathKey, onionPacket: b.packet });
    })();
    const badHmac = valid.slice();
    badHmac[600]! ^= 1;
    const garbage = rnd(1400);
    const kinds = [valid, badHmac, garbage, fwd];

    const aliceGot: ReceivedOnionMessage[] = [];
    victim.om.onMessage(0x10007n, (m) => void aliceGot.push(m));
    let aliceSent = 0;
    const aliceTimer = setInterval(() => {
      if (aliceSent < 8) alice.om.send({ nodeId: victim.id }, { type: 0x10007n, value: utf8.encode(`alice ${aliceSent++}`) });
    }, 100);

    const t0 = Date.now();
    let sent = 0;
    let peakRss = rss0;
    while (sent < 10_000) {
      if (link.send(MSG.onion_message, kinds[sent % kinds.length]!)) sent++;
      else await sleep(2); // the transport's output queue is full: let it drain
      if (sent % 1000 === 0) {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        await sleep(0);
      }
    }
    await waitFor(() => victim.om.stats().received >= 10_000, 60_000, 'victim read the flood');
    const floodSecs = (Date.now() - t0) / 1000;
    await waitFor(() => aliceGot.length === 8, 15_000, "alice's messages");
    clearInterval(aliceTimer);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);

    const s = victim.om.stats();
    const fp = s.peers.find((p) => p.nodeId === toHex(flooder.id))!;
    const ap = s.peers.find((p) => p.nodeId === toHex(alice.id))!;
    // Throttled: at most burst + rate · duration messages were processed at all.
    const admitted = fp.received - fp.rateLimited;
    expect(fp.received).toBe(10_000);
    expect(admitted).toBeLessThanOrEqual(20 + Math.ceil(10 * (floodSecs + 1)));
    expect(s.dropped.rate_limited).toBeGreaterThanOrEqual(10_000 - admitted);
    // The admitted bad ones were dropped with their reason.
    expect((s.dropped.bad_hmac ?? 0) + (s.dropped.malformed ?? 0) + (s.dropped.bad_size ?? 0)).toBeGreaterThan(0);
    // Told once (per warnIntervalSec), as Core Lightning does.
    await waitFor(() => warnings.length >= 1);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/^Ratelimited onion_message/);
    // Alice was never limited and all her messages arrived.
    expect(ap.rateLimited).toBe(0);
    expect(aliceGot.map((m) => utf8.decode(m.contents.value)).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `alice ${i}`).sort());
    expect(bytesEqual(aliceGot[0]!.from!, alice.id)).toBe(true);
    // Queues bounded.
    expect(s.queued.forwardBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(peakRss - rss0).toBeLessThan(RSS_BOUND);
    console.log(
      `flood: 10000 msgs in ${floodSecs.toFixed(2)} s, admitted ${admitted}, rate_limited ${s.dropped.rate_limited}, rss +${((peakRss - rss0) / 1048576).toFixed(1)} MiB (bound ${RSS_BOUND / 1048576} MiB)`,
    );
    expect(victim.reg.get(flooder.id)).toBeDefined();
  }, 120_000);
});

describe('outbound pacing against a Core Lightning-like rate limiter', () => {
  let us: TestNode;
  let cln: TestNode;
  beforeAll(async () => {
    us = await makeNode('pacer');
    cln = await makeNode('cln-like');
    await connect(us, cln);
  });
  afterAll(async () => closeAll([us, cln]));

  /**
   * Core Lightning's connectd (onion_message.c): credit grows 1 ms per ms up to 1000 ms; a message
   * costs 250 ms; without credit it is dropped and the peer warned once.
   */
  function clnLimiter(node: TestNode, msecPerMsg = 250, maxTokens = 1000) {
    let tokens = maxTokens;
    let last = performance.now();
    let warned = false;
    const state = { accepted: 0, dropped: 0 };
    node.reg.onMessage(MSG.onion_message, (peer) => {
      const now = performance.now();
      tokens = Math.min(maxTokens, tokens + (now - last));
      last = now;
      if (tokens < msecPerMsg) {
        state.dropped++;
        if (!warned) {
          warned = true;
          peer.send(MSG.warning, encodeWarning({ channelId: new Uint8Array(32), data: utf8.encode(`Ratelimited onion_message: exceeded one per ${msecPerMsg}msec`) }));
        }
        return;
      }
      tokens -= msecPerMsg;
      state.accepted++;
    });
    return state;
  }

  it('20 back-to-back sends are queued and paced: none lost at CLN\'s 4/s', async () => {
    const st = clnLimiter(cln);
    for (let i = 0; i < 20; i++) us.om.send({ nodeId: cln.id }, { type: CUSTOM, value: utf8.encode(`m${i}`) });
    expect(us.om.stats().queued.own).toBeGreaterThan(10);
    await waitFor(() => st.accepted + st.dropped === 20, 20_000, 'all 20');
    expect(st.dropped).toBe(0);
    expect(us.om.stats().warningsReceived).toBe(0);
  }, 30_000);

  it('a "Ratelimited onion_message" warning slows us down for that peer', async () => {
    // A stricter peer (1 per second, no burst) warns us, stating its limit: we pace below it
    // (80% of one per 1000 ms), not merely at half our rate (10/s would still exceed it).
    const fast = await makeNode('pacer-fast', { limits: { outboundRatePerSec: 20, outboundBurst: 5 } });
    const strict = await makeNode('strict');
    await connect(fast, strict);
    const st = clnLimiter(strict, 1000, 1000);
    for (let i = 0; i < 6; i++) fast.om.send({ nodeId: strict.id }, { type: CUSTOM, value: new Uint8Array(1) });
    await waitFor(() => fast.om.stats().warningsReceived === 1, 5000, 'warning');
    const p = fast.om.stats().peers.find((x) => x.nodeId === toHex(strict.id))!;
    expect(p.outboundRatePerSec).toBeCloseTo(0.8);
    expect(st.dropped).toBeGreaterThan(0);
    await closeAll([fast, strict]);
  });
});
