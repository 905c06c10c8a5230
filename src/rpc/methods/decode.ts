// `decode`: show what a BOLT 12 string (offer `lno1`, invoice request or refund `lnr1`, invoice
// `lni1`) says, with Core Lightning's output shape (plugins/offers.c json_add_offer,
// json_add_invoice_request, json_add_b12_invoice; doc/schemas/decode.json): `type`, the fields by
// their spec names, `offer_id` where CLN gives it, `valid`, `unknown_*_tlvs`, and a `warning_*`
// field for each reader requirement the string breaks, instead of an error, when it still parses.
// A string that does not parse is a JSON-RPC error naming what is wrong.
//
// Differences from CLN, on purpose: refunds (`lnr1` without offer fields) may be unsigned (BOLT 12
// says their writer "MUST NOT include `signature`"; LDK writes them so) and are valid then; CLN
// warns `warning_missing_invoice_request_signature`. Semantic problems CLN refuses outright
// (e.g. an offer with an amount and no description) are shown as warnings with `valid: false`.
import {
  Bolt12Error,
  BITCOIN_CHAIN,
  currencyMinorUnit,
  fallbackAddressString,
  inspectBolt12String,
  offerIdOf,
  stripLightningScheme,
  type BlindedPath,
  type BlindedPayInfo,
  type Bolt12Fields,
  type Bolt12Inspection,
  type Bolt12Record,
  type Recurrence,
} from '../../bolt12/index.ts';
import { toHex } from '../../util/bytes.ts';
import { scidToString } from '../../wire/scid.ts';
import { paramString } from '../params.ts';
import { defineMethod, INVALID_PARAMS, RpcError } from '../types.ts';

type Json = Record<string, unknown>;

/** Core Lightning's messages for the warnings it defines (plugins/offers.c). */
const CLN_TEXT: Record<string, string> = {
  warning_missing_offer_description: 'description is required if offer_amount is set (for the user to know what it was they paid for)',
  warning_missing_offer_issuer_id: 'offers without an issuer_id or paths are invalid',
  warning_missing_invreq_metadata: 'invreq_metadata required',
  warning_missing_invreq_payer_id: 'invreq_payer_id required',
  warning_missing_invoice_request_signature: 'Missing signature',
  warning_invalid_invoice_request_signature: 'Bad signature',
  warning_missing_invoice_paths: 'invoices without a invoice_paths are invalid',
  warning_missing_invoice_blindedpay: 'invoices with paths without blindedpay are invalid',
  warning_missing_invoice_created_at: 'invoices without created_at are invalid',
  warning_missing_invoice_payment_hash: 'invoices without a payment_hash are invalid',
  warning_missing_invoice_amount: 'invoices without an amount are invalid',
  warning_missing_invoice_node_id: 'invoices without an invoice_node_id are invalid',
  warning_missing_invoice_signature: 'Missing signature',
  warning_invalid_invoice_signature: 'Bad signature',
  warning_invreq_bip_353_name_name_invalid: 'bip353 name field contains invalid characters',
  warning_invreq_bip_353_name_domain_invalid: 'bip353 domain field contains invalid characters',
  warning_invreq_recurrence_cancel_without_counter: 'invreq_recurrence_cancel is invalid without invreq_recurrence_counter',
  warning_invreq_recurrence_cancel_with_zero_counter: 'invreq_recurrence_cancel is invalid with invreq_recurrence_counter zero',
  warning_missing_invoice_recurrence_basetime: 'recurring invoices without a recurrence_basetime are invalid',
};

/** The adjective CLN's warning names use for each reason. */
const WARNING_KIND: Partial<Record<Bolt12Error['code'], string>> = {
  MISSING_DESCRIPTION: 'missing',
  MISSING_ISSUER_ID: 'missing',
  MISSING_PAYER_METADATA: 'missing',
  MISSING_PAYER_ID: 'missing',
  MISSING_AMOUNT: 'missing',
  MISSING_QUANTITY: 'missing',
  MISSING_CREATED_AT: 'missing',
  MISSING_PAYMENT_HASH: 'missing',
  MISSING_NODE_ID: 'missing',
  MISSING_PATHS: 'missing',
  MISSING_BLINDEDPAY: 'missing',
  MISSING_SIGNATURE: 'missing',
  CURRENCY_WITHOUT_AMOUNT: 'missing',
  INVALID_AMOUNT: 'invalid',
  INVALID_QUANTITY: 'invalid',
  INVALID_NODE_ID: 'invalid',
  INVALID_SIGNATURE: 'invalid',
  BLINDEDPAY_MISMATCH: 'invalid',
  AMOUNT_MISMATCH: 'invalid',
  UNKNOWN_REQUIRED_FEATURE: 'unknown',
  UNEXPECTED_QUANTITY: 'unexpected',
  UNEXPECTED_FIELD: 'unexpected',
  INSUFFICIENT_AMOUNT: 'insufficient',
  EMPTY_CHAINS: 'empty',
  UNSUPPORTED_CHAIN: 'unsupported',
  NO_USABLE_PATHS: 'unusable',
  EXPIRED: 'expired',
  INVALID_RECURRENCE: 'invalid',
  MISSING_RECURRENCE_BASETIME: 'missing',
};

/** The `warning_*` name CLN uses (or would use) for a broken requirement. */
export function warningName(e: Bolt12Error, stream: 'offer' | 'invoice_request' | 'invoice'): string {
  if (e.code === 'INVALID_BIP353_NAME') return e.field.endsWith('.domain') ? 'warning_invreq_bip_353_name_domain_invalid' : 'warning_invreq_bip_353_name_name_invalid';
  if (e.field === 'invreq_recurrence_cancel') return /zero/.test(e.detail) ? 'warning_invreq_recurrence_cancel_with_zero_counter' : 'warning_invreq_recurrence_cancel_without_counter';
  let field = e.field.replace(/[[.].*$/, '');
  if (e.code === 'CURRENCY_WITHOUT_AMOUNT') field = 'offer_amount';
  if (field === 'signature') field = `${stream}_signature`;
  return `warning_${WARNING_KIND[e.code] ?? 'invalid'}_${field}`;
}

const hex = toHex;

function blindedPathsJson(paths: readonly BlindedPath[], payinfo?: readonly BlindedPayInfo[]): Json[] {
  return paths.map((p, i) => {
    const o: Json = {};
    if (p.introductionNode.kind === 'pubkey') o.first_node_id = hex(p.introductionNode.nodeId);
    else {
      o.first_scid = scidToString(p.introductionNode.scid);
      o.first_scid_dir = p.introductionNode.direction;
    }
    o.first_path_key = hex(p.firstPathKey);
    const pi = payinfo?.[i];
    if (pi) {
      o.payinfo = {
        fee_base_msat: BigInt(pi.feeBaseMsat),
        fee_proportional_millionths: pi.feeProportionalMillionths,
        cltv_expiry_delta: pi.cltvExpiryDelta,
        htlc_minimum_msat: pi.htlcMinimumMsat,
        htlc_maximum_msat: pi.htlcMaximumMsat,
        features: hex(pi.features),
      };
    }
    o.path = p.hops.map((h) => ({ blinded_node_id: hex(h.blindedNodeId), encrypted_recipient_data: hex(h.encryptedRecipientData) }));
    return o;
  });
}

/** json_add_offer_fields. */
function offerFieldsJson(o: Json, f: Bolt12Fields): void {
  if (f.offerChains !== undefined) o.offer_chains = f.offerChains.map(hex);
  if (f.offerMetadata !== undefined) o.offer_metadata = hex(f.offerMetadata);
  if (f.offerCurrency !== undefined) {
    o.offer_currency = f.offerCurrency;
    if (f.offerAmount !== undefined) o.offer_amount = f.offerAmount;
    const minor = currencyMinorUnit(f.offerCurrency);
    // Informational, as in CLN: an unknown code does not make the offer invalid.
    if (minor !== undefined) o.currency_minor_unit = minor;
    else o.warning_unknown_offer_currency = 'unknown currency code';
  } else if (f.offerAmount !== undefined) {
    o.offer_amount_msat = f.offerAmount;
  }
  if (f.offerDescription !== undefined) o.offer_description = f.offerDescription;
  if (f.offerIssuer !== undefined) o.offer_issuer = f.offerIssuer;
  if (f.offerFeatures !== undefined) o.offer_features = hex(f.offerFeatures);
  if (f.offerAbsoluteExpiry !== undefined) o.offer_absolute_expiry = f.offerAbsoluteExpiry;
  if (f.offerPaths !== undefined) o.offer_paths = blindedPathsJson(f.offerPaths);
  if (f.offerQuantityMax !== undefined) o.offer_quantity_max = f.offerQuantityMax;
  // CLN writes the compulsory field, then the optional one, under the same key (a duplicate JSON
  // key when both are present); here the compulsory one is shown, as CLN's offer_recurrence() reads.
  if (f.offerRecurrenceCompulsory !== undefined) o.offer_recurrence = recurrenceJson(f, f.offerRecurrenceCompulsory, true);
  else if (f.offerRecurrenceOptional !== undefined) o.offer_recurrence = recurrenceJson(f, f.offerRecurrenceOptional, false);
  if (f.offerIssuerId !== undefined) o.offer_issuer_id = hex(f.offerIssuerId);
}

/** BOLT-recurrence #12: "`time_unit` defining 0 (seconds), 1 (days), 2 (months)". */
const TIME_UNIT_NAMES = ['seconds', 'days', 'months'];

/** plugins/offers.c json_add_recurrence(). */
function recurrenceJson(f: Bolt12Fields, r: Recurrence, compulsory: boolean): Json {
  const o: Json = { compulsory_field: compulsory, time_unit: r.timeUnit };
  const name = TIME_UNIT_NAMES[r.timeUnit];
  if (name !== undefined) o.time_unit_name = name;
  o.period = r.period;
  if (f.offerRecurrenceBase !== undefined) {
    o.basetime = f.offerRecurrenceBase.basetime;
    if (f.offerRecurrenceBase.proportionalAmount) o.proportional_amount = true;
  }
  if (f.offerRecurrenceLimit !== undefined) o.limit = f.offerRecurrenceLimit;
  if (f.offerRecurrencePaywindow !== undefined) {
    o.paywindow = { seconds_before: f.offerRecurrencePaywindow.secondsBefore, seconds_after: f.offerRecurrencePaywindow.secondsAfter };
  }
  return o;
}

/** json_add_invreq_fields. */
function invreqFieldsJson(o: Json, f: Bolt12Fields): void {
  if (f.invreqMetadata !== undefined) o.invreq_metadata = hex(f.invreqMetadata);
  if (f.invreqPayerId !== undefined) o.invreq_payer_id = hex(f.invreqPayerId);
  if (f.invreqChain !== undefined) o.invreq_chain = hex(f.invreqChain);
  if (f.invreqAmount !== undefined) o.invreq_amount_msat = f.invreqAmount;
  if (f.invreqFeatures !== undefined) o.invreq_features = hex(f.invreqFeatures);
  if (f.invreqQuantity !== undefined) o.invreq_quantity = f.invreqQuantity;
  if (f.invreqPayerNote !== undefined) o.invreq_payer_note = f.invreqPayerNote;
  if (f.invreqPaths !== undefined) o.invreq_paths = blindedPathsJson(f.invreqPaths);
  if (f.invreqBip353Name !== undefined) o.invreq_bip_353_name = { name: f.invreqBip353Name.name, domain: f.invreqBip353Name.domain };
  if (f.invreqRecurrenceCounter !== undefined) {
    o.invreq_recurrence_counter = f.invreqRecurrenceCounter;
    if (f.invreqRecurrenceStart !== undefined) o.invreq_recurrence_start = f.invreqRecurrenceStart;
  }
  if (f.invreqRecurrenceCancel) o.invreq_recurrence_cancel = true;
}

/** json_add_invoice_fields. */
function invoiceFieldsJson(o: Json, f: Bolt12Fields): void {
  if (f.invoicePaths !== undefined) o.invoice_paths = blindedPathsJson(f.invoicePaths, f.invoiceBlindedpay);
  if (f.invoiceCreatedAt !== undefined) o.invoice_created_at = f.invoiceCreatedAt;
  // CLN always shows the expiry, 7200 when the field is absent.
  o.invoice_relative_expiry = f.invoiceRelativeExpiry ?? 7200;
  if (f.invoicePaymentHash !== undefined) o.invoice_payment_hash = hex(f.invoicePaymentHash);
  if (f.invoiceAmount !== undefined) o.invoice_amount_msat = f.invoiceAmount;
  if (f.invoiceFallbacks !== undefined) {
    // BOLT 12: readers "MUST ignore" fallbacks with version > 16, address < 2 or > 40 bytes, or not
    // meeting the version's requirements: shown with a warning, as CLN does (not invalidating).
    o.invoice_fallbacks = f.invoiceFallbacks.map((fb) => {
      const e: Json = { version: fb.version, hex: hex(fb.address) };
      if (fb.version > 16) e.warning_invalid_invoice_fallbacks_version = 'invoice fallback version > 16';
      else if (fb.address.length < 2 || fb.address.length > 40) e.warning_invalid_invoice_fallbacks_address = 'invoice fallback address bad length';
      else {
        const addr = fallbackAddressString(fb, f.invreqChain ?? BITCOIN_CHAIN);
        if (addr !== undefined) e.address = addr;
        else e.warning_invalid_invoice_fallbacks_address = 'invalid fallback address for this version';
      }
      return e;
    });
  }
  if (f.invoiceFeatures !== undefined) o.invoice_features = hex(f.invoiceFeatures);
  if (f.invoiceNodeId !== undefined) o.invoice_node_id = hex(f.invoiceNodeId);
  if (f.invoiceRecurrenceBasetime !== undefined) o.invoice_recurrence_basetime = f.invoiceRecurrenceBasetime;
}

function unknownJson(records: readonly Bolt12Record[]): Json[] {
  return records.map((r) => ({ type: r.type, length: r.value.length, value: hex(r.value) }));
}

/** CLN's `decode` object for an inspected BOLT 12 string. */
export function decodeJson(i: Bolt12Inspection): Json {
  const f = i.parsed.fields;
  const stream = i.parsed.stream;
  const o: Json = { type: i.type === 'offer' ? 'bolt12 offer' : i.type === 'invoice' ? 'bolt12 invoice' : 'bolt12 invoice_request' };
  // CLN: an offer always has an offer_id; a request or invoice when it has offer_issuer_id or offer_paths.
  if (i.type === 'offer' || f.offerIssuerId !== undefined || f.offerPaths !== undefined) o.offer_id = hex(offerIdOf(i.parsed.records));
  offerFieldsJson(o, f);
  if (stream !== 'offer') invreqFieldsJson(o, f);
  if (stream === 'invoice') invoiceFieldsJson(o, f);
  let signatureBad = false;
  for (const e of i.issues) {
    const name = warningName(e, stream);
    if (e.code === 'INVALID_SIGNATURE') signatureBad = true;
    if (o[name] === undefined) o[name] = CLN_TEXT[name] ?? e.detail;
  }
  // CLN shows the signature unless it is bad (then only the warning).
  if (f.signature !== undefined && !signatureBad) o.signature = hex(f.signature);
  if (i.parsed.unknown.length > 0) {
    o[stream === 'offer' ? 'unknown_offer_tlvs' : stream === 'invoice' ? 'unknown_invoice_tlvs' : 'unknown_invoice_request_tlvs'] = unknownJson(i.parsed.unknown);
  }
  o.valid = i.issues.length === 0;
  return o;
}

/** Longest string accepted: far above any offer or invoice that fits an onion message (~32 KiB → ~52 K chars). */
const MAX_STRING = 1 << 20;

/**
 * `decode`'s answer: `type` (`bolt12 offer`, `bolt12 invoice_request`, `bolt12 invoice`), `valid`,
 * the string's fields by their spec names (as Core Lightning shows them), and `warning_*` fields.
 */
export interface DecodeResult {
  type: string;
  valid: boolean;
  offer_id?: string;
  [field: string]: unknown;
}

export const decodeMethod = defineMethod<{ string: string }, DecodeResult, unknown>({
  name: 'decode',
  params: { string: 'required' },
  description: 'Decode a BOLT 12 offer (lno1), invoice request or refund (lnr1) or invoice (lni1) string.',
  handler(params) {
    const s = stripLightningScheme(paramString(params, 'string', { maxLength: MAX_STRING }));
    let inspection: Bolt12Inspection;
    try {
      inspection = inspectBolt12String(s);
    } catch (e) {
      if (e instanceof Bolt12Error) {
        throw new RpcError(INVALID_PARAMS, `string: ${e.message}`, { param: 'string', code: e.code, field: e.field });
      }
      throw e;
    }
    return decodeJson(inspection) as DecodeResult;
  },
});
