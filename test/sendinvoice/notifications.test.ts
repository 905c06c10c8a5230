// sendinvoice's progress reaches the caller as Core Lightning `message` notifications (what
// lightning-cli prints with -N info) before its result: stored, sent via which path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testnet } from '../../src/testnet/testnet.ts';

describe('sendinvoice progress notifications', () => {
  let net: Testnet;
  beforeAll(async () => {
    net = await Testnet.create({ nodes: 2, topology: 'line', gossip: true, payments: 'ledger' });
  });
  afterAll(async () => {
    await net?.stop();
  });

  it('stored, then sent, then the paid result', async () => {
    const [alice, bob] = net.nodes as [(typeof net.nodes)[0], (typeof net.nodes)[0]];
    const refund = await alice.invoicerequest({ amount: 5_000, description: 'progress', label: 'p-1' });
    const notes: string[] = [];
    const paid = await bob.sendinvoice({ invreq: refund.bolt12, label: 'p-1', timeout: 30 }, { onNotification: (n) => void ('message' in n && notes.push(n.message)) });
    expect(paid.status).toBe('paid');
    expect(notes.length).toBeGreaterThanOrEqual(2);
    expect(notes[0]).toMatch(/stored under label p-1/);
    expect(notes.some((m) => /invoice sent \(copy 1\)/.test(m))).toBe(true);
  });
});
