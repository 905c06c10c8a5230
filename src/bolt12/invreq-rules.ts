// BOLT 12, "Requirements for Invoice Requests", the reader — for the fields an invoice_request
// carries, whether it answers an offer or stands alone (a refund). Invoices copy these fields, so
// their reader applies the same rules (without the expiry of the offer or refund, which is the
// payer's business once an invoice exists).
import { chainIn, BITCOIN_CHAIN, featureIssue, signingKeyIssue, type Bolt12ReadOptions } from './message.ts';
import { Bolt12Error } from './errors.ts';
import type { Bolt12Fields } from './fields.ts';
import { offerIssues } from './offer.ts';
import { verifyRecords } from './merkle.ts';
import type { Bolt12Record } from './records.ts';

/** An invoice_request answers an offer when it has `offer_issuer_id` or `offer_paths`. */
export function isOfferResponse(f: Bolt12Fields): boolean {
  return f.offerIssuerId !== undefined || f.offerPaths !== undefined;
}

const MAX_U64 = 0xffff_ffff_ffff_ffffn;
const BIP353_CHARS = /^[0-9a-zA-Z._-]*$/;

/**
 * The broken rules among an invoice_request's fields (not its signature), in the spec's order.
 * `inInvoice`: the fields are an invoice's copy (skip the offer's or refund's expiry).
 */
export function invreqFieldIssues(f: Bolt12Fields, opts: Bolt12ReadOptions = {}, inInvoice = false): Bolt12Error[] {
  const out: Bolt12Error[] = [];
  // - MUST reject the invoice request if `invreq_payer_id` or `invreq_metadata` are not present.
  if (f.invreqMetadata === undefined) out.push(new Bolt12Error('MISSING_PAYER_METADATA', 'invreq_metadata', 'invreq_metadata is not present'));
  if (f.invreqPayerId === undefined) out.push(new Bolt12Error('MISSING_PAYER_ID', 'invreq_payer_id', 'invreq_payer_id is not present'));
  // - if `invreq_features` contains unknown _even_ bits that are non-zero: MUST reject the invoice request.
  const feat = featureIssue(f.invreqFeatures, 'invreq_features');
  if (feat) out.push(feat);
  if (isOfferResponse(f)) {
    // - if `offer_issuer_id` or `offer_paths` are present (response to an offer):
    //   - MUST reject the invoice request if the offer fields do not exactly match a valid, unexpired
    //     offer. (Matching the issuer's own offer is `InvoiceRequest.matchesOffer`; here: valid.)
    out.push(...offerIssues(f, { now: inInvoice ? undefined : opts.now }, !inInvoice));
    //   - if `offer_quantity_max` is present:
    if (f.offerQuantityMax !== undefined) {
      //   - MUST reject the invoice request if there is no `invreq_quantity` field.
      if (f.invreqQuantity === undefined) {
        out.push(new Bolt12Error('MISSING_QUANTITY', 'invreq_quantity', 'offer_quantity_max is present but invreq_quantity is not'));
      } else if (f.offerQuantityMax !== 0n && (f.invreqQuantity === 0n || f.invreqQuantity > f.offerQuantityMax)) {
        //   - if `offer_quantity_max` is non-zero: MUST reject if `invreq_quantity` is zero, OR greater than `offer_quantity_max`.
        out.push(new Bolt12Error('INVALID_QUANTITY', 'invreq_quantity', `invreq_quantity ${f.invreqQuantity} is not within 1..${f.offerQuantityMax}`));
      }
    } else if (f.invreqQuantity !== undefined) {
      //   - otherwise: MUST reject the invoice request if there is an `invreq_quantity` field.
      out.push(new Bolt12Error('UNEXPECTED_QUANTITY', 'invreq_quantity', 'invreq_quantity without offer_quantity_max'));
    }
    //   - if `offer_amount` is present: MUST calculate the *expected amount* … if `invreq_amount` is
    //     present: MUST reject if `invreq_amount`.`msat` is less than the *expected amount*.
    //     (With `offer_currency`, converting is the issuer's business: not checked here.)
    if (f.offerAmount !== undefined) {
      if (f.offerCurrency === undefined) {
        const expected = f.offerAmount * (f.invreqQuantity ?? 1n);
        if (f.invreqAmount !== undefined && f.invreqAmount < expected) {
          out.push(new Bolt12Error('INSUFFICIENT_AMOUNT', 'invreq_amount', `invreq_amount ${f.invreqAmount} is less than the expected amount ${expected}`));
        } else if (f.invreqAmount === undefined && expected > MAX_U64) {
          // No invoice can carry it: `invoice_amount` is a tu64.
          out.push(new Bolt12Error('INVALID_AMOUNT', 'invreq_quantity', `the expected amount ${expected} msat does not fit in 64 bits`));
        }
      }
    } else if (f.invreqAmount === undefined) {
      //   - otherwise (no `offer_amount`): MUST reject the invoice request if it does not contain `invreq_amount`.
      out.push(new Bolt12Error('MISSING_AMOUNT', 'invreq_amount', 'no offer_amount and no invreq_amount'));
    }
    // The writer "MUST set `invreq_chain` to one of `offer_chains`" (bitcoin when omitted); a
    // request for a chain the offer is not valid for cannot match it.
    const chain = f.invreqChain ?? BITCOIN_CHAIN;
    if (f.offerChains === undefined || f.offerChains.length > 0) {
      if (!chainIn(chain, f.offerChains ?? [BITCOIN_CHAIN])) {
        out.push(new Bolt12Error('UNSUPPORTED_CHAIN', 'invreq_chain', 'invreq_chain is not one of the offer chains'));
      }
    }
  } else {
    // - otherwise (no `offer_issuer_id` or `offer_paths`, not a response to our offer):
    //   - MUST reject the invoice request if any of the following are present:
    //     `offer_chains`, `offer_features` or `offer_quantity_max`.
    if (f.offerChains !== undefined) out.push(new Bolt12Error('UNEXPECTED_FIELD', 'offer_chains', 'offer_chains in an invoice_request without an offer'));
    if (f.offerFeatures !== undefined) out.push(new Bolt12Error('UNEXPECTED_FIELD', 'offer_features', 'offer_features in an invoice_request without an offer'));
    if (f.offerQuantityMax !== undefined) out.push(new Bolt12Error('UNEXPECTED_FIELD', 'offer_quantity_max', 'offer_quantity_max in an invoice_request without an offer'));
    //   - MUST reject the invoice request if `invreq_amount` is not present.
    if (f.invreqAmount === undefined) out.push(new Bolt12Error('MISSING_AMOUNT', 'invreq_amount', 'invreq_amount is not present'));
    // The writer "MUST set (or not set) `offer_absolute_expiry` … as it would for an offer": an
    // expired refund is not to be answered.
    if (!inInvoice && opts.now !== undefined && f.offerAbsoluteExpiry !== undefined && opts.now > f.offerAbsoluteExpiry) {
      out.push(new Bolt12Error('EXPIRED', 'offer_absolute_expiry', `expired at ${f.offerAbsoluteExpiry}, now ${opts.now}`));
    }
  }
  // An amount of zero msat asks for nothing (writers "MUST set `msat`" to what they pay).
  if (f.invreqAmount === 0n) out.push(new Bolt12Error('INVALID_AMOUNT', 'invreq_amount', 'invreq_amount is zero'));
  // - if `invreq_chain` is not present: MUST reject if bitcoin is not a supported chain;
  //   otherwise: MUST reject if `invreq_chain`.`chain` is not a supported chain.
  if (opts.chains && !chainIn(f.invreqChain ?? BITCOIN_CHAIN, opts.chains)) {
    out.push(new Bolt12Error('UNSUPPORTED_CHAIN', 'invreq_chain', 'the chain of the request is not accepted'));
  }
  // BOLT-recurrence (Core Lightning): "if `invreq_recurrence_counter` is zero (initial request):
  // MUST reject the invoice request if there is a `invreq_recurrence_cancel` field"; a cancel
  // without any counter is invalid too (plugins/offers.c json_add_invreq_fields).
  if (f.invreqRecurrenceCancel) {
    if (f.invreqRecurrenceCounter === undefined) out.push(new Bolt12Error('INVALID_RECURRENCE', 'invreq_recurrence_cancel', 'invreq_recurrence_cancel is invalid without invreq_recurrence_counter'));
    else if (f.invreqRecurrenceCounter === 0) out.push(new Bolt12Error('INVALID_RECURRENCE', 'invreq_recurrence_cancel', 'invreq_recurrence_cancel is invalid with invreq_recurrence_counter zero'));
  }
  // - if `invreq_bip_353_name` is present: MUST reject if `name` or `domain` contain any bytes which
  //   are not `0`-`9`, `a`-`z`, `A`-`Z`, `-`, `_` or `.`.
  if (f.invreqBip353Name !== undefined) {
    if (!BIP353_CHARS.test(f.invreqBip353Name.name)) out.push(new Bolt12Error('INVALID_BIP353_NAME', 'invreq_bip_353_name.name', 'name contains bytes outside 0-9 a-z A-Z - _ .'));
    if (!BIP353_CHARS.test(f.invreqBip353Name.domain)) out.push(new Bolt12Error('INVALID_BIP353_NAME', 'invreq_bip_353_name.domain', 'domain contains bytes outside 0-9 a-z A-Z - _ .'));
  }
  return out;
}

/**
 * The signature rule: "MUST reject the invoice request if `signature` is not correct … using the
 * `invreq_payer_id`". Requests answering an offer must be signed; refunds may be (Core Lightning
 * signs them, LDK does not), and a signature present must verify.
 */
export function invreqSignatureIssue(f: Bolt12Fields, records: readonly Bolt12Record[], required: boolean): Bolt12Error | undefined {
  if (f.signature === undefined) {
    if (f.invreqPayerId !== undefined) {
      const bad = signingKeyIssue(f.invreqPayerId, 'invreq_payer_id');
      if (bad) return bad;
    }
    return required ? new Bolt12Error('MISSING_SIGNATURE', 'signature', 'an invoice_request answering an offer must be signed') : undefined;
  }
  if (f.invreqPayerId === undefined) return undefined; // already reported as MISSING_PAYER_ID
  // x-only: verification lifts the key's x coordinate, which checks it is on the curve.
  if (!verifyRecords('invoice_request', records, f.invreqPayerId.subarray(1), f.signature)) {
    return signingKeyIssue(f.invreqPayerId, 'invreq_payer_id') ?? new Bolt12Error('INVALID_SIGNATURE', 'signature', 'not a valid signature by invreq_payer_id');
  }
  return undefined;
}
