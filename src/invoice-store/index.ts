// src/invoice-store: durable invoices (unique labels, pay_index, unpaid/paid/expired, waits).
// Callers use the storage-agnostic `InvoiceStore` interface; `openInvoiceStore` gives the default
// embedded SQLite backend (one file, WAL, every commit fdatasynced before it is answered, versioned
// migrations).
//
//   const store = openInvoiceStore({ path: join(datadir, 'invoices.sqlite3'), clock: systemClock });
//   const inv = await store.create({ label, bolt12, paymentHash, paymentPreimage, amountMsat, expiresAt });
//   const paid = await store.waitInvoice(label);          // resolves when paid or expired
//
// Time: every status is derived from the injected Clock (`expired` from `expiresAt` on). Waiters
// are woken at expiry / timeout by a WakeScheduler (default: unref'd setTimeout to the next due
// time, re-checked against the Clock when it fires), by `store.tick()` (tests: ManualClock +
// manualScheduler(), then `clock.advance(n); await store.tick()`), and lazily by any later call.
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { WakeScheduler } from './scheduler.ts';
import { openDatabase } from './sqlite/schema.ts';
import { SqliteInvoiceStore } from './sqlite/store.ts';
import { useWalSync, type FdSync, type FdSyncInline } from './sqlite/wal-sync.ts';

export * from './types.ts';
export { InvoiceStoreError, CLN_CODES, type InvoiceStoreErrorReason } from './errors.ts';
export { toClnJson, canonicalInvstring, deriveStatus, msatJson, MAX_MSAT } from './record.ts';
export { timerScheduler, manualScheduler, type WakeScheduler, type WakeHandle } from './scheduler.ts';
export { LATEST_VERSION as INVOICE_SCHEMA_VERSION } from './sqlite/schema.ts';
export { SqliteInvoiceStore } from './sqlite/store.ts';
export type { FdSync, FdSyncInline } from './sqlite/wal-sync.ts';
export type { ChannelStore, StoredChannel, ChannelPaidMark, SaveChannelResult } from './channel-types.ts';

export interface OpenInvoiceStoreOptions {
  /** SQLite file path (created if missing); ':memory:' for tests. */
  path: string;
  clock: Clock;
  logger?: Logger;
  /** Who wakes the store at the next expiry / waitanyinvoice timeout (default: real timers). */
  scheduler?: WakeScheduler;
  /** Wait this long for another process's lock before failing with reason `locked` (default 1000). */
  busyTimeoutMs?: number;
  /** PRAGMA quick_check at open (default true). */
  integrityCheck?: boolean;
  /** Most writes per group-committed transaction (default 1024). */
  maxBatch?: number;
  /** How a commit is flushed to disk (default fs.fdatasync / fdatasyncSync of the WAL; tests hold or fail it). */
  fdSync?: { background?: FdSync; inline?: FdSyncInline };
}

/**
 * Open (creating and migrating if needed) the invoice database. Synchronous; throws an
 * InvoiceStoreError with reason `schema_too_new`, `foreign_database`, `locked`, `corrupt` or `io`.
 */
export function openInvoiceStore(opts: OpenInvoiceStoreOptions): SqliteInvoiceStore {
  const logger = opts.logger;
  const db = openDatabase(opts.path, {
    ...(opts.busyTimeoutMs !== undefined && { busyTimeoutMs: opts.busyTimeoutMs }),
    ...(opts.integrityCheck !== undefined && { integrityCheck: opts.integrityCheck }),
    ...(logger && { logger }),
  });
  const walSync = opts.path === ':memory:' ? undefined : useWalSync(db, opts.path, opts.fdSync);
  return new SqliteInvoiceStore(db, opts.path, {
    clock: opts.clock,
    ...(walSync && { walSync }),
    ...(logger && { logger }),
    ...(opts.scheduler && { scheduler: opts.scheduler }),
    ...(opts.maxBatch !== undefined && { maxBatch: opts.maxBatch }),
  });
}
