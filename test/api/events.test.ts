// A three-node refund paid through the typed API, and the typed events each node emits along the
// way: peers connecting and leaving, the onion messages that carried the invoice, the invoice
// created and paid on the payee, the refund answered on its issuer; and an invoice expiring.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/index.ts';
import { Node, type NodeEvents } from '../../src/rpc/api.ts';
import { Testnet } from '../../src/testnet/testnet.ts';
import { utf8 } from '../../src/util/bytes.ts';

type Seen = Array<{ node: number; event: keyof NodeEvents; e: any }>;

describe('three nodes: invoicerequest → sendinvoice → paid, through the typed API', () => {
  let net: Testnet;
  const seen: Seen = [];
  beforeAll(async () => {
    net = await Testnet.create({ nodes: 3, topology: 'line', gossip: true, payments: 'ledger' });
    const names: Array<keyof NodeEvents> = ['peer_connected', 'peer_disconnected', 'onion_message_received', 'invoice_created', 'invoice_paid', 'invoice_expired', 'invoicerequest_answered'];
    net.nodes.forEach((n, i) => names.forEach((event) => n.on(event, (e) => seen.push({ node: i, event, e }))));
  });
  afterAll(async () => {
    await net?.stop();
  });

  it('pays the refund over a two-hop onion path, with the events to show it', async () => {
    const [alice, bob, carol] = net.nodes as [(typeof net.nodes)[0], (typeof net.nodes)[0], (typeof net.nodes)[0]];
    const refund = await alice.invoicerequest({ amount: 10_000, description: 'Refund for order 42', label: 'order-42' });
    const answered = alice.waitFor('invoicerequest_answered', (e) => e.invreq_id === refund.invreq_id);
    const paid = await carol.sendinvoice({ invreq: refund.bolt12, label: 'refund-42', timeout: 30 });
    expect(paid).toMatchObject({ label: 'refund-42', status: 'paid', amount_msat: 10_000, amount_received_msat: 10_000, pay_index: 1 });
    expect(sha256(Buffer.from(paid.payment_preimage!, 'hex'))).toEqual(new Uint8Array(Buffer.from(paid.payment_hash, 'hex')));
    const a = await answered;
    expect(a).toMatchObject({ outcome: 'paid', payment_hash: paid.payment_hash, payment_preimage: paid.payment_preimage, amount_msat: 10_000 });
    expect((await carol.listinvoices({ label: 'refund-42' })).invoices).toMatchObject([{ status: 'paid' }]);
    expect((await alice.listinvoicerequests({ invreq_id: refund.invreq_id })).invoicerequests).toMatchObject([{ used: true, active: false }]);

    // The invoice went carol → bob → alice over the gossip graph: no direct connection, bob forwarded.
    expect(carol.peers.get(alice.nodeId)).toBeUndefined();
    expect(bob.messenger.stats().forwarded).toBeGreaterThanOrEqual(1);

    const of = (node: number, event: keyof NodeEvents) => seen.filter((s) => s.node === node && s.event === event).map((s) => s.e);
    expect(of(2, 'invoice_created')).toMatchObject([{ invoice: { label: 'refund-42', status: 'unpaid' } }]);
    expect(of(2, 'invoice_paid')).toMatchObject([{ invoice: { label: 'refund-42', status: 'paid', pay_index: 1 } }]);
    // Alice received the invoice (type 66) over her refund's path (purpose invreq), with a reply path.
    expect(of(0, 'onion_message_received')).toContainEqual(expect.objectContaining({ type: 66n, authenticated: true, purpose: 'invreq', reply_path: true }));
    expect(of(0, 'invoicerequest_answered')).toHaveLength(1);
    expect(of(0, 'invoice_created')).toEqual([]);
    expect(ledgerOf(net)).toEqual([{ from: alice.nodeIdHex, to: carol.nodeIdHex, amountMsat: 10_000n }]);
  });

  it('a payment that fails is answered too (payment_failed), and the payee gets 1004', async () => {
    const alice = net.nodes[0]!;
    // A payee outside the ledger (payments none): alice takes its invoice on, the ledger cannot
    // reach it, alice records the failure and answers with an invoice_error.
    const outsider = await Node.start({ port: 0, logLevel: 'error', payments: { backend: 'none' } });
    try {
      await outsider.connect({ id: `${alice.nodeIdHex}@127.0.0.1:${alice.tcpAddress!.port}` });
      const refund = await alice.invoicerequest({ amount: 2000, description: 'will fail' });
      const answered = alice.waitFor('invoicerequest_answered', (e) => e.invreq_id === refund.invreq_id);
      await expect(outsider.sendinvoice({ invreq: refund.bolt12, label: 'out-1', timeout: 20 })).rejects.toMatchObject({ name: 'RpcError', code: 1004 });
      expect(await answered).toMatchObject({ outcome: 'payment_failed', failure: expect.stringContaining('not on this test network') });
      expect(outsider.isStopped).toBe(false);
    } finally {
      await outsider.stop();
    }
  });

  it('peer events: a new connection and a disconnect', async () => {
    const [alice, , carol] = net.nodes;
    const up = carol!.waitFor('peer_connected', (e) => e.id === alice!.nodeIdHex);
    await carol!.connect({ id: `${alice!.nodeIdHex}@127.0.0.1:${alice!.tcpAddress!.port}` });
    expect(await up).toMatchObject({ id: alice!.nodeIdHex, direction: 'out', transport: 'tcp' });
    const down = alice!.waitFor('peer_disconnected', (e) => e.id === carol!.nodeIdHex);
    await carol!.disconnect({ id: alice!.nodeIdHex });
    expect((await down).reason).toEqual(expect.any(String));
  });

  it('stopping a node: its peers hear it leave, and it emits nothing afterwards', async () => {
    const extra = await Node.start({ port: 0, logLevel: 'error' });
    const bob = net.nodes[1]!;
    await extra.connect({ id: `${bob.nodeIdHex}@127.0.0.1:${bob.tcpAddress!.port}` });
    const heard: string[] = [];
    extra.on('peer_disconnected', (e) => heard.push(e.id));
    const left = bob.waitFor('peer_disconnected', (e) => e.id === extra.nodeIdHex);
    expect(await extra.stop()).toEqual({ result: 'Shutdown complete' });
    await left;
    expect(heard).toEqual([bob.nodeIdHex]);
  });

  it('invoice_expired: an unpaid invoice reaching its expiry', async () => {
    const carol = net.nodes[2]!;
    const expired = carol.waitFor('invoice_expired', (e) => e.invoice.label === 'short', { timeoutMs: 5000 });
    const preimage = sha256(utf8.encode('short-lived'));
    await carol.invoices.create({ label: 'short', bolt12: 'lni1qqqq', paymentHash: sha256(preimage), paymentPreimage: preimage, amountMsat: 1n, expiresAt: Math.floor(Date.now() / 1000) + 1 });
    expect(await expired).toMatchObject({ invoice: { label: 'short', status: 'expired' } });
  });
});

function ledgerOf(net: Testnet) {
  return net.ledger!.transfers.map(({ from, to, amountMsat }) => ({ from, to, amountMsat }));
}
