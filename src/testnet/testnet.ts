// In-process test networks: N real nodes (the typed `Node` of src/rpc/api.ts) on 127.0.0.1 in
// this process, peers along a topology, speaking real BOLT 8, real onion messages and real
// gossip.
//
//   const net = await Testnet.create({ nodes: 3, topology: 'line', gossip: true, payments: 'ledger' });
//   const [alice, bob, carol] = net.nodes;
//   const r = await alice.invoicerequest({ amount: 10_000, description: 'refund' });
//   const paid = await carol.sendinvoice({ invreq: r.bolt12, label: 'refund-1' });   // status 'paid'
//   await net.stop();
//
// With `gossip: true` each edge is also an announced channel (src/testnet/gossip.ts: signed with
// the nodes' keys, no funding output behind it) and each node a node_announcement with its
// address; a node starts knowing only its own channels and its neighbours, and learns the rest
// from its peers by BOLT 7 gossip (sync on connect, then relays every 100 ms). `create` resolves
// once every node is connected to its neighbours and its graph holds its whole connected part of
// the network (every channel in both directions, every node announcement) with its initial sync
// done. `payments: 'ledger'` gives the nodes one TestNetworkLedger (src/payments/ledger.ts), so a
// refund's issuer pays the invoices it is sent; `'none'` refuses every payment.
//
// `stop()` stops every node (peers, listeners, stores, timers) and removes the temporary data
// directories it made; nothing is left listening or scheduled.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secureRandom, type RandomSource } from '../crypto/index.ts';
import { TestNetworkLedger } from '../payments/index.ts';
import { Node } from '../rpc/api.ts';
import type { NodeOptions } from '../node.ts';
import { bytesEqual } from '../util/bytes.ts';
import { ownGossip, randomSecret, topologyGossip, type TopologyGossip } from './gossip.ts';
import { components, joiningOrder, topologyEdges, type Topology } from './topology.ts';

export interface TestnetOptions {
  /** How many nodes (default 3). */
  nodes?: number;
  /** Which nodes are peers (default `line`). */
  topology?: Topology;
  /** Announce a channel per edge and let gossip spread it (default true). */
  gossip?: boolean;
  /** `ledger` (default): one test-network ledger for all; `none`: no payments. */
  payments?: 'ledger' | 'none';
  /**
   * Where the nodes keep their state: absent (default) in memory; `true` in temporary directories
   * removed by `stop()`; a path: `<path>/node<i>`, kept.
   */
  datadir?: boolean | string;
  /** Names (aliases) of the nodes (default node0, node1, …). */
  names?: string[];
  /** More options for every node, or per node. */
  nodeOptions?: Partial<NodeOptions> | ((i: number) => Partial<NodeOptions>);
  /** Give up when the network is not connected and synced within this many ms (default 30 000). */
  timeoutMs?: number;
  /** Where the node keys and made-up bitcoin keys come from (default the OS's CSPRNG). */
  random?: RandomSource;
}

export class TestnetError extends Error {
  override readonly name = 'TestnetError';
}

/** Gossip limits for test networks: relays every 100 ms (not 60 s), new gossip from every peer. */
export function testnetGossipLimits(nodes: number): NodeOptions['gossipLimits'] {
  return { flushIntervalMs: 100, maxFilterPeers: Math.max(3, nodes) };
}

export class Testnet {
  /** The nodes, in topology order (node `i` is `nodes[i]`). */
  readonly nodes: Node[];
  /** The topology's edges, `[a, b]` with a < b. */
  readonly edges: ReadonlyArray<readonly [number, number]>;
  /** The shared ledger (`payments: 'ledger'`). */
  readonly ledger: TestNetworkLedger | undefined;
  /** The signed gossip announced for the topology (`gossip: true`). */
  readonly announced: TopologyGossip | undefined;
  private readonly tempRoot: string | undefined;
  private stopping?: Promise<void>;

  private constructor(nodes: Node[], edges: Array<[number, number]>, ledger: TestNetworkLedger | undefined, announced: TopologyGossip | undefined, tempRoot: string | undefined) {
    this.nodes = nodes;
    this.edges = edges;
    this.ledger = ledger;
    this.announced = announced;
    this.tempRoot = tempRoot;
  }

  /** Start the network; resolves once it is connected (and, with gossip, synced). */
  static async create(opts: TestnetOptions = {}): Promise<Testnet> {
    const n = opts.nodes ?? 3;
    const edges = topologyEdges(n, opts.topology ?? 'line');
    const gossip = opts.gossip ?? true;
    const random = opts.random ?? secureRandom;
    const names = Array.from({ length: n }, (_, i) => opts.names?.[i] ?? `node${i}`);
    const ledger = (opts.payments ?? 'ledger') === 'ledger' ? new TestNetworkLedger() : undefined;
    const tempRoot = opts.datadir === true ? mkdtempSync(join(tmpdir(), 'bolt12d-testnet-')) : undefined;
    const root = typeof opts.datadir === 'string' ? opts.datadir : tempRoot;
    const secrets = names.map(() => randomSecret(random));
    const nodes: Node[] = [];
    const net = new Testnet(nodes, edges, ledger, undefined, tempRoot);
    try {
      for (let i = 0; i < n; i++) {
        const extra = typeof opts.nodeOptions === 'function' ? opts.nodeOptions(i) : (opts.nodeOptions ?? {});
        nodes.push(
          await Node.start({
            network: 'regtest',
            addr: '127.0.0.1',
            port: 0,
            logLevel: 'warn',
            // Gossip signatures checked on this thread: a handful of channels, no worker pool to start.
            gossipVerifyThreads: 0,
            alias: names[i]!,
            nodeSecret: secrets[i]!,
            ...(root ? { datadir: join(root, `node${i}`) } : {}),
            ...(ledger ? { payments: { backend: 'testnet-ledger' as const, ledger } } : { payments: { backend: 'none' as const } }),
            ...extra,
            gossipLimits: { ...testnetGossipLimits(n), ...(extra.gossipLimits ?? {}) },
          }),
        );
      }
      let announced: TopologyGossip | undefined;
      if (gossip) {
        announced = topologyGossip({
          network: 'regtest',
          nodes: nodes.map((node, i) => ({ nodeSecret: secrets[i]!, alias: names[i]!, port: node.tcpAddress!.port })),
          edges,
          timestamp: nodes[0]!.clock.now(),
          random,
        });
        (net as { announced: TopologyGossip | undefined }).announced = announced;
        await Promise.all(nodes.map((node, i) => node.gossip.ingest(ownGossip(announced!, i))));
      }
      const ms = opts.timeoutMs ?? 30_000;
      const deadline = Date.now() + ms;
      if (!gossip) {
        // Each edge: the lower index dials the higher one.
        await Promise.all(edges.map(([a, b]) => nodes[a]!.connect(nodes[b]!.nodeId, '127.0.0.1', nodes[b]!.tcpAddress!.port)));
      } else {
        // One edge at a time, each joining a node already reached to a new one (joiningOrder), and
        // the next only once both ends finished their initial sync. A node asks the peers it meets
        // while its own sync runs for gossip "from now on" only (src/gossip/sync.ts), so two nodes
        // joining at once could each sync from the other before either knew the rest, and never
        // hear of it: growing the network from one synced node up avoids that, as a real network grows.
        for (const [a, b] of joiningOrder(n, edges)) {
          await nodes[a]!.connect(nodes[b]!.nodeId, '127.0.0.1', nodes[b]!.tcpAddress!.port);
          await net.until(deadline, ms, () => (nodes[a]!.gossip.isSynced && nodes[b]!.gossip.isSynced ? [] : [`nodes ${a} and ${b}: initial gossip sync not done`]));
        }
      }
      await net.until(deadline, ms, () => net.missing(gossip));
      return net;
    } catch (e) {
      await net.stop();
      throw e;
    }
  }

  /** Node `i`. */
  node(i: number): Node {
    const x = this.nodes[i];
    if (!x) throw new TestnetError(`no node ${i} (the network has ${this.nodes.length})`);
    return x;
  }

  /** What is missing for the network to count as connected (and synced); empty when ready. */
  missing(gossip = this.announced !== undefined): string[] {
    const out: string[] = [];
    for (const [a, b] of this.edges) {
      const x = this.nodes[a]!;
      const y = this.nodes[b]!;
      if (!x.peers.get(y.nodeId)?.connected || !y.peers.get(x.nodeId)?.connected) out.push(`peers ${a}-${b} not connected`);
    }
    if (!gossip || !this.announced) return out;
    const comps = components(this.nodes.length, this.edges);
    this.nodes.forEach((node, i) => {
      const g = node.graph;
      const comp = new Set(comps[i]!);
      for (const c of this.announced!.channels) {
        if (!comp.has(c.edge[0])) continue;
        const row = g.channelRow(c.scid);
        if (row < 0 || !g.half(row, 0) || !g.half(row, 1)) out.push(`node ${i} lacks channel ${c.edge.join('-')}`);
      }
      for (const j of comp) {
        const idx = g.nodeIndex(this.nodes[j]!.nodeId);
        if (idx < 0 || !g.nodeAnnouncement(idx)) out.push(`node ${i} lacks node ${j}'s announcement`);
      }
      if (comp.size > 1 && !node.gossip.isSynced) out.push(`node ${i}: initial gossip sync not done`);
    });
    return out;
  }

  /** Poll `missing` until it is empty; past `deadline`, throw what it says. */
  private async until(deadline: number, ms: number, missing: () => string[]): Promise<void> {
    for (;;) {
      const m = missing();
      if (m.length === 0) return;
      if (Date.now() > deadline) {
        throw new TestnetError(`the test network is not ready within ${ms} ms: ${m.slice(0, 5).join('; ')}${m.length > 5 ? `; and ${m.length - 5} more` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The index of the node with this id (hex or bytes), or -1. */
  indexOf(nodeId: Uint8Array | string): number {
    return this.nodes.findIndex((x) => (typeof nodeId === 'string' ? x.nodeIdHex === nodeId.toLowerCase() : bytesEqual(x.nodeId, nodeId)));
  }

  /** Stop every node and remove the temporary directories. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.allSettled(this.nodes.map((x) => x.stop()));
      if (this.tempRoot) rmSync(this.tempRoot, { recursive: true, force: true });
    })();
    return this.stopping;
  }
}
