// Building the invoice that answers an invoice_request or a refund (BOLT 12, "Invoices", A writer
// of an invoice). Reached through `invoiceRequest.respondWith(…)` / `refund.respondWith(…)`: the
// builder copies the request's fields, adds the caller's payment paths, amount, payment hash and
// times, signs with the given key, and refuses to produce an invoice a reader would reject.
import { publicKey } from '../crypto/index.ts';
import { fail } from './errors.ts';
import { encodeFields, type BlindedPath, type BlindedPayInfo, type Bolt12Fields, type FallbackAddress } from './fields.ts';
import { invoiceFromBytes, type Invoice } from './invoice.ts';
import { signRecords, SIGNATURE_TYPE } from './merkle.ts';
import { inRanges, MIRRORED_RANGES } from './message.ts';
import { extraRecords, type ExtraRecord } from './offer.ts';
import { joinRecords, makeRecord, sortRecords, type Bolt12Record } from './records.ts';

/** What the invoice adds to the request. */
export interface InvoiceParams {
  /** `invoice_payment_hash`: SHA256 of the preimage given in return for payment. */
  paymentHash: Uint8Array;
  /** `invoice_created_at`: now, in seconds since the epoch (from the caller's Clock). */
  createdAt: number;
  /** `invoice_paths`: one or more blinded payment paths to us, most preferred first. */
  paths: BlindedPath[];
  /** `invoice_blindedpay`: exactly one per path, in order. */
  blindedPay: BlindedPayInfo[];
  /**
   * `invoice_amount` in msat. Defaults to `invreq_amount`, or to the *expected amount*
   * (`offer_amount` × `invreq_quantity`) when the request has none; required when the offer's
   * amount is in another currency. Must equal those when they exist.
   */
  amountMsat?: bigint;
  /** `invoice_relative_expiry` in seconds; omit for the default 7200. */
  relativeExpiry?: number;
  /** `invoice_features` (16: MPP required, 17: MPP allowed). */
  features?: Uint8Array;
  /** `invoice_fallbacks`: on-chain addresses, most preferred first. */
  fallbacks?: FallbackAddress[];
  /** Unknown odd invoice fields (types 161–239 or 3000000000–3999999999 not defined by BOLT 12). */
  extra?: ExtraRecord[];
}

/** What an invoice can answer: a parsed invoice_request or refund (records plus decoded fields). */
export type RespondableRequest = Readonly<Bolt12Fields> & { readonly records: readonly Bolt12Record[] };

const INVOICE_EXTRA_RANGES = [
  [160n, 239n],
  [3_000_000_000n, 3_999_999_999n],
] as const;
const INVOICE_KNOWN = (t: bigint) => t >= 160n && t <= 176n && t % 2n === 0n;

/** Builds and signs an invoice answering `request`. */
export class InvoiceBuilder {
  constructor(
    private readonly request: RespondableRequest,
    private readonly params: InvoiceParams,
  ) {}

  /** The amount the invoice must carry (see {@link InvoiceParams.amountMsat}). */
  amountMsat(): bigint {
    const r = this.request;
    const given = this.params.amountMsat;
    let required: bigint | undefined;
    if (r.invreqAmount !== undefined) {
      // - if `invreq_amount` is present: MUST set `invoice_amount` to `invreq_amount`.
      required = r.invreqAmount;
    } else if (r.offerAmount !== undefined && r.offerCurrency === undefined) {
      // - otherwise: MUST set `invoice_amount` to the *expected amount*.
      required = r.offerAmount * (r.invreqQuantity ?? 1n);
    }
    if (required !== undefined) {
      if (given !== undefined && given !== required) fail('AMOUNT_MISMATCH', 'invoice_amount', `must be ${required} msat, not ${given}`);
      return required;
    }
    if (given === undefined) fail('MISSING_AMOUNT', 'invoice_amount', 'the request has no msat amount: give amountMsat (the converted offer amount)');
    return given;
  }

  /**
   * Sign with `signingSecret` (its public key becomes `invoice_node_id`: the offer's
   * `offer_issuer_id`, or a final `blinded_node_id` of `offer_paths`, or any key for a refund) and
   * return the invoice, checked as a reader would. `aux` is BIP340's auxiliary randomness.
   */
  build(signingSecret: Uint8Array, aux?: Uint8Array): Invoice {
    const p = this.params;
    if (!Number.isSafeInteger(p.createdAt) || p.createdAt < 0) fail('INVALID_PARAMETER', 'invoice_created_at', 'must be seconds since the epoch');
    // - MUST include `invoice_paths` containing one or more paths to the node.
    if (!Array.isArray(p.paths) || p.paths.length === 0) fail('MISSING_PATHS', 'invoice_paths', 'give one or more payment paths');
    // - MUST include `invoice_blindedpay` with exactly one `blinded_payinfo` for each `blinded_path`.
    if (!Array.isArray(p.blindedPay) || p.blindedPay.length !== p.paths.length) {
      fail('BLINDEDPAY_MISMATCH', 'invoice_blindedpay', `${p.blindedPay?.length} blinded_payinfo for ${p.paths.length} paths`);
    }
    let nodeId: Uint8Array;
    try {
      nodeId = publicKey(signingSecret);
    } catch {
      fail('INVALID_PARAMETER', 'signing_secret', 'not a valid secp256k1 secret key');
    }
    const f: Bolt12Fields = {
      invoicePaths: p.paths,
      invoiceBlindedpay: p.blindedPay,
      invoiceCreatedAt: p.createdAt,
      invoicePaymentHash: p.paymentHash,
      invoiceAmount: this.amountMsat(),
      invoiceNodeId: nodeId,
    };
    // - if the expiry for accepting payment is not 7200 seconds after `invoice_created_at`: MUST set
    //   `invoice_relative_expiry`.
    if (p.relativeExpiry !== undefined) f.invoiceRelativeExpiry = p.relativeExpiry;
    if (p.features !== undefined) f.invoiceFeatures = p.features;
    if (p.fallbacks !== undefined) {
      // - for the bitcoin chain, it MUST set each `fallback_address` with `version` as a valid
      //   witness version and `address` as a valid witness program.
      p.fallbacks.forEach((fb, i) => {
        const ok = Number.isInteger(fb.version) && fb.version >= 0 && fb.version <= 16 && fb.address.length >= 2 && fb.address.length <= 40;
        if (!ok || (fb.version === 0 && fb.address.length !== 20 && fb.address.length !== 32)) {
          fail('INVALID_PARAMETER', `invoice_fallbacks[${i}]`, 'not a valid witness version and program');
        }
      });
      f.invoiceFallbacks = p.fallbacks;
    }
    // - MUST copy all non-signature fields from the invoice request (including unknown fields).
    const mirrored = this.request.records.filter((r) => inRanges(r.type, MIRRORED_RANGES));
    const records = sortRecords([...mirrored, ...encodeFields(f), ...extraRecords(p.extra, INVOICE_EXTRA_RANGES, INVOICE_KNOWN, 'invoice')]);
    // - MUST specify exactly one signature TLV element: `signature`, using `invoice_node_id`.
    const sig = signRecords('invoice', records, signingSecret, aux);
    // (Experimental fields, 1000000000 and up, follow the signature: keep type order.)
    const signed = sortRecords([...records, makeRecord(SIGNATURE_TYPE, sig)]);
    // The reader's checks (node id against the offer, paths, amounts, signature) guard the writer too.
    return invoiceFromBytes(joinRecords(signed));
  }
}
