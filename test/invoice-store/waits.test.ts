// waitInvoice, waitAnyInvoice and wait: each path (paid, expired, deleted, timeout, abort, close),
// driven by a ManualClock; plus the real-timer wake-up.
import { describe, expect, it } from 'vitest';
import { InvoiceStoreError, openInvoiceStore, timerScheduler } from '../../src/invoice-store/index.ts';
import { closingMemStores, memStore, newInvoice, settle, T0 } from './fixtures.ts';

const store = closingMemStores();

/** Tracks a promise's outcome without awaiting it. */
function track<T>(p: Promise<T>) {
  const st: { done: boolean; value?: T; error?: InvoiceStoreError } = { done: false };
  p.then(
    (v) => Object.assign(st, { done: true, value: v }),
    (e) => Object.assign(st, { done: true, error: e }),
  );
  return st;
}

describe('waitInvoice', () => {
  it('resolves when the invoice is paid, not before', async () => {
    const { store: s } = store();
    const a = await s.create(newInvoice('a'));
    const w = track(s.waitInvoice('a'));
    await settle();
    expect(w.done).toBe(false);
    await s.markPaid(a.paymentHash, 50_000n);
    await settle();
    expect(w.value).toMatchObject({ label: 'a', status: 'paid', payIndex: 1 });
    expect((s as unknown as { waiterCount(): number }).waiterCount()).toBe(0);
  });

  it('resolves with status expired exactly at expires_at (tick), not a second before', async () => {
    const { store: s, clock } = store();
    await s.create(newInvoice('a', { expiresAt: T0 + 30 }));
    const w = track(s.waitInvoice('a'));
    clock.set(T0 + 29);
    await s.tick();
    await settle();
    expect(w.done).toBe(false);
    clock.set(T0 + 30);
    await s.tick();
    await settle();
    expect(w.value).toMatchObject({ status: 'expired', updatedIndex: 1 });
  });

  it('the scheduler is armed for the next expiry, and its wake-up expires the invoice', async () => {
    const { store: s, clock, scheduler } = store();
    await s.create(newInvoice('a', { expiresAt: T0 + 30 }));
    await s.create(newInvoice('b', { expiresAt: T0 + 10 }));
    expect(scheduler.pending()).toEqual([10_000]);
    const w = track(s.waitInvoice('b'));
    clock.set(T0 + 10);
    scheduler.fire();
    await settle();
    await settle();
    expect(w.value?.status).toBe('expired');
    expect(scheduler.pending()).toEqual([20_000]); // re-armed for 'a'
  });

  it('any call after the due time wakes waiters even if no timer fired (lazy re-check)', async () => {
    const { store: s, clock } = store();
    await s.create(newInvoice('a', { expiresAt: T0 + 30 }));
    const w = track(s.waitInvoice('a'));
    clock.advance(31);
    s.list();
    await settle();
    await settle();
    expect(w.value?.status).toBe('expired');
  });

  it('answers at once when already paid or expired', async () => {
    const { store: s, clock } = store();
    const a = await s.create(newInvoice('a'));
    await s.create(newInvoice('b', { expiresAt: T0 + 1 }));
    await s.markPaid(a.paymentHash, 1n);
    expect((await s.waitInvoice('a')).status).toBe('paid');
    clock.advance(1);
    expect((await s.waitInvoice('b')).status).toBe('expired');
  });

  it('unknown label → -1 "Label not found"; deleted while waiting → -1 "Invoice deleted during wait"', async () => {
    const { store: s } = store();
    await expect(s.waitInvoice('nope')).rejects.toMatchObject({ code: -1, message: 'Label not found' });
    await s.create(newInvoice('a'));
    const w = track(s.waitInvoice('a'));
    await s.delete('a', 'unpaid');
    await settle();
    expect(w.error).toMatchObject({ code: -1, reason: 'deleted_during_wait', message: 'Invoice deleted during wait' });
  });

  it('an AbortSignal cancels the wait and removes the waiter', async () => {
    const { store: s } = store();
    await s.create(newInvoice('a'));
    const ac = new AbortController();
    const w = track(s.waitInvoice('a', ac.signal));
    ac.abort();
    await settle();
    expect(w.error?.reason).toBe('aborted');
    expect((s as unknown as { waiterCount(): number }).waiterCount()).toBe(0);
  });

  it('close rejects pending waiters with reason closed', async () => {
    const { store: s } = memStore();
    await s.create(newInvoice('a'));
    const w = track(s.waitInvoice('a'));
    const x = track(s.waitAnyInvoice());
    const y = track(s.wait('created', 5));
    await s.close();
    await settle();
    expect([w.error?.reason, x.error?.reason, y.error?.reason]).toEqual(['closed', 'closed', 'closed']);
  });
});

describe('waitAnyInvoice', () => {
  it('returns the paid invoice with the smallest pay_index above lastpay_index, at once if there is one', async () => {
    const { store: s } = store();
    const invs = [];
    for (const l of ['a', 'b', 'c']) invs.push(await s.create(newInvoice(l)));
    await s.markPaid(invs[2]!.paymentHash, 1n);
    await s.markPaid(invs[0]!.paymentHash, 1n);
    expect((await s.waitAnyInvoice()).label).toBe('c');
    expect((await s.waitAnyInvoice(1)).label).toBe('a');
    const w = track(s.waitAnyInvoice(2));
    await settle();
    expect(w.done).toBe(false);
    await s.markPaid(invs[1]!.paymentHash, 1n);
    await settle();
    expect(w.value).toMatchObject({ label: 'b', payIndex: 3 });
  });

  it('several payments in one batch: each waiter gets the first above its index', async () => {
    const { store: s } = store();
    const invs = await Promise.all(['a', 'b', 'c'].map((l) => s.create(newInvoice(l))));
    const w0 = track(s.waitAnyInvoice(0));
    const w1 = track(s.waitAnyInvoice(1));
    const w5 = track(s.waitAnyInvoice(5));
    await Promise.all(invs.map((i) => s.markPaid(i.paymentHash, 1n)));
    await settle();
    expect(w0.value?.payIndex).toBe(1);
    expect(w1.value?.payIndex).toBe(2);
    expect(w5.done).toBe(false);
  });

  it('times out with 904 exactly at the timeout, by the injected clock', async () => {
    const { store: s, clock, scheduler } = store();
    const w = track(s.waitAnyInvoice(0, 60));
    expect(scheduler.pending()).toEqual([60_000]);
    clock.advance(59);
    await s.tick();
    await settle();
    expect(w.done).toBe(false);
    clock.advance(1);
    await s.tick();
    await settle();
    expect(w.error).toMatchObject({ code: 904, reason: 'wait_timed_out', message: 'Timed out while waiting for invoice to be paid' });
  });

  it('timeout 0 fails at once when nothing is paid; a payment before the timeout wins', async () => {
    const { store: s, clock } = store();
    await expect(s.waitAnyInvoice(0, 0)).rejects.toMatchObject({ code: 904 });
    const a = await s.create(newInvoice('a'));
    const w = track(s.waitAnyInvoice(0, 60));
    clock.advance(30);
    await s.markPaid(a.paymentHash, 1n);
    clock.advance(60);
    await s.tick();
    await settle();
    expect(w.value?.label).toBe('a');
  });

  it('expiry does not answer waitanyinvoice', async () => {
    const { store: s, clock } = store();
    await s.create(newInvoice('a', { expiresAt: T0 + 1 }));
    const w = track(s.waitAnyInvoice());
    clock.advance(2);
    await s.tick();
    await settle();
    expect(w.done).toBe(false);
  });

  it('refuses a negative lastpay_index or timeout', async () => {
    const { store: s } = store();
    await expect(s.waitAnyInvoice(-1)).rejects.toMatchObject({ reason: 'invalid' });
    await expect(s.waitAnyInvoice(0, -1)).rejects.toMatchObject({ reason: 'invalid' });
  });
});

describe('wait (created / updated / deleted indexes)', () => {
  it('answers at once, without details, when the index is already there', async () => {
    const { store: s } = store();
    expect(await s.wait('created', 0)).toEqual({ indexname: 'created', value: 0 });
    await s.create(newInvoice('a'));
    expect(await s.wait('created', 1)).toEqual({ indexname: 'created', value: 1 });
  });

  it('wakes on the event that reaches nextvalue, with its details', async () => {
    const { store: s, clock } = store();
    const c2 = track(s.wait('created', 2));
    const u1 = track(s.wait('updated', 1));
    const u2 = track(s.wait('updated', 2));
    const d1 = track(s.wait('deleted', 1));
    const [a, b] = await Promise.all([s.create(newInvoice('a', { expiresAt: T0 + 5 })), s.create(newInvoice('b'))]);
    await settle();
    expect(c2.value).toEqual({ indexname: 'created', value: 2, details: { status: 'unpaid', label: 'b', bolt12: b!.bolt12 } });
    expect(u1.done).toBe(false);
    await s.markPaid(b!.paymentHash, 1n);
    await settle();
    expect(u1.value).toEqual({ indexname: 'updated', value: 1, details: { status: 'paid', label: 'b' } });
    clock.advance(5);
    await s.tick();
    await settle();
    expect(u2.value).toEqual({ indexname: 'updated', value: 2, details: { status: 'expired', label: 'a' } });
    await s.delete('a', 'expired');
    await settle();
    expect(d1.value).toEqual({ indexname: 'deleted', value: 1, details: { status: 'expired', label: 'a', bolt12: a!.bolt12 } });
  });

  it('refuses an unknown index name or a negative nextvalue', async () => {
    const { store: s } = store();
    await expect(s.wait('paid' as never, 1)).rejects.toMatchObject({ reason: 'invalid' });
    await expect(s.wait('created', -1)).rejects.toMatchObject({ reason: 'invalid' });
  });
});

describe('real timers', () => {
  it('the default scheduler wakes waitinvoice at the expiry second of a real clock', async () => {
    const clock = { now: () => Date.now() / 1000 };
    const s = openInvoiceStore({ path: ':memory:', clock, scheduler: timerScheduler });
    const expiresAt = Math.floor(clock.now()) + 1;
    await s.create(newInvoice('a', { expiresAt }));
    const r = await s.waitInvoice('a');
    expect(r.status).toBe('expired');
    expect(clock.now()).toBeGreaterThanOrEqual(expiresAt);
    await s.close();
  });
});
