// BOLT 2 channel message codecs: establishment v1 (`open_channel` 32, `accept_channel` 33,
// `funding_created` 34, `funding_signed` 35, `channel_ready` 36), close (`shutdown` 38, legacy
// `closing_signed` 39), normal operation (`update_add_htlc` 128, `update_fulfill_htlc` 130,
// `update_fail_htlc` 131, `commitment_signed` 132, `revoke_and_ack` 133, `update_fee` 134,
// `update_fail_malformed_htlc` 135) and `channel_reestablish` 136; `channel_id` from the funding
// outpoint; one tagged union of them all (with BOLT 1 `error`/`warning`) for the state machine.
//
// Payloads exclude the 2-byte type (as in messages.ts). Decoders throw only `WireError` naming the
// field and the rule, and return copies (the channel state keeps points and signatures).
// Encoders throw `RangeError` for values a correct caller never passes.
//
// TLV extensions: every message here is read as `fields || tlv_stream` (BOLT 1: a message is
// `type || payload || extension`; "if the `extension` is invalid: MUST close the connection"). The
// stream is parsed strictly by BOLT 1's rules (minimal encodings, strictly increasing types, unknown
// even type → fail); unknown odd records are kept in `extraTlvs` (present only when non-empty) so a
// re-encoded message is byte-identical. Known records must have exactly their defined length.
//
// What is valid beyond the format (points on the curve, signatures, amounts, channel_type) is
// src/channel's business; these codecs only refuse what cannot be read.
import { WireError } from './errors.ts';
import { Reader, Writer } from './codec.ts';
import { decodeTlvStream, encodeTlvStream, type TlvRecord } from './tlv.ts';
import { decodeError, decodeWarning, encodeError, encodeWarning, frameMessage, MSG, splitMessage, type ErrorMessage } from './messages.ts';

/** BOLT 2 message types. */
export const CHANNEL_MSG = {
  open_channel: 32,
  accept_channel: 33,
  funding_created: 34,
  funding_signed: 35,
  channel_ready: 36,
  shutdown: 38,
  closing_signed: 39,
  update_add_htlc: 128,
  update_fulfill_htlc: 130,
  update_fail_htlc: 131,
  commitment_signed: 132,
  revoke_and_ack: 133,
  update_fee: 134,
  update_fail_malformed_htlc: 135,
  channel_reestablish: 136,
} as const;

export type ChannelMessageName = keyof typeof CHANNEL_MSG;

/** BOLT 2, `update_add_htlc`: `[1366*byte:onion_routing_packet]` (BOLT 4: 1 + 33 + 1300 + 32). */
export const ONION_ROUTING_PACKET_LEN = 1366;
/** BOLT 2, `attribution_data`: `[20*u32:htlc_hold_times] [210*sha256[..4]:truncated_hmacs]`. */
export const ATTRIBUTION_DATA_LEN = 20 * 4 + 210 * 4;
/** `channel_flags` bit 0: `announce_channel`. */
export const CHANNEL_FLAG_ANNOUNCE = 1;

const SIG = 64;

// ---------------------------------------------------------------------------------------------
// channel_id

/**
 * BOLT 2, Definition of `channel_id`: "combining the `funding_txid` and the `funding_output_index`,
 * using big-endian exclusive-OR (i.e. `funding_output_index` alters the last 2 bytes)". The txid is
 * in the byte order `funding_created` carries it (the transaction's internal order).
 */
export function channelIdFromFunding(fundingTxid: Uint8Array, fundingOutputIndex: number): Uint8Array {
  if (fundingTxid.length !== 32) throw new RangeError('channel_id: funding_txid must be 32 bytes');
  if (!Number.isInteger(fundingOutputIndex) || fundingOutputIndex < 0 || fundingOutputIndex > 0xffff) {
    throw new RangeError('channel_id: funding_output_index must be a u16');
  }
  const id = fundingTxid.slice();
  id[30]! ^= fundingOutputIndex >> 8;
  id[31]! ^= fundingOutputIndex & 0xff;
  return id;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

function fixed(w: Writer, b: Uint8Array, len: number, field: string): void {
  if (!(b instanceof Uint8Array) || b.length !== len) throw new RangeError(`${field} must be ${len} bytes`);
  w.bytes(b);
}

function assertPoint(b: Uint8Array, field: string): void {
  if (!(b instanceof Uint8Array) || b.length !== 33 || (b[0] !== 2 && b[0] !== 3)) throw new RangeError(`${field} must be a 33-byte compressed point`);
}

function point(w: Writer, b: Uint8Array, field: string): void {
  assertPoint(b, field);
  w.bytes(b);
}

function copy(r: Reader, n: number, field: string): Uint8Array {
  return r.bytes(n, field).slice();
}

function copyPoint(r: Reader, field: string): Uint8Array {
  return r.point(field).slice();
}

/** A TLV value of a known type: exactly `len` bytes (BOLT 1: otherwise MUST fail to parse). */
function exactLen(v: Uint8Array, len: number, field: string): Uint8Array {
  if (v.length !== len) throw new WireError(field, `length ${v.length}, must be exactly ${len}`);
  return v.slice();
}

interface ParsedTlvs {
  known: Map<bigint, Uint8Array>;
  extra: TlvRecord[];
}

/** The rest of `r` as the message's TLV stream: strict BOLT 1 rules, `known` types returned by type. */
function readTlvs(r: Reader, field: string, known: readonly bigint[]): ParsedTlvs {
  const set = new Set(known);
  const recs = decodeTlvStream(r.rest(), { field, known: set });
  const out: ParsedTlvs = { known: new Map(), extra: [] };
  for (const rec of recs) {
    if (set.has(rec.type)) out.known.set(rec.type, rec.value);
    else out.extra.push({ type: rec.type, value: rec.value.slice() });
  }
  return out;
}

/** Known records (undefined values skipped) and the unknown odd ones, in type order. */
function writeTlvs(w: Writer, field: string, known: [bigint, Uint8Array | undefined][], extra: readonly TlvRecord[] | undefined): void {
  const recs: TlvRecord[] = [];
  for (const [type, value] of known) if (value !== undefined) recs.push({ type, value });
  for (const r of extra ?? []) {
    // BOLT 1: "MUST NOT send evenly-typed TLV records in the `extension` without prior negotiation."
    if (r.type % 2n === 0n) throw new RangeError(`${field}: refusing to send unknown even type ${r.type}`);
    if (known.some(([t]) => t === r.type)) throw new RangeError(`${field}: extra record ${r.type} is a known type`);
    recs.push(r);
  }
  recs.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  w.bytes(encodeTlvStream(recs));
}

function withExtra<T extends object>(m: T, extra: TlvRecord[]): T & { extraTlvs?: TlvRecord[] } {
  return extra.length > 0 ? { ...m, extraTlvs: extra } : m;
}

function u64Bytes(v: bigint): Uint8Array {
  return new Writer(8).u64(v).finish();
}

/** Unknown odd TLV records of a message, kept for re-encoding. */
export interface HasExtraTlvs {
  extraTlvs?: TlvRecord[];
}

// ---------------------------------------------------------------------------------------------
// open_channel (32) and accept_channel (33)

const OPEN_TLV_UPFRONT_SHUTDOWN = 0n;
const OPEN_TLV_CHANNEL_TYPE = 1n;

/** Fields shared by `open_channel` and `accept_channel`: one side's channel parameters and keys. */
export interface ChannelParamsWire {
  dustLimitSatoshis: bigint;
  maxHtlcValueInFlightMsat: bigint;
  channelReserveSatoshis: bigint;
  htlcMinimumMsat: bigint;
  toSelfDelay: number;
  maxAcceptedHtlcs: number;
  fundingPubkey: Uint8Array;
  revocationBasepoint: Uint8Array;
  paymentBasepoint: Uint8Array;
  delayedPaymentBasepoint: Uint8Array;
  htlcBasepoint: Uint8Array;
  firstPerCommitmentPoint: Uint8Array;
  /** TLV 0 `upfront_shutdown_script`; a zero-length value is "no upfront script" (`0x0000`). Absent: not sent. */
  upfrontShutdownScript?: Uint8Array;
  /** TLV 1 `channel_type`: a feature bitmap (BOLT 9 channel types). Absent: not sent. */
  channelType?: Uint8Array;
}

export interface OpenChannel extends ChannelParamsWire, HasExtraTlvs {
  chainHash: Uint8Array;
  temporaryChannelId: Uint8Array;
  fundingSatoshis: bigint;
  pushMsat: bigint;
  feeratePerKw: number;
  /** Bit 0: `announce_channel`; BOLT 2: the receiver MUST ignore undefined bits. */
  channelFlags: number;
}

export interface AcceptChannel extends ChannelParamsWire, HasExtraTlvs {
  temporaryChannelId: Uint8Array;
  minimumDepth: number;
}

function writeKeys(w: Writer, name: string, m: ChannelParamsWire): void {
  w.u16(m.toSelfDelay).u16(m.maxAcceptedHtlcs);
  point(w, m.fundingPubkey, `${name}.funding_pubkey`);
  point(w, m.revocationBasepoint, `${name}.revocation_basepoint`);
  point(w, m.paymentBasepoint, `${name}.payment_basepoint`);
  point(w, m.delayedPaymentBasepoint, `${name}.delayed_payment_basepoint`);
  point(w, m.htlcBasepoint, `${name}.htlc_basepoint`);
  point(w, m.firstPerCommitmentPoint, `${name}.first_per_commitment_point`);
}

function readKeys(r: Reader, name: string) {
  return {
    toSelfDelay: r.u16(`${name}.to_self_delay`),
    maxAcceptedHtlcs: r.u16(`${name}.max_accepted_htlcs`),
    fundingPubkey: copyPoint(r, `${name}.funding_pubkey`),
    revocationBasepoint: copyPoint(r, `${name}.revocation_basepoint`),
    paymentBasepoint: copyPoint(r, `${name}.payment_basepoint`),
    delayedPaymentBasepoint: copyPoint(r, `${name}.delayed_payment_basepoint`),
    htlcBasepoint: copyPoint(r, `${name}.htlc_basepoint`),
    firstPerCommitmentPoint: copyPoint(r, `${name}.first_per_commitment_point`),
  };
}

function writeOpenTlvs(w: Writer, name: string, m: ChannelParamsWire & HasExtraTlvs): void {
  writeTlvs(
    w,
    `${name}_tlvs`,
    [
      [OPEN_TLV_UPFRONT_SHUTDOWN, m.upfrontShutdownScript],
      [OPEN_TLV_CHANNEL_TYPE, m.channelType],
    ],
    m.extraTlvs,
  );
}

function readOpenTlvs(r: Reader, name: string): { upfrontShutdownScript?: Uint8Array; channelType?: Uint8Array; extra: TlvRecord[] } {
  const t = readTlvs(r, `${name}_tlvs`, [OPEN_TLV_UPFRONT_SHUTDOWN, OPEN_TLV_CHANNEL_TYPE]);
  const out: { upfrontShutdownScript?: Uint8Array; channelType?: Uint8Array; extra: TlvRecord[] } = { extra: t.extra };
  const us = t.known.get(OPEN_TLV_UPFRONT_SHUTDOWN);
  if (us !== undefined) out.upfrontShutdownScript = us.slice();
  const ct = t.known.get(OPEN_TLV_CHANNEL_TYPE);
  if (ct !== undefined) out.channelType = ct.slice();
  return out;
}

export function encodeOpenChannel(m: OpenChannel): Uint8Array {
  const w = new Writer(320);
  fixed(w, m.chainHash, 32, 'open_channel.chain_hash');
  fixed(w, m.temporaryChannelId, 32, 'open_channel.temporary_channel_id');
  w.u64(m.fundingSatoshis).u64(m.pushMsat).u64(m.dustLimitSatoshis).u64(m.maxHtlcValueInFlightMsat);
  w.u64(m.channelReserveSatoshis).u64(m.htlcMinimumMsat).u32(m.feeratePerKw);
  writeKeys(w, 'open_channel', m);
  w.u8(m.channelFlags);
  writeOpenTlvs(w, 'open_channel', m);
  return w.finish();
}

export function decodeOpenChannel(payload: Uint8Array): OpenChannel {
  const r = new Reader(payload);
  const head = {
    chainHash: copy(r, 32, 'open_channel.chain_hash'),
    temporaryChannelId: copy(r, 32, 'open_channel.temporary_channel_id'),
    fundingSatoshis: r.u64('open_channel.funding_satoshis'),
    pushMsat: r.u64('open_channel.push_msat'),
    dustLimitSatoshis: r.u64('open_channel.dust_limit_satoshis'),
    maxHtlcValueInFlightMsat: r.u64('open_channel.max_htlc_value_in_flight_msat'),
    channelReserveSatoshis: r.u64('open_channel.channel_reserve_satoshis'),
    htlcMinimumMsat: r.u64('open_channel.htlc_minimum_msat'),
    feeratePerKw: r.u32('open_channel.feerate_per_kw'),
  };
  const keys = readKeys(r, 'open_channel');
  const channelFlags = r.u8('open_channel.channel_flags');
  const { extra, ...tlvs } = readOpenTlvs(r, 'open_channel');
  return withExtra({ ...head, ...keys, channelFlags, ...tlvs }, extra);
}

export function encodeAcceptChannel(m: AcceptChannel): Uint8Array {
  const w = new Writer(300);
  fixed(w, m.temporaryChannelId, 32, 'accept_channel.temporary_channel_id');
  w.u64(m.dustLimitSatoshis).u64(m.maxHtlcValueInFlightMsat).u64(m.channelReserveSatoshis).u64(m.htlcMinimumMsat);
  w.u32(m.minimumDepth);
  writeKeys(w, 'accept_channel', m);
  writeOpenTlvs(w, 'accept_channel', m);
  return w.finish();
}

export function decodeAcceptChannel(payload: Uint8Array): AcceptChannel {
  const r = new Reader(payload);
  const head = {
    temporaryChannelId: copy(r, 32, 'accept_channel.temporary_channel_id'),
    dustLimitSatoshis: r.u64('accept_channel.dust_limit_satoshis'),
    maxHtlcValueInFlightMsat: r.u64('accept_channel.max_htlc_value_in_flight_msat'),
    channelReserveSatoshis: r.u64('accept_channel.channel_reserve_satoshis'),
    htlcMinimumMsat: r.u64('accept_channel.htlc_minimum_msat'),
    minimumDepth: r.u32('accept_channel.minimum_depth'),
  };
  const keys = readKeys(r, 'accept_channel');
  const { extra, ...tlvs } = readOpenTlvs(r, 'accept_channel');
  return withExtra({ ...head, ...keys, ...tlvs }, extra);
}

// ---------------------------------------------------------------------------------------------
// funding_created (34), funding_signed (35)

export interface FundingCreated extends HasExtraTlvs {
  temporaryChannelId: Uint8Array;
  /** Internal byte order (as in the funding transaction's outpoints). */
  fundingTxid: Uint8Array;
  fundingOutputIndex: number;
  signature: Uint8Array;
}

export function encodeFundingCreated(m: FundingCreated): Uint8Array {
  const w = new Writer(130);
  fixed(w, m.temporaryChannelId, 32, 'funding_created.temporary_channel_id');
  fixed(w, m.fundingTxid, 32, 'funding_created.funding_txid');
  w.u16(m.fundingOutputIndex);
  fixed(w, m.signature, SIG, 'funding_created.signature');
  writeTlvs(w, 'funding_created_tlvs', [], m.extraTlvs);
  return w.finish();
}

export function decodeFundingCreated(payload: Uint8Array): FundingCreated {
  const r = new Reader(payload);
  const m = {
    temporaryChannelId: copy(r, 32, 'funding_created.temporary_channel_id'),
    fundingTxid: copy(r, 32, 'funding_created.funding_txid'),
    fundingOutputIndex: r.u16('funding_created.funding_output_index'),
    signature: copy(r, SIG, 'funding_created.signature'),
  };
  return withExtra(m, readTlvs(r, 'funding_created_tlvs', []).extra);
}

export interface FundingSigned extends HasExtraTlvs {
  channelId: Uint8Array;
  signature: Uint8Array;
}

export function encodeFundingSigned(m: FundingSigned): Uint8Array {
  const w = new Writer(96);
  fixed(w, m.channelId, 32, 'funding_signed.channel_id');
  fixed(w, m.signature, SIG, 'funding_signed.signature');
  writeTlvs(w, 'funding_signed_tlvs', [], m.extraTlvs);
  return w.finish();
}

export function decodeFundingSigned(payload: Uint8Array): FundingSigned {
  const r = new Reader(payload);
  const m = { channelId: copy(r, 32, 'funding_signed.channel_id'), signature: copy(r, SIG, 'funding_signed.signature') };
  return withExtra(m, readTlvs(r, 'funding_signed_tlvs', []).extra);
}

// ---------------------------------------------------------------------------------------------
// channel_ready (36)

const READY_TLV_ALIAS = 1n;

export interface ChannelReady extends HasExtraTlvs {
  channelId: Uint8Array;
  /** The per-commitment point for commitment #1. */
  secondPerCommitmentPoint: Uint8Array;
  /** TLV 1 `short_channel_id` `alias` (option_scid_alias). */
  shortChannelIdAlias?: bigint;
}

export function encodeChannelReady(m: ChannelReady): Uint8Array {
  const w = new Writer(80);
  fixed(w, m.channelId, 32, 'channel_ready.channel_id');
  point(w, m.secondPerCommitmentPoint, 'channel_ready.second_per_commitment_point');
  writeTlvs(w, 'channel_ready_tlvs', [[READY_TLV_ALIAS, m.shortChannelIdAlias === undefined ? undefined : u64Bytes(m.shortChannelIdAlias)]], m.extraTlvs);
  return w.finish();
}

export function decodeChannelReady(payload: Uint8Array): ChannelReady {
  const r = new Reader(payload);
  const m: ChannelReady = {
    channelId: copy(r, 32, 'channel_ready.channel_id'),
    secondPerCommitmentPoint: copyPoint(r, 'channel_ready.second_per_commitment_point'),
  };
  const t = readTlvs(r, 'channel_ready_tlvs', [READY_TLV_ALIAS]);
  const alias = t.known.get(READY_TLV_ALIAS);
  if (alias !== undefined) m.shortChannelIdAlias = new Reader(exactLen(alias, 8, 'channel_ready_tlvs.short_channel_id')).u64('channel_ready_tlvs.short_channel_id');
  return withExtra(m, t.extra);
}

// ---------------------------------------------------------------------------------------------
// shutdown (38), closing_signed (39)

export interface Shutdown extends HasExtraTlvs {
  channelId: Uint8Array;
  scriptPubkey: Uint8Array;
}

export function encodeShutdown(m: Shutdown): Uint8Array {
  const w = new Writer(72);
  fixed(w, m.channelId, 32, 'shutdown.channel_id');
  w.u16(m.scriptPubkey.length).bytes(m.scriptPubkey);
  writeTlvs(w, 'shutdown_tlvs', [], m.extraTlvs);
  return w.finish();
}

export function decodeShutdown(payload: Uint8Array): Shutdown {
  const r = new Reader(payload);
  const channelId = copy(r, 32, 'shutdown.channel_id');
  const len = r.u16('shutdown.len');
  const scriptPubkey = copy(r, len, 'shutdown.scriptpubkey');
  return withExtra({ channelId, scriptPubkey }, readTlvs(r, 'shutdown_tlvs', []).extra);
}

const CLOSING_TLV_FEE_RANGE = 1n;

export interface ClosingSigned extends HasExtraTlvs {
  channelId: Uint8Array;
  feeSatoshis: bigint;
  signature: Uint8Array;
  /** TLV 1 `fee_range`. */
  feeRange?: { minFeeSatoshis: bigint; maxFeeSatoshis: bigint };
}

export function encodeClosingSigned(m: ClosingSigned): Uint8Array {
  const w = new Writer(130);
  fixed(w, m.channelId, 32, 'closing_signed.channel_id');
  w.u64(m.feeSatoshis);
  fixed(w, m.signature, SIG, 'closing_signed.signature');
  const range = m.feeRange === undefined ? undefined : new Writer(16).u64(m.feeRange.minFeeSatoshis).u64(m.feeRange.maxFeeSatoshis).finish();
  writeTlvs(w, 'closing_signed_tlvs', [[CLOSING_TLV_FEE_RANGE, range]], m.extraTlvs);
  return w.finish();
}

export function decodeClosingSigned(payload: Uint8Array): ClosingSigned {
  const r = new Reader(payload);
  const m: ClosingSigned = {
    channelId: copy(r, 32, 'closing_signed.channel_id'),
    feeSatoshis: r.u64('closing_signed.fee_satoshis'),
    signature: copy(r, SIG, 'closing_signed.signature'),
  };
  const t = readTlvs(r, 'closing_signed_tlvs', [CLOSING_TLV_FEE_RANGE]);
  const fr = t.known.get(CLOSING_TLV_FEE_RANGE);
  if (fr !== undefined) {
    const rr = new Reader(exactLen(fr, 16, 'closing_signed_tlvs.fee_range'));
    m.feeRange = { minFeeSatoshis: rr.u64('closing_signed_tlvs.fee_range.min_fee_satoshis'), maxFeeSatoshis: rr.u64('closing_signed_tlvs.fee_range.max_fee_satoshis') };
  }
  return withExtra(m, t.extra);
}

// ---------------------------------------------------------------------------------------------
// update_add_htlc (128)

const ADD_TLV_PATH_KEY = 0n;

export interface UpdateAddHtlc extends HasExtraTlvs {
  channelId: Uint8Array;
  id: bigint;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  cltvExpiry: number;
  /** 1366 bytes: version, public key, hop payloads, HMAC (BOLT 4); opaque here. */
  onionRoutingPacket: Uint8Array;
  /** TLV 0 `blinded_path`: `path_key` (BOLT 4 route blinding). */
  pathKey?: Uint8Array;
}

export function encodeUpdateAddHtlc(m: UpdateAddHtlc): Uint8Array {
  const w = new Writer(1460);
  fixed(w, m.channelId, 32, 'update_add_htlc.channel_id');
  w.u64(m.id).u64(m.amountMsat);
  fixed(w, m.paymentHash, 32, 'update_add_htlc.payment_hash');
  w.u32(m.cltvExpiry);
  fixed(w, m.onionRoutingPacket, ONION_ROUTING_PACKET_LEN, 'update_add_htlc.onion_routing_packet');
  if (m.pathKey !== undefined) assertPoint(m.pathKey, 'update_add_htlc_tlvs.blinded_path.path_key');
  writeTlvs(w, 'update_add_htlc_tlvs', [[ADD_TLV_PATH_KEY, m.pathKey]], m.extraTlvs);
  return w.finish();
}

export function decodeUpdateAddHtlc(payload: Uint8Array): UpdateAddHtlc {
  const r = new Reader(payload);
  const m: UpdateAddHtlc = {
    channelId: copy(r, 32, 'update_add_htlc.channel_id'),
    id: r.u64('update_add_htlc.id'),
    amountMsat: r.u64('update_add_htlc.amount_msat'),
    paymentHash: copy(r, 32, 'update_add_htlc.payment_hash'),
    cltvExpiry: r.u32('update_add_htlc.cltv_expiry'),
    onionRoutingPacket: copy(r, ONION_ROUTING_PACKET_LEN, 'update_add_htlc.onion_routing_packet'),
  };
  const t = readTlvs(r, 'update_add_htlc_tlvs', [ADD_TLV_PATH_KEY]);
  const pk = t.known.get(ADD_TLV_PATH_KEY);
  if (pk !== undefined) {
    const rr = new Reader(exactLen(pk, 33, 'update_add_htlc_tlvs.blinded_path'));
    m.pathKey = copyPoint(rr, 'update_add_htlc_tlvs.blinded_path.path_key');
  }
  return withExtra(m, t.extra);
}

// ---------------------------------------------------------------------------------------------
// update_fulfill_htlc (130), update_fail_htlc (131), update_fail_malformed_htlc (135)

const REMOVE_TLV_ATTRIBUTION = 1n;

export interface UpdateFulfillHtlc extends HasExtraTlvs {
  channelId: Uint8Array;
  id: bigint;
  paymentPreimage: Uint8Array;
  /** TLV 1 `attribution_data` (920 bytes: hold times and truncated HMACs), opaque here. */
  attributionData?: Uint8Array;
}

function readAttribution(t: ParsedTlvs, field: string): Uint8Array | undefined {
  const v = t.known.get(REMOVE_TLV_ATTRIBUTION);
  return v === undefined ? undefined : exactLen(v, ATTRIBUTION_DATA_LEN, field);
}

function checkAttribution(a: Uint8Array | undefined, field: string): void {
  if (a !== undefined && a.length !== ATTRIBUTION_DATA_LEN) throw new RangeError(`${field} must be ${ATTRIBUTION_DATA_LEN} bytes`);
}

export function encodeUpdateFulfillHtlc(m: UpdateFulfillHtlc): Uint8Array {
  const w = new Writer(80);
  fixed(w, m.channelId, 32, 'update_fulfill_htlc.channel_id');
  w.u64(m.id);
  fixed(w, m.paymentPreimage, 32, 'update_fulfill_htlc.payment_preimage');
  checkAttribution(m.attributionData, 'update_fulfill_htlc_tlvs.attribution_data');
  writeTlvs(w, 'update_fulfill_htlc_tlvs', [[REMOVE_TLV_ATTRIBUTION, m.attributionData]], m.extraTlvs);
  return w.finish();
}

export function decodeUpdateFulfillHtlc(payload: Uint8Array): UpdateFulfillHtlc {
  const r = new Reader(payload);
  const m: UpdateFulfillHtlc = {
    channelId: copy(r, 32, 'update_fulfill_htlc.channel_id'),
    id: r.u64('update_fulfill_htlc.id'),
    paymentPreimage: copy(r, 32, 'update_fulfill_htlc.payment_preimage'),
  };
  const t = readTlvs(r, 'update_fulfill_htlc_tlvs', [REMOVE_TLV_ATTRIBUTION]);
  const a = readAttribution(t, 'update_fulfill_htlc_tlvs.attribution_data');
  if (a !== undefined) m.attributionData = a;
  return withExtra(m, t.extra);
}

export interface UpdateFailHtlc extends HasExtraTlvs {
  channelId: Uint8Array;
  id: bigint;
  /** The encrypted failure onion for the payer (BOLT 4), opaque here. */
  reason: Uint8Array;
  attributionData?: Uint8Array;
}

export function encodeUpdateFailHtlc(m: UpdateFailHtlc): Uint8Array {
  const w = new Writer(64 + m.reason.length);
  fixed(w, m.channelId, 32, 'update_fail_htlc.channel_id');
  w.u64(m.id).u16(m.reason.length).bytes(m.reason);
  checkAttribution(m.attributionData, 'update_fail_htlc_tlvs.attribution_data');
  writeTlvs(w, 'update_fail_htlc_tlvs', [[REMOVE_TLV_ATTRIBUTION, m.attributionData]], m.extraTlvs);
  return w.finish();
}

export function decodeUpdateFailHtlc(payload: Uint8Array): UpdateFailHtlc {
  const r = new Reader(payload);
  const channelId = copy(r, 32, 'update_fail_htlc.channel_id');
  const id = r.u64('update_fail_htlc.id');
  const len = r.u16('update_fail_htlc.len');
  const m: UpdateFailHtlc = { channelId, id, reason: copy(r, len, 'update_fail_htlc.reason') };
  const t = readTlvs(r, 'update_fail_htlc_tlvs', [REMOVE_TLV_ATTRIBUTION]);
  const a = readAttribution(t, 'update_fail_htlc_tlvs.attribution_data');
  if (a !== undefined) m.attributionData = a;
  return withExtra(m, t.extra);
}

export interface UpdateFailMalformedHtlc extends HasExtraTlvs {
  channelId: Uint8Array;
  id: bigint;
  sha256OfOnion: Uint8Array;
  /** A BOLT 4 failure code; BOLT 2: the receiver fails the connection unless BADONION (0x8000) is set. */
  failureCode: number;
}

export function encodeUpdateFailMalformedHtlc(m: UpdateFailMalformedHtlc): Uint8Array {
  const w = new Writer(80);
  fixed(w, m.channelId, 32, 'update_fail_malformed_htlc.channel_id');
  w.u64(m.id);
  fixed(w, m.sha256OfOnion, 32, 'update_fail_malformed_htlc.sha256_of_onion');
  w.u16(m.failureCode);
  writeTlvs(w, 'update_fail_malformed_htlc_tlvs', [], m.extraTlvs);
  return w.finish();
}

export function decodeUpdateFailMalformedHtlc(payload: Uint8Array): UpdateFailMalformedHtlc {
  const r = new Reader(payload);
  const m = {
    channelId: copy(r, 32, 'update_fail_malformed_htlc.channel_id'),
    id: r.u64('update_fail_malformed_htlc.id'),
    sha256OfOnion: copy(r, 32, 'update_fail_malformed_htlc.sha256_of_onion'),
    failureCode: r.u16('update_fail_malformed_htlc.failure_code'),
  };
  return withExtra(m, readTlvs(r, 'update_fail_malformed_htlc_tlvs', []).extra);
}

// ---------------------------------------------------------------------------------------------
// commitment_signed (132), revoke_and_ack (133), update_fee (134)

const COMMIT_TLV_FUNDING_TXID = 1n;

export interface CommitmentSigned extends HasExtraTlvs {
  channelId: Uint8Array;
  signature: Uint8Array;
  /** One per untrimmed HTLC output, in the commitment's output order. */
  htlcSignatures: Uint8Array[];
  /** TLV 1 `funding_txid` (splicing). */
  fundingTxid?: Uint8Array;
}

export function encodeCommitmentSigned(m: CommitmentSigned): Uint8Array {
  const w = new Writer(100 + 64 * m.htlcSignatures.length);
  fixed(w, m.channelId, 32, 'commitment_signed.channel_id');
  fixed(w, m.signature, SIG, 'commitment_signed.signature');
  w.u16(m.htlcSignatures.length);
  m.htlcSignatures.forEach((s, i) => fixed(w, s, SIG, `commitment_signed.htlc_signature[${i}]`));
  if (m.fundingTxid !== undefined && m.fundingTxid.length !== 32) throw new RangeError('commitment_signed_tlvs.funding_txid must be 32 bytes');
  writeTlvs(w, 'commitment_signed_tlvs', [[COMMIT_TLV_FUNDING_TXID, m.fundingTxid]], m.extraTlvs);
  return w.finish();
}

export function decodeCommitmentSigned(payload: Uint8Array): CommitmentSigned {
  const r = new Reader(payload);
  const channelId = copy(r, 32, 'commitment_signed.channel_id');
  const signature = copy(r, SIG, 'commitment_signed.signature');
  const n = r.u16('commitment_signed.num_htlcs');
  // Bounded by the payload: the reader fails before allocating past what was received.
  if (n * SIG > r.remaining) throw new WireError('commitment_signed.htlc_signature', `num_htlcs ${n} needs ${n * SIG} bytes, have ${r.remaining}`);
  const htlcSignatures: Uint8Array[] = [];
  for (let i = 0; i < n; i++) htlcSignatures.push(copy(r, SIG, `commitment_signed.htlc_signature[${i}]`));
  const m: CommitmentSigned = { channelId, signature, htlcSignatures };
  const t = readTlvs(r, 'commitment_signed_tlvs', [COMMIT_TLV_FUNDING_TXID]);
  const f = t.known.get(COMMIT_TLV_FUNDING_TXID);
  if (f !== undefined) m.fundingTxid = exactLen(f, 32, 'commitment_signed_tlvs.funding_txid');
  return withExtra(m, t.extra);
}

export interface RevokeAndAck extends HasExtraTlvs {
  channelId: Uint8Array;
  perCommitmentSecret: Uint8Array;
  nextPerCommitmentPoint: Uint8Array;
}

export function encodeRevokeAndAck(m: RevokeAndAck): Uint8Array {
  const w = new Writer(100);
  fixed(w, m.channelId, 32, 'revoke_and_ack.channel_id');
  fixed(w, m.perCommitmentSecret, 32, 'revoke_and_ack.per_commitment_secret');
  point(w, m.nextPerCommitmentPoint, 'revoke_and_ack.next_per_commitment_point');
  writeTlvs(w, 'revoke_and_ack_tlvs', [], m.extraTlvs);
  return w.finish();
}

export function decodeRevokeAndAck(payload: Uint8Array): RevokeAndAck {
  const r = new Reader(payload);
  const m = {
    channelId: copy(r, 32, 'revoke_and_ack.channel_id'),
    perCommitmentSecret: copy(r, 32, 'revoke_and_ack.per_commitment_secret'),
    nextPerCommitmentPoint: copyPoint(r, 'revoke_and_ack.next_per_commitment_point'),
  };
  return withExtra(m, readTlvs(r, 'revoke_and_ack_tlvs', []).extra);
}

export interface UpdateFee extends HasExtraTlvs {
  channelId: Uint8Array;
  feeratePerKw: number;
}

export function encodeUpdateFee(m: UpdateFee): Uint8Array {
  const w = new Writer(40);
  fixed(w, m.channelId, 32, 'update_fee.channel_id');
  w.u32(m.feeratePerKw);
  writeTlvs(w, 'update_fee_tlvs', [], m.extraTlvs);
  return w.finish();
}

export function decodeUpdateFee(payload: Uint8Array): UpdateFee {
  const r = new Reader(payload);
  const m = { channelId: copy(r, 32, 'update_fee.channel_id'), feeratePerKw: r.u32('update_fee.feerate_per_kw') };
  return withExtra(m, readTlvs(r, 'update_fee_tlvs', []).extra);
}

// ---------------------------------------------------------------------------------------------
// channel_reestablish (136)

/**
 * `channel_reestablish_tlvs` type 0 `next_funding_txid` of earlier BOLT 2 revisions (dual funding,
 * before splicing replaced it by type 1): read so a peer on that revision is not refused for an even
 * type; never written by us.
 */
const REESTABLISH_TLV_LEGACY_NEXT_FUNDING_TXID = 0n;
const REESTABLISH_TLV_NEXT_FUNDING = 1n;
const REESTABLISH_TLV_CURRENT_FUNDING_LOCKED = 5n;

export interface ChannelReestablish extends HasExtraTlvs {
  channelId: Uint8Array;
  nextCommitmentNumber: bigint;
  nextRevocationNumber: bigint;
  /** option_data_loss_protect: the last per-commitment secret received, or 32 zero bytes. */
  yourLastPerCommitmentSecret: Uint8Array;
  myCurrentPerCommitmentPoint: Uint8Array;
  /** TLV 1 `next_funding` (interactive funding). */
  nextFunding?: { txid: Uint8Array; retransmitFlags: number };
  /** TLV 5 `my_current_funding_locked` (splicing). */
  myCurrentFundingLocked?: { txid: Uint8Array; retransmitFlags: number };
  /** TLV 0 of earlier revisions (read only). */
  legacyNextFundingTxid?: Uint8Array;
}

function txidFlags(v: { txid: Uint8Array; retransmitFlags: number } | undefined, field: string): Uint8Array | undefined {
  if (v === undefined) return undefined;
  const w = new Writer(33);
  fixed(w, v.txid, 32, `${field}.txid`);
  w.u8(v.retransmitFlags);
  return w.finish();
}

function readTxidFlags(v: Uint8Array, field: string): { txid: Uint8Array; retransmitFlags: number } {
  const r = new Reader(exactLen(v, 33, field));
  return { txid: copy(r, 32, `${field}.txid`), retransmitFlags: r.u8(`${field}.retransmit_flags`) };
}

export function encodeChannelReestablish(m: ChannelReestablish): Uint8Array {
  const w = new Writer(150);
  fixed(w, m.channelId, 32, 'channel_reestablish.channel_id');
  w.u64(m.nextCommitmentNumber).u64(m.nextRevocationNumber);
  fixed(w, m.yourLastPerCommitmentSecret, 32, 'channel_reestablish.your_last_per_commitment_secret');
  point(w, m.myCurrentPerCommitmentPoint, 'channel_reestablish.my_current_per_commitment_point');
  if (m.legacyNextFundingTxid !== undefined) throw new RangeError('channel_reestablish: legacy next_funding_txid (type 0) is read, never written');
  writeTlvs(
    w,
    'channel_reestablish_tlvs',
    [
      [REESTABLISH_TLV_NEXT_FUNDING, txidFlags(m.nextFunding, 'channel_reestablish_tlvs.next_funding')],
      [REESTABLISH_TLV_CURRENT_FUNDING_LOCKED, txidFlags(m.myCurrentFundingLocked, 'channel_reestablish_tlvs.my_current_funding_locked')],
    ],
    m.extraTlvs,
  );
  return w.finish();
}

export function decodeChannelReestablish(payload: Uint8Array): ChannelReestablish {
  const r = new Reader(payload);
  const m: ChannelReestablish = {
    channelId: copy(r, 32, 'channel_reestablish.channel_id'),
    nextCommitmentNumber: r.u64('channel_reestablish.next_commitment_number'),
    nextRevocationNumber: r.u64('channel_reestablish.next_revocation_number'),
    yourLastPerCommitmentSecret: copy(r, 32, 'channel_reestablish.your_last_per_commitment_secret'),
    myCurrentPerCommitmentPoint: copyPoint(r, 'channel_reestablish.my_current_per_commitment_point'),
  };
  const t = readTlvs(r, 'channel_reestablish_tlvs', [REESTABLISH_TLV_LEGACY_NEXT_FUNDING_TXID, REESTABLISH_TLV_NEXT_FUNDING, REESTABLISH_TLV_CURRENT_FUNDING_LOCKED]);
  const legacy = t.known.get(REESTABLISH_TLV_LEGACY_NEXT_FUNDING_TXID);
  if (legacy !== undefined) m.legacyNextFundingTxid = exactLen(legacy, 32, 'channel_reestablish_tlvs.next_funding_txid');
  const nf = t.known.get(REESTABLISH_TLV_NEXT_FUNDING);
  if (nf !== undefined) m.nextFunding = readTxidFlags(nf, 'channel_reestablish_tlvs.next_funding');
  const cl = t.known.get(REESTABLISH_TLV_CURRENT_FUNDING_LOCKED);
  if (cl !== undefined) m.myCurrentFundingLocked = readTxidFlags(cl, 'channel_reestablish_tlvs.my_current_funding_locked');
  return withExtra(m, t.extra);
}

// ---------------------------------------------------------------------------------------------
// The tagged union: every BOLT 2 message above plus BOLT 1 `error` and `warning`

export type ChannelWireMessage =
  | ({ type: 'open_channel' } & OpenChannel)
  | ({ type: 'accept_channel' } & AcceptChannel)
  | ({ type: 'funding_created' } & FundingCreated)
  | ({ type: 'funding_signed' } & FundingSigned)
  | ({ type: 'channel_ready' } & ChannelReady)
  | ({ type: 'shutdown' } & Shutdown)
  | ({ type: 'closing_signed' } & ClosingSigned)
  | ({ type: 'update_add_htlc' } & UpdateAddHtlc)
  | ({ type: 'update_fulfill_htlc' } & UpdateFulfillHtlc)
  | ({ type: 'update_fail_htlc' } & UpdateFailHtlc)
  | ({ type: 'commitment_signed' } & CommitmentSigned)
  | ({ type: 'revoke_and_ack' } & RevokeAndAck)
  | ({ type: 'update_fee' } & UpdateFee)
  | ({ type: 'update_fail_malformed_htlc' } & UpdateFailMalformedHtlc)
  | ({ type: 'channel_reestablish' } & ChannelReestablish)
  | ({ type: 'error' } & ErrorMessage)
  | ({ type: 'warning' } & ErrorMessage);

export type ChannelWireType = ChannelWireMessage['type'];
export type ChannelWireOf<T extends ChannelWireType> = Extract<ChannelWireMessage, { type: T }>;

/** The payload (no type) of a tagged message. */
export function encodeChannelPayload(m: ChannelWireMessage): Uint8Array {
  switch (m.type) {
    case 'open_channel':
      return encodeOpenChannel(m);
    case 'accept_channel':
      return encodeAcceptChannel(m);
    case 'funding_created':
      return encodeFundingCreated(m);
    case 'funding_signed':
      return encodeFundingSigned(m);
    case 'channel_ready':
      return encodeChannelReady(m);
    case 'shutdown':
      return encodeShutdown(m);
    case 'closing_signed':
      return encodeClosingSigned(m);
    case 'update_add_htlc':
      return encodeUpdateAddHtlc(m);
    case 'update_fulfill_htlc':
      return encodeUpdateFulfillHtlc(m);
    case 'update_fail_htlc':
      return encodeUpdateFailHtlc(m);
    case 'commitment_signed':
      return encodeCommitmentSigned(m);
    case 'revoke_and_ack':
      return encodeRevokeAndAck(m);
    case 'update_fee':
      return encodeUpdateFee(m);
    case 'update_fail_malformed_htlc':
      return encodeUpdateFailMalformedHtlc(m);
    case 'channel_reestablish':
      return encodeChannelReestablish(m);
    case 'error':
      return encodeError(m);
    case 'warning':
      return encodeWarning(m);
  }
}

/** The u16 message type of a tagged message. */
export function channelMessageType(t: ChannelWireType): number {
  return t === 'error' ? MSG.error : t === 'warning' ? MSG.warning : CHANNEL_MSG[t];
}

/** `u16 type || payload`, ready for the transport. */
export function encodeChannelMessage(m: ChannelWireMessage): Uint8Array {
  return frameMessage(channelMessageType(m.type), encodeChannelPayload(m));
}

const NAME_OF_TYPE: ReadonlyMap<number, ChannelMessageName> = new Map((Object.entries(CHANNEL_MSG) as [ChannelMessageName, number][]).map(([n, t]) => [t, n]));

/** Whether a message type is one of BOLT 2's channel messages here (not `error`/`warning`). */
export function isChannelMessageType(type: number): boolean {
  return NAME_OF_TYPE.has(type);
}

/** Decode a payload of message type `type`; undefined when the type is none of the union's. */
export function decodeChannelPayload(type: number, payload: Uint8Array): ChannelWireMessage | undefined {
  if (type === MSG.error) return { type: 'error', ...decodeError(payload) };
  if (type === MSG.warning) return { type: 'warning', ...decodeWarning(payload) };
  const name = NAME_OF_TYPE.get(type);
  switch (name) {
    case undefined:
      return undefined;
    case 'open_channel':
      return { type: name, ...decodeOpenChannel(payload) };
    case 'accept_channel':
      return { type: name, ...decodeAcceptChannel(payload) };
    case 'funding_created':
      return { type: name, ...decodeFundingCreated(payload) };
    case 'funding_signed':
      return { type: name, ...decodeFundingSigned(payload) };
    case 'channel_ready':
      return { type: name, ...decodeChannelReady(payload) };
    case 'shutdown':
      return { type: name, ...decodeShutdown(payload) };
    case 'closing_signed':
      return { type: name, ...decodeClosingSigned(payload) };
    case 'update_add_htlc':
      return { type: name, ...decodeUpdateAddHtlc(payload) };
    case 'update_fulfill_htlc':
      return { type: name, ...decodeUpdateFulfillHtlc(payload) };
    case 'update_fail_htlc':
      return { type: name, ...decodeUpdateFailHtlc(payload) };
    case 'commitment_signed':
      return { type: name, ...decodeCommitmentSigned(payload) };
    case 'revoke_and_ack':
      return { type: name, ...decodeRevokeAndAck(payload) };
    case 'update_fee':
      return { type: name, ...decodeUpdateFee(payload) };
    case 'update_fail_malformed_htlc':
      return { type: name, ...decodeUpdateFailMalformedHtlc(payload) };
    case 'channel_reestablish':
      return { type: name, ...decodeChannelReestablish(payload) };
  }
}

/** Decode a whole message (`u16 type || payload`); undefined when its type is not in the union. */
export function decodeChannelMessage(msg: Uint8Array): ChannelWireMessage | undefined {
  const { type, payload } = splitMessage(msg);
  return decodeChannelPayload(type, payload);
}

/**
 * The channel a message belongs to: `temporary_channel_id` for `open_channel`, `accept_channel`
 * and `funding_created`, else `channel_id`.
 */
export function channelIdOf(m: ChannelWireMessage): Uint8Array {
  switch (m.type) {
    case 'open_channel':
    case 'accept_channel':
    case 'funding_created':
      return m.temporaryChannelId;
    default:
      return m.channelId;
  }
}
