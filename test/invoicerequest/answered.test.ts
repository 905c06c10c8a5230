// Every answer of the issuer side is observable: `invoicerequest_answered` (the typed Node's event)
// for invoices refused before they were taken on (outcome `refused`, with the reason, the
// invoice_error's fields and whether it went out), beside the `paid` / `payment_failed` ones the
// store tells; a resent copy of an invoice taken on tells nothing; the counters of stats() add up
// to the events. Real nodes on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKey, sha256 } from '../../src/crypto/index.ts';
import { decodeInvoice, decodeRefund, encodeBolt12String, invoiceErrorFromBytes, joinRecords, makeRecord, signRecords, SIGNATURE_TYPE, type Bolt12Record, type Invoice, type InvoiceError, type Refund } from '../../src/bolt12/index.ts';
import { NO_BACKEND_MESSAGE, TestNetworkLedger } from '../../src/payments/index.ts';
import { Node, type NodeEvents } from '../../src/rpc/api.ts';
import { RpcError } from '../../src/rpc/types.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';
import { Writer } from '../../src/wire/codec.ts';
import { closeAll, makeNode, type TestNode } from '../onion-message/net.ts';
import { secretFor, sleep, waitFor } from '../sendinvoice/net.ts';

type Answered = NodeEvents['invoicerequest_answered'];
const NOW = Math.floor(Date.now() / 1000);
const PAYINFO = { feeBaseMsat: 0, feeProportionalMillionths: 0, cltvExpiryDelta: 18, htlcMinimumMsat: 1n, htlcMaximumMsat: 10n ** 12n, features: new Uint8Array(0) };
const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));

const started: Node[] = [];
async function start(name: string, opts: Parameters<typeof Node.start>[0] = {}): Promise<Node> {
  const n = await Node.start({ port: 0, logLevel: 'error', nodeSecret: secretFor(`answered ${name}`), alias: name, ...opts });
  started.push(n);
  return n;
}
async function link(a: Node, b: Node): Promise<void> {
  await a.connect({ id: `${b.nodeIdHex}@127.0.0.1:${b.tcpAddress!.port}` });
  await waitFor(() => !!a.peers.get(b.nodeId) && !!b.peers.get(a.nodeId));
}

describe('invoicerequest_answered for every answer', () => {
  const ledger = new TestNetworkLedger();
  let payer: Node; // issues refunds, pays through the ledger
  let broke: Node; // issues refunds, backend none
  let payee: Node; // a real sendinvoice node on the ledger
  let rogue: TestNode; // sends hand-made invoices
  const heard = new Map<Node, Answered[]>();
  const rogueKey = secretFor('answered rogue invoice key');

  beforeAll(async () => {
    payer = await start('payer', { payments: { backend: 'testnet-ledger', ledger } });
    broke = await start('broke', { payments: { backend: 'none' } });
    payee = await start('payee', { payments: { backend: 'testnet-ledger', ledger } });
    for (const n of [payer, broke]) {
      heard.set(n, []);
      n.on('invoicerequest_answered', (e) => heard.get(n)!.push(e));
    }
    await link(payee, payer);
    await link(payee, broke);
    rogue = await makeNode('answered-rogue');
    await payer.connect(rogue.id, '127.0.0.1', rogue.port);
    await waitFor(() => !!rogue.reg.get(payer.nodeId));
  });
  afterAll(async () => {
    await closeAll([rogue]);
    await Promise.all(started.map((n) => n.stop()));
  });

  function invoiceFor(r: Refund): Invoice {
    const path = { introductionNode: { kind: 'pubkey' as const, nodeId: rogue.id }, firstPathKey: publicKey(secretFor('pk')), hops: [{ blindedNodeId: publicKey(secretFor('bn')), encryptedRecipientData: new Uint8Array(40) }] };
    return r.respondWith({ paymentHash: sha256(rnd(32)), createdAt: NOW, paths: [path], blindedPay: [PAYINFO] }).build(rogueKey);
  }

  /** Re-sign an invoice after changing its records. */
  function forge(inv: Invoice, change: (rs: Bolt12Record[]) => Bolt12Record[]): Uint8Array {
    const order = (a: Bolt12Record, b: Bolt12Record) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
    const rs = change(inv.records.filter((r) => r.type !== SIGNATURE_TYPE).map((r) => ({ ...r }))).sort(order);
    return joinRecords([...rs, makeRecord(SIGNATURE_TYPE, signRecords('invoice', rs, rogueKey))].sort(order));
  }

  /** Send `bytes` as an invoice from the rogue node (into the refund's path unless `direct`); the invoice_error back, if any. */
  async function send(r: Refund, bytes: Uint8Array, opts: { direct?: boolean; noReplyPath?: boolean; expectNone?: boolean } = {}): Promise<InvoiceError | undefined> {
    const tag = toHex(rnd(8));
    const got: InvoiceError[] = [];
    const unsub = rogue.om.onMessage(68n, (m) => void got.push(invoiceErrorFromBytes(m.contents.value)), { purpose: `err-${tag}` });
    const replyPath = rogue.om.createReplyPath(utf8.encode(tag), { purpose: `err-${tag}` });
    rogue.om.send(opts.direct ? { nodeId: payer.nodeId } : { blindedPath: r.invreqPaths![0]! }, { type: 66n, value: bytes }, opts.noReplyPath ? {} : { replyPath });
    try {
      if (opts.expectNone || opts.noReplyPath) {
        await sleep(500);
        return got[0];
      }
      await waitFor(() => got.length > 0, 5000, 'an invoice_error');
      return got[0];
    } finally {
      unsub();
    }
  }

  const next = (n: Node, match: (e: Answered) => boolean) => n.waitFor('invoicerequest_answered', match, { timeoutMs: 10_000 });

  it('backend none: refused (no_backend) with the invoice, its hash and amount; the invoice_error went out; nothing recorded', async () => {
    const refund = await broke.invoicerequest({ amount: 4000, description: 'cannot pay' });
    const told = next(broke, (e) => e.invreq_id === refund.invreq_id);
    await expect(payee.sendinvoice({ invreq: refund.bolt12, label: 'none-1', timeout: 20 })).rejects.toMatchObject({ code: 1004, data: { error: NO_BACKEND_MESSAGE } });
    const e = await told;
    const inv = payee.invoices.get('none-1')!;
    expect(e).toEqual({
      outcome: 'refused',
      reason: 'no_backend',
      error: NO_BACKEND_MESSAGE,
      invreq_id: refund.invreq_id,
      payment_hash: toHex(inv.paymentHash),
      invoice: inv.bolt12,
      amount_msat: 4000,
      invoice_error_sent: true,
    });
    expect(broke.refunds.listRefundPayments()).toEqual([]);
    expect(broke.invoiceRequests.stats().refused).toMatchObject({ no_backend: 1 });
  });

  it('amount mismatch: refused (amount_mismatch) naming invoice_amount and the amount that would do', async () => {
    const x = await payer.invoicerequest({ amount: 3000, description: 'amount' });
    const r = decodeRefund(x.bolt12);
    const base = invoiceFor(r);
    const bytes = forge(base, (rs) => rs.filter((q) => q.type !== 170n).concat(makeRecord(170n, new Writer(8).tu(2999n).finish())));
    const told = next(payer, (e) => e.reason === 'amount_mismatch');
    const err = await send(r, bytes);
    expect(err).toMatchObject({ error: "invoice_amount must be 3000 msat, the invoice_request's amount", erroneousField: 170n });
    const e = await told;
    expect(e).toMatchObject({ outcome: 'refused', error: err!.error, erroneous_field: 170, suggested_value: toHex(new Writer(8).tu(3000n).finish()), invoice_error_sent: true });
    // The reader refused it before it parsed as an Invoice; what it says of itself is still there.
    expect(e).toMatchObject({ invreq_id: x.invreq_id, amount_msat: 2999, payment_hash: toHex(base.invoicePaymentHash), invoice: encodeBolt12String('lni', bytes) });
  });

  it('wrong path: refused (wrong_path) with the refund it answers; without a reply path, told with invoice_error_sent false', async () => {
    const x = await payer.invoicerequest({ amount: 3100, description: 'path' });
    const r = decodeRefund(x.bolt12);
    const inv = invoiceFor(r);
    const told = next(payer, (e) => e.reason === 'wrong_path' && e.payment_hash === toHex(inv.invoicePaymentHash));
    expect((await send(r, inv.bytes, { direct: true }))!.error).toBe(`Unknown invoice_request ${x.invreq_id}`);
    expect(await told).toEqual({
      outcome: 'refused',
      reason: 'wrong_path',
      error: `Unknown invoice_request ${x.invreq_id}`,
      invreq_id: x.invreq_id,
      payment_hash: toHex(inv.invoicePaymentHash),
      invoice: inv.toString(),
      amount_msat: 3100,
      invoice_error_sent: true,
    });
    const quiet = invoiceFor(r);
    const told2 = next(payer, (e) => e.payment_hash === toHex(quiet.invoicePaymentHash));
    expect(await send(r, quiet.bytes, { direct: true, noReplyPath: true })).toBeUndefined();
    expect(await told2).toMatchObject({ outcome: 'refused', reason: 'wrong_path', invoice_error_sent: false });
  });

  it('a single-use refund paid once: paid, a resent copy tells nothing, another invoice is refused (inactive)', async () => {
    const x = await payer.invoicerequest({ amount: 2500, description: 'once' });
    const paidTold = next(payer, (e) => e.invreq_id === x.invreq_id);
    const paid = await payee.sendinvoice({ invreq: x.bolt12, label: 'once-1', timeout: 20 });
    expect(await paidTold).toMatchObject({ outcome: 'paid', payment_hash: paid.payment_hash, payment_preimage: paid.payment_preimage, amount_msat: 2500 });
    // The very invoice again (a resend): not paid again, not answered, not told.
    const before = heard.get(payer)!.length;
    const dup0 = payer.invoiceRequests.stats().duplicates;
    expect(await send(decodeRefund(x.bolt12), decodeInvoice(payee.invoices.get('once-1')!.bolt12).bytes, { expectNone: true })).toBeUndefined();
    expect(payer.invoiceRequests.stats().duplicates).toBe(dup0 + 1);
    expect(heard.get(payer)!.length).toBe(before);
    // A new invoice for it: refused, and told.
    const refusedTold = next(payer, (e) => e.invreq_id === x.invreq_id && e.outcome === 'refused');
    const again = await payee.sendinvoice({ invreq: x.bolt12, label: 'once-2', timeout: 20 }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(RpcError);
    expect(again).toMatchObject({ code: 1004, data: { error: 'invoice_request already used' } });
    expect(await refusedTold).toMatchObject({
      reason: 'inactive',
      error: 'invoice_request already used',
      payment_hash: toHex(payee.invoices.get('once-2')!.paymentHash),
      invoice: payee.invoices.get('once-2')!.bolt12,
      invoice_error_sent: true,
    });
    expect(ledger.transfers.filter((t) => t.amountMsat === 2500n)).toHaveLength(1);
  });

  it('an invoice that is not one (not a TLV stream): refused with no invoice fields at all', async () => {
    const x = await payer.invoicerequest({ amount: 3200, description: 'garbage' });
    const told = next(payer, (e) => e.outcome === 'refused' && e.invoice === undefined && e.reason !== 'busy');
    const err = await send(decodeRefund(x.bolt12), Uint8Array.of(0xfd, 0x01));
    const e = await told;
    expect(e.error).toBe(err!.error);
    expect(e.invreq_id).toBeUndefined();
    expect(e.payment_hash).toBeUndefined();
    expect(e.amount_msat).toBeUndefined();
    expect(e.invoice_error_sent).toBe(true);
  });

  it('the counters add up to the events: one refused event per refusal counted, one paid event per payment', async () => {
    await sleep(300);
    for (const n of [payer, broke]) {
      const s = n.invoiceRequests.stats();
      const events = heard.get(n)!;
      const byReason: Record<string, number> = {};
      for (const e of events.filter((x) => x.outcome === 'refused')) byReason[e.reason!] = (byReason[e.reason!] ?? 0) + 1;
      expect(byReason).toEqual(s.refused);
      expect(events.filter((x) => x.outcome === 'paid')).toHaveLength(s.paid);
      expect(events.filter((x) => x.outcome === 'payment_failed')).toHaveLength(s.paymentFailed);
      const refused = Object.values(s.refused).reduce((a, b) => a + b, 0);
      expect(s.received).toBe(refused + s.duplicates + s.paid + s.paymentFailed);
    }
    expect(payer.invoiceRequests.stats()).toMatchObject({ paid: 1, duplicates: 1 });
  });
});
