// Onion-message routes on real sockets: a path through the gossip graph, the direct-connect
// fallback to a node's announced address (closed again once idle), and a typed "no route" at once
// when connecting is not allowed.
import { afterEach, describe, expect, it } from 'vitest';
import { Node, type NodeOptions } from '../../src/node.ts';
import { NoOnionRouteError } from '../../src/onion-message/index.ts';
import { publicKey } from '../../src/crypto/index.ts';
import { secretOf, signedSet, waitFor } from '../gossip/fixtures.ts';

const NOW = Math.floor(Date.now() / 1000);
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function start(i: number, opts: Partial<NodeOptions> = {}): Promise<Node> {
  const n = await Node.start({ port: 0, logLevel: 'warn', nodeSecret: secretOf('router', i), ...opts });
  nodes.push(n);
  return n;
}

function inbox(n: Node): Uint8Array[] {
  const got: Uint8Array[] = [];
  n.messenger.onMessage(65n, (m) => void got.push(m.contents.value));
  return got;
}

describe('onion-message routes', () => {
  it('a two-hop path through the graph: A → B → C with only A–B connected', async () => {
    const [a, b, c] = [await start(0), await start(1), await start(2)];
    const set = signedSet({ nodes: 3, edges: [[0, 1], [1, 2]], now: NOW, seed: 'router', port: (i) => [a, b, c][i]!.tcpAddress!.port });
    await a.gossip.ingest(set.messages);
    await b.connect(c.nodeId, '127.0.0.1', c.tcpAddress!.port);
    await a.connect(b.nodeId, '127.0.0.1', b.tcpAddress!.port);
    const got = inbox(c);
    const d = a.router.decide(c.nodeId);
    expect(d.kind).toBe('path');
    const r = await a.router.route(c.nodeId);
    expect(r.how).toBe('path');
    expect(r.hops.map((h) => Buffer.from(h).toString('hex'))).toEqual([b.nodeIdHex, c.nodeIdHex]);
    a.messenger.send({ nodeId: c.nodeId }, { type: 65n, value: Uint8Array.of(1, 2, 3) }, { via: r.via });
    await waitFor(() => got.length === 1);
    expect([...got[0]!]).toEqual([1, 2, 3]);
    expect(a.peers.get(c.nodeId)).toBeUndefined(); // no direct connection was needed
  });

  it('no path: connects to the announced address, delivers over it, and closes it once idle', async () => {
    const a = await start(0, { onionConnectIdleSeconds: 1 });
    const b = await start(1);
    const c = await start(2);
    // B–C is a channel A knows about, but A is connected to no one: no first hop.
    const set = signedSet({ nodes: 3, edges: [[1, 2]], now: NOW, seed: 'router', port: (i) => [a, b, c][i]!.tcpAddress!.port });
    await a.gossip.ingest(set.messages);
    const d = a.router.decide(c.nodeId);
    expect(d.kind).toBe('connect');
    if (d.kind === 'connect') expect(d.addresses[0]).toMatchObject({ transport: 'tcp', host: '127.0.0.1', port: c.tcpAddress!.port });
    const got = inbox(c);
    const r = await a.router.route(c.nodeId);
    expect(r.how).toBe('connected');
    a.messenger.send({ nodeId: c.nodeId }, { type: 65n, value: Uint8Array.of(9) }, { via: r.via });
    await waitFor(() => got.length === 1);
    expect(a.router.openedForOnionMessages()).toEqual([c.nodeIdHex]);
    // Idle for a second: the connection opened only for this goes away.
    await waitFor(() => a.peers.get(c.nodeId) === undefined, 5000);
    expect(a.router.openedForOnionMessages()).toEqual([]);
  });

  it('no path and --fetchinvoice-noconnect: a typed error at once, nothing connected', async () => {
    const a = await start(0, { fetchinvoiceNoconnect: true });
    const b = await start(1);
    const c = await start(2);
    const set = signedSet({ nodes: 3, edges: [[1, 2]], now: NOW, seed: 'router', port: (i) => [a, b, c][i]!.tcpAddress!.port });
    await a.gossip.ingest(set.messages);
    const t0 = Date.now();
    const err = await a.router.route(c.nodeId).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(100);
    expect(err).toBeInstanceOf(NoOnionRouteError);
    expect(err.reason).toBe('noconnect');
    expect(a.peers.list()).toEqual([]);
    // An unknown node: no path, no addresses.
    const unknown = await a.router.route(publicKey(secretOf('router', 99))).catch((e) => e);
    expect(unknown).toBeInstanceOf(NoOnionRouteError);
  });
});
