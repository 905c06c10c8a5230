// BOLT 7, "Query Messages": `query_short_channel_ids` (261), `reply_short_channel_ids_end` (262),
// `query_channel_range` (263), `reply_channel_range` (264), `gossip_timestamp_filter` (265), with
// their TLV extensions (`query_flags`, `query_option`, `timestamps_tlv`, `checksums_tlv`).
//
// Encoded arrays (`encoded_short_ids`, `encoded_query_flags`, `encoded_timestamps`) start with an
// encoding byte. BOLT 7: "`0`: uncompressed array of `short_channel_id` types, in ascending order.
// `1`: Previously used for zlib compression, this encoding MUST NOT be used." Peers from before that
// change may still send type 1, and the spec's own extended-queries vectors use it: we DECODE it
// (inflating into at most `maxInflatedBytes`, so a small message cannot make us allocate much) and
// never ENCODE it (the encoders refuse `encoding: 1`).
//
// Decoders throw `WireError` naming the field and the rule: an unknown encoding type, an array that
// is not a whole number of items, a flag count that differs from the scid count, a non-minimal
// BigSize in `encoded_query_flags` or `query_option_flags`, an invalid TLV stream (BOLT 1: order,
// duplicates, unknown even types).
import { inflateSync } from 'node:zlib';
import { WireError } from './errors.ts';
import { Reader, Writer } from './codec.ts';
import { readBigSize, writeBigSize, bigSizeLength } from './bigsize.ts';
import { decodeTlvStream, encodeTlvStream, type TlvRecord } from './tlv.ts';

/** Encoding types of BOLT 7's encoded arrays. */
export const ENCODING = { uncompressed: 0, zlib: 1 } as const;
export type EncodingType = 0 | 1;

/**
 * Default bound on what a zlib-encoded array may inflate to: 128 KiB, twice what any whole
 * message could carry uncompressed (16,384 short_channel_ids).
 */
export const MAX_INFLATED_BYTES = 131072;

export interface DecodeQueryOptions {
  /** Bound on the inflated size of each zlib-encoded array (default {@link MAX_INFLATED_BYTES}). */
  maxInflatedBytes?: number;
}

/** `encoded_query_flags` bits (query_short_channel_ids). */
export const QUERY_FLAG = {
  channel_announcement: 1,
  channel_update_1: 2,
  channel_update_2: 4,
  node_announcement_1: 8,
  node_announcement_2: 16,
} as const;

/** `query_option_flags` bits (query_channel_range). */
export const QUERY_OPTION = { timestamps: 1n, checksums: 2n } as const;

function inflateArray(data: Uint8Array, field: string, max: number): Uint8Array {
  let r: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    r = inflateSync(data, { maxOutputLength: max, info: true }) as unknown as typeof r;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new WireError(field, `zlib data inflates to more than ${max} bytes`);
    throw new WireError(field, `invalid zlib data (${(e as Error).message})`);
  }
  if (r.engine.bytesWritten !== data.length) throw new WireError(field, `${data.length - r.engine.bytesWritten} bytes after the end of the zlib stream`);
  return new Uint8Array(r.buffer.buffer, r.buffer.byteOffset, r.buffer.length);
}

/** The array bytes after the encoding byte, inflated when it is zlib. */
function arrayBytes(encoded: Uint8Array, field: string, opts: DecodeQueryOptions): { encoding: EncodingType; data: Uint8Array } {
  if (encoded.length === 0) throw new WireError(`${field}.encoding_type`, 'missing encoding type byte');
  const encoding = encoded[0]!;
  const body = encoded.subarray(1);
  if (encoding === ENCODING.uncompressed) return { encoding, data: body };
  if (encoding === ENCODING.zlib) return { encoding, data: inflateArray(body, field, opts.maxInflatedBytes ?? MAX_INFLATED_BYTES) };
  throw new WireError(`${field}.encoding_type`, `unknown encoding type ${encoding}`);
}

function be32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export interface EncodedShortIds {
  /** The encoding the sender used (we only ever send 0). */
  encoding: EncodingType;
  shortChannelIds: bigint[];
}

/**
 * Decode `encoded_short_ids`. An empty field (`len` = 0, no encoding byte) reads as an empty
 * uncompressed list. BOLT 7, the receiver: "if the first byte of `encoded_short_ids` is not a known
 * encoding type" or "if `encoded_short_ids` does not decode into a whole number of
 * `short_channel_id`: MAY send a `warning`" — both throw here. The order is not checked (the spec
 * asks senders for ascending order and gives receivers no rule).
 */
export function decodeEncodedShortIds(encoded: Uint8Array, field = 'encoded_short_ids', opts: DecodeQueryOptions = {}): EncodedShortIds {
  if (encoded.length === 0) return { encoding: 0, shortChannelIds: [] };
  const { encoding, data } = arrayBytes(encoded, field, opts);
  if (data.length % 8 !== 0) throw new WireError(field, `does not decode into a whole number of short_channel_id (${data.length} bytes)`);
  const ids: bigint[] = new Array(data.length / 8);
  for (let i = 0, o = 0; o < data.length; i++, o += 8) ids[i] = (BigInt(be32(data, o)) << 32n) | BigInt(be32(data, o + 4));
  return { encoding, shortChannelIds: ids };
}

function refuseZlib(encoding: EncodingType | undefined, field: string): void {
  // BOLT 7: encoding type 1 "MUST NOT be used".
  if (encoding !== undefined && encoding !== ENCODING.uncompressed) throw new RangeError(`${field}: only encoding type 0 may be sent (zlib MUST NOT be used)`);
}

/** `encoded_short_ids`, uncompressed: 0x00 then 8 bytes per id. */
export function encodeShortIds(ids: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(1 + 8 * ids.length);
  const dv = new DataView(out.buffer);
  ids.forEach((id, i) => {
    if (id < 0n || id > 0xffff_ffff_ffff_ffffn) throw new RangeError(`short_channel_id out of u64 range: ${id}`);
    dv.setBigUint64(1 + 8 * i, id);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// query_short_channel_ids (261)

export interface QueryShortChannelIds {
  chainHash: Uint8Array;
  shortChannelIds: bigint[];
  /** Encoding of `encoded_short_ids` as received (encoders accept only 0). */
  encoding?: EncodingType;
  /** `query_flags` TLV: one flag (bits {@link QUERY_FLAG}) per short_channel_id. Absent: not sent. */
  queryFlags?: { encoding?: EncodingType; flags: bigint[] };
  /** Unknown odd TLV records, in order. */
  unknownTlvs: TlvRecord[];
}

const QSCID_TLV_QUERY_FLAGS = 1n;

export function decodeQueryShortChannelIds(payload: Uint8Array, opts: DecodeQueryOptions = {}): QueryShortChannelIds {
  const r = new Reader(payload);
  const chainHash = r.bytes(32, 'query_short_channel_ids.chain_hash');
  const len = r.u16('query_short_channel_ids.len');
  const ids = decodeEncodedShortIds(r.bytes(len, 'query_short_channel_ids.encoded_short_ids'), 'query_short_channel_ids.encoded_short_ids', opts);
  const m: QueryShortChannelIds = { chainHash, shortChannelIds: ids.shortChannelIds, encoding: ids.encoding, unknownTlvs: [] };
  for (const rec of decodeTlvStream(r.rest(), { field: 'query_short_channel_ids_tlvs', known: (t) => t === QSCID_TLV_QUERY_FLAGS })) {
    if (rec.type !== QSCID_TLV_QUERY_FLAGS) {
      m.unknownTlvs.push(rec);
      continue;
    }
    const field = 'query_short_channel_ids_tlvs.query_flags';
    const { encoding, data } = arrayBytes(rec.value, field, opts);
    // BOLT 7: "Each query flag is a minimally-encoded bigsize" (readBigSize refuses any other).
    const flags: bigint[] = [];
    for (let o = 0; o < data.length; ) {
      const v = readBigSize(data, o, () => `${field}.encoded_query_flags[${flags.length}]`);
      flags.push(v.value);
      o = v.next;
    }
    // BOLT 7: "if `encoded_query_flags` does not decode to exactly one flag per `short_channel_id`: MAY send a `warning`".
    if (flags.length !== m.shortChannelIds.length) {
      throw new WireError(field, `decodes to ${flags.length} flags for ${m.shortChannelIds.length} short_channel_ids (exactly one flag per short_channel_id)`);
    }
    m.queryFlags = { encoding, flags };
  }
  return m;
}

function checkUnknownTlvs(recs: readonly TlvRecord[], field: string): void {
  for (const r of recs) {
    // BOLT 1: "MUST NOT send evenly-typed TLV records in the `extension` without prior negotiation."
    if (r.type % 2n === 0n) throw new RangeError(`${field}: refusing to send unknown even type ${r.type}`);
  }
}

export function encodeQueryShortChannelIds(m: QueryShortChannelIds): Uint8Array {
  refuseZlib(m.encoding, 'query_short_channel_ids.encoded_short_ids');
  const ids = encodeShortIds(m.shortChannelIds);
  if (ids.length > 0xffff) throw new RangeError('query_short_channel_ids: too many short_channel_ids for one message');
  const recs: TlvRecord[] = [];
  if (m.queryFlags) {
    refuseZlib(m.queryFlags.encoding, 'query_short_channel_ids_tlvs.query_flags');
    if (m.queryFlags.flags.length !== m.shortChannelIds.length) throw new RangeError('query_flags: MUST encode one query flag per short_channel_id');
    let n = 1;
    for (const f of m.queryFlags.flags) n += bigSizeLength(f);
    const v = new Uint8Array(n);
    let o = 1;
    for (const f of m.queryFlags.flags) o = writeBigSize(v, o, f);
    recs.push({ type: QSCID_TLV_QUERY_FLAGS, value: v });
  }
  checkUnknownTlvs(m.unknownTlvs, 'query_short_channel_ids_tlvs');
  recs.push(...m.unknownTlvs);
  recs.sort((a, b) => (a.type < b.type ? -1 : 1));
  return new Writer(34 + ids.length).bytes(fixed32(m.chainHash, 'query_short_channel_ids.chain_hash')).u16(ids.length).bytes(ids).bytes(encodeTlvStream(recs)).finish();
}

function fixed32(b: Uint8Array, field: string): Uint8Array {
  if (b.length !== 32) throw new RangeError(`${field} must be 32 bytes`);
  return b;
}

// ---------------------------------------------------------------------------------------------
// reply_short_channel_ids_end (262)

export interface ReplyShortChannelIdsEnd {
  chainHash: Uint8Array;
  /** 1: the sender maintains up-to-date information for `chain_hash`; 0: look elsewhere. */
  fullInformation: number;
}

export function decodeReplyShortChannelIdsEnd(payload: Uint8Array): ReplyShortChannelIdsEnd {
  const r = new Reader(payload);
  const chainHash = r.bytes(32, 'reply_short_channel_ids_end.chain_hash');
  const fullInformation = r.u8('reply_short_channel_ids_end.full_information');
  return { chainHash, fullInformation };
}

export function encodeReplyShortChannelIdsEnd(m: ReplyShortChannelIdsEnd): Uint8Array {
  return new Writer(33).bytes(fixed32(m.chainHash, 'reply_short_channel_ids_end.chain_hash')).u8(m.fullInformation).finish();
}

// ---------------------------------------------------------------------------------------------
// query_channel_range (263)

export interface QueryChannelRange {
  chainHash: Uint8Array;
  firstBlocknum: number;
  numberOfBlocks: number;
  /** `query_option` TLV: `query_option_flags` (bits {@link QUERY_OPTION}). Absent: not sent. */
  queryOptionFlags?: bigint;
  unknownTlvs: TlvRecord[];
}

const QCR_TLV_QUERY_OPTION = 1n;

export function decodeQueryChannelRange(payload: Uint8Array): QueryChannelRange {
  const r = new Reader(payload);
  const chainHash = r.bytes(32, 'query_channel_range.chain_hash');
  const firstBlocknum = r.u32('query_channel_range.first_blocknum');
  const numberOfBlocks = r.u32('query_channel_range.number_of_blocks');
  const m: QueryChannelRange = { chainHash, firstBlocknum, numberOfBlocks, unknownTlvs: [] };
  for (const rec of decodeTlvStream(r.rest(), { field: 'query_channel_range_tlvs', known: (t) => t === QCR_TLV_QUERY_OPTION })) {
    if (rec.type !== QCR_TLV_QUERY_OPTION) {
      m.unknownTlvs.push(rec);
      continue;
    }
    // BOLT 7: "`query_option_flags` is a bitfield represented as a minimally-encoded bigsize."
    const field = 'query_channel_range_tlvs.query_option.query_option_flags';
    const v = readBigSize(rec.value, 0, field);
    if (v.next !== rec.value.length) throw new WireError(field, `${rec.value.length - v.next} bytes after the bigsize`);
    m.queryOptionFlags = v.value;
  }
  return m;
}

export function encodeQueryChannelRange(m: QueryChannelRange): Uint8Array {
  const recs: TlvRecord[] = [];
  if (m.queryOptionFlags !== undefined) {
    const v = new Uint8Array(bigSizeLength(m.queryOptionFlags));
    writeBigSize(v, 0, m.queryOptionFlags);
    recs.push({ type: QCR_TLV_QUERY_OPTION, value: v });
  }
  checkUnknownTlvs(m.unknownTlvs, 'query_channel_range_tlvs');
  recs.push(...m.unknownTlvs);
  recs.sort((a, b) => (a.type < b.type ? -1 : 1));
  return new Writer(48).bytes(fixed32(m.chainHash, 'query_channel_range.chain_hash')).u32(m.firstBlocknum).u32(m.numberOfBlocks).bytes(encodeTlvStream(recs)).finish();
}

// ---------------------------------------------------------------------------------------------
// reply_channel_range (264)

/** `channel_update_timestamps` / `channel_update_checksums`: one value per direction (0: none). */
export interface UpdatePair {
  nodeId1: number;
  nodeId2: number;
}

export interface ReplyChannelRange {
  chainHash: Uint8Array;
  firstBlocknum: number;
  numberOfBlocks: number;
  /** `sync_complete`: 1 on the final reply. */
  syncComplete: number;
  shortChannelIds: bigint[];
  encoding?: EncodingType;
  /** `timestamps_tlv`: one pair per short_channel_id. */
  timestamps?: { encoding?: EncodingType; pairs: UpdatePair[] };
  /** `checksums_tlv`: one pair per short_channel_id (CRC32C, see `channelUpdateChecksum`). */
  checksums?: UpdatePair[];
  unknownTlvs: TlvRecord[];
}

const RCR_TLV_TIMESTAMPS = 1n;
const RCR_TLV_CHECKSUMS = 3n;

function readPairs(data: Uint8Array, field: string, count: number): UpdatePair[] {
  if (data.length % 8 !== 0) throw new WireError(field, `not a whole number of 8-byte pairs (${data.length} bytes)`);
  if (data.length / 8 !== count) throw new WireError(field, `${data.length / 8} entries for ${count} short_channel_ids (one per short_channel_id)`);
  const out: UpdatePair[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = { nodeId1: be32(data, 8 * i), nodeId2: be32(data, 8 * i + 4) };
  return out;
}

export function decodeReplyChannelRange(payload: Uint8Array, opts: DecodeQueryOptions = {}): ReplyChannelRange {
  const r = new Reader(payload);
  const chainHash = r.bytes(32, 'reply_channel_range.chain_hash');
  const firstBlocknum = r.u32('reply_channel_range.first_blocknum');
  const numberOfBlocks = r.u32('reply_channel_range.number_of_blocks');
  const syncComplete = r.u8('reply_channel_range.sync_complete');
  const len = r.u16('reply_channel_range.len');
  const ids = decodeEncodedShortIds(r.bytes(len, 'reply_channel_range.encoded_short_ids'), 'reply_channel_range.encoded_short_ids', opts);
  const n = ids.shortChannelIds.length;
  const m: ReplyChannelRange = {
    chainHash,
    firstBlocknum,
    numberOfBlocks,
    syncComplete,
    shortChannelIds: ids.shortChannelIds,
    encoding: ids.encoding,
    unknownTlvs: [],
  };
  const known = (t: bigint) => t === RCR_TLV_TIMESTAMPS || t === RCR_TLV_CHECKSUMS;
  for (const rec of decodeTlvStream(r.rest(), { field: 'reply_channel_range_tlvs', known })) {
    if (rec.type === RCR_TLV_TIMESTAMPS) {
      const field = 'reply_channel_range_tlvs.timestamps_tlv';
      const { encoding, data } = arrayBytes(rec.value, field, opts);
      m.timestamps = { encoding, pairs: readPairs(data, `${field}.encoded_timestamps`, n) };
    } else if (rec.type === RCR_TLV_CHECKSUMS) {
      m.checksums = readPairs(rec.value, 'reply_channel_range_tlvs.checksums_tlv.checksums', n);
    } else {
      m.unknownTlvs.push(rec);
    }
  }
  return m;
}

function pairsBytes(pairs: readonly UpdatePair[], prefix: number | null): Uint8Array {
  const off = prefix === null ? 0 : 1;
  const out = new Uint8Array(off + 8 * pairs.length);
  const dv = new DataView(out.buffer);
  if (prefix !== null) out[0] = prefix;
  pairs.forEach((p, i) => {
    dv.setUint32(off + 8 * i, p.nodeId1);
    dv.setUint32(off + 8 * i + 4, p.nodeId2);
  });
  return out;
}

export function encodeReplyChannelRange(m: ReplyChannelRange): Uint8Array {
  refuseZlib(m.encoding, 'reply_channel_range.encoded_short_ids');
  const ids = encodeShortIds(m.shortChannelIds);
  if (ids.length > 0xffff) throw new RangeError('reply_channel_range: too many short_channel_ids for one message');
  const recs: TlvRecord[] = [];
  if (m.timestamps) {
    refuseZlib(m.timestamps.encoding, 'reply_channel_range_tlvs.timestamps_tlv');
    if (m.timestamps.pairs.length !== m.shortChannelIds.length) throw new RangeError('timestamps_tlv: one entry per short_channel_id');
    recs.push({ type: RCR_TLV_TIMESTAMPS, value: pairsBytes(m.timestamps.pairs, ENCODING.uncompressed) });
  }
  if (m.checksums) {
    if (m.checksums.length !== m.shortChannelIds.length) throw new RangeError('checksums_tlv: one entry per short_channel_id');
    recs.push({ type: RCR_TLV_CHECKSUMS, value: pairsBytes(m.checksums, null) });
  }
  checkUnknownTlvs(m.unknownTlvs, 'reply_channel_range_tlvs');
  recs.push(...m.unknownTlvs);
  recs.sort((a, b) => (a.type < b.type ? -1 : 1));
  return new Writer(44 + ids.length)
    .bytes(fixed32(m.chainHash, 'reply_channel_range.chain_hash'))
    .u32(m.firstBlocknum)
    .u32(m.numberOfBlocks)
    .u8(m.syncComplete)
    .u16(ids.length)
    .bytes(ids)
    .bytes(encodeTlvStream(recs))
    .finish();
}

// ---------------------------------------------------------------------------------------------
// gossip_timestamp_filter (265)

export interface GossipTimestampFilter {
  chainHash: Uint8Array;
  firstTimestamp: number;
  timestampRange: number;
}

export function decodeGossipTimestampFilter(payload: Uint8Array): GossipTimestampFilter {
  const r = new Reader(payload);
  const chainHash = r.bytes(32, 'gossip_timestamp_filter.chain_hash');
  const firstTimestamp = r.u32('gossip_timestamp_filter.first_timestamp');
  const timestampRange = r.u32('gossip_timestamp_filter.timestamp_range');
  return { chainHash, firstTimestamp, timestampRange };
}

export function encodeGossipTimestampFilter(m: GossipTimestampFilter): Uint8Array {
  return new Writer(40).bytes(fixed32(m.chainHash, 'gossip_timestamp_filter.chain_hash')).u32(m.firstTimestamp).u32(m.timestampRange).finish();
}

/**
 * BOLT 7, gossip_timestamp_filter: whether `timestamp` is in the filter ("greater or equal to
 * `first_timestamp`, and less than `first_timestamp` plus `timestamp_range`"), without u32
 * overflow of the sum.
 */
export function timestampInFilter(f: Pick<GossipTimestampFilter, 'firstTimestamp' | 'timestampRange'>, timestamp: number): boolean {
  return timestamp >= f.firstTimestamp && timestamp - f.firstTimestamp < f.timestampRange;
}
