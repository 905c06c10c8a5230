// BOLT 7 gossip codecs: the extended-queries vectors (all 10, zlib ones decoded), round trips of
// every message, every address descriptor type, typed errors for malformed input, fuzzing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import {
  GOSSIP_MSG,
  WireError,
  splitMessage,
  frameMessage,
  scidFromString,
  decodeChannelAnnouncement,
  encodeChannelAnnouncement,
  decodeNodeAnnouncement,
  encodeNodeAnnouncement,
  decodeChannelUpdate,
  encodeChannelUpdate,
  decodeAnnouncementSignatures,
  encodeAnnouncementSignatures,
  decodeQueryShortChannelIds,
  encodeQueryShortChannelIds,
  decodeReplyShortChannelIdsEnd,
  encodeReplyShortChannelIdsEnd,
  decodeQueryChannelRange,
  encodeQueryChannelRange,
  decodeReplyChannelRange,
  encodeReplyChannelRange,
  decodeGossipTimestampFilter,
  encodeGossipTimestampFilter,
  decodeEncodedShortIds,
  encodeShortIds,
  decodeNodeAddresses,
  encodeNodeAddresses,
  nodeAddressIssues,
  usableNodeAddresses,
  isValidDnsHostname,
  nodeAliasText,
  nodeAliasFromText,
  channelUpdateChecksum,
  channelUpdateDirection,
  channelUpdateDisabled,
  channelUpdateDontForward,
  crc32c,
  timestampInFilter,
  CHANNEL_UPDATE_LEN,
  MAX_INFLATED_BYTES,
  QUERY_OPTION,
  type ChannelAnnouncement,
  type NodeAnnouncement,
  type ChannelUpdate,
  type NodeAddress,
  type ReplyChannelRange,
  type QueryShortChannelIds,
} from '../../src/wire/index.ts';
import { concatBytes, fromHex, toHex } from '../../src/util/bytes.ts';
import { fuzzDecoder } from './fuzz-helpers.ts';

interface Vector {
  hex: string;
  msg: Record<string, unknown> & { type: string; chainHash: string };
}
const VECTORS = JSON.parse(readFileSync(new URL('../vectors/bolt07/extended-queries.json', import.meta.url), 'utf8')) as Vector[];

function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error('expected a WireError');
}

const scids = (a: string[]) => a.map((s) => scidFromString(s)!);
const enc = (e: string) => (e === 'UNCOMPRESSED' ? 0 : e === 'COMPRESSED_ZLIB' ? 1 : -1);
const optionFlags = (s: string) =>
  s.split('|').reduce((f, n) => f | ({ WANT_TIMESTAMPS: QUERY_OPTION.timestamps, WANT_CHECKSUMS: QUERY_OPTION.checksums } as Record<string, bigint>)[n.trim()]!, 0n);

describe('extended-queries vectors (BOLT 7, vectors/bolt07/extended-queries.json)', () => {
  it('has 10 messages: 2 query_channel_range, 4 reply_channel_range, 4 query_short_channel_ids, 5 of them zlib', () => {
    expect(VECTORS).toHaveLength(10);
    const types = VECTORS.map((v) => v.msg.type);
    expect(types.filter((t) => t === 'QueryChannelRange')).toHaveLength(2);
    expect(types.filter((t) => t === 'ReplyChannelRange')).toHaveLength(4);
    expect(types.filter((t) => t === 'QueryShortChannelIds')).toHaveLength(4);
    expect(VECTORS.filter((v) => JSON.stringify(v.msg).includes('COMPRESSED_ZLIB'))).toHaveLength(5);
  });

  VECTORS.forEach((v, i) => {
    const zlib = JSON.stringify(v.msg).includes('COMPRESSED_ZLIB');
    it(`#${i} ${v.msg.type}${zlib ? ' (zlib: decoded, re-encoded uncompressed)' : ''}`, () => {
      const { type, payload } = splitMessage(fromHex(v.hex));
      const m = v.msg as any;
      const chainHash = fromHex(m.chainHash);
      let reencoded: Uint8Array;
      if (m.type === 'QueryChannelRange') {
        expect(type).toBe(GOSSIP_MSG.query_channel_range);
        const d = decodeQueryChannelRange(payload);
        expect(toHex(d.chainHash)).toBe(m.chainHash);
        expect(d.firstBlocknum).toBe(m.firstBlockNum);
        expect(d.numberOfBlocks).toBe(m.numberOfBlocks);
        expect(d.queryOptionFlags).toBe(m.tlvStream.records.length ? optionFlags(m.tlvStream.records[0]) : undefined);
        expect(d.unknownTlvs).toEqual([]);
        reencoded = encodeQueryChannelRange(d);
      } else if (m.type === 'ReplyChannelRange') {
        expect(type).toBe(GOSSIP_MSG.reply_channel_range);
        const d = decodeReplyChannelRange(payload);
        expect(d.chainHash).toEqual(chainHash);
        expect(d.firstBlocknum).toBe(m.firstBlockNum);
        expect(d.numberOfBlocks).toBe(m.numberOfBlocks);
        expect(d.syncComplete).toBe(m.complete);
        expect(d.encoding).toBe(enc(m.shortChannelIds.encoding));
        expect(d.shortChannelIds).toEqual(scids(m.shortChannelIds.array));
        if (m.timestamps) {
          expect(d.timestamps!.encoding).toBe(enc(m.timestamps.encoding));
          expect(d.timestamps!.pairs).toEqual(m.timestamps.timestamps.map((t: any) => ({ nodeId1: t.timestamp1, nodeId2: t.timestamp2 })));
        } else expect(d.timestamps).toBeUndefined();
        if (m.checksums) expect(d.checksums).toEqual(m.checksums.checksums.map((c: any) => ({ nodeId1: c.checksum1, nodeId2: c.checksum2 })));
        else expect(d.checksums).toBeUndefined();
        if (zlib) {
          // Our encoder never emits zlib: asking for it is refused, the uncompressed form round-trips.
          expect(() => encodeReplyChannelRange(d)).toThrow(RangeError);
          const plain: ReplyChannelRange = { ...d, encoding: 0, timestamps: d.timestamps && { ...d.timestamps, encoding: 0 } };
          reencoded = encodeReplyChannelRange(plain);
          expect(decodeReplyChannelRange(reencoded)).toEqual(plain);
        } else reencoded = encodeReplyChannelRange(d);
      } else {
        expect(m.type).toBe('QueryShortChannelIds');
        expect(type).toBe(GOSSIP_MSG.query_short_channel_ids);
        const d = decodeQueryShortChannelIds(payload);
        expect(d.chainHash).toEqual(chainHash);
        expect(d.encoding).toBe(enc(m.shortChannelIds.encoding));
        expect(d.shortChannelIds).toEqual(scids(m.shortChannelIds.array));
        const rec = m.tlvStream.records[0];
        if (rec) {
          expect(d.queryFlags!.encoding).toBe(enc(rec.encoding));
          expect(d.queryFlags!.flags).toEqual(rec.array.map(BigInt));
        } else expect(d.queryFlags).toBeUndefined();
        if (zlib) {
          expect(() => encodeQueryShortChannelIds(d)).toThrow(RangeError);
          const plain: QueryShortChannelIds = { ...d, encoding: 0, queryFlags: d.queryFlags && { ...d.queryFlags, encoding: 0 } };
          reencoded = encodeQueryShortChannelIds(plain);
          expect(decodeQueryShortChannelIds(reencoded)).toEqual(plain);
        } else reencoded = encodeQueryShortChannelIds(d);
      }
      if (!zlib) expect(toHex(frameMessage(type, reencoded))).toBe(v.hex);
      else {
        // Every encoded array in what we wrote starts with encoding type 0.
        expect(toHex(frameMessage(type, reencoded))).not.toBe(v.hex);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------

const h = (n: number, byte: number) => new Uint8Array(n).fill(byte);
const point = (prefix: number, fill: number) => {
  const p = h(33, fill);
  p[0] = prefix;
  return p;
};
const CHAIN = fromHex('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000');

const sampleAnnouncement = (): ChannelAnnouncement => ({
  nodeSignature1: h(64, 1),
  nodeSignature2: h(64, 2),
  bitcoinSignature1: h(64, 3),
  bitcoinSignature2: h(64, 4),
  features: fromHex('0100'),
  chainHash: CHAIN,
  shortChannelId: scidFromString('539268x845x1')!,
  nodeId1: point(2, 0x11),
  nodeId2: point(3, 0x22),
  bitcoinKey1: point(2, 0x33),
  bitcoinKey2: point(3, 0x44),
  extra: new Uint8Array(0),
});

const ALL_ADDRESSES: NodeAddress[] = [
  { type: 'ipv4', addr: fromHex('c0a80001'), port: 9735 },
  { type: 'ipv6', addr: fromHex('20010db8000000000000000000000001'), port: 9736 },
  { type: 'torv2', addr: h(10, 0xaa), port: 9737 },
  { type: 'torv3', addr: h(35, 0xbb), port: 9738 },
  { type: 'dns', hostname: 'node.example.com', port: 9739 },
  { type: 'websocket', port: 9740 },
];

const sampleNode = (): NodeAnnouncement => ({
  signature: h(64, 9),
  features: fromHex('088000'),
  timestamp: 1_700_000_000,
  nodeId: point(2, 0x55),
  rgbColor: fromHex('ff8800'),
  alias: nodeAliasFromText('IRATEMONK ⚡'),
  addresses: ALL_ADDRESSES,
  unknownAddressBytes: new Uint8Array(0),
  extra: new Uint8Array(0),
});

const sampleUpdate = (): ChannelUpdate => ({
  signature: h(64, 7),
  chainHash: CHAIN,
  shortChannelId: scidFromString('539268x845x1')!,
  timestamp: 1_700_000_000,
  messageFlags: 1,
  channelFlags: 3,
  cltvExpiryDelta: 144,
  htlcMinimumMsat: 1000n,
  feeBaseMsat: 1000,
  feeProportionalMillionths: 100,
  htlcMaximumMsat: 5_000_000_000n,
  extra: new Uint8Array(0),
});

describe('channel_announcement (256)', () => {
  it('round-trips, keeps appended future fields, and views the payload', () => {
    const m = sampleAnnouncement();
    const p = encodeChannelAnnouncement(m);
    expect(p.length).toBe(4 * 64 + 2 + 2 + 32 + 8 + 4 * 33);
    expect(decodeChannelAnnouncement(p)).toEqual(m);
    const withExtra = encodeChannelAnnouncement({ ...m, extra: fromHex('deadbeef') });
    const d = decodeChannelAnnouncement(withExtra);
    expect(toHex(d.extra)).toBe('deadbeef');
    expect(encodeChannelAnnouncement(d)).toEqual(withExtra);
    expect(d.nodeId1.buffer).toBe(withExtra.buffer); // a view, not a copy
  });
  it('refuses truncation and points without 02/03, naming the field', () => {
    const p = encodeChannelAnnouncement(sampleAnnouncement());
    expect(wireError(() => decodeChannelAnnouncement(p.subarray(0, p.length - 1))).field).toBe('channel_announcement.bitcoin_key_2');
    expect(wireError(() => decodeChannelAnnouncement(p.subarray(0, 100))).field).toBe('channel_announcement.node_signature_2');
    const bad = p.slice();
    bad[4 * 64 + 2 + 2 + 32 + 8] = 0x04; // node_id_1 prefix
    const e = wireError(() => decodeChannelAnnouncement(bad));
    expect(e.field).toBe('channel_announcement.node_id_1');
    expect(e.rule).toMatch(/0x02 or 0x03/);
  });
  it('encoders refuse wrong sizes (RangeError)', () => {
    expect(() => encodeChannelAnnouncement({ ...sampleAnnouncement(), nodeId1: h(32, 2) })).toThrow(RangeError);
    expect(() => encodeChannelAnnouncement({ ...sampleAnnouncement(), nodeSignature1: h(63, 2) })).toThrow(RangeError);
  });
});

describe('node_announcement (257)', () => {
  it('round-trips with every address type, in order', () => {
    const m = sampleNode();
    const p = encodeNodeAnnouncement(m);
    const d = decodeNodeAnnouncement(p);
    expect(d).toEqual(m);
    expect(d.addresses.map((a) => a.type)).toEqual(['ipv4', 'ipv6', 'torv2', 'torv3', 'dns', 'websocket']);
    expect(encodeNodeAnnouncement(d)).toEqual(p);
  });
  it('keeps the alias bytes, valid UTF-8 or not', () => {
    const alias = h(32, 0);
    alias.set([0xff, 0xfe, 0x41]); // invalid UTF-8
    const p = encodeNodeAnnouncement({ ...sampleNode(), alias });
    const d = decodeNodeAnnouncement(p);
    expect(d.alias).toEqual(alias);
    expect(nodeAliasText(d.alias)).toBe('\ufffd\ufffdA');
    expect(nodeAliasText(nodeAliasFromText('IRATEMONK ⚡'))).toBe('IRATEMONK ⚡');
    expect(() => nodeAliasFromText('x'.repeat(33))).toThrow(RangeError);
  });
  it('stops at the first unknown address type and keeps the rest for re-encoding', () => {
    const known = encodeNodeAddresses([ALL_ADDRESSES[0]!]);
    const unknown = fromHex('07' + 'ab'.repeat(9) + '01c0a800012607'); // type 7, then what looks like an ipv4
    const { addresses, unknownAddressBytes } = decodeNodeAddresses(concatBytes(known, unknown));
    expect(addresses).toEqual([ALL_ADDRESSES[0]]);
    expect(unknownAddressBytes).toEqual(unknown);
    // Type 0 (once padding) is not defined now: also stops parsing.
    expect(decodeNodeAddresses(fromHex('00' + '01c0a800012607')).addresses).toEqual([]);
    const m = { ...sampleNode(), addresses: [ALL_ADDRESSES[0]!], unknownAddressBytes: unknown };
    const p = encodeNodeAnnouncement(m);
    expect(decodeNodeAnnouncement(p)).toEqual(m);
  });
  it('refuses a known descriptor cut short by addrlen, and a non-ASCII hostname', () => {
    for (const a of ALL_ADDRESSES) {
      const b = encodeNodeAddresses([a]);
      const e = wireError(() => decodeNodeAddresses(b.subarray(0, b.length - 1)));
      expect(e.field).toMatch(/^node_announcement\.addresses\[0\]/);
      expect(e.rule).toMatch(/addrlen is insufficient/);
    }
    const dns = encodeNodeAddresses([{ type: 'dns', hostname: 'ab', port: 1 }]);
    dns[2] = 0xc3;
    expect(wireError(() => decodeNodeAddresses(dns)).rule).toMatch(/MUST be ASCII/);
    expect(() => encodeNodeAddresses([{ type: 'dns', hostname: 'bücher.de', port: 1 }])).toThrow(RangeError);
    expect(() => encodeNodeAddresses([{ type: 'ipv4', addr: h(5, 1), port: 1 }])).toThrow(RangeError);
  });
  it('each address type has its spec length', () => {
    const lens = ALL_ADDRESSES.map((a) => encodeNodeAddresses([a]).length);
    expect(lens).toEqual([1 + 6, 1 + 18, 1 + 12, 1 + 37, 1 + 1 + 16 + 2, 1 + 2]);
    // DNS: up to 258 bytes of data.
    expect(encodeNodeAddresses([{ type: 'dns', hostname: 'a'.repeat(255), port: 1 }]).length).toBe(1 + 258);
  });
  it('reports the address list rules (order, port 0, Tor v2, DNS count and charset, duplicates)', () => {
    expect(nodeAddressIssues(ALL_ADDRESSES.filter((a) => a.type !== 'torv2'))).toEqual([]);
    const list: NodeAddress[] = [
      { type: 'ipv6', addr: h(16, 1), port: 1 },
      { type: 'ipv4', addr: h(4, 1), port: 0 },
      { type: 'torv2', addr: h(10, 1), port: 1 },
      { type: 'dns', hostname: 'bad_host!', port: 1 },
      { type: 'dns', hostname: 'ok.example', port: 1 },
      { type: 'websocket', port: 0 },
      { type: 'websocket', port: 0 },
    ];
    expect(nodeAddressIssues(list)).toEqual([
      { index: 1, rule: 'not_ascending' },
      { index: 1, rule: 'port_zero' },
      { index: 2, rule: 'torv2' },
      { index: 3, rule: 'dns_hostname_charset' },
      { index: 4, rule: 'extra_dns' },
      { index: 6, rule: 'duplicate' },
    ]);
    expect(usableNodeAddresses(list).map((a) => a.type)).toEqual(['ipv6', 'websocket']);
    expect(isValidDnsHostname('xn--bcher-kva.example.')).toBe(true);
    expect(isValidDnsHostname('-bad.example')).toBe(false);
    expect(isValidDnsHostname('')).toBe(false);
  });
});

describe('channel_update (258)', () => {
  it('round-trips; flags read as direction, disable, dont_forward', () => {
    const m = sampleUpdate();
    const p = encodeChannelUpdate(m);
    expect(p.length).toBe(CHANNEL_UPDATE_LEN);
    expect(decodeChannelUpdate(p)).toEqual(m);
    expect(channelUpdateDirection(m)).toBe(1);
    expect(channelUpdateDisabled(m)).toBe(true);
    expect(channelUpdateDontForward(m)).toBe(false);
    expect(channelUpdateDirection({ channelFlags: 2 })).toBe(0);
    expect(channelUpdateDontForward({ messageFlags: 3 })).toBe(true);
  });
  it('htlc_maximum_msat is required whatever must_be_one says', () => {
    const p = encodeChannelUpdate({ ...sampleUpdate(), messageFlags: 0 });
    expect(decodeChannelUpdate(p).htlcMaximumMsat).toBe(5_000_000_000n); // must_be_one = 0 is ignored
    const e = wireError(() => decodeChannelUpdate(p.subarray(0, CHANNEL_UPDATE_LEN - 8))); // an old-style update
    expect(e.field).toBe('channel_update.htlc_maximum_msat');
  });
  it('checksum: CRC32C without signature and timestamp (RFC 3720 check value)', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    const p = encodeChannelUpdate(sampleUpdate());
    const c = channelUpdateChecksum(p);
    expect(channelUpdateChecksum(encodeChannelUpdate({ ...sampleUpdate(), signature: h(64, 8), timestamp: 5 }))).toBe(c);
    expect(channelUpdateChecksum(encodeChannelUpdate({ ...sampleUpdate(), feeBaseMsat: 1001 }))).not.toBe(c);
    expect(c).toBe(crc32c(p.subarray(64, 104), p.subarray(108)));
  });
});

describe('announcement_signatures (259), reply_short_channel_ids_end (262), gossip_timestamp_filter (265)', () => {
  it('round-trip', () => {
    const a = { channelId: h(32, 1), shortChannelId: 42n, nodeSignature: h(64, 2), bitcoinSignature: h(64, 3) };
    expect(decodeAnnouncementSignatures(encodeAnnouncementSignatures(a))).toEqual(a);
    const e = { chainHash: CHAIN, fullInformation: 1 };
    expect(decodeReplyShortChannelIdsEnd(encodeReplyShortChannelIdsEnd(e))).toEqual(e);
    const f = { chainHash: CHAIN, firstTimestamp: 0xffffffff, timestampRange: 0 };
    expect(toHex(encodeGossipTimestampFilter(f))).toBe(toHex(CHAIN) + 'ffffffff00000000');
    expect(decodeGossipTimestampFilter(encodeGossipTimestampFilter(f))).toEqual(f);
    expect(wireError(() => decodeGossipTimestampFilter(h(39, 0))).field).toBe('gossip_timestamp_filter.timestamp_range');
  });
  it('timestampInFilter: first_timestamp <= t < first_timestamp + timestamp_range, no overflow', () => {
    expect(timestampInFilter({ firstTimestamp: 100, timestampRange: 10 }, 100)).toBe(true);
    expect(timestampInFilter({ firstTimestamp: 100, timestampRange: 10 }, 109)).toBe(true);
    expect(timestampInFilter({ firstTimestamp: 100, timestampRange: 10 }, 110)).toBe(false);
    expect(timestampInFilter({ firstTimestamp: 100, timestampRange: 10 }, 99)).toBe(false);
    expect(timestampInFilter({ firstTimestamp: 0, timestampRange: 0xffffffff }, 0xfffffffe)).toBe(true);
    expect(timestampInFilter({ firstTimestamp: 0xffffffff, timestampRange: 0 }, 0xffffffff)).toBe(false);
  });
});

describe('query messages: malformed input → typed errors', () => {
  const qscid = (ids: Uint8Array, tlvs: Uint8Array = new Uint8Array(0)) => {
    const len = new Uint8Array([ids.length >> 8, ids.length & 0xff]);
    return concatBytes(CHAIN, len, ids, tlvs);
  };
  it('unknown encoding type, not a whole number of scids', () => {
    expect(wireError(() => decodeQueryShortChannelIds(qscid(fromHex('02' + '00'.repeat(8))))).rule).toMatch(/unknown encoding type 2/);
    const e = wireError(() => decodeQueryShortChannelIds(qscid(fromHex('00' + '00'.repeat(7)))));
    expect(e.field).toBe('query_short_channel_ids.encoded_short_ids');
    expect(e.rule).toMatch(/whole number of short_channel_id/);
    // An empty field (no encoding byte) is an empty list.
    expect(decodeQueryShortChannelIds(qscid(new Uint8Array(0))).shortChannelIds).toEqual([]);
  });
  it('query_flags: non-canonical bigsize, wrong count, missing encoding byte, unknown even TLV', () => {
    const ids = encodeShortIds([1n, 2n]);
    expect(decodeQueryShortChannelIds(qscid(ids, fromHex('0103000102'))).queryFlags!.flags).toEqual([1n, 2n]);
    // 0xfd0001 encodes 1 in three bytes: not minimal.
    const nc = wireError(() => decodeQueryShortChannelIds(qscid(ids, fromHex('010500fd000102'))));
    expect(nc.field).toBe('query_short_channel_ids_tlvs.query_flags.encoded_query_flags[0]');
    expect(nc.rule).toBe('decoded bigsize is not canonical');
    expect(wireError(() => decodeQueryShortChannelIds(qscid(ids, fromHex('01020001')))).rule).toMatch(/exactly one flag per short_channel_id/);
    expect(wireError(() => decodeQueryShortChannelIds(qscid(ids, fromHex('0100')))).rule).toMatch(/missing encoding type/);
    expect(wireError(() => decodeQueryShortChannelIds(qscid(ids, fromHex('0200')))).rule).toBe('unknown even type');
    const odd = decodeQueryShortChannelIds(qscid(ids, fromHex('0301ff')));
    expect(odd.unknownTlvs).toEqual([{ type: 3n, value: fromHex('ff') }]);
    expect(decodeQueryShortChannelIds(encodeQueryShortChannelIds(odd))).toEqual(odd);
    expect(wireError(() => decodeQueryShortChannelIds(qscid(ids, fromHex('0301ff0103000102')))).rule).toMatch(/not strictly increasing/);
  });
  it('query_option: minimal bigsize exactly filling the record', () => {
    const base = concatBytes(CHAIN, fromHex('0000000100000002'));
    expect(decodeQueryChannelRange(concatBytes(base, fromHex('0101fc'))).queryOptionFlags).toBe(0xfcn);
    expect(wireError(() => decodeQueryChannelRange(concatBytes(base, fromHex('0103fd0003')))).rule).toBe('decoded bigsize is not canonical');
    expect(wireError(() => decodeQueryChannelRange(concatBytes(base, fromHex('01020300')))).rule).toMatch(/after the bigsize/);
    expect(wireError(() => decodeQueryChannelRange(concatBytes(base, fromHex('0100')))).rule).toBe('EOF');
  });
  it('reply_channel_range: timestamps and checksums must have one entry per scid', () => {
    const m: ReplyChannelRange = {
      chainHash: CHAIN,
      firstBlocknum: 1,
      numberOfBlocks: 2,
      syncComplete: 1,
      shortChannelIds: [5n, 6n],
      timestamps: { pairs: [{ nodeId1: 1, nodeId2: 2 }, { nodeId1: 3, nodeId2: 4 }] },
      checksums: [{ nodeId1: 5, nodeId2: 6 }, { nodeId1: 7, nodeId2: 8 }],
      unknownTlvs: [],
    };
    const p = encodeReplyChannelRange(m);
    expect(decodeReplyChannelRange(p)).toEqual({ ...m, encoding: 0, timestamps: { ...m.timestamps, encoding: 0 } });
    const short = encodeReplyChannelRange({ ...m, timestamps: undefined, checksums: undefined });
    expect(wireError(() => decodeReplyChannelRange(concatBytes(short, fromHex('03080000000100000002')))).rule).toMatch(/1 entries for 2/);
    expect(wireError(() => decodeReplyChannelRange(concatBytes(short, fromHex('030700000001000000')))).rule).toMatch(/whole number of 8-byte pairs/);
    expect(() => encodeReplyChannelRange({ ...m, checksums: [] })).toThrow(RangeError);
  });
  it('zlib: bounded inflation, trailing bytes and corrupt data refused', () => {
    const ids = new Uint8Array(8 * 20_000); // 160 kB of zeros compresses to a few hundred bytes
    const bomb = concatBytes(fromHex('01'), deflateSync(ids));
    expect(bomb.length).toBeLessThan(1000);
    const e = wireError(() => decodeEncodedShortIds(bomb));
    expect(e.rule).toBe(`zlib data inflates to more than ${MAX_INFLATED_BYTES} bytes`);
    expect(decodeEncodedShortIds(bomb, 'x', { maxInflatedBytes: ids.length }).shortChannelIds).toHaveLength(20_000);
    expect(wireError(() => decodeEncodedShortIds(concatBytes(fromHex('01'), deflateSync(h(16, 1)), fromHex('00')))).rule).toMatch(/after the end of the zlib stream/);
    expect(wireError(() => decodeEncodedShortIds(fromHex('01789c0000'))).rule).toMatch(/invalid zlib data/);
    expect(wireError(() => decodeEncodedShortIds(concatBytes(fromHex('01'), deflateSync(h(12, 1))))).rule).toMatch(/whole number/);
  });
  it('our encoders never emit zlib', () => {
    expect(() => encodeQueryShortChannelIds({ chainHash: CHAIN, shortChannelIds: [1n], encoding: 1, unknownTlvs: [] })).toThrow(/MUST NOT be used/);
    expect(() =>
      encodeQueryShortChannelIds({ chainHash: CHAIN, shortChannelIds: [1n], queryFlags: { encoding: 1, flags: [1n] }, unknownTlvs: [] }),
    ).toThrow(/MUST NOT be used/);
    const q = encodeQueryShortChannelIds({ chainHash: CHAIN, shortChannelIds: [1n], queryFlags: { flags: [1n] }, unknownTlvs: [] });
    expect(q[34]).toBe(0); // encoded_short_ids encoding byte
    expect(toHex(q.subarray(34 + 9))).toBe('01020001'); // query_flags: encoding 0
    expect(() => encodeReplyChannelRange({ chainHash: CHAIN, firstBlocknum: 0, numberOfBlocks: 1, syncComplete: 1, shortChannelIds: [], encoding: 1, unknownTlvs: [] })).toThrow(RangeError);
    expect(encodeShortIds([])).toEqual(fromHex('00'));
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: decode(encode(m)) = m for generated messages; encode(decode(b)) = b.

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const pointArb = fc.tuple(fc.constantFrom(2, 3), bytes(32)).map(([p, x]) => concatBytes(new Uint8Array([p]), x));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const addressArb: fc.Arbitrary<NodeAddress> = fc.oneof(
  fc.record({ type: fc.constant('ipv4' as const), addr: bytes(4), port: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ type: fc.constant('ipv6' as const), addr: bytes(16), port: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ type: fc.constant('torv2' as const), addr: bytes(10), port: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ type: fc.constant('torv3' as const), addr: bytes(35), port: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ type: fc.constant('dns' as const), hostname: fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 255 }), port: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ type: fc.constant('websocket' as const), port: fc.integer({ min: 0, max: 0xffff }) }),
);

describe('properties (fixed seed, test/setup.ts)', () => {
  it('channel_announcement, node_announcement, channel_update round-trip', () => {
    fc.assert(
      fc.property(
        fc.record({
          nodeSignature1: bytes(64),
          nodeSignature2: bytes(64),
          bitcoinSignature1: bytes(64),
          bitcoinSignature2: bytes(64),
          features: fc.uint8Array({ maxLength: 12 }),
          chainHash: bytes(32),
          shortChannelId: u64,
          nodeId1: pointArb,
          nodeId2: pointArb,
          bitcoinKey1: pointArb,
          bitcoinKey2: pointArb,
          extra: fc.uint8Array({ maxLength: 20 }),
        }),
        (m) => {
          const p = encodeChannelAnnouncement(m);
          expect(decodeChannelAnnouncement(p)).toEqual(m);
          expect(encodeChannelAnnouncement(decodeChannelAnnouncement(p))).toEqual(p);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.record({
          signature: bytes(64),
          features: fc.uint8Array({ maxLength: 12 }),
          timestamp: u32,
          nodeId: pointArb,
          rgbColor: bytes(3),
          alias: bytes(32),
          addresses: fc.array(addressArb, { maxLength: 6 }),
          unknownAddressBytes: fc.option(fc.tuple(fc.integer({ min: 7, max: 255 }), fc.uint8Array({ maxLength: 20 })), { nil: undefined }).map((x) =>
            x ? concatBytes(new Uint8Array([x[0]]), x[1]) : new Uint8Array(0),
          ),
          extra: fc.uint8Array({ maxLength: 20 }),
        }),
        (m) => {
          const p = encodeNodeAnnouncement(m);
          expect(decodeNodeAnnouncement(p)).toEqual(m);
          expect(encodeNodeAnnouncement(decodeNodeAnnouncement(p))).toEqual(p);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.record({
          signature: bytes(64),
          chainHash: bytes(32),
          shortChannelId: u64,
          timestamp: u32,
          messageFlags: fc.integer({ min: 0, max: 255 }),
          channelFlags: fc.integer({ min: 0, max: 255 }),
          cltvExpiryDelta: fc.integer({ min: 0, max: 0xffff }),
          htlcMinimumMsat: u64,
          feeBaseMsat: u32,
          feeProportionalMillionths: u32,
          htlcMaximumMsat: u64,
          extra: fc.uint8Array({ maxLength: 20 }),
        }),
        (m) => {
          expect(decodeChannelUpdate(encodeChannelUpdate(m))).toEqual(m);
        },
      ),
      { numRuns: 200 },
    );
  });
  it('query messages round-trip (encoding 0)', () => {
    const scidList = fc.array(u64, { maxLength: 40 });
    fc.assert(
      fc.property(scidList, fc.boolean(), bytes(32), (ids, withFlags, chainHash) => {
        const flags = ids.map((id) => id % 300n); // 1- and 3-byte bigsizes
        const m: QueryShortChannelIds = { chainHash, shortChannelIds: ids, encoding: 0, queryFlags: withFlags ? { encoding: 0, flags } : undefined, unknownTlvs: [] };
        if (!withFlags) delete m.queryFlags;
        expect(decodeQueryShortChannelIds(encodeQueryShortChannelIds(m))).toEqual(m);
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(scidList, u32, u32, fc.integer({ min: 0, max: 1 }), fc.boolean(), fc.boolean(), (ids, first, n, complete, ts, cs) => {
        const pairs = ids.map((id) => ({ nodeId1: Number(id & 0xffffffffn), nodeId2: Number(id >> 32n) }));
        const m: ReplyChannelRange = { chainHash: CHAIN, firstBlocknum: first, numberOfBlocks: n, syncComplete: complete, shortChannelIds: ids, encoding: 0, unknownTlvs: [] };
        if (ts) m.timestamps = { encoding: 0, pairs };
        if (cs) m.checksums = pairs;
        expect(decodeReplyChannelRange(encodeReplyChannelRange(m))).toEqual(m);
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(u32, u32, fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }), (first, n, opt) => {
        const m = { chainHash: CHAIN, firstBlocknum: first, numberOfBlocks: n, unknownTlvs: [], ...(opt === undefined ? {} : { queryOptionFlags: opt }) };
        expect(decodeQueryChannelRange(encodeQueryChannelRange(m))).toEqual(m);
      }),
      { numRuns: 150 },
    );
  });
  it('zlib-encoded arrays decode to what was compressed', () => {
    fc.assert(
      fc.property(fc.array(u64, { maxLength: 100 }), (ids) => {
        const plain = encodeShortIds(ids);
        const z = concatBytes(fromHex('01'), deflateSync(plain.subarray(1)));
        expect(decodeEncodedShortIds(z)).toEqual({ encoding: 1, shortChannelIds: ids });
      }),
      { numRuns: 100 },
    );
  });
});

describe('fuzzing: only WireError', () => {
  const samples: Record<string, [(b: Uint8Array) => unknown, Uint8Array[]]> = {
    channel_announcement: [decodeChannelAnnouncement, [encodeChannelAnnouncement(sampleAnnouncement())]],
    node_announcement: [decodeNodeAnnouncement, [encodeNodeAnnouncement(sampleNode()), encodeNodeAnnouncement({ ...sampleNode(), addresses: [] })]],
    channel_update: [decodeChannelUpdate, [encodeChannelUpdate(sampleUpdate())]],
    query_short_channel_ids: [(b) => decodeQueryShortChannelIds(b), VECTORS.filter((v) => v.msg.type === 'QueryShortChannelIds').map((v) => fromHex(v.hex).subarray(2))],
    query_channel_range: [decodeQueryChannelRange, VECTORS.filter((v) => v.msg.type === 'QueryChannelRange').map((v) => fromHex(v.hex).subarray(2))],
    reply_channel_range: [(b) => decodeReplyChannelRange(b), VECTORS.filter((v) => v.msg.type === 'ReplyChannelRange').map((v) => fromHex(v.hex).subarray(2))],
    node_addresses: [(b) => decodeNodeAddresses(b), [encodeNodeAddresses(ALL_ADDRESSES)]],
  };
  Object.entries(samples).forEach(([name, [dec, s]], i) => {
    it(name, () => {
      const r = fuzzDecoder(dec, s, 0x90551 + i, 5_000);
      expect(r.ok).toBeGreaterThan(20);
      expect(r.failed).toBeGreaterThan(20);
    });
  });
});
