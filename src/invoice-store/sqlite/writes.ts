// The store's writes, each a function run inside a group-commit transaction. A write reads and
// changes rows, takes index values from `tx.counters`, and records what it did in `tx.events`
// (replayed to waiters only after COMMIT). Expected refusals throw InvoiceStoreError before or at
// the failing statement, so the batch rolls back that write alone. Modelled on CLN
// wallet/invoices.c: invoices_create(), invoices_resolve(), invoices_delete(),
// invoices_delete_description(), trigger_expiration().
import { toHex } from '../../util/bytes.ts';
import { CLN_CODES, InvoiceStoreError } from '../errors.ts';
import { deriveStatus } from '../record.ts';
import type { InvoiceRecord, InvoiceStatus, MarkPaidResult, NewInvoice, RefundPaymentRecord, WaitDetails, WaitIndexName } from '../types.ts';
import { rowToRecord, type Counters, type Statements } from './statements.ts';

/** What a write did, replayed to waiters after COMMIT. */
export type Event =
  | { kind: 'resolved'; record: InvoiceRecord }
  | { kind: 'paid'; record: InvoiceRecord }
  | { kind: 'deleted'; createdIndex: number }
  | { kind: 'index'; index: WaitIndexName; value: number; details: WaitDetails }
  /** For InvoiceStore.subscribe listeners only. */
  | { kind: 'created'; record: InvoiceRecord }
  | { kind: 'refund'; payment: RefundPaymentRecord };

/** The state one batch works on. */
export interface Tx {
  /** Whole seconds, read once when the batch starts. */
  now: number;
  counters: Counters;
  events: Event[];
  /** A row was deleted: store the counters in this transaction (see Statements.effectiveCounters). */
  storeCounters: boolean;
}

export type Write<T> = (tx: Tx) => T;

/** Insert an unpaid invoice (input already checked). */
export function createWrite(st: Statements, v: NewInvoice): Write<InvoiceRecord> {
  return (tx) => {
    const id = tx.counters.created + 1;
    try {
      st.insert.run(id, v.label, v.bolt12, v.description ?? null, v.paymentHash, v.paymentPreimage, v.amountMsat, tx.now, v.expiresAt, v.invreqRef ?? null, v.localOfferId ?? null);
    } catch (e) {
      throw uniqueViolation(e) ?? e;
    }
    tx.counters.created = id;
    // CLN invoice_index_created(): the created index, with status, label and the invoice string.
    tx.events.push({ kind: 'index', index: 'created', value: id, details: { status: 'unpaid', label: v.label, bolt12: v.bolt12 } });
    const record: InvoiceRecord = {
      label: v.label,
      bolt12: v.bolt12,
      description: v.description ?? null,
      paymentHash: v.paymentHash,
      paymentPreimage: v.paymentPreimage,
      amountMsat: v.amountMsat,
      status: deriveStatus('unpaid', v.expiresAt, tx.now),
      expiresAt: v.expiresAt,
      createdAt: tx.now,
      payIndex: null,
      amountReceivedMsat: null,
      paidAt: null,
      createdIndex: id,
      updatedIndex: null,
      invreqRef: v.invreqRef ?? null,
      localOfferId: v.localOfferId ?? null,
    };
    tx.events.push({ kind: 'created', record });
    return record;
  };
}

/** Mark paid by payment hash: idempotent, refuses an expired invoice. */
export function payWrite(st: Statements, hash: Uint8Array, amountReceivedMsat: bigint, paidAtOpt: number | undefined): Write<MarkPaidResult> {
  return (tx) => {
    const row = st.byHash.get(hash);
    // CLN invoice_check_payment(): "Unknown invoice %s".
    if (!row) throw new InvoiceStoreError('not_found', CLN_CODES.NOT_FOUND, `Unknown invoice ${toHex(hash)}`);
    const before = rowToRecord(row, tx.now);
    // A second payment changes nothing (CLN invoices_resolve() refuses state != UNPAID); the caller
    // learns it was already paid and gets the record as first paid.
    if (before.status === 'paid') return { record: before, newlyPaid: false };
    if (before.status === 'expired') {
      // CLN invoice_check_payment(): "Already paid or expired invoice" (an HTLC is failed).
      throw new InvoiceStoreError('expired', CLN_CODES.GENERIC, `Invoice '${before.label}' expired at ${before.expiresAt}: payment refused`, {
        label: before.label,
        expires_at: before.expiresAt,
      });
    }
    // CLN get_next_pay_index(): next_pay_index++, in the same transaction as the update.
    const payIndex = tx.counters.payIndex + 1;
    const updated = tx.counters.updated + 1;
    const paidAt = paidAtOpt ?? tx.now;
    const changes = st.setPaid.run(payIndex, amountReceivedMsat, paidAt, updated, row.id).changes;
    if (changes !== 1) throw new Error(`markPaid: expected 1 row changed, got ${changes}`);
    tx.counters.payIndex = payIndex;
    tx.counters.updated = updated;
    const record: InvoiceRecord = { ...before, status: 'paid', payIndex, amountReceivedMsat, paidAt, updatedIndex: updated };
    tx.events.push({ kind: 'resolved', record }, { kind: 'paid', record });
    tx.events.push({ kind: 'index', index: 'updated', value: updated, details: { status: 'paid', label: record.label } });
    return { record, newlyPaid: true };
  };
}

/** CLN json_delinvoice(): 905 "Unknown invoice", 906 "Invoice status is %s not %s", 908 with desconly. */
export function deleteWrite(st: Statements, label: string, status: InvoiceStatus, descriptionOnly: boolean): Write<InvoiceRecord> {
  return (tx) => {
    const row = st.byLabel.get(label);
    if (!row) throw new InvoiceStoreError('not_found', CLN_CODES.NOT_FOUND, 'Unknown invoice', { label });
    const rec = rowToRecord(row, tx.now);
    if (rec.status !== status) {
      throw new InvoiceStoreError('status_mismatch', CLN_CODES.STATUS_UNEXPECTED, `Invoice status is ${rec.status} not ${status}`, {
        current_status: rec.status,
        expected_status: status,
      });
    }
    if (descriptionOnly) {
      if (rec.description === null) throw new InvoiceStoreError('no_description', CLN_CODES.NO_DESCRIPTION, 'Invoice description already removed');
      const updated = tx.counters.updated + 1;
      st.clearDescription.run(updated, row.id);
      tx.counters.updated = updated;
      // CLN invoice_index_update_deldesc(): label and the removed description.
      tx.events.push({ kind: 'index', index: 'updated', value: updated, details: { label, description: rec.description } });
      return { ...rec, description: null, updatedIndex: updated };
    }
    st.remove.run(row.id);
    const deleted = tx.counters.deleted + 1;
    tx.counters.deleted = deleted;
    tx.storeCounters = true;
    // CLN invoice_index_deleted(): status, label, invoice string.
    tx.events.push({ kind: 'deleted', createdIndex: rec.createdIndex });
    tx.events.push({ kind: 'index', index: 'deleted', value: deleted, details: { status: rec.status, label, bolt12: rec.bolt12 } });
    return rec;
  };
}

/**
 * CLN trigger_expiration(): every unpaid invoice with expires_at <= now becomes `expired` with a new
 * updated_index, and its waitinvoice callers are told. Returns the next unpaid expiry (or null).
 */
export function expireWrite(st: Statements): Write<number | null> {
  return (tx) => {
    for (const row of st.dueUnpaid.all(tx.now)) {
      const updated = tx.counters.updated + 1;
      if (st.setExpired.run(updated, row.id).changes !== 1) continue;
      tx.counters.updated = updated;
      const record = rowToRecord({ ...row, state: 'expired', updated_index: BigInt(updated) }, tx.now);
      tx.events.push({ kind: 'resolved', record });
      tx.events.push({ kind: 'index', index: 'updated', value: updated, details: { status: 'expired', label: record.label } });
    }
    const m = st.minUnpaidExpiry.get()?.m ?? null;
    return m === null ? null : Number(m);
  };
}

/** A UNIQUE violation on label or payment_hash, as CLN reports it; the statement wrote nothing. */
function uniqueViolation(e: unknown): InvoiceStoreError | undefined {
  const code = (e as { code?: unknown }).code;
  const msg = e instanceof Error ? e.message : '';
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE') return undefined;
  // CLN lightningd/invoice.c fail_exists(): INVOICE_LABEL_ALREADY_EXISTS, "Duplicate label".
  if (msg.includes('invoices.label')) return new InvoiceStoreError('duplicate_label', CLN_CODES.LABEL_ALREADY_EXISTS, 'Duplicate label');
  // CLN invoice creation: INVOICE_PREIMAGE_ALREADY_EXISTS, "preimage already used".
  if (msg.includes('invoices.payment_hash')) return new InvoiceStoreError('duplicate_payment_hash', CLN_CODES.PREIMAGE_ALREADY_EXISTS, 'preimage already used');
  return undefined;
}
