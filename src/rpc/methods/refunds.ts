// The types of the refund commands, whose table entries live in sendinvoice.ts and
// invoicerequest.ts (plain RpcMethods): `typedMethod` attaches the parameter and result types and
// checks, when this module loads, that the parameter list it declares is the entry's own, so the
// typed API (`node.sendinvoice({ invreq, label })`) and the JSON-RPC table cannot drift apart.
import type { RpcContext } from '../context.ts';
import { typedMethod, type Msat, type MsatInput, type RpcMethod } from '../types.ts';
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

/** A refund we issued (Core Lightning's json_populate_invreq fields, and ours: `pending_payments`). */
export interface InvoiceRequestJson {
  invreq_id: string;
  active: boolean;
  single_use: boolean;
  bolt12: string;
  used: boolean;
  label?: string;
  /** listinvoicerequests only, and only when there are some: payments taken on whose outcome is not recorded. */
  pending_payments?: Array<{
    payment_hash: string;
    amount_msat: Msat;
    /** When it was taken on (seconds since 1970). */
    since: number;
    /** This process is paying it now; false: left pending by a crash (resolveinvoicerequestpayment). */
    in_progress: boolean;
  }>;
}

export interface ResolveinvoicerequestpaymentParams {
  /** The pending payment (listinvoicerequests' pending_payments), 32 bytes of hex. */
  payment_hash: string;
  /** `complete`: it was paid (give the preimage); `failed`: it was not. */
  status: 'complete' | 'failed';
  /** With `complete`: the preimage the payee revealed; SHA256 of it must be payment_hash. */
  payment_preimage?: string;
}

/** A payment made for one of our refunds (listsendpays' names; `bolt12` is the invoice). */
export interface InvoiceRequestPaymentJson {
  invreq_id: string;
  payment_hash: string;
  status: 'pending' | 'complete' | 'failed';
  amount_msat: Msat;
  bolt12: string;
  created_at: number;
  completed_at?: number;
  payment_preimage?: string;
  failure?: string;
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
  resolveinvoicerequestpayment: typedMethod<ResolveinvoicerequestpaymentParams, InvoiceRequestPaymentJson, RpcContext>(entry('resolveinvoicerequestpayment'), {
    payment_hash: 'required',
    status: 'required',
    payment_preimage: 'optional',
  }),
};
