// Any BOLT 12 string, by its prefix: `lno1` offer, `lnr1` invoice request (answering an offer) or
// refund (no offer fields), `lni1` invoice. `decodeBolt12String` applies every reader requirement;
// `inspectBolt12String` parses what is parseable and lists the broken requirements instead of
// throwing (what a `decode` command shows).
import { Bolt12Error } from './errors.ts';
import { Invoice, invoiceIssues } from './invoice.ts';
import { InvoiceRequest, invoiceRequestIssues } from './invoice-request.ts';
import { isOfferResponse } from './invreq-rules.ts';
import { parseMessage, type Bolt12ReadOptions, type ParsedMessage } from './message.ts';
import { Offer, offerIssues } from './offer.ts';
import { Refund, refundIssues } from './refund.ts';
import { decodeBolt12StringData, type Bolt12Prefix } from './string.ts';

/** A decoded BOLT 12 string. */
export type Bolt12Decoded =
  | { type: 'offer'; offer: Offer }
  | { type: 'invoice_request'; invoiceRequest: InvoiceRequest }
  | { type: 'refund'; refund: Refund }
  | { type: 'invoice'; invoice: Invoice };

export type Bolt12Kind = Bolt12Decoded['type'];

/** A structurally valid string, with the requirements it breaks (none when valid). */
export interface Bolt12Inspection {
  type: Bolt12Kind;
  prefix: Bolt12Prefix;
  parsed: ParsedMessage;
  issues: Bolt12Error[];
}

/** Strip a `lightning:` URI scheme (either case), as BOLT 11 recommends and wallets send. */
export function stripLightningScheme(s: string): string {
  return /^lightning:/i.test(s) ? s.slice('lightning:'.length) : s;
}

/**
 * Parse a BOLT 12 string and check it, collecting broken requirements rather than throwing.
 * Throws `Bolt12Error` only when the string cannot be parsed at all (string form, TLV stream,
 * field encodings, unknown even types, types out of range).
 */
export function inspectBolt12String(s: string, opts: Bolt12ReadOptions = {}): Bolt12Inspection {
  const { prefix, bytes } = decodeBolt12StringData(s, ['lno', 'lnr', 'lni']);
  if (prefix === 'lno') {
    const parsed = parseMessage('offer', bytes);
    return { type: 'offer', prefix, parsed, issues: offerIssues(parsed.fields, opts) };
  }
  if (prefix === 'lnr') {
    const parsed = parseMessage('invoice_request', bytes);
    if (isOfferResponse(parsed.fields)) return { type: 'invoice_request', prefix, parsed, issues: invoiceRequestIssues(parsed, opts) };
    return { type: 'refund', prefix, parsed, issues: refundIssues(parsed, opts) };
  }
  const parsed = parseMessage('invoice', bytes);
  return { type: 'invoice', prefix: 'lni', parsed, issues: invoiceIssues(parsed, opts) };
}

/** Decode any BOLT 12 string with every reader requirement applied. Throws `Bolt12Error`. */
export function decodeBolt12String(s: string, opts: Bolt12ReadOptions = {}): Bolt12Decoded {
  const i = inspectBolt12String(s, opts);
  if (i.issues.length > 0) throw i.issues[0]!;
  switch (i.type) {
    case 'offer':
      return { type: 'offer', offer: new Offer(i.parsed) };
    case 'invoice_request':
      return { type: 'invoice_request', invoiceRequest: new InvoiceRequest(i.parsed) };
    case 'refund':
      return { type: 'refund', refund: new Refund(i.parsed) };
    case 'invoice':
      return { type: 'invoice', invoice: new Invoice(i.parsed) };
  }
}
