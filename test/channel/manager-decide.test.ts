// The payments layer's decision on an HTLC that reached us over a blinded path
// (src/payments/channels.ts, backend `channels`): every refusal BOLT 4 names for a final node of a
// blinded route, with paths built as our invoices build them (payment-path.ts) but with a forged
// path_id, another node's key, another payment hash, past the constraints.
import { describe, expect, it } from 'vitest';
import { deterministicRandom, publicKey, sha256 } from '../../src/crypto/index.ts';
import { manualScheduler, openInvoiceStore } from '../../src/invoice-store/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { buildBlindedPaymentPath, PaymentPathIds } from '../../src/payments/payment-path.ts';
import { ChannelPaymentBackend } from '../../src/payments/channels.ts';
import type { FinalHtlc } from '../../src/channel/manager.ts';
import { newInvoice, T0 } from '../invoice-store/fixtures.ts';

const secret = sha256(new TextEncoder().encode('decide us'));
const us = publicKey(secret);
const random = deterministicRandom('decide');

async function fixture() {
  const clock = new ManualClock(T0);
  const store = openInvoiceStore({ path: ':memory:', clock, scheduler: manualScheduler() });
  const backend = new ChannelPaymentBackend({ nodeSecret: secret, store, clock });
  const inv = await store.create(newInvoice('d', { amountMsat: 10_000n }));
  const ids = new PaymentPathIds(secret);
  const htlc = (o: { pathId?: Uint8Array; nodeId?: Uint8Array; hash?: Uint8Array; amount?: bigint; total?: bigint; cltv?: number; maxCltv?: number } = {}): FinalHtlc => {
    const { path } = buildBlindedPaymentPath({
      ourNodeId: o.nodeId ?? us,
      random,
      pathId: o.pathId ?? ids.create(inv.paymentHash),
      maxCltvExpiry: o.maxCltv ?? 1000,
      minFinalCltvExpiryDelta: 18,
      htlcMinimumMsat: 1n,
      htlcMaximumMsat: 1n << 40n,
    });
    const amount = o.amount ?? 10_000n;
    return {
      channelId: new Uint8Array(32),
      peerId: us,
      htlcId: 0n,
      paymentHash: o.hash ?? inv.paymentHash,
      amountMsat: amount,
      cltvExpiry: o.cltv ?? 500,
      pathKey: path.firstPathKey,
      encryptedRecipientData: path.hops[path.hops.length - 1]!.encryptedRecipientData,
      amtToForward: amount,
      outgoingCltvValue: o.cltv ?? 500,
      totalAmountMsat: o.total ?? amount,
    };
  };
  return { store, backend, inv, htlc, clock };
}

describe('ChannelPaymentBackend.decide', () => {
  it('fulfils a good HTLC with the invoice preimage and the paid mark to commit with it', async () => {
    const { backend, inv, htlc } = await fixture();
    const d = backend.decide(htlc({ amount: 12_000n }));
    expect(d).toEqual({ kind: 'fulfill', preimage: inv.paymentPreimage, paid: { paymentHash: inv.paymentHash, amountReceivedMsat: 12_000n } });
  });

  it('refuses a forged path_id, a path to another node, another payment hash, the constraints, the amounts, parts, expiry, paid', async () => {
    const { backend, store, inv, htlc, clock } = await fixture();
    const reason = (h: FinalHtlc) => {
      const d = backend.decide(h);
      return d.kind === 'reject' ? d.reason.split(':')[0] : 'fulfill';
    };
    const forged = new PaymentPathIds(sha256(new TextEncoder().encode('someone else'))).create(inv.paymentHash);
    expect(reason(htlc({ pathId: forged }))).toBe('unknown_path');
    expect(reason(htlc({ pathId: new Uint8Array(49) }))).toBe('unknown_path');
    expect(reason(htlc({ nodeId: publicKey(sha256(new TextEncoder().encode('other'))) }))).toBe('bad_blinding');
    expect(reason(htlc({ hash: sha256(new TextEncoder().encode('x')) }))).toBe('wrong_payment_hash');
    expect(reason(htlc({ cltv: 2000 }))).toBe('constraints');
    expect(reason(htlc({ amount: 9_999n }))).toBe('amount_too_low');
    expect(reason(htlc({ amount: 20_001n }))).toBe('amount_too_high');
    expect(reason(htlc({ amount: 20_000n }))).toBe('fulfill');
    expect(reason(htlc({ total: 20_000n }))).toBe('multi_part');
    // A path for an invoice no longer in the store.
    const gone = await store.create(newInvoice('gone'));
    const goneHtlc = htlc({ pathId: new PaymentPathIds(secret).create(gone.paymentHash), hash: gone.paymentHash, amount: 50_000n });
    await store.delete('gone', 'unpaid');
    expect(reason(goneHtlc)).toBe('unknown_invoice');
    await store.markPaid(inv.paymentHash, 10_000n);
    expect(reason(htlc())).toBe('already_paid');
    const late = await store.create(newInvoice('late', { expiresAt: T0 + 5 }));
    clock.advance(10);
    expect(reason(htlc({ pathId: new PaymentPathIds(secret).create(late.paymentHash), hash: late.paymentHash, amount: 50_000n }))).toBe('expired');
    expect(backend.refused).toMatchObject({ unknown_path: 2, bad_blinding: 1, wrong_payment_hash: 1, constraints: 1, amount_too_low: 1, amount_too_high: 1, multi_part: 1, unknown_invoice: 1, already_paid: 1, expired: 1 });
    await expect(backend.pay({} as never)).rejects.toMatchObject({ reason: 'no_backend' });
  });
});
