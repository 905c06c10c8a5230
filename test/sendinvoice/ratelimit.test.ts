// 30 back-to-back sendinvoice calls to a peer that enforces Core Lightning's onion message limit
// (connectd: 250 ms of credit per message, at most 1 s banked, so 4/s with a burst of 4; excess
// dropped after one "Ratelimited onion_message" warning): all 30 end paid, nothing is dropped.
// Core Lightning's own sendinvoice, which does not pace or resend, loses some of 30 this way
// (measured on loopback: 4 of 30 time out); an unpaced sender without resends here loses some too.
import { describe, expect, it } from 'vitest';
import { TestNetworkLedger } from '../../src/payments/index.ts';
import { link, ok, rpc, startNode } from './net.ts';

/** Core Lightning's inbound policy, in the messenger's terms (warn once per connection). */
const CLN_LIMITS = { inboundRatePerSec: 4, inboundBurst: 4, warnIntervalSec: 1e9 };

describe('sendinvoice against a peer with Core Lightning\'s rate limit', () => {
  it('30 back-to-back calls, paced below the limit: all paid, none dropped', async () => {
    const ledger = new TestNetworkLedger();
    const us = await startNode('rl-us', { payments: { backend: 'testnet-ledger', ledger } });
    const cln = await startNode('rl-cln', { payments: { backend: 'testnet-ledger', ledger }, onionMessageLimits: CLN_LIMITS });
    await link(us, cln);
    const refunds = await Promise.all(Array.from({ length: 30 }, (_, i) => ok(cln, 'invoicerequest', { amount: 1000 + i, description: `rl ${i}` })));
    const t0 = Date.now();
    const answers = await Promise.all(refunds.map((r, i) => rpc(us, 'sendinvoice', { invreq: r.bolt12, label: `rl-${i}`, timeout: 60 })));
    const ms = Date.now() - t0;
    expect(answers.map((a) => a.error?.code ?? a.result.status)).toEqual(Array(30).fill('paid'));
    expect(answers.map((a) => a.result.amount_received_msat)).toEqual(refunds.map((_, i) => 1000 + i));
    const s = cln.messenger.stats();
    expect(s.dropped['rate_limited'] ?? 0).toBe(0);
    expect(s.warningsSent).toBe(0);
    // Paced at one per 300 ms (burst 2): about 9 s for 30.
    expect(ms).toBeGreaterThan(7_000);
    expect(ms).toBeLessThan(20_000);
  });

  it('the limit is real: an unpaced sender that does not resend loses calls to it (1005), after one warning', async () => {
    const ledger = new TestNetworkLedger();
    const fast = await startNode('rl-fast', {
      payments: { backend: 'testnet-ledger', ledger },
      onionMessageLimits: { outboundRatePerSec: 1000, outboundBurst: 100 },
      sendinvoice: { maxSends: 1 },
    });
    const cln = await startNode('rl-cln2', { payments: { backend: 'testnet-ledger', ledger }, onionMessageLimits: CLN_LIMITS });
    await link(fast, cln);
    const refunds = await Promise.all(Array.from({ length: 30 }, (_, i) => ok(cln, 'invoicerequest', { amount: 1000, description: `x ${i}` })));
    const answers = await Promise.all(refunds.map((r, i) => rpc(fast, 'sendinvoice', { invreq: r.bolt12, label: `x-${i}`, timeout: 4 })));
    const lost = answers.filter((a) => a.error?.code === 1005).length;
    const paid = answers.filter((a) => a.result?.status === 'paid').length;
    expect(lost + paid).toBe(30);
    expect(lost).toBeGreaterThan(0);
    const s = cln.messenger.stats();
    expect(s.dropped['rate_limited']).toBe(lost);
    expect(s.warningsSent).toBe(1);
  });
});
