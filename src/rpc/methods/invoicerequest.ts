// Core Lightning's refund commands (plugins/offers_offer.c json_invoicerequest, lightningd/offer.c
// json_listinvoicerequests / json_disableinvoicerequest, doc/schemas/*.json): parameter names,
// result shapes and codes; the work is src/invoicerequest.ts. Ours beside them:
// listinvoicerequests entries carry `pending_payments` (added, only when there are some: the shape
// is otherwise Core Lightning's), and resolveinvoicerequestpayment settles a payment a crash left
// pending that the payment backend could not tell (parameters and codes after CLN's delpay:
// payment_hash, status complete|failed; 208, 211).
import { sha256 } from '../../crypto/index.ts';
import { InvoiceRequestError, type PendingRefundPayment } from '../../invoicerequest.ts';
import { msatJson as msat, type InvoiceRequestRecord, type RefundPaymentRecord } from '../../invoice-store/index.ts';
import { AmountError, parseAmountMsat } from '../../util/amount.ts';
import { fromHex, toHex } from '../../util/bytes.ts';
import type { RpcContext } from '../context.ts';
import { invalidParam, optional, paramBoolean, paramEnum, paramHex, paramInteger, paramString } from '../params.ts';
import { RpcError, type RpcMethod } from '../types.ts';

type Params = Record<string, unknown>;

/**
 * json_populate_invreq(): invreq_id, active, single_use, bolt12, used, label; and ours, only when
 * some payment for it is pending: `pending_payments` (payment_hash, amount_msat, since: when it was
 * taken on; in_progress: this process is paying it now, false: left by a crash, the payment
 * backend could not tell, see resolveinvoicerequestpayment).
 */
export function invreqJson(r: InvoiceRequestRecord, pending: readonly PendingRefundPayment[] = []): Record<string, unknown> {
  const o: Record<string, unknown> = { invreq_id: toHex(r.invreqId), active: r.active, single_use: r.singleUse, bolt12: r.bolt12, used: r.used };
  if (r.label !== null) o['label'] = r.label;
  if (pending.length > 0) o['pending_payments'] = pending.map((p) => ({ payment_hash: toHex(p.paymentHash), amount_msat: msat(p.amountMsat), since: p.createdAt, in_progress: p.inProgress }));
  return o;
}

/** A payment made for one of our refunds, with listsendpays' names (bolt12 is the invoice). */
export function refundPaymentJson(p: RefundPaymentRecord): Record<string, unknown> {
  return {
    invreq_id: toHex(p.invreqId),
    payment_hash: toHex(p.paymentHash),
    status: p.status,
    amount_msat: msat(p.amountMsat),
    bolt12: p.invoice,
    created_at: p.createdAt,
    ...(p.completedAt !== null ? { completed_at: p.completedAt } : {}),
    ...(p.paymentPreimage ? { payment_preimage: toHex(p.paymentPreimage) } : {}),
    ...(p.failure !== null ? { failure: p.failure } : {}),
  };
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
  description:
    'Show the refunds (invoice_requests) we issued, or the one {invreq_id}; {active_only} drops inactive ones. ' +
    'An entry with payments taken on and not settled shows them as pending_payments (payment_hash, amount_msat, since; in_progress false: left by a crash, see resolveinvoicerequestpayment).',
  handler(p, { node }) {
    const invreqId = p['invreq_id'] === undefined ? undefined : invreqIdParam(p);
    const activeOnly = optional(p, 'active_only', paramBoolean) ?? false;
    const pending = new Map<string, PendingRefundPayment[]>();
    for (const x of node.invoiceRequests.pendingPayments()) {
      const k = toHex(x.invreqId);
      pending.set(k, [...(pending.get(k) ?? []), x]);
    }
    return { invoicerequests: node.invoiceRequests.list({ ...(invreqId ? { invreqId } : {}), activeOnly }).map((r) => invreqJson(r, pending.get(toHex(r.invreqId)))) };
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

const resolveinvoicerequestpayment: RpcMethod<RpcContext> = {
  name: 'resolveinvoicerequestpayment',
  params: ['payment_hash', 'status', 'payment_preimage?'],
  description:
    'Settle a payment for one of our refunds that is still pending because the node stopped while paying it and the payment backend cannot tell how it ended (listinvoicerequests shows it under pending_payments). ' +
    '{status} complete needs the {payment_preimage} the payee revealed (its SHA256 must be {payment_hash}): the refund is then used. ' +
    '{status} failed: it was not paid; a single-use refund takes another invoice again. Errors: 208 unknown payment_hash, 211 not pending, 200 being paid by this node now.',
  async handler(p, { node }) {
    const paymentHash = paramHex(p, 'payment_hash', 32);
    const status = paramEnum(p, 'status', ['complete', 'failed'] as const);
    const given = p['payment_preimage'] !== undefined && p['payment_preimage'] !== null;
    if (status === 'failed' && given) throw invalidParam('payment_preimage', 'only with status complete');
    if (status === 'complete' && !given) throw invalidParam('payment_preimage', 'is required with status complete');
    let paymentPreimage: Uint8Array | undefined;
    if (status === 'complete') {
      paymentPreimage = paramHex(p, 'payment_preimage', 32);
      if (toHex(sha256(paymentPreimage)) !== toHex(paymentHash)) throw invalidParam('payment_preimage', 'does not match payment_hash (SHA256(payment_preimage) must equal it)');
    }
    return call(async () =>
      refundPaymentJson(await node.invoiceRequests.resolvePayment(paymentHash, paymentPreimage ? { status: 'complete', paymentPreimage } : { status: 'failed' })),
    );
  },
};

export const invoicerequestMethods: RpcMethod<RpcContext>[] = [invoicerequest, listinvoicerequests, disableinvoicerequest, resolveinvoicerequestpayment];
