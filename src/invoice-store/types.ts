// The invoice store's public types: what an invoice record is, what callers may ask of a store.
// Storage-agnostic on purpose: nothing here names SQLite, so a PostgreSQL backend can implement
// `InvoiceStore` without touching callers. Field meanings follow Core Lightning's listinvoices
// (doc/schemas/listinvoices.json) and lightning-sendinvoice(7).

/** `unpaid` until paid; `expired` from `expiresAt` on (by the injected clock) unless paid before. */
export type InvoiceStatus = 'unpaid' | 'paid' | 'expired';

export const INVOICE_STATUSES: readonly InvoiceStatus[] = ['unpaid', 'paid', 'expired'];

/** What a caller (sendinvoice) hands the store to create an invoice. */
export interface NewInvoice {
  /** Unique label (CLN: "unique label supplied at invoice creation"). */
  label: string;
  /** The BOLT12 invoice string (`lni1…`). */
  bolt12: string;
  /** Description used in the invoice, if any. */
  description?: string;
  /** SHA256 of `paymentPreimage`, 32 bytes, unique across the store. */
  paymentHash: Uint8Array;
  /** 32 bytes; the store checks that it hashes to `paymentHash`. */
  paymentPreimage: Uint8Array;
  /** The amount required to pay this invoice; null when any amount is accepted. */
  amountMsat: bigint | null;
  /** UNIX seconds from which the invoice is expired (status `expired` at exactly this second). */
  expiresAt: number;
  /** The refund (`lnr1…`) or offer id this invoice answers. */
  invreqRef?: string;
  /** CLN `local_offer_id`: the id (64 hex chars) of our own offer this invoice was issued for. */
  localOfferId?: string;
}

/** One invoice as the store holds it; absent values are `null`. */
export interface InvoiceRecord {
  label: string;
  bolt12: string;
  description: string | null;
  paymentHash: Uint8Array;
  paymentPreimage: Uint8Array;
  amountMsat: bigint | null;
  /** Derived from the clock at read time: an unpaid invoice is `expired` from `expiresAt` on. */
  status: InvoiceStatus;
  expiresAt: number;
  /** UNIX seconds the record was created (not part of CLN's listinvoices output). */
  createdAt: number;
  /** Unique, 1-based, +1 per newly paid invoice, never reused; set iff status is `paid`. */
  payIndex: number | null;
  /** What was actually received (may exceed `amountMsat`); set iff status is `paid`. */
  amountReceivedMsat: bigint | null;
  /** UNIX seconds of payment; set iff status is `paid`. */
  paidAt: number | null;
  /** CLN `created_index`: 1-based order of creation. */
  createdIndex: number;
  /** CLN `updated_index`: order of the last change (paid, expired, description removed); null if never changed. */
  updatedIndex: number | null;
  invreqRef: string | null;
  localOfferId: string | null;
}

/** Which index `list` ranges over and `wait` watches (CLN wait(7) index names). */
export type ListIndex = 'created' | 'updated';
export type WaitIndexName = 'created' | 'updated' | 'deleted';

export interface ListFilter {
  label?: string;
  paymentHash?: Uint8Array;
  /** A BOLT12 string; canonicalised as CLN does (`lightning:` prefix dropped, lower-cased, `+` joins removed). */
  invstring?: string;
  /** Only invoices issued for this local offer id (hex). */
  localOfferId?: string;
  /** Order and range by this index (default `created`). */
  index?: ListIndex;
  /** Smallest index value returned (with `index`). */
  start?: number;
  /** At most this many entries (with `index`). */
  limit?: number;
}

export interface MarkPaidOptions {
  /** UNIX seconds of payment; defaults to the injected clock. */
  paidAt?: number;
}

export interface MarkPaidResult {
  record: InvoiceRecord;
  /** False when the invoice was already paid: nothing changed (idempotent). */
  newlyPaid: boolean;
}

/** What one increment of a wait index was about (CLN wait(7), `invoices` object). */
export interface WaitDetails {
  status?: InvoiceStatus;
  label?: string;
  description?: string;
  bolt12?: string;
}

export interface WaitResult {
  indexname: WaitIndexName;
  /** The index's value that satisfied the wait. */
  value: number;
  /** Present when the wait was satisfied by an event (absent when it was already reached). */
  details?: WaitDetails;
}

export interface DeleteOptions {
  /** CLN `desconly`: keep the invoice, remove its description. */
  descriptionOnly?: boolean;
}

/**
 * A change in the store, told to {@link InvoiceStore.subscribe} listeners once it is durable (after
 * COMMIT, in commit order): an invoice created, paid or expired (by the sweep), or a payment we
 * made for one of our refunds settled (`complete` or `failed`).
 */
export type InvoiceStoreEvent =
  | { kind: 'invoice_created'; record: InvoiceRecord }
  | { kind: 'invoice_paid'; record: InvoiceRecord }
  | { kind: 'invoice_expired'; record: InvoiceRecord }
  | { kind: 'refund_payment'; payment: RefundPaymentRecord };

/** The durable invoice store. Every mutating call resolves only once its change is durable. */
export interface InvoiceStore {
  /**
   * Hear of every change once it is durable (optional for stores; SQLite has it). Listeners run
   * synchronously after the callers are answered; one that throws is ignored. Returns the
   * unsubscribe function.
   */
  subscribe?(listener: (e: InvoiceStoreEvent) => void): () => void;
  /**
   * Create an unpaid invoice; rejects with 900 `Duplicate label` / 901 on a reused payment hash.
   * `background`: the caller has work to do before it needs the answer (sendinvoice builds its
   * onion message): the commit is flushed to disk off the event loop meanwhile. Without it the
   * flush is made inline, which answers a lone writer sooner (waking a thread-pool thread and
   * being woken by it costs ~0.2 ms on a small VM).
   */
  create(inv: NewInvoice, opts?: { background?: boolean }): Promise<InvoiceRecord>;
  /** Mark the invoice with this payment hash paid; idempotent; refuses an expired one (reason `expired`). */
  markPaid(paymentHash: Uint8Array, amountReceivedMsat: bigint, opts?: MarkPaidOptions): Promise<MarkPaidResult>;
  get(label: string): InvoiceRecord | undefined;
  getByPaymentHash(paymentHash: Uint8Array): InvoiceRecord | undefined;
  list(filter?: ListFilter): InvoiceRecord[];
  /** Delete (or with `descriptionOnly`, strip the description of) the invoice if its status is `status`. */
  delete(label: string, status: InvoiceStatus, opts?: DeleteOptions): Promise<InvoiceRecord>;
  /** Resolves with the record once it is paid or expired (at once if it already is). */
  waitInvoice(label: string, signal?: AbortSignal): Promise<InvoiceRecord>;
  /** The paid invoice with the smallest `payIndex` above `lastpayIndex` (default 0), waiting for one if needed. */
  waitAnyInvoice(lastpayIndex?: number, timeoutSeconds?: number, signal?: AbortSignal): Promise<InvoiceRecord>;
  /** Resolves once the index reaches `nextvalue`. */
  wait(indexname: WaitIndexName, nextvalue: number, signal?: AbortSignal): Promise<WaitResult>;
  /** Current values of the created/updated/deleted indexes and the last pay_index. */
  indexes(): { created: number; updated: number; deleted: number; payIndex: number };
  /** Re-check the clock now: expire due invoices (waking waiters) and time out due waits. */
  tick(): Promise<void>;
  /** Commit what is queued, reject pending waiters with reason `closed`, release the database. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Refunds we issued (BOLT 12 invoice_requests without an offer, `lnr1…`), Core Lightning's
// `invoicerequest` / `listinvoicerequests` / `disableinvoicerequest`, and what was paid against
// them. Same database as the invoices, so a payment and its bookkeeping commit together.

/** What `invoicerequest` hands the store. */
export interface NewInvoiceRequest {
  /** CLN's invreq_id: SHA256 of the request's fields in 0–159 and 1000000000–2999999999. */
  invreqId: Uint8Array;
  /** The `lnr1…` string. */
  bolt12: string;
  label?: string;
  /** `invreq_amount`: what we will pay, msat (> 0). */
  amountMsat: bigint;
  /** `offer_absolute_expiry`, when the refund has one. */
  absoluteExpiry?: number;
  /** Paid at most once (CLN's default). */
  singleUse: boolean;
}

export interface InvoiceRequestRecord {
  invreqId: Uint8Array;
  bolt12: string;
  label: string | null;
  amountMsat: bigint;
  absoluteExpiry: number | null;
  singleUse: boolean;
  /** Invoices for it are still accepted (not disabled, not a used single-use refund). */
  active: boolean;
  /** An invoice for it has been paid. */
  used: boolean;
  createdAt: number;
}

export type RefundPaymentStatus = 'pending' | 'complete' | 'failed';

/** One invoice we took on to pay for one of our refunds. */
export interface RefundPaymentRecord {
  invreqId: Uint8Array;
  paymentHash: Uint8Array;
  /** The `lni1…` invoice. */
  invoice: string;
  amountMsat: bigint;
  status: RefundPaymentStatus;
  /** Proof of payment, once `complete`. */
  paymentPreimage: Uint8Array | null;
  /** Why it failed, once `failed`. */
  failure: string | null;
  createdAt: number;
  completedAt: number | null;
}

export interface BeginRefundPayment {
  invreqId: Uint8Array;
  paymentHash: Uint8Array;
  invoice: string;
  amountMsat: bigint;
}

/**
 * `started`: the payment is recorded as pending, go ahead and pay. `duplicate`: this very invoice
 * (same payment hash) was taken on before, whatever became of it: do not pay it again.
 */
export type BeginRefundPaymentResult = { outcome: 'started'; payment: RefundPaymentRecord } | { outcome: 'duplicate'; payment: RefundPaymentRecord };

export type FinishRefundPayment = { paymentPreimage: Uint8Array } | { failure: string };

/** The refunds half of the store. Every mutating call resolves once its change is durable. */
export interface RefundStore {
  /** Record a refund we issued; rejects `duplicate_invreq` if the id exists. */
  createInvoiceRequest(r: NewInvoiceRequest): Promise<InvoiceRequestRecord>;
  getInvoiceRequest(invreqId: Uint8Array): InvoiceRequestRecord | undefined;
  /** In creation order; `activeOnly` drops inactive ones. */
  listInvoiceRequests(opts?: { activeOnly?: boolean }): InvoiceRequestRecord[];
  /** CLN disableinvoicerequest: `not_found` (-1 "Unknown invoice_request"), `already_disabled` (1001). */
  disableInvoiceRequest(invreqId: Uint8Array): Promise<InvoiceRequestRecord>;
  /**
   * Take on an invoice for a refund, atomically: refused with `not_found`, `inactive` (disabled or
   * single-use and used), `in_flight` (single-use with another payment pending: its outcome is
   * not known yet, possibly since before a restart), or reported `duplicate`.
   */
  beginRefundPayment(p: BeginRefundPayment): Promise<BeginRefundPaymentResult>;
  /** Settle a pending payment: complete (marks the refund used; a single-use one inactive) or failed. */
  finishRefundPayment(paymentHash: Uint8Array, outcome: FinishRefundPayment): Promise<RefundPaymentRecord>;
  getRefundPayment(paymentHash: Uint8Array): RefundPaymentRecord | undefined;
  listRefundPayments(invreqId?: Uint8Array): RefundPaymentRecord[];
  /**
   * The payments still `pending`, oldest first: being paid now, or left so by a crash during the
   * payment (their outcome is for the payment backend or the operator to tell: finishRefundPayment).
   */
  listPendingRefundPayments(): RefundPaymentRecord[];
}
