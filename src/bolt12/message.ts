// What the three BOLT 12 TLV messages share: their TLV ranges, the structural parse (records →
// typed fields, unknown odd records kept, unknown even refused), the checks on feature vectors and
// chains, the offer id, and the options a reader passes (`now`, accepted chains).
import { isPoint, sha256 } from '../crypto/index.ts';
import { CHAIN_HASH } from '../wire/chains.ts';
import { unknownRequiredBits } from '../wire/features.ts';
import { bytesEqual } from '../util/bytes.ts';
import { Bolt12Error, fail } from './errors.ts';
import { decodeField, tlvFieldName, type Bolt12Fields } from './fields.ts';
import { parseRecords, type Bolt12Record } from './records.ts';
import { encodeBolt12String, type Bolt12Prefix } from './string.ts';

/** The TLV stream names, as the signature tags spell them. */
export type Bolt12Stream = 'offer' | 'invoice_request' | 'invoice';

/** What a reader knows about its situation. Both are optional: without them those checks are skipped. */
export interface Bolt12ReadOptions {
  /**
   * Current time, seconds since the epoch (from the caller's Clock). When given, an offer or
   * refund past `offer_absolute_expiry`, or an invoice past its expiry, is refused (`EXPIRED`).
   */
  now?: number;
  /**
   * Chain hashes the reader accepts. When given, an offer none of whose chains is accepted, or a
   * request/invoice whose `invreq_chain` (bitcoin when absent) is not accepted, is refused
   * (`UNSUPPORTED_CHAIN`).
   */
  chains?: readonly Uint8Array[];
}

type Range = readonly [bigint, bigint];

/** BOLT 12 offers: "any TLV fields outside the inclusive ranges: 1 to 79 and 1000000000 to 1999999999". */
export const OFFER_RANGES: readonly Range[] = [
  [1n, 79n],
  [1_000_000_000n, 1_999_999_999n],
];
/**
 * BOLT 12 invoice requests: non-signature fields in "0 to 159 and 1000000000 to 2999999999", plus
 * the signature elements (240 to 1000).
 */
export const INVREQ_RANGES: readonly Range[] = [
  [0n, 159n],
  [240n, 1000n],
  [1_000_000_000n, 2_999_999_999n],
];
/**
 * Invoices: the request's ranges (mirrored), the invoice's own (160–239), signatures (240–1000) and
 * the experimental ranges of offers, requests and invoices (1000000000–3999999999).
 */
export const INVOICE_RANGES: readonly Range[] = [
  [0n, 1000n],
  [1_000_000_000n, 3_999_999_999n],
];
/** The fields an invoice mirrors from its request: "all fields in ranges 0 to 159 and 1000000000 to 2999999999". */
export const MIRRORED_RANGES: readonly Range[] = [
  [0n, 159n],
  [1_000_000_000n, 2_999_999_999n],
];

export function inRanges(t: bigint, ranges: readonly Range[]): boolean {
  for (const [lo, hi] of ranges) if (t >= lo && t <= hi) return true;
  return false;
}

/** Known field types per stream (the spec's TLV tables, and Core Lightning's recurrence fields). */
export function knownIn(stream: Bolt12Stream, t: bigint): boolean {
  if (t >= 1_000_000_000n) {
    // wire/bolt12_wire.csv: offer_recurrence_* (1000000024–1000000029, no 28) in all three;
    // invreq_recurrence_counter/start in requests and invoices, _cancel in requests only;
    // invoice_recurrence_basetime in invoices.
    if (t >= 1_000_000_024n && t <= 1_000_000_029n) return t !== 1_000_000_028n;
    if (t === 2_000_000_092n || t === 2_000_000_093n) return stream !== 'offer';
    if (t === 2_000_000_094n) return stream === 'invoice_request';
    if (t === 3_000_000_177n) return stream === 'invoice';
    return false;
  }
  if (t === 240n) return stream !== 'offer';
  if (t >= 2n && t <= 22n) return t % 2n === 0n;
  if (stream === 'offer') return false;
  if (t === 0n || t === 80n || t === 82n || t === 84n || t === 86n || (t >= 88n && t <= 91n)) return true;
  if (stream === 'invoice_request') return false;
  return t >= 160n && t <= 176n && t % 2n === 0n;
}

/** A structurally parsed message: its records (views into `bytes`), typed fields and unknown records. */
export interface ParsedMessage {
  readonly stream: Bolt12Stream;
  readonly bytes: Uint8Array;
  readonly records: readonly Bolt12Record[];
  readonly fields: Bolt12Fields;
  /** Records of types this implementation does not know (all odd; kept, signed over, mirrored). */
  readonly unknown: readonly Bolt12Record[];
}

/**
 * What every parsed or built offer, invoice request, refund and invoice keeps (LDK's habit): the
 * exact TLV bytes beside the decoded fields, so re-encoding is exact, unknown odd fields survive
 * and signatures over them still verify.
 */
export abstract class Bolt12Message {
  /** The TLV stream, exactly as received or built. */
  readonly bytes: Uint8Array;
  /** The records of `bytes`, in order (views into it). */
  readonly records: readonly Bolt12Record[];
  /** Records of types this implementation does not know (odd, kept as they are). */
  readonly unknownRecords: readonly Bolt12Record[];

  protected constructor(
    parsed: ParsedMessage,
    /** The string form's human-readable prefix. */
    private readonly hrp: Bolt12Prefix,
  ) {
    Object.assign(this, parsed.fields);
    this.bytes = parsed.bytes;
    this.records = parsed.records;
    this.unknownRecords = parsed.unknown;
  }

  private lowercase?: string;

  /** The bech32 string form (lowercase; `uppercase` for QR codes). The message is immutable: computed once. */
  toString(uppercase = false): string {
    if (uppercase) return encodeBolt12String(this.hrp, this.bytes, true);
    return (this.lowercase ??= encodeBolt12String(this.hrp, this.bytes, false));
  }
}

/**
 * Parse a message's TLV stream and decode its fields. Refuses (throws `Bolt12Error`): a malformed
 * stream or field, a type outside the stream's ranges (`TYPE_OUT_OF_RANGE`), an unknown even type
 * (`UNKNOWN_EVEN_TYPE`). Semantic rules are the message modules' business — including whether the
 * signing key (`invoice_node_id`, `invreq_payer_id`) is on the curve: see `signingKeyIssue`.
 */
export function parseMessage(stream: Bolt12Stream, bytes: Uint8Array): ParsedMessage {
  if (!(bytes instanceof Uint8Array)) throw new Bolt12Error('MALFORMED', stream, 'not bytes');
  const ranges = stream === 'offer' ? OFFER_RANGES : stream === 'invoice_request' ? INVREQ_RANGES : INVOICE_RANGES;
  const records = parseRecords(bytes, stream, (t) => {
    // BOLT 1: "if `type` is even and not known: MUST fail to parse the tlv_stream". (A BOLT 12
    // field of another message, e.g. `invreq_chain` in an offer, is known but misplaced: the
    // range rule below names it.)
    if (t % 2n === 0n && tlvFieldName(t) === undefined) fail('UNKNOWN_EVEN_TYPE', `${stream}[${t}]`, `unknown even TLV type ${t}`);
    // A recurrence field of another message, inside this one's ranges (e.g. invreq_recurrence_cancel
    // in an invoice): not a field here, and even ones must not be skipped.
    if (t % 2n === 0n && t >= 1_000_000_000n && inRanges(t, ranges) && !knownIn(stream, t)) fail('UNKNOWN_EVEN_TYPE', `${stream}[${t}]`, `unknown even TLV type ${t} in ${stream === 'invoice_request' ? 'an invoice_request' : `an ${stream}`}`);
    // BOLT 12: fields outside the message's ranges.
    if (!inRanges(t, ranges)) fail('TYPE_OUT_OF_RANGE', tlvFieldName(t) ?? `${stream}[${t}]`, `TLV type ${t} is outside the ${stream} ranges`);
  });
  const fields: Bolt12Fields = {};
  const unknown: Bolt12Record[] = [];
  const signingKey = stream === 'invoice' ? 'invoice_node_id' : stream === 'invoice_request' ? 'invreq_payer_id' : undefined;
  for (const r of records) {
    if (knownIn(stream, r.type)) decodeField(fields, r.type, r.value, signingKey);
    else unknown.push(r);
  }
  return { stream, bytes, records, fields, unknown };
}

// ---------------------------------------------------------------------------------------------
// Shared semantic checks. Each returns the problem (not thrown) so that `decode` can list them all.

/** Known feature bits per context: BOLT 12 defines only the invoice's MPP pair (16/17). */
const INVOICE_FEATURES: ReadonlySet<number> = new Set([16, 17]);
const NO_FEATURES: ReadonlySet<number> = new Set();

/** BOLT 12: "if `*_features` contains unknown _even_ bits that are non-zero: MUST NOT respond / MUST reject". */
export function featureIssue(vec: Uint8Array | undefined, field: 'offer_features' | 'invreq_features' | 'invoice_features'): Bolt12Error | undefined {
  if (vec === undefined) return undefined;
  const bad = unknownRequiredBits(vec, field === 'invoice_features' ? INVOICE_FEATURES : NO_FEATURES);
  if (bad.length === 0) return undefined;
  return new Bolt12Error('UNKNOWN_REQUIRED_FEATURE', field, `unknown required feature bit${bad.length > 1 ? 's' : ''} ${bad.join(', ')}`);
}

/** Whether a `blinded_payinfo.features` vector has unknown even bits (the path must not be used). */
export function payInfoUnusable(features: Uint8Array): boolean {
  return unknownRequiredBits(features, NO_FEATURES).length > 0;
}

export const BITCOIN_CHAIN = CHAIN_HASH.mainnet;

/**
 * The signing key's curve check, left out of parsing (see `decodeField`): called when its
 * signature is absent or fails, so that a bad key is named as such.
 */
export function signingKeyIssue(key: Uint8Array, field: 'invoice_node_id' | 'invreq_payer_id'): Bolt12Error | undefined {
  return isPoint(key) ? undefined : new Bolt12Error('INVALID_POINT', field, 'not a valid compressed secp256k1 point');
}

export function chainIn(chain: Uint8Array, chains: readonly Uint8Array[]): boolean {
  for (const c of chains) if (bytesEqual(c, chain)) return true;
  return false;
}

/** The raw records in `ranges`, concatenated (the offer id's preimage, the mirrored fields). */
export function rawInRanges(records: readonly Bolt12Record[], ranges: readonly Range[]): Uint8Array {
  let n = 0;
  for (const r of records) if (inRanges(r.type, ranges)) n += r.raw.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const r of records) {
    if (inRanges(r.type, ranges)) {
      out.set(r.raw, o);
      o += r.raw.length;
    }
  }
  return out;
}

/**
 * The offer id as Core Lightning computes it: SHA256 of the offer's records (types 1–79, then
 * 1000000000–1999999999) exactly as encoded. The same for an offer, and for an invoice request or
 * invoice made from it (they copy those records).
 */
export function offerIdOf(records: readonly Bolt12Record[]): Uint8Array {
  return sha256(rawInRanges(records, OFFER_RANGES));
}
