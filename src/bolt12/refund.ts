// BOLT 12 refunds (`lnr1…` without offer fields): "an offer to send money". The merchant (or an
// ATM) publishes an invoice_request with an amount and no `offer_issuer_id`/`offer_paths`; the user
// answers with an invoice for it, which the publisher checks and pays.
//
// Signatures: BOLT 12 says the writer of such a request "MUST NOT include `signature`"; Core
// Lightning nevertheless signs its refunds and refuses unsigned ones, while LDK leaves them unsigned
// and refuses signed ones. Readers here accept both and check a signature that is present; the
// builder writes unsigned refunds unless asked (`signed: true`, or `refund.withSignature(…)` later).
//
//   const refund = new RefundBuilder({ nodeSecret, random, amountMsat: 50_000n, description: 'refund #42' }).build();
//   share(refund.toString());                                // 'lnr1…'
//   // the user's side:
//   const r = decodeRefund(s, { now });
//   const invoice = r.respondWith({ paymentHash, createdAt: now, paths, blindedPay }).build(anyKey);
//   // back at the publisher: invoice.checkRespondsTo(refund); refund.isOwn(nodeSecret)
import type { RandomSource } from '../crypto/index.ts';
import { publicKey } from '../crypto/index.ts';
import { bytesEqual, toHex } from '../util/bytes.ts';
import { Bolt12Error, fail } from './errors.ts';
import { encodeFields, type Bip353Name, type BlindedPath, type Bolt12Fields } from './fields.ts';
import { InvoiceBuilder, type InvoiceParams } from './invoice-builder.ts';
import { invreqFieldIssues, invreqSignatureIssue, isOfferResponse } from './invreq-rules.ts';
import { signRecords, SIGNATURE_TYPE } from './merkle.ts';
import { Bolt12Message, BITCOIN_CHAIN, parseMessage, type Bolt12ReadOptions, type ParsedMessage } from './message.ts';
import { extraRecords, type ExtraRecord } from './offer.ts';
import { derivePayerKey, isOwnPayerKey } from './payer-key.ts';
import { payerKeyFromParams } from './invoice-request.ts';
import { joinRecords, makeRecord, sortRecords } from './records.ts';
import { decodeBolt12StringData } from './string.ts';

/** The reader's requirements for a refund: an invoice_request without an offer, signature optional. */
export function refundIssues(parsed: ParsedMessage, opts: Bolt12ReadOptions = {}): Bolt12Error[] {
  const out = invreqFieldIssues(parsed.fields, opts);
  const sig = invreqSignatureIssue(parsed.fields, parsed.records, false);
  if (sig) out.push(sig);
  return out;
}

type RequiredRefundField = 'invreqMetadata' | 'invreqPayerId' | 'invreqAmount';

/** A BOLT 12 refund: decoded fields beside the exact bytes. */
export interface Refund extends Readonly<Omit<Bolt12Fields, RequiredRefundField>> {}
export class Refund extends Bolt12Message {
  declare readonly invreqMetadata: Uint8Array;
  declare readonly invreqPayerId: Uint8Array;
  declare readonly invreqAmount: bigint;

  /** Use {@link decodeRefund}, {@link refundFromBytes} or {@link RefundBuilder}. */
  constructor(parsed: ParsedMessage) {
    super(parsed, 'lnr');
  }

  /** Whether it carries a (verified) signature. */
  get isSigned(): boolean {
    return this.signature !== undefined;
  }

  /** The chain the refund pays on: `invreq_chain`, or bitcoin. */
  get chain(): Uint8Array {
    return this.invreqChain ?? BITCOIN_CHAIN;
  }

  /** Whether `now` (seconds) is past `offer_absolute_expiry`. */
  isExpired(now: number): boolean {
    return this.offerAbsoluteExpiry !== undefined && now > this.offerAbsoluteExpiry;
  }

  /** Whether `invreq_payer_id` is the key {@link derivePayerKey} gives for `nodeSecret` and this metadata. */
  isOwn(nodeSecret: Uint8Array): boolean {
    return isOwnPayerKey(nodeSecret, this.invreqMetadata, this.invreqPayerId);
  }

  /** The secret of `invreq_payer_id`, re-derived from `nodeSecret` (throws if the refund is not ours). */
  payerSecret(nodeSecret: Uint8Array): Uint8Array {
    const k = derivePayerKey(nodeSecret, this.invreqMetadata);
    if (!bytesEqual(k.publicKey, this.invreqPayerId)) fail('INVALID_PARAMETER', 'invreq_payer_id', 'not derived from this node secret');
    return k.secret;
  }

  /** The same refund signed with its payer key (as Core Lightning expects). */
  withSignature(nodeSecret: Uint8Array, aux?: Uint8Array): Refund {
    const unsigned = this.records.filter((r) => r.type !== SIGNATURE_TYPE);
    const sig = signRecords('invoice_request', unsigned, this.payerSecret(nodeSecret), aux);
    return refundFromBytes(joinRecords(sortRecords([...unsigned, makeRecord(SIGNATURE_TYPE, sig)])));
  }

  /** The same refund without a signature (as LDK expects). */
  withoutSignature(): Refund {
    return refundFromBytes(joinRecords(this.records.filter((r) => r.type !== SIGNATURE_TYPE)));
  }

  /** Start the invoice answering this refund (see {@link InvoiceBuilder}); its amount is `invreq_amount`. */
  respondWith(params: InvoiceParams): InvoiceBuilder {
    return new InvoiceBuilder(this, params);
  }

  toJSON(): unknown {
    return { type: 'refund', string: this.toString(), invreq_payer_id: toHex(this.invreqPayerId) };
  }
}

/**
 * Parse a refund's TLV bytes and apply the reader's requirements (a present signature must verify).
 * An invoice_request answering an offer is refused with `NOT_A_REFUND`. Throws `Bolt12Error`.
 */
export function refundFromBytes(bytes: Uint8Array, opts: Bolt12ReadOptions = {}): Refund {
  const parsed = parseMessage('invoice_request', bytes);
  if (isOfferResponse(parsed.fields)) {
    throw new Bolt12Error('NOT_A_REFUND', parsed.fields.offerIssuerId ? 'offer_issuer_id' : 'offer_paths', 'this invoice_request answers an offer');
  }
  const issues = refundIssues(parsed, opts);
  if (issues.length > 0) throw issues[0]!;
  return new Refund(parsed);
}

/** Decode an `lnr1…` refund string. Throws `Bolt12Error`. */
export function decodeRefund(s: string, opts: Bolt12ReadOptions = {}): Refund {
  return refundFromBytes(decodeBolt12StringData(s, 'lnr').bytes, opts);
}

/** What a refund says. */
export interface RefundParams {
  /** The node secret: `invreq_payer_id` is derived from it and the metadata ({@link derivePayerKey}). */
  nodeSecret: Uint8Array;
  /** Randomness for `invreq_metadata` (and the signature's auxiliary data). */
  random: RandomSource;
  /** `invreq_amount`: what we will send, in msat. */
  amountMsat: bigint;
  /** `offer_description`: "a complete description of the purpose of the payment". */
  description: string;
  /** `offer_absolute_expiry`, seconds since the epoch. */
  absoluteExpiry?: number;
  /** `offer_issuer`. */
  issuer?: string;
  /** `invreq_chain`: required when not bitcoin; omitted for bitcoin. */
  chain?: Uint8Array;
  /** `invreq_quantity`. */
  quantity?: bigint;
  /** `invreq_payer_note`. */
  payerNote?: string;
  /** `invreq_paths`: blinded paths to us; without them, invoices go to `invreq_payer_id` as a node. */
  paths?: BlindedPath[];
  /** `invreq_features`. */
  features?: Uint8Array;
  /** `invreq_bip_353_name`. */
  bip353Name?: Bip353Name;
  /** `invreq_metadata`; default: 16 bytes from `random`. */
  metadata?: Uint8Array;
  /** Sign it (Core Lightning style); default false (BOLT 12 and LDK). */
  signed?: boolean;
  /** Unknown odd fields (in the invoice_request ranges, not defined by BOLT 12). */
  extra?: ExtraRecord[];
}

const REFUND_EXTRA_RANGES = [
  [1n, 159n],
  [1_000_000_000n, 2_999_999_999n],
] as const;
const REFUND_KNOWN = (t: bigint) => (t >= 2n && t <= 22n && t % 2n === 0n) || t === 80n || t === 82n || t === 84n || t === 86n || (t >= 88n && t <= 91n);

/**
 * Builds a refund (BOLT 12, the writer "otherwise (not responding to an offer)"), refusing an
 * invalid one: no amount, no description, a zero amount, fields outside the ranges.
 */
export class RefundBuilder {
  constructor(private readonly params: RefundParams) {}

  build(): Refund {
    const p = this.params;
    // - MUST set `invreq_metadata` to an unpredictable series of bytes.
    // - MUST set `invreq_payer_id` (as it would set `offer_issuer_id` for an offer): derived.
    const { secret, metadata } = payerKeyFromParams({ nodeSecret: p.nodeSecret, metadata: p.metadata, random: p.random });
    // - MUST set `invreq_amount`.
    if (typeof p.amountMsat !== 'bigint' || p.amountMsat <= 0n) fail('INVALID_AMOUNT', 'invreq_amount', 'must be a positive msat amount');
    // - MUST set `offer_description` to a complete description of the purpose of the payment.
    if (typeof p.description !== 'string') fail('MISSING_DESCRIPTION', 'offer_description', 'a refund needs a description');
    const f: Bolt12Fields = {
      invreqMetadata: metadata,
      offerDescription: p.description,
      invreqAmount: p.amountMsat,
      invreqPayerId: publicKey(secret),
    };
    if (p.absoluteExpiry !== undefined) f.offerAbsoluteExpiry = p.absoluteExpiry;
    if (p.issuer !== undefined) f.offerIssuer = p.issuer;
    // - if the chain for the invoice is not solely bitcoin: MUST specify `invreq_chain`.
    if (p.chain !== undefined && !bytesEqual(p.chain, BITCOIN_CHAIN)) f.invreqChain = p.chain;
    if (p.quantity !== undefined) f.invreqQuantity = p.quantity;
    if (p.payerNote !== undefined) f.invreqPayerNote = p.payerNote;
    // - MUST set `invreq_paths` as it would set (or not set) `offer_paths` for an offer.
    if (p.paths !== undefined) {
      if (p.paths.length === 0) fail('INVALID_PARAMETER', 'invreq_paths', 'give one or more paths, or none at all');
      f.invreqPaths = p.paths;
    }
    if (p.features !== undefined) f.invreqFeatures = p.features;
    if (p.bip353Name !== undefined) f.invreqBip353Name = p.bip353Name;
    const records = sortRecords([...encodeFields(f), ...extraRecords(p.extra, REFUND_EXTRA_RANGES, REFUND_KNOWN, 'invoice_request')]);
    if (!p.signed) return refundFromBytes(joinRecords(records));
    const sig = signRecords('invoice_request', records, secret, p.random(32));
    return refundFromBytes(joinRecords(sortRecords([...records, makeRecord(SIGNATURE_TYPE, sig)])));
  }
}
