/**
 * Issue 13 interop with LDK 0.1 (npm `lightningdevkit`, in process, real sockets): LDK opens a
 * zero-conf channel to us (it trusts its own funding; we trust LDK with --trust-funder), LDK makes
 * a refund, our `sendinvoice` delivers the invoice over LDK's blinded path, LDK pays it over the
 * channel, `sendinvoice` returns `paid` with `amount_received_msat` and LDK emits PaymentSent with
 * our preimage. Then payments in a row, a disconnect mid-dance, a restart of our node, and a mutual
 * close started by LDK and one started by us. LDK must never force-close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/index.ts';
import { Node } from '../../src/node.ts';
import { toHex } from '../../src/util/bytes.ts';
import { hex, initLdk, isChannelClosed, isChannelReady, isPaymentFailed, isPaymentSent, ldk, startLdkNode, type LdkNode } from './ldk-harness.ts';
import { eventually } from './our-node.ts';
import { tempDir } from '../tmp.ts';

const enc = new TextEncoder();
const OUR_SECRET = sha256(enc.encode('ldk-channel us'));

/** No Event_ChannelClosed other than the cooperative ones a test asked for. */
function forceCloses(l: LdkNode): string[] {
  return l.events
    .filter(isChannelClosed)
    .map((e) => e.reason.constructor.name)
    .filter((n) => !/CounterpartyInitiatedCooperativeClosure|LocallyInitiatedCooperativeClosure|LegacyCooperativeClosure/.test(n));
}

async function openTo(us: Node, l: LdkNode, sat = 1_000_000n): Promise<Uint8Array> {
  const from = l.events.length;
  const before = us.channels.channels().length;
  await l.openChannel(us.nodeId, sat);
  await l.waitForEvent(isChannelReady, 10_000, from);
  await eventually(() => us.channels.channels().length > before && us.channels.channels().some((c) => c.phase === 'normal' && c.connected), 'our side of the channel normal');
  const ch = l.channels().find((c) => c.ready)!;
  await l.waitFor(() => l.channels().some((c) => c.usable), 'LDK: channel usable');
  return ch.channelId;
}

/** LDK refund → our sendinvoice → LDK pays over the channel. */
async function payRefund(us: Node, l: LdkNode, label: string, amountMsat: bigint) {
  const from = l.events.length;
  const { refund, paymentId } = l.createRefund({ amountMsat });
  const rec = await us.sendInvoice({ invreq: refund, label, timeout: 30 });
  const sent = await l.waitForEvent(isPaymentSent, 15_000, from);
  return { rec, sent, paymentId };
}

describe('LDK interop: receive-only channels (issue 13)', () => {
  let us: Node;
  let payer: LdkNode;
  let datadir: string;

  beforeAll(async () => {
    await initLdk();
    datadir = tempDir('ldk-channel-');
    payer = await startLdkNode({ seed: 0x71 });
    us = await Node.start({ port: 0, logLevel: 'warn', nodeSecret: OUR_SECRET, datadir, channels: { trustedFunders: [payer.nodeId] } });
    await us.connect(payer.nodeId, payer.host, payer.port);
    await payer.waitForPeer(us.nodeId);
  });

  afterAll(async () => {
    await us?.stop();
    await payer?.stop();
  });

  it('LDK opens a zero-conf channel; LDK\'s refund, our invoice, LDK pays it: sendinvoice returns paid and LDK emits PaymentSent with our preimage', async () => {
    await openTo(us, payer);
    const ours = us.channels.channels()[0]!;
    expect(ours.fundingSatoshis).toBe(1_000_000n);
    expect(ours.theirAlias).toBeDefined();
    const { rec, sent, paymentId } = await payRefund(us, payer, 'ldk-ch-1', 21_000n);
    expect(rec).toMatchObject({ status: 'paid', amountReceivedMsat: 21_000n, payIndex: 1 });
    expect(hex(sent.payment_preimage)).toBe(toHex(rec.paymentPreimage));
    expect(hex(sent.payment_hash)).toBe(toHex(rec.paymentHash));
    expect(hex((sent.payment_id as ldk.Option_ThirtyTwoBytesZ_Some).some)).toBe(hex(paymentId));
    await eventually(() => us.channels.channels()[0]!.toUsMsat === 21_000n && us.channels.channels()[0]!.htlcs.length === 0, 'our balance');
    expect(forceCloses(payer)).toEqual([]);
  });

  it('payments in a row, each paid once, balances adding up on both sides', async () => {
    const n = 50;
    const outBefore = payer.channels()[0]!.outboundCapacityMsat;
    for (let i = 0; i < n; i++) {
      const { rec } = await payRefund(us, payer, `ldk-row-${i}`, 1_000n + BigInt(i));
      expect(rec.status).toBe('paid');
    }
    let total = 21_000n;
    for (let i = 0; i < n; i++) total += 1_000n + BigInt(i);
    await eventually(() => us.channels.channels()[0]!.toUsMsat === total, 'our balance');
    // LDK's side: its spendable balance went down by exactly what we received (no fees: one hop).
    await payer.waitFor(() => outBefore - payer.channels()[0]!.outboundCapacityMsat === total - 21_000n, 'LDK\'s balance to follow');
    expect(payer.eventsOf(isPaymentFailed)).toEqual([]);
    expect(forceCloses(payer)).toEqual([]);
  });

  it('a disconnect while the HTLC dance is under way, then reconnection: the payment completes', async () => {
    const from = payer.events.length;
    const { refund } = payer.createRefund({ amountMsat: 4_321n });
    const call = us.sendInvoice({ invreq: refund, label: 'ldk-dc', timeout: 40 });
    // As soon as the HTLC is on our commitment (their update_add_htlc and commitment_signed in), cut.
    await eventually(() => us.channels.channels()[0]!.htlcs.length > 0, 'the HTLC to arrive', 15_000);
    payer.disconnect(us.nodeId);
    await eventually(() => !us.channels.channels()[0]!.connected, 'the disconnect');
    await us.connect(payer.nodeId, payer.host, payer.port);
    const rec = await call;
    expect(rec.status).toBe('paid');
    await payer.waitForEvent(isPaymentSent, 15_000, from);
    expect(forceCloses(payer)).toEqual([]);
  });

  it('a restart of our node: the channel comes back from the store, reestablishes, and is paid again', async () => {
    // The last payment's removal dance finished (the HTLC off both commitments) before we stop.
    await eventually(() => us.channels.channels()[0]!.htlcs.length === 0 && us.channels.channels()[0]!.state.nextRemote === undefined, 'the channel quiet');
    await us.channels.idle();
    const balance = us.channels.channels()[0]!.toUsMsat;
    await us.stop();
    await payer.waitForDisconnect(us.nodeId);
    us = await Node.start({ port: 0, logLevel: 'warn', nodeSecret: OUR_SECRET, datadir, channels: { trustedFunders: [payer.nodeId] } });
    expect(us.channels.channels()[0]!.toUsMsat).toBe(balance);
    await us.connect(payer.nodeId, payer.host, payer.port);
    await eventually(() => us.channels.channels()[0]!.connected, 'reestablished');
    await payer.waitFor(() => payer.channels().some((c) => c.usable), 'LDK: usable again');
    const { rec } = await payRefund(us, payer, 'ldk-after-restart', 2_500n);
    expect(rec.status).toBe('paid');
    expect(forceCloses(payer)).toEqual([]);
  });

  it('a mutual close started by LDK', async () => {
    const ours = us.channels.channels()[0]!;
    const theirs = payer.channels()[0]!;
    expect(hex(theirs.channelId)).toBe(toHex(ours.channelId));
    const from = payer.events.length;
    payer.closeChannel(theirs.channelIdObject, us.nodeId);
    const closed = await payer.waitForEvent(isChannelClosed, 15_000, from);
    expect(closed.reason.constructor.name).toMatch(/Cooperative/);
    await eventually(() => us.channels.channel(ours.channelId)?.phase === 'closed', 'closed on our side');
    const c = us.channels.channel(ours.channelId)!;
    expect(c.closing!.feeSatoshis).toBeGreaterThan(0n);
  });

  it('a mutual close started by us (the close command)', async () => {
    await openTo(us, payer, 500_000n);
    const ours = us.channels.channels().find((c) => c.phase === 'normal')!;
    const from = payer.events.length;
    const done = await us.channels.close(ours.channelId);
    expect(done.phase).toBe('closed');
    const closed = await payer.waitForEvent(isChannelClosed, 15_000, from);
    expect(closed.reason.constructor.name).toMatch(/Cooperative/);
    expect(forceCloses(payer)).toEqual([]);
  });
});
