// Core Lightning's invoice commands over the invoice store: listinvoices, waitinvoice,
// waitanyinvoice, delinvoice, and wait (subsystem `invoices`). Parameter names, result shapes and
// error codes follow lightningd/invoice.c, lightningd/wait.c and doc/schemas/*.json. Every
// parameter is checked before the store is touched; store errors keep CLN's codes.
import { InvoiceStoreError, toClnJson, type InvoiceRecord, type InvoiceStatus, type InvoiceStore, type ListFilter } from '../../invoice-store/index.ts';
import { toHex } from '../../util/bytes.ts';
import { invalidParam, optional, paramBoolean, paramEnum, paramHex, paramInteger, paramString } from '../params.ts';
import { defineMethod, INVALID_PARAMS, RpcError, type CallContext, type Msat, type RpcMethod } from '../types.ts';

// `notify` is the dispatcher's (CallContext); absent when a handler is called directly.
type Ctx = { invoices: InvoiceStore; notify?: CallContext['notify'] };
type Params = Record<string, unknown>;

/**
 * One invoice as Core Lightning's listinvoices shows it (invoice-store's `toClnJson`, field for
 * field): `pay_index`, `amount_received_msat`, `paid_at` and `payment_preimage` only once paid.
 */
export interface InvoiceJson {
  label: string;
  bolt12: string;
  payment_hash: string;
  amount_msat?: Msat;
  status: InvoiceStatus;
  pay_index?: number;
  amount_received_msat?: Msat;
  paid_at?: number;
  payment_preimage?: string;
  description?: string;
  expires_at: number;
  local_offer_id?: string;
  created_index: number;
  updated_index?: number;
}

/** The record as InvoiceJson (toClnJson writes exactly these fields; see record.ts). */
export function invoiceJson(r: InvoiceRecord): InvoiceJson {
  return toClnJson(r) as unknown as InvoiceJson;
}

export interface ListinvoicesParams {
  label?: string;
  invstring?: string;
  payment_hash?: string;
  offer_id?: string;
  index?: 'created' | 'updated';
  start?: number;
  limit?: number;
}

/** `wait`'s answer: the index reached, and what the event that reached it was about. */
export interface WaitResultJson {
  subsystem: 'invoices';
  created?: number;
  updated?: number;
  deleted?: number;
  invoices?: { status?: InvoiceStatus; label?: string; description?: string; bolt12?: string };
}

const U32_MAX = 0xffff_ffff;
const STATUSES: readonly InvoiceStatus[] = ['paid', 'expired', 'unpaid'];
/** BOLT 12 invoice strings: `lni` + bech32 separator + bech32 data characters. */
const BOLT12_INVOICE = /^lni1[02-9ac-hj-np-z]+$/;

/** Store errors become JSON-RPC errors with the store's CLN code and data. */
async function call<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof InvoiceStoreError) throw new RpcError(e.code, e.message, e.data);
    throw e;
  }
}

// CLN param_label accepts a string or a number; bolt12d takes strings only (a number is refused
// naming the parameter), so a label is never silently re-spelled. (lightning-cli sends a bare
// number argument as a JSON number: `lightning-cli listinvoices '"42"'` passes the string.)
const label = (p: Params, name = 'label') => paramString(p, name);

function invstringParam(p: Params): string {
  const s = paramString(p, 'invstring');
  const canon = s.trim().replace(/^lightning:/i, '').replace(/\+\s*/g, '').toLowerCase();
  if (!BOLT12_INVOICE.test(canon)) throw invalidParam('invstring', 'should be a BOLT12 invoice string (lni1...)');
  return s;
}

const listinvoices = defineMethod<ListinvoicesParams, { invoices: InvoiceJson[] }, Ctx>({
  name: 'listinvoices',
  params: { label: 'optional', invstring: 'optional', payment_hash: 'optional', offer_id: 'optional', index: 'optional', start: 'optional', limit: 'optional' },
  description: 'Show invoices, optionally one by label, invstring, payment_hash or offer_id, or a range of an index.',
  handler(p, { invoices }) {
    const f: ListFilter = {};
    const l = optional(p, 'label', label);
    const inv = optional(p, 'invstring', invstringParam);
    const hash = optional(p, 'payment_hash', (q, n) => paramHex(q, n, 32));
    const offer = optional(p, 'offer_id', (q, n) => paramHex(q, n, 32));
    const index = optional(p, 'index', (q, n) => paramEnum(q, n, ['created', 'updated'] as const));
    const start = optional(p, 'start', (q, n) => paramInteger(q, n));
    const limit = optional(p, 'limit', (q, n) => paramInteger(q, n, { max: U32_MAX }));
    // lightningd/invoice.c json_listinvoices(): the three combination rules, word for word.
    if (Number(l !== undefined) + Number(inv !== undefined) + Number(hash !== undefined) + Number(offer !== undefined) > 1) {
      throw new RpcError(INVALID_PARAMS, 'Can only specify one of {label}, {invstring}, {payment_hash} or {offer_id}', { param: 'label' });
    }
    if (start !== undefined && start !== 0 && index === undefined) throw new RpcError(INVALID_PARAMS, 'Can only specify {start} with {index}', { param: 'start' });
    if (limit !== undefined && index === undefined) throw new RpcError(INVALID_PARAMS, 'Can only specify {limit} with {index}', { param: 'limit' });
    if (l !== undefined) f.label = l;
    if (inv !== undefined) f.invstring = inv;
    if (hash !== undefined) f.paymentHash = hash;
    if (offer !== undefined) f.localOfferId = toHex(offer);
    if (index !== undefined) f.index = index;
    if (start !== undefined) f.start = start;
    if (limit !== undefined) f.limit = limit;
    return call(() => ({ invoices: invoices.list(f).map(invoiceJson) }));
  },
});

/** CLN tell_waiter(): paid → the invoice; expired → 903 "invoice expired during wait" with it as data. */
function waiterAnswer(r: InvoiceRecord): InvoiceJson {
  if (r.status === 'paid') return invoiceJson(r);
  throw new RpcError(903, 'invoice expired during wait', toClnJson(r));
}

const waitinvoice = defineMethod<{ label: string }, InvoiceJson, Ctx>({
  name: 'waitinvoice',
  params: { label: 'required' },
  description: 'Wait for the invoice with this label to be paid (error 903 if it expires, -1 if deleted).',
  async handler(p, { invoices, notify }, signal) {
    const l = label(p);
    notify?.({ level: 'debug', message: `Waiting for invoice ${JSON.stringify(l)} to be paid` });
    return waiterAnswer(await call(() => invoices.waitInvoice(l, signal)));
  },
});

const waitanyinvoice = defineMethod<{ lastpay_index?: number; timeout?: number }, InvoiceJson, Ctx>({
  name: 'waitanyinvoice',
  params: { lastpay_index: 'optional', timeout: 'optional' },
  description: 'Wait for the next invoice paid after lastpay_index (error 904 after timeout seconds).',
  async handler(p, { invoices, notify }, signal) {
    const last = optional(p, 'lastpay_index', (q, n) => paramInteger(q, n)) ?? 0;
    const timeout = optional(p, 'timeout', (q, n) => paramInteger(q, n));
    notify?.({ level: 'debug', message: `Waiting for an invoice paid after pay_index ${last}${timeout === undefined ? '' : ` (for at most ${timeout} s)`}` });
    return invoiceJson(await call(() => invoices.waitAnyInvoice(last, timeout, signal)));
  },
});

const delinvoice = defineMethod<{ label: string; status: InvoiceStatus; desconly?: boolean }, InvoiceJson, Ctx>({
  name: 'delinvoice',
  params: { label: 'required', status: 'required', desconly: 'optional' },
  description: 'Delete the invoice with this label if its status is status (or with desconly, remove its description).',
  async handler(p, { invoices }) {
    const l = label(p);
    const status = paramEnum(p, 'status', STATUSES);
    const desconly = optional(p, 'desconly', paramBoolean) ?? false;
    return invoiceJson(await call(() => invoices.delete(l, status, { descriptionOnly: desconly })));
  },
});

const wait = defineMethod<{ subsystem: 'invoices'; indexname: 'created' | 'updated' | 'deleted'; nextvalue: number }, WaitResultJson, Ctx>({
  name: 'wait',
  params: { subsystem: 'required', indexname: 'required', nextvalue: 'required' },
  description: 'Wait until the invoices index indexname (created, updated, deleted) reaches nextvalue.',
  async handler(p, { invoices, notify }, signal) {
    // lightningd/wait.c: subsystems are forwards, sendpays, invoices…; bolt12d keeps only invoices.
    paramEnum(p, 'subsystem', ['invoices'] as const);
    const indexname = paramEnum(p, 'indexname', ['created', 'updated', 'deleted'] as const);
    const nextvalue = paramInteger(p, 'nextvalue');
    notify?.({ level: 'debug', message: `Waiting for the invoices ${indexname} index to reach ${nextvalue}` });
    const r = await call(() => invoices.wait(indexname, nextvalue, signal));
    // json_add_index(): subsystem, the index's value, and (when an event fired it) an `invoices`
    // object with that event's status/label/description/bolt12.
    const out: WaitResultJson = { subsystem: 'invoices', [r.indexname]: r.value };
    if (r.details) out.invoices = { ...r.details };
    return out;
  },
});

/** Keyed by name. */
export const invoiceMethodsByName = { listinvoices, waitinvoice, waitanyinvoice, delinvoice, wait };

/** The same, as a list (for tables built by hand). */
export const invoiceMethods: RpcMethod<Ctx>[] = Object.values(invoiceMethodsByName);
