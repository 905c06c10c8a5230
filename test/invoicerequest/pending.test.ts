// Refund payments a crash left `pending` (the store took the invoice on, then the daemon died
// during payments.pay): reconciled at start-up with the payment backend (the test-network ledger:
// paid → complete with the preimage it revealed, not paid → failed; backend none → failed), shown
// in listinvoicerequests, and settled by the operator with resolveinvoicerequestpayment when the
// backend cannot tell; afterwards a single-use refund takes another invoice (failed) or none
// (complete). The crash is simulated by writing the pending row with the store directly (and, for
// "paid before the crash", paying through the backend directly), then restarting the node.
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/index.ts';
import { decodeRefund, type Invoice } from '../../src/bolt12/index.ts';
import { TestNetworkLedger, type PaymentBackend, type PaymentReceiver } from '../../src/payments/index.ts';
import { Node, type NodeEvents } from '../../src/rpc/api.ts';
import { RpcError } from '../../src/rpc/types.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { systemClock } from '../../src/util/clock.ts';
import { tempDir } from '../tmp.ts';
import { secretFor, waitFor } from '../sendinvoice/net.ts';

type Answered = NodeEvents['invoicerequest_answered'];
const started: Node[] = [];
afterAll(async () => {
  await Promise.all(started.map((n) => n.stop()));
});

async function start(name: string, opts: Parameters<typeof Node.start>[0] = {}): Promise<Node> {
  const n = await Node.start({ port: 0, logLevel: 'error', nodeSecret: secretFor(`pending ${name}`), alias: name, ...opts });
  started.push(n);
  return n;
}
async function link(a: Node, b: Node): Promise<void> {
  await a.connect({ id: `${b.nodeIdHex}@127.0.0.1:${b.tcpAddress!.port}` });
  await waitFor(() => !!a.peers.get(b.nodeId) && !!b.peers.get(a.nodeId));
}

/** A ledger backend that cannot look payments up (as a backend that keeps no record), optionally holding each payment until `release`. */
class BlindLedger implements PaymentBackend {
  readonly name = 'blind-ledger';
  readonly canPay = true;
  private readonly inner;
  private held: Array<() => void> = [];
  hold = false;
  constructor(ledger: TestNetworkLedger) {
    this.inner = ledger.backendFor({ network: 'regtest', clock: systemClock });
  }
  async pay(invoice: Invoice) {
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    return this.inner.pay(invoice);
  }
  release(): void {
    this.hold = false;
    for (const r of this.held.splice(0)) r();
  }
  attachReceiver(r: PaymentReceiver): void {
    this.inner.attachReceiver(r);
  }
  close(): void {
    this.release();
    this.inner.close();
  }
}

/** An invoice by `payee` for the refund `bolt12`, in the payee's store (payable over the ledger); its preimage. */
async function invoiceBy(payee: Node, name: string, bolt12: string): Promise<{ invoice: Invoice; preimage: Uint8Array }> {
  const refund = decodeRefund(bolt12);
  const preimage = sha256(utf8.encode(`pending test preimage ${name} ${Math.random()}`));
  const paymentHash = sha256(preimage);
  const now = Math.floor(Date.now() / 1000);
  const { path, payInfo } = payee.paymentReceiver.paymentPath({ paymentHash, amountMsat: refund.invreqAmount!, expiresAt: now + 3600 });
  const invoice = refund.respondWith({ paymentHash, createdAt: now, paths: [path], blindedPay: [payInfo], relativeExpiry: 3600 }).build(secretFor(`pending ${payee.config.alias}`));
  await payee.invoices.create({ label: name, bolt12: invoice.toString(), paymentHash, paymentPreimage: preimage, amountMsat: refund.invreqAmount!, expiresAt: now + 3600 });
  return { invoice, preimage };
}

/** What the store holds after `beginRefundPayment`: the trace a crash during the payment leaves. */
async function takeOn(node: Node, invreqId: string, invoice: Invoice): Promise<void> {
  const r = await node.refunds.beginRefundPayment({ invreqId: fromHex(invreqId), paymentHash: invoice.invoicePaymentHash, invoice: invoice.toString(), amountMsat: invoice.invoiceAmount });
  expect(r.outcome).toBe('started');
}

const listed = async (n: Node, id: string) => (await n.listinvoicerequests({ invreq_id: id })).invoicerequests[0]!;

describe('at start-up, pending refund payments are looked up with the payment backend', () => {
  it('test-network ledger: paid before the crash → complete with the preimage; not paid → failed and the refund takes another invoice', async () => {
    const ledger = new TestNetworkLedger();
    const dir = tempDir('b12d-pending-');
    const opts = { datadir: dir, payments: { backend: 'testnet-ledger' as const, ledger } };
    let a = await start('ledger-a', opts);
    const p = await start('ledger-p', { payments: { backend: 'testnet-ledger', ledger } });
    const paidFirst = await a.invoicerequest({ amount: 5100, description: 'paid, then crash', label: 'paid' });
    const neverPaid = await a.invoicerequest({ amount: 5200, description: 'crash before paying', label: 'unpaid' });
    const one = await invoiceBy(p, 'one', paidFirst.bolt12);
    const two = await invoiceBy(p, 'two', neverPaid.bolt12);
    await takeOn(a, paidFirst.invreq_id, one.invoice);
    await takeOn(a, neverPaid.invreq_id, two.invoice);
    // The money moved for the first (the ledger revealed the preimage to a), then "the crash".
    expect((await a.payments.pay(one.invoice)).paymentPreimage).toEqual(one.preimage);
    // Pending shows where the operator looks; a single-use refund with a pending payment is in_flight.
    const since = a.refunds.getRefundPayment(two.invoice.invoicePaymentHash)!.createdAt;
    expect(await listed(a, neverPaid.invreq_id)).toMatchObject({ active: true, used: false, pending_payments: [{ payment_hash: toHex(two.invoice.invoicePaymentHash), amount_msat: 5200, since, in_progress: false }] });
    await link(p, a);
    const refusedTold = a.waitFor('invoicerequest_answered', (e) => e.invreq_id === neverPaid.invreq_id);
    await expect(p.sendinvoice({ invreq: neverPaid.bolt12, label: 'two-early', timeout: 20 })).rejects.toMatchObject({ code: 1004, data: { error: 'another invoice for this single-use invoice_request is being paid' } });
    expect(await refusedTold).toMatchObject({ outcome: 'refused', reason: 'in_flight' });
    await a.stop();

    a = await start('ledger-a', opts);
    await a.invoiceRequests.reconciled;
    expect(a.invoiceRequests.stats().reconciled).toBe(2);
    expect(a.refunds.listPendingRefundPayments()).toEqual([]);
    expect(a.refunds.getRefundPayment(one.invoice.invoicePaymentHash)).toMatchObject({ status: 'complete', paymentPreimage: one.preimage });
    expect(a.refunds.getRefundPayment(two.invoice.invoicePaymentHash)).toMatchObject({ status: 'failed', failure: 'Not paid: the test-network ledger revealed no preimage for it to this node' });
    const l1 = await listed(a, paidFirst.invreq_id);
    expect(l1).toMatchObject({ active: false, used: true });
    expect(l1).not.toHaveProperty('pending_payments');
    expect(await listed(a, neverPaid.invreq_id)).toEqual({ invreq_id: neverPaid.invreq_id, active: true, single_use: true, bolt12: neverPaid.bolt12, used: false, label: 'unpaid' });
    // Afterwards: the failed one's refund is paid for a new invoice, the complete one's is used.
    await link(p, a);
    expect(await p.sendinvoice({ invreq: neverPaid.bolt12, label: 'two-again', timeout: 20 })).toMatchObject({ status: 'paid', amount_received_msat: 5200 });
    await expect(p.sendinvoice({ invreq: paidFirst.bolt12, label: 'one-again', timeout: 20 })).rejects.toMatchObject({ code: 1004, data: { error: 'invoice_request already used' } });
    expect(ledger.transfers.map((t) => t.amountMsat)).toEqual([5100n, 5200n]);
  });

  it('backend none: a pending payment is failed (none makes no payments) and the refund is free again', async () => {
    const dir = tempDir('b12d-pending-none-');
    let a = await start('none-a', { datadir: dir, payments: { backend: 'none' } });
    const p = await start('none-p');
    const x = await a.invoicerequest({ amount: 900, description: 'left pending' });
    const { invoice } = await invoiceBy(p, 'none-1', x.bolt12);
    await takeOn(a, x.invreq_id, invoice);
    await a.stop();
    a = await start('none-a', { datadir: dir, payments: { backend: 'none' } });
    await a.invoiceRequests.reconciled;
    expect(a.refunds.getRefundPayment(invoice.invoicePaymentHash)).toMatchObject({ status: 'failed', failure: expect.stringMatching(/^Not paid: payment backend none makes no payments/) });
    expect(await listed(a, x.invreq_id)).toMatchObject({ active: true, used: false });
    expect(a.invoiceRequests.stats().reconciled).toBe(1);
  });
});

describe('resolveinvoicerequestpayment: what the backend cannot tell, the operator settles', () => {
  it('stays pending across the restart, then: bad parameters -32602, unknown 208; failed frees the refund, complete uses it; not pending 211', async () => {
    const ledger = new TestNetworkLedger();
    const dir = tempDir('b12d-pending-blind-');
    let a = await start('blind-a', { datadir: dir, payments: { backend: new BlindLedger(ledger) } });
    const p = await start('blind-p', { payments: { backend: 'testnet-ledger', ledger } });
    const wasPaid = await a.invoicerequest({ amount: 6100, description: 'paid before the crash' });
    const notPaid = await a.invoicerequest({ amount: 6200, description: 'not paid' });
    const one = await invoiceBy(p, 'b1', wasPaid.bolt12);
    const two = await invoiceBy(p, 'b2', notPaid.bolt12);
    await takeOn(a, wasPaid.invreq_id, one.invoice);
    await takeOn(a, notPaid.invreq_id, two.invoice);
    await a.payments.pay(one.invoice);
    await a.stop();

    a = await start('blind-a', { datadir: dir, payments: { backend: new BlindLedger(ledger) } });
    const heard: Answered[] = [];
    a.on('invoicerequest_answered', (e) => heard.push(e));
    await a.invoiceRequests.reconciled;
    expect(a.invoiceRequests.stats().reconciled).toBe(0);
    const h1 = toHex(one.invoice.invoicePaymentHash);
    const h2 = toHex(two.invoice.invoicePaymentHash);
    expect((await listed(a, wasPaid.invreq_id)).pending_payments).toMatchObject([{ payment_hash: h1, amount_msat: 6100, in_progress: false }]);
    expect((await listed(a, notPaid.invreq_id)).pending_payments).toMatchObject([{ payment_hash: h2, amount_msat: 6200, in_progress: false }]);

    const err = async (params: Record<string, unknown>) => {
      try {
        await a.resolveinvoicerequestpayment(params as never);
      } catch (e) {
        expect(e).toBeInstanceOf(RpcError);
        return { code: (e as RpcError).code, message: (e as RpcError).message };
      }
      throw new Error('expected an error');
    };
    expect(await err({ payment_hash: h1, status: 'complete', payment_preimage: toHex(sha256(utf8.encode('not it'))) })).toEqual({ code: -32602, message: 'payment_preimage: does not match payment_hash (SHA256(payment_preimage) must equal it)' });
    expect(await err({ payment_hash: h1, status: 'complete' })).toEqual({ code: -32602, message: 'payment_preimage: is required with status complete' });
    expect(await err({ payment_hash: h2, status: 'failed', payment_preimage: toHex(two.preimage) })).toEqual({ code: -32602, message: 'payment_preimage: only with status complete' });
    expect(await err({ payment_hash: h2, status: 'pending' })).toMatchObject({ code: -32602, message: 'status: should be one of complete, failed' });
    expect(await err({ payment_hash: 'abcd', status: 'failed' })).toMatchObject({ code: -32602, message: expect.stringMatching(/^payment_hash: /) });
    expect(await err({ payment_hash: '22'.repeat(32), status: 'failed' })).toEqual({ code: 208, message: `Unknown payment with payment_hash: ${'22'.repeat(32)}` });
    // Still pending, nothing changed by the refusals.
    expect(a.refunds.listPendingRefundPayments()).toHaveLength(2);

    // failed: the single-use refund takes another invoice again (it was in_flight until now).
    await link(p, a);
    await expect(p.sendinvoice({ invreq: notPaid.bolt12, label: 'b2-early', timeout: 20 })).rejects.toMatchObject({ code: 1004, data: { error: 'another invoice for this single-use invoice_request is being paid' } });
    const failed = await a.resolveinvoicerequestpayment({ payment_hash: h2, status: 'failed' });
    expect(failed).toMatchObject({ invreq_id: notPaid.invreq_id, payment_hash: h2, status: 'failed', amount_msat: 6200, bolt12: two.invoice.toString(), failure: 'Marked failed by the operator (resolveinvoicerequestpayment)' });
    expect(failed.completed_at).toEqual(expect.any(Number));
    expect(await p.sendinvoice({ invreq: notPaid.bolt12, label: 'b2-again', timeout: 20 })).toMatchObject({ status: 'paid', amount_received_msat: 6200 });

    // complete, with the preimage the payee revealed: the refund is used.
    const complete = await a.resolveinvoicerequestpayment({ payment_hash: h1, status: 'complete', payment_preimage: toHex(one.preimage) });
    expect(complete).toMatchObject({ invreq_id: wasPaid.invreq_id, status: 'complete', payment_preimage: toHex(one.preimage) });
    expect(await listed(a, wasPaid.invreq_id)).toEqual({ invreq_id: wasPaid.invreq_id, active: false, single_use: true, bolt12: wasPaid.bolt12, used: true });
    await expect(p.sendinvoice({ invreq: wasPaid.bolt12, label: 'b1-again', timeout: 20 })).rejects.toMatchObject({ code: 1004, data: { error: 'invoice_request already used' } });
    // Settled already: CLN's status mismatch.
    expect(await err({ payment_hash: h1, status: 'failed' })).toEqual({ code: 211, message: `Payment with hash ${h1} has complete status but it should be pending` });

    // The events: each settlement told once, as the store recorded it; the refusals as refused.
    await waitFor(() => heard.filter((e) => e.outcome !== 'refused').length >= 3);
    expect(heard.filter((e) => e.outcome !== 'refused').map((e) => [e.outcome, e.payment_hash])).toEqual([
      ['payment_failed', h2],
      ['paid', toHex(p.invoices.get('b2-again')!.paymentHash)],
      ['paid', h1],
    ]);
    expect(heard.filter((e) => e.outcome === 'refused').map((e) => e.reason)).toEqual(['in_flight', 'inactive']);
    expect(a.invoiceRequests.stats()).toMatchObject({ resolved: 2, paid: 1, refused: { in_flight: 1, inactive: 1 } });
    expect(ledger.transfers.map((t) => t.amountMsat)).toEqual([6100n, 6200n]);
  });

  it('a payment this process is making now is not the operator\'s: 200, and listinvoicerequests shows it in progress', async () => {
    const ledger = new TestNetworkLedger();
    const backend = new BlindLedger(ledger);
    const a = await start('busy-a', { payments: { backend } });
    const p = await start('busy-p', { payments: { backend: 'testnet-ledger', ledger } });
    await link(p, a);
    const x = await a.invoicerequest({ amount: 7100, description: 'slow payment' });
    backend.hold = true;
    const paying = p.sendinvoice({ invreq: x.bolt12, label: 'slow', timeout: 30 });
    await waitFor(() => a.refunds.listPendingRefundPayments().length === 1);
    const h = toHex(a.refunds.listPendingRefundPayments()[0]!.paymentHash);
    expect((await listed(a, x.invreq_id)).pending_payments).toMatchObject([{ payment_hash: h, in_progress: true }]);
    await expect(a.resolveinvoicerequestpayment({ payment_hash: h, status: 'failed' })).rejects.toMatchObject({ code: 200, message: `Payment with hash ${h} is being made by this node now: its outcome is recorded when the payment backend answers` });
    backend.release();
    expect(await paying).toMatchObject({ status: 'paid' });
    await waitFor(() => a.refunds.getRefundPayment(fromHex(h))?.status === 'complete');
  });
});

describe('the backends\' lookup', () => {
  it('ledger: complete only for the payer it revealed the preimage to; unknown while carrying; failed otherwise', async () => {
    const ledger = new TestNetworkLedger();
    const backend = new BlindLedger(ledger);
    const a = await start('lookup-a', { payments: { backend } });
    const b = await start('lookup-b', { payments: { backend: 'testnet-ledger', ledger } });
    const p = await start('lookup-p', { payments: { backend: 'testnet-ledger', ledger } });
    const x = await a.invoicerequest({ amount: 800, description: 'lookup' });
    const { invoice, preimage } = await invoiceBy(p, 'lk', x.bolt12);
    const hash = invoice.invoicePaymentHash;
    expect(ledger.lookup(a.nodeId, hash)).toMatchObject({ status: 'failed' });
    backend.hold = true;
    const paid = backend.pay(invoice);
    // Held before the ledger: nothing carried yet.
    expect(ledger.lookup(a.nodeId, hash).status).toBe('failed');
    backend.release();
    await paid;
    expect(ledger.lookup(a.nodeId, hash)).toEqual({ status: 'complete', paymentPreimage: preimage });
    expect(await b.payments.lookup!(hash)).toMatchObject({ status: 'failed' });
    // While the ledger carries one (the payee's receiver is slow), it cannot tell.
    const y = await b.invoicerequest({ amount: 801, description: 'lookup 2' });
    const two = await invoiceBy(p, 'lk2', y.bolt12);
    const receive = p.paymentReceiver.receive.bind(p.paymentReceiver);
    let let_go!: () => void;
    const gate = new Promise<void>((r) => (let_go = r));
    p.paymentReceiver.receive = async (q) => {
      await gate;
      return receive(q);
    };
    const carrying = b.payments.pay(two.invoice);
    expect(await b.payments.lookup!(two.invoice.invoicePaymentHash)).toMatchObject({ status: 'unknown', why: expect.stringMatching(/being carried/) });
    let_go();
    await carrying;
    expect(await b.payments.lookup!(two.invoice.invoicePaymentHash)).toEqual({ status: 'complete', paymentPreimage: two.preimage });
    p.paymentReceiver.receive = receive;
  });

  it('none: failed; channels: unknown', async () => {
    const n = await start('lookup-none', { payments: { backend: 'none' } });
    expect(await n.payments.lookup!(new Uint8Array(32))).toMatchObject({ status: 'failed', failure: expect.stringMatching(/none makes no payments/) });
    expect(await n.channelPayments.lookup(new Uint8Array(32))).toMatchObject({ status: 'unknown' });
  });
});
