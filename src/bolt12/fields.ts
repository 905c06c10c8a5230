// BOLT 12 TLV fields: the type numbers of every field of `offer`, `invoice_request` and `invoice`
// (each message mirrors the previous one's fields, so they share one numbering), their typed values,
// and the codec of each value. Structure only: which fields a message must or must not carry is
// checked by the message modules.
import { isPoint } from '../crypto/index.ts';
import { Reader, Writer } from '../wire/codec.ts';
import { readBlindedPath, writeBlindedPath, type BlindedPath } from '../wire/blinded-path.ts';
import { bigIntFromBytes, utf8 } from '../util/bytes.ts';
import { Bolt12Error, fail } from './errors.ts';
import { fromWireError, makeRecord, type Bolt12Record } from './records.ts';

export type { BlindedPath, BlindedHop, SciddirOrPubkey } from '../wire/blinded-path.ts';

/** TLV type numbers (BOLT 12, "TLV Fields for Offers", "…for `invoice_request`", "Invoices"). */
export const TLV = {
  invreq_metadata: 0n,
  offer_chains: 2n,
  offer_metadata: 4n,
  offer_currency: 6n,
  offer_amount: 8n,
  offer_description: 10n,
  offer_features: 12n,
  offer_absolute_expiry: 14n,
  offer_paths: 16n,
  offer_issuer: 18n,
  offer_quantity_max: 20n,
  offer_issuer_id: 22n,
  invreq_chain: 80n,
  invreq_amount: 82n,
  invreq_features: 84n,
  invreq_quantity: 86n,
  invreq_payer_id: 88n,
  invreq_payer_note: 89n,
  invreq_paths: 90n,
  invreq_bip_353_name: 91n,
  invoice_paths: 160n,
  invoice_blindedpay: 162n,
  invoice_created_at: 164n,
  invoice_relative_expiry: 166n,
  invoice_payment_hash: 168n,
  invoice_amount: 170n,
  invoice_fallbacks: 172n,
  invoice_features: 174n,
  invoice_node_id: 176n,
  signature: 240n,
  // Core Lightning's experimental recurrence fields (wire/bolt12_wire.csv, "BOLT-recurrence"):
  // offers (and the requests and invoices that copy them), requests, invoices.
  offer_recurrence_compulsory: 1_000_000_024n,
  offer_recurrence_optional: 1_000_000_025n,
  offer_recurrence_base: 1_000_000_026n,
  offer_recurrence_paywindow: 1_000_000_027n,
  offer_recurrence_limit: 1_000_000_029n,
  invreq_recurrence_counter: 2_000_000_092n,
  invreq_recurrence_start: 2_000_000_093n,
  invreq_recurrence_cancel: 2_000_000_094n,
  invoice_recurrence_basetime: 3_000_000_177n,
} as const;

export type TlvFieldName = keyof typeof TLV;

const NAME_OF_TYPE = new Map<bigint, TlvFieldName>((Object.entries(TLV) as [TlvFieldName, bigint][]).map(([n, t]) => [t, n]));

/** The spec's name of a TLV type, or `undefined` for an unknown one. */
export function tlvFieldName(type: bigint): TlvFieldName | undefined {
  return NAME_OF_TYPE.get(type);
}

/** BOLT 12 `blinded_payinfo`: what paying through one of `invoice_paths` costs, aggregated over the path. */
export interface BlindedPayInfo {
  /** `fee_base_msat` (u32). */
  feeBaseMsat: number;
  /** `fee_proportional_millionths` (u32). */
  feeProportionalMillionths: number;
  /** `cltv_expiry_delta` (u16). */
  cltvExpiryDelta: number;
  /** `htlc_minimum_msat` (u64). */
  htlcMinimumMsat: bigint;
  /** `htlc_maximum_msat` (u64). */
  htlcMaximumMsat: bigint;
  /** `features`: matches the path's `encrypted_data_tlv`.`allowed_features` (empty if none). */
  features: Uint8Array;
}

/** BOLT 12 `fallback_address`: an on-chain address as witness `version` and program. */
export interface FallbackAddress {
  /** `version` (byte): the witness version; readers ignore versions above 16. */
  version: number;
  /** `address`: the witness program; readers ignore lengths outside 2–40. */
  address: Uint8Array;
}

/** Core Lightning's `recurrence` subtype: a payment every `period` `time_unit`s (0 seconds, 1 days, 2 months). */
export interface Recurrence {
  /** `time_unit` (byte). */
  timeUnit: number;
  /** `period` (tu32). */
  period: number;
}

/** Core Lightning's `recurrence_base`: when period 0 starts. */
export interface RecurrenceBase {
  /** `proportional_amount` (byte): non-zero means the first period is charged in proportion. */
  proportionalAmount: number;
  /** `basetime` (tu64): seconds since the epoch. */
  basetime: number;
}

/** Core Lightning's `recurrence_paywindow`: when within a period payment is accepted. */
export interface RecurrencePaywindow {
  /** `seconds_before` (u32). */
  secondsBefore: number;
  /** `seconds_after` (tu32). */
  secondsAfter: number;
}

/** BOLT 12 `invreq_bip_353_name`: the BIP 353 name ₿`name`@`domain` the offer was resolved from. */
export interface Bip353Name {
  /** The post-₿, pre-@ part (bytes as characters). */
  name: string;
  /** The post-@ part (bytes as characters). */
  domain: string;
}

/**
 * Every BOLT 12 field, decoded. Which ones a message may carry depends on the message; absent means
 * the field is not in the stream.
 */
export interface Bolt12Fields {
  /** `offer_chains`: chain hashes the offer is valid for; absent means bitcoin only. */
  offerChains?: Uint8Array[];
  /** `offer_metadata`: opaque data for the issuer's own use. */
  offerMetadata?: Uint8Array;
  /** `offer_currency`: ISO 4217 code of `offer_amount`; absent means the chain's currency (msat). */
  offerCurrency?: string;
  /** `offer_amount`: the amount expected per item, in `offer_currency` units, else in msat. */
  offerAmount?: bigint;
  /** `offer_description`: what the payment is for. */
  offerDescription?: string;
  /** `offer_features`: the offer's BOLT 12 feature bits. */
  offerFeatures?: Uint8Array;
  /** `offer_absolute_expiry`: seconds since the epoch after which not to send an invoice_request. */
  offerAbsoluteExpiry?: number;
  /** `offer_paths`: blinded paths to the issuer, from publicly reachable nodes. */
  offerPaths?: BlindedPath[];
  /** `offer_issuer`: who issues the offer (e.g. a domain). */
  offerIssuer?: string;
  /** `offer_quantity_max`: maximum items per invoice; 0 means unlimited; absent means one item. */
  offerQuantityMax?: bigint;
  /** `offer_issuer_id`: the issuer's public key (to send the request to, and to sign the invoice). */
  offerIssuerId?: Uint8Array;
  /** `invreq_metadata`: unpredictable bytes from the payer (the first TLV, so it salts every nonce leaf). */
  invreqMetadata?: Uint8Array;
  /** `invreq_chain`: the chain to pay on; absent means bitcoin. */
  invreqChain?: Uint8Array;
  /** `invreq_amount`: the amount in msat the payer will pay (or, in a refund, send). */
  invreqAmount?: bigint;
  /** `invreq_features`: the request's BOLT 12 feature bits. */
  invreqFeatures?: Uint8Array;
  /** `invreq_quantity`: how many items. */
  invreqQuantity?: bigint;
  /** `invreq_payer_id`: the payer's transient key (signs the request; a refund's recipient sends to it). */
  invreqPayerId?: Uint8Array;
  /** `invreq_payer_note`: free text from the payer. */
  invreqPayerNote?: string;
  /** `invreq_paths`: blinded paths to the payer (refunds). */
  invreqPaths?: BlindedPath[];
  /** `invreq_bip_353_name`: the BIP 353 name the offer came from. */
  invreqBip353Name?: Bip353Name;
  /** `invoice_paths`: blinded payment paths to the recipient, most preferred first. */
  invoicePaths?: BlindedPath[];
  /** `invoice_blindedpay`: one `blinded_payinfo` per path in `invoice_paths`, in order. */
  invoiceBlindedpay?: BlindedPayInfo[];
  /** `invoice_created_at`: seconds since the epoch when the invoice was created. */
  invoiceCreatedAt?: number;
  /** `invoice_relative_expiry`: seconds after `invoice_created_at` the invoice expires; absent means 7200. */
  invoiceRelativeExpiry?: number;
  /** `invoice_payment_hash`: SHA256 of the preimage given in return for payment. */
  invoicePaymentHash?: Uint8Array;
  /** `invoice_amount`: the minimum amount in msat the recipient accepts. */
  invoiceAmount?: bigint;
  /** `invoice_fallbacks`: on-chain addresses, most preferred first. */
  invoiceFallbacks?: FallbackAddress[];
  /** `invoice_features`: the invoice's feature bits (16/17: MPP). */
  invoiceFeatures?: Uint8Array;
  /** `invoice_node_id`: the key that signs the invoice. */
  invoiceNodeId?: Uint8Array;
  /** `signature`: the BIP340 signature (types 240). */
  signature?: Uint8Array;
  /** CLN `offer_recurrence_compulsory` (1000000024, even: readers that do not know it must not answer). */
  offerRecurrenceCompulsory?: Recurrence;
  /** CLN `offer_recurrence_optional` (1000000025: older readers may pay once). */
  offerRecurrenceOptional?: Recurrence;
  /** CLN `offer_recurrence_base` (1000000026). */
  offerRecurrenceBase?: RecurrenceBase;
  /** CLN `offer_recurrence_paywindow` (1000000027). */
  offerRecurrencePaywindow?: RecurrencePaywindow;
  /** CLN `offer_recurrence_limit` (1000000029): the largest period index. */
  offerRecurrenceLimit?: number;
  /** CLN `invreq_recurrence_counter` (2000000092): which payment of the series (0 first). */
  invreqRecurrenceCounter?: number;
  /** CLN `invreq_recurrence_start` (2000000093): the period offset of the first payment. */
  invreqRecurrenceStart?: number;
  /** CLN `invreq_recurrence_cancel` (2000000094, no data): stop the series. */
  invreqRecurrenceCancel?: true;
  /** CLN `invoice_recurrence_basetime` (3000000177). */
  invoiceRecurrenceBasetime?: number;
}

// ---------------------------------------------------------------------------------------------
// Value codecs

/** BOLT 1 `tu64`/`tu32`: big-endian, no leading zero byte, at most `max` bytes. */
export function readTu(v: Uint8Array, field: string, max: 4 | 8): bigint {
  if (v.length > max) fail('INVALID_LENGTH', field, `truncated integer of ${v.length} bytes (at most ${max})`);
  if (v.length > 0 && v[0] === 0) fail('NOT_MINIMAL', field, 'truncated integer is not minimal (leading zero byte)');
  return bigIntFromBytes(v);
}

/** A time in seconds from a `tu64`: exact up to 2^53 − 1, rounded above (beyond year 285 million). */
function tuTime(v: Uint8Array, field: string): number {
  return Number(readTu(v, field, 8));
}

function readUtf8(v: Uint8Array, field: string): string {
  try {
    return utf8.decode(v);
  } catch {
    fail('INVALID_UTF8', field, 'not valid UTF-8');
  }
}

function readPoint(v: Uint8Array, field: string, onCurve = true): Uint8Array {
  if (v.length !== 33) fail('INVALID_LENGTH', field, `point of ${v.length} bytes (33 expected)`);
  if (onCurve ? !isPoint(v) : v[0] !== 2 && v[0] !== 3) fail('INVALID_POINT', field, 'not a valid compressed secp256k1 point');
  return v;
}

function readFixed(v: Uint8Array, field: string, n: number, what: string): Uint8Array {
  if (v.length !== n) fail('INVALID_LENGTH', field, `${what} of ${v.length} bytes (${n} expected)`);
  return v;
}

/** `...*blinded_path`: paths until the value ends; every point checked to be on the curve. */
export function readBlindedPaths(v: Uint8Array, field: string): BlindedPath[] {
  const r = new Reader(v);
  const out: BlindedPath[] = [];
  while (!r.eof) {
    const name = `${field}[${out.length}]`;
    let p: BlindedPath;
    try {
      p = readBlindedPath(r, name);
    } catch (e) {
      throw fromWireError(e);
    }
    if (p.introductionNode.kind === 'pubkey' && !isPoint(p.introductionNode.nodeId)) {
      fail('INVALID_POINT', `${name}.first_node_id`, 'not a valid compressed secp256k1 point');
    }
    if (!isPoint(p.firstPathKey)) fail('INVALID_POINT', `${name}.first_path_key`, 'not a valid compressed secp256k1 point');
    for (let i = 0; i < p.hops.length; i++) {
      if (!isPoint(p.hops[i]!.blindedNodeId)) {
        fail('INVALID_POINT', `${name}.path[${i}].blinded_node_id`, 'not a valid compressed secp256k1 point');
      }
    }
    out.push(p);
  }
  return out;
}

function readPayInfos(v: Uint8Array, field: string): BlindedPayInfo[] {
  const r = new Reader(v);
  const out: BlindedPayInfo[] = [];
  try {
    while (!r.eof) {
      const f = `${field}[${out.length}]`;
      const feeBaseMsat = r.u32(`${f}.fee_base_msat`);
      const feeProportionalMillionths = r.u32(`${f}.fee_proportional_millionths`);
      const cltvExpiryDelta = r.u16(`${f}.cltv_expiry_delta`);
      const htlcMinimumMsat = r.u64(`${f}.htlc_minimum_msat`);
      const htlcMaximumMsat = r.u64(`${f}.htlc_maximum_msat`);
      const flen = r.u16(`${f}.flen`);
      const features = r.bytes(flen, `${f}.features`);
      out.push({ feeBaseMsat, feeProportionalMillionths, cltvExpiryDelta, htlcMinimumMsat, htlcMaximumMsat, features });
    }
  } catch (e) {
    throw fromWireError(e);
  }
  return out;
}

function readFallbacks(v: Uint8Array, field: string): FallbackAddress[] {
  const r = new Reader(v);
  const out: FallbackAddress[] = [];
  try {
    while (!r.eof) {
      const f = `${field}[${out.length}]`;
      const version = r.u8(`${f}.version`);
      const len = r.u16(`${f}.len`);
      out.push({ version, address: r.bytes(len, `${f}.address`) });
    }
  } catch (e) {
    throw fromWireError(e);
  }
  return out;
}

function readBip353(v: Uint8Array, field: string): Bip353Name {
  const r = new Reader(v);
  try {
    const nl = r.u8(`${field}.name_len`);
    const name = r.bytes(nl, `${field}.name`);
    const dl = r.u8(`${field}.domain_len`);
    const domain = r.bytes(dl, `${field}.domain`);
    r.end(field);
    return { name: String.fromCharCode(...name), domain: String.fromCharCode(...domain) };
  } catch (e) {
    throw fromWireError(e);
  }
}

function readChains(v: Uint8Array, field: string): Uint8Array[] {
  if (v.length % 32 !== 0) fail('INVALID_LENGTH', field, `${v.length} bytes is not a whole number of 32-byte chain hashes`);
  const out: Uint8Array[] = [];
  for (let o = 0; o < v.length; o += 32) out.push(v.subarray(o, o + 32));
  return out;
}

function readRecurrence(v: Uint8Array, field: string): Recurrence {
  if (v.length < 1) fail('TRUNCATED', `${field}.time_unit`, 'no time_unit');
  return { timeUnit: v[0]!, period: Number(readTu(v.subarray(1), `${field}.period`, 4)) };
}

function readRecurrenceBase(v: Uint8Array, field: string): RecurrenceBase {
  if (v.length < 1) fail('TRUNCATED', `${field}.proportional_amount`, 'no proportional_amount');
  return { proportionalAmount: v[0]!, basetime: tuTime(v.subarray(1), `${field}.basetime`) };
}

function readPaywindow(v: Uint8Array, field: string): RecurrencePaywindow {
  if (v.length < 4) fail('TRUNCATED', `${field}.seconds_before`, `${v.length} bytes, a u32 needs 4`);
  const before = ((v[0]! << 24) >>> 0) + (v[1]! << 16) + (v[2]! << 8) + v[3]!;
  return { secondsBefore: before, secondsAfter: Number(readTu(v.subarray(4), `${field}.seconds_after`, 4)) };
}

/**
 * Decode the value of a known field into `f`. Returns false when `type` is not a BOLT 12 field
 * (the caller decides what an unknown type means).
 *
 * Every point is checked to be on the curve, except the message's signing key when `signingKey`
 * names it (`invoice_node_id` in an invoice, `invreq_payer_id` in an invoice_request): BIP340
 * verification lifts its x coordinate anyway, so the message rules check it there (a bad key
 * then fails as `INVALID_POINT`, not `INVALID_SIGNATURE`) and the hot path pays for it once.
 */
export function decodeField(f: Bolt12Fields, type: bigint, v: Uint8Array, signingKey?: 'invoice_node_id' | 'invreq_payer_id'): boolean {
  const name = NAME_OF_TYPE.get(type);
  if (name === undefined) return false;
  switch (name) {
    case 'invreq_metadata':
      f.invreqMetadata = v;
      break;
    case 'offer_chains':
      f.offerChains = readChains(v, name);
      break;
    case 'offer_metadata':
      f.offerMetadata = v;
      break;
    case 'offer_currency':
      f.offerCurrency = readUtf8(v, name);
      break;
    case 'offer_amount':
      f.offerAmount = readTu(v, name, 8);
      break;
    case 'offer_description':
      f.offerDescription = readUtf8(v, name);
      break;
    case 'offer_features':
      f.offerFeatures = v;
      break;
    case 'offer_absolute_expiry':
      f.offerAbsoluteExpiry = tuTime(v, name);
      break;
    case 'offer_paths':
      f.offerPaths = readBlindedPaths(v, name);
      break;
    case 'offer_issuer':
      f.offerIssuer = readUtf8(v, name);
      break;
    case 'offer_quantity_max':
      f.offerQuantityMax = readTu(v, name, 8);
      break;
    case 'offer_issuer_id':
      f.offerIssuerId = readPoint(v, name);
      break;
    case 'invreq_chain':
      f.invreqChain = readFixed(v, name, 32, 'chain hash');
      break;
    case 'invreq_amount':
      f.invreqAmount = readTu(v, name, 8);
      break;
    case 'invreq_features':
      f.invreqFeatures = v;
      break;
    case 'invreq_quantity':
      f.invreqQuantity = readTu(v, name, 8);
      break;
    case 'invreq_payer_id':
      f.invreqPayerId = readPoint(v, name, signingKey !== name);
      break;
    case 'invreq_payer_note':
      f.invreqPayerNote = readUtf8(v, name);
      break;
    case 'invreq_paths':
      f.invreqPaths = readBlindedPaths(v, name);
      break;
    case 'invreq_bip_353_name':
      f.invreqBip353Name = readBip353(v, name);
      break;
    case 'invoice_paths':
      f.invoicePaths = readBlindedPaths(v, name);
      break;
    case 'invoice_blindedpay':
      f.invoiceBlindedpay = readPayInfos(v, name);
      break;
    case 'invoice_created_at':
      f.invoiceCreatedAt = tuTime(v, name);
      break;
    case 'invoice_relative_expiry':
      f.invoiceRelativeExpiry = Number(readTu(v, name, 4));
      break;
    case 'invoice_payment_hash':
      f.invoicePaymentHash = readFixed(v, name, 32, 'sha256');
      break;
    case 'invoice_amount':
      f.invoiceAmount = readTu(v, name, 8);
      break;
    case 'invoice_fallbacks':
      f.invoiceFallbacks = readFallbacks(v, name);
      break;
    case 'invoice_features':
      f.invoiceFeatures = v;
      break;
    case 'invoice_node_id':
      f.invoiceNodeId = readPoint(v, name, signingKey !== name);
      break;
    case 'signature':
      f.signature = readFixed(v, name, 64, 'bip340sig');
      break;
    case 'offer_recurrence_compulsory':
      f.offerRecurrenceCompulsory = readRecurrence(v, name);
      break;
    case 'offer_recurrence_optional':
      f.offerRecurrenceOptional = readRecurrence(v, name);
      break;
    case 'offer_recurrence_base':
      f.offerRecurrenceBase = readRecurrenceBase(v, name);
      break;
    case 'offer_recurrence_paywindow':
      f.offerRecurrencePaywindow = readPaywindow(v, name);
      break;
    case 'offer_recurrence_limit':
      f.offerRecurrenceLimit = Number(readTu(v, name, 4));
      break;
    case 'invreq_recurrence_counter':
      f.invreqRecurrenceCounter = Number(readTu(v, name, 4));
      break;
    case 'invreq_recurrence_start':
      f.invreqRecurrenceStart = Number(readTu(v, name, 4));
      break;
    case 'invreq_recurrence_cancel':
      if (v.length !== 0) fail('INVALID_LENGTH', name, `${v.length} bytes (the field carries no data)`);
      f.invreqRecurrenceCancel = true;
      break;
    case 'invoice_recurrence_basetime':
      f.invoiceRecurrenceBasetime = tuTime(v, name);
      break;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writers

function tu(x: bigint | number, field: string, maxBytes: 4 | 8): Uint8Array {
  if (typeof x === 'number' && !Number.isSafeInteger(x)) fail('INVALID_PARAMETER', field, `${x} is not an integer`);
  if (typeof x !== 'number' && typeof x !== 'bigint') fail('INVALID_PARAMETER', field, 'must be an integer');
  const v = BigInt(x);
  const max = maxBytes === 4 ? 0xffff_ffffn : 0xffff_ffff_ffff_ffffn;
  if (v < 0n || v > max) fail('INVALID_PARAMETER', field, `${v} out of range for tu${maxBytes * 8}`);
  return new Writer(8).tu(v).finish();
}

function point(p: Uint8Array, field: string): Uint8Array {
  if (!(p instanceof Uint8Array) || p.length !== 33 || !isPoint(p)) fail('INVALID_PARAMETER', field, 'not a valid 33-byte compressed point');
  return p;
}

function fixed(b: Uint8Array, n: number, field: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== n) fail('INVALID_PARAMETER', field, `must be ${n} bytes`);
  return b;
}

function bytes(b: Uint8Array, field: string): Uint8Array {
  if (!(b instanceof Uint8Array)) fail('INVALID_PARAMETER', field, 'must be bytes');
  return b;
}

function paths(ps: readonly BlindedPath[], field: string): Uint8Array {
  const w = new Writer(256);
  try {
    for (const p of ps) writeBlindedPath(w, p);
  } catch (e) {
    throw new Bolt12Error('INVALID_PARAMETER', field, e instanceof Error ? e.message : String(e));
  }
  return w.finish();
}

function payInfos(ps: readonly BlindedPayInfo[], field: string): Uint8Array {
  const w = new Writer(64);
  try {
    for (const p of ps) {
      w.u32(p.feeBaseMsat).u32(p.feeProportionalMillionths).u16(p.cltvExpiryDelta);
      if (p.htlcMinimumMsat < 0n || p.htlcMinimumMsat > 0xffff_ffff_ffff_ffffn) throw new RangeError('htlc_minimum_msat out of u64 range');
      if (p.htlcMaximumMsat < 0n || p.htlcMaximumMsat > 0xffff_ffff_ffff_ffffn) throw new RangeError('htlc_maximum_msat out of u64 range');
      w.u64(p.htlcMinimumMsat).u64(p.htlcMaximumMsat).u16(p.features.length).bytes(p.features);
    }
  } catch (e) {
    throw new Bolt12Error('INVALID_PARAMETER', field, e instanceof Error ? e.message : String(e));
  }
  return w.finish();
}

function fallbacks(fs: readonly FallbackAddress[], field: string): Uint8Array {
  const w = new Writer(64);
  for (const f of fs) {
    if (!Number.isInteger(f.version) || f.version < 0 || f.version > 255) fail('INVALID_PARAMETER', field, 'version must be a byte');
    if (f.address.length > 0xffff) fail('INVALID_PARAMETER', field, 'address longer than 65535 bytes');
    w.u8(f.version).u16(f.address.length).bytes(f.address);
  }
  return w.finish();
}

function bip353(n: Bip353Name, field: string): Uint8Array {
  const name = Uint8Array.from(n.name, (c) => c.charCodeAt(0));
  const domain = Uint8Array.from(n.domain, (c) => c.charCodeAt(0));
  if (name.length > 255 || domain.length > 255) fail('INVALID_PARAMETER', field, 'name and domain are at most 255 bytes each');
  return new Writer(2 + name.length + domain.length).u8(name.length).bytes(name).u8(domain.length).bytes(domain).finish();
}

/** Encode every present field of `f` as records, in increasing type order. */
export function encodeFields(f: Bolt12Fields): Bolt12Record[] {
  const out: Bolt12Record[] = [];
  const add = (type: bigint, v: Uint8Array) => out.push(makeRecord(type, v));
  if (f.invreqMetadata !== undefined) add(TLV.invreq_metadata, bytes(f.invreqMetadata, 'invreq_metadata'));
  if (f.offerChains !== undefined) {
    const v = new Uint8Array(32 * f.offerChains.length);
    f.offerChains.forEach((c, i) => v.set(fixed(c, 32, 'offer_chains'), 32 * i));
    add(TLV.offer_chains, v);
  }
  if (f.offerMetadata !== undefined) add(TLV.offer_metadata, bytes(f.offerMetadata, 'offer_metadata'));
  if (f.offerCurrency !== undefined) add(TLV.offer_currency, utf8.encode(f.offerCurrency));
  if (f.offerAmount !== undefined) add(TLV.offer_amount, tu(f.offerAmount, 'offer_amount', 8));
  if (f.offerDescription !== undefined) add(TLV.offer_description, utf8.encode(f.offerDescription));
  if (f.offerFeatures !== undefined) add(TLV.offer_features, bytes(f.offerFeatures, 'offer_features'));
  if (f.offerAbsoluteExpiry !== undefined) add(TLV.offer_absolute_expiry, tu(f.offerAbsoluteExpiry, 'offer_absolute_expiry', 8));
  if (f.offerPaths !== undefined) add(TLV.offer_paths, paths(f.offerPaths, 'offer_paths'));
  if (f.offerIssuer !== undefined) add(TLV.offer_issuer, utf8.encode(f.offerIssuer));
  if (f.offerQuantityMax !== undefined) add(TLV.offer_quantity_max, tu(f.offerQuantityMax, 'offer_quantity_max', 8));
  if (f.offerIssuerId !== undefined) add(TLV.offer_issuer_id, point(f.offerIssuerId, 'offer_issuer_id'));
  if (f.invreqChain !== undefined) add(TLV.invreq_chain, fixed(f.invreqChain, 32, 'invreq_chain'));
  if (f.invreqAmount !== undefined) add(TLV.invreq_amount, tu(f.invreqAmount, 'invreq_amount', 8));
  if (f.invreqFeatures !== undefined) add(TLV.invreq_features, bytes(f.invreqFeatures, 'invreq_features'));
  if (f.invreqQuantity !== undefined) add(TLV.invreq_quantity, tu(f.invreqQuantity, 'invreq_quantity', 8));
  if (f.invreqPayerId !== undefined) add(TLV.invreq_payer_id, point(f.invreqPayerId, 'invreq_payer_id'));
  if (f.invreqPayerNote !== undefined) add(TLV.invreq_payer_note, utf8.encode(f.invreqPayerNote));
  if (f.invreqPaths !== undefined) add(TLV.invreq_paths, paths(f.invreqPaths, 'invreq_paths'));
  if (f.invreqBip353Name !== undefined) add(TLV.invreq_bip_353_name, bip353(f.invreqBip353Name, 'invreq_bip_353_name'));
  if (f.invoicePaths !== undefined) add(TLV.invoice_paths, paths(f.invoicePaths, 'invoice_paths'));
  if (f.invoiceBlindedpay !== undefined) add(TLV.invoice_blindedpay, payInfos(f.invoiceBlindedpay, 'invoice_blindedpay'));
  if (f.invoiceCreatedAt !== undefined) add(TLV.invoice_created_at, tu(f.invoiceCreatedAt, 'invoice_created_at', 8));
  if (f.invoiceRelativeExpiry !== undefined) add(TLV.invoice_relative_expiry, tu(f.invoiceRelativeExpiry, 'invoice_relative_expiry', 4));
  if (f.invoicePaymentHash !== undefined) add(TLV.invoice_payment_hash, fixed(f.invoicePaymentHash, 32, 'invoice_payment_hash'));
  if (f.invoiceAmount !== undefined) add(TLV.invoice_amount, tu(f.invoiceAmount, 'invoice_amount', 8));
  if (f.invoiceFallbacks !== undefined) add(TLV.invoice_fallbacks, fallbacks(f.invoiceFallbacks, 'invoice_fallbacks'));
  if (f.invoiceFeatures !== undefined) add(TLV.invoice_features, bytes(f.invoiceFeatures, 'invoice_features'));
  if (f.invoiceNodeId !== undefined) add(TLV.invoice_node_id, point(f.invoiceNodeId, 'invoice_node_id'));
  if (f.signature !== undefined) add(TLV.signature, fixed(f.signature, 64, 'signature'));
  const recurrence = (r: Recurrence, field: string) => {
    if (!Number.isInteger(r.timeUnit) || r.timeUnit < 0 || r.timeUnit > 255) fail('INVALID_PARAMETER', `${field}.time_unit`, 'must be a byte');
    return new Writer(6).u8(r.timeUnit).bytes(tu(r.period, `${field}.period`, 4)).finish();
  };
  if (f.offerRecurrenceCompulsory !== undefined) add(TLV.offer_recurrence_compulsory, recurrence(f.offerRecurrenceCompulsory, 'offer_recurrence_compulsory'));
  if (f.offerRecurrenceOptional !== undefined) add(TLV.offer_recurrence_optional, recurrence(f.offerRecurrenceOptional, 'offer_recurrence_optional'));
  if (f.offerRecurrenceBase !== undefined) {
    const b = f.offerRecurrenceBase;
    if (!Number.isInteger(b.proportionalAmount) || b.proportionalAmount < 0 || b.proportionalAmount > 255) fail('INVALID_PARAMETER', 'offer_recurrence_base.proportional_amount', 'must be a byte');
    add(TLV.offer_recurrence_base, new Writer(10).u8(b.proportionalAmount).bytes(tu(b.basetime, 'offer_recurrence_base.basetime', 8)).finish());
  }
  if (f.offerRecurrencePaywindow !== undefined) {
    const w = f.offerRecurrencePaywindow;
    add(TLV.offer_recurrence_paywindow, new Writer(8).u32(w.secondsBefore).bytes(tu(w.secondsAfter, 'offer_recurrence_paywindow.seconds_after', 4)).finish());
  }
  if (f.offerRecurrenceLimit !== undefined) add(TLV.offer_recurrence_limit, tu(f.offerRecurrenceLimit, 'offer_recurrence_limit', 4));
  if (f.invreqRecurrenceCounter !== undefined) add(TLV.invreq_recurrence_counter, tu(f.invreqRecurrenceCounter, 'invreq_recurrence_counter', 4));
  if (f.invreqRecurrenceStart !== undefined) add(TLV.invreq_recurrence_start, tu(f.invreqRecurrenceStart, 'invreq_recurrence_start', 4));
  if (f.invreqRecurrenceCancel !== undefined) add(TLV.invreq_recurrence_cancel, new Uint8Array(0));
  if (f.invoiceRecurrenceBasetime !== undefined) add(TLV.invoice_recurrence_basetime, tu(f.invoiceRecurrenceBasetime, 'invoice_recurrence_basetime', 8));
  out.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return out;
}
