/**
 * Issue 5 interop: our onion messenger (src/onion-message) and LDK 0.1 exchange onion messages
 * over real sockets, in both directions, through blinded paths each side built:
 *
 * - LDK → us: a custom message by node id; one with LDK's reply path, which starts at us (we are
 *   its introduction node: we peel our own hop and forward the answer); an invoice LDK sends into
 *   the blinded path (with dummy hops) of a refund we made; an `invoice_error` LDK sends to our
 *   reply path; a message LDK sends into our path whose introduction node is another LDK node.
 * - us → LDK: messages into paths LDK built (starting at LDK, and starting at us); our invoice
 *   answering an LDK refund, into the refund's path, which LDK accepts (Event_InvoiceReceived)
 *   and, in LDK's default mode, answers with an invoice_error over our reply path; clear hops
 *   through an LDK node that forwards to another.
 *
 * Topology (LDK builds refund paths only when it has exactly one onion message peer):
 *   l1 (manual BOLT 12 invoices) — us — l2 (default mode)
 *                                  us — l3 — l4
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKey, sha256 } from '../../src/crypto/index.ts';
import { decodeRefund, invoiceErrorFromBytes, invoiceFromBytes, InvoiceError, RefundBuilder, type BlindedPath } from '../../src/bolt12/index.ts';
import type { ReceivedOnionMessage } from '../../src/onion-message/index.ts';
import { CHAIN_HASH, decodeBlindedPath, encodeBlindedPath } from '../../src/wire/index.ts';
import { hex, initLdk, isInvoiceReceived, isPaymentFailed, startLdkNode, type LdkNode } from './ldk-harness.ts';
import { eventually, startOurNode, type OurNode } from './our-node.ts';

const NOW = Math.floor(Date.now() / 1000);
const REGTEST = { now: NOW, chains: [CHAIN_HASH.regtest] };
const utf8 = (s: string) => new TextEncoder().encode(s);

/** A syntactically valid one-hop payment path (LDK checks invoices, not the paths' contents). */
function paymentPath(us: OurNode): BlindedPath {
  return {
    introductionNode: { kind: 'pubkey', nodeId: us.nodeId },
    firstPathKey: publicKey(us.random(32)),
    hops: [{ blindedNodeId: publicKey(us.random(32)), encryptedRecipientData: us.random(48) }],
  };
}

const PAYINFO = { feeBaseMsat: 0, feeProportionalMillionths: 0, cltvExpiryDelta: 144, htlcMinimumMsat: 1n, htlcMaximumMsat: 1_000_000_000n, features: new Uint8Array(0) };

describe('LDK interop: onion messages (issue 5)', () => {
  let us: OurNode;
  let l1: LdkNode;
  let l2: LdkNode;
  let l3: LdkNode;
  let l4: LdkNode;

  /** Messages our handlers received, by `type/purpose`. */
  const inbox = new Map<string, ReceivedOnionMessage[]>();
  function collect(type: bigint, purpose?: string): ReceivedOnionMessage[] {
    const key = `${type}/${purpose ?? ''}`;
    let list = inbox.get(key);
    if (!list) {
      inbox.set(key, (list = []));
      const l = list;
      us.om.onMessage(type, (m) => void l.push(m), purpose === undefined ? {} : { purpose });
    }
    return list;
  }

  beforeAll(async () => {
    await initLdk();
    [us, l1, l2, l3, l4] = await Promise.all([
      startOurNode('onion-us'),
      startLdkNode({
        seed: 0x51,
        manuallyHandleBolt12Invoices: true,
        // Custom type 65_545 is echoed back over the reply path as 65_547 with a suffix.
        customOnionReply: (m) => (m.tlvType === 65_545n ? { tlvType: 65_547n, payload: Uint8Array.of(...m.payload, 0xec) } : undefined),
      }),
      startLdkNode({ seed: 0x52 }),
      startLdkNode({ seed: 0x53 }),
      startLdkNode({ seed: 0x54, listen: false }),
    ]);
    for (const l of [l1, l2, l3]) await us.reg.connect(l.nodeId, l.host, l.port, { transport: 'tcp' });
    await l4.connect(l3.host, l3.port, l3.nodeId);
    for (const l of [l1, l2, l3]) await l.waitForPeer(us.nodeId);
    await l4.waitForPeer(l3.nodeId);
  });

  afterAll(async () => {
    await us?.close();
    await Promise.all([l1, l2, l3, l4].map((l) => l?.stop()));
  });

  describe('LDK sends, we peel and handle', () => {
    it('a custom message to our node id', async () => {
      const got = collect(65_537n);
      l1.sendOnionMessage({ tlvType: 65_537n, payload: utf8('hello from LDK'), to: { nodeId: us.nodeId } });
      const m = await eventually(() => got[0], 'the message at our handler');
      expect(m.contents).toEqual({ type: 65_537n, value: utf8('hello from LDK') });
      expect(hex(m.from!)).toBe(hex(l1.nodeId));
      expect(m.authenticated).toBe(false);
      expect(m.replyPath).toBeUndefined();
      expect(m.unknownFields).toEqual([]);
    });

    it('a custom message with LDK’s reply path, which starts at us: our answer reaches LDK’s handler', async () => {
      const got = collect(65_539n);
      l1.sendOnionMessage({ tlvType: 65_539n, payload: utf8('ping?'), to: { nodeId: us.nodeId }, replyPath: 'ldk', replyContext: Uint8Array.of(7, 7) });
      const m = await eventually(() => got[0], 'the message at our handler');
      expect(m.replyPath?.introductionNode).toEqual({ kind: 'pubkey', nodeId: us.nodeId });
      const before = l1.customOnionMessages.length;
      // We are the introduction node of the reply path: our hop is peeled here, the message goes to l1.
      const r = us.om.reply(m, { type: 65_541n, value: utf8('pong!') });
      expect(hex(r.firstHop)).toBe(hex(l1.nodeId));
      expect(r.local).toBe(false);
      await l1.waitFor(() => l1.customOnionMessages.length > before, 'our reply at LDK');
      expect(l1.customOnionMessages[before]).toEqual({ tlvType: 65_541n, payload: utf8('pong!'), context: Uint8Array.of(7, 7), hasReplyPath: false });
    });

    it('LDK answers our message over our reply path (4 hops with dummies): authenticated, with our context', async () => {
      const got = collect(65_547n, 'echo');
      const replyPath = us.om.createReplyPath(utf8('echo #1'), { purpose: 'echo' });
      expect(replyPath.hops.length).toBe(4); // us + 3 dummy hops
      us.om.send({ nodeId: l1.nodeId }, { type: 65_545n, value: utf8('echo me') }, { replyPath });
      const m = await eventually(() => got[0], 'LDK’s echo at our handler');
      expect(m.contents).toEqual({ type: 65_547n, value: Uint8Array.of(...utf8('echo me'), 0xec) });
      expect(m.authenticated).toBe(true);
      expect(m.purpose).toBe('echo');
      expect(m.context).toEqual(utf8('echo #1'));
      expect(l1.customOnionMessages.at(-1)).toMatchObject({ tlvType: 65_545n, hasReplyPath: true });
    });

    it('LDK answers our refund with an invoice, into the refund’s blinded path to us; we reply with an invoice_error', async () => {
      const got = collect(66n, 'refund');
      const path = us.om.createReplyPath(utf8('refund #1'), { purpose: 'refund', expiresAt: NOW + 86_400 });
      expect(path.introductionNode).toEqual({ kind: 'pubkey', nodeId: us.nodeId });
      const refund = new RefundBuilder({
        nodeSecret: us.nodeSecret,
        random: us.random,
        amountMsat: 5_000n,
        description: 'refund via LDK',
        chain: CHAIN_HASH.regtest,
        absoluteExpiry: NOW + 2 * 86_400,
        paths: [path],
      }).build();
      const made = l1.requestRefundPayment(refund.toString());
      const m = await eventually(() => got[0], 'LDK’s invoice at our refund handler');
      expect(m.authenticated).toBe(true);
      expect(m.context).toEqual(utf8('refund #1'));
      expect(hex(m.from!)).toBe(hex(l1.nodeId));
      const invoice = invoiceFromBytes(m.contents.value, REGTEST);
      expect(invoice.bytes).toEqual(made.bytes);
      invoice.checkRespondsTo(refund);
      expect(invoice.invoiceAmount).toBe(5_000n);

      // LDK attaches a reply path (through us) for errors. LDK 0.1 reads invoice_error only in its
      // own length-prefixed form: the spec's form is dropped, LDK's form is logged as received.
      expect(m.replyPath?.introductionNode).toEqual({ kind: 'pubkey', nodeId: us.nodeId });
      const logs0 = l1.logs.length;
      us.om.reply(m, { type: 68n, value: InvoiceError.create({ error: 'spec form' }).bytes });
      us.om.reply(m, { type: 68n, value: InvoiceError.create({ error: 'ldk form' }).toLengthPrefixed() });
      await l1.waitFor(() => l1.logsMatching(/invoice_error.*ldk form/i).length > 0, 'LDK to log our invoice_error');
      const seen = l1.logs.slice(logs0).map((l) => l.message);
      expect(seen.some((l) => /invoice_error.*spec form/i.test(l))).toBe(false);
      // What LDK 0.1 logs for the spec's form: the whole payload fails to decode.
      expect(seen.some((l) => /Unable to decode our hop data/.test(l))).toBe(true);
    });

    it('a message LDK sends into our blinded path whose introduction node is another LDK node', async () => {
      const got = collect(65_549n, 'via-l3');
      const path = us.om.createReplyPath(utf8('via l3'), { purpose: 'via-l3', via: [{ nodeId: l3.nodeId }] });
      expect(path.introductionNode).toEqual({ kind: 'pubkey', nodeId: l3.nodeId });
      // l4 is connected to l3 only: l3 decrypts its hop of our path and forwards to us.
      l4.sendOnionMessage({ tlvType: 65_549n, payload: utf8('through l3'), to: { blindedPath: encodeBlindedPath(path) } });
      const m = await eventually(() => got[0], 'the message at our handler');
      expect(m.contents.value).toEqual(utf8('through l3'));
      expect(m.context).toEqual(utf8('via l3'));
      expect(hex(m.from!)).toBe(hex(l3.nodeId));
    });
  });

  describe('we send, LDK processes', () => {
    it('custom messages: to LDK’s node id, into LDK’s path starting at LDK, and into one starting at us', async () => {
      const n0 = l1.customOnionMessages.length;
      us.om.send({ nodeId: l1.nodeId }, { type: 65_551n, value: utf8('by node id') });
      await l1.waitFor(() => l1.customOnionMessages.length > n0, 'message 1');
      expect(l1.customOnionMessages[n0]).toEqual({ tlvType: 65_551n, payload: utf8('by node id'), context: undefined, hasReplyPath: false });

      for (const [i, via] of [[], [us.nodeId]].entries()) {
        const ctx = Uint8Array.of(0xc0, i);
        const view = l1.buildBlindedPathToSelf({ via, context: ctx });
        const path = decodeBlindedPath(view.bytes);
        expect(path.hops.length).toBe(via.length + 1);
        const before = l1.customOnionMessages.length;
        const r = us.om.send({ blindedPath: path }, { type: 65_553n, value: utf8(`into path ${i}`) });
        expect(hex(r.firstHop)).toBe(hex(l1.nodeId)); // starting at us: our hop peeled locally
        await l1.waitFor(() => l1.customOnionMessages.length > before, `message into path ${i}`);
        expect(l1.customOnionMessages[before]).toEqual({ tlvType: 65_553n, payload: utf8(`into path ${i}`), context: ctx, hasReplyPath: false });
      }
    });

    it('clear hops: l3 forwards our message to l4', async () => {
      const n0 = l4.customOnionMessages.length;
      const r = us.om.send({ nodeId: l4.nodeId }, { type: 65_555n, value: utf8('two hops') }, { via: [l3.nodeId] });
      expect(hex(r.firstHop)).toBe(hex(l3.nodeId));
      await l4.waitFor(() => l4.customOnionMessages.length > n0, 'the message at l4');
      expect(l4.customOnionMessages[n0]).toMatchObject({ tlvType: 65_555n, payload: utf8('two hops') });
    });

    it('our invoice for an LDK refund, into the refund’s path (which starts at us): LDK accepts it', async () => {
      const { refund: lnr, paymentId, view } = l1.createRefund({ amountMsat: 25_000n });
      expect(hex(view.paths[0]!.introductionNodeId!)).toBe(hex(us.nodeId));
      const refund = decodeRefund(lnr, REGTEST);
      const invoice = refund
        .respondWith({ paymentHash: sha256(utf8('refund preimage')), createdAt: NOW, paths: [paymentPath(us)], blindedPay: [PAYINFO] })
        .build(us.random(32));
      const e0 = l1.events.length;

      // LDK drops an invoice that does not come through the refund's path (here: to its node id).
      const om0 = l1.messageCount(us.nodeId, 'OnionMessage', 'in');
      us.om.send({ nodeId: l1.nodeId }, { type: 66n, value: invoice.bytes });
      await l1.waitFor(() => l1.messageCount(us.nodeId, 'OnionMessage', 'in') > om0, 'LDK to read the stray invoice');
      l1.pump();
      expect(l1.events.slice(e0).filter(isInvoiceReceived)).toEqual([]);

      const r = us.om.send({ blindedPath: refund.invreqPaths![0]! }, { type: 66n, value: invoice.bytes });
      expect(hex(r.firstHop)).toBe(hex(l1.nodeId));
      const ev = await l1.waitForEvent(isInvoiceReceived, 10_000, e0);
      expect(hex(ev.payment_id)).toBe(hex(paymentId));
      expect(ev.invoice.write()).toEqual(invoice.bytes);
    });

    it('LDK in default mode tries to pay our invoice, fails, and sends an invoice_error to our reply path', async () => {
      const got = collect(68n, 'invoice');
      const { refund: lnr, paymentId } = l2.createRefund({ amountMsat: 30_000n });
      const refund = decodeRefund(lnr, REGTEST);
      expect(refund.invreqPaths![0]!.introductionNode).toEqual({ kind: 'pubkey', nodeId: us.nodeId });
      const invoice = refund
        .respondWith({ paymentHash: sha256(utf8('preimage 2')), createdAt: NOW, paths: [paymentPath(us)], blindedPay: [PAYINFO] })
        .build(us.random(32));
      const replyPath = us.om.createReplyPath(utf8('invoice for l2'), { purpose: 'invoice' });
      us.om.send({ blindedPath: refund.invreqPaths![0]! }, { type: 66n, value: invoice.bytes }, { replyPath });
      const m = await eventually(() => got[0], 'LDK’s invoice_error at our handler');
      expect(m.authenticated).toBe(true);
      expect(m.context).toEqual(utf8('invoice for l2'));
      const err = invoiceErrorFromBytes(m.contents.value);
      expect(err.lengthPrefixed).toBe(true); // LDK 0.1's form
      expect(err.error).toMatch(/RouteNotFound/);
      const failed = await l2.waitForEvent(isPaymentFailed);
      expect(hex(failed.payment_id)).toBe(hex(paymentId));
    });

    it('nothing was dropped on our side and no connection was lost', () => {
      const s = us.om.stats();
      expect(s.dropped).toEqual({});
      expect(s.received).toBe(6); // the six messages LDK sent us above
      expect(us.disconnects()).toEqual([]);
      for (const l of [l1, l2, l3]) expect(l.isConnected(us.nodeId)).toBe(true);
    });
  });
});
