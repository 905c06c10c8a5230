// Core Lightning's refund commands (plugins/offers_offer.c json_invoicerequest, lightningd/offer.c
// json_listinvoicerequests / json_disableinvoicerequest, doc/schemas/*.json): parameter names,
// result shapes and codes; the work is src/invoicerequest.ts.
import { InvoiceRequestError } from '../../invoicerequest.ts';
import type { InvoiceRequestRecord } from '../../invoice-store/index.ts';
import { AmountError, parseAmountMsat } from '../../util/amount.ts';
import { fromHex, toHex } from '../../util/bytes.ts';
import type { RpcContext } from '../context.ts';
import { invalidParam, optional, paramBoolean, paramInteger, paramString } from '../params.ts';
import { RpcError, type RpcMethod } from '../types.ts';

type Params = Record<string, unknown>;

/** json_populate_invreq(): invreq_id, active, single_use, bolt12, used, label. */
export function invreqJson(r: InvoiceRequestRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { invreq_id: toHex(r.invreqId), active: r.active, single_use: r.singleUse, bolt12: r.bolt12, used: r.used };
  if (r.label !== null) o['label'] = r.label;
  return o;
}

/** CLN param_sha256: 64 hex characters. */
function invreqIdParam(p: Params, name = 'invreq_id'): Uint8Array {
  const v = p[name];
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) throw invalidParam(name, 'should be a 32 byte hex value');
  return fromHex(v.toLowerCase());
}

async function call<T>(f: () => Promise<T> | T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof InvoiceRequestError) throw new RpcError(e.code, e.message, e.data);
    throw e;
  }
}

const invoicerequest: RpcMethod<RpcContext> = {
  name: 'invoicerequest',
  params: ['amount', 'description', 'issuer?', 'label?', 'absolute_expiry?', 'single_use?', 'signed?'],
  description:
    'Create a refund (an invoice_request without offer, lnr1...) offering to pay {amount} for {description}; whoever holds it answers with an invoice (their sendinvoice), which we check and pay. ' +
    '{single_use} (default true): pay at most one invoice. {signed} (default true): sign it as Core Lightning expects (its sendinvoice refuses unsigned refunds); ' +
    'use signed=false for LDK, which refuses signed ones (BOLT 12 says such refunds carry no signature). {absolute_expiry}: seconds since 1970 after which it is void.',
  handler(p, { node }) {
    let amountMsat: bigint;
    try {
      amountMsat = parseAmountMsat(p['amount'], 'amount');
    } catch (e) {
      if (e instanceof AmountError) throw invalidParam('amount', e.rule);
      throw e;
    }
    if (amountMsat === 0n) throw invalidParam('amount', 'should be positive');
    const description = paramString(p, 'description', { allowEmpty: true, maxLength: 65_535 });
    const issuer = optional(p, 'issuer', (q, n) => paramString(q, n, { allowEmpty: true, maxLength: 65_535 }));
    const label = optional(p, 'label', (q, n) => paramString(q, n, { maxLength: 65_535 }));
    const absoluteExpiry = optional(p, 'absolute_expiry', (q, n) => paramInteger(q, n, { min: 1 }));
    const singleUse = optional(p, 'single_use', paramBoolean) ?? true;
    const signed = optional(p, 'signed', paramBoolean) ?? true;
    return call(async () =>
      invreqJson(
        await node.invoiceRequests.create({
          amountMsat,
          description,
          ...(issuer !== undefined ? { issuer } : {}),
          ...(label !== undefined ? { label } : {}),
          ...(absoluteExpiry !== undefined ? { absoluteExpiry } : {}),
          singleUse,
          signed,
        }),
      ),
    );
  },
};

const listinvoicerequests: RpcMethod<RpcContext> = {
  name: 'listinvoicerequests',
  params: ['invreq_id?', 'active_only?'],
  description: 'Show the refunds (invoice_requests) we issued, or the one {invreq_id}; {active_only} drops inactive ones.',
  handler(p, { node }) {
    const invreqId = p['invreq_id'] === undefined ? undefined : invreqIdParam(p);
    const activeOnly = optional(p, 'active_only', paramBoolean) ?? false;
    return { invoicerequests: node.invoiceRequests.list({ ...(invreqId ? { invreqId } : {}), activeOnly }).map(invreqJson) };
  },
};

const disableinvoicerequest: RpcMethod<RpcContext> = {
  name: 'disableinvoicerequest',
  params: ['invreq_id'],
  description: 'Stop accepting invoices for the refund {invreq_id} (nothing more will be paid for it).',
  handler(p, { node }) {
    const invreqId = invreqIdParam(p);
    return call(async () => invreqJson(await node.invoiceRequests.disable(invreqId)));
  },
};

export const invoicerequestMethods: RpcMethod<RpcContext>[] = [invoicerequest, listinvoicerequests, disableinvoicerequest];
