// sendinvoice end to end on real sockets, every answer it can give: paid (test-network ledger),
// 1004 (payer with backend none), 1005 (payer that drops the invoice), 1003 (unreachable, at once),
// 1002 (expired refund), 900 (label taken, nothing sent), -1 (an unexpected reply), and -32602
// for each bad parameter. Where nothing left the node, nothing stays in the store.
import { beforeAll, describe, expect, it } from 'vitest';
import { publicKey } from '../../src/crypto/index.ts';
import { decodeInvoice, decodeRefund, InvoiceRequestBuilder, OfferBuilder, RefundBuilder } from '../../src/bolt12/index.ts';
import { TestNetworkLedger } from '../../src/payments/index.ts';
import type { Node } from '../../src/node.ts';
import { CHAIN_HASH } from '../../src/wire/chains.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';
import { makeNode, type TestNode } from '../onion-message/net.ts';
import { link, ok, rpc, secretFor, startNode, waitFor } from './net.ts';

const NOW = Math.floor(Date.now() / 1000);

describe('sendinvoice: every answer', () => {
  const ledger = new TestNetworkLedger();
  let us: Node; // sends invoices
  let payer: Node; // pays through the ledger
  let broke: Node; // payment backend none
  let dropper: TestNode; // a bare messenger: refunds whose path leads nowhere useful
  let echo: TestNode; // answers our invoice with something that is not an invoice_error

  beforeAll(async () => {
    [us, payer, broke] = await Promise.all([
      startNode('codes-us', { payments: { backend: 'testnet-ledger', ledger } }),
      startNode('codes-payer', { payments: { backend: 'testnet-ledger', ledger } }),
      startNode('codes-broke'),
    ]);
    dropper = await makeNode('codes-dropper');
    echo = await makeNode('codes-echo');
    // The echo node answers anything on its refund path with an invoice_request (type 64).
    echo.om.onMessage(66n, (m) => void echo.om.reply(m, { type: 64n, value: Uint8Array.of(0) }), { purpose: 'refund' });
    await link(us, payer);
    await link(us, broke);
    for (const t of [dropper, echo]) {
      await us.connect(t.id, '127.0.0.1', t.port);
      await waitFor(() => !!t.reg.get(us.nodeId));
    }
  });

  /** A refund by a bare messenger node, its path ending at it (purpose 'refund'). */
  function bareRefund(t: TestNode, amountMsat = 9000n, over: Partial<ConstructorParameters<typeof RefundBuilder>[0]> = {}): string {
    const path = t.om.createReplyPath(utf8.encode('r'), { purpose: 'refund' });
    return new RefundBuilder({ nodeSecret: t.secret, random: (n: number) => crypto.getRandomValues(new Uint8Array(n)), amountMsat, description: 'bare', chain: CHAIN_HASH.regtest, paths: [path], ...over }).build().toString();
  }

  it('paid: the payer pays through the ledger; the result has pay_index, amount_received_msat, paid_at, payment_preimage', async () => {
    const r = await ok(payer, 'invoicerequest', { amount: '5sat', description: 'refund #1', label: 'r1' });
    expect(r).toMatchObject({ active: true, single_use: true, used: false, label: 'r1' });
    expect(decodeRefund(r.bolt12).isSigned).toBe(true);
    const got = await ok(us, 'sendinvoice', [r.bolt12, 'paid-1']);
    expect(got).toMatchObject({ label: 'paid-1', description: 'refund #1', status: 'paid', amount_msat: 5000, amount_received_msat: 5000, pay_index: 1, created_index: 1, updated_index: 1 });
    expect(got.payment_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(got.payment_preimage).toMatch(/^[0-9a-f]{64}$/);
    expect(got.paid_at).toBeGreaterThanOrEqual(NOW);
    expect(got.expires_at).toBeGreaterThanOrEqual(NOW + 90);
    const inv = decodeInvoice(got.bolt12);
    // invoice_node_id is our node id; the invoice mirrors the refund and its expiry is the timeout.
    expect(toHex(inv.invoiceNodeId)).toBe(us.nodeIdHex);
    expect(inv.invoiceRelativeExpiry).toBe(90);
    expect(inv.respondsTo(decodeRefund(r.bolt12))).toBe(true);
    expect(ledger.transfers.at(-1)).toMatchObject({ from: payer.nodeIdHex, to: us.nodeIdHex, amountMsat: 5000n });
    // The payer's side: the refund is used and no longer active; listinvoices on our side agrees.
    // (The payer records its payment once the ledger returns the preimage: a moment after we see it.)
    await waitFor(() => payer.refunds.getRefundPayment(inv.invoicePaymentHash)?.status === 'complete');
    expect((await ok(payer, 'listinvoicerequests', [r.invreq_id])).invoicerequests).toEqual([{ ...r, active: false, used: true }]);
    expect((await ok(us, 'listinvoices', { label: 'paid-1' })).invoices[0]).toMatchObject({ status: 'paid', pay_index: 1 });
    // getinfo names the backend.
    expect((await ok(us, 'getinfo', [])).payment_backend).toBe('testnet-ledger');
    expect((await ok(broke, 'getinfo', [])).payment_backend).toBe('none');
  });

  it('1004: a payer without a payment backend answers invoice_error "cannot pay"', async () => {
    const r = await ok(broke, 'invoicerequest', { amount: 1234, description: 'cannot pay' });
    const a = await rpc(us, 'sendinvoice', { invreq: r.bolt12, label: 'broke-1', timeout: 20 });
    expect(a.error).toMatchObject({ code: 1004, message: 'Remote node sent failure message', data: { error: expect.stringMatching(/^Cannot pay/) } });
    expect(a.error!.data.invstring).toMatch(/^lni1/);
    // The invoice stays (something left the node), unpaid.
    expect(us.invoices.get('broke-1')).toMatchObject({ status: 'unpaid' });
    expect(broke.invoiceRequests.stats().refused).toMatchObject({ no_backend: 1 });
  });

  it('1005: a payer that drops the invoice; the invoice stays in the store', async () => {
    const lnr = bareRefund(dropper, 7000n);
    const t0 = Date.now();
    const a = await rpc(us, 'sendinvoice', { invreq: lnr, label: 'drop-1', timeout: 2 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1990);
    expect(a.error).toMatchObject({ code: 1005, message: 'Failed: timeout waiting for response', data: { invstring: expect.stringMatching(/^lni1/) } });
    const rec = us.invoices.get('drop-1')!;
    expect(rec.bolt12).toBe(a.error!.data.invstring);
    // Its expiry is the timeout: it expires as the wait ends.
    expect(rec.expiresAt).toBe(decodeInvoice(rec.bolt12).expiresAt);
    // The dropper saw our copy (resends come every 3 s: none in 2 s) and dropped it.
    const d = dropper.om.stats().dropped;
    expect((d['wrong_purpose'] ?? 0) + (d['no_handler'] ?? 0)).toBe(1);
  });

  it('while it waits, the invoice is payable by anyone holding it: the store says paid, the call answers paid', async () => {
    const lnr = bareRefund(dropper, 6000n);
    let stored: string | undefined;
    const call = us.sendInvoice({ invreq: lnr, label: 'drop-2', timeout: 30, onProgress: (e) => void (e.kind === 'stored' && (stored = e.label)) });
    await waitFor(() => stored !== undefined);
    await payer.payments.pay(decodeInvoice(us.invoices.get('drop-2')!.bolt12));
    const rec = await call;
    expect(rec).toMatchObject({ label: 'drop-2', status: 'paid', amountReceivedMsat: 6000n });
  });

  it('1003 at once: a refund whose payer we cannot reach (no path, no address), nothing stored, label reusable', async () => {
    const stranger = secretFor('nobody');
    const lnr = new RefundBuilder({ nodeSecret: stranger, random: (n) => crypto.getRandomValues(new Uint8Array(n)), amountMsat: 1000n, description: 'far away', chain: CHAIN_HASH.regtest }).build();
    const created = us.invoices.indexes().created;
    const t0 = Date.now();
    const a = await rpc(us, 'sendinvoice', [lnr.toString(), 'far-1']);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(a.error).toMatchObject({ code: 1003, message: expect.stringMatching(/^Failed: could not route or connect directly to [0-9a-f]{66}: /) });
    expect(us.invoices.get('far-1')).toBeUndefined();
    expect(us.invoices.indexes().created).toBe(created);
    // The label is free: a call that works can take it.
    const r = await ok(payer, 'invoicerequest', { amount: 1000, description: 'near' });
    expect((await ok(us, 'sendinvoice', [r.bolt12, 'far-1'])).status).toBe('paid');
  });

  it('1003 at once with --fetchinvoice-noconnect, even for an introduction node with a known way in', async () => {
    const strict = await startNode('codes-strict', { fetchinvoiceNoconnect: true, payments: { backend: 'testnet-ledger', ledger } });
    const r = await ok(payer, 'invoicerequest', { amount: 1000, description: 'not connected' });
    const t0 = Date.now();
    const a = await rpc(strict, 'sendinvoice', [r.bolt12, 'strict-1']);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(a.error?.code).toBe(1003);
    expect(a.error?.message).toMatch(/blinded path at [0-9a-f]{66}/);
    expect(strict.invoices.list()).toEqual([]);
    expect(strict.peers.list()).toEqual([]);
  });

  it('1002: an expired refund; nothing stored', async () => {
    const lnr = new RefundBuilder({ nodeSecret: secretFor('old'), random: (n) => crypto.getRandomValues(new Uint8Array(n)), amountMsat: 1000n, description: 'old', chain: CHAIN_HASH.regtest, absoluteExpiry: NOW - 10 }).build();
    const a = await rpc(us, 'sendinvoice', [lnr.toString(), 'old-1']);
    expect(a.error).toMatchObject({ code: 1002, message: 'Offer expired' });
    expect(us.invoices.get('old-1')).toBeUndefined();
  });

  it('900: a label in use; nothing sent, the first invoice untouched', async () => {
    const r = await ok(payer, 'invoicerequest', { amount: 1000, description: 'dup' });
    const before = us.messenger.stats().sent;
    const a = await rpc(us, 'sendinvoice', [r.bolt12, 'paid-1']);
    expect(a.error).toMatchObject({ code: 900, message: 'Duplicate label' });
    expect(us.messenger.stats().sent).toBe(before);
    expect(us.invoices.get('paid-1')).toMatchObject({ status: 'paid', payIndex: 1 });
    // The refund was not used either.
    expect((await ok(payer, 'listinvoicerequests', [r.invreq_id])).invoicerequests[0]).toMatchObject({ active: true, used: false });
  });

  it('-1: a reply on our reply path that is not an invoice_error', async () => {
    const a = await rpc(us, 'sendinvoice', { invreq: bareRefund(echo, 1000n), label: 'echo-1', timeout: 20 });
    expect(a.error).toMatchObject({ code: -1, message: expect.stringMatching(/unexpected reply on our reply path: onion message payload type 64/) });
    expect(us.invoices.get('echo-1')).toMatchObject({ status: 'unpaid' });
  });

  describe('-32602 for each bad parameter', () => {
    let good: string;
    beforeAll(async () => {
      good = (await ok(payer, 'invoicerequest', { amount: 2000, description: 'params' })).bolt12;
    });
    const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const offer = () => new OfferBuilder({ issuerId: publicKey(secretFor('merchant')), description: 'coffee', amountMsat: 1000n }).build();
    const cases: [string, () => unknown, RegExp][] = [
      ['no invreq', () => ({ label: 'x' }), /^invreq: is required/],
      ['invreq and offer both', () => ({ invreq: good, offer: good, label: 'x' }), /^offer: is another name for invreq/],
      ['invreq not a string', () => ({ invreq: 42, label: 'x' }), /^invreq: should be a refund string/],
      ['an offer', () => ({ invreq: offer().toString(), label: 'x' }), /^invreq: this is an offer \(lno1\.\.\.\): an offer is paid with fetchinvoice/],
      ['an offer, given as offer', () => ({ offer: offer().toString(), label: 'x' }), /^offer: this is an offer/],
      ['an invoice', () => ({ invreq: 'lni1qqqqqq', label: 'x' }), /^invreq: this is an invoice/],
      ['garbage', () => ({ invreq: 'hello world', label: 'x' }), /^invreq: not a BOLT 12 refund/],
      ['truncated', () => ({ invreq: decodeRefundBytes(decodeRefund(good).bytes.subarray(0, 60)), label: 'x' }), /^invreq: not a valid refund: /],
      ['bad string form', () => ({ invreq: good.slice(0, 10) + 'b' + good.slice(11), label: 'x' }), /^invreq: not a BOLT 12 refund \(lnr1\.\.\.\): string: /],
      [
        'an invoice_request for an offer',
        () => ({ invreq: new InvoiceRequestBuilder(offer(), { nodeSecret: secretFor('buyer'), random: rnd, chain: CHAIN_HASH.mainnet }).build().toString(), label: 'x' }),
        /^invreq: this invoice_request answers an offer/,
      ],
      ['another chain', () => ({ invreq: new RefundBuilder({ nodeSecret: secretFor('m'), random: rnd, amountMsat: 1n, description: 'mainnet' }).build().toString(), label: 'x' }), /another chain than ours \(regtest\)/],
      [
        'a bad signature',
        () => {
          const r = new RefundBuilder({ nodeSecret: secretFor('s'), random: rnd, amountMsat: 1n, description: 'sig', chain: CHAIN_HASH.regtest, signed: true }).build();
          const b = Uint8Array.from(r.bytes);
          b[b.length - 1]! ^= 1;
          return { invreq: decodeRefundBytes(b), label: 'x' };
        },
        /^invreq: not a valid refund: signature/,
      ],
      ['no label', () => ({ invreq: good }), /missing required parameter: label/],
      ['label not a string', () => ({ invreq: good, label: 7 }), /^label: should be a string/],
      ['empty label', () => ({ invreq: good, label: '' }), /^label: should not be empty/],
      ['a different amount (no tip)', () => ({ invreq: good, label: 'x', amount_msat: 2001 }), /^amount_msat: must equal the refund's invreq_amount \(2000 msat\)/],
      ['a different msatoshi', () => ({ invreq: good, label: 'x', msatoshi: '1sat' }), /^amount_msat: must equal/],
      ['amount garbage', () => ({ invreq: good, label: 'x', amount_msat: '2 sat' }), /^amount_msat: should be a millisatoshi amount/],
      ['amount and msatoshi', () => ({ invreq: good, label: 'x', amount_msat: 2000, msatoshi: 2000 }), /^msatoshi: is another name for amount_msat/],
      ['timeout 0', () => ({ invreq: good, label: 'x', timeout: 0 }), /^timeout: should be between 1 and/],
      ['timeout not a number', () => ({ invreq: good, label: 'x', timeout: 'soon' }), /^timeout: should be an integer/],
      ['quantity without one in the refund', () => ({ invreq: good, label: 'x', quantity: 1 }), /^quantity: the refund has no invreq_quantity/],
      ['quantity not positive', () => ({ invreq: good, label: 'x', quantity: 0 }), /^quantity: should be a positive integer/],
      ['an unknown parameter', () => ({ invreq: good, label: 'x', tip: 1 }), /unknown parameter: tip/],
      ['too many positional', () => [good, 'x', 2000, 90, 1, null, null, 'extra'], /too many parameters/],
    ];
    for (const [name, params, want] of cases) {
      it(name, async () => {
        const a = await rpc(us, 'sendinvoice', params());
        expect(a.error?.code, JSON.stringify(a)).toBe(-32602);
        expect(a.error!.message).toMatch(want);
        expect(us.invoices.get('x')).toBeUndefined();
      });
    }
    it('a quantity other than the refund\'s', async () => {
      const r = new RefundBuilder({ nodeSecret: secretFor('q'), random: rnd, amountMsat: 1n, description: 'q', chain: CHAIN_HASH.regtest, quantity: 3n }).build();
      const a = await rpc(us, 'sendinvoice', { invreq: r.toString(), label: 'x', quantity: 2 });
      expect(a.error).toMatchObject({ code: -32602, message: "quantity: must equal the refund's invreq_quantity (3)" });
    });
  });
});

function decodeRefundBytes(b: Uint8Array): string {
  // The string form of arbitrary invoice_request bytes (no checks).
  const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
  let acc = 0;
  let bits = 0;
  let out = 'lnr1';
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CHARSET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += CHARSET[(acc << (5 - bits)) & 31];
  return out;
}
