// A seeded, scale-free channel topology shaped like the Lightning mainnet graph (~20k nodes,
// ~80k channels, a few hubs with thousands of channels, many nodes with one or two), for the gossip
// and path-finding benchmarks. Not itself a benchmark (no `run()`); importable by any bench file.
//
//   import { scaleFreeTopology } from './gossip-topology.ts';
//   const t = scaleFreeTopology({ nodes: 20_000, channels: 80_000, seed: 1 });
//   // t.nodeCount === 20_000
//   // t.edges: Uint32Array of 2 * 80_000 node indexes: channel i joins t.edges[2i] and t.edges[2i+1]
//   //          (never a self-loop, never the same pair twice; edges[2i] < edges[2i+1] is NOT promised)
//   // t.onionSupport: Uint8Array(nodeCount), 1 where the node advertises option_onion_messages
//   // t.degree: Uint32Array(nodeCount), channels per node
//
// Same options → the same topology, byte for byte (a small splitmix32/xorshift PRNG, no Math.random).
//
// Model: preferential attachment (Barabási–Albert) with a varying number of links per new node:
// node i attaches m_i = 1 + Geometric(p) channels (mean = channels / nodes) to earlier nodes chosen
// in proportion to their degree (uniform over the list of channel endpoints), then the remaining
// channel budget is spent on hub-to-hub channels (both ends chosen by degree), as on mainnet where
// big nodes open to each other. Every node has at least one channel (BOLT 7 drops nodes without
// channels, so a gossip set has none). `onionSupport` is drawn uniformly with probability
// `onionFraction` (default 0.6), except that the `hubSupport` best-connected share of nodes
// (default 0.01) always supports it, as the big implementations' hubs do.

export interface TopologyOptions {
  nodes: number;
  channels: number;
  seed: number;
  /** Fraction of nodes with option_onion_messages (default 0.6). */
  onionFraction?: number;
  /** Fraction of the highest-degree nodes that always support onion messages (default 0.01). */
  hubSupport?: number;
}

export interface Topology {
  nodeCount: number;
  /** Pairs of node indexes, 2 per channel. */
  edges: Uint32Array;
  /** 1 where the node advertises option_onion_messages (bits 38/39), else 0. */
  onionSupport: Uint8Array;
  /** Channels per node. */
  degree: Uint32Array;
}

/** A tiny seeded PRNG (mulberry32): uniform u32s. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function scaleFreeTopology(opts: TopologyOptions): Topology {
  const n = opts.nodes;
  const c = opts.channels;
  if (!Number.isInteger(n) || n < 2) throw new RangeError('nodes must be an integer >= 2');
  if (!Number.isInteger(c) || c < n - 1) throw new RangeError('channels must be >= nodes - 1 (every node has a channel)');
  if (c > (n * (n - 1)) / 2) throw new RangeError('more channels than node pairs');
  const rnd = prng(opts.seed);
  const unit = () => rnd() / 4294967296; // [0, 1)
  const edges = new Uint32Array(2 * c);
  const degree = new Uint32Array(n);
  const endpoints = new Uint32Array(2 * c); // each channel's two ends: sampling it is sampling by degree
  let ne = 0; // channels placed
  const seen = new Set<number>();
  const key = (a: number, b: number) => (a < b ? a * n + b : b * n + a);
  const add = (a: number, b: number): boolean => {
    if (a === b) return false;
    const k = key(a, b);
    if (seen.has(k)) return false;
    seen.add(k);
    edges[2 * ne] = a;
    edges[2 * ne + 1] = b;
    endpoints[2 * ne] = a;
    endpoints[2 * ne + 1] = b;
    degree[a]!++;
    degree[b]!++;
    ne++;
    return true;
  };
  const byDegree = () => endpoints[Math.floor(unit() * 2 * ne)]!;

  // Mean links per new node: the budget per node, kept well below the total so hubs get the rest.
  const mean = Math.max(1, (c / n) * 0.75);
  const p = 1 / mean; // 1 + Geometric(p) failures has mean 1/p
  add(0, 1);
  for (let i = 2; i < n; i++) {
    const nodesLeft = n - 1 - i; // nodes after i, each needs one channel at least
    const budget = c - ne - nodesLeft;
    let m = 1;
    while (unit() > p && m < 64) m++;
    m = Math.min(m, i, Math.max(1, budget));
    let placed = 0;
    for (let tries = 0; placed < m && tries < m * 20; tries++) if (add(i, byDegree())) placed++;
    if (placed === 0) add(i, Math.floor(unit() * i)); // always at least one channel
    if (placed === 0 && degree[i] === 0) for (let j = 0; j < i && !add(i, j); j++);
  }
  // Spend what is left of the budget on hub-to-hub channels.
  for (let tries = 0; ne < c && tries < c * 50; tries++) add(byDegree(), byDegree());
  for (let a = 0; ne < c && a < n; a++) for (let b = a + 1; ne < c && b < n; b++) add(a, b);

  const onionFraction = opts.onionFraction ?? 0.6;
  const onionSupport = new Uint8Array(n);
  for (let i = 0; i < n; i++) onionSupport[i] = unit() < onionFraction ? 1 : 0;
  const hubs = Math.floor(n * (opts.hubSupport ?? 0.01));
  if (hubs > 0) {
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => degree[y]! - degree[x]! || x - y);
    for (let k = 0; k < hubs; k++) onionSupport[order[k]!] = 1;
  }
  return { nodeCount: n, edges, onionSupport, degree };
}
