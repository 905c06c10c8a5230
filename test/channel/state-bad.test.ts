// Bad funders and bad commands: each gets the answer BOLT 2 names (an error that fails the channel,
// or a warning and a disconnect that reverses uncommitted updates), the channel survives where it
// should, and nothing committed is lost. Also our own commands refused (fulfil before the HTLC is
// irrevocable, a wrong preimage, …) and open_channel refused with a clear error.
import { describe, expect, it } from 'vitest';
import { applyDisconnect, channelStep, serializeChannelState, type ChannelState } from '../../src/channel/index.ts';
import { featuresFromBits, type ChannelWireMessage } from '../../src/wire/index.ts';
import { utf8, toHex } from '../../src/util/bytes.ts';
import { sha256 } from '../../src/crypto/index.ts';
import { Link, STATIC_REMOTEKEY_TYPE, type FunderOptions } from './funder-model.ts';


function lastOutbound(link: Link): ChannelWireMessage[] {
  return link.log[link.log.length - 1]!.result.outbound;
}

function text(m: ChannelWireMessage | undefined): string {
  return m !== undefined && 'data' in m ? utf8.decode(m.data) : '';
}

/** The step answered with a warning and a disconnect; the channel state is the one before, disconnected. */
function expectWarning(link: Link, before: ChannelState, pattern: RegExp): void {
  const r = link.log[link.log.length - 1]!.result;
  expect(r.outbound.map((m) => m.type)).toEqual(['warning']);
  expect(text(r.outbound[0])).toMatch(pattern);
  expect(r.effects.some((e) => e.kind === 'disconnect')).toBe(true);
  expect(r.effects.some((e) => e.kind === 'persist')).toBe(false);
  expect(link.channel).toEqual(applyDisconnect(before));
}

/** The step failed the channel with an error (stored first). */
function expectError(link: Link, pattern: RegExp): void {
  const r = link.log[link.log.length - 1]!.result;
  expect(r.outbound.map((m) => m.type)).toEqual(['error']);
  expect(text(r.outbound[0])).toMatch(pattern);
  expect(r.effects[0]).toEqual({ kind: 'persist', reasons: ['failed'] });
  expect(link.channel.phase).toBe('failed');
  expect(link.effectsOf('channel_failed')[0]!.broadcastLatestCommitment).toBe(true);
}

/** After a warning: reconnect, and a good payment goes through (the channel survived). */
function survives(link: Link): void {
  // The funder forgets the update we refused (a well-behaved peer would not send it again).
  link.funder.local.proposed = [];
  link.funder.nextHtlcId = link.channel.nextRemoteHtlcId;
  link.down = true;
  link.funder.disconnect();
  link.reconnect();
  const before = link.channel.localCommit.spec.toUsMsat;
  link.offer(1_000_000n);
  link.run();
  expect(link.channel.localCommit.spec.toUsMsat).toBe(before + 1_000_000n);
  expect(link.channel.phase).toBe('normal');
}

describe('open_channel refused with a clear error, nothing kept', () => {
  const cases: [string, FunderOptions, RegExp, { trust?: boolean }?][] = [
    ['an untrusted funder (no chain backend yet)', {}, /only from funders it trusts \(--trust-funder\)/, { trust: false }],
    ['announce_channel', { channelFlags: 1 }, /public channels \(announce_channel\) are not accepted yet/],
    ['option_anchors', { channelType: featuresFromBits([12, 22]) }, /option_anchors channels are not accepted/],
    ['no channel_type', { channelType: null }, /no channel_type/],
    ['an unknown channel_type bit', { channelType: featuresFromBits([12, 44]) }, /bits we do not support: 44/],
    ['dust limit 353', { dustLimitSatoshis: 353n }, /dust_limit_satoshis 353 is smaller than 354/],
    ['dust limit 547', { dustLimitSatoshis: 547n }, /dust_limit_satoshis 547 is above 546/],
    ['to_self_delay 2017', { toSelfDelay: 2017 }, /to_self_delay 2017 is above 2016/],
    ['max_accepted_htlcs 484', { maxAcceptedHtlcs: 484 }, /max_accepted_htlcs 484 is greater than 483/],
    ['push_msat above the funding', { pushMsat: 1_000_000_001n }, /push_msat is greater than funding_satoshis \* 1000/],
    ['another chain', { chainHash: new Uint8Array(32).fill(1) }, /chain_hash/],
    ['a feerate too low', { feeratePerKw: 252 }, /feerate_per_kw 252 is outside/],
    ['a feerate too high', { feeratePerKw: 100_001 }, /feerate_per_kw 100001 is outside/],
    ['a funder that cannot pay the first fee', { pushMsat: 999_500_000n }, /cannot pay the fee of the first commitment/],
    ['reserve below its dust limit', { channelReserveSatoshis: 500n }, /dust_limit_satoshis is greater than channel_reserve_satoshis/],
    ['funding ≥ 2^24 without large channels', { fundingSatoshis: 1n << 24n }, /2\^24/],
    ['a tiny channel', { fundingSatoshis: 5_000n, channelReserveSatoshis: 546n }, /below our minimum/],
  ];
  for (const [name, funder, pattern, extra] of cases) {
    it(name, () => {
      const link = new Link({ funder, ...(extra ?? {}) });
      const r = link.open();
      expect(r.refused).toMatch(pattern);
      expect(r.outbound.map((m) => m.type)).toEqual(['error']);
      expect(toHex((r.outbound[0] as { channelId: Uint8Array }).channelId)).toBe(toHex(link.funder.temporaryChannelId));
      expect(r.effects.map((e) => e.kind)).toEqual(['forget']);
      expect(link.state).toBeUndefined();
    });
  }
  it('an invalid point', () => {
    const link = new Link();
    const msg = link.funder.openChannel();
    const bad = { ...msg, htlcBasepoint: Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)) };
    link.funder.openChannel = () => bad;
    expect(link.open().refused).toMatch(/htlc_basepoint is not a valid secp256k1 point/);
  });
  it('a funder trusted by configuration "all" is accepted', () => {
    const link = new Link({ trust: false, config: { trustedFunders: 'all' } });
    expect(link.open().refused).toBeUndefined();
  });
  it('a plain static_remotekey type from a trusted funder is accepted (minimum_depth 0)', () => {
    const link = new Link({ funder: { channelType: STATIC_REMOTEKEY_TYPE } });
    link.establish();
    expect(link.channel.phase).toBe('normal');
  });
});

describe('funding_created', () => {
  it('a bad signature: error, nothing stored', () => {
    const link = new Link();
    link.open();
    link.deliverToFunder();
    link.send(link.funder.fundingCreated({ badSignature: true }));
    link.deliverToFundee();
    const r = link.log[link.log.length - 1]!;
    expect(r.result.outbound.map((m) => m.type)).toEqual(['error']);
    expect(text(r.result.outbound[0])).toMatch(/signature is not valid for our first commitment/);
    expect(r.persisted).toEqual([]);
    expect(link.disk).toBeUndefined();
    expect(r.result.effects.map((e) => e.kind)).toEqual(['forget']);
  });
  it('a disconnect before funding_created forgets the channel', () => {
    const link = new Link();
    link.open();
    link.step({ kind: 'disconnected' });
    expect(link.effectsOf('forget').length).toBe(1);
  });
});

describe('commitment_signed that does not verify: warning, disconnect, the channel survives', () => {
  for (const tamper of ['signature', 'htlc_signature', 'htlc_count'] as const) {
    it(tamper, () => {
      const link = new Link();
      link.establish();
      link.send(link.funder.addHtlc(5_000_000n, sha256(Uint8Array.of(1))));
      link.deliverToFundee();
      const before = link.channel;
      link.send(link.funder.sign(tamper));
      link.deliverToFundee();
      const pattern = { signature: /signature is not valid/, htlc_signature: /htlc_signature 0 is not valid/, htlc_count: /num_htlcs 0 is not the 1 HTLC outputs/ }[tamper];
      expectWarning(link, before, pattern);
      // Nothing was committed: the HTLC is gone with the disconnect, the id may be reused.
      expect(link.channel.remoteChanges.proposed).toEqual([]);
      expect(link.channel.nextRemoteHtlcId).toBe(0n);
      survives(link);
    });
  }
});

describe('revoke_and_ack with a wrong secret: error, the channel fails', () => {
  it('a reused revocation secret (the one of an older commitment)', () => {
    const link = new Link();
    link.establish();
    link.offer(1_000_000n);
    link.run();
    // Now an HTLC: the funder answers our commitment_signed with an old secret.
    link.autoDecide = false;
    link.funder.autoSign = false;
    link.send(link.funder.addHtlc(2_000_000n, sha256(Uint8Array.of(2))), link.funder.sign());
    link.deliverToFundee();
    const cs = link.toFunder.find((m) => m.type === 'commitment_signed');
    expect(cs).toBeDefined();
    const reused = link.funder.revoke(link.funder.funderCommit.index, link.funder.secret(link.funder.funderCommit.index - 1n));
    link.send(reused);
    link.deliverToFundee();
    expectError(link, /per_commitment_secret does not generate the per_commitment_point of commitment 2/);
    expect(link.disk).toBeDefined();
  });

  it('secrets not from one shachain seed: refused at the second revocation', () => {
    const link = new Link({ funder: { secrets: 'random' } });
    link.establish();
    link.offer(1_000_000n);
    link.run();
    // The first revocation (index 2^48-1) cannot be checked; the second one must derive it and does not.
    expect(link.channel.phase).toBe('failed');
    expect(link.effectsOf('channel_failed')[0]!.reason).toMatch(/does not derive the stored secret 281474976710655: not from the same seed/);
  });

  it('a revoke_and_ack nobody asked for', () => {
    const link = new Link();
    link.establish();
    link.send(link.funder.revoke(0n));
    link.deliverToFundee();
    expectError(link, /revoke_and_ack without a commitment_signed of ours/);
  });
});

describe('update_add_htlc out of bounds: warning, disconnect, the channel survives', () => {
  const cases: [string, (link: Link) => ChannelWireMessage[], RegExp, LinkOpts?][] = [
    ['amount 0', (l) => [l.funder.addHtlc(0n, sha256(Uint8Array.of(1)))], /amount_msat 0 is below our htlc_minimum_msat 1/],
    ['below our htlc_minimum_msat', (l) => [l.funder.addHtlc(999n, sha256(Uint8Array.of(1)))], /amount_msat 999 is below our htlc_minimum_msat 1000/, { config: { htlcMinimumMsat: 1000n } }],
    ['more than the funder has', (l) => [l.funder.addHtlc(1_000_000_001n, sha256(Uint8Array.of(1)))], /more than the sender's balance/],
    ['over max_htlc_value_in_flight_msat', (l) => [l.funder.addHtlc(600_000_000n, sha256(Uint8Array.of(1)))], /in flight is more than our max_htlc_value_in_flight_msat/, { config: { maxHtlcValueInFlightMsat: 500_000_000n } }],
    ['what the funder cannot afford with its reserve', (l) => [l.funder.addHtlc(990_000_000n, sha256(Uint8Array.of(1)))], /the funder cannot afford it/],
    ['cltv_expiry ≥ 500000000', (l) => [l.funder.addHtlc(1_000_000n, sha256(Uint8Array.of(1)), 500_000_000)], /cltv_expiry 500000000 is not below 500000000/],
    ['a wrong id', (l) => [l.funder.addHtlc(1_000_000n, sha256(Uint8Array.of(1)), 800_000, { id: 5n })], /id 5, expected 0/],
    [
      'more than our max_accepted_htlcs',
      (l) => Array.from({ length: 4 }, (_, i) => l.funder.addHtlc(1_000_000n, sha256(Uint8Array.of(i)))),
      /more than our max_accepted_htlcs 3 HTLCs/,
      { config: { maxAcceptedHtlcs: 3 } },
    ],
    ['an update_fulfill_htlc (we never offer HTLCs)', (l) => [{ type: 'update_fulfill_htlc', channelId: l.funder.channelId, id: 0n, paymentPreimage: new Uint8Array(32) }], /not an HTLC we offered/],
  ];
  type LinkOpts = ConstructorParameters<typeof Link>[0];
  for (const [name, make, pattern, opts] of cases) {
    it(name, () => {
      const link = new Link(opts);
      link.establish();
      const msgs = make(link);
      const before = () => link.channel;
      let snapshot = before();
      for (const m of msgs) {
        snapshot = link.channel;
        link.send(m);
        link.deliverToFundee();
      }
      expectWarning(link, snapshot, pattern);
      survives(link);
    });
  }

  it('after their shutdown', () => {
    const link = new Link();
    link.establish();
    link.send(link.funder.shutdown());
    link.run();
    const before = link.channel;
    link.send(link.funder.addHtlc(1_000_000n, sha256(Uint8Array.of(1))));
    link.deliverToFundee();
    expectWarning(link, before, /update_add_htlc after their shutdown/);
  });

  it('a dust HTLC beyond max_dust_htlc_exposure_msat is committed but marked to be failed', () => {
    const link = new Link({ config: { maxDustHtlcExposureMsat: 1_500_000n } });
    link.establish();
    link.autoDecide = false;
    link.offer(1_000_000n, { sign: false });
    link.offer(1_000_000n);
    link.run();
    const marks = link.effectsOf('htlc_irrevocably_committed').map((e) => e.mustFail);
    expect(marks).toEqual([undefined, 'dust_exposure']);
    const second = link.effectsOf('htlc_irrevocably_committed')[1]!.htlc;
    link.step({ kind: 'fulfill', htlcId: second.id, preimage: link.invoices.get(toHex(second.paymentHash))! });
    expect(link.effectsOf('command_refused').at(-1)!.reason).toMatch(/must be failed \(dust_exposure\)/);
  });

  it('a repeated id after a reconnection is ignored when it is the HTLC we have', () => {
    const link = new Link();
    link.establish();
    link.autoDecide = false;
    const p = link.offer(3_000_000n);
    link.run();
    const add = { type: 'update_add_htlc' as const, channelId: link.funder.channelId, id: p.id, amountMsat: 3_000_000n, paymentHash: p.paymentHash, cltvExpiry: 800_000, onionRoutingPacket: new Uint8Array(1366) };
    link.send(add);
    link.deliverToFundee();
    expect(link.log.at(-1)!.result.effects).toEqual([{ kind: 'log', level: 'info', message: 'ignored repeated update_add_htlc 0' }]);
  });
});

describe('update_fee', () => {
  it('one the funder cannot pay: warning, disconnect, the channel survives', () => {
    const link = new Link({ funder: { pushMsat: 985_000_000n, channelReserveSatoshis: 10_000n } });
    link.establish();
    const before = link.channel;
    // 15 000 sat left for the funder, 10 000 of it the reserve we asked: 20 000 sat/kw costs 14 480.
    link.send(link.funder.updateFee(20_000));
    link.deliverToFundee();
    expectWarning(link, before, /the funder cannot afford feerate_per_kw 20000/);
    link.funder.local.proposed = [];
    link.down = true;
    link.funder.disconnect();
    link.reconnect();
    link.send(link.funder.updateFee(3000), link.funder.sign());
    link.run();
    expect(link.channel.localCommit.spec.feeratePerKw).toBe(3000);
  });
  it('update_fee after update_fee, and commitments while we wait for their revoke_and_ack: the state stays bounded', () => {
    const link = new Link();
    link.establish();
    link.autoDecide = false;
    link.offer(5_000_000n);
    link.run();
    // Our fulfil and commitment_signed are lost; the funder never revokes that commitment but keeps
    // sending fee updates and commitments (and takes our revocations).
    link.step({ kind: 'fulfill', htlcId: 0n, preimage: [...link.invoices.values()][0]! });
    link.toFunder = [];
    link.funder.autoSign = false;
    for (let i = 0; i < 100; i++) {
      for (let j = 0; j < 5; j++) link.send(link.funder.updateFee(1000 + i * 5 + j));
      link.send(link.funder.sign());
      link.deliverToFundee();
      expect(link.toFunder.map((m) => m.type)).toEqual(['revoke_and_ack']);
      link.deliverToFunder();
    }
    const s = link.channel;
    expect(s.nextRemote).toBeDefined();
    expect(s.remoteChanges.proposed).toEqual([]);
    expect(s.remoteChanges.acked).toEqual([{ kind: 'fee', feeratePerKw: 1499 }]);
    expect(s.localCommit.spec.feeratePerKw).toBe(1499);
    expect(serializeChannelState(s).length).toBeLessThan(20_000);
  });

  it('too low or too high', () => {
    for (const f of [252, 100_001]) {
      const link = new Link();
      link.establish();
      const before = link.channel;
      link.send(link.funder.updateFee(f));
      link.deliverToFundee();
      expectWarning(link, before, new RegExp(`feerate_per_kw ${f} is outside 253..100000`));
    }
  });
});

describe('shutdown and closing_signed', () => {
  it('a scriptpubkey that is not P2WPKH/P2WSH/segwit: warning', () => {
    const link = new Link();
    link.establish();
    const before = link.channel;
    link.send(link.funder.shutdown(Uint8Array.of(0x76, 0xa9, 0x14, ...new Uint8Array(20), 0x88, 0xac)));
    link.deliverToFundee();
    expectWarning(link, before, /scriptpubkey is not P2WPKH, P2WSH/);
  });
  it('a script that is not the upfront_shutdown_script: warning', () => {
    const upfront = Uint8Array.of(0, 20, ...new Uint8Array(20).fill(9));
    const link = new Link({ funder: { upfrontShutdownScript: upfront } });
    link.establish();
    const before = link.channel;
    link.send(link.funder.shutdown());
    link.deliverToFundee();
    expectWarning(link, before, /not the upfront_shutdown_script/);
  });
  it('a closing_signed signature that does not verify: warning; closing_signed too early: warning', () => {
    const link = new Link();
    link.establish();
    link.send(link.funder.shutdown());
    link.run();
    const before = link.channel;
    link.send(link.funder.closingSigned(1000n, undefined, { badSignature: true }));
    link.deliverToFundee();
    expectWarning(link, before, /closing_signed: signature is not valid/);
    const l2 = new Link();
    l2.establish();
    const b2 = l2.channel;
    l2.send({ type: 'closing_signed', channelId: l2.funder.channelId, feeSatoshis: 1n, signature: new Uint8Array(64) });
    l2.deliverToFundee();
    expectWarning(l2, b2, /closing_signed before both shutdowns/);
  });
  it('fee_range below our floor: a warning, no agreement', () => {
    const link = new Link();
    link.establish();
    link.send(link.funder.shutdown());
    link.run();
    link.send(link.funder.closingSigned(10n, { minFeeSatoshis: 5n, maxFeeSatoshis: 20n }));
    link.deliverToFundee();
    expect(lastOutbound(link).map((m) => m.type)).toEqual(['warning']);
    expect(link.channel.phase).toBe('negotiating_closing');
  });
});

describe('our commands refused, the state unchanged', () => {
  it('fulfil before irrevocably committed, a wrong preimage, twice, unknown id; fail_malformed without BADONION', () => {
    const link = new Link();
    link.establish();
    link.autoDecide = false;
    const p = link.offer(5_000_000n);
    link.deliverToFundee(); // add + commitment_signed: on our commitment, not yet irrevocable
    const s0 = link.channel;
    const refused = (ev: Parameters<typeof channelStep>[2], pattern: RegExp) => {
      const r = channelStep(link.ctx, link.channel, ev);
      expect(r.outbound).toEqual([]);
      expect(r.effects).toEqual([{ kind: 'command_refused', reason: expect.stringMatching(pattern) }]);
      expect(r.state).toEqual(link.channel);
    };
    refused({ kind: 'fulfill', htlcId: 0n, preimage: p.preimage }, /not irrevocably committed yet/);
    expect(link.channel).toBe(s0);
    link.run();
    refused({ kind: 'fulfill', htlcId: 0n, preimage: new Uint8Array(32) }, /does not hash/);
    refused({ kind: 'fulfill', htlcId: 9n, preimage: p.preimage }, /no HTLC 9/);
    refused({ kind: 'fail_malformed', htlcId: 0n, sha256OfOnion: new Uint8Array(32), failureCode: 0x400f }, /BADONION/);
    link.step({ kind: 'fulfill', htlcId: 0n, preimage: p.preimage });
    refused({ kind: 'fail', htlcId: 0n, reason: new Uint8Array(1) }, /already being fulfilled/);
    link.run();
    expect(link.funder.preimages.size).toBe(1);
  });

  it('a fulfil while disconnected is stored and sent after channel_reestablish', () => {
    const link = new Link();
    link.establish();
    link.autoDecide = false;
    const p = link.offer(5_000_000n);
    link.run();
    link.disconnect();
    const r = link.step({ kind: 'fulfill', htlcId: p.id, preimage: p.preimage });
    expect(r.outbound).toEqual([]);
    expect(r.effects).toEqual([{ kind: 'persist', reasons: ['preimage'] }]);
    link.restart();
    link.reconnect();
    expect(link.funder.preimages.size).toBe(1);
    expect(link.channel.localCommit.spec.toUsMsat).toBe(5_000_000n);
  });

  it('an error for another channel is ignored; an all-zero channel_id means every channel', () => {
    const link = new Link();
    link.establish();
    link.send({ type: 'error', channelId: new Uint8Array(32).fill(5), data: utf8.encode('not yours') });
    link.deliverToFundee();
    expect(link.channel.phase).toBe('normal');
    link.send({ type: 'error', channelId: new Uint8Array(32), data: utf8.encode('all') });
    link.deliverToFundee();
    expect(link.channel.phase).toBe('failed');
  });

  it('a peer error fails the channel (we would broadcast our latest commitment); a fulfil after it keeps the preimage', () => {
    const link = new Link();
    link.establish();
    link.autoDecide = false;
    const p = link.offer(5_000_000n);
    link.run();
    link.send({ type: 'error', channelId: link.funder.channelId, data: utf8.encode('boom') });
    link.deliverToFundee();
    expect(link.channel.phase).toBe('failed');
    expect(link.effectsOf('channel_failed')[0]).toEqual({ kind: 'channel_failed', reason: 'peer error: boom', broadcastLatestCommitment: true });
    const r = link.step({ kind: 'fulfill', htlcId: p.id, preimage: p.preimage });
    expect(r.outbound).toEqual([]);
    expect(link.channel.htlcs[0]!.resolution).toEqual({ kind: 'fulfill', id: p.id, preimage: p.preimage });
  });
});
