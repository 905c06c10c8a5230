// Backend `channels` (issue 13): payments for our invoices arrive as HTLCs over receive-only
// channels that peers opened to us (src/channel/manager.ts). This is the payment layer's half: the
// HTLC reached us as the final hop of one of our blinded payment paths, its onion is peeled; here
// we decide which invoice it pays and whether it may (BOLT 4, "Route Blinding", the reader, final
// node, and "Failure Messages", final node), and hand back the preimage and the paid mark, which
// the channel manager commits in one transaction with the fulfilment before update_fulfill_htlc.
//
//   const backend = new ChannelPaymentBackend({ nodeSecret, store, clock });
//   manager.setDecider(backend);
//
// Receive only: `pay` is refused (we never offer HTLCs), as with backend `none`.
import { unblindHop, UnblindError, type UnblindedHop } from '../onion-message/index.ts';
import type { FinalHtlc, HtlcDecider, HtlcDecision } from '../channel/manager.ts';
import type { InvoiceStore } from '../invoice-store/index.ts';
import { unixSeconds, type Clock } from '../util/clock.ts';
import { toHex } from '../util/bytes.ts';
import type { Invoice } from '../bolt12/index.ts';
import { MIN_FINAL_CLTV_EXPIRY_DELTA, PaymentPathIds } from './payment-path.ts';
import { PaymentError, type PaymentBackend, type PaymentLookup, type PaymentReceiver, type PaymentSuccess } from './types.ts';

export const CHANNELS_BACKEND = 'channels';
export const CHANNELS_CANNOT_PAY = 'Cannot pay: this node has receive-only channels (it never offers HTLCs)';

export interface ChannelPaymentBackendOptions {
  nodeSecret: Uint8Array;
  store: InvoiceStore;
  clock: Clock;
  /** The chain's height when a chain layer knows it (BOLT 4: cltv_expiry ≥ height + min_final_cltv_expiry_delta). */
  blockHeight?: () => number | undefined;
  minFinalCltvExpiryDelta?: number;
}

/** Why an HTLC was refused (the channel layer answers `incorrect_or_unknown_payment_details` for all). */
export type ChannelRejectReason =
  | 'bad_blinding'
  | 'not_final'
  | 'unknown_feature'
  | 'unknown_path'
  | 'wrong_payment_hash'
  | 'constraints'
  | 'unknown_invoice'
  | 'multi_part'
  | 'amount_too_low'
  | 'amount_too_high'
  | 'already_paid'
  | 'expired'
  | 'cltv_too_soon';

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export class ChannelPaymentBackend implements PaymentBackend, HtlcDecider {
  readonly name = CHANNELS_BACKEND;
  readonly canPay = false;
  private readonly ids: PaymentPathIds;
  private readonly minFinal: number;
  /** Refusals by reason (tests, stats). */
  readonly refused: Partial<Record<ChannelRejectReason, number>> = {};

  constructor(private readonly o: ChannelPaymentBackendOptions) {
    this.ids = new PaymentPathIds(o.nodeSecret);
    this.minFinal = o.minFinalCltvExpiryDelta ?? MIN_FINAL_CLTV_EXPIRY_DELTA;
  }

  pay(_invoice: Invoice): Promise<PaymentSuccess> {
    return Promise.reject(new PaymentError('no_backend', CHANNELS_CANNOT_PAY));
  }

  /**
   * `unknown`: we offer no HTLCs, so we keep no record of outgoing payments; a payment left pending
   * was begun under another backend and only the operator can tell how it ended. (When channels
   * can pay, the outgoing HTLC's state will answer this.)
   */
  lookup(_paymentHash: Uint8Array): Promise<PaymentLookup> {
    return Promise.resolve({ status: 'unknown', why: 'the channels backend makes no outgoing payments and keeps no record of them' });
  }

  attachReceiver(_receiver: PaymentReceiver): void {
    // Payments are marked paid by the channel manager's save (one transaction with the fulfilment).
  }

  close(): void {}

  decide(h: FinalHtlc): HtlcDecision {
    const reject = (reason: ChannelRejectReason, text: string): HtlcDecision => {
      this.refused[reason] = (this.refused[reason] ?? 0) + 1;
      return { kind: 'reject', reason: `${reason}: ${text}` };
    };
    // BOLT 4, the reader: "MUST return an error if encrypted_recipient_data does not decrypt using the path_key".
    let hop: UnblindedHop;
    try {
      hop = unblindHop(this.o.nodeSecret, h.pathKey, h.encryptedRecipientData);
    } catch (e) {
      if (e instanceof UnblindError) return reject('bad_blinding', e.message);
      throw e;
    }
    const d = hop.data;
    if (d.nextNodeId !== undefined || d.shortChannelId !== undefined || d.paymentRelay !== undefined) return reject('not_final', 'the path continues past us');
    // "MUST return an error if allowed_features.features contains an unknown feature bit (even if it is odd)."
    if (d.allowedFeatures !== undefined && d.allowedFeatures.some((b) => b !== 0)) return reject('unknown_feature', 'allowed_features names a feature we do not know');
    // "If it is the final recipient: MUST ignore the message if the path_id does not match the blinded route it created" —
    // path_id authenticates the payment hash it names (HMAC under our node key, compared in constant time).
    const pathHash = d.pathId ? this.ids.verify(d.pathId) : undefined;
    if (!pathHash) return reject('unknown_path', 'not a payment path we built (path_id missing or not ours)');
    if (!constantTimeEqual(pathHash, h.paymentHash)) return reject('wrong_payment_hash', 'the HTLC pays another payment_hash than the path was built for');
    // "If payment_constraints is present: MUST return an error if the expiry is greater than max_cltv_expiry, the amount is below htlc_minimum_msat."
    const c = d.paymentConstraints;
    if (c) {
      if (h.cltvExpiry > c.maxCltvExpiry) return reject('constraints', `cltv_expiry ${h.cltvExpiry} is past max_cltv_expiry ${c.maxCltvExpiry}`);
      if (h.amountMsat < c.htlcMinimumMsat) return reject('constraints', `${h.amountMsat} msat is below htlc_minimum_msat ${c.htlcMinimumMsat}`);
    }
    const rec = this.o.store.getByPaymentHash(h.paymentHash);
    if (!rec) return reject('unknown_invoice', `no invoice with payment hash ${toHex(h.paymentHash)}`);
    // Single part: our invoices do not offer basic_mpp, so "MUST fail the HTLC if total_msat is not exactly equal to amt_to_forward".
    if (h.totalAmountMsat !== h.amtToForward) return reject('multi_part', `total_amount_msat ${h.totalAmountMsat} is not amt_to_forward ${h.amtToForward} (one part only)`);
    const paid = h.totalAmountMsat;
    if (rec.amountMsat !== null) {
      // "if the amount paid is less than the amount expected: MUST fail"; "more than twice the amount expected: SHOULD fail".
      if (paid < rec.amountMsat) return reject('amount_too_low', `${paid} msat is below the invoice amount ${rec.amountMsat}`);
      if (paid > 2n * rec.amountMsat) return reject('amount_too_high', `${paid} msat is more than twice the invoice amount ${rec.amountMsat}`);
    }
    if (rec.status === 'paid') return reject('already_paid', `invoice '${rec.label}' is already paid`);
    if (rec.status === 'expired' || rec.expiresAt <= unixSeconds(this.o.clock)) return reject('expired', `invoice '${rec.label}' expired at ${rec.expiresAt}`);
    // "if the cltv_expiry value is unreasonably near the present: MUST fail" (only with a chain height).
    const height = this.o.blockHeight?.();
    if (height !== undefined && h.cltvExpiry < height + this.minFinal) return reject('cltv_too_soon', `cltv_expiry ${h.cltvExpiry} is below height ${height} + ${this.minFinal}`);
    return { kind: 'fulfill', preimage: rec.paymentPreimage, paid: { paymentHash: h.paymentHash, amountReceivedMsat: h.amountMsat } };
  }
}
