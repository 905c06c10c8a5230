// A commit is answered only once it is on disk: the store runs SQLite with synchronous=NORMAL and
// fdatasyncs the WAL itself, off the event loop (src/invoice-store/sqlite/wal-sync.ts). These tests
// hold and fail that fdatasync to check the order of things; crash.test.ts kills real processes.
import { fdatasync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openInvoiceStore, type FdSync, type InvoiceStoreEvent } from '../../src/invoice-store/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { newInvoice, T0, tempDir } from './fixtures.ts';

/** An fdSync that holds every call until released (or failed) by the test. */
function heldSync() {
  const held: { fd: number; cb: (err: NodeJS.ErrnoException | null) => void }[] = [];
  const fn: FdSync = (fd, cb) => void held.push({ fd, cb });
  return {
    fn,
    held,
    /** Let the oldest held call do the real fdatasync. */
    releaseOne: () => new Promise<void>((r) => {
      const h = held.shift()!;
      fdatasync(h.fd, (e) => {
        h.cb(e);
        r();
      });
    }),
    failOne: (code: string) => held.shift()!.cb(Object.assign(new Error(`${code}: i/o error`), { code })),
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('commits are answered after the WAL is fdatasynced', () => {
  it('a create resolves, and its event fires, only after the fdatasync covering it returns', async () => {
    const d = tempDir();
    const sync = heldSync();
    try {
      const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), fdSync: sync.fn });
      const events: InvoiceStoreEvent[] = [];
      s.subscribe((e) => events.push(e));
      let done = false;
      const p = s.create(newInvoice('a')).then((r) => ((done = true), r));
      for (let i = 0; i < 5; i++) await settle();
      // Committed (and in the WAL file), but not yet synced: nobody has been told.
      expect(sync.held).toHaveLength(1);
      expect(sync.held[0]!.fd).toBeGreaterThan(2);
      expect(statSync(`${d.file}-wal`).size).toBeGreaterThan(0);
      expect(done).toBe(false);
      expect(events).toHaveLength(0);
      await sync.releaseOne();
      const rec = await p;
      expect(rec.label).toBe('a');
      expect(events.map((e) => e.kind)).toEqual(['invoice_created']);
      await s.close();
    } finally {
      d.cleanup();
    }
  });

  it('batches committed behind an fdatasync in flight wait for the next one, which covers them all', async () => {
    const d = tempDir();
    const sync = heldSync();
    try {
      const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), fdSync: sync.fn });
      const order: string[] = [];
      const a = s.create(newInvoice('a')).then(() => order.push('a'));
      await settle();
      const b = s.create(newInvoice('b')).then(() => order.push('b'));
      await settle();
      const c = s.create(newInvoice('c')).then(() => order.push('c'));
      for (let i = 0; i < 3; i++) await settle();
      // Three transactions, one fdatasync started (for a); b and c wait for the next.
      expect(s.commitStats.transactions).toBe(3);
      expect(sync.held).toHaveLength(1);
      await sync.releaseOne();
      await a;
      expect(order).toEqual(['a']);
      // a's fdatasync started before b and c committed: it does not answer them.
      for (let i = 0; i < 3; i++) await settle();
      expect(order).toEqual(['a']);
      expect(sync.held).toHaveLength(1);
      await sync.releaseOne();
      await Promise.all([b, c]);
      expect(order).toEqual(['a', 'b', 'c']);
      await s.close();
    } finally {
      d.cleanup();
    }
  });

  it('a failed fdatasync fails the writes it covered and refuses every later write', async () => {
    const d = tempDir();
    const sync = heldSync();
    try {
      const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), fdSync: sync.fn });
      const a = s.create(newInvoice('a'));
      for (let i = 0; i < 3; i++) await settle();
      sync.failOne('EIO');
      await expect(a).rejects.toMatchObject({ reason: 'io', message: expect.stringMatching(/fdatasync .*-wal failed \(EIO\)/) });
      await expect(s.create(newInvoice('b'))).rejects.toMatchObject({ reason: 'io' });
      // No second fdatasync was tried.
      expect(sync.held).toHaveLength(0);
      await s.close();
    } finally {
      d.cleanup();
    }
  });

  it('close waits for the fdatasync in flight and answers its callers first', async () => {
    const d = tempDir();
    const sync = heldSync();
    try {
      const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), fdSync: sync.fn });
      const a = s.create(newInvoice('a'));
      for (let i = 0; i < 3; i++) await settle();
      let closed = false;
      const c = s.close().then(() => (closed = true));
      await settle();
      expect(closed).toBe(false);
      await sync.releaseOne();
      await c;
      expect((await a).label).toBe('a');
      const again = openInvoiceStore({ path: d.file, clock: new ManualClock(T0) });
      expect(again.get('a')?.label).toBe('a');
      await again.close();
    } finally {
      d.cleanup();
    }
  });
});

describe('waits do not answer from a commit that is not yet on disk', () => {
  it('waitinvoice on an invoice whose paid mark is committed but not synced answers only after the fdatasync', async () => {
    const d = tempDir();
    const sync = heldSync();
    try {
      const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), fdSync: sync.fn });
      const inv = newInvoice('a');
      const created = s.create(inv);
      for (let i = 0; i < 3; i++) await settle();
      await sync.releaseOne();
      await created;
      const paid = s.markPaid(inv.paymentHash, 50_000n);
      for (let i = 0; i < 3; i++) await settle();
      expect(s.get('a')?.status).toBe('paid'); // the read sees the commit
      let answered = false;
      const w = s.waitInvoice('a').then((r) => ((answered = true), r));
      const any = s.waitAnyInvoice(0);
      const idx = s.wait('updated', 1);
      for (let i = 0; i < 3; i++) await settle();
      expect(answered).toBe(false);
      // The paid mark's fdatasync was in flight before the waits read it: they wait for the next one.
      await sync.releaseOne();
      await paid;
      for (let i = 0; i < 3; i++) await settle();
      expect(answered).toBe(false);
      expect(sync.held).toHaveLength(1);
      await sync.releaseOne();
      expect((await w).status).toBe('paid');
      expect((await any).label).toBe('a');
      expect((await idx).value).toBeGreaterThanOrEqual(1);
      // Nothing waiting for an fdatasync: answered at once.
      expect((await s.waitInvoice('a')).status).toBe('paid');
      expect(sync.held).toHaveLength(0);
      await s.close();
    } finally {
      d.cleanup();
    }
  });
});
