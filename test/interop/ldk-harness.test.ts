/**
 * The LDK harness itself: two LDK nodes in one process connect over real sockets, exchange `init`,
 * ping each other, make BOLT 12 objects for each other and exchange onion messages. If this file
 * fails, every other interop test is meaningless.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAIN_HASH,
  hex,
  initLdk,
  isInvoiceReceived,
  ldk,
  ldkParseOffer,
  ldkParseRefund,
  ldkReadInvoice,
  LdkRejected,
  startLdkNode,
  type LdkNode,
} from './ldk-harness.ts';

describe('LDK harness: two LDK nodes', () => {
  let a: LdkNode;
  let b: LdkNode;

  beforeAll(async () => {
    await initLdk();
    a = await startLdkNode({ seed: 1, manuallyHandleBolt12Invoices: true });
    b = await startLdkNode({
      seed: 2,
      manuallyHandleBolt12Invoices: true,
      customOnionReply: (m) => ({ tlvType: m.tlvType + 2n, payload: Uint8Array.of(...m.payload, 7) }),
    });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('start with distinct node ids on distinct free ports', () => {
    expect(a.nodeId.length).toBe(33);
    expect([2, 3]).toContain(a.nodeId[0]);
    expect(hex(a.nodeId)).not.toBe(hex(b.nodeId));
    expect(a.port).toBeGreaterThan(0);
    expect(b.port).toBeGreaterThan(0);
    expect(a.port).not.toBe(b.port);
    // LDK.md: a full LDK node advertises these bits.
    expect(a.ownInitFeatureBits()).toEqual([0, 5, 8, 12, 14, 17, 19, 25, 27, 39, 45, 47, 51]);
  });

  it('connect over TCP, complete the handshake and init, and see each other’s features', async () => {
    await a.connect(b.host, b.port, b.nodeId);
    await a.waitForPeer(b.nodeId);
    await b.waitForPeer(a.nodeId);
    expect(a.connectedPeers().map(hex)).toEqual([hex(b.nodeId)]);
    expect(b.connectedPeers().map(hex)).toEqual([hex(a.nodeId)]);
    const seenByB = b.peerInfo(a.nodeId)!;
    expect(seenByB.inbound).toBe(true);
    expect(seenByB.featureBits).toEqual(a.ownInitFeatureBits());
    expect(a.peerInfo(b.nodeId)!.inbound).toBe(false);
  });

  it('ping on timer ticks: 20 ticks → 20 pings received by B, 20 pongs received by A', async () => {
    const pongs0 = a.messageCount(b.nodeId, 'Pong', 'in');
    const pings0 = b.messageCount(a.nodeId, 'Ping', 'in');
    for (let i = 1; i <= 20; i++) {
      a.timerTick();
      // A tick only pings once the previous pong arrived: wait for this one's pong.
      await a.waitFor(() => a.messageCount(b.nodeId, 'Pong', 'in') >= pongs0 + i, `pong ${i}`, 5000);
    }
    expect(b.messageCount(a.nodeId, 'Ping', 'in') - pings0).toBe(20);
    expect(b.messageCount(a.nodeId, 'Pong', 'out')).toBeGreaterThanOrEqual(20);
    expect(a.isConnected(b.nodeId)).toBe(true);
  });

  it('B answers A’s refund with an invoice through the blinded path that starts at B', async () => {
    const { refund, paymentId, view } = a.createRefund({ amountMsat: 12_345n });
    expect(refund.startsWith('lnr1')).toBe(true);
    expect(view.amountMsat).toBe(12_345n);
    expect(hex(view.chain)).toBe(hex(CHAIN_HASH.regtest));
    expect(view.paths.length).toBe(1);
    expect(hex(view.paths[0]!.introductionNodeId!)).toBe(hex(b.nodeId));
    expect(view.paths[0]!.hops.length).toBe(2);

    const parsed = await ldkParseRefund(refund);
    expect(hex(parsed.payerId)).toBe(hex(view.payerId));

    const invoice = b.requestRefundPayment(refund);
    expect(invoice.amountMsat).toBe(12_345n);
    expect(hex(invoice.payerId)).toBe(hex(view.payerId));
    expect(invoice.paymentPaths.length).toBe(1);
    const reparsed = await ldkReadInvoice(invoice.bytes);
    expect(hex(reparsed.signature)).toBe(hex(invoice.signature));

    const ev = await a.waitForEvent(isInvoiceReceived);
    expect(hex(ev.payment_id)).toBe(hex(paymentId));
    expect(hex(ev.invoice.payment_hash())).toBe(hex(invoice.paymentHash));
  });

  it('A makes an offer whose path starts at B; fields survive a string round trip', async () => {
    const expiry = BigInt(Math.floor(Date.now() / 1000) + 3 * 86400);
    const { offer, view } = a.createOffer({ absoluteExpiry: expiry });
    expect(offer.startsWith('lno1')).toBe(true);
    expect(view.absoluteExpiry).toBe(expiry);
    expect(view.chains.map(hex)).toEqual([hex(CHAIN_HASH.regtest)]);
    const parsed = await ldkParseOffer(offer);
    expect(parsed).toEqual(view);
    expect(parsed.amount).toBeUndefined();
    expect(hex(parsed.paths[0]!.introductionNodeId!)).toBe(hex(b.nodeId));
    expect(parsed.issuerId?.length).toBe(33);
  });

  it('custom onion messages: by node id, into a blinded path B built, and a reply', async () => {
    a.sendOnionMessage({ tlvType: 65_537n, payload: Uint8Array.of(1, 2, 3), to: { nodeId: b.nodeId } });
    await b.waitFor(() => b.customOnionMessages.length >= 1, 'custom message 1');
    expect(b.customOnionMessages[0]).toEqual({ tlvType: 65_537n, payload: Uint8Array.of(1, 2, 3), hasReplyPath: false, context: undefined });

    // A path to B whose introduction node is A (A peels its own hop, then forwards to B).
    const path = b.buildBlindedPathToSelf({ via: [a.nodeId], context: Uint8Array.of(0xc0, 0xde) });
    expect(hex(path.introductionNodeId!)).toBe(hex(a.nodeId));
    expect(path.hops.length).toBe(2);
    a.sendOnionMessage({ tlvType: 65_539n, payload: Uint8Array.of(9), to: { blindedPath: path.bytes } });
    await b.waitFor(() => b.customOnionMessages.length >= 2, 'custom message 2');
    expect(b.customOnionMessages[1]).toMatchObject({ tlvType: 65_539n, context: Uint8Array.of(0xc0, 0xde) });

    // With a reply path LDK builds to A: B's handler answers, A's handler sees the answer.
    a.sendOnionMessage({ tlvType: 65_541n, payload: Uint8Array.of(7, 7), to: { nodeId: b.nodeId }, replyPath: 'ldk', replyContext: Uint8Array.of(0xaa) });
    await b.waitFor(() => b.customOnionMessages.length >= 3, 'custom message 3');
    expect(b.customOnionMessages[2]).toMatchObject({ tlvType: 65_541n, hasReplyPath: true });
    await a.waitFor(() => a.customOnionMessages.length >= 1, 'reply at A');
    expect(a.customOnionMessages[0]).toMatchObject({ tlvType: 65_543n, payload: Uint8Array.of(7, 7, 7), context: Uint8Array.of(0xaa) });
  });

  it('rejects garbage with a typed error', async () => {
    await expect(ldkParseRefund('lnr1qqq')).rejects.toBeInstanceOf(LdkRejected);
    await expect(ldkReadInvoice(Uint8Array.of(1, 2, 3))).rejects.toBeInstanceOf(LdkRejected);
    expect(ldk.Network.LDKNetwork_Regtest).toBe(2);
  });

  it('stop() disconnects the peer on the other side', async () => {
    const c = await startLdkNode({ seed: 3 });
    await c.connect(b.host, b.port, b.nodeId);
    await b.waitForPeer(c.nodeId);
    await c.stop();
    await b.waitForDisconnect(c.nodeId);
    expect(b.isConnected(a.nodeId)).toBe(true);
  });
});
