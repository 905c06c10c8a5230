// BOLT 12 — offers, invoice requests, refunds, invoices and invoice errors: the string form, the
// TLV codecs, merkle signatures, and every reader and writer requirement of
// ../../shared/bolts/12-offer-encoding.md. Pure: no I/O, no clock (pass `now`), no hidden randomness
// (pass a RandomSource).
//
// Reading (each throws a `Bolt12Error` whose `code` names the broken rule and `field` the field):
//   decodeOffer('lno1…', { now, chains })          → Offer
//   decodeInvoiceRequest('lnr1…', opts)            → InvoiceRequest (answers an offer; signature checked)
//   decodeRefund('lnr1…', opts)                    → Refund (no offer fields; signature checked if present)
//   decodeInvoice('lni1…', opts)                   → Invoice (signature checked)
//   decodeBolt12String(s, opts)                    → { type: 'offer' | 'invoice_request' | 'refund' | 'invoice', … }
//   inspectBolt12String(s, opts)                   → parsed fields + list of broken rules (for `decode`)
//   invoiceRequestFromBytes / invoiceFromBytes / offerFromBytes / refundFromBytes (onion payloads)
//   invoiceErrorFromBytes (= decodeInvoiceError)   → InvoiceError (spec form or LDK 0.1's length-prefixed form)
// Writing (builders refuse to build what a reader would reject):
//   new OfferBuilder({ issuerId, description, amountMsat, … }).build()                → Offer
//   new RefundBuilder({ nodeSecret, random, amountMsat, description, … }).build()     → Refund (unsigned unless `signed`)
//   new InvoiceRequestBuilder(offer, { nodeSecret | payerSecret, … }).build()         → InvoiceRequest
//   refund.respondWith({ paymentHash, createdAt, paths, blindedPay, … }).build(key)   → Invoice
//   invoiceRequest.respondWith({ … }).build(issuerSecret)                             → Invoice
//   InvoiceError.create({ error, erroneousField?, suggestedValue? })                  → InvoiceError
// Every parsed or built object keeps `bytes` (the exact TLV stream) and `records` beside its
// decoded fields; `toString()` gives the `lno1`/`lnr1`/`lni1` string.
export { Bolt12Error, Bolt12ErrorCode } from './errors.ts';
export { decodeBolt12StringData, encodeBolt12String, removeContinuations, BOLT12_PREFIXES, type Bolt12Prefix, type Bolt12StringData } from './string.ts';
export { parseRecords, joinRecords, makeRecord, type Bolt12Record } from './records.ts';
export {
  merkleRoot,
  signatureDigest,
  signRecords,
  verifyRecords,
  leafHash,
  nonceHasher,
  branchHash,
  isSignatureType,
  SIGNATURE_TYPE,
} from './merkle.ts';
export {
  TLV,
  tlvFieldName,
  encodeFields,
  type TlvFieldName,
  type Bolt12Fields,
  type BlindedPayInfo,
  type FallbackAddress,
  type Bip353Name,
  type Recurrence,
  type RecurrenceBase,
  type RecurrencePaywindow,
  type BlindedPath,
  type BlindedHop,
  type SciddirOrPubkey,
} from './fields.ts';
export {
  parseMessage,
  offerIdOf,
  BITCOIN_CHAIN,
  OFFER_RANGES,
  INVREQ_RANGES,
  INVOICE_RANGES,
  MIRRORED_RANGES,
  type Bolt12ReadOptions,
  type Bolt12Stream,
  type ParsedMessage,
} from './message.ts';
export { Offer, OfferBuilder, decodeOffer, offerFromBytes, offerIssues, recurrenceIssues, isRecurring, type OfferFields, type OfferParams, type ExtraRecord } from './offer.ts';
export {
  InvoiceRequest,
  InvoiceRequestBuilder,
  decodeInvoiceRequest,
  invoiceRequestFromBytes,
  invoiceRequestIssues,
  type InvoiceRequestParams,
} from './invoice-request.ts';
export { Refund, RefundBuilder, decodeRefund, refundFromBytes, refundIssues, type RefundParams } from './refund.ts';
export { Invoice, decodeInvoice, invoiceFromBytes, invoiceIssues, DEFAULT_RELATIVE_EXPIRY, type UsablePath, type InvoiceRequestLike } from './invoice.ts';
export { InvoiceBuilder, type InvoiceParams, type RespondableRequest } from './invoice-builder.ts';
export { InvoiceError, invoiceErrorFromBytes, decodeInvoiceError, INVOICE_ERROR_TLV, type InvoiceErrorParams } from './invoice-error.ts';
export { derivePayerKey, isOwnPayerKey, randomPayerMetadata, PAYER_METADATA_LENGTH, type PayerKey } from './payer-key.ts';
export { isOfferResponse } from './invreq-rules.ts';
export { decodeBolt12String, inspectBolt12String, stripLightningScheme, type Bolt12Decoded, type Bolt12Inspection, type Bolt12Kind } from './decode.ts';
export { currencyMinorUnit } from './iso4217.ts';
export { encodeSegwitAddress, fallbackAddressString, segwitHrp } from './segwit.ts';
