// Group commit: concurrent writes share one transaction; a failing write in a batch fails alone.
import { describe, expect, it } from 'vitest';
import { openInvoiceStore } from '../../src/invoice-store/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { memStore, newInvoice, T0, tempDir } from './fixtures.ts';

describe('group commit', () => {
  it('100 concurrent creates on a file database commit in one transaction, every caller answered', async () => {
    const d = tempDir();
    try {
      const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0) });
      const recs = await Promise.all(Array.from({ length: 100 }, (_, i) => s.create(newInvoice(`c${i}`))));
      expect(s.commitStats).toEqual({ transactions: 1, writes: 100 });
      expect(recs.map((r) => r.createdIndex)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      // sequential callers: one transaction each
      await s.create(newInvoice('s1'));
      await s.create(newInvoice('s2'));
      expect(s.commitStats.transactions).toBe(3);
      await s.close();
    } finally {
      d.cleanup();
    }
  });

  it('a duplicate inside a batch fails alone; the others commit with gapless indexes', async () => {
    const { store: s } = memStore();
    const ps = Array.from({ length: 10 }, (_, i) => s.create(newInvoice(i === 5 ? 'c2' : `c${i}`, i === 5 ? { paymentHash: newInvoice('x').paymentHash, paymentPreimage: newInvoice('x').paymentPreimage } : {})));
    const out = await Promise.allSettled(ps);
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((out[5] as PromiseRejectedResult).reason).toMatchObject({ code: 900 });
    expect(s.commitStats).toEqual({ transactions: 1, writes: 10 });
    expect(s.list().map((r) => r.createdIndex)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.getByPaymentHash(newInvoice('x').paymentHash)).toBeUndefined();
    expect(s.selfCheck()).toEqual([]);
    await s.close();
  });

  it('creates and payments mixed in one batch: payment after create in the same batch works', async () => {
    const { store: s } = memStore();
    const a = newInvoice('a');
    const [created, paid, again] = await Promise.all([s.create(a), s.markPaid(a.paymentHash, 7n), s.markPaid(a.paymentHash, 8n)]);
    expect(created.status).toBe('unpaid');
    expect(paid).toMatchObject({ newlyPaid: true, record: { payIndex: 1, amountReceivedMsat: 7n } });
    expect(again.newlyPaid).toBe(false);
    expect(s.commitStats.transactions).toBe(1);
    await s.close();
  });

  it('an unexpected failure inside a batch rolls the whole batch back and fails every write in it', async () => {
    const { store: s } = memStore();
    await s.create(newInvoice('before'));
    const idx = s.indexes();
    // Inject a write that fails the way a disk error would (not an InvoiceStoreError).
    const inject = (s as unknown as { submit(w: () => unknown): Promise<unknown> }).submit.bind(s);
    const a = s.create(newInvoice('a'));
    const boom = inject(() => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    });
    const b = s.create(newInvoice('b'));
    const out = await Promise.allSettled([a, boom, b]);
    for (const o of out) {
      expect(o.status).toBe('rejected');
      expect((o as PromiseRejectedResult).reason).toMatchObject({ reason: 'io' });
    }
    expect(s.list().map((r) => r.label)).toEqual(['before']);
    expect(s.indexes()).toEqual(idx);
    expect(s.selfCheck()).toEqual([]);
    // and the store keeps working
    expect((await s.create(newInvoice('a'))).createdIndex).toBe(2);
    await s.close();
  });

  it('maxBatch bounds the writes per transaction', async () => {
    const s = openInvoiceStore({ path: ':memory:', clock: new ManualClock(T0), maxBatch: 3 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => s.create(newInvoice(`m${i}`))));
    expect(s.commitStats).toEqual({ transactions: 4, writes: 10 });
    await s.close();
  });

  it('close commits what is queued before releasing the file', async () => {
    const d = tempDir();
    try {
      const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0) });
      const p = s.create(newInvoice('late'));
      await s.close();
      expect((await p).label).toBe('late');
      const s2 = openInvoiceStore({ path: d.file, clock: new ManualClock(T0) });
      expect(s2.get('late')).toBeDefined();
      await s2.close();
    } finally {
      d.cleanup();
    }
  });
});
