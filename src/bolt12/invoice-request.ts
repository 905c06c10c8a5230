// BOLT 12 invoice requests answering an offer (`lnr1…`, or the onion message `invoice_request`
// field): a payer asks the offer's issuer for an invoice. It copies the offer's fields, adds who
// pays (a transient `invreq_payer_id`), how much and how many, and is signed by the payer key.
// (An invoice_request with no offer fields is a refund: see refund.ts.)
//
//   const req = new InvoiceRequestBuilder(offer, { nodeSecret, random, amountMsat: 5000n }).build();
//   // the issuer, on receiving req.bytes in an onion message:
//   const got = invoiceRequestFromBytes(bytes, { now });
//   if (!got.matchesOffer(myOffer)) …;
//   const invoice = got.respondWith({ paymentHash, createdAt: now, paths, blindedPay }).build(issuerSecret);
import { publicKey, type RandomSource } from '../crypto/index.ts';
import { bytesEqual, toHex } from '../util/bytes.ts';
import { Bolt12Error, fail } from './errors.ts';
import { encodeFields, type Bip353Name, type BlindedPath, type Bolt12Fields } from './fields.ts';
import { InvoiceBuilder, type InvoiceParams } from './invoice-builder.ts';
import { invreqFieldIssues, invreqSignatureIssue, isOfferResponse } from './invreq-rules.ts';
import { signRecords, SIGNATURE_TYPE } from './merkle.ts';
import { Bolt12Message,
  BITCOIN_CHAIN,
  OFFER_RANGES,
  offerIdOf,
  parseMessage,
  rawInRanges,
  type Bolt12ReadOptions,
  type ParsedMessage,
} from './message.ts';
import { extraRecords, Offer, type ExtraRecord } from './offer.ts';
import { derivePayerKey, randomPayerMetadata } from './payer-key.ts';
import { joinRecords, makeRecord, sortRecords } from './records.ts';
import { decodeBolt12StringData } from './string.ts';

/** The reader's requirements for an invoice_request (either kind), signature included. */
export function invoiceRequestIssues(parsed: ParsedMessage, opts: Bolt12ReadOptions = {}): Bolt12Error[] {
  const out = invreqFieldIssues(parsed.fields, opts);
  const sig = invreqSignatureIssue(parsed.fields, parsed.records, isOfferResponse(parsed.fields));
  if (sig) out.push(sig);
  return out;
}

/** Fields every valid invoice request has. */
type RequiredInvreqField = 'invreqMetadata' | 'invreqPayerId' | 'signature';

/** A BOLT 12 invoice_request answering an offer, signature verified. */
export interface InvoiceRequest extends Readonly<Omit<Bolt12Fields, RequiredInvreqField>> {}
export class InvoiceRequest extends Bolt12Message {
  declare readonly invreqMetadata: Uint8Array;
  declare readonly invreqPayerId: Uint8Array;
  declare readonly signature: Uint8Array;

  /** Use {@link decodeInvoiceRequest}, {@link invoiceRequestFromBytes} or {@link InvoiceRequestBuilder}. */
  constructor(parsed: ParsedMessage) {
    super(parsed, 'lnr');
  }

  /** The offer id (Core Lightning's) of the offer it answers. */
  get offerId(): Uint8Array {
    return offerIdOf(this.records);
  }

  /** The offer it answers, rebuilt from the copied offer fields (same bytes as the original). */
  get offer(): Offer {
    return new Offer(parseMessage('offer', rawInRanges(this.records, OFFER_RANGES)));
  }

  /**
   * BOLT 12, the issuer: "MUST reject the invoice request if the offer fields do not exactly match
   * a valid, unexpired offer". True when the copied fields are exactly `offer`'s.
   */
  matchesOffer(offer: Offer): boolean {
    return bytesEqual(rawInRanges(this.records, OFFER_RANGES), offer.bytes);
  }

  /** The chain to pay on: `invreq_chain`, or bitcoin. */
  get chain(): Uint8Array {
    return this.invreqChain ?? BITCOIN_CHAIN;
  }

  /** Start the invoice answering this request (see {@link InvoiceBuilder}). */
  respondWith(params: InvoiceParams): InvoiceBuilder {
    return new InvoiceBuilder(this, params);
  }

  toJSON(): unknown {
    return { type: 'invoice_request', string: this.toString(), offer_id: toHex(this.offerId) };
  }
}

/**
 * Parse an invoice_request answering an offer (e.g. the onion message `invoice_request` field) and
 * apply the reader's requirements, signature included. One without offer fields is refused with
 * `NOT_AN_OFFER_RESPONSE` (read it with `refundFromBytes`). Throws `Bolt12Error`.
 */
export function invoiceRequestFromBytes(bytes: Uint8Array, opts: Bolt12ReadOptions = {}): InvoiceRequest {
  const parsed = parseMessage('invoice_request', bytes);
  if (!isOfferResponse(parsed.fields)) {
    throw new Bolt12Error('NOT_AN_OFFER_RESPONSE', 'offer_issuer_id', 'neither offer_issuer_id nor offer_paths: this is a refund');
  }
  const issues = invoiceRequestIssues(parsed, opts);
  if (issues.length > 0) throw issues[0]!;
  return new InvoiceRequest(parsed);
}

/** Decode an `lnr1…` string answering an offer. Throws `Bolt12Error`. */
export function decodeInvoiceRequest(s: string, opts: Bolt12ReadOptions = {}): InvoiceRequest {
  return invoiceRequestFromBytes(decodeBolt12StringData(s, 'lnr').bytes, opts);
}

/** What the payer puts in its request. */
export interface InvoiceRequestParams {
  /**
   * The payer key: either `payerSecret` (with `metadata`), or `nodeSecret`, from which a fresh key
   * is derived per request with {@link derivePayerKey} (so it need not be stored).
   */
  payerSecret?: Uint8Array;
  nodeSecret?: Uint8Array;
  /** `invreq_metadata`; default: 16 bytes from `random`. */
  metadata?: Uint8Array;
  /** Randomness for the metadata and the signature's auxiliary data. */
  random?: RandomSource;
  /** `invreq_chain`: one of the offer's chains; default bitcoin if the offer allows it, else its first chain. */
  chain?: Uint8Array;
  /** `invreq_amount` in msat; required when the offer has no amount. */
  amountMsat?: bigint;
  /** `invreq_quantity`; required when the offer has `offer_quantity_max`. */
  quantity?: bigint;
  /** `invreq_features`. */
  features?: Uint8Array;
  /** `invreq_payer_note`. */
  payerNote?: string;
  /** `invreq_paths`: blinded paths to the payer. */
  paths?: BlindedPath[];
  /** `invreq_bip_353_name`, when the offer was found through BIP 353. */
  bip353Name?: Bip353Name;
  /** Unknown odd request fields (types 80–159 or 2000000000–2999999999 not defined by BOLT 12). */
  extra?: ExtraRecord[];
}

const INVREQ_EXTRA_RANGES = [
  [80n, 159n],
  [2_000_000_000n, 2_999_999_999n],
] as const;
const INVREQ_KNOWN = (t: bigint) => t === 80n || t === 82n || t === 84n || t === 86n || (t >= 88n && t <= 91n);

/** Resolve the payer key and metadata from the params (shared with refunds). */
export function payerKeyFromParams(p: { payerSecret?: Uint8Array; nodeSecret?: Uint8Array; metadata?: Uint8Array; random?: RandomSource }): {
  secret: Uint8Array;
  metadata: Uint8Array;
} {
  let metadata = p.metadata;
  if (metadata === undefined) {
    if (!p.random) fail('INVALID_PARAMETER', 'invreq_metadata', 'give metadata or a RandomSource');
    metadata = randomPayerMetadata(p.random);
  }
  if (!(metadata instanceof Uint8Array) || metadata.length === 0) fail('INVALID_PARAMETER', 'invreq_metadata', 'must be non-empty bytes');
  if (p.payerSecret !== undefined) return { secret: p.payerSecret, metadata };
  if (p.nodeSecret === undefined) fail('INVALID_PARAMETER', 'invreq_payer_id', 'give payerSecret or nodeSecret');
  return { secret: derivePayerKey(p.nodeSecret, metadata).secret, metadata };
}

/**
 * Builds a signed invoice_request for `offer` (BOLT 12, the writer "if it is responding to an
 * offer"), refusing to build one the issuer must reject (amount, quantity, chain rules).
 */
export class InvoiceRequestBuilder {
  constructor(
    private readonly offer: Offer,
    private readonly params: InvoiceRequestParams,
  ) {}

  build(): InvoiceRequest {
    const p = this.params;
    const { secret, metadata } = payerKeyFromParams(p);
    let payerId: Uint8Array;
    try {
      payerId = publicKey(secret);
    } catch {
      fail('INVALID_PARAMETER', 'payer_secret', 'not a valid secp256k1 secret key');
    }
    const f: Bolt12Fields = { invreqMetadata: metadata, invreqPayerId: payerId };
    // - if `offer_chains` is set: MUST set `invreq_chain` to one of `offer_chains` unless that
    //   chain is bitcoin, in which case it SHOULD omit `invreq_chain`; otherwise: if it sets
    //   `invreq_chain` it MUST set it to bitcoin.
    // Without `chain`: bitcoin if the offer allows it, else the offer's first chain.
    const chain = p.chain ?? (this.offer.supportsChain(BITCOIN_CHAIN) ? BITCOIN_CHAIN : this.offer.chains[0]!);
    if (!this.offer.supportsChain(chain)) fail('UNSUPPORTED_CHAIN', 'invreq_chain', 'not one of the offer chains');
    if (!bytesEqual(chain, BITCOIN_CHAIN)) f.invreqChain = chain;
    if (p.amountMsat !== undefined) f.invreqAmount = p.amountMsat;
    if (p.quantity !== undefined) f.invreqQuantity = p.quantity;
    // - if `offer_quantity_max` is present: MUST set `invreq_quantity` to greater than zero.
    if (this.offer.offerQuantityMax !== undefined && p.quantity === 0n) fail('INVALID_QUANTITY', 'invreq_quantity', 'must be greater than zero');
    if (p.features !== undefined) f.invreqFeatures = p.features;
    if (p.payerNote !== undefined) f.invreqPayerNote = p.payerNote;
    if (p.paths !== undefined) f.invreqPaths = p.paths;
    if (p.bip353Name !== undefined) f.invreqBip353Name = p.bip353Name;
    // - MUST copy all fields from the offer (including unknown fields).
    const records = sortRecords([...this.offer.records, ...encodeFields(f), ...extraRecords(p.extra, INVREQ_EXTRA_RANGES, INVREQ_KNOWN, 'invoice_request')]);
    // - MUST set `signature`.`sig` as detailed in Signature Calculation using the `invreq_payer_id`.
    const aux = p.random ? p.random(32) : undefined;
    const sig = signRecords('invoice_request', records, secret, aux);
    const signed = sortRecords([...records, makeRecord(SIGNATURE_TYPE, sig)]);
    return invoiceRequestFromBytes(joinRecords(signed));
  }
}
