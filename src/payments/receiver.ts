// Receiving for our invoices: the payment paths our invoices carry, and the check a payment makes
// when it reaches us over one of them (BOLT 4, Route Blinding, the reader, final node), ending in
// the invoice store's paid mark. Every backend (ledger today, channels later) goes through here.
//
//   const receiver = new InvoiceReceiver({ nodeSecret, store, clock, random });
//   const { path, payInfo } = receiver.paymentPath({ paymentHash, amountMsat, expiresAt });
//   // … a payment arrives (pathKey, encrypted data, amount) …
//   const { paymentPreimage } = await receiver.receive(htlc);   // store says paid, durably
import { isPrivateKey, publicKey, type RandomSource } from '../crypto/index.ts';
import type { BlindedPath } from '../wire/blinded-path.ts';
import type { BlindedPayInfo } from '../bolt12/index.ts';
import { InvoiceStoreError, MAX_MSAT, type InvoiceStore } from '../invoice-store/index.ts';
import { unblindHop, UnblindError, type UnblindedHop } from '../onion-message/index.ts';
import { unixSeconds, type Clock } from '../util/clock.ts';
import { bytesEqual, toHex } from '../util/bytes.ts';
import { buildBlindedPaymentPath, MIN_FINAL_CLTV_EXPIRY_DELTA, PaymentPathIds, type PaymentForwardNode } from './payment-path.ts';
import { ReceiveError, type IncomingBlindedPayment, type PaymentReceiver, type ReceivedPayment } from './types.ts';

export interface InvoiceReceiverOptions {
  nodeSecret: Uint8Array;
  store: InvoiceStore;
  clock: Clock;
  random: RandomSource;
  /** The chain's current block height, when a chain layer knows it (for `payment_constraints`). */
  blockHeight?: () => number | undefined;
  /** Our `min_final_cltv_expiry_delta` (default 18). */
  minFinalCltvExpiryDelta?: number;
  /** Smallest HTLC we take (default 1 msat). */
  htlcMinimumMsat?: bigint;
}

const U32_MAX = 0xffff_ffff;
/** Blocks of slack after an invoice's expiry before its path stops taking HTLCs (one day). */
const EXPIRY_SLACK_BLOCKS = 144;

export class InvoiceReceiver implements PaymentReceiver {
  readonly nodeId: Uint8Array;
  private readonly nodeSecret: Uint8Array;
  private readonly ids: PaymentPathIds;
  private readonly minFinal: number;
  private readonly htlcMin: bigint;

  constructor(private readonly o: InvoiceReceiverOptions) {
    if (!isPrivateKey(o.nodeSecret)) throw new RangeError('InvoiceReceiver: nodeSecret is not a valid secret key');
    this.nodeSecret = o.nodeSecret;
    this.nodeId = publicKey(o.nodeSecret);
    this.ids = new PaymentPathIds(o.nodeSecret);
    this.minFinal = o.minFinalCltvExpiryDelta ?? MIN_FINAL_CLTV_EXPIRY_DELTA;
    this.htlcMin = o.htlcMinimumMsat ?? 1n;
  }

  /**
   * The blinded payment path (and its `blinded_payinfo`) for an invoice: `path_id` names the
   * payment hash; `max_cltv_expiry` covers the invoice's life (unbounded while no chain height is
   * known). `via`: channel peers before us (none yet).
   */
  paymentPath(p: { paymentHash: Uint8Array; amountMsat: bigint | null; expiresAt: number; via?: readonly PaymentForwardNode[] }): { path: BlindedPath; payInfo: BlindedPayInfo } {
    const height = this.o.blockHeight?.();
    let maxCltvExpiry: number;
    if (height === undefined) maxCltvExpiry = U32_MAX - this.minFinal;
    else {
      const blocksLeft = Math.ceil(Math.max(0, p.expiresAt - this.o.clock.now()) / 600);
      maxCltvExpiry = Math.min(U32_MAX - this.minFinal, height + blocksLeft + EXPIRY_SLACK_BLOCKS);
    }
    return buildBlindedPaymentPath({
      ourNodeId: this.nodeId,
      ourSecret: this.nodeSecret,
      random: this.o.random,
      ...(p.via ? { via: p.via } : {}),
      pathId: this.ids.create(p.paymentHash),
      maxCltvExpiry,
      minFinalCltvExpiryDelta: this.minFinal,
      htlcMinimumMsat: this.htlcMin,
      htlcMaximumMsat: MAX_MSAT,
    });
  }

  async receive(p: IncomingBlindedPayment): Promise<ReceivedPayment> {
    // BOLT 4: "MUST return an error if `encrypted_recipient_data` does not decrypt using the `path_key`".
    let hop: UnblindedHop;
    try {
      hop = unblindHop(this.nodeSecret, p.pathKey, p.encryptedRecipientData);
    } catch (e) {
      if (e instanceof UnblindError) throw new ReceiveError('bad_blinding', e.message);
      throw e;
    }
    const d = hop.data;
    // Our hop must be the final one: no next hop, no relay instructions.
    if (d.nextNodeId !== undefined || d.shortChannelId !== undefined || d.paymentRelay !== undefined) {
      throw new ReceiveError('not_final', 'the payment path continues past us');
    }
    // BOLT 4: "MUST return an error if `allowed_features.features` contains an unknown feature bit (even if it is odd)".
    if (d.allowedFeatures !== undefined && d.allowedFeatures.some((b) => b !== 0)) {
      throw new ReceiveError('unknown_feature', 'allowed_features names a feature we do not know');
    }
    const paymentHash = d.pathId ? this.ids.verify(d.pathId) : undefined;
    if (!paymentHash) throw new ReceiveError('unknown_path', 'not a payment path we built (path_id missing or not ours)');
    // BOLT 4: "If `payment_constraints` is present: MUST return an error if the expiry is greater
    // than max_cltv_expiry, the amount is below htlc_minimum_msat".
    const c = d.paymentConstraints;
    if (c) {
      if (p.cltvExpiry !== undefined && p.cltvExpiry > c.maxCltvExpiry) throw new ReceiveError('expired', `HTLC expiry ${p.cltvExpiry} is past the path's max_cltv_expiry ${c.maxCltvExpiry}`);
      if (p.amountMsat < c.htlcMinimumMsat) throw new ReceiveError('amount_too_low', `${p.amountMsat} msat is below the path's htlc_minimum_msat ${c.htlcMinimumMsat}`);
    }
    const rec = this.o.store.getByPaymentHash(paymentHash);
    if (!rec) throw new ReceiveError('unknown_invoice', `no invoice with payment hash ${toHex(paymentHash)}`);
    const total = p.totalAmountMsat ?? p.amountMsat;
    // BOLT 4, final node: "MUST return an error if `amt_to_forward` is below what it expects for the payment".
    if (rec.amountMsat !== null && total < rec.amountMsat) throw new ReceiveError('amount_too_low', `${total} msat is below the invoice amount ${rec.amountMsat}`);
    if (rec.status === 'paid') return { paymentHash, paymentPreimage: rec.paymentPreimage, record: rec, newlyPaid: false };
    if (rec.status === 'expired' || rec.expiresAt <= unixSeconds(this.o.clock)) throw new ReceiveError('expired', `invoice '${rec.label}' expired at ${rec.expiresAt}`);
    try {
      const r = await this.o.store.markPaid(paymentHash, total);
      if (!bytesEqual(r.record.paymentPreimage, rec.paymentPreimage)) throw new Error('store returned another preimage');
      return { paymentHash, paymentPreimage: r.record.paymentPreimage, record: r.record, newlyPaid: r.newlyPaid };
    } catch (e) {
      if (e instanceof InvoiceStoreError && e.reason === 'expired') throw new ReceiveError('expired', e.message);
      if (e instanceof InvoiceStoreError && e.reason === 'not_found') throw new ReceiveError('unknown_invoice', e.message);
      throw e;
    }
  }
}
