// In-process test networks (src/testnet/testnet.ts): each topology connects and syncs by real
// gossip (a node starts with its own channels only and learns the rest from its peers), path
// finding sees the topology, and stop() leaves nothing behind (listeners, directories, timers).
import { afterEach, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import { existsSync } from 'node:fs';
import { Testnet } from '../../src/testnet/testnet.ts';
import { parseTopology, topologyEdges, TopologyError } from '../../src/testnet/topology.ts';

const nets: Testnet[] = [];
afterEach(async () => {
  await Promise.all(nets.splice(0).map((n) => n.stop()));
});
async function create(opts: Parameters<typeof Testnet.create>[0]): Promise<Testnet> {
  const n = await Testnet.create(opts);
  nets.push(n);
  return n;
}

function refused(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), r(false)));
    s.once('error', () => r(true));
  });
}

describe('topologies', () => {
  it('edges of line, star, mesh and custom lists; bad ones refused with a reason', () => {
    expect(topologyEdges(4, 'line')).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect(topologyEdges(4, 'star')).toEqual([[0, 1], [0, 2], [0, 3]]);
    expect(topologyEdges(3, 'mesh')).toEqual([[0, 1], [0, 2], [1, 2]]);
    expect(topologyEdges(3, [[2, 0], [1, 2]])).toEqual([[0, 2], [1, 2]]);
    expect(topologyEdges(1, 'line')).toEqual([]);
    expect(() => topologyEdges(3, [[0, 3]])).toThrow(/node index 3 is not between 0 and 2/);
    expect(() => topologyEdges(3, [[1, 1]])).toThrow(/its own peer/);
    expect(() => topologyEdges(3, [[0, 1], [1, 0]])).toThrow(/given twice/);
    expect(() => topologyEdges(0, 'line')).toThrow(TopologyError);
    expect(() => topologyEdges(3, 'ring' as never)).toThrow(/should be 'line', 'star', 'mesh'/);
    expect(parseTopology('0-1, 1-2')).toEqual([[0, 1], [1, 2]]);
    expect(() => parseTopology('0-1,x')).toThrow(/not an edge/);
  });

  for (const [name, n, topology] of [
    ['line', 5, 'line'],
    ['star', 5, 'star'],
    ['mesh', 4, 'mesh'],
    ['custom', 5, [[0, 1], [1, 2], [2, 0], [2, 3], [3, 4]]],
  ] as const) {
    it(`${name}: every node connected to its neighbours and knowing the whole graph by gossip`, async () => {
      const net = await create({ nodes: n, topology: topology as never, gossip: true });
      expect(net.missing()).toEqual([]);
      const edges = topologyEdges(n, topology as never);
      for (const [i, node] of net.nodes.entries()) {
        const peers = (await node.listpeers()).peers.map((p) => p.id).sort();
        const want = edges.filter((e) => e.includes(i)).map(([a, b]) => net.nodes[a === i ? b : a]!.nodeIdHex).sort();
        expect(peers, `node ${i}`).toEqual(want);
        expect((await node.listchannels()).channels).toHaveLength(2 * edges.length);
        expect((await node.listnodes()).nodes.filter((x) => x.alias !== undefined)).toHaveLength(n);
        expect((await node.getinfo()).gossip.synced).toBe(true);
      }
      // Learned, not given: node i was handed only its own channels; the others came from peers.
      const far = edges.findIndex((e) => !e.includes(0));
      if (far >= 0) expect(net.nodes[0]!.gossip.stats().accepted.channel_announcement).toBeGreaterThan(edges.filter((e) => e.includes(0)).length);
      // Path finding over the graph: node 0 to the last node, through the topology's nodes.
      const route = await net.nodes[0]!.getonionpath({ id: net.nodes[n - 1]!.nodeIdHex });
      expect(route.route).toBe('path');
    });
  }

  it('a custom topology in two parts: each part syncs by itself', async () => {
    const net = await create({ nodes: 4, topology: [[0, 1], [2, 3]] });
    expect((await net.nodes[0]!.listchannels()).channels).toHaveLength(2);
    expect((await net.nodes[3]!.listnodes()).nodes.map((x) => x.nodeid).sort()).toEqual([net.nodes[2]!.nodeIdHex, net.nodes[3]!.nodeIdHex].sort());
  });

  it('without gossip: peers only, nothing announced', async () => {
    const net = await create({ nodes: 3, topology: 'line', gossip: false, payments: 'none' });
    expect(net.announced).toBeUndefined();
    expect(net.ledger).toBeUndefined();
    expect((await net.nodes[1]!.listpeers()).peers).toHaveLength(2);
    expect((await net.nodes[1]!.listchannels()).channels).toEqual([]);
    expect((await net.nodes[0]!.getinfo()).payment_backend).toBe('none');
  });
});

describe('stop()', () => {
  it('closes every listener and connection, removes its temporary datadirs, and leaves no timers', async () => {
    const kinds = () => {
      const c: Record<string, number> = {};
      for (const k of process.getActiveResourcesInfo()) c[k] = (c[k] ?? 0) + 1;
      return c;
    };
    const before = kinds();
    const net = await Testnet.create({ nodes: 3, topology: 'mesh', datadir: true });
    const dirs = net.nodes.map((x) => x.config.datadir!);
    const ports = net.nodes.map((x) => x.tcpAddress!.port);
    expect(dirs.every((d) => existsSync(d))).toBe(true);
    expect((await net.nodes[0]!.getinfo())['lightning-dir']).toBe(`${dirs[0]}/regtest`);
    await net.stop();
    await net.stop(); // idempotent
    expect(net.nodes.every((x) => x.isStopped)).toBe(true);
    expect(dirs.some((d) => existsSync(d))).toBe(false);
    for (const p of ports) expect(await refused(p)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const after = kinds();
    for (const k of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout']) expect(after[k] ?? 0, k).toBeLessThanOrEqual(before[k] ?? 0);
  });

  it('a network that cannot get ready in time is stopped and says what is missing', async () => {
    const servers = () => process.getActiveResourcesInfo().filter((k) => k === 'TCPServerWrap').length;
    const before = servers();
    // Node 0 may hold 2 channels: in a line of 4 (3 channels) it never knows the whole graph.
    await expect(Testnet.create({ nodes: 4, topology: 'line', timeoutMs: 1500, nodeOptions: (i) => (i === 0 ? { graphLimits: { maxChannels: 2 } } : {}) })).rejects.toThrow(
      /not ready within 1500 ms: node 0 lacks channel/,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(servers()).toBe(before);
  });
});
