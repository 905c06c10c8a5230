// BOLT 12 offers (`lno1…`): what a merchant publishes so that payers can request invoices from it
// over onion messages, as many times as they like. An offer has no signature; its fields are copied
// into every invoice_request and invoice made from it, so the issuer can stay stateless.
//
//   const offer = new OfferBuilder({ issuerId: nodeId, description: 'coffee', amountMsat: 3_000_000n }).build();
//   const s = offer.toString();                   // 'lno1…'
//   const back = decodeOffer(s, { now: clock.now() });
//   back.offerDescription === 'coffee';           // true; back.bytes equals offer.bytes
import { toHex } from '../util/bytes.ts';
import { Bolt12Error, fail } from './errors.ts';
import { encodeFields, type BlindedPath, type Bolt12Fields } from './fields.ts';
import { Bolt12Message,
  BITCOIN_CHAIN,
  chainIn,
  featureIssue,
  inRanges,
  offerIdOf,
  OFFER_RANGES,
  parseMessage,
  type Bolt12ReadOptions,
  type ParsedMessage,
} from './message.ts';
import { joinRecords, makeRecord, sortRecords, type Bolt12Record } from './records.ts';
import { decodeBolt12StringData } from './string.ts';

/** The fields of an offer (BOLT 12, "TLV Fields for Offers"). */
export type OfferFields = Pick<
  Bolt12Fields,
  | 'offerChains'
  | 'offerMetadata'
  | 'offerCurrency'
  | 'offerAmount'
  | 'offerDescription'
  | 'offerFeatures'
  | 'offerAbsoluteExpiry'
  | 'offerPaths'
  | 'offerIssuer'
  | 'offerQuantityMax'
  | 'offerIssuerId'
  // Core Lightning's experimental recurrence (decoded, never answered: see sendinvoice/invoicerequest)
  | 'offerRecurrenceCompulsory'
  | 'offerRecurrenceOptional'
  | 'offerRecurrenceBase'
  | 'offerRecurrencePaywindow'
  | 'offerRecurrenceLimit'
>;

/**
 * The reader's requirements for offer fields (BOLT 12, "Requirements For Offers", a reader of an
 * offer), each broken rule as a `Bolt12Error`, in the spec's order. Used for offers and for the
 * offer fields an invoice_request or invoice copies (`expiry: false` skips the expiry check there).
 */
export function offerIssues(f: Bolt12Fields, opts: Bolt12ReadOptions = {}, expiry = true): Bolt12Error[] {
  const out: Bolt12Error[] = [];
  // - if `offer_features` contains unknown _even_ bits that are non-zero: MUST NOT respond to the offer.
  const feat = featureIssue(f.offerFeatures, 'offer_features');
  if (feat) out.push(feat);
  // An empty `offer_chains` (present but with zero entries) is explicitly invalid.
  if (f.offerChains !== undefined && f.offerChains.length === 0) {
    out.push(new Bolt12Error('EMPTY_CHAINS', 'offer_chains', 'offer_chains with zero entries'));
  } else if (opts.chains) {
    // - if `offer_chains` is not set: if the node does not accept bitcoin invoices: MUST NOT respond;
    //   otherwise: if the node does not accept invoices for at least one of the `chains`: MUST NOT respond.
    const chains = f.offerChains ?? [BITCOIN_CHAIN];
    if (!chains.some((c) => chainIn(c, opts.chains!))) {
      out.push(new Bolt12Error('UNSUPPORTED_CHAIN', 'offer_chains', 'none of the offer chains is accepted'));
    }
  }
  // - if `offer_amount` is set and `offer_description` is not set: MUST NOT respond to the offer.
  if (f.offerAmount !== undefined && f.offerDescription === undefined) {
    out.push(new Bolt12Error('MISSING_DESCRIPTION', 'offer_description', 'offer_amount is set but offer_description is not'));
  }
  // - if `offer_amount` is set and is not greater than zero: MUST NOT respond to the offer.
  if (f.offerAmount !== undefined && f.offerAmount === 0n) {
    out.push(new Bolt12Error('INVALID_AMOUNT', 'offer_amount', 'offer_amount is not greater than zero'));
  }
  // - if `offer_currency` is set and `offer_amount` is not set: MUST NOT respond to the offer.
  if (f.offerCurrency !== undefined && f.offerAmount === undefined) {
    out.push(new Bolt12Error('CURRENCY_WITHOUT_AMOUNT', 'offer_currency', 'offer_currency is set but offer_amount is not'));
  }
  // - if neither `offer_issuer_id` nor `offer_paths` are set: MUST NOT respond to the offer.
  //   (An `offer_paths` with no path gives nowhere to send to, so it counts as not set.)
  if (f.offerIssuerId === undefined && (f.offerPaths === undefined || f.offerPaths.length === 0)) {
    out.push(new Bolt12Error('MISSING_ISSUER_ID', 'offer_issuer_id', 'neither offer_issuer_id nor offer_paths is set'));
  }
  // - if `num_hops` is 0 in any `blinded_path` in `offer_paths`: MUST NOT respond — refused while
  //   parsing (EMPTY_BLINDED_PATH).
  // - if the current time is after `offer_absolute_expiry`: MUST NOT respond to the offer.
  if (expiry && opts.now !== undefined && f.offerAbsoluteExpiry !== undefined && opts.now > f.offerAbsoluteExpiry) {
    out.push(new Bolt12Error('EXPIRED', 'offer_absolute_expiry', `expired at ${f.offerAbsoluteExpiry}, now ${opts.now}`));
  }
  out.push(...recurrenceIssues(f));
  return out;
}

/**
 * Core Lightning's recurrence rules (common/bolt12.c offer_decode, "BOLT-recurrence #12"):
 * - if `offer_recurrence_optional` or `offer_recurrence_compulsory` are set: if `time_unit` is not
 *   one of 0, 1, or 2, or `period` is 0, or `offer_recurrence_limit` is set and is 0: MUST NOT
 *   respond to the offer;
 * - otherwise: if `offer_recurrence_paywindow`, `offer_recurrence_limit` or `offer_recurrence_base`
 *   are set: MUST NOT respond to the offer.
 */
export function recurrenceIssues(f: Bolt12Fields): Bolt12Error[] {
  const out: Bolt12Error[] = [];
  const r = f.offerRecurrenceCompulsory ?? f.offerRecurrenceOptional;
  if (r) {
    if (r.timeUnit > 2) out.push(new Bolt12Error('INVALID_RECURRENCE', 'offer_recurrence', `Offer contains invalid recurrence time_unit ${r.timeUnit}`));
    if (r.period === 0) out.push(new Bolt12Error('INVALID_RECURRENCE', 'offer_recurrence', `Offer contains invalid recurrence period ${r.period}`));
    if (f.offerRecurrenceLimit === 0) out.push(new Bolt12Error('INVALID_RECURRENCE', 'offer_recurrence', `Offer contains invalid recurrence limit ${f.offerRecurrenceLimit}`));
  } else if (f.offerRecurrencePaywindow !== undefined || f.offerRecurrenceLimit !== undefined || f.offerRecurrenceBase !== undefined) {
    out.push(new Bolt12Error('INVALID_RECURRENCE', 'offer_recurrence', 'Offer contains recurrence fields but no recurrence'));
  }
  return out;
}

/** Whether the message carries Core Lightning's recurrence (compulsory or optional). */
export function isRecurring(f: Bolt12Fields): boolean {
  return f.offerRecurrenceCompulsory !== undefined || f.offerRecurrenceOptional !== undefined;
}

/** A BOLT 12 offer: decoded fields beside the exact bytes they came from. */
export interface Offer extends Readonly<OfferFields> {}
export class Offer extends Bolt12Message {
  /** Use {@link decodeOffer}, {@link offerFromBytes} or {@link OfferBuilder}. */
  constructor(parsed: ParsedMessage) {
    super(parsed, 'lno');
  }

  /** The offer id as Core Lightning reports it: SHA256 of the offer's TLV bytes. */
  get offerId(): Uint8Array {
    return offerIdOf(this.records);
  }

  /** The chains the offer is valid for: `offer_chains`, or bitcoin when absent. */
  get chains(): Uint8Array[] {
    return this.offerChains ?? [BITCOIN_CHAIN];
  }

  /** Whether payment on `chain` is possible. */
  supportsChain(chain: Uint8Array): boolean {
    return chainIn(chain, this.chains);
  }

  /** Whether `now` (seconds) is past `offer_absolute_expiry`. */
  isExpired(now: number): boolean {
    return this.offerAbsoluteExpiry !== undefined && now > this.offerAbsoluteExpiry;
  }

  /**
   * The *expected amount* in msat for `quantity` items: `offer_amount` × quantity, when the offer
   * has an amount in the chain's currency; `undefined` when it has no amount or a fiat currency.
   */
  expectedAmountMsat(quantity?: bigint): bigint | undefined {
    if (this.offerAmount === undefined || this.offerCurrency !== undefined) return undefined;
    return this.offerAmount * (quantity ?? 1n);
  }

  toJSON(): unknown {
    return { type: 'offer', string: this.toString(), offer_id: toHex(this.offerId) };
  }
}

/** Parse an offer's TLV bytes and apply the reader's requirements. Throws `Bolt12Error`. */
export function offerFromBytes(bytes: Uint8Array, opts: Bolt12ReadOptions = {}): Offer {
  const parsed = parseMessage('offer', bytes);
  const issues = offerIssues(parsed.fields, opts);
  if (issues.length > 0) throw issues[0]!;
  return new Offer(parsed);
}

/** Decode an `lno1…` string (BOLT 12 string form) into an offer. Throws `Bolt12Error`. */
export function decodeOffer(s: string, opts: Bolt12ReadOptions = {}): Offer {
  return offerFromBytes(decodeBolt12StringData(s, 'lno').bytes, opts);
}

/** An extra (unknown, odd) record a writer adds; it is kept and mirrored like any field. */
export interface ExtraRecord {
  type: bigint;
  value: Uint8Array;
}

/** Check extra records: odd, unknown to the spec's tables, inside `ranges`. */
export function extraRecords(extra: readonly ExtraRecord[] | undefined, ranges: readonly (readonly [bigint, bigint])[], isKnown: (t: bigint) => boolean, stream: string): Bolt12Record[] {
  const out: Bolt12Record[] = [];
  for (const e of extra ?? []) {
    const field = `${stream}[${e.type}]`;
    if (typeof e.type !== 'bigint' || !(e.value instanceof Uint8Array)) fail('INVALID_PARAMETER', field, 'extra record needs a bigint type and bytes');
    if (e.type % 2n === 0n) fail('UNKNOWN_EVEN_TYPE', field, 'extra records must be odd ("it\'s OK to be odd")');
    if (!inRanges(e.type, ranges) || isKnown(e.type)) fail('TYPE_OUT_OF_RANGE', field, `type ${e.type} is not free for extra ${stream} fields`);
    out.push(makeRecord(e.type, e.value));
  }
  return out;
}

/** What an offer says. Leave a field out to omit it. */
export interface OfferParams {
  /** `offer_description`; required when there is an amount. */
  description?: string;
  /** `offer_amount` in msat (no currency). */
  amountMsat?: bigint;
  /** `offer_amount` in the smallest unit of `currency` (e.g. USD cents); use instead of `amountMsat`. */
  amount?: { value: bigint; currency: string };
  /** `offer_chains`; omit for bitcoin only (BOLT 12: "SHOULD omit"). */
  chains?: Uint8Array[];
  /** `offer_metadata`, for the issuer's own use (e.g. an authentication cookie). */
  metadata?: Uint8Array;
  /** `offer_features`. */
  features?: Uint8Array;
  /** `offer_absolute_expiry`, seconds since the epoch. */
  absoluteExpiry?: number;
  /** `offer_paths`: blinded paths to us; required when `issuerId` is absent. */
  paths?: BlindedPath[];
  /** `offer_issuer`. */
  issuer?: string;
  /** `offer_quantity_max`: 0 for unlimited; omit for a single item. */
  quantityMax?: bigint;
  /** `offer_issuer_id`: the key to request invoices from (and that signs them). */
  issuerId?: Uint8Array;
  /** Unknown odd fields to include (types 1–79 or 1000000000–1999999999 not defined by BOLT 12). */
  extra?: ExtraRecord[];
}

const OFFER_KNOWN = (t: bigint) => t >= 2n && t <= 22n && t % 2n === 0n;

/**
 * Builds an offer, refusing to build an invalid one (BOLT 12, "A writer of an offer"): an amount of
 * zero or without a description, a currency that is not three uppercase letters or without an
 * amount, neither issuer id nor paths, empty chains, fields outside the offer ranges.
 */
export class OfferBuilder {
  constructor(private readonly params: OfferParams) {}

  build(): Offer {
    const p = this.params;
    const f: Bolt12Fields = {};
    if (p.amountMsat !== undefined && p.amount !== undefined) fail('INVALID_PARAMETER', 'offer_amount', 'give amountMsat or amount, not both');
    if (p.amountMsat !== undefined) f.offerAmount = p.amountMsat;
    if (p.amount !== undefined) {
      // - otherwise: MUST specify `offer_currency` `iso4217` as an ISO 4217 three-letter code.
      if (!/^[A-Z]{3}$/.test(p.amount.currency)) fail('INVALID_CURRENCY', 'offer_currency', `'${p.amount.currency}' is not an ISO 4217 three-letter code`);
      f.offerCurrency = p.amount.currency;
      f.offerAmount = p.amount.value;
    }
    // - MUST set `offer_amount` greater than zero.
    if (f.offerAmount !== undefined && f.offerAmount <= 0n) fail('INVALID_AMOUNT', 'offer_amount', 'must be greater than zero');
    if (p.description !== undefined) f.offerDescription = p.description;
    if (p.chains !== undefined) f.offerChains = p.chains;
    if (p.metadata !== undefined) f.offerMetadata = p.metadata;
    if (p.features !== undefined) f.offerFeatures = p.features;
    if (p.absoluteExpiry !== undefined) f.offerAbsoluteExpiry = p.absoluteExpiry;
    if (p.paths !== undefined) {
      if (p.paths.length === 0) fail('INVALID_PARAMETER', 'offer_paths', 'give one or more paths, or none at all');
      f.offerPaths = p.paths;
    }
    if (p.issuer !== undefined) f.offerIssuer = p.issuer;
    if (p.quantityMax !== undefined) f.offerQuantityMax = p.quantityMax;
    if (p.issuerId !== undefined) f.offerIssuerId = p.issuerId;
    const records = sortRecords([...encodeFields(f), ...extraRecords(p.extra, OFFER_RANGES, OFFER_KNOWN, 'offer')]);
    // The reader's rules are the writer's too: build only what a reader accepts.
    return offerFromBytes(joinRecords(records));
  }
}
