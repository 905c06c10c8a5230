// src/payments: blinded payment paths to us, the receiver's checks, backend `none` and the
// test-network ledger.
import { describe, expect, it } from 'vitest';
import { deterministicRandom, publicKey, sha256 } from '../../src/crypto/index.ts';
import { RefundBuilder, type Invoice } from '../../src/bolt12/index.ts';
import { openInvoiceStore } from '../../src/invoice-store/index.ts';
import { unblindHop } from '../../src/onion-message/index.ts';
import {
  amountWithFees,
  buildBlindedPaymentPath,
  InvoiceReceiver,
  LedgerError,
  NoPaymentBackend,
  PaymentError,
  PaymentPathIds,
  ReceiveError,
  TestNetworkLedger,
} from '../../src/payments/index.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { CHAIN_HASH } from '../../src/wire/chains.ts';

const T0 = 1_700_000_000;
const secret = (n: string) => sha256(utf8.encode(`payments test ${n}`));

function node(name: string, clock = new ManualClock(T0)) {
  const nodeSecret = secret(name);
  const store = openInvoiceStore({ path: ':memory:', clock });
  const random = deterministicRandom(`random ${name}`);
  const receiver = new InvoiceReceiver({ nodeSecret, store, clock, random });
  return { name, nodeSecret, nodeId: publicKey(nodeSecret), store, clock, random, receiver };
}
type TestNode = ReturnType<typeof node>;

/** An invoice by `payee` for a refund of `payer`, recorded in the payee's store. */
async function invoiceFor(payee: TestNode, payer: TestNode, label: string, amountMsat = 5000n, expiry = 600): Promise<Invoice> {
  const refund = new RefundBuilder({ nodeSecret: payer.nodeSecret, random: payer.random, amountMsat, description: 'test', chain: CHAIN_HASH.regtest }).build();
  const preimage = sha256(utf8.encode(`preimage ${label}`));
  const paymentHash = sha256(preimage);
  const now = payee.clock.now();
  const { path, payInfo } = payee.receiver.paymentPath({ paymentHash, amountMsat, expiresAt: now + expiry });
  const invoice = refund.respondWith({ paymentHash, createdAt: now, paths: [path], blindedPay: [payInfo], relativeExpiry: expiry }).build(payee.nodeSecret);
  await payee.store.create({ label, bolt12: invoice.toString(), paymentHash, paymentPreimage: preimage, amountMsat, expiresAt: now + expiry });
  return invoice;
}

describe('blinded payment paths', () => {
  it('one hop to us: the final hop carries path_id (naming the payment hash) and payment_constraints; payinfo is free', () => {
    const us = node('us');
    const hash = sha256(utf8.encode('h'));
    const { path, payInfo } = us.receiver.paymentPath({ paymentHash: hash, amountMsat: 1000n, expiresAt: T0 + 60 });
    expect(path.introductionNode).toEqual({ kind: 'pubkey', nodeId: us.nodeId });
    expect(path.hops).toHaveLength(1);
    expect(payInfo).toEqual({ feeBaseMsat: 0, feeProportionalMillionths: 0, cltvExpiryDelta: 18, htlcMinimumMsat: 1n, htlcMaximumMsat: 2_100_000_000_000_000_000n, features: new Uint8Array(0) });
    const hop = unblindHop(us.nodeSecret, path.firstPathKey, path.hops[0]!.encryptedRecipientData);
    expect(new PaymentPathIds(us.nodeSecret).verify(hop.data.pathId!)).toEqual(hash);
    expect(new PaymentPathIds(secret('other')).verify(hop.data.pathId!)).toBeUndefined();
    expect(hop.data.paymentConstraints).toEqual({ maxCltvExpiry: 0xffff_ffff, htlcMinimumMsat: 1n });
    expect(hop.data.allowedFeatures).toBeUndefined();
    // Each path has its own blinding (computed ahead in a pool): nothing links two invoices' paths.
    const again = us.receiver.paymentPath({ paymentHash: hash, amountMsat: 1000n, expiresAt: T0 + 60 }).path;
    expect(again.firstPathKey).not.toEqual(path.firstPathKey);
    expect(again.hops[0]!.blindedNodeId).not.toEqual(path.hops[0]!.blindedNodeId);
    expect(again.hops[0]!.encryptedRecipientData.length).toBe(path.hops[0]!.encryptedRecipientData.length);
  });

  it('with a known block height, max_cltv_expiry covers the invoice life plus a day', () => {
    const us = node('us');
    const r = new InvoiceReceiver({ nodeSecret: us.nodeSecret, store: us.store, clock: us.clock, random: us.random, blockHeight: () => 800_000 });
    const { path } = r.paymentPath({ paymentHash: new Uint8Array(32), amountMsat: 1n, expiresAt: T0 + 3600 });
    const hop = unblindHop(us.nodeSecret, path.firstPathKey, path.hops[0]!.encryptedRecipientData);
    expect(hop.data.paymentConstraints!.maxCltvExpiry).toBe(800_000 + 6 + 144 + 18);
  });

  it('through two channel peers: payment_relay, scid and constraints per hop, and BOLT 4 aggregate payinfo', () => {
    const [a, b, us] = [secret('a'), secret('b'), secret('us')];
    const via = [
      { nodeId: publicKey(a), shortChannelId: 0x0102030000010000n, relay: { cltvExpiryDelta: 144, feeProportionalMillionths: 500, feeBaseMsat: 100 }, htlcMinimumMsat: 1000n, htlcMaximumMsat: 500_000_000n },
      { nodeId: publicKey(b), shortChannelId: 0x0405060000020001n, relay: { cltvExpiryDelta: 48, feeProportionalMillionths: 1000, feeBaseMsat: 1000 }, htlcMinimumMsat: 1n, htlcMaximumMsat: 100_000_000n },
    ];
    const { path, payInfo } = buildBlindedPaymentPath({
      ourNodeId: publicKey(us),
      random: deterministicRandom('path'),
      via,
      pathId: Uint8Array.of(1, 2, 3),
      maxCltvExpiry: 1000,
      minFinalCltvExpiryDelta: 18,
      htlcMinimumMsat: 1n,
      htlcMaximumMsat: 10n ** 12n,
    });
    expect(path.introductionNode).toEqual({ kind: 'pubkey', nodeId: publicKey(a) });
    expect(path.hops).toHaveLength(3);
    // All hops' encrypted data have one length (padding).
    expect(new Set(path.hops.map((h) => h.encryptedRecipientData.length)).size).toBe(1);
    // Hop by hop, as a forwarding node would read it.
    const h0 = unblindHop(a, path.firstPathKey, path.hops[0]!.encryptedRecipientData);
    expect(h0.data).toMatchObject({ shortChannelId: via[0]!.shortChannelId, paymentRelay: { cltvExpiryDelta: 144, feeProportionalMillionths: 500, feeBaseMsat: 100n }, paymentConstraints: { maxCltvExpiry: 1000 + 18 + 48 + 144, htlcMinimumMsat: 1000n } });
    const h1 = unblindHop(b, h0.nextPathKey, path.hops[1]!.encryptedRecipientData);
    expect(h1.data).toMatchObject({ shortChannelId: via[1]!.shortChannelId, paymentConstraints: { maxCltvExpiry: 1000 + 18 + 48 } });
    const h2 = unblindHop(us, h1.nextPathKey, path.hops[2]!.encryptedRecipientData);
    expect(h2.data).toMatchObject({ pathId: Uint8Array.of(1, 2, 3), paymentConstraints: { maxCltvExpiry: 1018, htlcMinimumMsat: 1n } });
    // BOLT 4 aggregates, nearest hop to us (b) first, then a in front of it:
    //   b: base = ceil(1000·1e6 / 1e6) = 1000, prop = ceil(1000·1e6 / 1e6) = 1000
    //   a: base = ceil((100·1e6 + 1000·(1e6 + 500)) / 1e6) = ceil(1100.5) = 1101
    //      prop = ceil(((1000 + 500)·1e6 + 1000·500) / 1e6) = ceil(1500.5) = 1501
    expect(payInfo).toEqual({ feeBaseMsat: 1101, feeProportionalMillionths: 1501, cltvExpiryDelta: 144 + 48 + 18, htlcMinimumMsat: 1000n, htlcMaximumMsat: 100_000_000n, features: new Uint8Array(0) });
    // The sender's amount covers both hops' fees: a keeps its fee, forwards to b, which keeps its own.
    const sent = amountWithFees(1_000_000n, payInfo);
    const atB = ((sent - 100n) * 1_000_000n + 1_000_000n + 500n - 1n) / (1_000_000n + 500n);
    const atUs = ((atB - 1000n) * 1_000_000n + 1_000_000n + 1000n - 1n) / (1_000_000n + 1000n);
    expect(atUs).toBeGreaterThanOrEqual(1_000_000n);
  });
});

describe('the receiver', () => {
  it('checks path, invoice, amount and expiry before marking paid; a second payment changes nothing', async () => {
    const payee = node('payee');
    const payer = node('payer');
    const inv = await invoiceFor(payee, payer, 'r1');
    const htlc = { pathKey: inv.invoicePaths[0]!.firstPathKey, encryptedRecipientData: inv.invoicePaths[0]!.hops[0]!.encryptedRecipientData };
    const fail = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as ReceiveError).reason;
    expect(await fail(payee.receiver.receive({ ...htlc, amountMsat: 4999n }))).toBe('amount_too_low');
    const tampered = Uint8Array.from(htlc.encryptedRecipientData);
    tampered[0]! ^= 1;
    expect(await fail(payee.receiver.receive({ ...htlc, encryptedRecipientData: tampered, amountMsat: 5000n }))).toBe('bad_blinding');
    // Someone else's node cannot read it at all.
    expect(await fail(payer.receiver.receive({ ...htlc, amountMsat: 5000n }))).toBe('bad_blinding');
    const got = await payee.receiver.receive({ ...htlc, amountMsat: 5100n });
    expect(got.newlyPaid).toBe(true);
    expect(sha256(got.paymentPreimage)).toEqual(inv.invoicePaymentHash);
    expect(payee.store.get('r1')).toMatchObject({ status: 'paid', amountReceivedMsat: 5100n, payIndex: 1 });
    const again = await payee.receiver.receive({ ...htlc, amountMsat: 5000n });
    expect(again.newlyPaid).toBe(false);
    expect(payee.store.get('r1')).toMatchObject({ amountReceivedMsat: 5100n, payIndex: 1 });
    // A path of ours whose invoice was deleted.
    const inv2 = await invoiceFor(payee, payer, 'r2');
    await payee.store.delete('r2', 'unpaid');
    expect(await fail(payee.receiver.receive({ pathKey: inv2.invoicePaths[0]!.firstPathKey, encryptedRecipientData: inv2.invoicePaths[0]!.hops[0]!.encryptedRecipientData, amountMsat: 5000n }))).toBe('unknown_invoice');
    // An expired invoice.
    const inv3 = await invoiceFor(payee, payer, 'r3', 5000n, 10);
    payee.clock.advance(11);
    expect(await fail(payee.receiver.receive({ pathKey: inv3.invoicePaths[0]!.firstPathKey, encryptedRecipientData: inv3.invoicePaths[0]!.hops[0]!.encryptedRecipientData, amountMsat: 5000n }))).toBe('expired');
  });
});

describe('backends', () => {
  it('none refuses every payment, saying it cannot pay', async () => {
    const payee = node('payee');
    const inv = await invoiceFor(payee, node('payer'), 'x');
    const e = await new NoPaymentBackend().pay(inv).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PaymentError);
    expect(e).toMatchObject({ reason: 'no_backend', message: expect.stringMatching(/^Cannot pay/) });
  });

  it('the ledger refuses mainnet, testnet and signet', () => {
    for (const network of ['mainnet', 'testnet', 'signet'] as const) {
      expect(() => new TestNetworkLedger({ network })).toThrow(LedgerError);
      expect(() => new TestNetworkLedger().backendFor({ network, clock: new ManualClock() })).toThrow(/refuses to run on/);
    }
  });

  it('the ledger carries a payment to the payee, whose store says paid; it records the transfer once', async () => {
    const ledger = new TestNetworkLedger();
    const payee = node('payee');
    const payer = node('payer');
    const bPayee = ledger.backendFor({ network: 'regtest', clock: payee.clock });
    const bPayer = ledger.backendFor({ network: 'regtest', clock: payer.clock });
    bPayee.attachReceiver(payee.receiver);
    bPayer.attachReceiver(payer.receiver);
    const inv = await invoiceFor(payee, payer, 'L1', 7000n);
    const ok = await bPayer.pay(inv);
    expect(sha256(ok.paymentPreimage)).toEqual(inv.invoicePaymentHash);
    expect(payee.store.get('L1')).toMatchObject({ status: 'paid', amountReceivedMsat: 7000n });
    await bPayer.pay(inv); // paying again: idempotent
    expect(ledger.transfers).toHaveLength(1);
    expect(ledger.balance(payee.nodeId)).toBe(7000n);
    expect(ledger.balance(payer.nodeId)).toBe(-7000n);
    // A payee not on the ledger: no route.
    const stranger = node('stranger');
    const inv2 = await invoiceFor(stranger, payer, 'L2');
    expect(await bPayer.pay(inv2).catch((e: PaymentError) => e.reason)).toBe('no_route');
    // A payee that left the network.
    bPayee.close();
    const inv3 = await invoiceFor(payee, payer, 'L3');
    expect(await bPayer.pay(inv3).catch((e: PaymentError) => e.reason)).toBe('no_route');
    // An expired invoice.
    payer.clock.advance(3600);
    expect(await bPayer.pay(inv).catch((e: PaymentError) => e.reason)).toBe('expired');
  });
});
