/**
 * The LDK harness's gossip side (issue 10), checked without our gossip codecs: BOLT 7 messages are
 * built and signed by hand here (double-SHA256 of the signed part, compact ECDSA signatures), handed
 * to LDK 0.1's P2PGossipSync (`feedGossip`) or sent to it over real sockets from PeerRegistry peers,
 * and LDK's NetworkGraph is read back (`graphChannels`, `graphNodes`). The socket tests also pin down
 * what LDK 0.1 sends a peer and how it answers gossip queries; /work/notes/LDK-gossip.md lists the
 * facts with their source lines.
 *
 * The npm `lightningdevkit` 0.1 WASM build has no `std` feature: LDK then has no clock, so it
 * checks no channel_update timestamp against "now", sends `first_timestamp` 0 in its
 * gossip_timestamp_filter, and starts a full graph sync on any filter it receives. Tests below
 * assert these behaviours, so a build with `std` would fail them loudly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicRandom, publicKey, sha256, signEcdsa } from '../../src/crypto/index.ts';
import { DEFAULT_INIT_FEATURE_BITS, PeerRegistry, type Peer } from '../../src/transport/index.ts';
import { featuresFromBits } from '../../src/wire/features.ts';
import { createLogger, memorySink } from '../../src/util/log.ts';
import {
  CHAIN_HASH,
  GOSSIP_MSG,
  frameMessage,
  hex,
  initLdk,
  scidFromParts,
  startLdkNode,
  type LdkNode,
} from './ldk-harness.ts';

// ---------------------------------------------------------------------------------------------
// BOLT 7 messages by hand (deliberately independent of src/wire)

const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const u8 = (n: number): Uint8Array => Uint8Array.of(n);
const u16 = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
};
const u64 = (n: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n);
  return b;
};
/** BOLT 7: signatures cover the double-SHA256 of the message after the signature field(s). */
const dsha = (m: Uint8Array): Uint8Array => sha256(sha256(m));
const secret = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const cmp = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

/** Two node secrets ordered as BOLT 7 wants node_id_1 < node_id_2 (compressed keys, lexicographic). */
function ordered(a: Uint8Array, b: Uint8Array): [Uint8Array, Uint8Array] {
  return cmp(publicKey(a), publicKey(b)) < 0 ? [a, b] : [b, a];
}

interface Chan {
  scid: bigint;
  /** node_1 and node_2 secrets (node_1 has the lesser node id), bitcoin key secrets. */
  n1: Uint8Array;
  n2: Uint8Array;
  b1: Uint8Array;
  b2: Uint8Array;
}

/** BOLT 7 channel_announcement (type 256), framed. `unordered` keeps n1/n2 as given. */
function channelAnnouncement(c: Chan, o: { chain?: Uint8Array; features?: Uint8Array } = {}): Uint8Array {
  const f = o.features ?? new Uint8Array(0);
  const signed = cat(
    u16(f.length),
    f,
    o.chain ?? CHAIN_HASH.regtest,
    u64(c.scid),
    publicKey(c.n1),
    publicKey(c.n2),
    publicKey(c.b1),
    publicKey(c.b2),
  );
  const h = dsha(signed);
  return frameMessage(
    GOSSIP_MSG.channel_announcement,
    cat(signEcdsa(h, c.n1), signEcdsa(h, c.n2), signEcdsa(h, c.b1), signEcdsa(h, c.b2), signed),
  );
}

interface Upd {
  scid: bigint;
  /** The signing node's secret; `direction` 0 = from node_1, 1 = from node_2. */
  key: Uint8Array;
  direction: 0 | 1;
  timestamp: number;
  messageFlags?: number;
  disable?: boolean;
  cltv?: number;
  htlcMin?: bigint;
  feeBase?: number;
  feeProp?: number;
  htlcMax?: bigint;
}

/** BOLT 7 channel_update (type 258), framed. */
function channelUpdate(u: Upd): Uint8Array {
  const signed = cat(
    CHAIN_HASH.regtest,
    u64(u.scid),
    u32(u.timestamp),
    u8(u.messageFlags ?? 1), // BOLT 7: `must_be_one` (bit 0) set
    u8(u.direction | (u.disable ? 2 : 0)),
    u16(u.cltv ?? 40),
    u64(u.htlcMin ?? 1000n),
    u32(u.feeBase ?? 1000),
    u32(u.feeProp ?? 100),
    u64(u.htlcMax ?? 990_000_000n),
  );
  return frameMessage(GOSSIP_MSG.channel_update, cat(signEcdsa(dsha(signed), u.key), signed));
}

/** An IPv4 address descriptor (BOLT 7 type 1). */
const ipv4 = (ip: string, port: number): Uint8Array => cat(u8(1), Uint8Array.from(ip.split('.').map(Number)), u16(port));

/** BOLT 7 node_announcement (type 257), framed. */
function nodeAnnouncement(a: {
  key: Uint8Array;
  timestamp: number;
  alias?: string;
  features?: Uint8Array;
  rgb?: Uint8Array;
  addresses?: Uint8Array;
}): Uint8Array {
  const alias = new Uint8Array(32);
  alias.set(new TextEncoder().encode(a.alias ?? ''));
  const f = a.features ?? new Uint8Array(0);
  const addrs = a.addresses ?? new Uint8Array(0);
  const signed = cat(u16(f.length), f, u32(a.timestamp), publicKey(a.key), a.rgb ?? Uint8Array.of(1, 2, 3), alias, u16(addrs.length), addrs);
  return frameMessage(GOSSIP_MSG.node_announcement, cat(signEcdsa(dsha(signed), a.key), signed));
}

/** A copy of a framed message with one byte of its signed part flipped. */
function tamper(raw: Uint8Array, offset: number): Uint8Array {
  const t = Uint8Array.from(raw);
  t[t.length - 1 - offset] ^= 0x01;
  return t;
}

/** A channel in block `block`, its node and bitcoin keys derived from `seed`. */
function chan(block: number, seed: number, txIndex = 1): Chan {
  const [n1, n2] = ordered(secret(seed), secret(seed + 1));
  return { scid: scidFromParts(block, txIndex, 0), n1, n2, b1: secret(seed + 100), b2: secret(seed + 101) };
}

/** The announcement and both updates of a channel. */
function chanMessages(c: Chan, timestamp: number): Uint8Array[] {
  return [
    channelAnnouncement(c),
    channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp }),
    channelUpdate({ scid: c.scid, key: c.n2, direction: 1, timestamp: timestamp + 1 }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Our side: PeerRegistry peers that record every gossip message and warning LDK sends them

interface Received {
  type: number;
  payload: Uint8Array;
}

interface Us {
  reg: PeerRegistry;
  peer: Peer;
  got: Received[];
  warnings: string[];
  of(type: number): Received[];
  close(): Promise<void>;
}

const GOSSIP_TYPES = [256, 257, 258, 261, 262, 263, 264, 265];

async function connectUs(ldk: LdkNode, name: string, extraBits: number[]): Promise<Us> {
  const random = deterministicRandom(`ldk-gossip-${name}`);
  const reg = new PeerRegistry({
    nodeSecret: random(32),
    network: 'regtest',
    logger: createLogger({ level: 'warn', sinks: [memorySink(1000)], prefix: name }),
    random,
    limits: { pingIntervalMs: 0 },
    localFeatures: featuresFromBits([...DEFAULT_INIT_FEATURE_BITS, ...extraBits]),
  });
  const got: Received[] = [];
  const warnings: string[] = [];
  // Subscribing makes the even gossip types known to our transport (BOLT 1: an unknown even type closes).
  for (const t of GOSSIP_TYPES) reg.onMessage(t, (_p, payload) => got.push({ type: t, payload: Uint8Array.from(payload) }));
  reg.onMessage(1, (_p, payload) => {
    // BOLT 1 warning: channel_id, u16 len, data.
    const len = (payload[32]! << 8) | payload[33]!;
    warnings.push(new TextDecoder().decode(payload.subarray(34, 34 + len)));
  });
  const peer = await reg.connect(ldk.nodeId, ldk.host, ldk.port, { transport: 'tcp' });
  await ldk.waitForPeer(reg.nodeId);
  return {
    reg,
    peer,
    got,
    warnings,
    of: (type) => got.filter((g) => g.type === type),
    close: () => reg.close(),
  };
}

function sendRaw(us: Us, framed: Uint8Array): void {
  expect(us.peer.send((framed[0]! << 8) | framed[1]!, framed.subarray(2))).toBe(true);
}

const filterMsg = (first: number, range: number): Uint8Array => cat(CHAIN_HASH.regtest, u32(first), u32(range));
const queryRange = (first: number, count: number, opts: { chain?: Uint8Array; queryOption?: number } = {}): Uint8Array =>
  cat(opts.chain ?? CHAIN_HASH.regtest, u32(first), u32(count), opts.queryOption === undefined ? new Uint8Array(0) : cat(u8(1), u8(1), u8(opts.queryOption)));

interface ReplyRange {
  chain: string;
  firstBlocknum: number;
  numberOfBlocks: number;
  syncComplete: number;
  scids: bigint[];
  /** Bytes after encoded_short_ids (the reply_channel_range_tlvs). */
  tlvBytes: number;
}

function parseReplyRange(p: Uint8Array): ReplyRange {
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const len = dv.getUint16(41);
  expect(p[43], 'encoding_type 0 (uncompressed)').toBe(0);
  const scids: bigint[] = [];
  for (let o = 44; o < 43 + len; o += 8) scids.push(dv.getBigUint64(o));
  return {
    chain: hex(p.subarray(0, 32)),
    firstBlocknum: dv.getUint32(32),
    numberOfBlocks: dv.getUint32(36),
    syncComplete: p[40]!,
    scids,
    tlvBytes: p.length - (43 + len),
  };
}

/**
 * What LDK sends in a full graph sync, from its own graph: per channel by ascending scid its
 * announcement then its updates (direction 0, then 1), then the node_announcements by ascending node
 * id; every message as LDK stored it.
 */
function expectedGraphDump(ldk: LdkNode): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of ldk.graphChannels()) {
    if (!c.announcement) continue;
    out.push(c.announcement);
    if (c.update1?.message) out.push(c.update1.message);
    if (c.update2?.message) out.push(c.update2.message);
  }
  for (const n of ldk.graphNodes()) if (n.announcement?.message) out.push(n.announcement.message);
  return out;
}

// ---------------------------------------------------------------------------------------------

const NOW = Math.floor(Date.now() / 1000);

describe('LDK harness: gossip into and out of LDK 0.1 (issue 10)', () => {
  let ldk: LdkNode;

  beforeAll(async () => {
    await initLdk();
    ldk = await startLdkNode({ seed: 0x61, gossip: true });
  });

  afterAll(async () => {
    await ldk?.stop();
  });

  it('LDK stores hand-signed channel_announcement, channel_updates and node_announcements, byte for byte', () => {
    const c = chan(100, 1);
    const ann = channelAnnouncement(c);
    const up1 = channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: NOW, cltv: 34, feeBase: 7, feeProp: 11, htlcMin: 2n, htlcMax: 5_000n });
    const up2 = channelUpdate({ scid: c.scid, key: c.n2, direction: 1, timestamp: NOW + 1, disable: true });
    const na1 = nodeAnnouncement({
      key: c.n1,
      timestamp: NOW,
      alias: 'first',
      rgb: Uint8Array.of(9, 8, 7),
      features: featuresFromBits([7, 39]),
      addresses: ipv4('127.0.0.1', 9735),
    });
    const na2 = nodeAnnouncement({ key: c.n2, timestamp: NOW, alias: 'second' });
    const results = ldk.feedGossip([ann, up1, up2, na1, na2]);
    expect(results).toEqual([256, 258, 258, 257, 257].map((type) => ({ type, ok: true, relay: true })));

    const chans = ldk.graphChannels();
    expect(chans.map((x) => x.scid)).toEqual([c.scid]);
    const ch = chans[0]!;
    expect(ch).toMatchObject({
      node1: hex(publicKey(c.n1)),
      node2: hex(publicKey(c.n2)),
      hasUpdate1: true,
      hasUpdate2: true,
      timestamp1: NOW,
      timestamp2: NOW + 1,
    });
    expect(ch.capacitySats, 'no UtxoLookup: capacity unknown').toBeUndefined();
    expect(ch.update1).toMatchObject({ enabled: true, cltvExpiryDelta: 34, feeBaseMsat: 7, feeProportionalMillionths: 11, htlcMinimumMsat: 2n, htlcMaximumMsat: 5_000n });
    expect(ch.update2!.enabled).toBe(false);
    // LDK keeps the signed messages for relay exactly as we made them.
    expect(hex(ch.announcement!)).toBe(hex(ann));
    expect(hex(ch.update1!.message!)).toBe(hex(up1));
    expect(hex(ch.update2!.message!)).toBe(hex(up2));

    const nodes = ldk.graphNodes();
    expect(nodes.map((n) => n.nodeId)).toEqual([hex(publicKey(c.n1)), hex(publicKey(c.n2))]);
    expect(nodes[0]!.channels).toEqual([c.scid]);
    expect(nodes[0]!.announcement).toMatchObject({
      featureBits: [7, 39],
      timestamp: NOW,
      aliasText: 'first',
      addresses: ['127.0.0.1:9735'],
    });
    expect(hex(nodes[0]!.announcement!.rgb)).toBe('090807');
    expect(hex(nodes[0]!.announcement!.addressBytes[0]!)).toBe(hex(ipv4('127.0.0.1', 9735)));
    expect(hex(nodes[0]!.announcement!.message!)).toBe(hex(na1));
    expect(nodes[1]!.announcement!.aliasText).toBe('second');
    expect(ldk.graphNode(publicKey(c.n2))!.announcement!.addresses).toEqual([]);
    expect(ldk.graphNode(publicKey(secret(0x7f)))).toBeUndefined();
  });

  it('LDK refuses tampered or wrongly signed messages and its graph stays as it was', () => {
    const c = chan(101, 11);
    const before = ldk.graphChannels().length;
    const ann = channelAnnouncement(c);
    const up = channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: NOW });
    const na = nodeAnnouncement({ key: c.n1, timestamp: NOW, alias: 'x' });
    // The last byte of short_channel_id, and a byte of chain_hash, changed after signing.
    const r1 = ldk.feedGossip([tamper(ann, 4 * 33), tamper(ann, 4 * 33 + 8 + 16)]);
    for (const r of r1) expect(r).toMatchObject({ ok: false, error: 'Invalid signature on channel_announcement message', action: 'SendWarningMessage' });
    expect(ldk.graphChannels().length).toBe(before);

    const r2 = ldk.feedGossip([
      ann,
      tamper(up, 3), // htlc_maximum_msat changed after signing
      channelUpdate({ scid: c.scid, key: c.n2, direction: 0, timestamp: NOW }), // node_2 signs direction 0
      tamper(na, 10), // alias changed
    ]);
    expect(r2.map((r) => [r.ok, r.error])).toEqual([
      [true, undefined],
      [false, 'Invalid signature on channel_update message'],
      [false, 'Invalid signature on channel_update message'],
      [false, 'Invalid signature on node_announcement message'],
    ]);
    const ch = ldk.graphChannel(c.scid)!;
    expect([ch.hasUpdate1, ch.hasUpdate2]).toEqual([false, false]);
    expect(ldk.graphNode(publicKey(c.n1))!.announcement).toBeUndefined();
    // The untampered ones go in.
    expect(ldk.feedGossip([up, na]).map((r) => r.ok)).toEqual([true, true]);
    expect(ldk.graphChannel(c.scid)!.hasUpdate1).toBe(true);
  });

  it('what LDK 0.1 (no-std WASM) refuses and what it lets through', () => {
    const c = chan(102, 21);
    const res = ldk.feedGossip([
      nodeAnnouncement({ key: c.n1, timestamp: NOW, alias: 'early' }), // before its channel
      channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: NOW }), // before its channel
      channelAnnouncement(c),
      channelAnnouncement(c), // duplicate
      channelAnnouncement({ ...c, scid: scidFromParts(102, 2, 0), n2: c.n1 }), // node_id_1 == node_id_2
      channelAnnouncement({ ...chan(102, 25, 3), b2: chan(102, 25, 3).b1 }), // bitcoin_key_1 == bitcoin_key_2
      channelAnnouncement(chan(102, 27, 4), { chain: CHAIN_HASH.bitcoin }),
      channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: 1 }), // 1970: no staleness check without std
      channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: 1 }), // same timestamp
      channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: 0 }), // older
      channelUpdate({ scid: c.scid, key: c.n2, direction: 1, timestamp: 0xffffffff }), // year 2106: no future check
      channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: 5, messageFlags: 0 }), // must_be_one clear
      channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: 6, htlcMax: 21_000_000n * 100_000_000_000n + 1n }),
      channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: 7, htlcMin: 5n, htlcMax: 0n }), // min > max: accepted
      nodeAnnouncement({ key: c.n1, timestamp: 0, alias: 'zero', features: featuresFromBits([16]) }), // unknown even feature
      nodeAnnouncement({ key: c.n1, timestamp: 0, alias: 'again' }),
    ]);
    expect(res.map((r) => (r.ok ? 'ok' : `${r.error} (${r.action ?? '-'})`))).toEqual([
      'No existing channels for node_announcement (IgnoreError)',
      "Couldn't find channel for update (IgnoreAndLog)",
      'ok',
      'Already have non-chain-validated channel (IgnoreDuplicateGossip)',
      'Channel announcement node had a channel with itself (IgnoreError)',
      'Channel announcement node had a channel with itself (IgnoreError)',
      'Channel announcement chain hash does not match genesis hash (IgnoreAndLog)',
      'ok',
      'Update had same timestamp as last processed update (IgnoreDuplicateGossip)',
      'Update older than last processed update (IgnoreDuplicateGossip)',
      'ok',
      'decode: InvalidValue (-)',
      'htlc_maximum_msat is larger than maximum possible msats (IgnoreError)',
      'ok',
      'ok',
      'Update had the same timestamp as last processed update (IgnoreDuplicateGossip)',
    ]);
    const ch = ldk.graphChannel(c.scid)!;
    expect([ch.timestamp1, ch.timestamp2]).toEqual([7, 0xffffffff]);
    expect(ldk.graphNode(publicKey(c.n1))!.announcement).toMatchObject({ aliasText: 'zero', featureBits: [16], timestamp: 0 });
    // node_id_1 > node_id_2 is not checked either: LDK stores the ids as given.
    const sw = chan(102, 31, 5);
    const swapped = { ...sw, n1: sw.n2, n2: sw.n1 };
    expect(ldk.feedGossip([channelAnnouncement(swapped)])[0]!.ok).toBe(true);
    expect(ldk.graphChannel(sw.scid)!.node1).toBe(hex(publicKey(sw.n2)));
  });

  describe('over real sockets', () => {
    let gq: Us; // gossip_queries (7)
    let plain: Us; // no gossip bit at all
    let gqSilent: Us; // gossip_queries, never sends a filter
    const graphChans: Chan[] = [];
    const nodeAnns: Uint8Array[] = [];

    beforeAll(async () => {
      // 12 channels in blocks 200..211 with both updates and one node_announcement each:
      // 48 messages, more than the 32 LDK sends before it waits for a pong.
      for (let i = 0; i < 12; i++) graphChans.push(chan(200 + i, 40 + 2 * i));
      const msgs: Uint8Array[] = [];
      for (const c of graphChans) {
        msgs.push(...chanMessages(c, NOW - 100));
        nodeAnns.push(nodeAnnouncement({ key: c.n1, timestamp: NOW - 100, alias: `n${c.scid >> 40n}` }));
      }
      expect(ldk.feedGossip([...msgs, ...nodeAnns]).every((r) => r.ok)).toBe(true);
      [gq, plain, gqSilent] = await Promise.all([connectUs(ldk, 'gq', [7]), connectUs(ldk, 'plain', []), connectUs(ldk, 'silent', [7])]);
    });

    afterAll(async () => {
      await Promise.all([gq?.close(), plain?.close(), gqSilent?.close()]);
    });

    it('LDK advertises gossip_queries and sends gossip_timestamp_filter(0, 0xffffffff) to peers with it, nothing else', async () => {
      expect(ldk.ownInitFeatureBits(gq.reg.nodeId)).toEqual([0, 5, 7, 8, 12, 14, 17, 19, 25, 27, 39, 45, 47, 51]);
      expect(ldk.peerInfo(gq.reg.nodeId)!.featureBits).toContain(7);
      await ldk.waitFor(() => gq.of(265).length === 1 && gqSilent.of(265).length === 1, 'gossip_timestamp_filter from LDK');
      expect(hex(gq.of(265)[0]!.payload)).toBe(hex(CHAIN_HASH.regtest) + '00000000' + 'ffffffff');
      // A peer without gossip_queries gets no filter; nobody gets a query or any of LDK's graph yet.
      await ldk.waitFor(() => ldk.messageCounts(plain.reg.nodeId).out['Init'] === 1, 'init to the plain peer');
      for (const u of [gq, plain, gqSilent]) {
        expect(u.got.filter((g) => g.type !== 265).map((g) => g.type)).toEqual([]);
        const out = ldk.messageCounts(u.reg.nodeId).out;
        expect(out['QueryChannelRange'] ?? 0).toBe(0);
        expect(out['QueryShortChannelIds'] ?? 0).toBe(0);
      }
      expect(plain.of(265)).toEqual([]);
      expect(ldk.messageCounts(gq.reg.nodeId).out['GossipTimestampFilter']).toBe(1);
    });

    it('after our gossip_timestamp_filter LDK streams its whole graph, whatever range the filter asks for', async () => {
      // A filter for timestamps in the future, one second wide: LDK (no std) still sends everything.
      sendRaw(gq, frameMessage(GOSSIP_MSG.gossip_timestamp_filter, filterMsg(NOW + 1_000_000, 1)));
      const expected = expectedGraphDump(ldk);
      const total = expected.length;
      expect(total).toBeGreaterThan(32);
      await ldk.waitFor(() => gq.got.filter((g) => g.type >= 256 && g.type <= 258).length >= total, `${total} gossip messages`);
      const stream = gq.got.filter((g) => g.type >= 256 && g.type <= 258);
      expect(stream.length).toBe(total);
      expect(stream.map((g) => hex(frameMessage(g.type, g.payload)))).toEqual(expected.map(hex));
      // LDK paused after 32 messages for a pong: it pinged us and our transport answered.
      expect(ldk.messageCount(gq.reg.nodeId, 'Pong', 'in')).toBeGreaterThanOrEqual(1);
      // The other peers got none of it.
      expect(plain.got.filter((g) => g.type !== 265)).toEqual([]);
      expect(gqSilent.got.filter((g) => g.type !== 265)).toEqual([]);
    });

    it('LDK answers query_channel_range with short_channel_ids only (no TLVs), split at the query range', async () => {
      const all = ldk.graphChannels().filter((c) => c.announcement).map((c) => c.scid);
      sendRaw(plain, frameMessage(GOSSIP_MSG.query_channel_range, queryRange(0, 0xffffffff, { queryOption: 3 })));
      await ldk.waitFor(() => plain.of(264).length === 1, 'reply_channel_range');
      const full = parseReplyRange(plain.of(264)[0]!.payload);
      expect(full).toEqual({ chain: hex(CHAIN_HASH.regtest), firstBlocknum: 0, numberOfBlocks: 0xffffffff, syncComplete: 1, scids: all, tlvBytes: 0 });

      // Blocks [203, 206): the end is exclusive.
      sendRaw(plain, frameMessage(GOSSIP_MSG.query_channel_range, queryRange(203, 3)));
      // A chain LDK does not serve, and zero blocks: an empty, complete reply echoing the query.
      sendRaw(plain, frameMessage(GOSSIP_MSG.query_channel_range, queryRange(0, 1000, { chain: CHAIN_HASH.bitcoin })));
      sendRaw(plain, frameMessage(GOSSIP_MSG.query_channel_range, queryRange(200, 0)));
      await ldk.waitFor(() => plain.of(264).length === 4, 'three more replies');
      const [sub, other, zero] = plain.of(264).slice(1).map((r) => parseReplyRange(r.payload));
      expect(sub).toEqual({ chain: hex(CHAIN_HASH.regtest), firstBlocknum: 203, numberOfBlocks: 3, syncComplete: 1, scids: graphChans.slice(3, 6).map((c) => c.scid), tlvBytes: 0 });
      expect(other).toEqual({ chain: hex(CHAIN_HASH.bitcoin), firstBlocknum: 0, numberOfBlocks: 1000, syncComplete: 1, scids: [], tlvBytes: 0 });
      expect(zero).toEqual({ chain: hex(CHAIN_HASH.regtest), firstBlocknum: 200, numberOfBlocks: 0, syncComplete: 1, scids: [], tlvBytes: 0 });
      expect(ldk.isConnected(plain.reg.nodeId)).toBe(true);
    });

    it('LDK does not answer query_short_channel_ids at all (no reply_short_channel_ids_end)', async () => {
      const before = plain.got.length;
      const scids = graphChans.slice(0, 2).map((c) => c.scid);
      sendRaw(plain, frameMessage(GOSSIP_MSG.query_short_channel_ids, cat(CHAIN_HASH.regtest, u16(1 + 8 * scids.length), u8(0), ...scids.map(u64))));
      // A query_channel_range after it: its reply comes from the same queue, so once it is here any
      // answer to the first query would be too.
      sendRaw(plain, frameMessage(GOSSIP_MSG.query_channel_range, queryRange(0, 10)));
      await ldk.waitFor(() => plain.got.length > before && plain.got.some((g, i) => i >= before && g.type === 264), 'the barrier reply');
      expect(plain.got.slice(before).map((g) => g.type)).toEqual([264]);
      expect(ldk.logsMatching(/ignoring: Not implemented$/).length).toBeGreaterThanOrEqual(1);
      expect(ldk.messageCounts(plain.reg.nodeId).in['QueryShortChannelIds']).toBe(1);
      expect(ldk.isConnected(plain.reg.nodeId)).toBe(true);
    });

    it('gossip we send over the socket lands in the graph and LDK relays it to the right peers', async () => {
      const c = chan(300, 90);
      const msgs = [...chanMessages(c, NOW), nodeAnnouncement({ key: c.n2, timestamp: NOW, alias: 'relayed' })];
      const n0 = { gq: gq.got.length, plain: plain.got.length, silent: gqSilent.got.length };
      const b0 = ['ChannelAnnouncement', 'ChannelUpdate', 'NodeAnnouncement'].map((k) => ldk.gossipBroadcastCount(k));
      // The gossip_queries peer that never sent a filter is the sender here.
      for (const m of msgs) sendRaw(gqSilent, m);
      await ldk.waitFor(() => gq.got.length - n0.gq >= 4 && plain.got.length - n0.plain >= 4, 'the relayed gossip');
      const ch = ldk.graphChannel(c.scid)!;
      expect(ch).toMatchObject({ hasUpdate1: true, hasUpdate2: true, timestamp1: NOW, timestamp2: NOW + 1 });
      expect(ldk.graphNode(publicKey(c.n2))!.announcement!.aliasText).toBe('relayed');
      const hexes = msgs.map(hex);
      // To the peer with gossip_queries that sent a filter, and to the peer without gossip_queries.
      expect(gq.got.slice(n0.gq).map((g) => hex(frameMessage(g.type, g.payload)))).toEqual(hexes);
      expect(plain.got.slice(n0.plain).map((g) => hex(frameMessage(g.type, g.payload)))).toEqual(hexes);
      // Not back to the sender.
      expect(gqSilent.got.length).toBe(n0.silent);
      expect(['ChannelAnnouncement', 'ChannelUpdate', 'NodeAnnouncement'].map((k, i) => ldk.gossipBroadcastCount(k) - b0[i]!)).toEqual([1, 2, 1]);
      expect(ldk.messageCounts(gqSilent.reg.nodeId).in).toMatchObject({ ChannelAnnouncement: 1, ChannelUpdate: 2, NodeAnnouncement: 1 });
    });

    it('a gossip_queries peer that sent no filter gets no relayed gossip', async () => {
      const c = chan(301, 94);
      const n0 = { gq: gq.got.length, silent: gqSilent.got.length };
      for (const m of chanMessages(c, NOW)) sendRaw(plain, m);
      await ldk.waitFor(() => gq.got.length - n0.gq >= 3, 'relay to the filtering peer');
      expect(ldk.graphChannel(c.scid)!.hasUpdate2).toBe(true);
      expect(gqSilent.got.length).toBe(n0.silent);
    });

    it('bad gossip over the socket: a warning, the message dropped, the peer kept', async () => {
      const c = graphChans[0]!;
      const w0 = plain.warnings.length;
      sendRaw(plain, channelUpdate({ scid: c.scid, key: c.n2, direction: 0, timestamp: NOW + 50 })); // wrong signer
      sendRaw(plain, channelUpdate({ scid: c.scid, key: c.n1, direction: 0, timestamp: NOW + 51, messageFlags: 0 }));
      sendRaw(plain, frameMessage(GOSSIP_MSG.channel_announcement, new Uint8Array(10))); // truncated
      await ldk.waitFor(() => plain.warnings.length - w0 >= 3, 'three warnings');
      expect(plain.warnings.slice(w0)).toEqual([
        'Invalid signature on channel_update message',
        'Unreadable/bogus gossip message of type 258',
        'Unreadable/bogus gossip message of type 256',
      ]);
      expect(ldk.graphChannel(c.scid)!.timestamp1).toBe(NOW - 100);
      expect(ldk.isConnected(plain.reg.nodeId)).toBe(true);
      await expect(plain.peer.ping(8, 8)).resolves.toEqual({ totlen: 12 });
    });

    it("only a peer's first gossip_timestamp_filter counts, and its chain_hash is not checked (bit 6 peer)", async () => {
      const req = await connectUs(ldk, 'required', [6]); // gossip_queries compulsory: LDK knows it
      try {
        await ldk.waitFor(() => req.of(265).length === 1, 'the filter from LDK');
        const expected = expectedGraphDump(ldk);
        // A filter for another chain still starts LDK's full sync.
        sendRaw(req, frameMessage(GOSSIP_MSG.gossip_timestamp_filter, cat(CHAIN_HASH.bitcoin, u32(0), u32(0xffffffff))));
        await ldk.waitFor(() => req.got.length >= 1 + expected.length, 'the graph dump');
        expect(req.got.slice(1).map((g) => hex(frameMessage(g.type, g.payload)))).toEqual(expected.map(hex));
        const n = req.got.length;
        sendRaw(req, frameMessage(GOSSIP_MSG.gossip_timestamp_filter, filterMsg(0, 0xffffffff)));
        // LDK writes a pong and then, in the same write loop, any sync it has queued: after the
        // second pong, a restarted sync would have arrived.
        await req.peer.ping(0, 0);
        await req.peer.ping(0, 0);
        expect(req.got.length).toBe(n);
      } finally {
        await req.close();
      }
    });

    it('a peer with initial_routing_sync (3) and no gossip_queries gets the graph right after init', async () => {
      const irs = await connectUs(ldk, 'irs', [3]);
      try {
        const expected = expectedGraphDump(ldk);
        await ldk.waitFor(() => irs.got.length >= expected.length, 'the graph dump');
        expect(irs.got.map((g) => hex(frameMessage(g.type, g.payload)))).toEqual(expected.map(hex));
        expect(irs.of(265)).toEqual([]);
      } finally {
        await irs.close();
      }
    });
  });
});
