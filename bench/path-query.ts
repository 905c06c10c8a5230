// Onion-message path queries on a mainnet-scale graph (bench/gossip-topology.ts: 20k nodes, 80k
// channels, scale-free, ~60% of nodes announcing option_onion_messages), each figure a ratio of a
// plain BFS over the same graph in the same run:
//
//   path-query-p50 / -p99   p50 and p99 of one OnionPathFinder.find (bidirectional BFS over the
//                           CSR adjacency, onion-support and disable checks, scratch arrays reused)
//                           over the median time of ONE PLAIN BFS: a textbook breadth-first search
//                           from our peers over the same CSR adjacency to the same destination,
//                           stopping when it reaches it, with no rules checked (visited array and
//                           queue allocated per search, as plain code does). target p50 ≤ 0.3.
//
// Also printed: the same quantiles against a full-graph BFS (`full_bfs_us`), the mean edges
// scanned per query, and how many queries found a path. Queries: QUERIES random destinations
// among the supporting nodes (seeded), from a node of our own connected to PEERS random supporting nodes (live-peer overlay,
// no channels of ours), maxHops 6; each query timed as the best of REPS runs. Run alone: node --import tsx bench/path-query.ts
import { pathToFileURL } from 'node:url';
import { ChannelGraph } from '../src/gossip/graph.ts';
import { featuresFromBits } from '../src/wire/features.ts';
import { OnionPathFinder, type LivePeer } from '../src/pathfinding/index.ts';
import { prng, scaleFreeTopology } from './gossip-topology.ts';

const NODES = 20_000;
const CHANNELS = 80_000;
const QUERIES = 3000;
const PEERS = 4;
const REPS = 5;
const ONION = featuresFromBits([39]);
const PLAIN = featuresFromBits([7]);

function id(i: number): Uint8Array {
  const b = new Uint8Array(33);
  b[0] = 2 + (i & 1);
  new DataView(b.buffer).setUint32(1, (i * 2654435761) >>> 0); // spread like real keys
  new DataView(b.buffer).setUint32(5, i);
  return b;
}

export function buildGraph(seed = 1): { graph: ChannelGraph; ids: Uint8Array[]; support: Uint8Array } {
  const t = scaleFreeTopology({ nodes: NODES, channels: CHANNELS, seed });
  const ids = Array.from({ length: t.nodeCount }, (_, i) => id(i));
  const g = new ChannelGraph();
  for (let c = 0; c < CHANNELS; c++) {
    const a = ids[t.edges[2 * c]!]!;
    const b = ids[t.edges[2 * c + 1]!]!;
    const [x, y] = Buffer.compare(a, b) < 0 ? [a, b] : [b, a];
    g.addChannel({ scid: (BigInt(500_000 + (c >> 6)) << 40n) | (BigInt(c & 63) << 16n), nodeId1: x, nodeId2: y, offset: -1, addedAt: 0 });
  }
  for (let i = 0; i < t.nodeCount; i++) {
    g.setNodeAnnouncement({
      nodeId: ids[i]!, timestamp: 1, features: t.onionSupport[i] ? ONION : PLAIN, addresses: [],
      alias: new Uint8Array(32), rgbColor: new Uint8Array(3), offset: -1,
    });
  }
  return { graph: g, ids, support: t.onionSupport };
}

/** The bound: a plain BFS from the peers to `dest` over the same adjacency, no rules. */
function plainBfs(g: ChannelGraph, sources: readonly number[], dest: number, full: boolean): number {
  const { start, nbr } = g.adjacency();
  const n = g.nodeIndexBound;
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  let tail = 0;
  for (const s of sources) if (!seen[s]) (seen[s] = 1), (queue[tail++] = s);
  for (let head = 0; head < tail; head++) {
    const u = queue[head]!;
    if (u === dest && !full) return tail;
    for (let k = start[u]!, e = start[u + 1]!; k < e; k++) {
      const v = nbr[k]!;
      if (!seen[v]) {
        seen[v] = 1;
        queue[tail++] = v;
      }
    }
  }
  return tail;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

export async function run(): Promise<void> {
  const { graph: g, ids, support } = buildGraph(1);
  const rnd = prng(99);
  const self = new Uint8Array(33).fill(0xee);
  self[0] = 3;
  const peerIdx: number[] = [];
  while (peerIdx.length < PEERS) {
    const i = rnd() % NODES;
    if (support[i] && !peerIdx.includes(i)) peerIdx.push(i);
  }
  const peers: LivePeer[] = peerIdx.map((i) => ({ nodeId: ids[i]!, features: ONION }));
  const sources = peerIdx.map((i) => g.nodeIndex(ids[i]!));
  // Destinations that announce onion-message support (the others are refused before any search,
  // which would flatter the figures).
  const dests: number[] = [];
  while (dests.length < QUERIES) {
    const i = rnd() % NODES;
    if (support[i]) dests.push(i);
  }
  const finder = new OnionPathFinder(g);
  g.adjacency();

  // warm up both
  for (let i = 0; i < 200; i++) {
    finder.find({ self, destination: ids[dests[i]!]!, peers });
    plainBfs(g, sources, g.nodeIndex(ids[dests[i]!]!), false);
    plainBfs(g, sources, -1, true);
  }
  const ours: number[] = [];
  const plain: number[] = [];
  const full: number[] = [];
  let found = 0;
  let explored = 0;
  let hops = 0;
  // Each query's time is the best of REPS runs (the machine is shared: one preemption would
  // otherwise be the p99), as bench/_timing.ts takes the best round.
  const best = (f: () => void) => {
    let b = Infinity;
    for (let r = 0; r < REPS; r++) {
      const t = performance.now();
      f();
      b = Math.min(b, performance.now() - t);
    }
    return b;
  };
  for (let i = 0; i < QUERIES; i++) {
    const dest = ids[dests[i]!]!;
    const di = g.nodeIndex(dest);
    const r = finder.find({ self, destination: dest, peers });
    ours.push(best(() => finder.find({ self, destination: dest, peers })));
    plain.push(best(() => plainBfs(g, sources, di, false)));
    if (i % 10 === 0) full.push(best(() => plainBfs(g, sources, -1, true)));
    explored += r.explored;
    if (r.hops) {
      found++;
      hops += r.hops.length;
    }
  }
  const bound = quantile(plain, 0.5);
  const fullBound = quantile(full, 0.5);
  const p50 = quantile(ours, 0.5);
  const p99 = quantile(ours, 0.99);
  const us = (ms: number) => (ms * 1000).toFixed(1);
  const extra =
    `ours_p50_us=${us(p50)} ours_p99_us=${us(p99)} plain_bfs_us=${us(bound)} full_bfs_us=${us(fullBound)} ` +
    `nodes=${g.nodeCount} channels=${g.channelCount} queries=${QUERIES} found=${found} mean_hops=${(hops / Math.max(1, found)).toFixed(2)} ` +
    `mean_edges_scanned=${(explored / QUERIES).toFixed(0)}`;
  console.log(`BENCH path-query-p50 ratio=${(p50 / bound).toFixed(3)} target=0.3 full_bfs_ratio=${(p50 / fullBound).toFixed(3)} ${extra}`);
  console.log(`BENCH path-query-p99 ratio=${(p99 / bound).toFixed(3)} full_bfs_ratio=${(p99 / fullBound).toFixed(3)} ours_p99_us=${us(p99)} plain_bfs_us=${us(bound)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
