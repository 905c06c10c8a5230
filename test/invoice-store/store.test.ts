// Operations and state changes of the invoice store, on a ManualClock.
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/index.ts';
import { InvoiceStoreError, toClnJson } from '../../src/invoice-store/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { closingMemStores, newInvoice, T0 } from './fixtures.ts';

const store = closingMemStores();

async function rejection(p: Promise<unknown>): Promise<InvoiceStoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InvoiceStoreError);
    return e as InvoiceStoreError;
  }
  throw new Error('expected a rejection');
}

describe('create', () => {
  it('stores an unpaid invoice with created_index 1, 2, … and reads it back by label and hash', async () => {
    const { store: s } = store();
    const a = await s.create(newInvoice('a', { invreqRef: 'lnr1xyz', localOfferId: 'ab'.repeat(32) }));
    const b = await s.create(newInvoice('b', { amountMsat: null, description: undefined }));
    expect(a).toMatchObject({ label: 'a', status: 'unpaid', createdIndex: 1, updatedIndex: null, payIndex: null, paidAt: null, amountReceivedMsat: null });
    expect(a.invreqRef).toBe('lnr1xyz');
    expect(a.createdAt).toBe(T0);
    expect(b).toMatchObject({ createdIndex: 2, amountMsat: null, description: null, invreqRef: null, localOfferId: null });
    expect(s.get('a')).toEqual(a);
    expect(s.getByPaymentHash(b.paymentHash)).toEqual(b);
    expect(s.get('nope')).toBeUndefined();
    expect(s.getByPaymentHash(new Uint8Array(32))).toBeUndefined();
    expect(s.indexes()).toEqual({ created: 2, updated: 0, deleted: 0, payIndex: 0 });
  });

  it('duplicate label → 900 "Duplicate label", nothing written', async () => {
    const { store: s } = store();
    await s.create(newInvoice('a'));
    const other = newInvoice('other');
    const e = await rejection(s.create({ ...other, label: 'a' }));
    expect(e.code).toBe(900);
    expect(e.reason).toBe('duplicate_label');
    expect(e.message).toBe('Duplicate label');
    expect(s.list()).toHaveLength(1);
    expect(s.getByPaymentHash(other.paymentHash)).toBeUndefined();
    expect(s.indexes().created).toBe(1);
    // the next create still gets the next index: a failed create consumed nothing
    expect((await s.create(other)).createdIndex).toBe(2);
  });

  it('duplicate payment_hash → 901 "preimage already used", nothing written', async () => {
    const { store: s } = store();
    const a = newInvoice('a');
    await s.create(a);
    const e = await rejection(s.create({ ...a, label: 'b', bolt12: newInvoice('b').bolt12 }));
    expect(e.code).toBe(901);
    expect(e.reason).toBe('duplicate_payment_hash');
    expect(s.get('b')).toBeUndefined();
  });

  it('refuses malformed input, naming the field', async () => {
    const { store: s } = store();
    const good = newInvoice('g');
    const cases: [Partial<Record<string, unknown>>, string][] = [
      [{ label: '' }, 'label'],
      [{ label: 42 }, 'label'],
      [{ label: 'bad\uD800' }, 'label'],
      [{ label: 'nul\u0000' }, 'label'],
      [{ bolt12: '' }, 'bolt12'],
      [{ paymentHash: new Uint8Array(31) }, 'paymentHash'],
      [{ paymentPreimage: new Uint8Array(32) }, 'paymentPreimage'],
      [{ amountMsat: -1n }, 'amountMsat'],
      [{ amountMsat: 2_100_000_000_000_000_001n }, 'amountMsat'],
      [{ amountMsat: 5 }, 'amountMsat'],
      [{ expiresAt: -1 }, 'expiresAt'],
      [{ expiresAt: 1.5 }, 'expiresAt'],
      [{ localOfferId: 'XYZ' }, 'localOfferId'],
    ];
    for (const [over, field] of cases) {
      const e = await rejection(s.create({ ...good, ...over } as never));
      expect(e.reason).toBe('invalid');
      expect(e.code).toBe(-32602);
      expect(e.message.startsWith(`${field}:`)).toBe(true);
    }
    expect(s.list()).toHaveLength(0);
    expect(s.indexes().created).toBe(0);
  });

  it('stores labels that look like SQL verbatim', async () => {
    const { store: s } = store();
    const label = "x'); DROP TABLE invoices; --";
    await s.create(newInvoice(label));
    expect(s.get(label)?.label).toBe(label);
    expect(s.list()).toHaveLength(1);
  });
});

describe('markPaid', () => {
  it('pays: status paid, pay_index 1, received amount, paid_at from the clock, updated_index', async () => {
    const { store: s, clock } = store();
    const a = await s.create(newInvoice('a'));
    clock.advance(10);
    const { record, newlyPaid } = await s.markPaid(a.paymentHash, 50_001n);
    expect(newlyPaid).toBe(true);
    expect(record).toMatchObject({ status: 'paid', payIndex: 1, amountReceivedMsat: 50_001n, paidAt: T0 + 10, updatedIndex: 1 });
    expect(s.get('a')).toEqual(record);
    expect(s.indexes()).toMatchObject({ payIndex: 1, updated: 1 });
  });

  it('double payment is idempotent: same pay_index, first amount kept, nothing changes', async () => {
    const { store: s, clock } = store();
    const a = await s.create(newInvoice('a'));
    const first = await s.markPaid(a.paymentHash, 50_000n);
    clock.advance(5);
    const again = await s.markPaid(a.paymentHash, 99_999n);
    expect(again.newlyPaid).toBe(false);
    expect(again.record).toEqual(first.record);
    expect(s.indexes()).toMatchObject({ payIndex: 1, updated: 1 });
    // concurrently, in one batch: exactly one is newly paid
    const b = await s.create(newInvoice('b'));
    const both = await Promise.all([s.markPaid(b.paymentHash, 1n), s.markPaid(b.paymentHash, 2n)]);
    expect(both.map((r) => r.newlyPaid)).toEqual([true, false]);
    expect(both[1]!.record.payIndex).toBe(2);
    expect(both[1]!.record.amountReceivedMsat).toBe(1n);
  });

  it('pay_index increases by exactly one per newly paid invoice, in payment order', async () => {
    const { store: s } = store();
    const invs = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((l) => s.create(newInvoice(l))));
    const order = [3, 0, 4, 1, 2];
    for (const [i, k] of order.entries()) {
      const r = await s.markPaid(invs[k]!.paymentHash, 1000n);
      expect(r.record.payIndex).toBe(i + 1);
      await s.markPaid(invs[k]!.paymentHash, 1000n); // repeat: no new index
    }
    expect(s.list().map((r) => r.payIndex).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses an expired invoice and says so; nothing written', async () => {
    const { store: s, clock } = store();
    const a = await s.create(newInvoice('a', { expiresAt: T0 + 60 }));
    clock.set(T0 + 60);
    const e = await rejection(s.markPaid(a.paymentHash, 50_000n));
    expect(e.reason).toBe('expired');
    expect(e.message).toMatch(/expired/);
    expect(s.get('a')?.payIndex).toBeNull();
    expect(s.indexes().payIndex).toBe(0);
  });

  it('one second before expiry is still payable', async () => {
    const { store: s, clock } = store();
    const a = await s.create(newInvoice('a', { expiresAt: T0 + 60 }));
    clock.set(T0 + 59);
    expect((await s.markPaid(a.paymentHash, 1n)).record.status).toBe('paid');
    clock.set(T0 + 10_000);
    expect(s.get('a')?.status).toBe('paid'); // paid stays paid after its expiry
  });

  it('unknown payment hash → not_found; bad input → invalid', async () => {
    const { store: s } = store();
    expect((await rejection(s.markPaid(new Uint8Array(32), 1n))).reason).toBe('not_found');
    expect((await rejection(s.markPaid(new Uint8Array(3), 1n))).reason).toBe('invalid');
    const a = await s.create(newInvoice('a'));
    expect((await rejection(s.markPaid(a.paymentHash, -1n))).reason).toBe('invalid');
    expect((await rejection(s.markPaid(a.paymentHash, 1n, { paidAt: -5 }))).reason).toBe('invalid');
    expect(s.get('a')?.status).toBe('unpaid');
  });
});

describe('expiry by the clock', () => {
  it('is unpaid until expires_at - 1 and expired from expires_at on, whether or not anything wrote it', async () => {
    const { store: s, clock } = store();
    await s.create(newInvoice('a', { expiresAt: T0 + 100 }));
    clock.set(T0 + 99);
    expect(s.get('a')?.status).toBe('unpaid');
    clock.set(T0 + 99.999);
    expect(s.get('a')?.status).toBe('unpaid');
    clock.set(T0 + 100);
    // read before any sweep was committed: derived from the clock
    expect(s.get('a')?.status).toBe('expired');
    expect(s.list()[0]?.status).toBe('expired');
    await s.tick();
    // the sweep wrote it (CLN trigger_expiration: state + updated_index)
    expect(s.get('a')).toMatchObject({ status: 'expired', updatedIndex: 1 });
    expect(s.indexes().updated).toBe(1);
    clock.set(T0); // even if the clock went back, a written expiry stays
    expect(s.get('a')?.status).toBe('expired');
  });

  it('an invoice created already past its expiry is expired', async () => {
    const { store: s } = store();
    const r = await s.create(newInvoice('a', { expiresAt: T0 }));
    expect(r.status).toBe('expired');
  });
});

describe('delete', () => {
  it('deletes with the right status and returns the record; deleted index +1', async () => {
    const { store: s } = store();
    const a = await s.create(newInvoice('a'));
    const r = await s.delete('a', 'unpaid');
    expect(r).toEqual(a);
    expect(s.get('a')).toBeUndefined();
    expect(s.indexes()).toMatchObject({ deleted: 1, created: 1 });
    // created indexes are never reused
    expect((await s.create(newInvoice('a'))).createdIndex).toBe(2);
  });

  it('905 Unknown invoice; 906 status mismatch with current/expected status', async () => {
    const { store: s, clock } = store();
    expect((await rejection(s.delete('zz', 'unpaid'))).code).toBe(905);
    await s.create(newInvoice('a', { expiresAt: T0 + 5 }));
    const e = await rejection(s.delete('a', 'paid'));
    expect(e.code).toBe(906);
    expect(e.message).toBe('Invoice status is unpaid not paid');
    expect(e.data).toEqual({ current_status: 'unpaid', expected_status: 'paid' });
    clock.advance(5);
    expect((await rejection(s.delete('a', 'unpaid'))).data).toEqual({ current_status: 'expired', expected_status: 'unpaid' });
    await s.delete('a', 'expired');
    expect(s.list()).toHaveLength(0);
  });

  it('descriptionOnly strips the description (updated index) and 908 when none is left', async () => {
    const { store: s } = store();
    await s.create(newInvoice('a'));
    const r = await s.delete('a', 'unpaid', { descriptionOnly: true });
    expect(r.description).toBeNull();
    expect(r.updatedIndex).toBe(1);
    expect(s.get('a')).toMatchObject({ description: null, updatedIndex: 1 });
    const e = await rejection(s.delete('a', 'unpaid', { descriptionOnly: true }));
    expect(e.code).toBe(908);
  });

  it('refuses an unknown status value', async () => {
    const { store: s } = store();
    await s.create(newInvoice('a'));
    expect((await rejection(s.delete('a', 'bogus' as never))).reason).toBe('invalid');
    expect(s.get('a')).toBeDefined();
  });
});

describe('list', () => {
  it('by label, payment hash, bolt12 string (canonicalised), offer id', async () => {
    const { store: s } = store();
    const a = await s.create(newInvoice('a', { localOfferId: 'cd'.repeat(32) }));
    const b = await s.create(newInvoice('b'));
    expect(s.list({ label: 'b' })).toEqual([b]);
    expect(s.list({ paymentHash: a.paymentHash })).toEqual([a]);
    expect(s.list({ invstring: b.bolt12 })).toEqual([b]);
    const split = `LIGHTNING:${b.bolt12.slice(0, 20).toUpperCase()}+\n  ${b.bolt12.slice(20).toUpperCase()}`;
    expect(s.list({ invstring: split })).toEqual([b]);
    expect(s.list({ invstring: 'lni1qqqq' })).toEqual([]);
    expect(s.list({ localOfferId: 'cd'.repeat(32) })).toEqual([a]);
    expect(s.list({ label: "' OR 1=1 --" })).toEqual([]);
  });

  it('ranges over created_index and updated_index with start and limit', async () => {
    const { store: s } = store();
    const recs = [];
    for (const l of ['a', 'b', 'c', 'd', 'e']) recs.push(await s.create(newInvoice(l)));
    expect(s.list({ index: 'created', start: 2, limit: 2 }).map((r) => r.label)).toEqual(['b', 'c']);
    expect(s.list({ index: 'created', start: 4 }).map((r) => r.label)).toEqual(['d', 'e']);
    expect(s.list({ index: 'created', limit: 0 })).toEqual([]);
    expect(s.list({ index: 'updated' })).toEqual([]);
    await s.markPaid(recs[3]!.paymentHash, 1n);
    await s.markPaid(recs[1]!.paymentHash, 1n);
    await s.delete('e', 'unpaid', { descriptionOnly: true });
    expect(s.list({ index: 'updated' }).map((r) => [r.label, r.updatedIndex])).toEqual([
      ['d', 1],
      ['b', 2],
      ['e', 3],
    ]);
    expect(s.list({ index: 'updated', start: 2, limit: 1 }).map((r) => r.label)).toEqual(['b']);
  });

  it('refuses bad filters naming the field', () => {
    const { store: s } = store();
    expect(() => s.list({ index: 'deleted' as never })).toThrow(/^index:/);
    expect(() => s.list({ limit: -1 })).toThrow(/^limit:/);
    expect(() => s.list({ start: 0.5 })).toThrow(/^start:/);
    expect(() => s.list({ paymentHash: new Uint8Array(2) })).toThrow(/^paymentHash:/);
  });
});

describe('toClnJson', () => {
  it('renders CLN listinvoices fields: preimage and payment fields only when paid', async () => {
    const { store: s } = store();
    const a = await s.create(newInvoice('a', { localOfferId: 'ef'.repeat(32) }));
    const unpaid = toClnJson(a);
    expect(unpaid).toEqual({
      label: 'a',
      bolt12: a.bolt12,
      payment_hash: toHex(a.paymentHash),
      amount_msat: 50_000,
      status: 'unpaid',
      description: 'for a',
      expires_at: T0 + 3600,
      local_offer_id: 'ef'.repeat(32),
      created_index: 1,
    });
    const { record } = await s.markPaid(a.paymentHash, 51_000n);
    const paid = toClnJson(record);
    expect(paid).toMatchObject({ status: 'paid', pay_index: 1, amount_received_msat: 51_000, paid_at: T0, updated_index: 1 });
    expect(sha256(Buffer.from(paid.payment_preimage as string, 'hex'))).toEqual(a.paymentHash);
    // amounts beyond 2^53 stay exact (as bigint for the JSON writer)
    expect(toClnJson({ ...a, amountMsat: 2_000_000_000_000_000_001n }).amount_msat).toBe(2_000_000_000_000_000_001n);
  });
});

describe('close', () => {
  it('rejects later calls with reason closed', async () => {
    const { store: s } = store();
    await s.close();
    expect((await rejection(s.create(newInvoice('a')))).reason).toBe('closed');
    expect(() => s.list()).toThrow(/closed/);
    await s.close(); // idempotent
  });
});
