// `sendinvoice` over JSON-RPC (lightning-sendinvoice(7), brought up to today's BOLT 12): parameters
// positional in the manual page's order or by name, with the manual page's aliases (`offer` for
// `invreq`, `msatoshi` for `amount_msat`); the work is src/sendinvoice.ts. Errors keep the
// command's codes: -32602, 900, 1002, 1003, 1004, 1005, -1.
import { toClnJson } from '../../invoice-store/index.ts';
import { SendInvoiceError } from '../../sendinvoice.ts';
import { AmountError, parseAmountMsat } from '../../util/amount.ts';
import type { RpcContext } from '../context.ts';
import { invalidParam, paramInteger, paramString } from '../params.ts';
import { RpcError, type RpcMethod } from '../types.ts';

type Params = Record<string, unknown>;

/** One of two names for the same parameter (never both). */
function either(p: Params, a: string, b: string): { name: string; value: unknown } | undefined {
  const hasA = p[a] !== undefined && p[a] !== null;
  const hasB = p[b] !== undefined && p[b] !== null;
  if (hasA && hasB) throw invalidParam(b, `is another name for ${a}: give one of them`);
  if (hasA) return { name: a, value: p[a] };
  if (hasB) return { name: b, value: p[b] };
  return undefined;
}

function amountParam(name: string, v: unknown): bigint {
  try {
    return parseAmountMsat(v, name);
  } catch (e) {
    if (e instanceof AmountError) throw invalidParam(name, e.rule);
    throw e;
  }
}

function quantityParam(v: unknown): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return BigInt(v);
  if (typeof v === 'string' && /^[1-9][0-9]{0,19}$/.test(v) && BigInt(v) <= 0xffff_ffff_ffff_ffffn) return BigInt(v);
  throw invalidParam('quantity', 'should be a positive integer');
}

export const sendinvoiceMethod: RpcMethod<RpcContext> = {
  name: 'sendinvoice',
  // lightning-sendinvoice(7): `sendinvoice offer label [msatoshi] [timeout] [quantity]`, today
  // `invreq label [amount_msat] [timeout] [quantity]`; the old names are accepted by name.
  params: ['invreq?', 'label', 'amount_msat?', 'timeout?', 'quantity?', 'offer?', 'msatoshi?'],
  description:
    'Create an invoice for the refund {invreq} (lnr1..., an invoice_request without offer; also accepted as {offer}) under the unique {label}, ' +
    'send it to the refund\'s issuer over onion messages and wait up to {timeout} seconds (default 90, also the invoice\'s expiry) for it to be paid. ' +
    '{amount_msat} ({msatoshi}) and {quantity}, when given, must equal the refund\'s. ' +
    'Errors: 1002 refund expired, 1003 no route, 1004 the issuer answered with an invoice_error, 1005 timed out (the invoice stays payable), 900 duplicate label, -32602 bad parameter.',
  async handler(p, ctx, signal) {
    const { node } = ctx;
    const inv = either(p, 'invreq', 'offer');
    if (!inv) throw invalidParam('invreq', 'is required (the refund string, lnr1...)');
    if (typeof inv.value !== 'string') throw invalidParam(inv.name, 'should be a refund string (lnr1...)');
    const label = paramString(p, 'label', { maxLength: 65_535 });
    const amt = either(p, 'amount_msat', 'msatoshi');
    const amountMsat = amt ? amountParam(amt.name, amt.value) : undefined;
    const timeout = p['timeout'] === undefined ? undefined : paramInteger(p, 'timeout', { min: 1, max: 0xffff_ffff });
    const quantity = p['quantity'] === undefined ? undefined : quantityParam(p['quantity']);
    try {
      const rec = await node.sendInvoice({
        invreq: inv.value,
        label,
        ...(amountMsat !== undefined ? { amountMsat } : {}),
        ...(timeout !== undefined ? { timeout } : {}),
        ...(quantity !== undefined ? { quantity } : {}),
        ...(signal ? { signal } : {}),
        // Progress as Core Lightning's `message` notifications (lightning-cli -N info shows them).
        onProgress: (e) => {
          const text =
            e.kind === 'stored'
              ? `invoice ${e.paymentHash} stored under label ${e.label}`
              : e.kind === 'sent'
                ? `invoice sent (copy ${e.copy}) via ${e.via === 'path' ? "the refund's blinded path" : 'its payer id'}, first hop ${e.firstHop}; waiting for payment`
                : `resend ${e.copy} not sent: ${e.reason}`;
          ctx.notify?.({ level: 'info', message: text });
        },
      });
      return toClnJson(rec);
    } catch (e) {
      if (e instanceof SendInvoiceError) {
        const data = e.data && inv.name === 'offer' && e.data['param'] === 'invreq' ? { ...e.data, param: 'offer' } : e.data;
        throw new RpcError(e.code, inv.name === 'offer' ? e.message.replace(/^invreq:/, 'offer:') : e.message, data);
      }
      throw e;
    }
  },
};

export const sendinvoiceMethods: RpcMethod<RpcContext>[] = [sendinvoiceMethod];
