// BOLT 12 invoices (`lni1…` as Core Lightning and LDK print them; over the network they travel as
// the onion message `invoice` field): a payment request answering an invoice_request or a refund.
// It copies every field of the request, adds how to pay (blinded paths, amount, payment hash,
// expiry) and is signed by `invoice_node_id`; the preimage plus the invoice is the receipt.
//
//   const invoice = decodeInvoice('lni1…', { now: clock.now() });   // signature checked
//   invoice.checkRespondsTo(ourRefund);                              // fields mirrored?
//   for (const { path, payInfo } of invoice.usablePaths()) …
import { bytesEqual, toHex } from '../util/bytes.ts';
import { Bolt12Error } from './errors.ts';
import { tlvFieldName, type BlindedPath, type BlindedPayInfo, type Bolt12Fields } from './fields.ts';
import { invreqFieldIssues, isOfferResponse } from './invreq-rules.ts';
import { verifyRecords } from './merkle.ts';
import { Bolt12Message,
  chainIn,
  BITCOIN_CHAIN,
  featureIssue,
  MIRRORED_RANGES,
  offerIdOf,
  parseMessage,
  payInfoUnusable,
  rawInRanges,
  signingKeyIssue,
  type Bolt12ReadOptions,
  type ParsedMessage,
} from './message.ts';
import type { Bolt12Record } from './records.ts';
import { decodeBolt12StringData } from './string.ts';

/** BOLT 12: without `invoice_relative_expiry`, an invoice expires 7200 seconds after `invoice_created_at`. */
export const DEFAULT_RELATIVE_EXPIRY = 7200;

/**
 * The reader's requirements for an invoice (BOLT 12, "Invoices", A reader of an invoice), each
 * broken rule as a `Bolt12Error`, cheapest first and the signature last.
 */
export function invoiceIssues(parsed: ParsedMessage, opts: Bolt12ReadOptions = {}): Bolt12Error[] {
  const f = parsed.fields;
  const out: Bolt12Error[] = [];
  // - MUST reject the invoice if `invoice_amount` / `invoice_created_at` / `invoice_payment_hash` /
  //   `invoice_node_id` is not present.
  if (f.invoiceAmount === undefined) out.push(new Bolt12Error('MISSING_AMOUNT', 'invoice_amount', 'invoice_amount is not present'));
  if (f.invoiceCreatedAt === undefined) out.push(new Bolt12Error('MISSING_CREATED_AT', 'invoice_created_at', 'invoice_created_at is not present'));
  if (f.invoicePaymentHash === undefined) out.push(new Bolt12Error('MISSING_PAYMENT_HASH', 'invoice_payment_hash', 'invoice_payment_hash is not present'));
  if (f.invoiceNodeId === undefined) out.push(new Bolt12Error('MISSING_NODE_ID', 'invoice_node_id', 'invoice_node_id is not present'));
  // - if `invreq_chain` is not present: MUST reject the invoice if bitcoin is not a supported chain;
  //   otherwise: MUST reject the invoice if `invreq_chain`.`chain` is not a supported chain.
  if (opts.chains && !chainIn(f.invreqChain ?? BITCOIN_CHAIN, opts.chains)) {
    out.push(new Bolt12Error('UNSUPPORTED_CHAIN', 'invreq_chain', 'the chain of the invoice is not accepted'));
  }
  // - if `invoice_features` contains unknown _even_ bits that are non-zero: MUST reject the invoice.
  const feat = featureIssue(f.invoiceFeatures, 'invoice_features');
  if (feat) out.push(feat);
  // - if `invoice_relative_expiry` is present: MUST reject the invoice if the current time … is
  //   greater than `invoice_created_at` plus `seconds_from_creation`; otherwise … plus 7200.
  if (opts.now !== undefined && f.invoiceCreatedAt !== undefined) {
    const expiresAt = f.invoiceCreatedAt + (f.invoiceRelativeExpiry ?? DEFAULT_RELATIVE_EXPIRY);
    if (opts.now > expiresAt) out.push(new Bolt12Error('EXPIRED', 'invoice_relative_expiry', `expired at ${expiresAt}, now ${opts.now}`));
  }
  // - MUST reject the invoice if `invoice_paths` is not present or is empty.
  // - MUST reject the invoice if `num_hops` is 0 in any `blinded_path` in `invoice_paths` (refused while parsing).
  if (f.invoicePaths === undefined || f.invoicePaths.length === 0) {
    out.push(new Bolt12Error('MISSING_PATHS', 'invoice_paths', 'invoice_paths is not present or is empty'));
  }
  // - MUST reject the invoice if `invoice_blindedpay` is not present.
  // - MUST reject the invoice if `invoice_blindedpay` does not contain exactly one `blinded_payinfo`
  //   per `invoice_paths`.`blinded_path`.
  if (f.invoiceBlindedpay === undefined) {
    out.push(new Bolt12Error('MISSING_BLINDEDPAY', 'invoice_blindedpay', 'invoice_blindedpay is not present'));
  } else if (f.invoicePaths !== undefined && f.invoiceBlindedpay.length !== f.invoicePaths.length) {
    out.push(
      new Bolt12Error('BLINDEDPAY_MISMATCH', 'invoice_blindedpay', `${f.invoiceBlindedpay.length} blinded_payinfo for ${f.invoicePaths.length} invoice_paths`),
    );
  } else if (f.invoicePaths !== undefined && f.invoicePaths.length > 0) {
    // - For each `invoice_blindedpay`.`payinfo`: MUST NOT use the corresponding `invoice_paths`.`path`
    //   if `payinfo`.`features` has any unknown even bits set; MUST reject the invoice if this
    //   leaves no usable paths.
    if (f.invoiceBlindedpay.every((p) => payInfoUnusable(p.features))) {
      out.push(new Bolt12Error('NO_USABLE_PATHS', 'invoice_blindedpay', 'every blinded_payinfo has unknown required features'));
    }
  }
  // The invoice answers an invoice_request (raw invoices are not supported): the request's fields,
  // copied here, obey the request's rules.
  out.push(...invreqFieldIssues(f, {}, true));
  // - if `invreq_amount` is present: MUST reject the invoice if `invoice_amount` is not equal to `invreq_amount`.
  if (f.invreqAmount !== undefined && f.invoiceAmount !== undefined && f.invoiceAmount !== f.invreqAmount) {
    out.push(new Bolt12Error('AMOUNT_MISMATCH', 'invoice_amount', `invoice_amount ${f.invoiceAmount} differs from invreq_amount ${f.invreqAmount}`));
  }
  if (f.invoiceNodeId !== undefined) {
    if (f.offerIssuerId !== undefined) {
      // - if `offer_issuer_id` is present: MUST reject the invoice if `invoice_node_id` is not equal to `offer_issuer_id`.
      if (!bytesEqual(f.invoiceNodeId, f.offerIssuerId)) out.push(new Bolt12Error('INVALID_NODE_ID', 'invoice_node_id', 'invoice_node_id is not offer_issuer_id'));
    } else if (f.offerPaths !== undefined && f.offerPaths.length > 0) {
      // - otherwise, if `offer_paths` is present: MUST reject the invoice if `invoice_node_id` is not
      //   equal to the final `blinded_node_id` it sent the invoice request to — so, at least, one of them.
      const finals = f.offerPaths.map((p) => p.hops[p.hops.length - 1]!.blindedNodeId);
      if (!finals.some((k) => bytesEqual(k, f.invoiceNodeId!))) {
        out.push(new Bolt12Error('INVALID_NODE_ID', 'invoice_node_id', 'invoice_node_id is not the final blinded_node_id of any offer_paths'));
      }
    }
  }
  // BOLT-recurrence (Core Lightning): "if `offer_recurrence_optional` or
  // `offer_recurrence_compulsory` are present: MUST reject the invoice if
  // `invoice_recurrence_basetime` is not present".
  if ((f.offerRecurrenceCompulsory !== undefined || f.offerRecurrenceOptional !== undefined) && f.invoiceRecurrenceBasetime === undefined) {
    out.push(new Bolt12Error('MISSING_RECURRENCE_BASETIME', 'invoice_recurrence_basetime', 'recurring invoices without a recurrence_basetime are invalid'));
  }
  // - MUST reject the invoice if `signature` is not a valid signature using `invoice_node_id`.
  if (f.signature === undefined) {
    if (f.invoiceNodeId !== undefined) {
      const bad = signingKeyIssue(f.invoiceNodeId, 'invoice_node_id');
      if (bad) out.push(bad);
    }
    out.push(new Bolt12Error('MISSING_SIGNATURE', 'signature', 'signature is not present'));
  } else if (f.invoiceNodeId !== undefined) {
    // x-only: verification lifts the key's x coordinate, which checks it is on the curve (parsing
    // left that out); a failure is then told apart.
    if (!verifyRecords('invoice', parsed.records, f.invoiceNodeId.subarray(1), f.signature)) {
      out.push(signingKeyIssue(f.invoiceNodeId, 'invoice_node_id') ?? new Bolt12Error('INVALID_SIGNATURE', 'signature', 'not a valid signature by invoice_node_id'));
    }
  }
  return out;
}

/** The fields of an invoice (all of them: it mirrors the offer and request fields). */
export type InvoiceFields = Bolt12Fields;

/** What an invoice answers: an `InvoiceRequest` or a `Refund` (anything with its records). */
export interface InvoiceRequestLike {
  readonly records: readonly Bolt12Record[];
}

/** A path of the invoice that may be used, with what it costs. */
export interface UsablePath {
  path: BlindedPath;
  payInfo: BlindedPayInfo;
  /** Position in `invoice_paths` (earlier is preferred). */
  index: number;
}

/** Fields every valid invoice has (the reader refuses one without them). */
type RequiredInvoiceField =
  | 'invoiceAmount'
  | 'invoiceCreatedAt'
  | 'invoicePaymentHash'
  | 'invoiceNodeId'
  | 'invoicePaths'
  | 'invoiceBlindedpay'
  | 'signature'
  | 'invreqMetadata'
  | 'invreqPayerId';

/** A BOLT 12 invoice, signature verified: decoded fields beside the exact bytes. */
export interface Invoice extends Readonly<Omit<InvoiceFields, RequiredInvoiceField>> {}
export class Invoice extends Bolt12Message {
  declare readonly invoiceAmount: bigint;
  declare readonly invoiceCreatedAt: number;
  declare readonly invoicePaymentHash: Uint8Array;
  declare readonly invoiceNodeId: Uint8Array;
  declare readonly invoicePaths: BlindedPath[];
  declare readonly invoiceBlindedpay: BlindedPayInfo[];
  declare readonly signature: Uint8Array;
  declare readonly invreqMetadata: Uint8Array;
  declare readonly invreqPayerId: Uint8Array;

  /** Use {@link decodeInvoice}, {@link invoiceFromBytes} or a `respondWith` builder. */
  constructor(parsed: ParsedMessage) {
    super(parsed, 'lni');
  }

  /** Seconds since the epoch after which payment should not be attempted. */
  get expiresAt(): number {
    return this.invoiceCreatedAt + (this.invoiceRelativeExpiry ?? DEFAULT_RELATIVE_EXPIRY);
  }

  /** Whether `now` (seconds) is past {@link expiresAt}. */
  isExpired(now: number): boolean {
    return now > this.expiresAt;
  }

  /** Whether it answers a refund (an invoice_request without `offer_issuer_id` or `offer_paths`). */
  get isForRefund(): boolean {
    return !isOfferResponse(this);
  }

  /** The offer id (Core Lightning's) of the offer it derives from, or `undefined` for a refund. */
  get offerId(): Uint8Array | undefined {
    return isOfferResponse(this) ? offerIdOf(this.records) : undefined;
  }

  /** The chain to pay on: `invreq_chain`, or bitcoin. */
  get chain(): Uint8Array {
    return this.invreqChain ?? BITCOIN_CHAIN;
  }

  /**
   * The paths a payer may use, in preference order: those whose `blinded_payinfo.features` has no
   * unknown even bit (BOLT 12: "MUST NOT use the corresponding `invoice_paths`.`path`").
   */
  usablePaths(): UsablePath[] {
    const out: UsablePath[] = [];
    this.invoicePaths.forEach((path, index) => {
      const payInfo = this.invoiceBlindedpay[index]!;
      if (!payInfoUnusable(payInfo.features)) out.push({ path, payInfo, index });
    });
    return out;
  }

  /** Whether the invoice copies exactly the fields of `request` (ranges 0–159, 1000000000–2999999999). */
  respondsTo(request: InvoiceRequestLike): boolean {
    return bytesEqual(rawInRanges(this.records, MIRRORED_RANGES), rawInRanges(request.records, MIRRORED_RANGES));
  }

  /**
   * BOLT 12, a reader of an invoice: "if the invoice is a response to an `invoice_request`: MUST
   * reject the invoice if all fields in ranges 0 to 159 and 1000000000 to 2999999999 (inclusive) do
   * not exactly match the invoice request." Throws `FIELD_MISMATCH` naming the first differing field.
   */
  checkRespondsTo(request: InvoiceRequestLike): void {
    if (this.respondsTo(request)) return;
    const mine = this.records.filter((r) => inMirrored(r.type));
    const theirs = request.records.filter((r) => inMirrored(r.type));
    const n = Math.max(mine.length, theirs.length);
    for (let i = 0; i < n; i++) {
      const a = mine[i];
      const b = theirs[i];
      if (!a || !b || a.type !== b.type || !bytesEqual(a.raw, b.raw)) {
        const t = a && b ? (a.type < b.type ? a.type : b.type) : (a ?? b)!.type;
        throw new Bolt12Error('FIELD_MISMATCH', fieldLabel(t), `TLV type ${t} does not match the request`);
      }
    }
  }

  toJSON(): unknown {
    return { type: 'invoice', string: this.toString(), payment_hash: toHex(this.invoicePaymentHash) };
  }
}

function inMirrored(t: bigint): boolean {
  return (t >= 0n && t <= 159n) || (t >= 1_000_000_000n && t <= 2_999_999_999n);
}

function fieldLabel(t: bigint): string {
  return tlvFieldName(t) ?? `invoice[${t}]`;
}

/**
 * Parse an invoice's TLV bytes (e.g. the onion message `invoice` field) and apply the reader's
 * requirements, signature included. Throws `Bolt12Error`.
 */
export function invoiceFromBytes(bytes: Uint8Array, opts: Bolt12ReadOptions = {}): Invoice {
  const parsed = parseMessage('invoice', bytes);
  const issues = invoiceIssues(parsed, opts);
  if (issues.length > 0) throw issues[0]!;
  return new Invoice(parsed);
}

/** Decode an `lni1…` string into an invoice (signature checked). Throws `Bolt12Error`. */
export function decodeInvoice(s: string, opts: Bolt12ReadOptions = {}): Invoice {
  return invoiceFromBytes(decodeBolt12StringData(s, 'lni').bytes, opts);
}
