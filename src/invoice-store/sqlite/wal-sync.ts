// Durability of a commit, off the event loop.
//
// The store's connection runs WAL with `synchronous=NORMAL`: COMMIT writes the transaction's
// frames into the `-wal` file (the kernel's page cache) and returns without waiting for the disk.
// This module then makes them durable: `fdatasync(2)` of the WAL file, and only when it returns
// are the batch's callers answered, so "a write resolved" still means "it survives power loss", as
// with `synchronous=FULL`. Inline (on the event loop, as FULL does inside COMMIT) by default; on
// libuv's thread pool for a batch whose writer has work to do meanwhile (`background`): the event
// loop goes on (sendinvoice builds its onion message while its record is flushed), and later
// batches commit behind the fdatasync in flight (the next one covers them all).
//
// Why this is as strong as FULL (SQLite, "Write-Ahead Logging" and "PRAGMA synchronous"):
//   - A commit is a run of WAL frames ending in a commit frame, each checksummed and salted; after
//     a crash, recovery replays the frames up to the last valid commit frame. Frames that reached
//     the disk are therefore enough: fdatasync of the WAL after COMMIT returned flushes every
//     frame written so far (Linux syncs the file, whichever descriptor wrote it), including the
//     file size it needs to read them back.
//   - fdatasyncs are ordered: a batch's callers are answered by the first fdatasync that *started*
//     after its COMMIT, never by one already in flight (an inline one answers every batch committed
//     before it, including those whose background fdatasync has not returned yet).
//   - Checkpoints (which copy the WAL into the database and then reuse the WAL from its start) are
//     synced by SQLite itself under NORMAL: the WAL before the copy and the database after it, so
//     what a checkpoint moved out of the WAL is durable before the WAL is overwritten.
//   - The WAL file stays the same file for the connection's life: locking_mode=EXCLUSIVE, no
//     journal_size_limit, and no WAL truncation anywhere in this store; SQLite deletes it only at
//     close, after its last checkpoint (synced, as above).
//   - The directory entries of the database and its WAL file are synced once, at open (FULL does
//     the same for a new WAL at its first sync).
// A failed fdatasync is not retried (after an I/O error the kernel may already have dropped the
// dirty pages: "fsyncgate"): the writes it covered and every later write are refused, and the
// store must be reopened, which replays what did reach the disk.
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Db } from './schema.ts';

export type SyncDone = (err: Error | null) => void;
/** fdatasync(2) of a descriptor, asynchronously (tests hold or fail it). */
export type FdSync = (fd: number, cb: (err: Error | null) => void) => void;
/** fdatasync(2) of a descriptor, on this thread; throws on failure. */
export type FdSyncInline = (fd: number) => void;

export class WalSync {
  private fd: number | null = null;
  private waiting: SyncDone[] = [];
  /** The batches of the background fdatasync in flight (emptied if an inline one answers them first). */
  private inFlight: SyncDone[] = [];
  private running = false;
  private failed: Error | null = null;
  private idle: (() => void)[] = [];

  constructor(
    private readonly dbPath: string,
    private readonly sync: FdSync = fdatasync,
    private readonly syncInline: FdSyncInline = fdatasyncSync,
  ) {
    // The database file's and the WAL file's directory entries (both exist once the store has
    // committed at open).
    const dir = openSync(dirname(dbPath), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.fd = openSync(`${dbPath}-wal`, 'r');
  }

  /** The error that stopped the store's writes, if one did. */
  get error(): Error | null {
    return this.failed;
  }

  /**
   * Call after a COMMIT returned: `done` runs once that commit is on disk (or it cannot be); at
   * once for an inline flush, later for a background one.
   */
  afterCommit(done: SyncDone, background = false): void {
    if (this.failed) {
      done(this.failed);
      return;
    }
    if (background) {
      this.waiting.push(done);
      if (!this.running) this.start();
      return;
    }
    const covered = [...this.inFlight.splice(0), ...this.waiting.splice(0), done];
    if (this.fd === null) return this.fail(new Error('the WAL file is closed'), covered);
    try {
      this.syncInline(this.fd);
    } catch (e) {
      return this.fail(this.syncError(e as Error), covered);
    }
    for (const d of covered) d(null);
    if (!this.running) for (const r of this.idle.splice(0)) r();
  }

  /**
   * Resolves once everything committed so far is on disk: at once when no commit is waiting for
   * its fdatasync, else with the next one. (Rejects if that fails.)
   */
  whenSynced(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    // Nothing committed is waiting for a flush (a background one in flight that an inline one has
    // answered covers nothing more).
    if (this.waiting.length === 0 && this.inFlight.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.afterCommit((err) => (err ? reject(err) : resolve())));
  }

  /** Resolves when no fdatasync is in flight or waiting. */
  drain(): Promise<void> {
    if (!this.running && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private start(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.inFlight = batch;
    if (this.fd === null) {
      this.fail(new Error('the WAL file is closed'), batch);
      return;
    }
    this.running = true;
    this.sync(this.fd, (err) => {
      this.running = false;
      // Answered already by an inline fdatasync if it emptied inFlight; an error still stops writes.
      const mine = this.inFlight === batch ? batch : [];
      this.inFlight = [];
      if (err) this.fail(this.syncError(err), mine);
      else for (const d of mine) d(null);
      if (this.waiting.length > 0) this.start();
      else for (const r of this.idle.splice(0)) r();
    });
  }

  private syncError(err: Error): Error {
    return new Error(`fdatasync of ${this.dbPath}-wal failed (${(err as NodeJS.ErrnoException).code ?? err.message}): writes are refused until the store is reopened`);
  }

  private fail(e: Error, batch: SyncDone[]): void {
    this.failed ??= e;
    for (const d of [...batch, ...this.waiting.splice(0)]) d(this.failed);
  }
}

/**
 * Switch an opened store connection (WAL, exclusive, migrated: its WAL file exists) from SQLite's
 * own sync in COMMIT to {@link WalSync}.
 */
export function useWalSync(db: Db, path: string, fdSync?: { background?: FdSync; inline?: FdSyncInline }): WalSync {
  const sync = new WalSync(path, fdSync?.background, fdSync?.inline);
  db.pragma('synchronous = NORMAL');
  return sync;
}
