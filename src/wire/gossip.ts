// BOLT 7 gossip codecs: `channel_announcement` (256), `node_announcement` (257), `channel_update`
// (258) and `announcement_signatures` (259) here; the query messages (261–265) in
// gossip-queries.ts and the address descriptors in gossip-address.ts, re-exported from here.
//
// Payloads exclude the 2-byte type (as in messages.ts). Decoders throw only `WireError` and return
// fields as VIEWS into the payload (no copies: the ingest path decodes ~260k messages and keeps the
// raw bytes anyway); copy a field you keep beyond the payload's life. Bytes after the defined fields
// are kept as `extra`: BOLT 7 signs "the rest of the message, including any future fields appended
// to the end", so a re-encoded message (fields, then `extra`) is byte-identical and its
// signatures still verify. Encoders throw `RangeError` for values a correct caller never passes.
//
// What is valid beyond the format (signatures, chain, timestamps, feature bits, address rules) is
// src/gossip/'s business; these codecs only refuse what cannot be read.
import { WireError } from './errors.ts';
import { Reader, Writer } from './codec.ts';
import { decodeNodeAddresses, encodeNodeAddresses, type NodeAddress } from './gossip-address.ts';

export * from './gossip-address.ts';
export * from './gossip-queries.ts';

/** BOLT 7 message types. (`MSG` in messages.ts holds BOLT 1's.) */
export const GOSSIP_MSG = {
  channel_announcement: 256,
  node_announcement: 257,
  channel_update: 258,
  announcement_signatures: 259,
  query_short_channel_ids: 261,
  reply_short_channel_ids_end: 262,
  query_channel_range: 263,
  reply_channel_range: 264,
  gossip_timestamp_filter: 265,
} as const;

export type GossipMessageType = (typeof GOSSIP_MSG)[keyof typeof GOSSIP_MSG];

const SIG = 64;
const POINT = 33;

// ---------------------------------------------------------------------------------------------
// channel_announcement (256)

export interface ChannelAnnouncement {
  nodeSignature1: Uint8Array;
  nodeSignature2: Uint8Array;
  bitcoinSignature1: Uint8Array;
  bitcoinSignature2: Uint8Array;
  /** The channel's features (BOLT 9, context C); `len` is its length. */
  features: Uint8Array;
  chainHash: Uint8Array;
  shortChannelId: bigint;
  /** The lexicographically-lesser of the two node ids (checked in src/gossip, not here). */
  nodeId1: Uint8Array;
  nodeId2: Uint8Array;
  bitcoinKey1: Uint8Array;
  bitcoinKey2: Uint8Array;
  /** Bytes after `bitcoin_key_2` (future fields), covered by the signatures. */
  extra: Uint8Array;
}

/**
 * BOLT 7: "MUST compute the double-SHA256 hash `h` of the message, beginning at offset 256, up to
 * the end of the message" — offset 256 of the payload (the four 64-byte signatures skipped), i.e.
 * offset 258 of the message with its 2-byte type.
 */
export const CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET = 256;

/** Minimum payload: 4 signatures, `len`, no features, chain hash, scid, 4 points. */
export const CHANNEL_ANNOUNCEMENT_MIN_LEN = 4 * SIG + 2 + 32 + 8 + 4 * POINT;

export function decodeChannelAnnouncement(payload: Uint8Array): ChannelAnnouncement {
  // Fast path (the ingest decodes ~80k of these): fixed offsets, no Reader. Anything short or with
  // a bad point prefix goes through the Reader path below, which names the field that failed.
  const n = payload.length;
  if (n >= CHANNEL_ANNOUNCEMENT_MIN_LEN) {
    const len = (payload[256]! << 8) | payload[257]!;
    const o = 258 + len; // chain_hash
    const k = o + 40; // node_id_1
    if (n >= CHANNEL_ANNOUNCEMENT_MIN_LEN + len && isPointPrefix(payload[k]!) && isPointPrefix(payload[k + 33]!) && isPointPrefix(payload[k + 66]!) && isPointPrefix(payload[k + 99]!)) {
      return {
        nodeSignature1: payload.subarray(0, 64),
        nodeSignature2: payload.subarray(64, 128),
        bitcoinSignature1: payload.subarray(128, 192),
        bitcoinSignature2: payload.subarray(192, 256),
        features: payload.subarray(258, o),
        chainHash: payload.subarray(o, o + 32),
        shortChannelId: u64At(payload, o + 32),
        nodeId1: payload.subarray(k, k + 33),
        nodeId2: payload.subarray(k + 33, k + 66),
        bitcoinKey1: payload.subarray(k + 66, k + 99),
        bitcoinKey2: payload.subarray(k + 99, k + 132),
        extra: payload.subarray(k + 132),
      };
    }
  }
  const r = new Reader(payload);
  const nodeSignature1 = r.bytes(SIG, 'channel_announcement.node_signature_1');
  const nodeSignature2 = r.bytes(SIG, 'channel_announcement.node_signature_2');
  const bitcoinSignature1 = r.bytes(SIG, 'channel_announcement.bitcoin_signature_1');
  const bitcoinSignature2 = r.bytes(SIG, 'channel_announcement.bitcoin_signature_2');
  const len = r.u16('channel_announcement.len');
  const features = r.bytes(len, 'channel_announcement.features');
  const chainHash = r.bytes(32, 'channel_announcement.chain_hash');
  const shortChannelId = r.u64('channel_announcement.short_channel_id');
  const nodeId1 = r.point('channel_announcement.node_id_1');
  const nodeId2 = r.point('channel_announcement.node_id_2');
  const bitcoinKey1 = r.point('channel_announcement.bitcoin_key_1');
  const bitcoinKey2 = r.point('channel_announcement.bitcoin_key_2');
  return {
    nodeSignature1,
    nodeSignature2,
    bitcoinSignature1,
    bitcoinSignature2,
    features,
    chainHash,
    shortChannelId,
    nodeId1,
    nodeId2,
    bitcoinKey1,
    bitcoinKey2,
    extra: r.rest(),
  };
}

const isPointPrefix = (b: number) => b === 0x02 || b === 0x03;
const u32At = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
function u64At(b: Uint8Array, o: number): bigint {
  const hi = u32At(b, o);
  const lo = u32At(b, o + 4);
  // Below 2^53 one exact Number → one BigInt (msat amounts); else the two halves.
  return hi < 0x200000 ? BigInt(hi * 4294967296 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

function fixedBytes(w: Writer, b: Uint8Array, len: number, field: string): void {
  if (!(b instanceof Uint8Array) || b.length !== len) throw new RangeError(`${field} must be ${len} bytes`);
  w.bytes(b);
}

export function encodeChannelAnnouncement(m: ChannelAnnouncement): Uint8Array {
  const w = new Writer(CHANNEL_ANNOUNCEMENT_MIN_LEN + m.features.length + m.extra.length);
  fixedBytes(w, m.nodeSignature1, SIG, 'channel_announcement.node_signature_1');
  fixedBytes(w, m.nodeSignature2, SIG, 'channel_announcement.node_signature_2');
  fixedBytes(w, m.bitcoinSignature1, SIG, 'channel_announcement.bitcoin_signature_1');
  fixedBytes(w, m.bitcoinSignature2, SIG, 'channel_announcement.bitcoin_signature_2');
  w.u16(m.features.length).bytes(m.features);
  fixedBytes(w, m.chainHash, 32, 'channel_announcement.chain_hash');
  w.u64(m.shortChannelId);
  fixedBytes(w, m.nodeId1, POINT, 'channel_announcement.node_id_1');
  fixedBytes(w, m.nodeId2, POINT, 'channel_announcement.node_id_2');
  fixedBytes(w, m.bitcoinKey1, POINT, 'channel_announcement.bitcoin_key_1');
  fixedBytes(w, m.bitcoinKey2, POINT, 'channel_announcement.bitcoin_key_2');
  w.bytes(m.extra);
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// node_announcement (257)

export interface NodeAnnouncement {
  signature: Uint8Array;
  /** BOLT 9 node features (context N); `flen` is its length. */
  features: Uint8Array;
  timestamp: number;
  nodeId: Uint8Array;
  /** 3 bytes: red, green, blue. */
  rgbColor: Uint8Array;
  /**
   * 32 bytes as sent. BOLT 7: the origin "MUST set `alias` to a valid UTF-8 string, with any
   * `alias` trailing-bytes equal to 0" — a receiver cannot rely on it, so the bytes are kept and
   * {@link nodeAliasText} reads them.
   */
  alias: Uint8Array;
  /** The descriptors of known types, in order, up to the first unknown type. */
  addresses: NodeAddress[];
  /** `addresses` bytes from the first descriptor of an unknown type on (ignored, kept for re-encoding). */
  unknownAddressBytes: Uint8Array;
  /** Bytes after `addresses` (future fields), covered by the signature. */
  extra: Uint8Array;
}

/** BOLT 7: the signature covers "the entire remaining packet after `signature`". */
export const NODE_ANNOUNCEMENT_SIGNED_OFFSET = 64;

export function decodeNodeAnnouncement(payload: Uint8Array): NodeAnnouncement {
  const r = new Reader(payload);
  const signature = r.bytes(SIG, 'node_announcement.signature');
  const flen = r.u16('node_announcement.flen');
  const features = r.bytes(flen, 'node_announcement.features');
  const timestamp = r.u32('node_announcement.timestamp');
  const nodeId = r.point('node_announcement.node_id');
  const rgbColor = r.bytes(3, 'node_announcement.rgb_color');
  const alias = r.bytes(32, 'node_announcement.alias');
  const addrlen = r.u16('node_announcement.addrlen');
  const { addresses, unknownAddressBytes } = decodeNodeAddresses(r.bytes(addrlen, 'node_announcement.addresses'));
  return { signature, features, timestamp, nodeId, rgbColor, alias, addresses, unknownAddressBytes, extra: r.rest() };
}

export function encodeNodeAnnouncement(m: NodeAnnouncement): Uint8Array {
  const addrs = encodeNodeAddresses(m.addresses, m.unknownAddressBytes);
  if (addrs.length > 0xffff) throw new RangeError('node_announcement.addresses longer than 65535 bytes');
  const w = new Writer(SIG + 2 + m.features.length + 4 + POINT + 3 + 32 + 2 + addrs.length + m.extra.length);
  fixedBytes(w, m.signature, SIG, 'node_announcement.signature');
  w.u16(m.features.length).bytes(m.features);
  w.u32(m.timestamp);
  fixedBytes(w, m.nodeId, POINT, 'node_announcement.node_id');
  fixedBytes(w, m.rgbColor, 3, 'node_announcement.rgb_color');
  fixedBytes(w, m.alias, 32, 'node_announcement.alias');
  w.u16(addrs.length).bytes(addrs);
  w.bytes(m.extra);
  return w.finish();
}

/**
 * The alias as text: trailing zero bytes dropped, decoded as UTF-8 with invalid sequences replaced
 * (U+FFFD). For display only, and BOLT 7 warns it is attacker-chosen ("should always be sanitized").
 */
export function nodeAliasText(alias: Uint8Array): string {
  let n = alias.length;
  while (n > 0 && alias[n - 1] === 0) n--;
  return new TextDecoder('utf-8', { fatal: false }).decode(alias.subarray(0, n));
}

/** A 32-byte alias from text (UTF-8, zero-padded). RangeError when longer than 32 bytes. */
export function nodeAliasFromText(text: string): Uint8Array {
  const b = new TextEncoder().encode(text);
  if (b.length > 32) throw new RangeError(`alias longer than 32 bytes in UTF-8 (${b.length})`);
  const out = new Uint8Array(32);
  out.set(b);
  return out;
}

// ---------------------------------------------------------------------------------------------
// channel_update (258)

/** `channel_flags` bit 0: the direction (0: sent by node_id_1, 1: by node_id_2). */
export const CHANNEL_FLAG_DIRECTION = 1;
/** `channel_flags` bit 1: the channel is disabled. */
export const CHANNEL_FLAG_DISABLE = 2;
/**
 * `message_flags` bit 0, `must_be_one`. BOLT 7: it "was previously used to indicate the presence
 * of the `htlc_maximum_msat` field. This field must now always be present, so `must_be_one` is a
 * constant value, and ignored by receivers."
 */
export const MESSAGE_FLAG_MUST_BE_ONE = 1;
/** `message_flags` bit 1, `dont_forward`: an update for an unannounced channel, never relayed. */
export const MESSAGE_FLAG_DONT_FORWARD = 2;

export interface ChannelUpdate {
  signature: Uint8Array;
  chainHash: Uint8Array;
  shortChannelId: bigint;
  timestamp: number;
  messageFlags: number;
  channelFlags: number;
  cltvExpiryDelta: number;
  htlcMinimumMsat: bigint;
  feeBaseMsat: number;
  feeProportionalMillionths: number;
  /** Always present (BOLT 7: "This field must now always be present"), whatever `must_be_one` says. */
  htlcMaximumMsat: bigint;
  /** Bytes after `htlc_maximum_msat` (future fields), covered by the signature. */
  extra: Uint8Array;
}

/** BOLT 7: the signature covers "the entire remaining packet after `signature`". */
export const CHANNEL_UPDATE_SIGNED_OFFSET = 64;
/** Payload length with every field and nothing after `htlc_maximum_msat`. */
export const CHANNEL_UPDATE_LEN = SIG + 32 + 8 + 4 + 1 + 1 + 2 + 8 + 4 + 4 + 8;

/**
 * Decode a `channel_update`. An old-style update without `htlc_maximum_msat` (`must_be_one` = 0,
 * 128 bytes) fails with EOF on that field: the field is required now.
 */
export function decodeChannelUpdate(payload: Uint8Array): ChannelUpdate {
  const b = payload;
  if (b.length >= CHANNEL_UPDATE_LEN) {
    // Fast path (the ingest decodes ~160k of these): fixed offsets, no Reader.
    return {
      signature: b.subarray(0, 64),
      chainHash: b.subarray(64, 96),
      shortChannelId: u64At(b, 96),
      timestamp: u32At(b, 104),
      messageFlags: b[108]!,
      channelFlags: b[109]!,
      cltvExpiryDelta: (b[110]! << 8) | b[111]!,
      htlcMinimumMsat: u64At(b, 112),
      feeBaseMsat: u32At(b, 120),
      feeProportionalMillionths: u32At(b, 124),
      htlcMaximumMsat: u64At(b, 128),
      extra: b.subarray(136),
    };
  }
  // Too short: read field by field so the error names the first missing one.
  const r = new Reader(payload);
  return {
    signature: r.bytes(SIG, 'channel_update.signature'),
    chainHash: r.bytes(32, 'channel_update.chain_hash'),
    shortChannelId: r.u64('channel_update.short_channel_id'),
    timestamp: r.u32('channel_update.timestamp'),
    messageFlags: r.u8('channel_update.message_flags'),
    channelFlags: r.u8('channel_update.channel_flags'),
    cltvExpiryDelta: r.u16('channel_update.cltv_expiry_delta'),
    htlcMinimumMsat: r.u64('channel_update.htlc_minimum_msat'),
    feeBaseMsat: r.u32('channel_update.fee_base_msat'),
    feeProportionalMillionths: r.u32('channel_update.fee_proportional_millionths'),
    htlcMaximumMsat: r.u64('channel_update.htlc_maximum_msat'),
    extra: r.rest(),
  };
}

export function encodeChannelUpdate(m: ChannelUpdate): Uint8Array {
  const w = new Writer(CHANNEL_UPDATE_LEN + m.extra.length);
  fixedBytes(w, m.signature, SIG, 'channel_update.signature');
  fixedBytes(w, m.chainHash, 32, 'channel_update.chain_hash');
  w.u64(m.shortChannelId);
  w.u32(m.timestamp);
  w.u8(m.messageFlags);
  w.u8(m.channelFlags);
  w.u16(m.cltvExpiryDelta);
  w.u64(m.htlcMinimumMsat);
  w.u32(m.feeBaseMsat);
  w.u32(m.feeProportionalMillionths);
  w.u64(m.htlcMaximumMsat);
  w.bytes(m.extra);
  return w.finish();
}

/** 0 when `node_id_1` sent the update, 1 when `node_id_2` did (`channel_flags` bit 0). */
export function channelUpdateDirection(m: Pick<ChannelUpdate, 'channelFlags'>): 0 | 1 {
  return (m.channelFlags & CHANNEL_FLAG_DIRECTION) as 0 | 1;
}
/** Whether the `disable` bit of `channel_flags` is set. */
export function channelUpdateDisabled(m: Pick<ChannelUpdate, 'channelFlags'>): boolean {
  return (m.channelFlags & CHANNEL_FLAG_DISABLE) !== 0;
}
/** Whether the `dont_forward` bit of `message_flags` is set. */
export function channelUpdateDontForward(m: Pick<ChannelUpdate, 'messageFlags'>): boolean {
  return (m.messageFlags & MESSAGE_FLAG_DONT_FORWARD) !== 0;
}

// CRC32C (Castagnoli, reflected polynomial 0x82f63b78), RFC 3720 appendix B.4. A checksum, not a
// cryptographic hash: a 1 KiB table, computed once.
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32C of the concatenation of `parts` (RFC 3720: initial value and final xor 0xffffffff). */
export function crc32c(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC32C_TABLE[(c ^ p[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * BOLT 7, reply_channel_range: "The checksum of a `channel_update` is the CRC32C checksum as
 * specified in RFC3720 of this `channel_update` without its `signature` and `timestamp` fields"
 * (`payload` without the type: chain_hash and short_channel_id, then everything after timestamp,
 * future fields included).
 */
export function channelUpdateChecksum(payload: Uint8Array): number {
  if (payload.length < SIG + 32 + 8 + 4) throw new WireError('channel_update', 'too short for a checksum');
  return crc32c(payload.subarray(SIG, SIG + 40), payload.subarray(SIG + 44));
}

// ---------------------------------------------------------------------------------------------
// announcement_signatures (259): direct between channel peers, not gossip; here because it signs
// the same hash as channel_announcement.

export interface AnnouncementSignatures {
  channelId: Uint8Array;
  shortChannelId: bigint;
  nodeSignature: Uint8Array;
  bitcoinSignature: Uint8Array;
}

export function decodeAnnouncementSignatures(payload: Uint8Array): AnnouncementSignatures {
  const r = new Reader(payload);
  const channelId = r.bytes(32, 'announcement_signatures.channel_id');
  const shortChannelId = r.u64('announcement_signatures.short_channel_id');
  const nodeSignature = r.bytes(SIG, 'announcement_signatures.node_signature');
  const bitcoinSignature = r.bytes(SIG, 'announcement_signatures.bitcoin_signature');
  // Trailing bytes: an `extension` this message does not define; ignored (BOLT 1 MAY).
  return { channelId, shortChannelId, nodeSignature, bitcoinSignature };
}

export function encodeAnnouncementSignatures(m: AnnouncementSignatures): Uint8Array {
  const w = new Writer(32 + 8 + 2 * SIG);
  fixedBytes(w, m.channelId, 32, 'announcement_signatures.channel_id');
  w.u64(m.shortChannelId);
  fixedBytes(w, m.nodeSignature, SIG, 'announcement_signatures.node_signature');
  fixedBytes(w, m.bitcoinSignature, SIG, 'announcement_signatures.bitcoin_signature');
  return w.finish();
}
