// The issuer side of refunds: what Core Lightning (`invoicerequest`) and LDK
// (`create_refund_builder`) do as the payer of a refund. We publish an `lnr1` invoice_request
// without offer ("an offer to send money"), the user answers with an invoice (their
// `sendinvoice`), and we check it against every BOLT 12 reader rule, pay it through the payment
// backend, or answer with an `invoice_error` over the invoice's reply path.
//
//   invoicerequest amount description [issuer] [label] [absolute_expiry] [single_use] [signed]
//   listinvoicerequests [invreq_id] [active_only]
//   disableinvoicerequest invreq_id
//
// Decisions:
//   - `invreq_paths`: one blinded path to us (we are the introduction node, dummy hops pad it to 4
//     hops as the messenger does); its `path_id` binds the refund's `invreq_metadata`, so an
//     invoice is accepted only if it came over the path of its own refund (BOLT 12: "if
//     `invreq_paths` is present: MUST reject the invoice if it did not arrive via one of those
//     paths"). The path expires with the refund.
//   - `invreq_payer_id`: a key derived from the node secret and `invreq_metadata` (bolt12's
//     derivePayerKey), not our node id (Core Lightning uses its node id): refunds are not linkable
//     to us or to each other, and we can still sign them.
//   - Signed by default: Core Lightning's sendinvoice refuses unsigned refunds. LDK 0.1 refuses
//     signed ones (and BOLT 12 says the writer "MUST NOT include `signature`"): `signed: false`.
//   - Single-use refunds are paid at most once: the store takes an invoice on (pending) before
//     the payment starts, in the same transaction that checks no other invoice for it is pending
//     or paid, so neither concurrent invoices nor a restart can pay it twice.
//   - invoice_error is written in the spec's form; LDK 0.1 reads only its own length-prefixed
//     form (`lengthPrefixedInvoiceErrors: true` writes that, for LDK 0.1 peers).
//   - Every answer is observable. Refusals (before an invoice is taken on: nothing paid, nothing
//     recorded) go to `onAnswered` listeners with their reason; payments taken on are told by the
//     store's `refund_payment` events once they settle (durably). A resent copy of an invoice taken
//     on is neither answered nor told.
//   - A crash during `payments.pay` leaves the payment `pending`, which keeps a single-use refund
//     `in_flight`. At start-up each pending payment is looked up with the payment backend
//     (`PaymentBackend.lookup`) and settled when it can tell; what it cannot tell stays pending,
//     shows in listinvoicerequests (`pending_payments`), and the operator settles it with
//     `resolveinvoicerequestpayment` (a preimage that matches the payment hash proves payment).
import { sha256, type RandomSource } from './crypto/index.ts';
import {
  Bolt12Error,
  encodeBolt12String,
  InvoiceError,
  invoiceFromBytes,
  MIRRORED_RANGES,
  parseMessage,
  RefundBuilder,
  TLV,
  type Bolt12Record,
  type Invoice,
  type TlvFieldName,
} from './bolt12/index.ts';
import { InvoiceStoreError, type InvoiceRequestRecord, type InvoiceStore, type RefundPaymentRecord, type RefundStore } from './invoice-store/index.ts';
import { OnionMessageSendError, type OnionMessenger, type ReceivedOnionMessage } from './onion-message/index.ts';
import { PaymentError, type PaymentBackend, type PaymentLookup } from './payments/index.ts';
import type { OnionRouteFinder } from './sendinvoice.ts';
import { unixSeconds, type Clock } from './util/clock.ts';
import type { Logger } from './util/log.ts';
import { bytesEqual, concatBytes, toHex } from './util/bytes.ts';
import { Writer } from './wire/codec.ts';
import { CHAIN_HASH, type Network } from './wire/chains.ts';

/** Most invoices for our refunds handled at once (each may hold a payment attempt). */
const MAX_IN_FLIGHT = 1000;

/** How long a start-up lookup of one pending payment may take before it counts as `unknown`. */
const LOOKUP_TIMEOUT_MS = 30_000;

/** Core Lightning's pay codes (common/jsonrpc_errors.h), as its delpay answers them. */
export const PAY_IN_PROGRESS = 200;
export const PAY_NO_SUCH_PAYMENT = 208;
export const PAY_STATUS_UNEXPECTED = 211;

/** The `path_id` purpose of our refunds' paths. */
export const REFUND_PATH_PURPOSE = 'invreq';

export class InvoiceRequestError extends Error {
  override readonly name = 'InvoiceRequestError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface CreateInvoiceRequestParams {
  /** `invreq_amount`: what we will pay, msat (> 0). */
  amountMsat: bigint;
  /** `offer_description`: "a complete description of the purpose of the payment". */
  description: string;
  /** `offer_issuer`. */
  issuer?: string;
  /** For us only (listinvoicerequests shows it). */
  label?: string;
  /** `offer_absolute_expiry`, seconds since the epoch. */
  absoluteExpiry?: number;
  /** Pay at most one invoice (default true, as Core Lightning). */
  singleUse?: boolean;
  /** Sign it (default true: Core Lightning's sendinvoice needs it; LDK 0.1 needs `false`). */
  signed?: boolean;
}

export interface InvoiceRequestOptions {
  /** Write invoice_errors in LDK 0.1's length-prefixed form (default false: the spec's form). */
  lengthPrefixedInvoiceErrors: boolean;
}

export interface InvoiceRequestDeps {
  nodeSecret: Uint8Array;
  nodeId: Uint8Array;
  network: Network;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  messenger: OnionMessenger;
  store: InvoiceStore & RefundStore;
  payments: PaymentBackend;
  /** To reach the introduction node of an invoice's reply path. */
  router: OnionRouteFinder;
  options?: Partial<InvoiceRequestOptions>;
}

/**
 * What became of invoices that arrived for our refunds (counters for getinfo and tests). Each
 * invoice received is counted once more, when it is done with, in exactly one of `refused` (one
 * `onAnswered` refusal each), `duplicates`, `paid` or `paymentFailed` (one store `refund_payment`
 * event each): received = Σ refused + duplicates + paid + paymentFailed + those in hand.
 */
export interface InvoiceRequestStats {
  received: number;
  /** Taken on and paid. */
  paid: number;
  /** Taken on, and the payment failed (answered with an invoice_error too). */
  paymentFailed: number;
  /** Refused before being taken on (with an invoice_error, or silently without a reply path), by reason. */
  refused: Record<string, number>;
  /** A copy of an invoice already taken on (resends): ignored. */
  duplicates: number;
  invoiceErrorsSent: number;
  /** Payments found pending at start-up and settled from the payment backend's answer. */
  reconciled: number;
  /** Pending payments settled by the operator (resolveinvoicerequestpayment). */
  resolved: number;
}

/**
 * An invoice for one of our refunds refused before it was taken on: nothing was paid or
 * recorded. The invoice's own fields are there when it parsed far enough to know them.
 */
export interface InvoiceRequestRefused {
  outcome: 'refused';
  /**
   * Why, for programs: `no_backend` (the backend cannot pay), `amount_mismatch`, `wrong_path` (not
   * over the refund's own path), `unknown_invoice_request`, `not_for_refund`, `inactive` (disabled,
   * or single-use and used), `in_flight` (single-use with another payment pending),
   * `expired_invoice_request`, `recurring`, a reader rule's code in lower case (`bad_signature`,
   * `missing_field`, `expired`…: an invalid invoice), `busy` (too many in hand: dropped unanswered),
   * `internal`.
   */
  reason: string;
  /** The invoice_error's `error` text (also when none could be sent). */
  error: string;
  /** The invoice_error's `erroneous_field` (a TLV type), when it names one. */
  erroneousField?: bigint;
  /** The invoice_error's `suggested_value`, when it has one. */
  suggestedValue?: Uint8Array;
  /** Whether an invoice_error went out over the invoice's reply path (not without one, nor when unreachable). */
  invoiceErrorSent: boolean;
  /** The refund the invoice answers (from its mirrored fields; for `unknown_invoice_request` it names none of ours). */
  invreqId?: Uint8Array;
  paymentHash?: Uint8Array;
  /** The invoice (`lni1…`), when its bytes were a TLV stream. */
  invoice?: string;
  amountMsat?: bigint;
}

/** What `onAnswered` listeners hear (paid and failed payments are the store's `refund_payment` events). */
export type InvoiceRequestAnswer = InvoiceRequestRefused;

/** A payment taken on whose outcome is not recorded yet. */
export interface PendingRefundPayment extends RefundPaymentRecord {
  /** This process is paying it now (false: left by a crash, and the backend could not tell). */
  inProgress: boolean;
}

/** How the operator settles a pending payment. */
export type ResolvePaymentOutcome = { status: 'complete'; paymentPreimage: Uint8Array } | { status: 'failed'; failure?: string };

/** CLN's invreq_id: SHA256 of the fields in 0–159 and 1000000000–2999999999 (an invoice's copy gives the same). */
export function invreqIdOf(records: readonly Bolt12Record[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const r of records) if (MIRRORED_RANGES.some(([lo, hi]) => r.type >= lo && r.type <= hi)) parts.push(r.raw);
  return sha256(concatBytes(...parts));
}

/** Core Lightning's experimental recurrence fields (wire/bolt12_wire.csv). */
const RECURRENCE_TYPES: ReadonlySet<bigint> = new Set([1_000_000_024n, 1_000_000_025n, 1_000_000_026n, 1_000_000_027n, 1_000_000_029n, 2_000_000_092n, 2_000_000_093n, 2_000_000_094n, 3_000_000_177n]);

/** A refusal: the invoice_error we answer with. */
class Refusal {
  constructor(
    readonly reason: string,
    readonly error: string,
    readonly erroneousField?: bigint,
    readonly suggestedValue?: Uint8Array,
  ) {}
}

/** Promise `p`, or `fallback` after `ms` or once `signal` aborts. */
function within<T>(p: Promise<T>, ms: number, signal: AbortSignal, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
    timer.unref?.();
    onAbort = () => resolve(fallback);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p, late]).finally(() => {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
  });
}

export class InvoiceRequestService {
  private readonly o: InvoiceRequestOptions;
  private readonly log: Logger;
  private readonly chain: Uint8Array;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly counters: InvoiceRequestStats = { received: 0, paid: 0, paymentFailed: 0, refused: {}, duplicates: 0, invoiceErrorsSent: 0, reconciled: 0, resolved: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  /** Payment hashes (hex) this process is paying now. */
  private readonly paying = new Set<string>();
  private readonly listeners = new Set<(a: InvoiceRequestAnswer) => void>();
  private closed = false;
  /** Aborted by close(): start-up lookups stop waiting for the backend. */
  private readonly closing = new AbortController();
  /**
   * Resolves when the payments found pending at start-up have been looked up with the payment
   * backend (and settled where it could tell). Never rejects. Invoices wait for it.
   */
  readonly reconciled: Promise<void>;

  constructor(private readonly d: InvoiceRequestDeps) {
    this.o = { lengthPrefixedInvoiceErrors: false, ...(d.options ?? {}) };
    this.log = d.logger.child('invoicerequest');
    this.chain = CHAIN_HASH[d.network];
    this.unsubscribe.push(d.messenger.onMessage(66n, (m) => this.track(this.onInvoice(m, true)), { purpose: REFUND_PATH_PURPOSE }));
    // An invoice that did not come over one of our refund paths: BOLT 12 "MUST reject the invoice
    // if it did not arrive via one of those paths" (ours always have paths). Answered, as Core
    // Lightning does, with "Unknown invoice_request".
    this.unsubscribe.push(d.messenger.onMessage(66n, (m) => this.track(this.onInvoice(m, false))));
    this.reconciled = this.reconcile();
    this.track(this.reconciled);
  }

  /** Hear every refusal (see {@link InvoiceRequestRefused}); returns the unsubscribe function. */
  onAnswered(listener: (a: InvoiceRequestAnswer) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  // -------------------------------------------------------------------------------------------
  // invoicerequest / listinvoicerequests / disableinvoicerequest

  async create(p: CreateInvoiceRequestParams): Promise<InvoiceRequestRecord> {
    if (this.closed) throw new InvoiceRequestError(-1, 'node is stopping');
    if (typeof p.amountMsat !== 'bigint' || p.amountMsat <= 0n) throw new InvoiceRequestError(-32602, 'amount: should be a positive amount', { param: 'amount' });
    if (typeof p.description !== 'string') throw new InvoiceRequestError(-32602, 'description: is required', { param: 'description' });
    const now = unixSeconds(this.d.clock);
    if (p.absoluteExpiry !== undefined && (!Number.isSafeInteger(p.absoluteExpiry) || p.absoluteExpiry <= now)) {
      throw new InvoiceRequestError(-32602, `absolute_expiry: should be a time in the future (seconds since 1970; now is ${now})`, { param: 'absolute_expiry' });
    }
    // - MUST set `invreq_metadata` to an unpredictable series of bytes.
    const metadata = this.d.random(16);
    // - MUST set `invreq_paths` as it would set (or not set) `offer_paths` for an offer: a path to
    //   us, bound to this refund's metadata, expiring with the refund.
    const path = this.d.messenger.createReplyPath(metadata, { purpose: REFUND_PATH_PURPOSE, ...(p.absoluteExpiry !== undefined ? { expiresAt: p.absoluteExpiry } : {}) });
    let refund;
    try {
      refund = new RefundBuilder({
        nodeSecret: this.d.nodeSecret,
        random: this.d.random,
        metadata,
        amountMsat: p.amountMsat,
        description: p.description,
        ...(p.issuer !== undefined ? { issuer: p.issuer } : {}),
        ...(p.absoluteExpiry !== undefined ? { absoluteExpiry: p.absoluteExpiry } : {}),
        // - if the chain for the invoice is not solely bitcoin: MUST specify `invreq_chain`.
        chain: this.chain,
        paths: [path],
        signed: p.signed ?? true,
      }).build();
    } catch (e) {
      if (e instanceof Bolt12Error) throw new InvoiceRequestError(-32602, `cannot make this refund: ${e.message}`);
      throw e;
    }
    try {
      return await this.d.store.createInvoiceRequest({
        invreqId: invreqIdOf(refund.records),
        bolt12: refund.toString(),
        ...(p.label !== undefined ? { label: p.label } : {}),
        amountMsat: p.amountMsat,
        ...(p.absoluteExpiry !== undefined ? { absoluteExpiry: p.absoluteExpiry } : {}),
        singleUse: p.singleUse ?? true,
      });
    } catch (e) {
      if (e instanceof InvoiceStoreError) throw new InvoiceRequestError(e.code, e.message, e.data);
      throw e;
    }
  }

  list(opts: { invreqId?: Uint8Array; activeOnly?: boolean } = {}): InvoiceRequestRecord[] {
    if (opts.invreqId !== undefined) {
      const r = this.d.store.getInvoiceRequest(opts.invreqId);
      return r && (r.active || !opts.activeOnly) ? [r] : [];
    }
    return this.d.store.listInvoiceRequests({ activeOnly: opts.activeOnly === true });
  }

  async disable(invreqId: Uint8Array): Promise<InvoiceRequestRecord> {
    try {
      return await this.d.store.disableInvoiceRequest(invreqId);
    } catch (e) {
      if (e instanceof InvoiceStoreError) throw new InvoiceRequestError(e.code, e.message, e.data);
      throw e;
    }
  }

  stats(): InvoiceRequestStats {
    return { ...this.counters, refused: { ...this.counters.refused } };
  }

  /** Payments taken on whose outcome is not recorded yet, oldest first. */
  pendingPayments(): PendingRefundPayment[] {
    return this.d.store.listPendingRefundPayments().map((p) => ({ ...p, inProgress: this.paying.has(toHex(p.paymentHash)) }));
  }

  /**
   * Settle a pending payment the payment backend could not (the operator's
   * resolveinvoicerequestpayment): `complete` with the preimage, which must hash to the payment
   * hash (proof of payment; the refund is then used), or `failed` (a single-use refund takes
   * another invoice again). Codes as Core Lightning's delpay: 208 unknown payment_hash, 211 not
   * pending, 200 being paid by this process now, -32602 a preimage that does not match.
   */
  async resolvePayment(paymentHash: Uint8Array, outcome: ResolvePaymentOutcome): Promise<RefundPaymentRecord> {
    if (this.closed) throw new InvoiceRequestError(-1, 'node is stopping');
    await this.reconciled;
    const hex = toHex(paymentHash);
    const p = this.d.store.getRefundPayment(paymentHash);
    if (!p) throw new InvoiceRequestError(PAY_NO_SUCH_PAYMENT, `Unknown payment with payment_hash: ${hex}`);
    if (p.status !== 'pending') {
      throw new InvoiceRequestError(PAY_STATUS_UNEXPECTED, `Payment with hash ${hex} has ${p.status} status but it should be pending`, { current_status: p.status, expected_status: 'pending' });
    }
    if (this.paying.has(hex)) throw new InvoiceRequestError(PAY_IN_PROGRESS, `Payment with hash ${hex} is being made by this node now: its outcome is recorded when the payment backend answers`);
    if (outcome.status === 'complete' && !bytesEqual(sha256(outcome.paymentPreimage), paymentHash)) {
      throw new InvoiceRequestError(-32602, 'payment_preimage: does not match payment_hash (SHA256(payment_preimage) must equal it)', { param: 'payment_preimage' });
    }
    let done: RefundPaymentRecord;
    try {
      done = await this.d.store.finishRefundPayment(
        paymentHash,
        outcome.status === 'complete' ? { paymentPreimage: outcome.paymentPreimage } : { failure: outcome.failure ?? 'Marked failed by the operator (resolveinvoicerequestpayment)' },
      );
    } catch (e) {
      if (e instanceof InvoiceStoreError && e.reason === 'status_mismatch') {
        throw new InvoiceRequestError(PAY_STATUS_UNEXPECTED, `Payment with hash ${hex} has ${String(e.data?.['current_status'])} status but it should be pending`, e.data);
      }
      if (e instanceof InvoiceStoreError) throw new InvoiceRequestError(e.code, e.message, e.data);
      throw e;
    }
    this.counters.resolved++;
    this.log.info(`payment ${hex} for invoice_request ${toHex(p.invreqId)} resolved by the operator as ${done.status}`);
    return done;
  }

  /** Stop taking invoices; resolves when those being handled are done. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    for (const u of this.unsubscribe.splice(0)) u();
    await Promise.allSettled([...this.inFlight]);
  }

  // -------------------------------------------------------------------------------------------
  // Invoices for our refunds

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    if (this.inFlight.size > MAX_IN_FLIGHT) this.log.warn(`${this.inFlight.size} invoices for our refunds being handled at once`);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async onInvoice(m: ReceivedOnionMessage, viaOurPath: boolean): Promise<void> {
    if (this.closed) return;
    this.counters.received++;
    // Bounded: each one holds a payment attempt; beyond the bound, new ones are dropped
    // (onion messages are unreliable: the sender resends).
    if (this.inFlight.size > MAX_IN_FLIGHT) {
      this.counters.refused['busy'] = (this.counters.refused['busy'] ?? 0) + 1;
      this.tell(m, new Refusal('busy', 'Too many invoices in hand: dropped unanswered'), undefined, false);
      return;
    }
    // Payments a crash left pending are settled first (a single-use refund may be free again).
    await this.reconciled;
    let invoice: Invoice | undefined;
    /** Set once the store took the invoice on: what follows is a payment outcome, not a refusal. */
    let takenOn = false;
    try {
      const checked = this.check(m, viaOurPath);
      invoice = checked.invoice;
      const rec = checked.rec;
      // Nothing can be paid (backend `none`): refuse at once, without taking the invoice on.
      if (!this.d.payments.canPay) {
        const why = await this.d.payments.pay(invoice).then(
          () => 'Cannot pay',
          (e: unknown) => (e instanceof PaymentError ? e.message : String(e)),
        );
        throw new Refusal('no_backend', why);
      }
      let begun;
      try {
        begun = await this.d.store.beginRefundPayment({ invreqId: rec.invreqId, paymentHash: invoice.invoicePaymentHash, invoice: invoice.toString(), amountMsat: invoice.invoiceAmount });
      } catch (e) {
        if (e instanceof InvoiceStoreError && (e.reason === 'inactive' || e.reason === 'in_flight' || e.reason === 'not_found')) throw new Refusal(e.reason, e.message);
        throw e;
      }
      if (begun.outcome === 'duplicate') {
        // A resent copy of an invoice we already took on: nothing to do (the first copy's answer stands).
        this.counters.duplicates++;
        return;
      }
      takenOn = true;
      const hex = toHex(invoice.invoicePaymentHash);
      this.paying.add(hex);
      this.log.info(`paying ${invoice.invoiceAmount} msat for invoice_request ${toHex(rec.invreqId)}`);
      let preimage: Uint8Array;
      try {
        preimage = (await this.d.payments.pay(invoice)).paymentPreimage;
      } catch (e) {
        const why = e instanceof PaymentError ? e.message : `payment failed: ${(e as Error).message}`;
        await this.d.store.finishRefundPayment(invoice.invoicePaymentHash, { failure: why }).catch((x: unknown) => this.log.error(`cannot record a failed payment: ${(x as Error).message}`));
        throw new Refusal(e instanceof PaymentError ? e.reason : 'payment_failed', why);
      } finally {
        this.paying.delete(hex);
      }
      try {
        await this.d.store.finishRefundPayment(invoice.invoicePaymentHash, { paymentPreimage: preimage });
      } catch (e) {
        // Paid, but not recorded: no invoice_error (the money moved). The payment stays pending:
        // the next start-up asks the backend, or the operator resolves it.
        this.log.error(`paid invoice ${hex} but cannot record it: ${(e as Error).message}`);
        this.counters.paid++;
        return;
      }
      this.counters.paid++;
      this.log.info(`paid invoice ${hex} for invoice_request ${toHex(rec.invreqId)}`);
    } catch (e) {
      if (e === DUPLICATE) {
        this.counters.duplicates++;
        return;
      }
      if (!(e instanceof Refusal)) {
        this.log.error(`invoice for a refund: ${(e as Error)?.stack ?? String(e)}`);
        e = new Refusal('internal', 'Internal error');
      }
      const r = e as Refusal;
      if (takenOn) this.counters.paymentFailed++;
      else this.counters.refused[r.reason] = (this.counters.refused[r.reason] ?? 0) + 1;
      this.log.debug(`refused an invoice (${r.reason}): ${r.error}`);
      const sent = await this.answer(m, r);
      // A payment taken on that failed is told by the store (refund_payment, failed).
      if (!takenOn) this.tell(m, r, invoice, sent);
    }
  }

  /** A refusal to the onAnswered listeners, with what is known of the invoice. */
  private tell(m: ReceivedOnionMessage, r: Refusal, invoice: Invoice | undefined, sent: boolean): void {
    if (this.listeners.size === 0) return;
    // (Not parsed when busy: dropping must stay cheap.)
    const about = invoice
      ? { invoice: invoice.toString(), paymentHash: invoice.invoicePaymentHash, amountMsat: invoice.invoiceAmount, invreqId: invreqIdOf(invoice.records) }
      : r.reason === 'busy'
        ? {}
        : roughly(m.contents.value);
    const a: InvoiceRequestRefused = {
      outcome: 'refused',
      reason: r.reason,
      error: r.error,
      ...(r.erroneousField !== undefined ? { erroneousField: r.erroneousField } : {}),
      ...(r.erroneousField !== undefined && r.suggestedValue !== undefined ? { suggestedValue: r.suggestedValue } : {}),
      invoiceErrorSent: sent,
      ...about,
    };
    for (const l of [...this.listeners]) {
      try {
        l(a);
      } catch (e) {
        this.log.error(`an onAnswered listener threw: ${(e as Error)?.stack ?? String(e)}`);
      }
    }
  }

  /**
   * Start-up: every payment still pending was being paid when the node stopped (or crashed). Ask
   * the payment backend how each ended and record what it can tell; the rest stays pending for
   * the operator (resolveinvoicerequestpayment), and keeps a single-use refund `in_flight`.
   */
  private async reconcile(): Promise<void> {
    let pending: RefundPaymentRecord[];
    try {
      pending = this.d.store.listPendingRefundPayments();
    } catch (e) {
      this.log.error(`cannot list pending refund payments: ${(e as Error).message}`);
      return;
    }
    if (pending.length === 0) return;
    // The first await: the constructor has returned (listeners of the store are wired) before any settles.
    await Promise.resolve();
    const backend = this.d.payments;
    this.log.info(`${pending.length} refund payment(s) pending since before this start: asking payment backend ${backend.name}`);
    for (const p of pending) {
      const hex = toHex(p.paymentHash);
      let found: PaymentLookup = { status: 'unknown', why: `payment backend ${backend.name} cannot look payments up` };
      if (backend.lookup) {
        try {
          found = await within(backend.lookup(p.paymentHash), LOOKUP_TIMEOUT_MS, this.closing.signal, { status: 'unknown', why: `payment backend ${backend.name} did not answer within ${LOOKUP_TIMEOUT_MS / 1000} s` });
        } catch (e) {
          found = { status: 'unknown', why: `payment backend ${backend.name} failed to look it up: ${(e as Error)?.message ?? String(e)}` };
        }
      }
      if (this.closed) return;
      if (found.status === 'complete' && !bytesEqual(sha256(found.paymentPreimage), p.paymentHash)) {
        this.log.error(`payment backend ${backend.name} gave a preimage for ${hex} that does not match it: left pending`);
        found = { status: 'unknown', why: 'the backend gave a preimage that does not match the payment hash' };
      }
      if (found.status === 'unknown') {
        this.log.warn(
          `refund payment ${hex} (invoice_request ${toHex(p.invreqId)}, ${p.amountMsat} msat) is pending since ${p.createdAt} and ${found.why}: ` +
            `resolve it with resolveinvoicerequestpayment ${hex} complete <payment_preimage> | failed`,
        );
        continue;
      }
      try {
        await this.d.store.finishRefundPayment(p.paymentHash, found.status === 'complete' ? { paymentPreimage: found.paymentPreimage } : { failure: found.failure });
        this.counters.reconciled++;
        this.log.info(`refund payment ${hex} found pending at start-up: ${found.status} (payment backend ${backend.name})`);
      } catch (e) {
        // Settled meanwhile (the operator), or the store is closing.
        this.log.warn(`cannot settle refund payment ${hex} found pending at start-up: ${(e as Error).message}`);
      }
    }
  }

  /** Every BOLT 12 reader rule for an invoice answering one of our refunds; throws a Refusal. */
  private check(m: ReceivedOnionMessage, viaOurPath: boolean): { invoice: Invoice; rec: InvoiceRequestRecord } {
    const now = unixSeconds(this.d.clock);
    let invoice: Invoice;
    try {
      // The reader's requirements: amount, created_at, payment_hash, node_id present; chain
      // supported; no unknown even features; not expired; paths and blindedpay consistent and
      // usable; signature by invoice_node_id.
      invoice = invoiceFromBytes(m.contents.value, { now, chains: [this.chain] });
    } catch (e) {
      if (!(e instanceof Bolt12Error)) throw e;
      if (e.code === 'UNKNOWN_EVEN_TYPE' && RECURRENCE_TYPES.has(typeOfField(e.field) ?? -1n)) throw recurring();
      if (e.code === 'AMOUNT_MISMATCH') {
        // - if `invreq_amount` is present: MUST reject the invoice if `invoice_amount` is not equal
        //   to `invreq_amount`. Say which amount would do.
        const want = amountAsked(m.contents.value);
        if (want !== undefined) throw new Refusal('amount_mismatch', `invoice_amount must be ${want} msat, the invoice_request's amount`, TLV.invoice_amount, new Writer(8).tu(want).finish());
      }
      throw new Refusal(e.code.toLowerCase(), `Invalid invoice: ${e.message}`, typeOfField(e.field));
    }
    if (invoice.records.some((r) => RECURRENCE_TYPES.has(r.type))) throw recurring();
    // Only refunds here: an invoice for an offer is not ours to pay this way.
    if (!invoice.isForRefund) throw new Refusal('not_for_refund', 'Unknown invoice_request: this invoice answers an offer');
    // - if the invoice is a response to an invoice_request: MUST reject the invoice if all fields in
    //   ranges 0 to 159 and 1000000000 to 2999999999 do not exactly match the invoice request.
    //   (The invreq_id hashes exactly those fields: finding it means they match.)
    const id = invreqIdOf(invoice.records);
    const rec = this.d.store.getInvoiceRequest(id);
    // CLN: "Unknown invoice_request <id>" — also for the wrong path, so that nobody learns which
    // refunds are ours by sending invoices outside their paths.
    if (!rec) throw new Refusal('unknown_invoice_request', `Unknown invoice_request ${toHex(id)}`);
    // - if `invreq_paths` is present: MUST reject the invoice if it did not arrive via one of those
    //   paths. Our path's path_id binds this refund's invreq_metadata.
    if (!viaOurPath || !m.context || !bytesEqual(m.context, invoice.invreqMetadata)) {
      throw new Refusal('wrong_path', `Unknown invoice_request ${toHex(id)}`);
    }
    // A copy of an invoice we already took on (the sender resends while it waits): ignored, so
    // it is neither paid twice nor refused after it was paid.
    if (this.d.store.getRefundPayment(invoice.invoicePaymentHash)) throw DUPLICATE;
    if (!rec.active) throw new Refusal('inactive', rec.used ? 'invoice_request already used' : 'invoice_request no longer available');
    // The refund's `offer_absolute_expiry` (the invoice mirrors it; the store keeps it too).
    if (rec.absoluteExpiry !== null && now > rec.absoluteExpiry) throw new Refusal('expired_invoice_request', 'invoice_request expired');
    // - if `invreq_amount` is present: MUST reject the invoice if `invoice_amount` is not equal to
    //   `invreq_amount` (the reader's check above; this is the store's amount, as a guard).
    if (invoice.invoiceAmount !== rec.amountMsat) {
      throw new Refusal('amount_mismatch', `invoice_amount must be ${rec.amountMsat} msat, the invoice_request's amount`, TLV.invoice_amount, new Writer(8).tu(rec.amountMsat).finish());
    }
    // - otherwise (invoice_request without an offer): MAY reject the invoice if it cannot confirm
    //   that `invoice_node_id` is correct, out-of-band. (We do not: anyone holding the refund may claim it.)
    return { invoice, rec };
  }

  /** An invoice_error over the invoice's reply path (BOLT 4: replies use the reply path); whether it went out. */
  private async answer(m: ReceivedOnionMessage, r: Refusal): Promise<boolean> {
    if (!m.replyPath) return false; // CLN: "Only reply if they gave us a path"
    let err: InvoiceError;
    try {
      err = InvoiceError.create({
        error: r.error,
        ...(r.erroneousField !== undefined ? { erroneousField: r.erroneousField } : {}),
        ...(r.erroneousField !== undefined && r.suggestedValue !== undefined ? { suggestedValue: r.suggestedValue } : {}),
      });
    } catch (e) {
      this.log.error(`cannot build an invoice_error: ${(e as Error).message}`);
      return false;
    }
    const value = this.o.lengthPrefixedInvoiceErrors ? err.toLengthPrefixed() : err.bytes;
    const intro = m.replyPath.introductionNode;
    let via: Uint8Array[] = [];
    if (intro.kind === 'pubkey' && !bytesEqual(intro.nodeId, this.d.nodeId)) {
      try {
        via = (await this.d.router.route(intro.nodeId)).via;
      } catch (e) {
        this.log.debug(`cannot reach the reply path of a refused invoice: ${(e as Error).message}`);
        return false;
      }
    }
    try {
      this.d.messenger.send({ blindedPath: m.replyPath }, { type: 68n, value }, { via });
      this.counters.invoiceErrorsSent++;
      return true;
    } catch (e) {
      if (!(e instanceof OnionMessageSendError)) throw e;
      this.log.debug(`cannot send an invoice_error: ${e.reason} (${e.message})`);
      return false;
    }
  }
}

/** Thrown by `check` for a copy of an invoice already taken on. */
const DUPLICATE = Symbol('duplicate invoice');

/** What an invoice that failed the reader's checks says of itself, as far as it parses. */
function roughly(bytes: Uint8Array): Pick<InvoiceRequestRefused, 'invoice' | 'paymentHash' | 'amountMsat' | 'invreqId'> {
  let parsed;
  try {
    parsed = parseMessage('invoice', bytes);
  } catch {
    return {};
  }
  const f = parsed.fields;
  return {
    invoice: encodeBolt12String('lni', bytes),
    ...(f.invoicePaymentHash ? { paymentHash: f.invoicePaymentHash } : {}),
    ...(f.invoiceAmount !== undefined ? { amountMsat: f.invoiceAmount } : {}),
    invreqId: invreqIdOf(parsed.records),
  };
}

/** `invreq_amount` of an invoice that failed the reader's checks, if it parses that far. */
function amountAsked(bytes: Uint8Array): bigint | undefined {
  try {
    return parseMessage('invoice', bytes).fields.invreqAmount;
  } catch {
    return undefined;
  }
}

function recurring(): Refusal {
  return new Refusal('recurring', 'Recurring invoices are not supported: bolt12d does not answer recurring offers or refunds');
}

const NAME_TYPES = TLV as Record<TlvFieldName, bigint>;

/** The TLV type a Bolt12Error's `field` names (`invoice_paths[1].num_hops` → 160), if any. */
function typeOfField(field: string): bigint | undefined {
  const m = /^([a-z_0-9]+)/.exec(field);
  const t = m ? NAME_TYPES[m[1] as TlvFieldName] : undefined;
  if (t !== undefined) return t;
  const n = /\[(\d+)\]/.exec(field);
  return n ? BigInt(n[1]!) : undefined;
}
