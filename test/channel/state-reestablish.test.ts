// Disconnections and restarts (BOLT 2, Message Retransmission): a disconnect after every single
// message of the HTLC dance, and a restart from the last persisted state ("kill -9") at every
// step, each followed by channel_reestablish, must complete the payment with both commitments in
// sync and no error; option_data_loss_protect detects a fallen-behind fundee; channel_ready,
// shutdown and closing negotiation are retransmitted or restarted as the spec says.
import { describe, expect, it } from 'vitest';
import { pendingHtlcDecisions, type ChannelState } from '../../src/channel/index.ts';
import type { ChannelWireMessage } from '../../src/wire/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { Link } from './funder-model.ts';

function inSync(link: Link): void {
  const s = link.channel;
  const f = link.funder;
  expect(s.localCommit.index).toBe(f.fundeeCommit.index);
  expect(s.remoteCommit.index).toBe(f.funderCommit.index);
  expect(s.localCommit.spec.toUsMsat).toBe(f.fundeeCommit.spec.fundeeMsat);
  expect(s.remoteCommit.spec.toUsMsat).toBe(f.funderCommit.spec.fundeeMsat);
  expect(s.localCommit.spec.htlcs.map((h) => h.id)).toEqual(f.fundeeCommit.spec.htlcs.map((h) => h.id));
}

/** Deliver one message: to the fundee first if any is waiting. */
function deliverOne(link: Link): boolean {
  if (link.toFundee.length > 0) return link.deliverToFundee(1) === 1;
  if (link.toFunder.length > 0) return link.deliverToFunder(1) === 1;
  return false;
}

function noFaults(link: Link): void {
  expect(link.effectsOf('channel_failed')).toEqual([]);
  expect(link.effectsOf('disconnect')).toEqual([]);
  const sent = link.log.flatMap((r) => r.result.outbound).filter((m) => m.type === 'error' || m.type === 'warning');
  expect(sent).toEqual([]);
}

/** Ask the payment layer again for HTLCs left undecided (what the I/O layer does after a restart). */
function redecide(link: Link): void {
  for (const d of pendingHtlcDecisions(link.channel)) link.step(link.decide(d.htlc.paymentHash, d.htlc.id, d.mustFail !== undefined));
  link.run();
}

/** Two payments in flight at once (one added before the other is settled), the second with an update_fee. */
function scenario(link: Link): { preimages: Uint8Array[] } {
  const a = link.offer(40_000_000n);
  const b = link.offer(2_000_000n, { sign: false });
  link.send(link.funder.updateFee(3000));
  return { preimages: [a.preimage, b.preimage] };
}

/** Finish: the funder signs whatever is left; then everything settles. */
function finish(link: Link): void {
  link.run();
  for (let i = 0; i < 5; i++) {
    if (link.funder.hasPending() && link.funder.theirNextPoint) link.send(link.funder.sign());
    link.run();
    redecide(link);
  }
}

function countSteps(): number {
  const link = new Link();
  link.establish();
  scenario(link);
  let n = 0;
  for (;;) {
    if (!deliverOne(link)) {
      if (link.funder.hasPending() && link.funder.theirNextPoint) {
        link.send(link.funder.sign());
        continue;
      }
      break;
    }
    n++;
  }
  return n;
}

describe('a disconnect after every message of the dance', () => {
  const total = countSteps();
  it(`the clean run has a dozen or more deliveries (${total})`, () => {
    expect(total).toBeGreaterThanOrEqual(12);
  });
  for (let k = 0; k <= total; k++) {
    it(`disconnect after ${k} deliveries, reconnect: both payments complete`, () => {
      const link = new Link();
      link.establish();
      scenario(link);
      for (let i = 0; i < k; i++) {
        if (!deliverOne(link) && link.funder.hasPending() && link.funder.theirNextPoint) link.send(link.funder.sign());
      }
      link.disconnect();
      link.reconnect();
      finish(link);
      expect(link.funder.preimages.size).toBe(2);
      expect(link.channel.localCommit.spec.toUsMsat).toBe(42_000_000n);
      expect(link.channel.localCommit.spec.feeratePerKw).toBe(3000);
      expect(link.channel.htlcs).toEqual([]);
      inSync(link);
      noFaults(link);
    });
  }
});

describe('kill -9 at every step, restart from the last persisted state', () => {
  const total = countSteps();
  for (let k = 0; k <= total; k++) {
    it(`restart after ${k} deliveries: nothing committed is lost, both payments complete`, () => {
      const link = new Link();
      link.establish();
      scenario(link);
      for (let i = 0; i < k; i++) {
        if (!deliverOne(link) && link.funder.hasPending() && link.funder.theirNextPoint) link.send(link.funder.sign());
      }
      const revealed = link.funder.preimages.size;
      link.restart();
      expect(link.channel.session.conn).toBe('disconnected');
      link.reconnect();
      finish(link);
      // A preimage the funder saw was stored before it left: the same payments complete.
      expect(link.funder.preimages.size).toBeGreaterThanOrEqual(revealed);
      expect(link.funder.preimages.size).toBe(2);
      expect(link.channel.localCommit.spec.toUsMsat).toBe(42_000_000n);
      expect(link.channel.htlcs).toEqual([]);
      inSync(link);
      noFaults(link);
    });
  }
});

describe('what is retransmitted', () => {
  it('channel_ready, when next_commitment_number is 1 on both sides', () => {
    const link = new Link();
    link.open();
    link.deliverToFunder();
    link.send(link.funder.fundingCreated());
    link.deliverToFundee();
    expect(link.toFunder.map((m) => m.type)).toEqual(['funding_signed', 'channel_ready']);
    link.deliverToFunder(1); // funding_signed arrives; channel_ready is lost
    link.disconnect();
    link.funder.channelReadySent = true;
    link.reconnect();
    expect(link.funder.theirAlias).toBe(link.alias);
    expect(link.channel.phase).toBe('normal');
    link.offer(1_000_000n);
    link.run();
    expect(link.funder.preimages.size).toBe(1);
  });

  it('our revoke_and_ack and commitment_signed in their original order', () => {
    const link = new Link();
    link.establish();
    link.offer(10_000_000n);
    link.deliverToFundee();
    // We sent revoke_and_ack then commitment_signed; both are lost.
    expect(link.toFunder.map((m) => m.type)).toEqual(['revoke_and_ack', 'commitment_signed']);
    link.disconnect();
    link.down = false;
    link.step({ kind: 'connected' });
    link.send(link.funder.reestablish());
    link.deliverToFundee();
    expect(link.toFunder.map((m) => m.type)).toEqual(['channel_reestablish', 'revoke_and_ack', 'commitment_signed']);
    link.run();
    expect(link.funder.preimages.size).toBe(1);
    inSync(link);
  });

  it('our shutdown; and closing_signed negotiation restarts', () => {
    const link = new Link();
    link.establish();
    link.offer(20_000_000n);
    link.run();
    link.step({ kind: 'shutdown' });
    link.disconnect(); // our shutdown is lost
    link.reconnect();
    expect(link.funder.fundeeShutdownScript).toBeDefined();
    expect(link.channel.phase).toBe('negotiating_closing');
    // A fee below our floor: we counter; the counter is lost.
    link.send(link.funder.closingSigned(50n));
    link.deliverToFundee();
    expect(link.channel.session.lastSentClosingFee).toBeGreaterThan(50n);
    link.disconnect();
    link.reconnect();
    expect(link.channel.session.lastSentClosingFee).toBeUndefined();
    link.send(link.funder.closingSigned(2000n));
    link.run();
    expect(link.channel.phase).toBe('closed');
    expect(link.effectsOf('mutual_close')[0]!.feeSatoshis).toBe(2000n);
  });

  it('after the close: a lost final closing_signed is answered again after their reestablish', () => {
    const link = new Link();
    link.establish();
    link.offer(20_000_000n);
    link.run();
    link.send(link.funder.shutdown());
    link.run();
    link.send(link.funder.closingSigned(1500n));
    link.deliverToFundee();
    expect(link.channel.phase).toBe('closed');
    link.disconnect(); // our closing_signed is lost
    link.down = false;
    link.step({ kind: 'connected' });
    expect(link.toFunder).toEqual([]); // a closed channel waits for the peer
    link.send(link.funder.reestablish());
    link.run();
    link.send(link.funder.closingSigned(1500n));
    link.run();
    expect(link.funder.closingTx).toBeDefined();
    expect(toHex(link.funder.closingTx!.signed.inputs[0]!.witness[1]!)).not.toBe('');
  });
});

describe('option_data_loss_protect', () => {
  it('a fundee restored from an old backup learns it is behind, fails the channel and must not broadcast', () => {
    const link = new Link();
    link.establish();
    link.offer(1_000_000n);
    link.run();
    const old = link.disk!;
    link.offer(2_000_000n);
    link.run();
    link.offer(3_000_000n);
    link.run();
    link.disk = old;
    link.restart();
    link.reconnect();
    const s = link.state as ChannelState;
    expect(s.phase).toBe('failed');
    expect(s.failure!.broadcastLatestCommitment).toBe(false);
    const [failed] = link.effectsOf('channel_failed');
    expect(failed!.broadcastLatestCommitment).toBe(false);
    expect(failed!.reason).toMatch(/lost channel state/);
    const err = link.log.flatMap((r) => r.result.outbound).find((m) => m.type === 'error');
    expect(err).toBeDefined();
    // The funder, which is ahead, answered our channel_reestablish with an error too.
    expect(link.funder.sentError).toMatch(/next_revocation_number 2/);
    // A failed channel answers a new connection with the error again and ignores the rest.
    link.disconnect();
    link.step({ kind: 'connected' });
    expect(link.log[link.log.length - 1]!.result.outbound.map((m) => m.type)).toEqual(['error']);
  });

  it('a wrong your_last_per_commitment_secret fails the channel (the funder lies)', () => {
    const link = new Link();
    link.establish();
    link.offer(1_000_000n);
    link.run();
    link.disconnect();
    link.reconnect({ funderReestablish: link.funder.reestablish({ lie: 'bad_secret' }) });
    expect(link.channel.phase).toBe('failed');
    expect(link.effectsOf('channel_failed')[0]!.broadcastLatestCommitment).toBe(true);
    expect(link.effectsOf('channel_failed')[0]!.reason).toMatch(/your_last_per_commitment_secret/);
  });

  it('next_commitment_number 0, or one we never reached, fails the channel', () => {
    for (const n of [0n, 5n]) {
      const link = new Link();
      link.establish();
      link.disconnect();
      const re = link.funder.reestablish();
      link.reconnect({ funderReestablish: { ...re, nextCommitmentNumber: n } });
      expect(link.channel.phase).toBe('failed');
      expect(link.effectsOf('channel_failed')[0]!.reason).toMatch(/next_commitment_number/);
    }
  });

  it('messages before their channel_reestablish are ignored', () => {
    const link = new Link();
    link.establish();
    link.disconnect();
    link.down = false;
    link.step({ kind: 'connected' });
    const add = link.funder.addHtlc(1_000_000n, new Uint8Array(32).fill(1));
    const r = link.step({ kind: 'message', msg: add as ChannelWireMessage });
    expect(r.effects).toEqual([{ kind: 'log', level: 'warn', message: 'ignored update_add_htlc before channel_reestablish' }]);
    expect(link.channel.remoteChanges.proposed).toEqual([]);
  });
});
