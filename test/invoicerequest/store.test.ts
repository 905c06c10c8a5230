// The refunds half of the invoice store: invoice_requests we issued and the payments we made for
// them, durable across a reopen; a single-use refund is paid at most once, also across a restart.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { sha256 } from '../../src/crypto/index.ts';
import { INVOICE_SCHEMA_VERSION, InvoiceStoreError, openInvoiceStore, type NewInvoiceRequest } from '../../src/invoice-store/index.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { tempDir } from '../tmp.ts';

const T0 = 1_700_000_000;
const id = (s: string) => sha256(utf8.encode(`invreq ${s}`));
const hash = (s: string) => sha256(utf8.encode(`hash ${s}`));
const invreq = (s: string, over: Partial<NewInvoiceRequest> = {}): NewInvoiceRequest => ({
  invreqId: id(s),
  bolt12: `lnr1${s}`,
  amountMsat: 5000n,
  singleUse: true,
  ...over,
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InvoiceStoreError);
    return (e as InvoiceStoreError).reason;
  }
  throw new Error('expected a rejection');
}

describe('refund store', () => {
  it('creates, lists, disables (CLN codes), refuses duplicates and bad input', async () => {
    const store = openInvoiceStore({ path: ':memory:', clock: new ManualClock(T0) });
    const a = await store.createInvoiceRequest(invreq('a', { label: 'first', absoluteExpiry: T0 + 60 }));
    expect(a).toEqual({ invreqId: id('a'), bolt12: 'lnr1a', label: 'first', amountMsat: 5000n, absoluteExpiry: T0 + 60, singleUse: true, active: true, used: false, createdAt: T0 });
    await store.createInvoiceRequest(invreq('b', { singleUse: false }));
    expect(await code(store.createInvoiceRequest(invreq('a')))).toBe('duplicate_invreq');
    expect(await code(store.createInvoiceRequest(invreq('z', { amountMsat: 0n })))).toBe('invalid');
    expect(await code(store.createInvoiceRequest(invreq('z', { invreqId: new Uint8Array(31) })))).toBe('invalid');
    expect(store.listInvoiceRequests().map((r) => r.bolt12)).toEqual(['lnr1a', 'lnr1b']);
    const d = await store.disableInvoiceRequest(id('a'));
    expect(d.active).toBe(false);
    expect(store.listInvoiceRequests({ activeOnly: true }).map((r) => r.bolt12)).toEqual(['lnr1b']);
    const e1 = await store.disableInvoiceRequest(id('a')).catch((e: InvoiceStoreError) => e);
    expect(e1).toMatchObject({ reason: 'already_disabled', code: 1001, message: 'invoice_request is not active' });
    const e2 = await store.disableInvoiceRequest(id('nope')).catch((e: InvoiceStoreError) => e);
    expect(e2).toMatchObject({ reason: 'not_found', code: -1, message: 'Unknown invoice_request' });
    // a disabled refund takes no invoice
    expect(await code(store.beginRefundPayment({ invreqId: id('a'), paymentHash: hash('x'), invoice: 'lni1x', amountMsat: 5000n }))).toBe('inactive');
    await store.close();
  });

  it('single-use: one payment at a time, none after one completed; duplicates reported; failures allow another', async () => {
    const store = openInvoiceStore({ path: ':memory:', clock: new ManualClock(T0) });
    await store.createInvoiceRequest(invreq('s'));
    const p = { invreqId: id('s'), invoice: 'lni1', amountMsat: 5000n };
    const [first, second] = await Promise.all([
      store.beginRefundPayment({ ...p, paymentHash: hash('1') }),
      store.beginRefundPayment({ ...p, paymentHash: hash('2') }).catch((e: InvoiceStoreError) => e),
    ]);
    expect(first).toMatchObject({ outcome: 'started', payment: { status: 'pending' } });
    expect(second).toMatchObject({ reason: 'in_flight' });
    expect(await store.beginRefundPayment({ ...p, paymentHash: hash('1') })).toMatchObject({ outcome: 'duplicate', payment: { status: 'pending' } });
    await store.finishRefundPayment(hash('1'), { failure: 'no route' });
    expect(store.getInvoiceRequest(id('s'))).toMatchObject({ active: true, used: false });
    expect(await store.beginRefundPayment({ ...p, paymentHash: hash('3') })).toMatchObject({ outcome: 'started' });
    const pre = sha256(utf8.encode('pre'));
    expect(await store.finishRefundPayment(hash('3'), { paymentPreimage: pre })).toMatchObject({ status: 'complete', paymentPreimage: pre });
    expect(store.getInvoiceRequest(id('s'))).toMatchObject({ active: false, used: true });
    expect(await code(store.beginRefundPayment({ ...p, paymentHash: hash('4') }))).toBe('inactive');
    expect(await code(store.finishRefundPayment(hash('3'), { failure: 'late' }))).toBe('status_mismatch');
    expect(store.listRefundPayments(id('s')).map((x) => x.status)).toEqual(['failed', 'complete']);
    await store.close();
  });

  it('multi-use: several payments, stays active once used', async () => {
    const store = openInvoiceStore({ path: ':memory:', clock: new ManualClock(T0) });
    await store.createInvoiceRequest(invreq('m', { singleUse: false }));
    const p = { invreqId: id('m'), invoice: 'lni1', amountMsat: 5000n };
    await Promise.all([1, 2, 3].map((i) => store.beginRefundPayment({ ...p, paymentHash: hash(`m${i}`) })));
    for (const i of [1, 2]) await store.finishRefundPayment(hash(`m${i}`), { paymentPreimage: sha256(utf8.encode(`p${i}`)) });
    expect(store.getInvoiceRequest(id('m'))).toMatchObject({ active: true, used: true });
    await store.close();
  });

  it('survives a reopen: a pending single-use payment still blocks a second one', async () => {
    const dir = tempDir('b12d-refunds-');
    const path = join(dir, 'db.sqlite3');
    let store = openInvoiceStore({ path, clock: new ManualClock(T0) });
    await store.createInvoiceRequest(invreq('r', { label: 'durable' }));
    await store.beginRefundPayment({ invreqId: id('r'), paymentHash: hash('r1'), invoice: 'lni1r1', amountMsat: 5000n });
    await store.close();
    store = openInvoiceStore({ path, clock: new ManualClock(T0) });
    expect(store.getInvoiceRequest(id('r'))).toMatchObject({ label: 'durable', active: true });
    expect(await code(store.beginRefundPayment({ invreqId: id('r'), paymentHash: hash('r2'), invoice: 'lni1r2', amountMsat: 5000n }))).toBe('in_flight');
    await store.finishRefundPayment(hash('r1'), { paymentPreimage: sha256(utf8.encode('r')) });
    await store.close();
    store = openInvoiceStore({ path, clock: new ManualClock(T0) });
    expect(store.getInvoiceRequest(id('r'))).toMatchObject({ active: false, used: true });
    expect(await code(store.beginRefundPayment({ invreqId: id('r'), paymentHash: hash('r3'), invoice: 'lni1r3', amountMsat: 5000n }))).toBe('inactive');
    await store.close();
  });
});

describe('migration', () => {
  it('a version-1 database (invoices only) is migrated to the refund tables, its invoices kept', async () => {
    const Database = (await import('better-sqlite3')).default;
    const { MIGRATIONS, APPLICATION_ID } = await import('../../src/invoice-store/sqlite/schema.ts');
    const dir = tempDir('b12d-migrate-');
    const path = join(dir, 'v1.sqlite3');
    const db = new Database(path);
    db.exec(MIGRATIONS[0]!.sql);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma('user_version = 1');
    const pre = sha256(utf8.encode('v1 preimage'));
    db.prepare(`INSERT INTO invoices (id, label, bolt12, payment_hash, payment_preimage, amount_msat, state, created_at, expires_at) VALUES (1, 'old', 'lni1old', ?, ?, 1000, 'unpaid', ?, ?)`).run(
      sha256(pre),
      pre,
      T0,
      T0 + 3600,
    );
    db.close();
    const store = openInvoiceStore({ path, clock: new ManualClock(T0) });
    expect(store.settings().schemaVersion).toBe(INVOICE_SCHEMA_VERSION);
    expect(store.get('old')).toMatchObject({ label: 'old', status: 'unpaid' });
    await store.createInvoiceRequest(invreq('after-migration'));
    expect(store.listInvoiceRequests()).toHaveLength(1);
    expect(store.selfCheck()).toEqual([]);
    await store.close();
  });
});
