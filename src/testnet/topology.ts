// Test-network topologies: which node pairs are peers (and, with gossip, have an announced
// channel). Nodes are numbered from 0; an edge is an unordered pair.

/** `line` 0–1–2–…, `star` (node 0 the hub), `mesh` (every pair), or the edges themselves. */
export type Topology = 'line' | 'star' | 'mesh' | ReadonlyArray<readonly [number, number]>;

export class TopologyError extends Error {
  override readonly name = 'TopologyError';
}

/** The edges of `topology` over `n` nodes, each `[a, b]` with a < b, without duplicates, in a stable order. */
export function topologyEdges(n: number, topology: Topology): Array<[number, number]> {
  if (!Number.isSafeInteger(n) || n < 1) throw new TopologyError(`nodes: should be a positive integer, got ${n}`);
  const out: Array<[number, number]> = [];
  if (topology === 'line') for (let i = 0; i + 1 < n; i++) out.push([i, i + 1]);
  else if (topology === 'star') for (let i = 1; i < n; i++) out.push([0, i]);
  else if (topology === 'mesh') for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push([i, j]);
  else if (Array.isArray(topology)) {
    const seen = new Set<string>();
    topology.forEach((e, k) => {
      if (!Array.isArray(e) || e.length !== 2) throw new TopologyError(`topology[${k}]: should be a pair of node indexes [a, b]`);
      const [a, b] = e as [unknown, unknown];
      for (const x of [a, b]) {
        if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= n) throw new TopologyError(`topology[${k}]: node index ${String(x)} is not between 0 and ${n - 1}`);
      }
      if (a === b) throw new TopologyError(`topology[${k}]: a node cannot be its own peer (${String(a)})`);
      const p: [number, number] = (a as number) < (b as number) ? [a as number, b as number] : [b as number, a as number];
      const key = `${p[0]}-${p[1]}`;
      if (seen.has(key)) throw new TopologyError(`topology[${k}]: the edge ${key} is given twice`);
      seen.add(key);
      out.push(p);
    });
  } else throw new TopologyError(`topology: should be 'line', 'star', 'mesh' or a list of [a, b] edges, got ${JSON.stringify(topology)}`);
  return out;
}

/** Parse the CLI form: `line`, `star`, `mesh`, or edges such as `0-1,1-2,0-2`. */
export function parseTopology(s: string): Topology {
  if (s === 'line' || s === 'star' || s === 'mesh') return s;
  const edges = s.split(',').map((e) => {
    const m = /^\s*([0-9]+)\s*-\s*([0-9]+)\s*$/.exec(e);
    if (!m) throw new TopologyError(`topology: '${e}' is not an edge like 0-1 (or use line, star, mesh)`);
    return [Number(m[1]), Number(m[2])] as [number, number];
  });
  return edges;
}

/** For each node, the indexes of the nodes in its connected component (itself included). */
export function components(n: number, edges: ReadonlyArray<readonly [number, number]>): number[][] {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x]!)));
  for (const [a, b] of edges) parent[find(a)] = find(b);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r)!.push(i);
  }
  return Array.from({ length: n }, (_, i) => groups.get(find(i))!);
}

/**
 * The edges in an order where each one (but the first of each part) joins a node already reached
 * to another: breadth first from the lowest node of each part, tree edges as they are met, then
 * the edges closing cycles. Connecting in this order, one edge at a time, each new node's first
 * peer already knows its part of the network so far (see src/testnet/testnet.ts).
 */
export function joiningOrder(n: number, edges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const adj: number[][] = Array.from({ length: n }, () => []);
  edges.forEach(([a, b], k) => {
    adj[a]!.push(k);
    adj[b]!.push(k);
  });
  const reached = new Array<boolean>(n).fill(false);
  const used = new Array<boolean>(edges.length).fill(false);
  const tree: Array<[number, number]> = [];
  for (let root = 0; root < n; root++) {
    if (reached[root]) continue;
    reached[root] = true;
    const queue = [root];
    while (queue.length > 0) {
      const x = queue.shift()!;
      for (const k of adj[x]!) {
        const [a, b] = edges[k]!;
        const y = a === x ? b : a;
        if (reached[y]) continue;
        reached[y] = true;
        used[k] = true;
        tree.push([x, y]);
        queue.push(y);
      }
    }
  }
  return [...tree, ...edges.filter((_, k) => !used[k]).map(([a, b]) => [a, b] as [number, number])];
}
