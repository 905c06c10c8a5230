/**
 * Issue 11 interop with LDK 0.1 (npm `lightningdevkit`, in process, real sockets), both ways:
 *
 * - LDK creates a refund (its blinded path starts at us); our `sendinvoice` delivers an invoice
 *   that LDK accepts as valid (manual mode: Event_InvoiceReceived with our exact invoice), and
 *   LDK without channels (default mode) answers with an invoice_error → our command returns 1004
 *   with LDK's text.
 * - Our unsigned refund (`invoicerequest … signed=false`): LDK answers it with an invoice
 *   (`request_refund_payment`), which our issuer side checks against every reader rule and
 *   answers (we cannot pay: invoice_error), which LDK reads (LDK 0.1's length-prefixed form).
 * Driven through LDK's own ChannelManager flows (the bindings' OffersMessage path is broken).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeInvoice, decodeRefund } from '../../src/bolt12/index.ts';
import { Node } from '../../src/node.ts';
import { sha256 } from '../../src/crypto/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { hex, initLdk, isInvoiceReceived, isPaymentFailed, LdkRejected, startLdkNode, type LdkNode } from './ldk-harness.ts';
import { eventually } from './our-node.ts';

describe('LDK interop: sendinvoice and the issuer side (issue 11)', () => {
  let us: Node;
  let manual: LdkNode; // LDK that only reports invoices (manually_handle_bolt12_invoices)
  let auto: LdkNode; // LDK that tries to pay, cannot, and answers invoice_error
  let payee: LdkNode; // LDK answering our refunds with invoices
  let payee2: LdkNode; // the same, for our second node (LDK builds reply paths only with exactly one onion-message peer)
  let usLdkForm: Node; // our node writing LDK 0.1's invoice_error form

  beforeAll(async () => {
    await initLdk();
    [us, usLdkForm, manual, auto, payee, payee2] = await Promise.all([
      Node.start({ port: 0, logLevel: 'warn', nodeSecret: sha256(new TextEncoder().encode('ldk-sendinvoice us')) }),
      Node.start({ port: 0, logLevel: 'warn', nodeSecret: sha256(new TextEncoder().encode('ldk-sendinvoice us2')), invoicerequest: { lengthPrefixedInvoiceErrors: true } }),
      startLdkNode({ seed: 0x61, manuallyHandleBolt12Invoices: true }),
      startLdkNode({ seed: 0x62 }),
      startLdkNode({ seed: 0x63 }),
      startLdkNode({ seed: 0x64 }),
    ]);
    for (const l of [manual, auto, payee]) await us.connect(l.nodeId, l.host, l.port);
    await usLdkForm.connect(payee2.nodeId, payee2.host, payee2.port);
    for (const l of [manual, auto, payee]) await l.waitForPeer(us.nodeId);
    await payee2.waitForPeer(usLdkForm.nodeId);
  });

  afterAll(async () => {
    await Promise.all([us?.stop(), usLdkForm?.stop()]);
    await Promise.all([manual, auto, payee, payee2].map((l) => l?.stop()));
  });

  it('LDK refund (path starts at us) → our invoice, which LDK accepts (Event_InvoiceReceived)', async () => {
    const { refund: lnr, paymentId, view } = manual.createRefund({ amountMsat: 21_000n });
    expect(hex(view.paths[0]!.introductionNodeId!)).toBe(us.nodeIdHex);
    expect(decodeRefund(lnr).isSigned).toBe(false); // LDK does not sign refunds; we take them
    const e0 = manual.events.length;
    const call = us.sendInvoice({ invreq: lnr, label: 'ldk-manual', timeout: 6 });
    const ev = await manual.waitForEvent(isInvoiceReceived, 10_000, e0);
    expect(hex(ev.payment_id)).toBe(hex(paymentId));
    const rec = us.invoices.get('ldk-manual')!;
    expect(ev.invoice.write()).toEqual(decodeInvoice(rec.bolt12).bytes);
    expect(ev.invoice.amount_msats()).toBe(21_000n);
    expect(hex(ev.invoice.signing_pubkey())).toBe(us.nodeIdHex);
    // LDK in manual mode answers nothing itself: the call times out, the invoice stays.
    const err = await call.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 1005, data: { invstring: rec.bolt12 } });
    // Our resends (one every 3 s, doubling) reach LDK too: each reported, each the same invoice.
    const seen = manual.events.slice(e0).filter(isInvoiceReceived);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeLessThanOrEqual(4);
    for (const e of seen) expect(e.invoice.write()).toEqual(decodeInvoice(rec.bolt12).bytes);
  });

  it('LDK without channels answers invoice_error (its 0.1 form) → 1004 with LDK\'s text', async () => {
    const { refund: lnr, paymentId } = auto.createRefund({ amountMsat: 32_000n });
    const err = await us.sendInvoice({ invreq: lnr, label: 'ldk-auto', timeout: 20 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 1004, message: 'Remote node sent failure message', data: { error: expect.stringMatching(/RouteNotFound/) } });
    const failed = await auto.waitForEvent(isPaymentFailed);
    expect(hex(failed.payment_id)).toBe(hex(paymentId));
    expect(us.invoices.get('ldk-auto')!.status).toBe('unpaid');
  });

  it('our signed refund: LDK 0.1 refuses it (so invoicerequest has signed=false for LDK)', async () => {
    const r = await us.invoiceRequests.create({ amountMsat: 9_000n, description: 'signed for CLN' });
    expect(() => payee.requestRefundPayment(r.bolt12)).toThrow(LdkRejected);
  });

  it('our unsigned refund → LDK\'s invoice, which our issuer side validates and answers (cannot pay)', async () => {
    const r = await us.invoiceRequests.create({ amountMsat: 9_000n, description: 'refund for LDK', signed: false, label: 'to-ldk' });
    const refund = decodeRefund(r.bolt12);
    expect(refund.isSigned).toBe(false);
    const made = payee.requestRefundPayment(r.bolt12);
    expect(made.amountMsat).toBe(9_000n);
    // It arrives over our path, passes every reader rule (signature by LDK's derived key, fields
    // mirrored, amount, expiry), reaches the payment backend — none — and is answered.
    await eventually(() => us.invoiceRequests.stats().refused['no_backend'] === 1, 'our issuer side to refuse payment', 10_000);
    expect(us.invoiceRequests.stats()).toMatchObject({ received: 1, invoiceErrorsSent: 1, paid: 0 });
    // With backend none nothing could be paid: the invoice is refused without being taken on.
    expect(us.refunds.getRefundPayment(made.paymentHash)).toBeUndefined();
    expect(hex(made.nodeId)).not.toBe(toHex(refund.invreqPayerId)); // LDK signs with a derived key
    // The refund is still open (nothing was paid).
    expect(us.invoiceRequests.list({ invreqId: r.invreqId })[0]).toMatchObject({ active: true, used: false });
  });

  it('…and in LDK 0.1\'s invoice_error form, LDK reads our answer (its log names our error text)', async () => {
    const r = await usLdkForm.invoiceRequests.create({ amountMsat: 7_000n, description: 'refund for LDK, LDK-form errors', signed: false });
    payee2.requestRefundPayment(r.bolt12);
    await payee2.waitFor(() => payee2.logsMatching(/Cannot pay: this node has no payment backend/).length > 0, 'LDK to read our invoice_error', 10_000);
    expect(usLdkForm.invoiceRequests.stats()).toMatchObject({ received: 1, invoiceErrorsSent: 1 });
  });
});
