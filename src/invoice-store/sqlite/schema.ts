// The SQLite file: connection settings, versioned migrations (PRAGMA user_version), and the checks
// that turn a database we must not use (newer schema, someone else's file, locked, corrupt) into an
// InvoiceStoreError instead of a crash. Modelled on CLN wallet/db.c (a list of migrations applied in
// order, the version stored in the database) — here the version is SQLite's own user_version.
import Database from 'better-sqlite3';
import type { Logger } from '../../util/log.ts';
import { CLN_CODES, InvoiceStoreError } from '../errors.ts';

export type Db = Database.Database;

/** PRAGMA application_id: "b12d", so a foreign SQLite file is recognised. */
export const APPLICATION_ID = 0x62313264;

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** Append only: a released migration is never edited, a new one gets the next version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'invoices and counters',
    sql: `
      CREATE TABLE invoices (
        id INTEGER PRIMARY KEY,                       -- created_index (CLN: invoices.id)
        label TEXT NOT NULL UNIQUE,
        bolt12 TEXT NOT NULL,
        description TEXT,
        payment_hash BLOB NOT NULL UNIQUE CHECK (length(payment_hash) = 32),
        payment_preimage BLOB NOT NULL CHECK (length(payment_preimage) = 32),
        amount_msat INTEGER CHECK (amount_msat IS NULL OR amount_msat >= 0),
        state TEXT NOT NULL CHECK (state IN ('unpaid', 'paid', 'expired')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        pay_index INTEGER UNIQUE,
        amount_received_msat INTEGER CHECK (amount_received_msat IS NULL OR amount_received_msat >= 0),
        paid_at INTEGER,
        updated_index INTEGER,
        invreq_ref TEXT,
        local_offer_id TEXT,
        -- paid <=> all payment fields are set; never half of them.
        CHECK ((state = 'paid') = (pay_index IS NOT NULL AND amount_received_msat IS NOT NULL AND paid_at IS NOT NULL)),
        CHECK (state = 'paid' OR (pay_index IS NULL AND amount_received_msat IS NULL AND paid_at IS NULL))
      );
      CREATE INDEX invoices_updated_index ON invoices(updated_index) WHERE updated_index IS NOT NULL;
      CREATE INDEX invoices_unpaid_expiry ON invoices(expires_at) WHERE state = 'unpaid';
      CREATE INDEX invoices_local_offer ON invoices(local_offer_id) WHERE local_offer_id IS NOT NULL;
      -- The tail of a BOLT12 string is its signature: unique per invoice, and a small index.
      CREATE INDEX invoices_bolt12_tail ON invoices(substr(bolt12, -40));
      -- CLN keeps these as intvars (next_pay_index, last_invoices_*_index): same here.
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL CHECK (value >= 0)) WITHOUT ROWID;
      INSERT INTO counters (name, value) VALUES ('created', 0), ('updated', 0), ('deleted', 0), ('pay_index', 0);
    `,
  },
  {
    version: 2,
    description: 'refunds we issued (invoice_requests) and what was paid against them',
    sql: `
      -- CLN wallet: invoicerequests (invreq_id, bolt12, label, status). Status is kept as three
      -- flags so every combination CLN's offer_status names is a row state: single-use unused,
      -- single-use used (inactive), multi-use used (still active), disabled.
      CREATE TABLE invoice_requests (
        id INTEGER PRIMARY KEY,
        invreq_id BLOB NOT NULL UNIQUE CHECK (length(invreq_id) = 32),
        bolt12 TEXT NOT NULL,
        label TEXT,
        amount_msat INTEGER NOT NULL CHECK (amount_msat > 0),
        absolute_expiry INTEGER,
        single_use INTEGER NOT NULL CHECK (single_use IN (0, 1)),
        active INTEGER NOT NULL CHECK (active IN (0, 1)),
        used INTEGER NOT NULL CHECK (used IN (0, 1)),
        created_at INTEGER NOT NULL,
        -- a single-use refund once used is inactive for good
        CHECK (NOT (single_use = 1 AND used = 1 AND active = 1))
      );
      -- One row per invoice we accepted to pay for a refund: 'pending' from before the payment
      -- starts (so a crash mid-payment leaves a trace that blocks a second payment of a single-use
      -- refund), then 'complete' (with the preimage) or 'failed'.
      CREATE TABLE invoice_request_payments (
        id INTEGER PRIMARY KEY,
        invreq_id BLOB NOT NULL REFERENCES invoice_requests(invreq_id),
        payment_hash BLOB NOT NULL UNIQUE CHECK (length(payment_hash) = 32),
        invoice TEXT NOT NULL,
        amount_msat INTEGER NOT NULL CHECK (amount_msat >= 0),
        status TEXT NOT NULL CHECK (status IN ('pending', 'complete', 'failed')),
        payment_preimage BLOB CHECK (payment_preimage IS NULL OR length(payment_preimage) = 32),
        failure TEXT,
        created_at INTEGER NOT NULL,
        completed_at INTEGER,
        CHECK ((status = 'complete') = (payment_preimage IS NOT NULL)),
        CHECK ((status = 'pending') = (completed_at IS NULL))
      );
      CREATE INDEX invoice_request_payments_invreq ON invoice_request_payments(invreq_id);
    `,
  },
  {
    version: 3,
    description: 'receive-only channels (issue 13): channel state, saved with the paid mark of the invoice an HTLC pays',
    sql: `
      -- One row per funded channel (BOLT 2: a fundee "MUST remember the channel" once it has sent
      -- funding_signed). state is the channel layer's serialized ChannelState; phase mirrors it for listings.
      CREATE TABLE channels (
        id INTEGER PRIMARY KEY,
        channel_id BLOB NOT NULL UNIQUE CHECK (length(channel_id) = 32),
        peer_id BLOB NOT NULL CHECK (length(peer_id) = 33),
        key_index INTEGER NOT NULL UNIQUE CHECK (key_index >= 0),
        phase TEXT NOT NULL,
        state BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX channels_peer ON channels(peer_id);
      -- next_key_index: the key index of our next channel's keys, never handed out twice.
      CREATE TABLE channel_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL CHECK (value >= 0)) WITHOUT ROWID;
      INSERT INTO channel_counters (name, value) VALUES ('next_key_index', 0);
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export interface OpenOptions {
  /** How long to wait for another process's lock before failing with reason `locked` (default 1000 ms). */
  busyTimeoutMs?: number;
  /** Run PRAGMA quick_check at open (default true). */
  integrityCheck?: boolean;
  logger?: Logger;
}

/** Translate an SQLite failure into an InvoiceStoreError naming the file and what to do. */
export function storeErrorFromSqlite(e: unknown, path: string): InvoiceStoreError {
  if (e instanceof InvoiceStoreError) return e;
  const code = (e as { code?: unknown }).code;
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY'))) {
    return new InvoiceStoreError('locked', CLN_CODES.GENERIC, `invoice database ${path} is locked by another process (${msg})`, undefined, { cause: e });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'))) {
    return new InvoiceStoreError('corrupt', CLN_CODES.GENERIC, `invoice database ${path} is corrupt or not a database (${msg})`, undefined, { cause: e });
  }
  return new InvoiceStoreError('io', CLN_CODES.GENERIC, `invoice database ${path}: ${msg}`, undefined, { cause: e });
}

/**
 * Apply the durability settings every connection must have. Shared with the benchmark's raw
 * baseline so both always measure the same journal and sync settings.
 */
export function applyPragmas(db: Db, path: string): void {
  if (path !== ':memory:') {
    // One process owns the file: a second opener gets `locked` rather than racing pay_index.
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new InvoiceStoreError('io', CLN_CODES.GENERIC, `invoice database ${path}: cannot enable WAL (journal_mode is ${String(mode)})`);
  }
  // FULL: in WAL mode the WAL is fsynced at every commit, so a commit that returned survives power loss.
  db.pragma('synchronous = FULL');
}

/** Open (creating if needed), check and migrate the database. Throws InvoiceStoreError. */
export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  let db: Db | undefined;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? 1000 });
    applyPragmas(db, path);
    // Take the write lock now (held for the connection's life under EXCLUSIVE locking).
    db.exec('BEGIN IMMEDIATE');
    db.exec('COMMIT');
    checkOwnership(db, path);
    if (opts.integrityCheck ?? true) checkIntegrity(db, path);
    migrate(db, path, opts.logger);
    return db;
  } catch (e) {
    try {
      db?.close();
    } catch {
      // already failing: the first error is the one to report
    }
    throw storeErrorFromSqlite(e, path);
  }
}

function checkOwnership(db: Db, path: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (appId === 0 && version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number };
    if (tables.n > 0) throw new InvoiceStoreError('foreign_database', CLN_CODES.GENERIC, `invoice database ${path} holds tables that are not ours (no bolt12d application_id): refusing to use it`);
    return;
  }
  if (appId !== APPLICATION_ID) {
    throw new InvoiceStoreError('foreign_database', CLN_CODES.GENERIC, `invoice database ${path} belongs to another application (application_id ${appId}): refusing to use it`);
  }
  if (version > LATEST_VERSION) {
    throw new InvoiceStoreError(
      'schema_too_new',
      CLN_CODES.GENERIC,
      `invoice database ${path} has schema version ${version}, newer than this bolt12d understands (${LATEST_VERSION}): upgrade bolt12d or use another datadir`,
      { version, supported: LATEST_VERSION },
    );
  }
}

function checkIntegrity(db: Db, path: string): void {
  const rows = db.pragma('quick_check') as { quick_check: string }[];
  if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') {
    const problems = rows.slice(0, 3).map((r) => r.quick_check).join('; ');
    throw new InvoiceStoreError('corrupt', CLN_CODES.GENERIC, `invoice database ${path} is corrupt: ${problems}`);
  }
}

function migrate(db: Db, path: string, logger?: Logger): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    // One transaction per migration: the schema and its version number change together.
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    logger?.info(`invoice database ${path}: migrated to schema version ${m.version} (${m.description})`);
  }
}
