// The types of the refund commands, whose table entries live in sendinvoice.ts and
// invoicerequest.ts (plain RpcMethods): `typedMethod` attaches the parameter and result types and
// checks, when this module loads, that the parameter list it declares is the entry's own, so the
// typed API (`node.sendinvoice({ invreq, label })`) and the JSON-RPC table cannot drift apart.
import type { RpcContext } from '../context.ts';
import { typedMethod, type MsatInput, type RpcMethod } from '../types.ts';
import type { InvoiceJson } from './invoices.ts';
import { sendinvoiceMethod } from './sendinvoice.ts';
import { invoicerequestMethods } from './invoicerequest.ts';

export interface SendinvoiceParams {
  /** The refund (`lnr1…`) to answer with an invoice. Also accepted as `offer` (lightning-sendinvoice(7)'s old name). */
  invreq?: string;
  /** Unique label of the invoice created (duplicate: 900). */
  label: string;
  /** Must equal the refund's amount when given (also accepted as `msatoshi`). */
  amount_msat?: MsatInput;
  /** Seconds to wait for payment (default 90), also the invoice's relative expiry. */
  timeout?: number;
  /** Must equal the refund's quantity when given. */
  quantity?: number | string;
  /** Old name of `invreq`. */
  offer?: string;
  /** Old name of `amount_msat`. */
  msatoshi?: MsatInput;
}

export interface InvoicerequestParams {
  /** What we will pay, msat (`10000`, `"10sat"`…), above zero. */
  amount: MsatInput;
  description: string;
  issuer?: string;
  label?: string;
  /** Seconds since 1970 after which the refund is void. */
  absolute_expiry?: number;
  /** Pay at most one invoice (default true). */
  single_use?: boolean;
  /** Sign the refund (default true; false for LDK 0.1, which refuses signed refunds). */
  signed?: boolean;
}

/** A refund we issued (Core Lightning's json_populate_invreq fields). */
export interface InvoiceRequestJson {
  invreq_id: string;
  active: boolean;
  single_use: boolean;
  bolt12: string;
  used: boolean;
  label?: string;
}

function entry(name: string): RpcMethod<RpcContext> {
  const m = invoicerequestMethods.find((x) => x.name === name);
  if (!m) throw new Error(`RPC method ${name} is missing from src/rpc/methods/invoicerequest.ts`);
  return m;
}

/** Keyed by name. */
export const refundMethods = {
  sendinvoice: typedMethod<SendinvoiceParams, InvoiceJson, RpcContext>(sendinvoiceMethod, {
    invreq: 'optional',
    label: 'required',
    amount_msat: 'optional',
    timeout: 'optional',
    quantity: 'optional',
    offer: 'optional',
    msatoshi: 'optional',
  }),
  invoicerequest: typedMethod<InvoicerequestParams, InvoiceRequestJson, RpcContext>(entry('invoicerequest'), {
    amount: 'required',
    description: 'required',
    issuer: 'optional',
    label: 'optional',
    absolute_expiry: 'optional',
    single_use: 'optional',
    signed: 'optional',
  }),
  listinvoicerequests: typedMethod<{ invreq_id?: string; active_only?: boolean }, { invoicerequests: InvoiceRequestJson[] }, RpcContext>(entry('listinvoicerequests'), {
    invreq_id: 'optional',
    active_only: 'optional',
  }),
  disableinvoicerequest: typedMethod<{ invreq_id: string }, InvoiceRequestJson, RpcContext>(entry('disableinvoicerequest'), { invreq_id: 'required' }),
};
