// The fundee state machine against the test funder model, in-process: open → accept → funding →
// channel_ready, HTLCs through the full two-commitment dance (both orders), update_fee, mutual
// close started by either side, the persist-before-send markers at each step, and the stored form
// (serialization round trips mid-flow).
import { describe, expect, it } from 'vitest';
import {
  applyDisconnect,
  buildCommitmentTx,
  channelStateFromJson,
  channelStateToJson,
  ChannelStateError,
  deserializeChannelState,
  parseTx,
  pendingHtlcDecisions,
  serializeChannelState,
  verifyFundingSpend,
  closingTxWeight,
  type ChannelState,
} from '../../src/channel/index.ts';
import { featureBits, type ChannelWireMessage } from '../../src/wire/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { Link, ZEROCONF_TYPE, STATIC_REMOTEKEY_TYPE } from './funder-model.ts';

function types(ms: readonly ChannelWireMessage[]): string[] {
  return ms.map((m) => m.type);
}

/** Our view and the funder model's view of both commitments agree. */
function expectInSync(link: Link): void {
  const s = link.channel;
  const f = link.funder;
  expect(s.localCommit.index).toBe(f.fundeeCommit.index);
  expect(s.remoteCommit.index).toBe(f.funderCommit.index);
  expect(s.localCommit.spec.toUsMsat).toBe(f.fundeeCommit.spec.fundeeMsat);
  expect(s.localCommit.spec.toThemMsat).toBe(f.fundeeCommit.spec.funderMsat);
  expect(s.localCommit.spec.htlcs.map((h) => h.id)).toEqual(f.fundeeCommit.spec.htlcs.map((h) => h.id));
  expect(s.remoteCommit.spec.htlcs.map((h) => h.id)).toEqual(f.funderCommit.spec.htlcs.map((h) => h.id));
  expect(s.localCommit.spec.feeratePerKw).toBe(f.fundeeCommit.spec.feeratePerKw);
}

describe('establishment', () => {
  it('open_channel → accept_channel: echoes channel_type exactly, TLV 0 present, zero-conf, bounds', () => {
    const link = new Link();
    const r = link.open();
    expect(r.refused).toBeUndefined();
    expect(types(r.outbound)).toEqual(['accept_channel']);
    const a = r.outbound[0] as Extract<ChannelWireMessage, { type: 'accept_channel' }>;
    expect(toHex(a.channelType!)).toBe(toHex(ZEROCONF_TYPE));
    expect(featureBits(a.channelType!)).toEqual([12, 46, 50]);
    expect(a.upfrontShutdownScript).toEqual(new Uint8Array(0));
    expect(a.minimumDepth).toBe(0);
    expect(a.dustLimitSatoshis).toBe(546n);
    // BOLT 2: our reserve ≥ their dust limit, our dust limit ≤ their reserve.
    expect(a.channelReserveSatoshis).toBe(10_000n); // 1% of 1 000 000 sat
    expect(a.toSelfDelay).toBe(144);
    expect(a.maxAcceptedHtlcs).toBe(30);
    expect(toHex(a.fundingPubkey)).toBe(toHex(link.ctx.keys.basepoints.fundingPubkey));
    // Nothing stored before funding_created (BOLT 2: SHOULD NOT remember).
    expect(r.effects).toEqual([]);
    expect(link.state!.phase).toBe('awaiting_funding_created');
  });

  it('a plain option_static_remotekey channel type is echoed too', () => {
    const link = new Link({ funder: { channelType: STATIC_REMOTEKEY_TYPE } });
    const a = link.open().outbound[0] as Extract<ChannelWireMessage, { type: 'accept_channel' }>;
    expect(toHex(a.channelType!)).toBe(toHex(STATIC_REMOTEKEY_TYPE));
  });

  it('funding_created → funding_signed (persisted first) and channel_ready with our alias; their channel_ready → normal', () => {
    const link = new Link({ funder: { pushMsat: 5_000_000n } });
    link.open();
    link.deliverToFunder();
    link.send(link.funder.fundingCreated());
    link.deliverToFundee();
    const rec = link.log[link.log.length - 1]!;
    expect(types(rec.result.outbound)).toEqual(['funding_signed', 'channel_ready']);
    expect(rec.persisted).toEqual(['channel_funded', 'channel_ready']);
    expect(link.disk).toBeDefined();
    const ready = rec.result.outbound[1] as Extract<ChannelWireMessage, { type: 'channel_ready' }>;
    expect(ready.shortChannelIdAlias).toBe(link.alias);
    expect(link.channel.phase).toBe('awaiting_channel_ready');
    // The funder model verifies our signature of its first commitment.
    link.deliverToFunder();
    expect(link.funder.theirAlias).toBe(link.alias);
    link.send(link.funder.channelReady());
    link.run();
    expect(link.channel.phase).toBe('normal');
    expect(link.effectsOf('channel_ready')).toEqual([{ kind: 'channel_ready', ourAlias: link.alias, theirAlias: link.funder.opts.alias }]);
    expect(link.channel.localCommit.spec.toUsMsat).toBe(5_000_000n);
    expect(toHex(link.channel.channelId)).toBe(toHex(link.funder.channelId));
    expectInSync(link);
  });
});

describe('receiving HTLCs: the two-commitment dance', () => {
  it('add → commitment_signed → revoke_and_ack + commitment_signed → revoke_and_ack → fulfil → … → settled', () => {
    const link = new Link();
    link.establish();
    const before = link.log.length;
    const p = link.offer(50_000_000n);
    link.run();
    const steps = link.log.slice(before);
    const kinds = steps.map((r) => `${r.event.kind === 'message' ? (r.event as { msg: ChannelWireMessage }).msg.type : r.event.kind}→${types(r.result.outbound).join('+') || '-'}[${r.persisted.join(',')}]`);
    expect(kinds).toEqual([
      'update_add_htlc→-[]',
      // The new commitment and its signatures before our revoke_and_ack; the HTLC set before our commitment_signed.
      'commitment_signed→revoke_and_ack+commitment_signed[commitment_received,commitment_sent]',
      // Their revealed secret on their revoke_and_ack: the HTLC is irrevocably committed.
      'revoke_and_ack→-[revocation_received]',
      // The preimage before update_fulfill_htlc.
      'fulfill→update_fulfill_htlc+commitment_signed[preimage,commitment_sent]',
      'revoke_and_ack→-[revocation_received]',
      'commitment_signed→revoke_and_ack[commitment_received]',
    ]);
    const committed = link.effectsOf('htlc_irrevocably_committed');
    expect(committed.length).toBe(1);
    expect(committed[0]!.htlc.amountMsat).toBe(50_000_000n);
    expect(committed[0]!.htlc.onionRoutingPacket.length).toBe(1366);
    expect(link.effectsOf('htlc_settled')).toEqual([{ kind: 'htlc_settled', htlcId: 0n, paymentHash: p.paymentHash, amountMsat: 50_000_000n, outcome: 'fulfilled' }]);
    expect(toHex(link.funder.preimages.get(toHex(p.paymentHash))!)).toBe(toHex(p.preimage));
    expect(link.channel.localCommit.spec.toUsMsat).toBe(50_000_000n);
    expect(link.channel.htlcs).toEqual([]);
    expectInSync(link);
  });

  it('the commitment we keep verifies with their signature; its HTLC outputs have their signatures', () => {
    const link = new Link();
    link.establish();
    link.autoDecide = false;
    link.offer(7_000_000n);
    link.run();
    link.offer(9_000_000n);
    link.run();
    const s = link.channel;
    expect(s.localCommit.spec.htlcs.length).toBe(2);
    expect(s.localCommit.theirHtlcSignatures.length).toBe(2);
    const c = buildCommitmentTx({
      fundingOutpoint: s.fundingOutpoint,
      fundingSatoshis: s.fundingSatoshis,
      localIsFunder: false,
      commitmentNumber: s.localCommit.index,
      obscuringFactor: s.obscuringFactor,
      toSelfDelay: s.theirs.params.toSelfDelay,
      dustLimitSatoshis: s.ours.params.dustLimitSatoshis,
      feeratePerKw: s.localCommit.spec.feeratePerKw,
      localAmountMsat: s.localCommit.spec.toUsMsat,
      remoteAmountMsat: s.localCommit.spec.toThemMsat,
      htlcs: s.localCommit.spec.htlcs.map((h) => ({ ...h, offered: false })),
      keys: link.funder.fundeeCommitment(s.localCommit.index, link.funder.fundeeCommit.spec, link.funder.fundeeCommit.point).keys,
    });
    expect(toHex(c.txid)).toBe(toHex(s.localCommit.txid));
    expect(verifyFundingSpend(c, s.localCommit.theirSignature, link.funder.keys.basepoints.fundingPubkey)).toBe(true);
    // Both are irrevocably committed and wait for a decision.
    expect(pendingHtlcDecisions(s).map((d) => d.htlc.id)).toEqual([0n, 1n]);
  });

  it('many HTLCs in one commitment, fulfilled and failed in one batch; dust HTLCs too', () => {
    const link = new Link();
    link.establish();
    link.autoDecide = false;
    const ps = [link.offer(10_000_000n, { sign: false }), link.offer(20_000_000n, { sign: false }), link.offer(400_000n, { sign: false }), link.offer(3_000_000n, { sign: false, known: false })];
    link.send(link.funder.sign());
    link.run();
    expect(link.channel.htlcs.every((h) => h.irrevocable)).toBe(true);
    // At 2500 sat/kw the HTLC-success fee is 1757 sat: the 400 sat HTLC is trimmed on our commitment (dust limit 546).
    expect(link.channel.localCommit.theirHtlcSignatures.length).toBe(3);
    expect(link.channel.localCommit.spec.htlcs.length).toBe(4);
    for (const p of ps.slice(0, 3)) link.step({ kind: 'fulfill', htlcId: p.id, preimage: p.preimage });
    link.step({ kind: 'fail', htlcId: ps[3]!.id, reason: new Uint8Array(32).fill(1) });
    link.run();
    expect(link.channel.htlcs).toEqual([]);
    expect(link.channel.localCommit.spec.toUsMsat).toBe(30_400_000n);
    expect(link.funder.failed.has(3n)).toBe(true);
    expect(link.effectsOf('htlc_settled').map((e) => e.outcome)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'failed']);
    expectInSync(link);
  });

  it('commitment_signed and revoke_and_ack in both orders: crossing commitments while they add and we fulfil', () => {
    const link = new Link();
    link.establish();
    const p1 = link.offer(10_000_000n);
    link.run();
    expect(link.channel.localCommit.spec.toUsMsat).toBe(10_000_000n);
    // HTLC 2 is irrevocable; we fulfil it while the funder, not yet having seen that, adds and signs HTLC 3.
    link.autoDecide = false;
    const p2 = link.offer(20_000_000n);
    link.run();
    link.step({ kind: 'fulfill', htlcId: p2.id, preimage: p2.preimage });
    const p3 = link.offer(30_000_000n); // queued to us: add + commitment_signed
    // Our update_fulfill_htlc + commitment_signed cross the funder's add + commitment_signed.
    expect(types(link.toFunder)).toEqual(['update_fulfill_htlc', 'commitment_signed']);
    expect(types(link.toFundee)).toEqual(['update_add_htlc', 'commitment_signed']);
    link.deliverToFundee(); // we RAA their commitment (HTLC 3 in ours); we await their RAA, so no new commitment_signed yet
    expect(types(link.toFunder)).toEqual(['update_fulfill_htlc', 'commitment_signed', 'revoke_and_ack']);
    link.deliverToFunder();
    link.run();
    link.step({ kind: 'fulfill', htlcId: p3.id, preimage: p3.preimage });
    link.run();
    expect(link.channel.localCommit.spec.toUsMsat).toBe(60_000_000n);
    expect(link.channel.htlcs).toEqual([]);
    expect(link.funder.preimages.size).toBe(3);
    void p1;
    expectInSync(link);
  });

  it('fifty payments in a row', () => {
    const link = new Link();
    link.establish();
    for (let i = 0; i < 50; i++) {
      link.offer(1_000_000n + BigInt(i));
      link.run();
    }
    expect(link.channel.localCommit.spec.toUsMsat).toBe(50n * 1_000_000n + (49n * 50n) / 2n);
    expect(link.channel.localCommit.index).toBe(100n);
    expect(link.channel.htlcs).toEqual([]);
    expectInSync(link);
  });
});

describe('update_fee', () => {
  it('the funder raises the feerate: both commitments use it once committed', () => {
    const link = new Link();
    link.establish();
    link.send(link.funder.updateFee(5000), link.funder.sign());
    link.run();
    expect(link.channel.localCommit.spec.feeratePerKw).toBe(5000);
    expect(link.channel.remoteCommit.spec.feeratePerKw).toBe(5000);
    link.offer(5_000_000n);
    link.run();
    expect(link.channel.localCommit.spec.toUsMsat).toBe(5_000_000n);
    expectInSync(link);
  });
});

describe('mutual close', () => {
  it('started by the funder, with fee_range: we accept its fee in range; the closing tx pays our derived key', () => {
    const link = new Link();
    link.establish();
    link.offer(100_000_000n);
    link.run();
    link.send(link.funder.shutdown());
    link.run();
    expect(link.channel.phase).toBe('negotiating_closing');
    expect(toHex(link.funder.fundeeShutdownScript!)).toBe(toHex(link.ctx.keys.shutdownScript));
    link.send(link.funder.closingSigned(1000n, { minFeeSatoshis: 500n, maxFeeSatoshis: 2000n }));
    link.run();
    expect(link.channel.phase).toBe('closed');
    const [close] = link.effectsOf('mutual_close');
    expect(close!.feeSatoshis).toBe(1000n);
    expect(close!.ourOutputSat).toBe(100_000n);
    const out = close!.tx.outputs.find((o) => toHex(o.script) === toHex(link.ctx.keys.shutdownScript))!;
    expect(out.valueSat).toBe(100_000n);
    // The funder completed the same transaction with both signatures.
    expect(toHex(link.funder.closingTx!.signed.inputs[0]!.witness[3]!)).toBe(toHex(close!.tx.inputs[0]!.witness[3]!));
    expect(toHex(parseTx(link.channel.closing!.tx).inputs[0]!.txid)).toBe(toHex(link.funder.fundingTxid));
    expect(link.log.find((r) => r.persisted.includes('closing'))!.result.outbound.map((m) => m.type)).toEqual(['closing_signed']);
  });

  it('started by us while an HTLC is pending: shutdown waits for nothing, the close waits for the HTLC', () => {
    const link = new Link();
    link.establish();
    link.autoDecide = false;
    const p = link.offer(30_000_000n);
    link.run();
    link.step({ kind: 'shutdown' });
    expect(types(link.toFunder)).toEqual(['shutdown']);
    link.run();
    expect(link.channel.phase).toBe('shutdown');
    // HTLCs may still be removed after shutdown.
    link.step({ kind: 'fulfill', htlcId: p.id, preimage: p.preimage });
    link.run();
    expect(link.channel.phase).toBe('negotiating_closing');
    // Legacy negotiation (no fee_range): a fee below our floor gets a counter-proposal.
    const floor = (BigInt(closingTxWeight(link.funder.closingTxFor(0n))) * 253n + 999n) / 1000n;
    link.send(link.funder.closingSigned(100n));
    link.deliverToFundee();
    const counter = link.toFunder.find((m) => m.type === 'closing_signed') as Extract<ChannelWireMessage, { type: 'closing_signed' }>;
    expect(counter.feeSatoshis).toBe(floor);
    link.run(); // the funder agrees with our fee and echoes it; we complete
    expect(link.channel.phase).toBe('closed');
    expect(link.effectsOf('mutual_close')[0]!.feeSatoshis).toBe(floor);
    expect(link.effectsOf('mutual_close')[0]!.ourOutputSat).toBe(30_000n);
  });

  it('fee_range whose fee is below our floor: we answer our floor within the range, the funder echoes it', () => {
    const link = new Link();
    link.establish();
    link.offer(10_000_000n);
    link.run();
    link.send(link.funder.shutdown());
    link.run();
    const floor = (BigInt(closingTxWeight(link.funder.closingTxFor(0n))) * 253n + 999n) / 1000n;
    link.send(link.funder.closingSigned(100n, { minFeeSatoshis: 100n, maxFeeSatoshis: 5000n }));
    link.deliverToFundee();
    const ours = link.toFunder[0] as Extract<ChannelWireMessage, { type: 'closing_signed' }>;
    expect(ours.feeSatoshis).toBe(floor);
    expect(ours.feeRange).toEqual({ minFeeSatoshis: 100n, maxFeeSatoshis: 5000n });
    expect(link.channel.phase).toBe('negotiating_closing');
    link.run();
    expect(link.channel.phase).toBe('closed');
    expect(link.effectsOf('mutual_close')[0]!.feeSatoshis).toBe(floor);
    // We had sent that fee: the echo completes it without another message from us.
    expect(link.log.at(-1)!.result.outbound).toEqual([]);
  });

  it('the funder may leave out its own output; we accept that variant', () => {
    const link = new Link({ funder: { pushMsat: 990_000_000n } });
    link.establish();
    link.send(link.funder.shutdown());
    link.run();
    link.send(link.funder.closingSigned(600n, undefined, { omitOwnOutput: true }));
    link.run();
    expect(link.channel.phase).toBe('closed');
    expect(link.effectsOf('mutual_close')[0]!.tx.outputs.length).toBe(1);
  });
});

describe('the stored form', () => {
  function roundTrip(s: ChannelState): void {
    const bytes = serializeChannelState(s);
    const back = deserializeChannelState(bytes);
    expect(back).toEqual(applyDisconnect(s));
    expect(toHex(serializeChannelState(back))).toBe(toHex(serializeChannelState(applyDisconnect(s))));
  }

  it('round trips at every step of a payment, a fee update and a close', () => {
    const link = new Link();
    link.establish();
    link.offer(10_000_000n, { sign: false });
    link.send(link.funder.updateFee(3000));
    link.offer(500_000n, { known: false, sign: false });
    link.send(link.funder.sign());
    link.run();
    link.send(link.funder.shutdown());
    link.run();
    link.send(link.funder.closingSigned(900n, { minFeeSatoshis: 300n, maxFeeSatoshis: 3000n }));
    link.run();
    let n = 0;
    for (const r of link.log) {
      const st = 'state' in r.result ? r.result.state : undefined;
      if (st === undefined || st.phase === 'awaiting_funding_created') continue;
      roundTrip(st);
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(15);
  });

  it('a loaded channel is disconnected with the peer\'s uncommitted updates reversed', () => {
    const link = new Link();
    link.establish();
    link.offer(10_000_000n, { sign: false });
    link.run();
    expect(link.channel.remoteChanges.proposed.length).toBe(1);
    const back = deserializeChannelState(serializeChannelState(link.channel));
    expect(back.session.conn).toBe('disconnected');
    expect(back.remoteChanges.proposed).toEqual([]);
    expect(back.nextRemoteHtlcId).toBe(0n);
  });

  it('refuses what it could not have written, naming the field', () => {
    const link = new Link();
    link.establish();
    const j = channelStateToJson(link.channel) as { channel: Record<string, unknown> };
    const bad = (mutate: (c: Record<string, unknown>) => void) => {
      const c = structuredClone(j);
      mutate(c.channel as Record<string, unknown>);
      try {
        channelStateFromJson(c);
      } catch (e) {
        expect(e).toBeInstanceOf(ChannelStateError);
        return (e as ChannelStateError).path;
      }
      throw new Error('accepted');
    };
    expect(bad((c) => (c.fundingSatoshis = 12))).toBe('channel.fundingSatoshis');
    expect(bad((c) => (c.phase = 'open'))).toBe('channel.phase');
    expect(bad((c) => ((c.localCommit as Record<string, unknown>).theirSignature = 'ab'))).toBe('channel.localCommit.theirSignature');
    expect(bad((c) => delete c.channelId)).toBe('channel.channelId');
    expect(bad((c) => ((c.ours as Record<string, unknown>).alias = '-1'))).toBe('channel.ours.alias');
    expect(bad((c) => (c.htlcs = [{ kind: 'x' }]))).toBe('channel.htlcs[0].id');
    expect(() => channelStateFromJson({ ...j, version: 2 })).toThrow(ChannelStateError);
    expect(() => deserializeChannelState(new Uint8Array([0xff, 0x00]))).toThrow(ChannelStateError);
  });
});
