// BOLT 7 gossip validation (src/gossip/verify.ts, gossip-sign.ts): messages we sign verify and
// round-trip; every reject reason the precheck decides; tampered signatures, wrong signers, wrong
// chains, node id order; the flags announcements carry (unknown even features, address rules,
// disable, dont_forward, htlc bounds); the origin rules the signing helpers enforce.
import { describe, expect, it } from 'vitest';
import {
  decodeAndPrecheck,
  verifyPrechecked,
  signatureChecks,
  verifySignatureChecks,
  channelUpdateSigner,
  gossipSignedHash,
  isLowS,
  emptyRejectCounts,
  GOSSIP_REJECT_REASONS,
  DEFAULT_MAX_FUTURE_SECONDS,
  STALE_SECONDS,
  signChannelAnnouncement,
  signNodeAnnouncement,
  signChannelUpdate,
  channelAnnouncementHash,
  type Prechecked,
  type PrecheckResult,
  type GossipContext,
  type UnsignedChannelAnnouncement,
  type UnsignedNodeAnnouncement,
  type UnsignedChannelUpdate,
} from '../../src/gossip/verify.ts';
import {
  CHAIN_HASH,
  GOSSIP_MSG,
  frameMessage,
  featuresFromBits,
  nodeAliasFromText,
  decodeChannelAnnouncement,
  encodeChannelAnnouncement,
  decodeChannelUpdate,
  encodeChannelUpdate,
  encodeNodeAnnouncement,
  decodeNodeAnnouncement,
  scidFromString,
} from '../../src/wire/index.ts';
import { CURVE_ORDER, deterministicRandom, publicKey, sha256, isPrivateKey, verifyEcdsa } from '../../src/crypto/index.ts';
import { compareBytes, concatBytes, fromHex } from '../../src/util/bytes.ts';

const NOW = 1_767_225_600;
const CTX: GossipContext = { chainHash: CHAIN_HASH.mainnet, now: NOW };
const rnd = deterministicRandom('gossip-verify-test');
function key(): { secret: Uint8Array; pub: Uint8Array } {
  for (;;) {
    const s = rnd(32);
    if (isPrivateKey(s)) return { secret: s, pub: publicKey(s) };
  }
}
const [ka, kb] = [key(), key()];
const [n1, n2] = compareBytes(ka.pub, kb.pub) < 0 ? [ka, kb] : [kb, ka];
const f1 = key();
const f2 = key();
const SCID = scidFromString('800000x1234x1')!;
const SECRETS = { nodeSecret1: n1.secret, nodeSecret2: n2.secret, bitcoinSecret1: f1.secret, bitcoinSecret2: f2.secret };

const unsignedCA = (over: Partial<UnsignedChannelAnnouncement> = {}): UnsignedChannelAnnouncement => ({
  features: new Uint8Array(0),
  chainHash: CHAIN_HASH.mainnet,
  shortChannelId: SCID,
  nodeId1: n1.pub,
  nodeId2: n2.pub,
  bitcoinKey1: f1.pub,
  bitcoinKey2: f2.pub,
  ...over,
});
const unsignedNA = (over: Partial<UnsignedNodeAnnouncement> = {}): UnsignedNodeAnnouncement => ({
  features: featuresFromBits([7, 9, 15, 17, 39]),
  timestamp: NOW - 100,
  nodeId: n1.pub,
  rgbColor: fromHex('3399ff'),
  alias: nodeAliasFromText('bolt12d test ⚡'),
  addresses: [
    { type: 'ipv4', addr: fromHex('7f000001'), port: 9735 },
    { type: 'dns', hostname: 'node.example.com', port: 9735 },
    { type: 'websocket', port: 9736 },
  ],
  ...over,
});
const unsignedCU = (over: Partial<UnsignedChannelUpdate> = {}): UnsignedChannelUpdate => ({
  chainHash: CHAIN_HASH.mainnet,
  shortChannelId: SCID,
  timestamp: NOW - 60,
  messageFlags: 1,
  channelFlags: 0,
  cltvExpiryDelta: 144,
  htlcMinimumMsat: 1000n,
  feeBaseMsat: 1000,
  feeProportionalMillionths: 10,
  htlcMaximumMsat: 990_000_000n,
  ...over,
});

const caRaw = (over: Partial<UnsignedChannelAnnouncement> = {}) => frameMessage(GOSSIP_MSG.channel_announcement, signChannelAnnouncement(unsignedCA(over), SECRETS));
const naRaw = (over: Partial<UnsignedNodeAnnouncement> = {}, secret = n1.secret) => frameMessage(GOSSIP_MSG.node_announcement, signNodeAnnouncement(unsignedNA(over), secret));
const cuRaw = (over: Partial<UnsignedChannelUpdate> = {}, secret?: Uint8Array) => {
  const u = unsignedCU(over);
  return frameMessage(GOSSIP_MSG.channel_update, signChannelUpdate(u, secret ?? ((u.channelFlags & 1) === 0 ? n1.secret : n2.secret)));
};

function ok(r: PrecheckResult): { ok: true } & Prechecked {
  if (!r.ok) throw new Error(`expected the precheck to pass: ${r.reason} (${r.detail})`);
  return r;
}
function rejected(r: PrecheckResult) {
  if (r.ok) throw new Error(`expected a rejection, got ${r.kind}`);
  return r;
}
/** `s` → n − s: the same signature in high-S form (valid for lax verifiers, refused by libsecp256k1). */
function highS(sig: Uint8Array): Uint8Array {
  let s = 0n;
  for (const b of sig.subarray(32)) s = (s << 8n) | BigInt(b);
  let t = CURVE_ORDER - s;
  const out = sig.slice();
  for (let i = 63; i >= 32; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}
/** The same framed message with `payload` bytes changed. */
const withPayload = (raw: Uint8Array, f: (p: Uint8Array) => void) => {
  const c = raw.slice();
  f(c.subarray(2));
  return c;
};

describe('messages we sign verify and round-trip', () => {
  it('channel_announcement: four signatures over h (payload from offset 256, double-SHA256)', () => {
    const raw = caRaw();
    const p = ok(decodeAndPrecheck(raw, CTX));
    expect(p.kind).toBe('channel_announcement');
    expect(p.signedHash).toEqual(sha256(sha256(raw.subarray(2 + 256))));
    expect(p.signedHash).toEqual(channelAnnouncementHash(unsignedCA()));
    expect(p.signedHash).toEqual(gossipSignedHash(GOSSIP_MSG.channel_announcement, raw.subarray(2)));
    expect(signatureChecks(p)).toHaveLength(4);
    expect(verifyPrechecked(p)).toBe(true);
    expect(encodeChannelAnnouncement(decodeChannelAnnouncement(raw.subarray(2)))).toEqual(raw.subarray(2));
    // Each of the four signatures is checked against its own key.
    const checks = signatureChecks(p);
    expect(checks.map((c) => c.pubkey)).toEqual([n1.pub, n2.pub, f1.pub, f2.pub]);
    for (const c of checks) expect(verifyEcdsa(c.digest, c.pubkey, c.signature)).toBe(true);
  });
  it('node_announcement: signature over everything after it', () => {
    const raw = naRaw();
    const p = ok(decodeAndPrecheck(raw, CTX));
    expect(p.kind).toBe('node_announcement');
    expect(p.signedHash).toEqual(sha256(sha256(raw.subarray(2 + 64))));
    expect(verifyPrechecked(p)).toBe(true);
    expect(encodeNodeAnnouncement(decodeNodeAnnouncement(raw.subarray(2)))).toEqual(raw.subarray(2));
    if (p.kind === 'node_announcement') {
      expect(p.unknownEvenFeatures).toEqual([]);
      expect(p.addressIssues).toEqual([]);
      expect(p.forwardable).toBe(true);
    }
  });
  it('channel_update: signed by node_id_1 for direction 0 and node_id_2 for direction 1', () => {
    const ann = decodeChannelAnnouncement(caRaw().subarray(2));
    for (const dir of [0, 1]) {
      const raw = cuRaw({ channelFlags: dir });
      const p = ok(decodeAndPrecheck(raw, CTX));
      if (p.kind !== 'channel_update') throw new Error('kind');
      expect(p.direction).toBe(dir);
      expect(p.signedHash).toEqual(sha256(sha256(raw.subarray(2 + 64))));
      const signer = channelUpdateSigner(ann, p.msg);
      expect(signer).toEqual(dir === 0 ? n1.pub : n2.pub);
      expect(verifyPrechecked(p, signer)).toBe(true);
      // The other end's key does not verify it.
      expect(verifyPrechecked(p, dir === 0 ? n2.pub : n1.pub)).toBe(false);
      expect(encodeChannelUpdate(decodeChannelUpdate(raw.subarray(2)))).toEqual(raw.subarray(2));
    }
    expect(() => signatureChecks(ok(decodeAndPrecheck(cuRaw(), CTX)))).toThrow(RangeError);
  });
  it('future fields appended to the end are signed too', () => {
    const extra = fromHex('fe0001000102');
    const ca = ok(decodeAndPrecheck(caRaw({ extra }), CTX));
    expect(verifyPrechecked(ca)).toBe(true);
    const cu = ok(decodeAndPrecheck(cuRaw({ extra }), CTX));
    expect(verifyPrechecked(cu, n1.pub)).toBe(true);
    const na = ok(decodeAndPrecheck(naRaw({ extra }), CTX));
    expect(verifyPrechecked(na)).toBe(true);
    // Changing an appended byte breaks every signature.
    for (const [raw, signer] of [[caRaw({ extra }), undefined], [cuRaw({ extra }), n1.pub], [naRaw({ extra }), undefined]] as const) {
      const t = raw.slice();
      t[t.length - 1]! ^= 1;
      expect(verifyPrechecked(ok(decodeAndPrecheck(t, CTX)), signer)).toBe(false);
    }
  });
});

describe('bad signatures', () => {
  it('a flipped bit in any signature, or in any signed field, fails verification', () => {
    const raw = caRaw();
    for (const off of [0, 64 + 10, 128 + 31, 192 + 63, 256 + 2 + 32 + 5, raw.length - 3]) {
      const t = withPayload(raw, (p) => (p[off < raw.length - 2 ? off : p.length - 1]! ^= 0x01));
      const r = decodeAndPrecheck(t, CTX);
      // A flipped signature byte may also make s high: then the precheck already refuses it.
      if (r.ok) expect(verifyPrechecked(r)).toBe(false);
      else expect(r.reason).toBe('non_canonical');
    }
    const cu = cuRaw();
    const t = withPayload(cu, (p) => (p[120]! ^= 1)); // fee_base_msat
    expect(verifyPrechecked(ok(decodeAndPrecheck(t, CTX)), n1.pub)).toBe(false);
    const na = naRaw();
    const tn = withPayload(na, (p) => (p[p.length - 1]! ^= 1)); // the websocket port
    expect(verifyPrechecked(ok(decodeAndPrecheck(tn, CTX)))).toBe(false);
  });
  it('signatures by the wrong keys fail: node and bitcoin keys swapped, another node signing an announcement', () => {
    const swapped = frameMessage(GOSSIP_MSG.channel_announcement, signChannelAnnouncement(unsignedCA(), { ...SECRETS, bitcoinSecret1: f2.secret, bitcoinSecret2: f1.secret }));
    expect(verifyPrechecked(ok(decodeAndPrecheck(swapped, CTX)))).toBe(false);
    expect(verifyPrechecked(ok(decodeAndPrecheck(naRaw({}, n2.secret), CTX)))).toBe(false);
    expect(verifyPrechecked(ok(decodeAndPrecheck(cuRaw({}, f1.secret), CTX)), n1.pub)).toBe(false);
  });
  it('a node id that is not on the curve fails verification (not a crash)', () => {
    const offCurve = fromHex('02' + '00'.repeat(31) + '05'); // x = 5: x³+7 = 132 is not a square mod p
    const p = encodeChannelAnnouncement({ ...decodeChannelAnnouncement(caRaw().subarray(2)), bitcoinKey1: offCurve });
    const r = ok(decodeAndPrecheck(frameMessage(GOSSIP_MSG.channel_announcement, p), CTX));
    expect(verifyPrechecked(r)).toBe(false);
  });
  it('an all-zero signature, and r or s equal to n, never verify', () => {
    const p = ok(decodeAndPrecheck(cuRaw(), CTX));
    const n = fromHex(CURVE_ORDER.toString(16));
    const sig = decodeChannelUpdate(p.payload).signature;
    expect(verifyPrechecked(p, n1.pub)).toBe(true);
    expect(verifyEcdsa(p.signedHash, n1.pub, new Uint8Array(64))).toBe(false);
    expect(verifyEcdsa(p.signedHash, n1.pub, concatBytes(n, sig.subarray(32)))).toBe(false);
    expect(verifyEcdsa(p.signedHash, n1.pub, concatBytes(sig.subarray(0, 32), n))).toBe(false);
  });
  it('verifySignatureChecks: all must pass', () => {
    const p = ok(decodeAndPrecheck(caRaw(), CTX));
    const checks = signatureChecks(p);
    expect(verifySignatureChecks(checks)).toBe(true);
    expect(verifySignatureChecks([...checks.slice(0, 3), { ...checks[3]!, pubkey: n1.pub }])).toBe(false);
    expect(verifySignatureChecks([])).toBe(true);
  });
});

describe('reject reasons decided by the precheck', () => {
  it('malformed: truncated, bad point prefix, short type, types without signatures', () => {
    const raw = caRaw();
    const t = rejected(decodeAndPrecheck(raw.subarray(0, 300), CTX));
    expect(t.reason).toBe('malformed');
    expect(t.type).toBe(256);
    expect(t.detail).toMatch(/channel_announcement\./);
    const flen = decodeNodeAnnouncement(naRaw().subarray(2)).features.length;
    const badPrefix = withPayload(naRaw(), (p) => (p[64 + 2 + flen + 4] = 0x05));
    const b = rejected(decodeAndPrecheck(badPrefix, CTX));
    expect(b.reason).toBe('malformed');
    expect(b.detail).toMatch(/node_announcement\.node_id/);
    expect(rejected(decodeAndPrecheck(new Uint8Array([1]), CTX)).reason).toBe('malformed');
    expect(rejected(decodeAndPrecheck(frameMessage(GOSSIP_MSG.query_channel_range, new Uint8Array(40)), CTX)).reason).toBe('malformed');
    expect(rejected(decodeAndPrecheck(cuRaw().subarray(0, 2 + 128), CTX)).detail).toMatch(/htlc_maximum_msat/);
    // A cut-off address descriptor or a non-ASCII hostname make the announcement unreadable.
    const na = naRaw();
    expect(rejected(decodeAndPrecheck(withPayload(na, (p) => (p[p.length - 3 - 20 + 2] = 0xc3)), CTX)).detail).toMatch(/MUST be ASCII/);
  });
  it('wrong_chain: channel_announcement and channel_update of another chain', () => {
    const ca = caRaw({ chainHash: CHAIN_HASH.testnet });
    expect(rejected(decodeAndPrecheck(ca, CTX)).reason).toBe('wrong_chain');
    expect(ok(decodeAndPrecheck(ca, { ...CTX, chainHash: CHAIN_HASH.testnet })).kind).toBe('channel_announcement');
    expect(rejected(decodeAndPrecheck(cuRaw({ chainHash: CHAIN_HASH.regtest }), CTX)).reason).toBe('wrong_chain');
  });
  it('node_ids_not_ordered: node_id_1 greater than or equal to node_id_2', () => {
    const m = decodeChannelAnnouncement(caRaw().subarray(2));
    const reversed = frameMessage(GOSSIP_MSG.channel_announcement, encodeChannelAnnouncement({ ...m, nodeId1: m.nodeId2, nodeId2: m.nodeId1 }));
    expect(rejected(decodeAndPrecheck(reversed, CTX)).reason).toBe('node_ids_not_ordered');
    const same = frameMessage(GOSSIP_MSG.channel_announcement, encodeChannelAnnouncement({ ...m, nodeId2: m.nodeId1 }));
    expect(rejected(decodeAndPrecheck(same, CTX)).reason).toBe('node_ids_not_ordered');
  });
  it('non_canonical: a high-S signature (same signature, s → n − s), on every message type', () => {
    const ca = caRaw();
    for (const k of [0, 1, 2, 3]) {
      const t = withPayload(ca, (p) => p.set(highS(p.subarray(64 * k, 64 * k + 64)), 64 * k));
      expect(rejected(decodeAndPrecheck(t, CTX)).reason).toBe('non_canonical');
    }
    for (const raw of [cuRaw(), naRaw()]) {
      const t = withPayload(raw, (p) => p.set(highS(p.subarray(0, 64)), 0));
      expect(rejected(decodeAndPrecheck(t, CTX)).reason).toBe('non_canonical');
    }
    const sig = decodeChannelUpdate(cuRaw().subarray(2)).signature;
    expect(isLowS(sig)).toBe(true);
    expect(isLowS(highS(sig))).toBe(false);
  });
  it('future_timestamp: more than a day ahead (channel_update, node_announcement)', () => {
    expect(ok(decodeAndPrecheck(cuRaw({ timestamp: NOW + DEFAULT_MAX_FUTURE_SECONDS }), CTX)).kind).toBe('channel_update');
    expect(rejected(decodeAndPrecheck(cuRaw({ timestamp: NOW + DEFAULT_MAX_FUTURE_SECONDS + 1 }), CTX)).reason).toBe('future_timestamp');
    expect(ok(decodeAndPrecheck(naRaw({ timestamp: NOW + DEFAULT_MAX_FUTURE_SECONDS }), CTX)).kind).toBe('node_announcement');
    expect(rejected(decodeAndPrecheck(naRaw({ timestamp: NOW + DEFAULT_MAX_FUTURE_SECONDS + 1 }), CTX)).reason).toBe('future_timestamp');
    expect(ok(decodeAndPrecheck(cuRaw({ timestamp: NOW + 3600 }), { ...CTX, maxFutureSeconds: 3600 })).ok).toBe(true);
    expect(rejected(decodeAndPrecheck(cuRaw({ timestamp: NOW + 3601 }), { ...CTX, maxFutureSeconds: 3600 })).reason).toBe('future_timestamp');
  });
  it('stale: a channel_update older than two weeks (node_announcements are not aged)', () => {
    expect(ok(decodeAndPrecheck(cuRaw({ timestamp: NOW - STALE_SECONDS }), CTX)).ok).toBe(true);
    expect(rejected(decodeAndPrecheck(cuRaw({ timestamp: NOW - STALE_SECONDS - 1 }), CTX)).reason).toBe('stale');
    expect(ok(decodeAndPrecheck(cuRaw({ timestamp: 1 }), { ...CTX, staleSeconds: Infinity })).ok).toBe(true);
    expect(ok(decodeAndPrecheck(naRaw({ timestamp: 1 }), CTX)).ok).toBe(true);
  });
  it('the reasons form one list the caller counts', () => {
    const c = emptyRejectCounts();
    expect(Object.keys(c)).toEqual([...GOSSIP_REJECT_REASONS]);
    expect(Object.values(c).every((n) => n === 0)).toBe(true);
    for (const r of ['bad_signature', 'wrong_chain', 'non_canonical', 'stale', 'future_timestamp', 'unknown_channel', 'malformed']) {
      expect(GOSSIP_REJECT_REASONS).toContain(r);
    }
  });
});

describe('what an accepted message carries', () => {
  it('channel_announcement: every even feature bit is unknown (BOLT 9 assigns none to channels)', () => {
    const p = ok(decodeAndPrecheck(caRaw({ features: featuresFromBits([0, 3, 8]) }), CTX));
    if (p.kind !== 'channel_announcement') throw new Error('kind');
    expect(p.unknownEvenFeatures).toEqual([0, 8]);
    expect(verifyPrechecked(p)).toBe(true);
  });
  it('node_announcement: unknown even bits, address issues, not forwardable with two DNS names', () => {
    const p = ok(decodeAndPrecheck(naRaw({ features: featuresFromBits([38, 100, 101]) }), CTX));
    if (p.kind !== 'node_announcement') throw new Error('kind');
    expect(p.unknownEvenFeatures).toEqual([100]); // 38 (option_onion_messages) is known
    // Two DNS names cannot be signed by us; build one by hand.
    const m = decodeNodeAnnouncement(naRaw().subarray(2));
    const two = frameMessage(
      GOSSIP_MSG.node_announcement,
      encodeNodeAnnouncement({ ...m, addresses: [...m.addresses.slice(0, 2), { type: 'dns', hostname: 'second.example', port: 1 }] }),
    );
    const q = ok(decodeAndPrecheck(two, CTX));
    if (q.kind !== 'node_announcement') throw new Error('kind');
    expect(q.addressIssues).toEqual([{ index: 2, rule: 'extra_dns' }]);
    expect(q.forwardable).toBe(false);
    expect(verifyPrechecked(q)).toBe(false); // and its signature no longer matches
  });
  it('channel_update: disabled, dont_forward, htlc_minimum_msat above htlc_maximum_msat → not routable', () => {
    const p = ok(decodeAndPrecheck(cuRaw({ channelFlags: 3, messageFlags: 3 }), CTX));
    if (p.kind !== 'channel_update') throw new Error('kind');
    expect([p.direction, p.disabled, p.forwardable, p.routable]).toEqual([1, true, false, true]);
    const m = decodeChannelUpdate(cuRaw().subarray(2));
    const inverted = frameMessage(GOSSIP_MSG.channel_update, encodeChannelUpdate({ ...m, htlcMinimumMsat: 5n, htlcMaximumMsat: 4n }));
    const q = ok(decodeAndPrecheck(inverted, CTX));
    if (q.kind !== 'channel_update') throw new Error('kind');
    expect(q.routable).toBe(false);
    // must_be_one = 0 is ignored by receivers (the field is always present).
    const zero = frameMessage(GOSSIP_MSG.channel_update, encodeChannelUpdate({ ...m, messageFlags: 0 }));
    expect(ok(decodeAndPrecheck(zero, CTX)).ok).toBe(true);
  });
});

describe('origin rules the signing helpers enforce', () => {
  it('channel_announcement: node ids ordered, minimal features', () => {
    expect(() => signChannelAnnouncement(unsignedCA({ nodeId1: n2.pub, nodeId2: n1.pub }), SECRETS)).toThrow(/lexicographically-lesser/);
    expect(() => signChannelAnnouncement(unsignedCA({ nodeId2: n1.pub }), SECRETS)).toThrow(RangeError);
    expect(() => signChannelAnnouncement(unsignedCA({ features: fromHex('0001') }), SECRETS)).toThrow(/minimum length/);
  });
  it('node_announcement: alias UTF-8 with zero padding, address list rules', () => {
    const bad = new Uint8Array(32);
    bad.set([0xff, 0x41]);
    expect(() => signNodeAnnouncement(unsignedNA({ alias: bad }), n1.secret)).toThrow(/valid UTF-8/);
    const gap = new Uint8Array(32);
    gap.set([0x41, 0, 0x42]);
    expect(() => signNodeAnnouncement(unsignedNA({ alias: gap }), n1.secret)).toThrow(/trailing/);
    expect(() => signNodeAnnouncement(unsignedNA({ alias: new Uint8Array(31) }), n1.secret)).toThrow(/32 bytes/);
    const cases: [UnsignedNodeAnnouncement['addresses'], RegExp][] = [
      [[{ type: 'ipv6', addr: new Uint8Array(16), port: 1 }, { type: 'ipv4', addr: new Uint8Array(4), port: 1 }], /not_ascending/],
      [[{ type: 'ipv4', addr: new Uint8Array(4), port: 0 }], /port_zero/],
      [[{ type: 'dns', hostname: 'a.example', port: 1 }, { type: 'dns', hostname: 'b.example', port: 1 }], /extra_dns/],
      [[{ type: 'torv2', addr: new Uint8Array(10), port: 1 }], /torv2/],
    ];
    for (const [addresses, re] of cases) expect(() => signNodeAnnouncement(unsignedNA({ addresses }), n1.secret)).toThrow(re);
    expect(() => signNodeAnnouncement(unsignedNA({ features: fromHex('0080') }), n1.secret)).toThrow(/minimum length/);
  });
  it('channel_update: must_be_one, unassigned bits 0, timestamp > 0, htlc_minimum_msat <= htlc_maximum_msat', () => {
    expect(() => signChannelUpdate(unsignedCU({ messageFlags: 0 }), n1.secret)).toThrow(/must_be_one/);
    expect(() => signChannelUpdate(unsignedCU({ messageFlags: 5 }), n1.secret)).toThrow(/message_flags/);
    expect(() => signChannelUpdate(unsignedCU({ channelFlags: 4 }), n1.secret)).toThrow(/channel_flags/);
    expect(() => signChannelUpdate(unsignedCU({ timestamp: 0 }), n1.secret)).toThrow(/greater than 0/);
    expect(() => signChannelUpdate(unsignedCU({ htlcMinimumMsat: 2n, htlcMaximumMsat: 1n }), n1.secret)).toThrow(/htlc_minimum_msat/);
  });
  it('signatures are deterministic (RFC 6979) and low-S', () => {
    expect(caRaw()).toEqual(caRaw());
    const p = ok(decodeAndPrecheck(caRaw(), CTX));
    for (const c of signatureChecks(p)) expect(isLowS(c.signature)).toBe(true);
  });
});
