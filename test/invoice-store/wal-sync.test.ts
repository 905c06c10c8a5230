// A commit is answered only once it is on disk: the store runs SQLite with synchronous=NORMAL and
// fdatasyncs the WAL itself (src/invoice-store/sqlite/wal-sync.ts): inline by default, or off the
// event loop for a writer with work to do meanwhile (`background`). These tests hold and fail those
// fdatasyncs to check the order of things; crash.test.ts kills real processes.
import { fdatasync, fdatasyncSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openInvoiceStore, type FdSync, type InvoiceStoreEvent, type SqliteInvoiceStore } from '../../src/invoice-store/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { newInvoice, T0, tempDir } from './fixtures.ts';

/** Background fdatasyncs held until released (or failed) by the test; inline ones counted. */
function heldSync() {
  const held: { fd: number; cb: (err: Error | null) => void }[] = [];
  const background: FdSync = (fd, cb) => void held.push({ fd, cb });
  const h = {
    held,
    inline: 0,
    inlineError: null as Error | null,
    fdSync: {
      background,
      inline: (fd: number) => {
        h.inline++;
        if (h.inlineError) throw h.inlineError;
        fdatasyncSync(fd);
      },
    },
    /** Let the oldest held call do the real fdatasync. */
    releaseOne: () =>
      new Promise<void>((r) => {
        const x = held.shift()!;
        fdatasync(x.fd, (e) => {
          x.cb(e);
          r();
        });
      }),
    failOne: (code: string) => held.shift()!.cb(Object.assign(new Error(`${code}: i/o error`), { code })),
  };
  return h;
}

const settle = () => new Promise((r) => setImmediate(r));
const BG = { background: true };

/** A file store whose fdatasyncs the test holds; closed (unless the test did) and removed after. */
async function withStore(fn: (s: SqliteInvoiceStore, sync: ReturnType<typeof heldSync>, file: string) => Promise<void>): Promise<void> {
  const d = tempDir();
  const sync = heldSync();
  try {
    const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), fdSync: sync.fdSync });
    await fn(s, sync, d.file);
    await s.close();
  } finally {
    d.cleanup();
  }
}

describe('commits are answered after the WAL is fdatasynced', () => {
  it('inline (the default): answered after one fdatasync on the event loop, no thread-pool call', () =>
    withStore(async (s, sync, file) => {
    await s.create(newInvoice('a'));
    await Promise.all([s.create(newInvoice('b')), s.create(newInvoice('c'))]);
    expect(sync.inline).toBe(2);
    expect(sync.held).toHaveLength(0);
    }));

  it('background: a create resolves, and its event fires, only after the fdatasync covering it returns', () =>
    withStore(async (s, sync, file) => {
    const events: InvoiceStoreEvent[] = [];
    s.subscribe((e) => events.push(e));
    let done = false;
    const p = s.create(newInvoice('a'), BG).then((r) => ((done = true), r));
    for (let i = 0; i < 5; i++) await settle();
    // Committed (and in the WAL file), but not yet synced: nobody has been told.
    expect(sync.held).toHaveLength(1);
    expect(sync.held[0]!.fd).toBeGreaterThan(2);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    expect(done).toBe(false);
    expect(events).toHaveLength(0);
    await sync.releaseOne();
    const rec = await p;
    expect(rec.label).toBe('a');
    expect(events.map((e) => e.kind)).toEqual(['invoice_created']);
    expect(sync.inline).toBe(0);
    }));

  it('background batches committed behind an fdatasync in flight wait for the next one, which covers them all', () =>
    withStore(async (s, sync, file) => {
    const order: string[] = [];
    const a = s.create(newInvoice('a'), BG).then(() => order.push('a'));
    await settle();
    const b = s.create(newInvoice('b'), BG).then(() => order.push('b'));
    await settle();
    const c = s.create(newInvoice('c'), BG).then(() => order.push('c'));
    for (let i = 0; i < 3; i++) await settle();
    expect(s.commitStats.transactions).toBe(3);
    expect(sync.held).toHaveLength(1);
    await sync.releaseOne();
    await a;
    // a's fdatasync started before b and c committed: it does not answer them.
    for (let i = 0; i < 3; i++) await settle();
    expect(order).toEqual(['a']);
    expect(sync.held).toHaveLength(1);
    await sync.releaseOne();
    await Promise.all([b, c]);
    expect(order).toEqual(['a', 'b', 'c']);
    }));

  it('an inline fdatasync answers the background batches committed before it', () =>
    withStore(async (s, sync, file) => {
    const order: string[] = [];
    const a = s.create(newInvoice('a'), BG).then(() => order.push('a'));
    for (let i = 0; i < 3; i++) await settle();
    expect(sync.held).toHaveLength(1);
    await s.create(newInvoice('b')).then(() => order.push('b'));
    await a;
    expect(order).toEqual(['a', 'b']);
    // The held background call returning later changes nothing.
    await sync.releaseOne();
    expect(s.get('a')?.label).toBe('a');
    }));

  it('a failed fdatasync fails the writes it covered and refuses every later write', async () => {
    for (const mode of ['background', 'inline'] as const) {
      const d = tempDir();
      const sync = heldSync();
      try {
        const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), fdSync: sync.fdSync });
        let a;
        if (mode === 'background') {
          a = s.create(newInvoice('a'), BG);
          for (let i = 0; i < 3; i++) await settle();
          sync.failOne('EIO');
        } else {
          sync.inlineError = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
          a = s.create(newInvoice('a'));
        }
        await expect(a, mode).rejects.toMatchObject({ reason: 'io', message: expect.stringMatching(/fdatasync .*-wal failed \(EIO\)/) });
        sync.inlineError = null;
        const calls = sync.inline + sync.held.length;
        await expect(s.create(newInvoice('b')), mode).rejects.toMatchObject({ reason: 'io' });
        await expect(s.create(newInvoice('c'), BG), mode).rejects.toMatchObject({ reason: 'io' });
        // No fdatasync was tried again.
        expect(sync.inline + sync.held.length, mode).toBe(calls);
        await s.close();
      } finally {
        d.cleanup();
      }
    }
  });

  it('close waits for the background fdatasync in flight and answers its callers first', async () => {
    const d = tempDir();
    const sync = heldSync();
    try {
      const s = openInvoiceStore({ path: d.file, clock: new ManualClock(T0), fdSync: sync.fdSync });
      const a = s.create(newInvoice('a'), BG);
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
  it('a wait that reads a commit whose background fdatasync is in flight flushes before it answers', () =>
    withStore(async (s, sync, file) => {
    const created = s.create(newInvoice('a'), BG);
    for (let i = 0; i < 3; i++) await settle();
    expect(s.get('a')?.status).toBe('unpaid'); // the read sees the commit
    const before = sync.inline;
    // wait(created ≥ 1) is answered from the index at once, but only once the commit is on disk:
    // here by an inline fdatasync (the held background one has not returned).
    const w = await s.wait('created', 1);
    expect(w.value).toBe(1);
    expect(sync.inline).toBe(before + 1);
    // That fdatasync covered the create too.
    expect((await created).label).toBe('a');
    // Nothing waiting for an fdatasync: answered without one.
    await s.wait('created', 1);
    expect(sync.inline).toBe(before + 1);
    await sync.releaseOne();
    }));
});
