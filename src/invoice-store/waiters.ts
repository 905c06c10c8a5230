// Who is waiting for what: waitinvoice (one invoice paid/expired/deleted), waitanyinvoice (the
// next pay_index) and wait (an index reaching a value). Storage-agnostic: a backend calls the
// notify methods after its change is durable, never before. Mirrors CLN wallet/invoices.c
// (trigger_invoice_waiter_resolve / _expire_or_delete) and lightningd/wait.c (wait_index_bump).
import { abortedError, CLN_CODES, InvoiceStoreError } from './errors.ts';
import type { InvoiceRecord, WaitDetails, WaitIndexName, WaitResult } from './types.ts';

interface Pending<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
  /** Detach from the AbortSignal. */
  detach(): void;
}

interface AnyWaiter extends Pending<InvoiceRecord> {
  lastPayIndex: number;
  /** UNIX seconds at which it times out (904), or null for never. */
  deadline: number | null;
}

interface IndexWaiter extends Pending<WaitResult> {
  index: WaitIndexName;
  nextvalue: number;
}

export class WaiterHub {
  private readonly byInvoice = new Map<number, Set<Pending<InvoiceRecord>>>();
  private readonly any = new Set<AnyWaiter>();
  private readonly index = new Set<IndexWaiter>();

  /** Number of pending waiters (tests check nothing leaks). */
  size(): number {
    let n = this.any.size + this.index.size;
    for (const s of this.byInvoice.values()) n += s.size;
    return n;
  }

  /** Wait for invoice `createdIndex` to be paid or expired. */
  waitInvoice(createdIndex: number, signal?: AbortSignal): Promise<InvoiceRecord> {
    return this.add<InvoiceRecord, Pending<InvoiceRecord>>(
      signal,
      (p) => {
        let set = this.byInvoice.get(createdIndex);
        if (!set) this.byInvoice.set(createdIndex, (set = new Set()));
        set.add(p);
        return p;
      },
      (p) => {
        const set = this.byInvoice.get(createdIndex);
        set?.delete(p);
        if (set?.size === 0) this.byInvoice.delete(createdIndex);
      },
    );
  }

  waitAny(lastPayIndex: number, deadline: number | null, signal?: AbortSignal): Promise<InvoiceRecord> {
    return this.add<InvoiceRecord, AnyWaiter>(
      signal,
      (p) => {
        const w = { ...p, lastPayIndex, deadline };
        this.any.add(w);
        return w;
      },
      (w) => this.any.delete(w),
    );
  }

  waitIndex(index: WaitIndexName, nextvalue: number, signal?: AbortSignal): Promise<WaitResult> {
    return this.add<WaitResult, IndexWaiter>(
      signal,
      (p) => {
        const w = { ...p, index, nextvalue };
        this.index.add(w);
        return w;
      },
      (w) => this.index.delete(w),
    );
  }

  /** An invoice became paid or expired: wake its waitinvoice callers. */
  invoiceResolved(record: InvoiceRecord): void {
    const set = this.byInvoice.get(record.createdIndex);
    if (!set) return;
    this.byInvoice.delete(record.createdIndex);
    for (const p of set) settle(p, () => p.resolve(record));
  }

  /**
   * Invoices newly paid (ascending pay_index): each waitanyinvoice caller gets the first one above
   * its lastpay_index (CLN invoices_waitany(): "pay_index > ? ORDER BY pay_index ASC LIMIT 1").
   */
  paid(records: readonly InvoiceRecord[]): void {
    for (const r of records) {
      for (const w of this.any) {
        if (r.payIndex !== null && r.payIndex > w.lastPayIndex) {
          this.any.delete(w);
          settle(w, () => w.resolve(r));
        }
      }
    }
  }

  /** The invoice was deleted: CLN tell_waiter_deleted() answers -1 "Invoice deleted during wait". */
  invoiceDeleted(createdIndex: number): void {
    const set = this.byInvoice.get(createdIndex);
    if (!set) return;
    this.byInvoice.delete(createdIndex);
    const err = new InvoiceStoreError('deleted_during_wait', CLN_CODES.GENERIC, 'Invoice deleted during wait');
    for (const p of set) settle(p, () => p.reject(err));
  }

  /** An index moved to `value` (CLN wait_index_bump(): wake waiters with value >= nextvalue). */
  indexBumped(index: WaitIndexName, value: number, details: WaitDetails): void {
    for (const w of this.index) {
      if (w.index === index && value >= w.nextvalue) {
        this.index.delete(w);
        settle(w, () => w.resolve({ indexname: index, value, details }));
      }
    }
  }

  /** Time out waitanyinvoice callers whose deadline has come (CLN wait_timed_out(): 904). */
  expireDeadlines(now: number): void {
    for (const w of this.any) {
      if (w.deadline !== null && w.deadline <= now) {
        this.any.delete(w);
        settle(w, () => w.reject(new InvoiceStoreError('wait_timed_out', CLN_CODES.WAIT_TIMED_OUT, 'Timed out while waiting for invoice to be paid')));
      }
    }
  }

  /** Earliest waitanyinvoice deadline, or null. */
  nextDeadline(): number | null {
    let min: number | null = null;
    for (const w of this.any) if (w.deadline !== null && (min === null || w.deadline < min)) min = w.deadline;
    return min;
  }

  /** Reject everyone (the store is closing). */
  rejectAll(err: unknown): void {
    const all: Pending<unknown>[] = [...this.any, ...this.index];
    for (const s of this.byInvoice.values()) all.push(...s);
    this.any.clear();
    this.index.clear();
    this.byInvoice.clear();
    for (const p of all) settle(p, () => p.reject(err));
  }

  private add<T, W extends Pending<T>>(signal: AbortSignal | undefined, register: (p: Pending<T>) => W, unregister: (w: W) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(abortedError());
      let w: W | undefined;
      const onAbort = () => {
        if (!w) return;
        unregister(w);
        reject(abortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      w = register({ resolve, reject, detach: () => signal?.removeEventListener('abort', onAbort) });
    });
  }
}

function settle(p: Pending<unknown>, fn: () => void): void {
  p.detach();
  fn();
}
