// Every SQL statement the SQLite backend runs, prepared once, and the row <-> record mapping.
// Integers are read as bigint (safeIntegers) so amounts never pass through a float.
import type Database from 'better-sqlite3';
import { deriveStatus } from '../record.ts';
import type { InvoiceRecord, InvoiceStatus, ListFilter } from '../types.ts';
import type { Db } from './schema.ts';

export interface InvoiceRow {
  id: bigint;
  label: string;
  bolt12: string;
  description: string | null;
  payment_hash: Uint8Array;
  payment_preimage: Uint8Array;
  amount_msat: bigint | null;
  state: InvoiceStatus;
  created_at: bigint;
  expires_at: bigint;
  pay_index: bigint | null;
  amount_received_msat: bigint | null;
  paid_at: bigint | null;
  updated_index: bigint | null;
  invreq_ref: string | null;
  local_offer_id: string | null;
}

export interface Counters {
  created: number;
  updated: number;
  deleted: number;
  payIndex: number;
}

const COLUMNS =
  'id, label, bolt12, description, payment_hash, payment_preimage, amount_msat, state, created_at, expires_at, pay_index, amount_received_msat, paid_at, updated_index, invreq_ref, local_offer_id';

const num = (v: bigint | null): number | null => (v === null ? null : Number(v));
const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/** The record as of `now` (status derived from the clock). */
export function rowToRecord(r: InvoiceRow, now: number): InvoiceRecord {
  const expiresAt = Number(r.expires_at);
  return {
    label: r.label,
    bolt12: r.bolt12,
    description: r.description,
    paymentHash: bytes(r.payment_hash),
    paymentPreimage: bytes(r.payment_preimage),
    amountMsat: r.amount_msat,
    status: deriveStatus(r.state, expiresAt, now),
    expiresAt,
    createdAt: Number(r.created_at),
    payIndex: num(r.pay_index),
    amountReceivedMsat: r.amount_received_msat,
    paidAt: num(r.paid_at),
    createdIndex: Number(r.id),
    updatedIndex: num(r.updated_index),
    invreqRef: r.invreq_ref,
    localOfferId: r.local_offer_id,
  };
}

export class Statements {
  readonly insert: Database.Statement;
  readonly byLabel: Database.Statement<[string], InvoiceRow>;
  readonly byHash: Database.Statement<[Uint8Array], InvoiceRow>;
  readonly setPaid: Database.Statement;
  readonly setExpired: Database.Statement;
  readonly clearDescription: Database.Statement;
  readonly remove: Database.Statement;
  readonly dueUnpaid: Database.Statement<[number], InvoiceRow>;
  readonly minUnpaidExpiry: Database.Statement<[], { m: bigint | null }>;
  readonly firstPaidAfter: Database.Statement<[number], InvoiceRow>;
  readonly setCounter: Database.Statement;
  readonly counters: Database.Statement<[], { name: string; value: bigint }>;
  /** Transaction control, prepared once (a batch runs them per job). */
  readonly control: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Database.Statement>;
  private readonly listCache = new Map<string, Database.Statement<unknown[], InvoiceRow>>();

  constructor(private readonly db: Db) {
    this.control = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT job'),
      release: db.prepare('RELEASE job'),
      rollbackTo: db.prepare('ROLLBACK TO job'),
    };
    this.insert = db.prepare(
      `INSERT INTO invoices (id, label, bolt12, description, payment_hash, payment_preimage, amount_msat, state, created_at, expires_at, invreq_ref, local_offer_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'unpaid', ?, ?, ?, ?)`,
    );
    this.byLabel = db.prepare<[string], InvoiceRow>(`SELECT ${COLUMNS} FROM invoices WHERE label = ?`).safeIntegers(true);
    this.byHash = db.prepare<[Uint8Array], InvoiceRow>(`SELECT ${COLUMNS} FROM invoices WHERE payment_hash = ?`).safeIntegers(true);
    // CLN wallet/invoices.c invoices_resolve(): state, pay_index, received, paid_timestamp, updated_index together.
    this.setPaid = db.prepare(
      `UPDATE invoices SET state = 'paid', pay_index = ?, amount_received_msat = ?, paid_at = ?, updated_index = ? WHERE id = ? AND state = 'unpaid'`,
    );
    // CLN trigger_expiration(): state = EXPIRED, updated_index = next.
    this.setExpired = db.prepare(`UPDATE invoices SET state = 'expired', updated_index = ? WHERE id = ? AND state = 'unpaid'`);
    this.clearDescription = db.prepare(`UPDATE invoices SET description = NULL, updated_index = ? WHERE id = ?`);
    this.remove = db.prepare(`DELETE FROM invoices WHERE id = ?`);
    this.dueUnpaid = db
      .prepare<[number], InvoiceRow>(`SELECT ${COLUMNS} FROM invoices WHERE state = 'unpaid' AND expires_at <= ? ORDER BY expires_at, id`)
      .safeIntegers(true);
    this.minUnpaidExpiry = db.prepare<[], { m: bigint | null }>(`SELECT MIN(expires_at) AS m FROM invoices WHERE state = 'unpaid'`).safeIntegers(true);
    // CLN invoices_waitany(): "pay_index IS NOT NULL AND pay_index > ? ORDER BY pay_index ASC LIMIT 1".
    this.firstPaidAfter = db
      .prepare<[number], InvoiceRow>(`SELECT ${COLUMNS} FROM invoices WHERE pay_index IS NOT NULL AND pay_index > ? ORDER BY pay_index ASC LIMIT 1`)
      .safeIntegers(true);
    this.setCounter = db.prepare(`UPDATE counters SET value = ? WHERE name = ?`);
    this.counters = db.prepare<[], { name: string; value: bigint }>(`SELECT name, value FROM counters`).safeIntegers(true);
  }

  readCounters(): Counters {
    const c: Counters = { created: 0, updated: 0, deleted: 0, payIndex: 0 };
    for (const { name, value } of this.counters.all()) {
      if (name === 'created') c.created = Number(value);
      else if (name === 'updated') c.updated = Number(value);
      else if (name === 'deleted') c.deleted = Number(value);
      else if (name === 'pay_index') c.payIndex = Number(value);
    }
    return c;
  }

  /** Largest id, pay_index and updated_index present (0 when none). */
  maxima(): { id: number; payIndex: number; updatedIndex: number } {
    const r = this.db
      .prepare<[], { id: number; p: number; u: number }>('SELECT COALESCE(MAX(id), 0) AS id, COALESCE(MAX(pay_index), 0) AS p, COALESCE(MAX(updated_index), 0) AS u FROM invoices')
      .get()!;
    return { id: r.id, payIndex: r.p, updatedIndex: r.u };
  }

  /**
   * The indexes as they stand: the stored counters, raised to the largest value present in the
   * rows. Only deletes store the counters (in the deleting transaction), so creates and payments
   * write one row and nothing else; what a delete removes is remembered (CLN lightningd/wait.c
   * wait_index_bump(): "It's always the max of the fields in the table, *unless* we delete one. So
   * we can lazily write this on delete, and fix it up to MAX() when we startup.").
   */
  effectiveCounters(): Counters {
    const stored = this.readCounters();
    const max = this.maxima();
    return {
      created: Math.max(stored.created, max.id),
      updated: Math.max(stored.updated, max.updatedIndex),
      deleted: stored.deleted,
      payIndex: Math.max(stored.payIndex, max.payIndex),
    };
  }

  storeCounters(c: Counters): void {
    this.setCounter.run(c.created, 'created');
    this.setCounter.run(c.updated, 'updated');
    this.setCounter.run(c.deleted, 'deleted');
    this.setCounter.run(c.payIndex, 'pay_index');
  }

  /**
   * listinvoices (CLN wallet/invoices.c invoices_first()): by created index (`id >= start ORDER BY
   * id`) or updated index (`updated_index >= start ORDER BY updated_index`), filters ANDed. Only
   * fixed SQL fragments are concatenated; every value is a bound parameter.
   */
  list(f: ListFilter, canonicalInvstring: string | undefined): InvoiceRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.label !== undefined) where.push('label = ?'), args.push(f.label);
    if (f.paymentHash !== undefined) where.push('payment_hash = ?'), args.push(f.paymentHash);
    if (canonicalInvstring !== undefined) where.push('substr(bolt12, -40) = substr(?, -40) AND bolt12 = ?'), args.push(canonicalInvstring, canonicalInvstring);
    if (f.localOfferId !== undefined) where.push('local_offer_id = ?'), args.push(f.localOfferId);
    const col = f.index === 'updated' ? 'updated_index' : 'id';
    if (f.index === 'updated') where.push('updated_index IS NOT NULL');
    if (f.start !== undefined && f.start > 0) where.push(`${col} >= ?`), args.push(f.start);
    const limit = f.limit !== undefined ? ' LIMIT ?' : '';
    if (f.limit !== undefined) args.push(f.limit);
    const sql = `SELECT ${COLUMNS} FROM invoices${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY ${col}${limit}`;
    let stmt = this.listCache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<unknown[], InvoiceRow>(sql).safeIntegers(true);
      this.listCache.set(sql, stmt);
    }
    return stmt.all(...args);
  }
}
