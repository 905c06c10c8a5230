// One group-commit batch: one transaction, one fsync. Each write runs inside its own SAVEPOINT
// (when the batch has more than one), so a write refused with an InvoiceStoreError (duplicate
// label, wrong status…) is rolled back alone and the others commit. Anything unexpected rolls the
// whole batch back and fails every write in it. Nothing is answered here: the caller settles the
// jobs after this returns, i.e. after COMMIT.
import { InvoiceStoreError } from '../errors.ts';
import type { Db } from './schema.ts';
import type { Counters, Statements } from './statements.ts';
import type { Tx, Write } from './writes.ts';

export interface Job {
  work: Write<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** Its batch may be flushed to disk off the event loop (see InvoiceStore.create). */
  background?: boolean;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: InvoiceStoreError };

export type BatchResult = { committed: true; tx: Tx; outcomes: Outcome[] } | { committed: false; error: unknown };

export function executeBatch(db: Db, st: Statements, jobs: readonly Job[], counters: Counters, now: number): BatchResult {
  const tx: Tx = { now, counters: { ...counters }, events: [], storeCounters: false };
  const outcomes: Outcome[] = [];
  // A lone write needs no savepoint: if it is refused, the whole transaction is rolled back.
  const savepoints = jobs.length > 1;
  const c = st.control;
  try {
    c.begin.run();
    for (const job of jobs) {
      const before = { counters: { ...tx.counters }, events: tx.events.length, storeCounters: tx.storeCounters };
      if (savepoints) c.savepoint.run();
      try {
        const value = job.work(tx);
        if (savepoints) c.release.run();
        outcomes.push({ ok: true, value });
      } catch (e) {
        if (!(e instanceof InvoiceStoreError)) throw e;
        if (savepoints) {
          c.rollbackTo.run();
          c.release.run();
        }
        tx.counters = before.counters;
        tx.events.length = before.events;
        tx.storeCounters = before.storeCounters;
        outcomes.push({ ok: false, error: e });
      }
    }
    if (tx.storeCounters) st.storeCounters(tx.counters);
    if (savepoints || outcomes[0]?.ok) c.commit.run();
    else c.rollback.run();
    return { committed: true, tx, outcomes };
  } catch (e) {
    if (db.inTransaction) {
      try {
        c.rollback.run();
      } catch {
        // the connection is already unusable; the original error says why
      }
    }
    return { committed: false, error: e };
  }
}
