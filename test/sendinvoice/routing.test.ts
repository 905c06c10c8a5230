// How sendinvoice reaches a refund's issuer on real sockets: the direct-connect fallback (a payer
// reachable only by its announced address), a path over the gossip graph (clear hops, the reply
// path back along them), and resends when a hop drops the first copy (other paths first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKey } from '../../src/crypto/index.ts';
import { RefundBuilder } from '../../src/bolt12/index.ts';
import { invreqIdOf, REFUND_PATH_PURPOSE } from '../../src/invoicerequest.ts';
import { OnionMessenger, type OnionPeers } from '../../src/onion-message/index.ts';
import { TestNetworkLedger } from '../../src/payments/index.ts';
import { PeerRegistry } from '../../src/transport/index.ts';
import type { Node } from '../../src/node.ts';
import { createLogger } from '../../src/util/log.ts';
import { systemClock } from '../../src/util/clock.ts';
import { CHAIN_HASH } from '../../src/wire/chains.ts';
import { MSG } from '../../src/wire/messages.ts';
import { deterministicRandom } from '../../src/crypto/index.ts';
import { secretOf, signedSet } from '../gossip/fixtures.ts';
import { link, ok, rpc, secretFor, startNode, waitFor } from './net.ts';

const NOW = Math.floor(Date.now() / 1000);

/** A bare forwarding node (registry + messenger) whose messenger never sees the first `drop` onion messages. */
async function relay(name: string, secret: Uint8Array, drop = 0) {
  const logger = createLogger({ level: 'warn', sinks: [] });
  const random = deterministicRandom(`relay ${name}`);
  const reg = new PeerRegistry({ nodeSecret: secret, network: 'regtest', logger, random });
  let dropped = 0;
  const peers: OnionPeers = {
    localFeatures: reg.localFeatures,
    get: (id) => reg.get(id),
    on: (e, l) => reg.on(e, l),
    off: (e, l) => reg.off(e, l),
    onMessage: (type, h) =>
      reg.onMessage(type, (peer, payload) => {
        if (type === MSG.onion_message && dropped < drop) {
          dropped++;
          return;
        }
        h(peer, payload);
      }),
  };
  const om = new OnionMessenger({ nodeSecret: secret, peers, logger, random, clock: systemClock });
  const { port } = await reg.listenTcp('127.0.0.1', 0);
  return { id: publicKey(secret), reg, om, port, dropped: () => dropped, close: async () => (om.close(), await reg.close()) };
}

describe('sendinvoice routing', () => {
  const ledger = new TestNetworkLedger();
  const relays: Awaited<ReturnType<typeof relay>>[] = [];
  afterAll(async () => {
    await Promise.all(relays.map((r) => r.close()));
  });

  it('direct-connect fallback: a payer reachable only by its announced address', async () => {
    const us = await startNode('route-us', { nodeSecret: secretOf('route-dc', 0), payments: { backend: 'testnet-ledger', ledger } });
    const other = await startNode('route-other', { nodeSecret: secretOf('route-dc', 1) });
    const payer = await startNode('route-payer', { nodeSecret: secretOf('route-dc', 2), payments: { backend: 'testnet-ledger', ledger } });
    // We know payer only from gossip (a channel with `other`, and its node_announcement with an address).
    const set = signedSet({ nodes: 3, edges: [[1, 2]], now: NOW, seed: 'route-dc', port: (i) => [us, other, payer][i]!.tcpAddress!.port });
    await us.gossip.ingest(set.messages);
    expect(us.peers.get(payer.nodeId)).toBeUndefined();
    const r = await ok(payer, 'invoicerequest', { amount: 8000, description: 'by address' });
    const got = await ok(us, 'sendinvoice', [r.bolt12, 'dc-1']);
    expect(got).toMatchObject({ status: 'paid', amount_received_msat: 8000 });
    // We connected to deliver it.
    expect(us.peers.get(payer.nodeId)).toBeDefined();
    expect(us.router.openedForOnionMessages()).toEqual([payer.nodeIdHex]);
  });

  it('the same payer with --fetchinvoice-noconnect: 1003 at once, naming the reason, nothing stored', async () => {
    const strict = await startNode('route-strict', { nodeSecret: secretOf('route-nc', 0), fetchinvoiceNoconnect: true, payments: { backend: 'testnet-ledger', ledger } });
    const other = await startNode('route-nc-other', { nodeSecret: secretOf('route-nc', 1) });
    const payer = await startNode('route-nc-payer', { nodeSecret: secretOf('route-nc', 2), payments: { backend: 'testnet-ledger', ledger } });
    const set = signedSet({ nodes: 3, edges: [[1, 2]], now: NOW, seed: 'route-nc', port: (i) => [strict, other, payer][i]!.tcpAddress!.port });
    await strict.gossip.ingest(set.messages);
    const r = await ok(payer, 'invoicerequest', { amount: 8000, description: 'no connect' });
    const t0 = Date.now();
    const a = await rpc(strict, 'sendinvoice', [r.bolt12, 'nc-1']);
    expect(Date.now() - t0).toBeLessThan(300);
    expect(a.error).toMatchObject({ code: 1003, message: expect.stringContaining('fetchinvoice-noconnect set: not initiating a new connection') });
    expect(strict.invoices.get('nc-1')).toBeUndefined();
    expect(strict.peers.get(payer.nodeId)).toBeUndefined();
  });

  it('a path over the gossip graph: clear hops to the payer, and its answer comes back the same way', async () => {
    // us — hop — payer (backend none, so it answers with an invoice_error over our reply path).
    const us = await startNode('route-path-us', { nodeSecret: secretOf('route-p', 0), payments: { backend: 'testnet-ledger', ledger } });
    const hop = await startNode('route-path-hop', { nodeSecret: secretOf('route-p', 1) });
    const payer = await startNode('route-path-payer', { nodeSecret: secretOf('route-p', 2) });
    await link(us, hop);
    await link(hop, payer);
    const set = signedSet({ nodes: 3, edges: [[0, 1], [1, 2]], now: NOW, seed: 'route-p', port: (i) => [us, hop, payer][i]!.tcpAddress!.port });
    await us.gossip.ingest(set.messages);
    const r = await ok(payer, 'invoicerequest', { amount: 1000, description: 'far' });
    const a = await rpc(us, 'sendinvoice', { invreq: r.bolt12, label: 'path-1', timeout: 20 });
    expect(a.error).toMatchObject({ code: 1004, data: { error: expect.stringMatching(/^Cannot pay/) } });
    // No direct connection was made; the hop forwarded both ways.
    expect(us.peers.get(payer.nodeId)).toBeUndefined();
    expect(hop.messenger.stats().forwarded).toBeGreaterThanOrEqual(2);
  });

  describe('resends', () => {
    let us: Node;
    let payer: Node;
    beforeAll(async () => {
      us = await startNode('resend-us', { payments: { backend: 'testnet-ledger', ledger }, sendinvoice: { resendAfterSec: 1 } });
      payer = await startNode('resend-payer', { payments: { backend: 'testnet-ledger', ledger } });
    });

    /** A refund of `payer` whose paths start at the given relays (each connected to us and to payer). */
    async function refundVia(intros: Uint8Array[]): Promise<string> {
      const metadata = crypto.getRandomValues(new Uint8Array(16));
      const paths = intros.map((id) => payer.messenger.createReplyPath(metadata, { purpose: REFUND_PATH_PURPOSE, via: [{ nodeId: id }] }));
      const refund = new RefundBuilder({
        nodeSecret: secretFor('resend-payer'),
        random: (n) => crypto.getRandomValues(new Uint8Array(n)),
        metadata,
        amountMsat: 3300n,
        description: 'two ways in',
        chain: CHAIN_HASH.regtest,
        paths,
        signed: true,
      }).build();
      await payer.refunds.createInvoiceRequest({ invreqId: invreqIdOf(refund.records), bolt12: refund.toString(), amountMsat: 3300n, singleUse: true });
      return refund.toString();
    }

    async function relayBetween(name: string, drop: number) {
      const r = await relay(name, secretOf('resend', relays.length + 10), drop);
      relays.push(r);
      await us.connect(r.id, '127.0.0.1', r.port);
      await payer.connect(r.id, '127.0.0.1', r.port);
      await waitFor(() => !!r.reg.get(us.nodeId) && !!r.reg.get(payer.nodeId));
      return r;
    }

    it('the first copy is dropped by the hop: the resend over the same path gets through', async () => {
      const h = await relayBetween('lossy', 1);
      const lnr = await refundVia([h.id]);
      const t0 = Date.now();
      const got = await ok(us, 'sendinvoice', [lnr, 'resend-1']);
      expect(got.status).toBe('paid');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // after one resend interval
      expect(h.dropped()).toBe(1);
      expect(h.om.stats().forwarded).toBe(1);
    });

    it('two paths: the resend takes the other path first', async () => {
      const bad = await relayBetween('black hole', 1000);
      const good = await relayBetween('fine', 0);
      const lnr = await refundVia([bad.id, good.id]);
      const copies: string[] = [];
      const rec = await us.sendInvoice({ invreq: lnr, label: 'resend-2', timeout: 20, onProgress: (e) => void (e.kind === 'sent' && copies.push(e.firstHop)) });
      expect(rec.status).toBe('paid');
      expect(copies).toEqual([Buffer.from(bad.id).toString('hex'), Buffer.from(good.id).toString('hex')]);
      expect(bad.dropped()).toBe(1);
      expect(good.om.stats().forwarded).toBe(1);
    });

    it('bounded: a path that drops everything gets at most maxSends copies, then 1005', async () => {
      const hole = await relayBetween('hole', 1000);
      const lnr = await refundVia([hole.id]);
      const a = await rpc(us, 'sendinvoice', { invreq: lnr, label: 'resend-3', timeout: 9 });
      expect(a.error?.code).toBe(1005);
      // Copies at 0, 1, 3 and 7 s: four in all (the default bound).
      expect(hole.dropped()).toBe(4);
    });
  });
});
