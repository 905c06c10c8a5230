// The boundary to money (DESIGN.md, src/payments/): a `PaymentBackend` pays invoices we must pay
// and delivers payments that arrive for our invoices to a `PaymentReceiver`, which checks them
// against the invoice store and marks the invoice paid (payment hash, amount, preimage).
//
// Backends: `none` (the daemon's default: every payment refused, as LDK without channels), the
// `testnet-ledger` (in-process test networks only) and, later, `channels` (BOLT 2/3 receive-only
// channels): that one will call `PaymentReceiver.receive` with each HTLC that reaches us as the
// final hop of one of our blinded paths, and fulfil it with the preimage returned.
import type { Invoice } from '../bolt12/index.ts';
import type { InvoiceRecord } from '../invoice-store/index.ts';

/** Why a payment (ours, outgoing) failed. */
export type PaymentFailureReason =
  /** No way to move money at all (backend `none`). */
  | 'no_backend'
  /** No usable path reaches the payee. */
  | 'no_route'
  /** The payee refused the payment (unknown invoice, amount, expiry…). */
  | 'rejected'
  /** The invoice expired before it could be paid. */
  | 'expired'
  /** The payee answered with something that is not the preimage. */
  | 'bad_preimage'
  /** The backend was closed or the caller gave up. */
  | 'aborted';

export class PaymentError extends Error {
  override readonly name = 'PaymentError';
  constructor(
    readonly reason: PaymentFailureReason,
    message: string,
  ) {
    super(message);
  }
}

export interface PaymentSuccess {
  paymentHash: Uint8Array;
  /** SHA256(preimage) = payment hash: checked by the backend before it answers. */
  paymentPreimage: Uint8Array;
  /** What left us, fees included. */
  amountSentMsat: bigint;
  feesMsat: bigint;
}

/** An HTLC that reached us as the final hop of a blinded payment path (BOLT 4, the reader). */
export interface IncomingBlindedPayment {
  /** The path key for our hop (`current_path_key`, or the `update_add_htlc` path key). */
  pathKey: Uint8Array;
  /** Our hop's `encrypted_recipient_data`. */
  encryptedRecipientData: Uint8Array;
  /** `amt_to_forward` at the final hop. */
  amountMsat: bigint;
  /** `total_amount_msat` (equals `amountMsat` without MPP). */
  totalAmountMsat?: bigint;
  /** The HTLC's `cltv_expiry`, when there is a chain (checked against `payment_constraints`). */
  cltvExpiry?: number;
}

/** Why an incoming payment was refused (the channel layer maps these to BOLT 4 failure codes). */
export type ReceiveFailureReason =
  /** `encrypted_recipient_data` does not decrypt or decode (BOLT 4: invalid_onion_blinding). */
  | 'bad_blinding'
  /** Our hop is not the final one, or carries fields a final hop must not. */
  | 'not_final'
  /** No `path_id`, or one we did not make: not a path we built for an invoice. */
  | 'unknown_path'
  /** The path's invoice is not in the store (deleted, or never ours). */
  | 'unknown_invoice'
  /** Below the invoice amount or the path's `htlc_minimum_msat`. */
  | 'amount_too_low'
  /** The invoice expired, or the HTLC expires after the path's `max_cltv_expiry`. */
  | 'expired'
  /** `allowed_features` with a feature we do not know. */
  | 'unknown_feature';

export class ReceiveError extends Error {
  override readonly name = 'ReceiveError';
  constructor(
    readonly reason: ReceiveFailureReason,
    message: string,
  ) {
    super(message);
  }
}

export interface ReceivedPayment {
  paymentHash: Uint8Array;
  paymentPreimage: Uint8Array;
  /** The invoice as the store holds it now (status `paid`). */
  record: InvoiceRecord;
  /** False when the invoice had been paid before (nothing changed). */
  newlyPaid: boolean;
}

/** What a backend hands incoming payments to (one per node: {@link InvoiceReceiver}). */
export interface PaymentReceiver {
  /** Our node id: the final hop of our payment paths. */
  readonly nodeId: Uint8Array;
  /**
   * An HTLC for us: check the path, the invoice, the amount and the expiry, mark the invoice paid
   * (durably) and return the preimage to fulfil with. Throws {@link ReceiveError}.
   */
  receive(p: IncomingBlindedPayment): Promise<ReceivedPayment>;
}

/**
 * What a backend knows of a payment it may have made (`lookup`): after a crash during `pay`, the
 * store holds the payment as `pending` and only the backend can tell how it ended.
 *   complete: the payee revealed the preimage (SHA256(preimage) = payment hash; the caller checks).
 *   failed:   it did not happen and cannot happen any more (nothing is in flight): safe to pay
 *             another invoice instead.
 *   unknown:  the backend cannot tell (it keeps no record, or the payment may still be in flight):
 *             the operator decides (RPC `resolveinvoicerequestpayment`).
 */
export type PaymentLookup =
  | { status: 'complete'; paymentPreimage: Uint8Array }
  | { status: 'failed'; failure: string }
  | { status: 'unknown'; why: string };

export interface PaymentBackend {
  /** `none`, `testnet-ledger` (later `channels`): what `getinfo` shows as `payment_backend`. */
  readonly name: string;
  /**
   * False when every `pay` is refused whatever the invoice (backend `none`): callers may refuse
   * at once, without taking the invoice on.
   */
  readonly canPay: boolean;
  /** Pay an invoice over its blinded paths (earlier paths preferred). Rejects with {@link PaymentError}. */
  pay(invoice: Invoice, opts?: { signal?: AbortSignal }): Promise<PaymentSuccess>;
  /**
   * How a payment of `paymentHash` by this node ended, as far as the backend knows (optional:
   * without it every question is `unknown`). Asked at start-up for payments a crash left pending.
   */
  lookup?(paymentHash: Uint8Array): Promise<PaymentLookup>;
  /** Where payments for our invoices go (the node attaches its receiver once, at start). */
  attachReceiver(receiver: PaymentReceiver): void;
  /** Stop: no more payments in or out. */
  close(): void;
}
