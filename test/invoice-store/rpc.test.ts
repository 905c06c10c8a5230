// The invoice RPC methods: Core Lightning's parameter names, result shapes and error codes, and bad
// input to every method → a JSON-RPC error naming the parameter, with nothing written.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InvoiceStore } from '../../src/invoice-store/index.ts';
import { MethodTable } from '../../src/rpc/dispatch.ts';
import { invoiceMethods } from '../../src/rpc/methods/invoices.ts';
import { toHex } from '../../src/util/bytes.ts';
import type { ManualClock } from '../../src/util/clock.ts';
import { memStore, newInvoice, settle, T0 } from './fixtures.ts';

type Ctx = { invoices: InvoiceStore };
let store: ReturnType<typeof memStore>['store'];
let clock: ManualClock;
let table: MethodTable<Ctx>;

beforeEach(async () => {
  ({ store, clock } = memStore());
  table = new MethodTable<Ctx>().add(...invoiceMethods);
  await store.create(newInvoice('a', { localOfferId: '11'.repeat(32) }));
  await store.create(newInvoice('b', { expiresAt: T0 + 100 }));
  await store.markPaid(newInvoice('a').paymentHash, 60_000n);
});
afterEach(async () => {
  await store.close();
});

async function rpc(method: string, params: unknown) {
  return table.dispatch({ jsonrpc: '2.0', id: 1, method, params }, { invoices: store });
}
async function ok(method: string, params: unknown): Promise<Record<string, unknown>> {
  const r = await rpc(method, params);
  expect(r.error).toBeUndefined();
  return r.result as Record<string, unknown>;
}
async function err(method: string, params: unknown) {
  const r = await rpc(method, params);
  expect(r.error, `${method} ${JSON.stringify(params)} should fail`).toBeDefined();
  return r.error!;
}

describe('listinvoices', () => {
  it('lists all, by label, payment_hash, invstring, offer_id, and index ranges, in CLN shape', async () => {
    const all = (await ok('listinvoices', {})).invoices as Record<string, unknown>[];
    expect(all.map((i) => i.label)).toEqual(['a', 'b']);
    expect(all[0]).toMatchObject({ label: 'a', status: 'paid', pay_index: 1, amount_received_msat: 60_000, amount_msat: 50_000, created_index: 1, updated_index: 1 });
    expect(all[1]).toEqual({
      label: 'b',
      bolt12: newInvoice('b').bolt12,
      payment_hash: toHex(newInvoice('b').paymentHash),
      amount_msat: 50_000,
      status: 'unpaid',
      description: 'for b',
      expires_at: T0 + 100,
      created_index: 2,
    });
    const one = async (p: unknown) => ((await ok('listinvoices', p)).invoices as { label: string }[]).map((i) => i.label);
    expect(await one({ label: 'b' })).toEqual(['b']);
    expect(await one(['b'])).toEqual(['b']); // positional
    expect(await one({ payment_hash: toHex(newInvoice('a').paymentHash) })).toEqual(['a']);
    expect(await one({ invstring: newInvoice('b').bolt12 })).toEqual(['b']);
    expect(await one({ offer_id: '11'.repeat(32) })).toEqual(['a']);
    expect(await one({ index: 'created', start: 2 })).toEqual(['b']);
    expect(await one({ index: 'created', limit: 1 })).toEqual(['a']);
    expect(await one({ index: 'updated' })).toEqual(['a']);
    expect(await one({ label: 'zzz' })).toEqual([]);
  });

  it('status is expired from expires_at on', async () => {
    clock.set(T0 + 100);
    const r = (await ok('listinvoices', { label: 'b' })).invoices as { status: string }[];
    expect(r[0]!.status).toBe('expired');
  });
});

describe('waitinvoice / waitanyinvoice', () => {
  it('waitinvoice: paid → the invoice; expired → 903 with the invoice as data; unknown → -1', async () => {
    expect(await ok('waitinvoice', { label: 'a' })).toMatchObject({ label: 'a', status: 'paid', pay_index: 1 });
    const pending = rpc('waitinvoice', ['b']);
    await settle();
    clock.set(T0 + 100);
    await store.tick();
    const r = await pending;
    expect(r.error).toMatchObject({ code: 903, message: 'invoice expired during wait', data: { label: 'b', status: 'expired' } });
    expect(await err('waitinvoice', { label: 'nope' })).toMatchObject({ code: -1, message: 'Label not found' });
  });

  it('waitanyinvoice: next paid after lastpay_index; 904 on timeout', async () => {
    expect(await ok('waitanyinvoice', {})).toMatchObject({ label: 'a', pay_index: 1 });
    expect(await err('waitanyinvoice', { lastpay_index: 1, timeout: 0 })).toMatchObject({ code: 904, message: 'Timed out while waiting for invoice to be paid' });
    const pending = rpc('waitanyinvoice', [1]);
    await settle();
    await store.markPaid(newInvoice('b').paymentHash, 50_000n);
    expect((await pending).result).toMatchObject({ label: 'b', pay_index: 2, status: 'paid' });
  });
});

describe('delinvoice', () => {
  it('deletes with the matching status and returns the invoice; 905, 906 (with data), 908', async () => {
    expect(await err('delinvoice', { label: 'nope', status: 'unpaid' })).toMatchObject({ code: 905, message: 'Unknown invoice' });
    expect(await err('delinvoice', { label: 'b', status: 'paid' })).toEqual({
      code: 906,
      message: 'Invoice status is unpaid not paid',
      data: { current_status: 'unpaid', expected_status: 'paid' },
    });
    const d = await ok('delinvoice', { label: 'b', status: 'unpaid', desconly: true });
    expect(d.description).toBeUndefined();
    expect(await err('delinvoice', { label: 'b', status: 'unpaid', desconly: true })).toMatchObject({ code: 908 });
    expect(await ok('delinvoice', ['a', 'paid'])).toMatchObject({ label: 'a', status: 'paid' });
    expect(store.get('a')).toBeUndefined();
  });
});

describe('wait', () => {
  it('subsystem invoices: immediate answer, then an event answer with its details', async () => {
    expect(await ok('wait', { subsystem: 'invoices', indexname: 'created', nextvalue: 2 })).toEqual({ subsystem: 'invoices', created: 2 });
    const pending = rpc('wait', ['invoices', 'created', 3]);
    await settle();
    const c = await store.create(newInvoice('c'));
    expect((await pending).result).toEqual({ subsystem: 'invoices', created: 3, invoices: { status: 'unpaid', label: 'c', bolt12: c.bolt12 } });
    const del = rpc('wait', { subsystem: 'invoices', indexname: 'deleted', nextvalue: 1 });
    await settle();
    await store.delete('c', 'unpaid');
    expect((await del).result).toMatchObject({ subsystem: 'invoices', deleted: 1, invoices: { label: 'c', status: 'unpaid' } });
  });
});

describe('bad input never reaches the store', () => {
  const SQL = ["'; DROP TABLE invoices; --", "a' OR '1'='1", 'Robert"); DELETE FROM invoices;--'];
  const NOT_STRINGS = [42, true, { x: 1 }, ['a'], 1.5];
  const BAD_U64 = [-1, 1.5, 'abc', '1e3', 2 ** 64, Number.MAX_SAFE_INTEGER + 2, {}, [], true, '-5'];

  // [method, params, parameter the error must name]
  const cases: [string, Record<string, unknown>, string][] = [
    ...NOT_STRINGS.map((v): [string, Record<string, unknown>, string] => ['listinvoices', { label: v }, 'label']),
    ...NOT_STRINGS.map((v): [string, Record<string, unknown>, string] => ['waitinvoice', { label: v }, 'label']),
    ...NOT_STRINGS.map((v): [string, Record<string, unknown>, string] => ['delinvoice', { label: v, status: 'unpaid' }, 'label']),
    ['waitinvoice', {}, 'label'],
    ['delinvoice', { status: 'unpaid' }, 'label'],
    ['delinvoice', { label: 'b' }, 'status'],
    ...['bogus', 'PAID', '', 5, 'unpaid ', ['paid'], "paid' OR 1=1"].map((v): [string, Record<string, unknown>, string] => ['delinvoice', { label: 'b', status: v }, 'status']),
    ['delinvoice', { label: 'b', status: 'unpaid', desconly: 'yes' }, 'desconly'],
    ['delinvoice', { label: 'b', status: 'unpaid', desconly: 1 }, 'desconly'],
    ['listinvoices', { payment_hash: 'zz' }, 'payment_hash'],
    ['listinvoices', { payment_hash: 'ab'.repeat(31) }, 'payment_hash'],
    ['listinvoices', { payment_hash: 12 }, 'payment_hash'],
    ['listinvoices', { payment_hash: SQL[0] }, 'payment_hash'],
    ['listinvoices', { offer_id: 'xyz' }, 'offer_id'],
    ['listinvoices', { invstring: 'lnbc1pvjluezpp5qqqsyq' }, 'invstring'],
    ['listinvoices', { invstring: SQL[1] }, 'invstring'],
    ['listinvoices', { invstring: 7 }, 'invstring'],
    ['listinvoices', { index: 'deleted' }, 'index'],
    ['listinvoices', { index: 'bogus' }, 'index'],
    ['listinvoices', { index: 1 }, 'index'],
    ...BAD_U64.map((v): [string, Record<string, unknown>, string] => ['listinvoices', { index: 'created', start: v }, 'start']),
    ...BAD_U64.map((v): [string, Record<string, unknown>, string] => ['listinvoices', { index: 'created', limit: v }, 'limit']),
    ['listinvoices', { index: 'created', limit: 2 ** 32 }, 'limit'],
    ['listinvoices', { label: 'a', payment_hash: toHex(newInvoice('a').paymentHash) }, 'label'],
    ['listinvoices', { start: 3 }, 'start'],
    ['listinvoices', { limit: 3 }, 'limit'],
    ...BAD_U64.map((v): [string, Record<string, unknown>, string] => ['waitanyinvoice', { lastpay_index: v }, 'lastpay_index']),
    ...BAD_U64.map((v): [string, Record<string, unknown>, string] => ['waitanyinvoice', { timeout: v }, 'timeout']),
    ...['forwards', 'bogus', '', 'INVOICES'].map((v): [string, Record<string, unknown>, string] => ['wait', { subsystem: v, indexname: 'created', nextvalue: 1 }, 'subsystem']),
    ['wait', { subsystem: 3, indexname: 'created', nextvalue: 1 }, 'subsystem'],
    ...['paid', 'bogus', 4].map((v): [string, Record<string, unknown>, string] => ['wait', { subsystem: 'invoices', indexname: v, nextvalue: 1 }, 'indexname']),
    ...BAD_U64.map((v): [string, Record<string, unknown>, string] => ['wait', { subsystem: 'invoices', indexname: 'created', nextvalue: v }, 'nextvalue']),
    ['listinvoices', { bogus: 1 }, 'bogus'],
    ['delinvoice', { label: 'b', status: 'unpaid', extra: "1; DROP TABLE x" }, 'extra'],
  ];

  it(`${cases.length} malformed calls → -32602 naming the parameter; the store is unchanged`, async () => {
    const before = { list: store.list(), idx: store.indexes() };
    for (const [method, params, name] of cases) {
      const e = await err(method, params);
      expect(e.code, `${method} ${JSON.stringify(params)}`).toBe(-32602);
      expect(e.message, `${method} ${JSON.stringify(params)}`).toContain(name);
      expect((e.data as { param?: string } | undefined)?.param, `${method} ${JSON.stringify(params)}`).toBe(name);
    }
    expect(store.list()).toEqual(before.list);
    expect(store.indexes()).toEqual(before.idx);
    expect(store.selfCheck()).toEqual([]);
  });

  it('SQL-looking but well-typed strings are just labels: not found, nothing touched', async () => {
    const before = store.list();
    for (const s of SQL) {
      expect((await ok('listinvoices', { label: s })).invoices).toEqual([]);
      expect(await err('waitinvoice', { label: s })).toMatchObject({ code: -1 });
      expect(await err('delinvoice', { label: s, status: 'unpaid' })).toMatchObject({ code: 905 });
    }
    expect(store.list()).toEqual(before);
    expect(store.selfCheck()).toEqual([]);
  });

  it('a label that is not well-formed Unicode is refused naming label', async () => {
    const e = await err('listinvoices', { label: 'x\uD800' });
    expect(e).toMatchObject({ code: -32602 });
    expect(e.message).toMatch(/^label:/);
  });

  it('handlers can be called directly with the store as context', async () => {
    const m = invoiceMethods.find((x) => x.name === 'listinvoices')!;
    const r = (await m.handler({ label: 'a' }, { invoices: store })) as { invoices: unknown[] };
    expect(r.invoices).toHaveLength(1);
    expect(invoiceMethods.map((x) => x.name).sort()).toEqual(['delinvoice', 'listinvoices', 'wait', 'waitanyinvoice', 'waitinvoice']);
  });
});
