// Pure helpers over invoice records: input checks, status derivation, and Core Lightning's
// listinvoices rendering. No I/O here, so every backend shares the same rules.
import { sha256 } from '../crypto/index.ts';
import { bytesEqual, toHex } from '../util/bytes.ts';
import { invalid } from './errors.ts';
import type { InvoiceRecord, InvoiceStatus, ListFilter, NewInvoice } from './types.ts';

/** 21 million bitcoin in millisatoshis: no amount can be larger. */
export const MAX_MSAT = 2_100_000_000_000_000_000n;

/**
 * Status at time `now` (whole seconds). CLN wallet/invoices.c expired_ids() expires an unpaid
 * invoice once `expiry_time <= now`, so it is `expired` at exactly `expiresAt`.
 */
export function deriveStatus(stored: InvoiceStatus, expiresAt: number, now: number): InvoiceStatus {
  if (stored === 'paid') return 'paid';
  if (stored === 'expired' || expiresAt <= now) return 'expired';
  return 'unpaid';
}

// Strings are stored as UTF-8: a lone surrogate would be stored as U+FFFD and no longer match
// the label it came from, and NUL is refused so no tool that reads C strings truncates a label.
export function checkText(field: string, v: unknown, opts: { allowEmpty?: boolean } = {}): string {
  if (typeof v !== 'string') throw invalid(field, 'should be a string');
  if (!opts.allowEmpty && v.length === 0) throw invalid(field, 'should not be empty');
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v)) throw invalid(field, 'should be well-formed Unicode');
  if (v.includes('\u0000')) throw invalid(field, 'should not contain NUL');
  return v;
}

export function checkLabel(label: unknown): string {
  return checkText('label', label);
}

export function checkBytes32(field: string, v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== 32) throw invalid(field, 'should be 32 bytes');
  return v;
}

export function checkMsat(field: string, v: unknown): bigint {
  if (typeof v !== 'bigint') throw invalid(field, 'should be a bigint of millisatoshis');
  if (v < 0n) throw invalid(field, 'should not be negative');
  if (v > MAX_MSAT) throw invalid(field, 'exceeds 21 million bitcoin');
  return v;
}

export function checkSeconds(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(field, 'should be a non-negative integer of seconds');
  return v;
}

export function checkIndexValue(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(field, 'should be a non-negative integer');
  return v;
}

const OFFER_ID = /^[0-9a-f]{64}$/;

/** Checks a NewInvoice field by field; returns a copy holding only the known fields. */
export function checkNewInvoice(inv: NewInvoice): NewInvoice {
  if (typeof inv !== 'object' || inv === null) throw invalid('invoice', 'should be an object');
  const label = checkLabel(inv.label);
  const bolt12 = checkText('bolt12', inv.bolt12);
  const description = inv.description === undefined ? undefined : checkText('description', inv.description, { allowEmpty: true });
  const paymentHash = checkBytes32('paymentHash', inv.paymentHash);
  const paymentPreimage = checkBytes32('paymentPreimage', inv.paymentPreimage);
  if (!bytesEqual(sha256(paymentPreimage), paymentHash)) throw invalid('paymentPreimage', 'should hash (SHA256) to paymentHash');
  const amountMsat = inv.amountMsat === null ? null : checkMsat('amountMsat', inv.amountMsat);
  const expiresAt = checkSeconds('expiresAt', inv.expiresAt);
  const invreqRef = inv.invreqRef === undefined ? undefined : checkText('invreqRef', inv.invreqRef);
  let localOfferId: string | undefined;
  if (inv.localOfferId !== undefined) {
    if (typeof inv.localOfferId !== 'string' || !OFFER_ID.test(inv.localOfferId)) throw invalid('localOfferId', 'should be 64 lower-case hex characters');
    localOfferId = inv.localOfferId;
  }
  return {
    label,
    bolt12,
    paymentHash: new Uint8Array(paymentHash),
    paymentPreimage: new Uint8Array(paymentPreimage),
    amountMsat,
    expiresAt,
    ...(description !== undefined && { description }),
    ...(invreqRef !== undefined && { invreqRef }),
    ...(localOfferId !== undefined && { localOfferId }),
  };
}

/**
 * CLN's canonical form of an invoice string (common/bolt11.c to_canonical_invstr: drop a
 * `lightning:` prefix, lower-case), plus BOLT 12's rule that a reader removes `+` followed by
 * optional whitespace ("bech32 string ... may be split with `+`").
 */
export function canonicalInvstring(s: string): string {
  let v = s.trim();
  if (/^lightning:/i.test(v)) v = v.slice('lightning:'.length);
  return v.replace(/\+\s*/g, '').toLowerCase();
}

/** A msat amount as a JSON integer: a number when exact, otherwise a bigint (the serializer must print its digits). */
export function msatJson(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The record as one entry of Core Lightning's listinvoices, in the order lightningd/invoice.c
 * json_add_invoice_fields() writes it. As there, `pay_index`, `amount_received_msat`, `paid_at`
 * and `payment_preimage` appear only when paid (the preimage is the proof of payment: it is not
 * shown before), and `updated_index` only once the invoice has changed.
 */
export function toClnJson(r: InvoiceRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { label: r.label, bolt12: r.bolt12, payment_hash: toHex(r.paymentHash) };
  if (r.amountMsat !== null) out.amount_msat = msatJson(r.amountMsat);
  out.status = r.status;
  if (r.status === 'paid') {
    out.pay_index = r.payIndex;
    out.amount_received_msat = msatJson(r.amountReceivedMsat ?? 0n);
    out.paid_at = r.paidAt;
    out.payment_preimage = toHex(r.paymentPreimage);
  }
  if (r.description !== null) out.description = r.description;
  out.expires_at = r.expiresAt;
  if (r.localOfferId !== null) out.local_offer_id = r.localOfferId;
  out.created_index = r.createdIndex;
  if (r.updatedIndex !== null) out.updated_index = r.updatedIndex;
  return out;
}

/** Checks a list filter field by field (names as the RPC spells them where they differ). */
export function checkListFilter(f: ListFilter): ListFilter {
  if (typeof f !== 'object' || f === null) throw invalid('filter', 'should be an object');
  const out: ListFilter = {};
  if (f.label !== undefined) out.label = checkLabel(f.label);
  if (f.paymentHash !== undefined) out.paymentHash = checkBytes32('paymentHash', f.paymentHash);
  if (f.invstring !== undefined) out.invstring = checkText('invstring', f.invstring);
  if (f.localOfferId !== undefined) {
    if (typeof f.localOfferId !== 'string') throw invalid('offer_id', 'should be a string');
    out.localOfferId = f.localOfferId.toLowerCase();
  }
  if (f.index !== undefined) {
    if (f.index !== 'created' && f.index !== 'updated') throw invalid('index', 'should be one of created, updated');
    out.index = f.index;
  }
  if (f.start !== undefined) out.start = checkIndexValue('start', f.start);
  if (f.limit !== undefined) {
    checkIndexValue('limit', f.limit);
    if (f.limit > 0xffffffff) throw invalid('limit', 'should fit in 32 bits');
    out.limit = f.limit;
  }
  return out;
}
