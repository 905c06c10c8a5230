// The issuer side on real sockets: invoicerequest / listinvoicerequests / disableinvoicerequest
// with Core Lightning's names, shapes and codes; every BOLT 12 reader rule for an invoice that
// answers one of our refunds, each refusal answered with an invoice_error over the invoice's reply
// path; payment through the backend; single-use refunds paid at most once, also across a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKey, sha256 } from '../../src/crypto/index.ts';
import {
  decodeRefund,
  invoiceErrorFromBytes,
  joinRecords,
  makeRecord,
  signRecords,
  SIGNATURE_TYPE,
  type Bolt12Record,
  type Invoice,
  type InvoiceError,
  type Refund,
} from '../../src/bolt12/index.ts';
import { TestNetworkLedger } from '../../src/payments/index.ts';
import type { Node } from '../../src/node.ts';
import { invreqIdOf } from '../../src/invoicerequest.ts';
import { toHex, utf8 } from '../../src/util/bytes.ts';
import { Writer } from '../../src/wire/codec.ts';
import { makeNode, closeAll, type TestNode } from '../onion-message/net.ts';
import { tempDir } from '../tmp.ts';
import { link, ok, rpc, secretFor, startNode, waitFor } from './../sendinvoice/net.ts';

const NOW = Math.floor(Date.now() / 1000);
const PAYINFO = { feeBaseMsat: 0, feeProportionalMillionths: 0, cltvExpiryDelta: 18, htlcMinimumMsat: 1n, htlcMaximumMsat: 10n ** 12n, features: new Uint8Array(0) };

describe('invoicerequest, listinvoicerequests, disableinvoicerequest', () => {
  let n: Node;
  beforeAll(async () => {
    n = await startNode('issuer-rpc');
  });

  it('creates signed refunds by default, unsigned on request, with a blinded path to us', async () => {
    const r = await ok(n, 'invoicerequest', { amount: '0.00001btc', description: 'ATM withdrawal', issuer: 'bolt12d test', label: 'atm', absolute_expiry: NOW + 3600 });
    expect(Object.keys(r).sort()).toEqual(['active', 'bolt12', 'invreq_id', 'label', 'single_use', 'used']);
    expect(r).toMatchObject({ active: true, single_use: true, used: false, label: 'atm' });
    const refund = decodeRefund(r.bolt12);
    expect(refund.isSigned).toBe(true);
    expect(refund.invreqAmount).toBe(1_000_000n);
    expect(refund.offerDescription).toBe('ATM withdrawal');
    expect(refund.offerIssuer).toBe('bolt12d test');
    expect(refund.offerAbsoluteExpiry).toBe(NOW + 3600);
    // invreq_id: SHA256 of the fields below 160 (CLN).
    expect(r.invreq_id).toBe(toHex(invreqIdOf(refund.records)));
    // One path, we are its introduction node, padded with dummy hops to 4.
    expect(refund.invreqPaths).toHaveLength(1);
    expect(refund.invreqPaths![0]!.introductionNode).toEqual({ kind: 'pubkey', nodeId: n.nodeId });
    expect(refund.invreqPaths![0]!.hops).toHaveLength(4);
    // The payer id is a derived key, not our node id.
    expect(toHex(refund.invreqPayerId)).not.toBe(n.nodeIdHex);
    const u = await ok(n, 'invoicerequest', [4000, 'for LDK', null, null, null, false, false]);
    expect(u.single_use).toBe(false);
    expect(decodeRefund(u.bolt12).isSigned).toBe(false);
  });

  it('lists (all, by id, active only) and disables with CLN codes', async () => {
    const a = await ok(n, 'invoicerequest', { amount: 1000, description: 'a' });
    const b = await ok(n, 'invoicerequest', { amount: 1000, description: 'b' });
    const all = (await ok(n, 'listinvoicerequests', {})).invoicerequests;
    expect(all.map((x: { invreq_id: string }) => x.invreq_id)).toEqual(expect.arrayContaining([a.invreq_id, b.invreq_id]));
    expect((await ok(n, 'listinvoicerequests', [b.invreq_id])).invoicerequests).toEqual([b]);
    expect(await ok(n, 'disableinvoicerequest', [b.invreq_id])).toEqual({ ...b, active: false });
    expect((await ok(n, 'listinvoicerequests', [b.invreq_id, true])).invoicerequests).toEqual([]);
    expect((await ok(n, 'listinvoicerequests', { active_only: true })).invoicerequests.some((x: { invreq_id: string }) => x.invreq_id === b.invreq_id)).toBe(false);
    expect((await rpc(n, 'disableinvoicerequest', [b.invreq_id])).error).toMatchObject({ code: 1001, message: 'invoice_request is not active' });
    expect((await rpc(n, 'disableinvoicerequest', ['00'.repeat(32)])).error).toMatchObject({ code: -1, message: 'Unknown invoice_request' });
    expect((await ok(n, 'listinvoicerequests', ['00'.repeat(32)])).invoicerequests).toEqual([]);
  });

  it('-32602 for bad parameters', async () => {
    const bad: [unknown, RegExp][] = [
      [{ description: 'x' }, /missing required parameter: amount/],
      [{ amount: 1000 }, /missing required parameter: description/],
      [{ amount: 0, description: 'x' }, /^amount: should be positive/],
      [{ amount: '1000 sat', description: 'x' }, /^amount: should be a millisatoshi amount/],
      [{ amount: 1.5, description: 'x' }, /^amount: .*whole number/],
      [{ amount: 1000, description: 7 }, /^description: should be a string/],
      [{ amount: 1000, description: 'x', absolute_expiry: NOW - 5 }, /^absolute_expiry: should be a time in the future/],
      [{ amount: 1000, description: 'x', single_use: 'maybe' }, /^single_use: should be a boolean/],
      [{ amount: 1000, description: 'x', signed: 1 }, /^signed: should be a boolean/],
    ];
    for (const [params, want] of bad) {
      const a = await rpc(n, 'invoicerequest', params);
      expect(a.error?.code, JSON.stringify(params)).toBe(-32602);
      expect(a.error!.message).toMatch(want);
    }
    expect((await rpc(n, 'listinvoicerequests', ['nothex'])).error).toMatchObject({ code: -32602, message: 'invreq_id: should be a 32 byte hex value' });
    expect((await rpc(n, 'disableinvoicerequest', [])).error).toMatchObject({ code: -32602 });
  });
});

/** Re-sign an invoice after changing its records (for invoices a reader must refuse). */
function forge(inv: Invoice, key: Uint8Array, change: (rs: Bolt12Record[]) => Bolt12Record[]): Uint8Array {
  const rs = change(inv.records.filter((r) => r.type !== SIGNATURE_TYPE).map((r) => ({ ...r })));
  rs.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  const sig = signRecords('invoice', rs, key);
  const all = [...rs, makeRecord(SIGNATURE_TYPE, sig)].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return joinRecords(all);
}

function setRecord(rs: Bolt12Record[], type: bigint, value: Uint8Array | undefined): Bolt12Record[] {
  const out = rs.filter((r) => r.type !== type);
  if (value) out.push(makeRecord(type, value));
  return out;
}

describe('invoices for our refunds: every reader rule, answered with invoice_error', () => {
  const ledger = new TestNetworkLedger();
  let payer: Node; // issues refunds, pays through the ledger
  let payee: Node; // a real sendinvoice node on the ledger
  let rogue: TestNode; // sends hand-made invoices
  const errors = new Map<string, InvoiceError[]>();

  beforeAll(async () => {
    payer = await startNode('issuer-payer', { payments: { backend: 'testnet-ledger', ledger } });
    payee = await startNode('issuer-payee', { payments: { backend: 'testnet-ledger', ledger } });
    rogue = await makeNode('issuer-rogue');
    await link(payee, payer);
    await payer.connect(rogue.id, '127.0.0.1', rogue.port);
    await waitFor(() => !!rogue.reg.get(payer.nodeId));
  });
  afterAll(() => closeAll([rogue]));

  const rnd = (n: number) => crypto.getRandomValues(new Uint8Array(n));
  const rogueKey = secretFor('rogue invoice key');

  async function refund(over: Record<string, unknown> = {}): Promise<{ r: Refund; id: string }> {
    const x = await ok(payer, 'invoicerequest', { amount: 3000, description: 'rules', ...over });
    return { r: decodeRefund(x.bolt12), id: x.invreq_id };
  }

  function invoiceFor(r: Refund, over: { createdAt?: number; relativeExpiry?: number; hash?: Uint8Array } = {}): Invoice {
    const path = { introductionNode: { kind: 'pubkey' as const, nodeId: rogue.id }, firstPathKey: publicKey(secretFor('pk')), hops: [{ blindedNodeId: publicKey(secretFor('bn')), encryptedRecipientData: new Uint8Array(40) }] };
    return r
      .respondWith({ paymentHash: over.hash ?? sha256(rnd(32)), createdAt: over.createdAt ?? NOW, paths: [path], blindedPay: [PAYINFO], ...(over.relativeExpiry ? { relativeExpiry: over.relativeExpiry } : {}) })
      .build(rogueKey);
  }

  /** Send `bytes` as an invoice (into the refund's path unless `direct`), with a reply path; the invoice_error that comes back. */
  async function send(r: Refund, bytes: Uint8Array, opts: { direct?: boolean; expectNone?: boolean } = {}): Promise<InvoiceError | undefined> {
    const tag = toHex(rnd(8));
    const got: InvoiceError[] = [];
    errors.set(tag, got);
    const unsub = rogue.om.onMessage(68n, (m) => void got.push(invoiceErrorFromBytes(m.contents.value)), { purpose: `err-${tag}` });
    const replyPath = rogue.om.createReplyPath(utf8.encode(tag), { purpose: `err-${tag}` });
    rogue.om.send(opts.direct ? { nodeId: payer.nodeId } : { blindedPath: r.invreqPaths![0]! }, { type: 66n, value: bytes }, { replyPath });
    try {
      if (opts.expectNone) {
        await new Promise((res) => setTimeout(res, 500));
        return got[0];
      }
      await waitFor(() => got.length > 0, 5000, 'an invoice_error');
      return got[0];
    } finally {
      unsub();
    }
  }

  it('a valid invoice the backend cannot pay (payee not on the ledger): "Cannot pay", recorded as failed, the refund still open', async () => {
    const { r, id } = await refund();
    const inv = invoiceFor(r);
    const e = await send(r, inv.bytes);
    expect(e!.error).toMatch(/^Cannot pay: path 0: .* is not on this test network/);
    await waitFor(() => payer.refunds.getRefundPayment(inv.invoicePaymentHash)?.status === 'failed');
    expect((await ok(payer, 'listinvoicerequests', [id])).invoicerequests[0]).toMatchObject({ active: true, used: false });
  });

  it('invoice_amount other than invreq_amount: erroneous_field 170 with the right amount as suggested_value', async () => {
    const { r } = await refund();
    const e = await send(r, forge(invoiceFor(r), rogueKey, (rs) => setRecord(rs, 170n, new Writer(8).tu(2999n).finish())));
    expect(e).toMatchObject({ error: 'invoice_amount must be 3000 msat, the invoice_request\'s amount', erroneousField: 170n });
    expect(e!.suggestedValue).toEqual(new Writer(8).tu(3000n).finish());
  });

  it('a mirrored field changed: the invoice answers no refund of ours', async () => {
    const { r } = await refund();
    const e = await send(r, forge(invoiceFor(r), rogueKey, (rs) => setRecord(rs, 10n, utf8.encode('something else'))));
    expect(e!.error).toMatch(/^Unknown invoice_request [0-9a-f]{64}$/);
  });

  it('a bad signature, a missing field, an unknown even feature, expired, blindedpay mismatch', async () => {
    const { r } = await refund();
    const good = invoiceFor(r);
    const badSig = Uint8Array.from(good.bytes);
    badSig[badSig.length - 1]! ^= 1;
    expect((await send(r, badSig))!).toMatchObject({ error: expect.stringMatching(/^Invalid invoice: signature: /), erroneousField: 240n });
    expect((await send(r, forge(good, rogueKey, (rs) => setRecord(rs, 168n, undefined))))!).toMatchObject({ error: expect.stringMatching(/invoice_payment_hash is not present/), erroneousField: 168n });
    expect((await send(r, forge(good, rogueKey, (rs) => setRecord(rs, 174n, Uint8Array.of(0x10, 0, 0)))))!).toMatchObject({ error: expect.stringMatching(/unknown required feature bit 20/), erroneousField: 174n });
    expect((await send(r, invoiceFor(r, { createdAt: NOW - 8000 }).bytes))!).toMatchObject({ error: expect.stringMatching(/expired at/), erroneousField: 166n });
    expect((await send(r, forge(good, rogueKey, (rs) => setRecord(rs, 162n, new Uint8Array(0)))))!).toMatchObject({ error: expect.stringMatching(/blinded_payinfo for 1 invoice_paths/), erroneousField: 162n });
  });

  it('not over the refund\'s own path: to our node id, or over the path of another refund — "Unknown invoice_request"', async () => {
    const { r } = await refund();
    const { r: other } = await refund();
    expect((await send(r, invoiceFor(r).bytes, { direct: true }))!.error).toMatch(/^Unknown invoice_request/);
    // Over `other`'s path: its path_id binds other's metadata, not r's.
    const inv = invoiceFor(r);
    const tag = toHex(rnd(8));
    const got: InvoiceError[] = [];
    rogue.om.onMessage(68n, (m) => void got.push(invoiceErrorFromBytes(m.contents.value)), { purpose: `x-${tag}` });
    rogue.om.send({ blindedPath: other.invreqPaths![0]! }, { type: 66n, value: inv.bytes }, { replyPath: rogue.om.createReplyPath(Uint8Array.of(1), { purpose: `x-${tag}` }) });
    await waitFor(() => got.length > 0);
    expect(got[0]!.error).toMatch(/^Unknown invoice_request/);
    expect(payer.invoiceRequests.stats().refused['wrong_path']).toBe(2);
  });

  it('a disabled refund: "invoice_request no longer available"; an expired one: its path is dead, nothing answers', async () => {
    const { r, id } = await refund();
    await ok(payer, 'disableinvoicerequest', [id]);
    expect((await send(r, invoiceFor(r).bytes))!.error).toBe('invoice_request no longer available');
    const { r: soon } = await refund({ absolute_expiry: Math.floor(Date.now() / 1000) + 2 });
    await new Promise((res) => setTimeout(res, 3200));
    const dropped0 = payer.messenger.stats().dropped['path_expired'] ?? 0;
    expect(await send(soon, invoiceFor(soon).bytes, { expectNone: true })).toBeUndefined();
    expect(payer.messenger.stats().dropped['path_expired']).toBe(dropped0 + 1);
  });

  it('single use: paid once (a resent copy is ignored), then "invoice_request already used"; concurrent invoices pay one', async () => {
    const x = await ok(payer, 'invoicerequest', { amount: 2500, description: 'once' });
    const paid = await ok(payee, 'sendinvoice', [x.bolt12, 'once-1']);
    expect(paid.status).toBe('paid');
    await waitFor(() => payer.invoiceRequests.list({ invreqId: Buffer.from(x.invreq_id, 'hex') })[0]!.used);
    // A resend of the very invoice: not paid again, not answered.
    const r = decodeRefund(x.bolt12);
    const copy = payee.invoices.get('once-1')!.bolt12;
    const dup0 = payer.invoiceRequests.stats().duplicates;
    const { decodeInvoice } = await import('../../src/bolt12/index.ts');
    expect(await send(r, decodeInvoice(copy).bytes, { expectNone: true })).toBeUndefined();
    expect(payer.invoiceRequests.stats().duplicates).toBe(dup0 + 1);
    // Another invoice for it: refused.
    expect((await send(r, invoiceFor(r).bytes))!.error).toMatch(/no longer available|already used/);
    expect(ledger.transfers.filter((t) => t.to === payee.nodeIdHex && t.amountMsat === 2500n)).toHaveLength(1);
    // Two payees racing for one single-use refund: exactly one is paid.
    const y = await ok(payer, 'invoicerequest', { amount: 2600, description: 'race' });
    const payee2 = await startNode('issuer-payee2', { payments: { backend: 'testnet-ledger', ledger } });
    await link(payee2, payer);
    const [a, b] = await Promise.all([rpc(payee, 'sendinvoice', { invreq: y.bolt12, label: 'race-a', timeout: 20 }), rpc(payee2, 'sendinvoice', { invreq: y.bolt12, label: 'race-b', timeout: 20 })]);
    const answers = [a, b].map((q) => (q.result ? 'paid' : q.error!.code));
    expect(answers.sort()).toEqual([1004, 'paid'].sort());
    const loser = a.error ?? b.error!;
    expect(loser.data.error).toMatch(/another invoice for this single-use invoice_request is being paid|already used|no longer available/);
  });

  it('multi-use: several invoices are paid', async () => {
    const x = await ok(payer, 'invoicerequest', { amount: 1100, description: 'many', single_use: false });
    for (const l of ['m1', 'm2', 'm3']) expect((await ok(payee, 'sendinvoice', [x.bolt12, l])).status).toBe('paid');
    await waitFor(() => payer.refunds.listRefundPayments(Buffer.from(x.invreq_id, 'hex')).filter((p) => p.status === 'complete').length === 3);
    expect((await ok(payer, 'listinvoicerequests', [x.invreq_id])).invoicerequests[0]).toMatchObject({ active: true, used: true });
  });
});

describe('single use across a restart', () => {
  it('a refund paid before the restart takes no invoice after it', async () => {
    const ledger = new TestNetworkLedger();
    const dir = tempDir('b12d-issuer-');
    let payer = await startNode('restart-payer', { datadir: dir, payments: { backend: 'testnet-ledger', ledger } });
    const payee = await startNode('restart-payee', { payments: { backend: 'testnet-ledger', ledger } });
    await link(payee, payer);
    const x = await ok(payer, 'invoicerequest', { amount: 4200, description: 'durable', label: 'keep' });
    expect((await ok(payee, 'sendinvoice', [x.bolt12, 'before'])).status).toBe('paid');
    await waitFor(() => payer.refunds.listRefundPayments().some((p) => p.status === 'complete'));
    await payer.stop();
    payer = await startNode('restart-payer', { datadir: dir, payments: { backend: 'testnet-ledger', ledger } });
    await link(payee, payer);
    expect((await ok(payer, 'listinvoicerequests', [x.invreq_id])).invoicerequests[0]).toMatchObject({ label: 'keep', active: false, used: true });
    const again = await rpc(payee, 'sendinvoice', { invreq: x.bolt12, label: 'after', timeout: 10 });
    expect(again.error).toMatchObject({ code: 1004, data: { error: 'invoice_request already used' } });
    expect(ledger.transfers.filter((t) => t.amountMsat === 4200n)).toHaveLength(1);
    await payer.stop();
  });
});
