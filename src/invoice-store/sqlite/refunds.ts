// The SQLite side of refunds we issued (table invoice_requests, schema version 2) and the
// payments we made against them (invoice_request_payments): statements prepared once, row ↔
// record mapping, and the writes, each run inside a group-commit transaction like the invoice
// writes (writes.ts). Modelled on CLN wallet/wallet.c wallet_invoice_request_create() /
// _find() / _disable() and its offer_status values (single/multiple use, used, disabled).
import type Database from 'better-sqlite3';
import { CLN_CODES, InvoiceStoreError } from '../errors.ts';
import type {
  BeginRefundPayment,
  BeginRefundPaymentResult,
  FinishRefundPayment,
  InvoiceRequestRecord,
  NewInvoiceRequest,
  RefundPaymentRecord,
  RefundPaymentStatus,
} from '../types.ts';
import type { Db } from './schema.ts';
import type { Write } from './writes.ts';

interface InvreqRow {
  invreq_id: Uint8Array;
  bolt12: string;
  label: string | null;
  amount_msat: bigint;
  absolute_expiry: bigint | null;
  single_use: bigint;
  active: bigint;
  used: bigint;
  created_at: bigint;
}

interface PaymentRow {
  invreq_id: Uint8Array;
  payment_hash: Uint8Array;
  invoice: string;
  amount_msat: bigint;
  status: RefundPaymentStatus;
  payment_preimage: Uint8Array | null;
  failure: string | null;
  created_at: bigint;
  completed_at: bigint | null;
}

const INVREQ_COLUMNS = 'invreq_id, bolt12, label, amount_msat, absolute_expiry, single_use, active, used, created_at';
const PAYMENT_COLUMNS = 'invreq_id, payment_hash, invoice, amount_msat, status, payment_preimage, failure, created_at, completed_at';

const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

function invreqRecord(r: InvreqRow): InvoiceRequestRecord {
  return {
    invreqId: copy(r.invreq_id),
    bolt12: r.bolt12,
    label: r.label,
    amountMsat: r.amount_msat,
    absoluteExpiry: r.absolute_expiry === null ? null : Number(r.absolute_expiry),
    singleUse: r.single_use === 1n,
    active: r.active === 1n,
    used: r.used === 1n,
    createdAt: Number(r.created_at),
  };
}

function paymentRecord(r: PaymentRow): RefundPaymentRecord {
  return {
    invreqId: copy(r.invreq_id),
    paymentHash: copy(r.payment_hash),
    invoice: r.invoice,
    amountMsat: r.amount_msat,
    status: r.status,
    paymentPreimage: r.payment_preimage === null ? null : copy(r.payment_preimage),
    failure: r.failure,
    createdAt: Number(r.created_at),
    completedAt: r.completed_at === null ? null : Number(r.completed_at),
  };
}

export class RefundStatements {
  readonly insertInvreq: Database.Statement;
  readonly invreqById: Database.Statement<[Uint8Array], InvreqRow>;
  readonly allInvreqs: Database.Statement<[], InvreqRow>;
  readonly activeInvreqs: Database.Statement<[], InvreqRow>;
  readonly setInvreqFlags: Database.Statement;
  readonly insertPayment: Database.Statement;
  readonly paymentByHash: Database.Statement<[Uint8Array], PaymentRow>;
  readonly unsettledOrPaid: Database.Statement<[Uint8Array], PaymentRow>;
  readonly paymentsOf: Database.Statement<[Uint8Array], PaymentRow>;
  readonly allPayments: Database.Statement<[], PaymentRow>;
  readonly pendingPayments: Database.Statement<[], PaymentRow>;
  readonly settlePayment: Database.Statement;

  constructor(db: Db) {
    this.insertInvreq = db.prepare(
      `INSERT INTO invoice_requests (invreq_id, bolt12, label, amount_msat, absolute_expiry, single_use, active, used, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?)`,
    );
    this.invreqById = db.prepare<[Uint8Array], InvreqRow>(`SELECT ${INVREQ_COLUMNS} FROM invoice_requests WHERE invreq_id = ?`).safeIntegers(true);
    this.allInvreqs = db.prepare<[], InvreqRow>(`SELECT ${INVREQ_COLUMNS} FROM invoice_requests ORDER BY id`).safeIntegers(true);
    this.activeInvreqs = db.prepare<[], InvreqRow>(`SELECT ${INVREQ_COLUMNS} FROM invoice_requests WHERE active = 1 ORDER BY id`).safeIntegers(true);
    this.setInvreqFlags = db.prepare(`UPDATE invoice_requests SET active = ?, used = ? WHERE invreq_id = ?`);
    this.insertPayment = db.prepare(
      `INSERT INTO invoice_request_payments (invreq_id, payment_hash, invoice, amount_msat, status, created_at) VALUES (?, ?, ?, ?, 'pending', ?)`,
    );
    this.paymentByHash = db.prepare<[Uint8Array], PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM invoice_request_payments WHERE payment_hash = ?`).safeIntegers(true);
    this.unsettledOrPaid = db
      .prepare<[Uint8Array], PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM invoice_request_payments WHERE invreq_id = ? AND status IN ('pending', 'complete') ORDER BY id LIMIT 1`)
      .safeIntegers(true);
    this.paymentsOf = db.prepare<[Uint8Array], PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM invoice_request_payments WHERE invreq_id = ? ORDER BY id`).safeIntegers(true);
    this.allPayments = db.prepare<[], PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM invoice_request_payments ORDER BY id`).safeIntegers(true);
    // Few rows are pending at any time (those being paid, and those a crash left behind); no index
    // on status, the scan stays in SQLite.
    this.pendingPayments = db.prepare<[], PaymentRow>(`SELECT ${PAYMENT_COLUMNS} FROM invoice_request_payments WHERE status = 'pending' ORDER BY id`).safeIntegers(true);
    this.settlePayment = db.prepare(
      `UPDATE invoice_request_payments SET status = ?, payment_preimage = ?, failure = ?, completed_at = ? WHERE payment_hash = ? AND status = 'pending'`,
    );
  }

  getInvreq(id: Uint8Array): InvoiceRequestRecord | undefined {
    const r = this.invreqById.get(id);
    return r && invreqRecord(r);
  }

  listInvreqs(activeOnly: boolean): InvoiceRequestRecord[] {
    return (activeOnly ? this.activeInvreqs : this.allInvreqs).all().map(invreqRecord);
  }

  getPayment(hash: Uint8Array): RefundPaymentRecord | undefined {
    const r = this.paymentByHash.get(hash);
    return r && paymentRecord(r);
  }

  listPayments(invreqId?: Uint8Array): RefundPaymentRecord[] {
    return (invreqId === undefined ? this.allPayments.all() : this.paymentsOf.all(invreqId)).map(paymentRecord);
  }

  listPendingPayments(): RefundPaymentRecord[] {
    return this.pendingPayments.all().map(paymentRecord);
  }
}

function unknownInvreq(): InvoiceStoreError {
  // CLN json_disableinvoicerequest(): LIGHTNINGD, "Unknown invoice_request".
  return new InvoiceStoreError('not_found', CLN_CODES.GENERIC, 'Unknown invoice_request');
}

export function createInvreqWrite(st: RefundStatements, r: NewInvoiceRequest): Write<InvoiceRequestRecord> {
  return (tx) => {
    try {
      st.insertInvreq.run(r.invreqId, r.bolt12, r.label ?? null, r.amountMsat, r.absoluteExpiry ?? null, r.singleUse ? 1 : 0, tx.now);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new InvoiceStoreError('duplicate_invreq', CLN_CODES.GENERIC, 'Could not create invoice_request! (an invoice_request with this invreq_id exists)');
      }
      throw e;
    }
    return st.getInvreq(r.invreqId)!;
  };
}

export function disableInvreqWrite(st: RefundStatements, id: Uint8Array): Write<InvoiceRequestRecord> {
  return () => {
    const rec = st.getInvreq(id);
    if (!rec) throw unknownInvreq();
    // CLN: OFFER_ALREADY_DISABLED, "invoice_request is not active".
    if (!rec.active) throw new InvoiceStoreError('already_disabled', CLN_CODES.OFFER_ALREADY_DISABLED, 'invoice_request is not active');
    st.setInvreqFlags.run(0, rec.used ? 1 : 0, id);
    return { ...rec, active: false };
  };
}

export function beginRefundPaymentWrite(st: RefundStatements, p: BeginRefundPayment): Write<BeginRefundPaymentResult> {
  return (tx) => {
    const prior = st.getPayment(p.paymentHash);
    if (prior) return { outcome: 'duplicate', payment: prior };
    const rec = st.getInvreq(p.invreqId);
    if (!rec) throw unknownInvreq();
    if (!rec.active) {
      throw new InvoiceStoreError('inactive', CLN_CODES.GENERIC, rec.used ? 'invoice_request already used' : 'invoice_request no longer available');
    }
    if (rec.singleUse) {
      // Checked in the same transaction as the insert below: two invoices racing for one
      // single-use refund cannot both start.
      const other = st.unsettledOrPaid.get(p.invreqId);
      if (other) {
        const why = other.status === 'complete' ? 'invoice_request already used' : 'another invoice for this single-use invoice_request is being paid';
        throw new InvoiceStoreError(other.status === 'complete' ? 'inactive' : 'in_flight', CLN_CODES.GENERIC, why);
      }
    }
    st.insertPayment.run(p.invreqId, p.paymentHash, p.invoice, p.amountMsat, tx.now);
    return { outcome: 'started', payment: st.getPayment(p.paymentHash)! };
  };
}

export function finishRefundPaymentWrite(st: RefundStatements, hash: Uint8Array, outcome: FinishRefundPayment): Write<RefundPaymentRecord> {
  return (tx) => {
    const pay = st.getPayment(hash);
    if (!pay) throw new InvoiceStoreError('not_found', CLN_CODES.GENERIC, 'Unknown refund payment');
    if (pay.status !== 'pending') {
      throw new InvoiceStoreError('status_mismatch', CLN_CODES.GENERIC, `refund payment is ${pay.status}, not pending`, { current_status: pay.status });
    }
    if ('paymentPreimage' in outcome) {
      st.settlePayment.run('complete', outcome.paymentPreimage, null, tx.now, hash);
      const rec = st.getInvreq(pay.invreqId)!;
      // Single-use: used and inactive from now on (CLN OFFER_SINGLE_USE_USED); multi-use: used, still active.
      st.setInvreqFlags.run(rec.singleUse ? 0 : rec.active ? 1 : 0, 1, pay.invreqId);
    } else {
      st.settlePayment.run('failed', null, outcome.failure.slice(0, 1000), tx.now, hash);
    }
    const payment = st.getPayment(hash)!;
    tx.events.push({ kind: 'refund', payment });
    return payment;
  };
}
