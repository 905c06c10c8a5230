// The SQLite InvoiceStore: one writer connection; writes group-committed (one transaction per
// batch; every caller answered once the batch is on disk: an fdatasync of the WAL after COMMIT,
// inline or, for writers with work to do meanwhile, off the event loop: see wal-sync.ts); reads
// straight from committed state; waiters woken only after the change they report is durable.
//
// Expiry: an invoice's status is derived from the injected clock on every read (`expired` from
// `expiresAt` on). A sweep (CLN wallet/invoices.c trigger_expiration()) also writes `expired` with a
// new updated_index and wakes waitinvoice callers. The sweep runs (1) on `tick()`, (2) when the
// WakeScheduler calls back at the next due time (computed from the injected clock and re-checked
// against it on wake-up), and (3) lazily at the start of any call made after that time.
import { unixSeconds, type Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/log.ts';
import { abortedError, CLN_CODES, closedError, invalid, InvoiceStoreError } from '../errors.ts';
import { GroupCommitter } from '../group-commit.ts';
import { canonicalInvstring, checkBytes32, checkIndexValue, checkLabel, checkListFilter, checkMsat, checkNewInvoice, checkSeconds, checkText } from '../record.ts';
import { timerScheduler, type WakeHandle, type WakeScheduler } from '../scheduler.ts';
import {
  INVOICE_STATUSES,
  type BeginRefundPayment,
  type BeginRefundPaymentResult,
  type FinishRefundPayment,
  type InvoiceRequestRecord,
  type NewInvoiceRequest,
  type RefundPaymentRecord,
  type RefundStore,
  type DeleteOptions,
  type InvoiceRecord,
  type InvoiceStatus,
  type InvoiceStore,
  type InvoiceStoreEvent,
  type ListFilter,
  type MarkPaidOptions,
  type MarkPaidResult,
  type NewInvoice,
  type WaitIndexName,
  type WaitResult,
} from '../types.ts';
import { WaiterHub } from '../waiters.ts';
import { executeBatch, type Job } from './batch.ts';
import { storeErrorFromSqlite, type Db } from './schema.ts';
import { rowToRecord, Statements, type Counters } from './statements.ts';
import type { WalSync } from './wal-sync.ts';
import { createWrite, deleteWrite, expireWrite, payWrite, type Event, type Write } from './writes.ts';
import { beginRefundPaymentWrite, createInvreqWrite, disableInvreqWrite, finishRefundPaymentWrite, RefundStatements } from './refunds.ts';
import { allocateKeyIndexWrite, ChannelStatements, saveChannelWrite } from './channels.ts';
import type { ChannelPaidMark, ChannelStore, SaveChannelResult, StoredChannel } from '../channel-types.ts';

export interface SqliteStoreOptions {
  clock: Clock;
  logger?: Logger;
  scheduler?: WakeScheduler;
  maxBatch?: number;
  /** File stores: makes each commit durable before its callers are answered (none: ':memory:'). */
  walSync?: WalSync;
}

export class SqliteInvoiceStore implements InvoiceStore, RefundStore, ChannelStore {
  private readonly st: Statements;
  private readonly rst: RefundStatements;
  private readonly cst: ChannelStatements;
  private readonly hub = new WaiterHub();
  private readonly listeners = new Set<(e: InvoiceStoreEvent) => void>();
  private readonly committer: GroupCommitter<Job>;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly scheduler: WakeScheduler;
  private counters: Counters;
  /** Earliest expires_at among unpaid invoices; may be stale-low (a sweep corrects it), never high. */
  private minExpiry: number | null;
  private wake: { at: number; handle: WakeHandle } | null = null;
  private sweeping: Promise<void> | null = null;
  private closed = false;
  private readonly walSync: WalSync | undefined;
  /** Group-commit figures: transactions committed and writes they carried. */
  readonly commitStats = { transactions: 0, writes: 0 };

  constructor(
    private readonly db: Db,
    private readonly path: string,
    opts: SqliteStoreOptions,
  ) {
    this.clock = opts.clock;
    this.log = opts.logger;
    this.scheduler = opts.scheduler ?? timerScheduler;
    this.walSync = opts.walSync;
    this.st = new Statements(db);
    this.rst = new RefundStatements(db);
    this.cst = new ChannelStatements(db);
    this.counters = this.st.effectiveCounters();
    const m = this.st.minUnpaidExpiry.get()?.m ?? null;
    this.minExpiry = m === null ? null : Number(m);
    this.committer = new GroupCommitter<Job>((jobs) => this.runBatch(jobs), opts.maxBatch);
    this.rearm();
  }

  // ---- writes (group-committed) ----

  create(inv: NewInvoice, opts: { background?: boolean } = {}): Promise<InvoiceRecord> {
    let v: NewInvoice;
    try {
      v = checkNewInvoice(inv);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.minExpiry === null || v.expiresAt < this.minExpiry) this.minExpiry = v.expiresAt;
    return this.submit(createWrite(this.st, v), opts.background === true);
  }

  markPaid(paymentHash: Uint8Array, amountReceivedMsat: bigint, opts: MarkPaidOptions = {}): Promise<MarkPaidResult> {
    try {
      checkBytes32('paymentHash', paymentHash);
      checkMsat('amountReceivedMsat', amountReceivedMsat);
      if (opts.paidAt !== undefined) checkSeconds('paidAt', opts.paidAt);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(payWrite(this.st, new Uint8Array(paymentHash), amountReceivedMsat, opts.paidAt));
  }

  delete(label: string, status: InvoiceStatus, opts: DeleteOptions = {}): Promise<InvoiceRecord> {
    try {
      checkLabel(label);
      if (!INVOICE_STATUSES.includes(status)) throw invalid('status', `should be one of ${INVOICE_STATUSES.join(', ')}`);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(deleteWrite(this.st, label, status, opts.descriptionOnly === true));
  }

  // ---- reads (committed state, status as of the clock now) ----

  get(label: string): InvoiceRecord | undefined {
    this.ensureOpen();
    checkLabel(label);
    this.poke();
    const row = this.st.byLabel.get(label);
    return row && rowToRecord(row, this.now());
  }

  getByPaymentHash(paymentHash: Uint8Array): InvoiceRecord | undefined {
    this.ensureOpen();
    checkBytes32('paymentHash', paymentHash);
    this.poke();
    const row = this.st.byHash.get(paymentHash);
    return row && rowToRecord(row, this.now());
  }

  list(filter: ListFilter = {}): InvoiceRecord[] {
    this.ensureOpen();
    const f = checkListFilter(filter);
    this.poke();
    const now = this.now();
    return this.st.list(f, f.invstring === undefined ? undefined : canonicalInvstring(f.invstring)).map((r) => rowToRecord(r, now));
  }

  indexes(): { created: number; updated: number; deleted: number; payIndex: number } {
    return { ...this.counters };
  }

  // ---- waits ----

  waitInvoice(label: string, signal?: AbortSignal): Promise<InvoiceRecord> {
    try {
      this.ensureOpen();
      checkLabel(label);
    } catch (e) {
      return Promise.reject(e);
    }
    this.poke();
    const row = this.st.byLabel.get(label);
    // CLN json_waitinvoice(): -1 "Label not found"; paid or expired answers at once.
    if (!row) return Promise.reject(new InvoiceStoreError('not_found', CLN_CODES.GENERIC, 'Label not found', { label }));
    const rec = rowToRecord(row, this.now());
    if (rec.status !== 'unpaid') return this.whenDurable(rec);
    if (signal?.aborted) return Promise.reject(abortedError());
    return this.hub.waitInvoice(rec.createdIndex, signal);
  }

  waitAnyInvoice(lastpayIndex = 0, timeoutSeconds?: number, signal?: AbortSignal): Promise<InvoiceRecord> {
    try {
      this.ensureOpen();
      checkIndexValue('lastpay_index', lastpayIndex);
      if (timeoutSeconds !== undefined) checkIndexValue('timeout', timeoutSeconds);
    } catch (e) {
      return Promise.reject(e);
    }
    // CLN invoices_waitany(): an already-paid invoice above lastpay_index answers at once.
    const row = this.st.firstPaidAfter.get(lastpayIndex);
    if (row) return this.whenDurable(rowToRecord(row, this.now()));
    if (signal?.aborted) return Promise.reject(abortedError());
    const deadline = timeoutSeconds === undefined ? null : this.clock.now() + timeoutSeconds;
    const p = this.hub.waitAny(lastpayIndex, deadline, signal);
    if (deadline !== null) {
      // timeout 0: "return immediately with an error if no pending invoice is available yet".
      this.hub.expireDeadlines(this.clock.now());
      this.rearm();
    }
    return p;
  }

  wait(indexname: WaitIndexName, nextvalue: number, signal?: AbortSignal): Promise<WaitResult> {
    try {
      this.ensureOpen();
      if (indexname !== 'created' && indexname !== 'updated' && indexname !== 'deleted') throw invalid('indexname', 'should be one of created, updated, deleted');
      checkIndexValue('nextvalue', nextvalue);
    } catch (e) {
      return Promise.reject(e);
    }
    this.poke();
    // CLN json_wait(): already there → answer at once, without details.
    const value = this.counters[indexname];
    if (value >= nextvalue) return this.whenDurable({ indexname, value });
    return this.hub.waitIndex(indexname, nextvalue, signal);
  }

  // ---- refunds we issued (RefundStore) ----

  createInvoiceRequest(r: NewInvoiceRequest): Promise<InvoiceRequestRecord> {
    try {
      checkBytes32('invreqId', r.invreqId);
      checkText('bolt12', r.bolt12);
      if (r.label !== undefined) checkLabel(r.label);
      checkMsat('amountMsat', r.amountMsat);
      if (r.amountMsat === 0n) throw invalid('amountMsat', 'should be positive');
      if (r.absoluteExpiry !== undefined) checkSeconds('absoluteExpiry', r.absoluteExpiry);
      if (typeof r.singleUse !== 'boolean') throw invalid('singleUse', 'should be a boolean');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(createInvreqWrite(this.rst, { ...r, invreqId: new Uint8Array(r.invreqId) }));
  }

  getInvoiceRequest(invreqId: Uint8Array): InvoiceRequestRecord | undefined {
    this.ensureOpen();
    checkBytes32('invreqId', invreqId);
    return this.rst.getInvreq(invreqId);
  }

  listInvoiceRequests(opts: { activeOnly?: boolean } = {}): InvoiceRequestRecord[] {
    this.ensureOpen();
    return this.rst.listInvreqs(opts.activeOnly === true);
  }

  disableInvoiceRequest(invreqId: Uint8Array): Promise<InvoiceRequestRecord> {
    try {
      checkBytes32('invreqId', invreqId);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(disableInvreqWrite(this.rst, new Uint8Array(invreqId)));
  }

  beginRefundPayment(p: BeginRefundPayment): Promise<BeginRefundPaymentResult> {
    try {
      checkBytes32('invreqId', p.invreqId);
      checkBytes32('paymentHash', p.paymentHash);
      checkText('invoice', p.invoice);
      checkMsat('amountMsat', p.amountMsat);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(beginRefundPaymentWrite(this.rst, { ...p, invreqId: new Uint8Array(p.invreqId), paymentHash: new Uint8Array(p.paymentHash) }));
  }

  finishRefundPayment(paymentHash: Uint8Array, outcome: FinishRefundPayment): Promise<RefundPaymentRecord> {
    try {
      checkBytes32('paymentHash', paymentHash);
      if ('paymentPreimage' in outcome) checkBytes32('paymentPreimage', outcome.paymentPreimage);
      else if (typeof outcome.failure !== 'string') throw invalid('failure', 'should be a string');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.submit(finishRefundPaymentWrite(this.rst, new Uint8Array(paymentHash), outcome));
  }

  getRefundPayment(paymentHash: Uint8Array): RefundPaymentRecord | undefined {
    this.ensureOpen();
    checkBytes32('paymentHash', paymentHash);
    return this.rst.getPayment(paymentHash);
  }

  listRefundPayments(invreqId?: Uint8Array): RefundPaymentRecord[] {
    this.ensureOpen();
    if (invreqId !== undefined) checkBytes32('invreqId', invreqId);
    return this.rst.listPayments(invreqId);
  }

  listPendingRefundPayments(): RefundPaymentRecord[] {
    this.ensureOpen();
    return this.rst.listPendingPayments();
  }

  // ---- channels (ChannelStore, issue 13) ----

  allocateChannelKeyIndex(): Promise<bigint> {
    return this.submit(allocateKeyIndexWrite(this.cst));
  }

  saveChannel(channel: StoredChannel, opts: { paid?: readonly ChannelPaidMark[] } = {}): Promise<SaveChannelResult> {
    try {
      if (!(channel.channelId instanceof Uint8Array) || channel.channelId.length !== 32) throw invalid('channelId', 'should be 32 bytes');
      if (!(channel.peerId instanceof Uint8Array) || channel.peerId.length !== 33) throw invalid('peerId', 'should be 33 bytes');
      if (typeof channel.keyIndex !== 'bigint' || channel.keyIndex < 0n || channel.keyIndex >= 1n << 63n) throw invalid('keyIndex', 'should be a non-negative 63-bit integer');
      checkText('phase', channel.phase);
      if (!(channel.state instanceof Uint8Array)) throw invalid('state', 'should be bytes');
      for (const p of opts.paid ?? []) {
        checkBytes32('paymentHash', p.paymentHash);
        checkMsat('amountReceivedMsat', p.amountReceivedMsat);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    const c: StoredChannel = { channelId: new Uint8Array(channel.channelId), peerId: new Uint8Array(channel.peerId), keyIndex: channel.keyIndex, phase: channel.phase, state: new Uint8Array(channel.state) };
    const paid = (opts.paid ?? []).map((p) => ({ ...p, paymentHash: new Uint8Array(p.paymentHash) }));
    return this.submit(saveChannelWrite(this.cst, this.st, c, paid));
  }

  listChannels(): StoredChannel[] {
    this.ensureOpen();
    return this.cst.list();
  }

  getChannel(channelId: Uint8Array): StoredChannel | undefined {
    this.ensureOpen();
    checkBytes32('channelId', channelId);
    return this.cst.get(channelId);
  }

  // ---- time ----

  tick(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.hub.expireDeadlines(this.clock.now());
    const p = this.minExpiry !== null && this.minExpiry <= this.now() ? this.sweep() : Promise.resolve();
    return p.finally(() => this.rearm());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // What was submitted still commits, and its callers are answered once it is on disk.
    this.committer.flush();
    await this.walSync?.drain();
    this.wake?.handle.cancel();
    this.wake = null;
    this.hub.rejectAll(closedError());
    this.walSync?.close();
    this.db.close();
  }

  // ---- diagnostics ----

  /** The connection's durability settings and schema version. */
  settings(): { journalMode: string; synchronous: string; walFdatasync: boolean; lockingMode: string; schemaVersion: number } {
    this.ensureOpen();
    const sync = ['off', 'normal', 'full', 'extra'][this.db.pragma('synchronous', { simple: true }) as number] ?? 'unknown';
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: sync,
      // synchronous=NORMAL plus our own fdatasync of the WAL after every commit (wal-sync.ts).
      walFdatasync: this.walSync !== undefined,
      lockingMode: String(this.db.pragma('locking_mode', { simple: true })),
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
    };
  }

  /**
   * SQLite's integrity_check plus what the schema cannot express: the indexes in memory are the
   * file's (so none is ever handed out twice). Empty when all is well.
   */
  selfCheck(): string[] {
    this.ensureOpen();
    const problems = (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).filter((m) => m !== 'ok');
    const onFile = this.st.effectiveCounters();
    if (JSON.stringify(onFile) !== JSON.stringify(this.counters)) problems.push(`in-memory indexes ${JSON.stringify(this.counters)} differ from the file's ${JSON.stringify(onFile)}`);
    return problems;
  }

  /** Pending waiters (tests check that nothing leaks). */
  waiterCount(): number {
    return this.hub.size();
  }

  // ---- internals ----

  private now(): number {
    return unixSeconds(this.clock);
  }

  /**
   * `v`, once what it reports is on disk. Reads see a commit before its fdatasync has returned
   * (for about one fsync); a wait that answers from such a read (a paid mark, an index) waits for it.
   */
  private whenDurable<T>(v: T): Promise<T> {
    if (!this.walSync) return Promise.resolve(v);
    return this.walSync.whenSynced().then(
      () => v,
      (e: unknown) => Promise.reject(storeErrorFromSqlite(e, this.path)),
    );
  }

  private ensureOpen(): void {
    if (this.closed) throw closedError();
  }

  /** If something came due since the last wake-up, sweep now (the timer may not have fired yet). */
  private poke(): void {
    if (this.wake !== null && this.wake.at <= this.clock.now()) void this.tick();
  }

  private sweep(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.sweeping ??= this.submit(expireWrite(this.st))
      .then(
        (next) => {
          this.minExpiry = next;
        },
        (e) => this.log?.error(`expiry sweep failed: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  /** Arm the scheduler for the next due time: the earliest unpaid expiry or waitany deadline. */
  private rearm(): void {
    if (this.closed) return;
    const deadline = this.hub.nextDeadline();
    let at = this.minExpiry;
    if (deadline !== null && (at === null || deadline < at)) at = deadline;
    if (this.wake && this.wake.at === at) return;
    this.wake?.handle.cancel();
    this.wake = null;
    if (at === null) return;
    const due = at;
    const handle = this.scheduler.schedule((due - this.clock.now()) * 1000, () => {
      if (this.wake?.at === due) this.wake = null;
      void this.tick();
    });
    this.wake = { at: due, handle };
  }

  private submit<T>(work: Write<T>, background = false): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<T>((resolve, reject) => this.committer.push({ work, resolve: resolve as (v: unknown) => void, reject, background }));
  }

  private runBatch(jobs: Job[]): void {
    const failed = this.walSync?.error;
    if (failed) {
      for (const job of jobs) job.reject(storeErrorFromSqlite(failed, this.path));
      return;
    }
    const r = executeBatch(this.db, this.st, jobs, this.counters, this.now());
    if (!r.committed) {
      const err = storeErrorFromSqlite(r.error, this.path);
      this.log?.error(`invoice batch of ${jobs.length} rolled back: ${err.message}`);
      try {
        this.counters = this.st.effectiveCounters();
      } catch {
        // keep the last committed indexes
      }
      for (const job of jobs) job.reject(err);
      return;
    }
    // Committed: the next batch builds on these indexes at once.
    this.counters = r.tx.counters;
    this.commitStats.transactions++;
    this.commitStats.writes += jobs.length;
    const settle = (err: Error | null) => {
      if (err) {
        const e = storeErrorFromSqlite(err, this.path);
        this.log?.error(`invoice batch of ${jobs.length} may not be on disk: ${e.message}`);
        for (const job of jobs) job.reject(e);
        return;
      }
      // Durable: answer the callers, then tell the waiters.
      jobs.forEach((job, i) => {
        const o = r.outcomes[i]!;
        if (o.ok) job.resolve(o.value);
        else job.reject(o.error);
      });
      this.replay(r.tx.events);
      this.rearm();
    };
    // A batch of writers that all have nothing else to do is flushed inline (which also answers
    // any batch whose flush is still running in the background: this one covers it).
    if (this.walSync) this.walSync.afterCommit(settle, jobs.some((j) => j.background));
    else settle(null);
  }

  private replay(events: Event[]): void {
    const paid: InvoiceRecord[] = [];
    const told: InvoiceStoreEvent[] = [];
    for (const ev of events) {
      if (ev.kind === 'resolved') {
        this.hub.invoiceResolved(ev.record);
        if (ev.record.status === 'expired') told.push({ kind: 'invoice_expired', record: ev.record });
      } else if (ev.kind === 'paid') {
        paid.push(ev.record);
        told.push({ kind: 'invoice_paid', record: ev.record });
      } else if (ev.kind === 'deleted') this.hub.invoiceDeleted(ev.createdIndex);
      else if (ev.kind === 'created') told.push({ kind: 'invoice_created', record: ev.record });
      else if (ev.kind === 'refund') told.push({ kind: 'refund_payment', payment: ev.payment });
      else this.hub.indexBumped(ev.index, ev.value, ev.details);
    }
    if (paid.length > 0) this.hub.paid(paid);
    if (this.listeners.size > 0) {
      for (const e of told) {
        for (const l of [...this.listeners]) {
          try {
            l(e);
          } catch (x) {
            this.log?.error(`invoice store listener threw: ${(x as Error)?.stack ?? String(x)}`);
          }
        }
      }
    }
  }

  subscribe(listener: (e: InvoiceStoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
