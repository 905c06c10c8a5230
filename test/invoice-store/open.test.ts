// Opening the database file: settings, migrations, persistence across restarts, and clear errors
// (not crashes) for a newer schema, a foreign file, a lock held elsewhere, and corruption.
// Headers are edited as bytes (SQLite file format §1.3: user_version at offset 60, application_id
// at 68), so no SQL is needed outside src/invoice-store/.
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INVOICE_SCHEMA_VERSION, InvoiceStoreError, openInvoiceStore } from '../../src/invoice-store/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { createLogger, memorySink } from '../../src/util/log.ts';
import { newInvoice, T0, tempDir } from './fixtures.ts';

const dirs: { cleanup(): void }[] = [];
function dir() {
  const d = tempDir();
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function openErr(path: string, extra: { busyTimeoutMs?: number } = {}): InvoiceStoreError {
  try {
    const s = openInvoiceStore({ path, clock: new ManualClock(T0), ...extra });
    void s.close();
  } catch (e) {
    expect(e).toBeInstanceOf(InvoiceStoreError);
    return e as InvoiceStoreError;
  }
  throw new Error('expected open to fail');
}

function writeU32At(path: string, offset: number, value: number): void {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  const fd = openSync(path, 'r+');
  writeSync(fd, b, 0, 4, offset);
  closeSync(fd);
}

describe('openInvoiceStore', () => {
  it('creates the file with WAL, synchronous=NORMAL plus our fdatasync of the WAL, exclusive locking and the latest schema version', async () => {
    const d = dir();
    const sink = memorySink();
    const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), logger: createLogger({ sinks: [sink] }) });
    expect(s.settings()).toEqual({ journalMode: 'wal', synchronous: 'normal', walFdatasync: true, lockingMode: 'exclusive', schemaVersion: INVOICE_SCHEMA_VERSION });
    expect(sink.records.some((r) => /migrated to schema version 1/.test(r.msg))).toBe(true);
    await s.close();
    // reopening does not migrate again
    const sink2 = memorySink();
    const s2 = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), logger: createLogger({ sinks: [sink2] }) });
    expect(sink2.records.some((r) => /migrated/.test(r.msg))).toBe(false);
    await s2.close();
  });

  it('keeps every record, index and counter across close and reopen', async () => {
    const d = dir();
    const clock = new ManualClock(T0);
    const s = openInvoiceStore({ path: d.file, clock });
    const a = await s.create(newInvoice('a'));
    await s.create(newInvoice('b'));
    await s.create(newInvoice('c', { expiresAt: T0 + 10 }));
    const paid = await s.markPaid(a.paymentHash, 12_345n);
    await s.delete('b', 'unpaid');
    const before = s.list();
    const idx = s.indexes();
    await s.close();
    const s2 = openInvoiceStore({ path: d.file, clock });
    expect(s2.list()).toEqual(before);
    expect(s2.indexes()).toEqual(idx);
    expect(s2.get('a')).toEqual(paid.record);
    expect(s2.selfCheck()).toEqual([]);
    // pay_index and created_index continue, never reused
    const e = await s2.create(newInvoice('e'));
    expect(e.createdIndex).toBe(4);
    expect((await s2.markPaid(e.paymentHash, 1n)).record.payIndex).toBe(2);
    // an expiry that came due while closed is seen at once
    clock.advance(10);
    expect(s2.get('c')?.status).toBe('expired');
    await s2.close();
  });

  it('deleting the newest, last-paid invoice does not let its indexes be reused after a restart', async () => {
    const d = dir();
    const clock = new ManualClock(T0);
    const s = openInvoiceStore({ path: d.file, clock });
    const a = await s.create(newInvoice('a'));
    const b = await s.create(newInvoice('b'));
    await s.markPaid(a.paymentHash, 1n);
    await s.markPaid(b.paymentHash, 1n);
    await s.delete('b', 'paid');
    const idx = s.indexes();
    expect(idx).toEqual({ created: 2, updated: 2, deleted: 1, payIndex: 2 });
    await s.close();
    const s2 = openInvoiceStore({ path: d.file, clock });
    expect(s2.indexes()).toEqual(idx);
    const c = await s2.create(newInvoice('c'));
    expect(c.createdIndex).toBe(3);
    expect((await s2.markPaid(c.paymentHash, 1n)).record).toMatchObject({ payIndex: 3, updatedIndex: 3 });
    expect(s2.selfCheck()).toEqual([]);
    await s2.close();
  });

  it('refuses a database with a newer schema version, saying so', async () => {
    const d = dir();
    await openInvoiceStore({ path: d.file, clock: new ManualClock(T0) }).close();
    writeU32At(d.file, 60, INVOICE_SCHEMA_VERSION + 1);
    const e = openErr(d.file);
    expect(e.reason).toBe('schema_too_new');
    expect(e.message).toContain(`schema version ${INVOICE_SCHEMA_VERSION + 1}, newer than this bolt12d understands (${INVOICE_SCHEMA_VERSION})`);
  });

  it("refuses another application's SQLite file", async () => {
    const d = dir();
    await openInvoiceStore({ path: d.file, clock: new ManualClock(T0) }).close();
    writeU32At(d.file, 68, 0x12345678);
    expect(openErr(d.file).reason).toBe('foreign_database');
    // no application id and no version, but tables: not ours either
    writeU32At(d.file, 68, 0);
    writeU32At(d.file, 60, 0);
    expect(openErr(d.file).reason).toBe('foreign_database');
  });

  it('refuses a database locked by another opener, and opens once it is released', async () => {
    const d = dir();
    const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0) });
    await s.create(newInvoice('a'));
    const e = openErr(d.file, { busyTimeoutMs: 50 });
    expect(e.reason).toBe('locked');
    expect(e.message).toMatch(/locked/);
    expect(s.get('a')).toBeDefined(); // the owner is unaffected
    await s.close();
    const s2 = openInvoiceStore({ path: d.file, clock: new ManualClock(T0) });
    expect(s2.get('a')).toBeDefined();
    await s2.close();
  });

  it('refuses a file that is not a database', () => {
    const d = dir();
    writeFileSync(d.file, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    const e = openErr(d.file);
    expect(e.reason).toBe('corrupt');
    expect(e.message).toMatch(/corrupt or not a database/);
  });

  it('refuses a database whose pages were damaged', async () => {
    const d = dir();
    const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0) });
    for (let i = 0; i < 200; i++) await s.create(newInvoice(`inv-${i}`, { description: 'd'.repeat(200) }));
    await s.close();
    expect(existsSync(d.file + '-wal')).toBe(false); // checkpointed on close
    const size = statSync(d.file).size;
    expect(size).toBeGreaterThan(16 * 4096);
    // overwrite pages 3..6 with a pattern (page 1 holds the header and schema)
    const fd = openSync(d.file, 'r+');
    writeSync(fd, Buffer.alloc(4 * 4096, 0xa5), 0, 4 * 4096, 2 * 4096);
    closeSync(fd);
    expect(openErr(d.file).reason).toBe('corrupt');
  });

  it('a directory that does not exist → io error, not a crash', () => {
    const d = dir();
    const e = openErr(join(d.dir, 'missing', 'sub', 'x.sqlite3'));
    expect(e.reason).toBe('io');
  });

  it('a second store on another file in the same process is independent (no global state)', async () => {
    const d1 = dir();
    const d2 = dir();
    const a = openInvoiceStore({ path: d1.file, clock: new ManualClock(T0) });
    const b = openInvoiceStore({ path: d2.file, clock: new ManualClock(T0) });
    await a.create(newInvoice('x'));
    expect(b.get('x')).toBeUndefined();
    await b.create(newInvoice('x'));
    await a.close();
    await b.close();
    expect(readFileSync(d1.file).length).toBeGreaterThan(0);
  });
});
