// The bound the store benchmark (bench/store.ts) is measured against: raw better-sqlite3 inserts
// of the same rows into the same schema, one transaction (one fsync) per insert, on a connection
// opened by the same code, so journal mode, sync level and locking are the store's by construction.
// It lives here because SQL stays inside src/invoice-store/.
import type { NewInvoice } from '../types.ts';
import { openDatabase } from './schema.ts';

export interface RawBaseline {
  /** Insert one invoice row in its own transaction. */
  insert(inv: NewInvoice, now: number): void;
  close(): void;
}

export function openRawBaseline(path: string): RawBaseline {
  const db = openDatabase(path, { integrityCheck: false });
  let id = 0;
  const stmt = db.prepare(
    `INSERT INTO invoices (id, label, bolt12, description, payment_hash, payment_preimage, amount_msat, state, created_at, expires_at, invreq_ref, local_offer_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'unpaid', ?, ?, ?, ?)`,
  );
  const one = db.transaction((inv: NewInvoice, now: number) => {
    stmt.run(++id, inv.label, inv.bolt12, inv.description ?? null, inv.paymentHash, inv.paymentPreimage, inv.amountMsat, now, inv.expiresAt, inv.invreqRef ?? null, inv.localOfferId ?? null);
  });
  return {
    insert: (inv, now) => one.immediate(inv, now),
    close: () => db.close(),
  };
}
