// Property (fixed seed, test/setup.ts; FC_SEED explores): random interleavings of what a funder
// and the network can do — HTLCs of any size (dust included) for known and unknown invoices, fee
// updates, signing at any time, messages delivered one at a time in either direction, disconnects,
// and restarts of the fundee from its last persisted state — always settle to: both sides' views of
// both commitments equal, every known invoice paid and every unknown one failed (and those marked
// for dust exposure), balances conserved,
// no warning or error ever sent.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pendingHtlcDecisions } from '../../src/channel/index.ts';
import { Link } from './funder-model.ts';

type Action =
  | { kind: 'offer'; amountMsat: bigint; known: boolean; sign: boolean }
  | { kind: 'fee'; feeratePerKw: number }
  | { kind: 'sign' }
  | { kind: 'deliver'; toFundee: boolean; n: number }
  | { kind: 'run' }
  | { kind: 'disconnect' }
  | { kind: 'restart' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('offer' as const), amountMsat: fc.constantFrom(400_000n, 1_000_000n, 2_500_000n, 7_000_000n, 33_333_333n), known: fc.boolean(), sign: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fee' as const), feeratePerKw: fc.integer({ min: 253, max: 8000 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'sign' as const }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('deliver' as const), toFundee: fc.boolean(), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'run' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'disconnect' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

function settle(link: Link): void {
  if (link.down) link.reconnect();
  for (let i = 0; i < 10; i++) {
    link.run();
    for (const d of pendingHtlcDecisions(link.channel)) link.step(link.decide(d.htlc.paymentHash, d.htlc.id, d.mustFail !== undefined));
    link.run();
    if (link.funder.hasPending() && link.funder.theirNextPoint !== undefined) link.send(link.funder.sign());
    else if (link.toFundee.length === 0 && link.toFunder.length === 0) return;
  }
}

describe('random interleavings settle correctly', () => {
  it('offers, fees, signing, partial delivery, disconnects and restarts', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 24 }), (actions) => {
        const link = new Link();
        link.establish();
        const offered: { amountMsat: bigint; known: boolean; hash: string }[] = [];
        for (const a of actions) {
          switch (a.kind) {
            case 'offer':
              if (link.down || offered.length >= 12) break;
              {
                const p = link.offer(a.amountMsat, { known: a.known, sign: a.sign && link.funder.theirNextPoint !== undefined });
                offered.push({ amountMsat: a.amountMsat, known: a.known, hash: Buffer.from(p.paymentHash).toString('hex') });
              }
              break;
            case 'fee':
              if (!link.down) link.send(link.funder.updateFee(a.feeratePerKw));
              break;
            case 'sign':
              if (!link.down && link.funder.hasPending() && link.funder.theirNextPoint !== undefined) link.send(link.funder.sign());
              break;
            case 'deliver':
              if (a.toFundee) link.deliverToFundee(a.n);
              else link.deliverToFunder(a.n);
              break;
            case 'run':
              if (!link.down) link.run();
              break;
            case 'disconnect':
              link.disconnect();
              link.reconnect();
              break;
            case 'restart':
              link.restart();
              link.reconnect();
              break;
          }
        }
        settle(link);
        const s = link.channel;
        const f = link.funder;
        // Both views of both commitments agree.
        expect(s.localCommit.index).toBe(f.fundeeCommit.index);
        expect(s.remoteCommit.index).toBe(f.funderCommit.index);
        expect(s.localCommit.spec.toUsMsat).toBe(f.fundeeCommit.spec.fundeeMsat);
        expect(s.remoteCommit.spec.toUsMsat).toBe(f.funderCommit.spec.fundeeMsat);
        expect(s.localCommit.spec.feeratePerKw).toBe(f.fundeeCommit.spec.feeratePerKw);
        // Settled: nothing left on either commitment, every known invoice paid, the rest failed.
        expect(s.htlcs).toEqual([]);
        expect(s.localCommit.spec.htlcs).toEqual([]);
        // An HTLC marked mustFail (dust beyond max_dust_htlc_exposure_msat) is failed even when known.
        const marked = new Set(link.effectsOf('htlc_irrevocably_committed').filter((e) => e.mustFail !== undefined).map((e) => Buffer.from(e.htlc.paymentHash).toString('hex')));
        const paid = offered.filter((o) => o.known && !marked.has(o.hash));
        expect(f.preimages.size).toBe(paid.length);
        for (const o of paid) expect(f.preimages.has(o.hash)).toBe(true);
        expect(f.failed.size).toBe(offered.length - paid.length);
        // Balances conserved: we hold exactly what was paid.
        const sum = paid.reduce((t, o) => t + o.amountMsat, 0n);
        expect(s.localCommit.spec.toUsMsat).toBe(sum);
        expect(s.localCommit.spec.toUsMsat + s.localCommit.spec.toThemMsat).toBe(s.fundingSatoshis * 1000n);
        // No fault on the way.
        expect(link.effectsOf('channel_failed')).toEqual([]);
        expect(link.effectsOf('disconnect')).toEqual([]);
        expect(link.log.flatMap((r) => r.result.outbound).filter((m) => m.type === 'warning' || m.type === 'error')).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
