// The bidirectional search against a plain breadth-first search written from the rules alone, on
// random graphs (fast-check, fixed seed from test/setup.ts): same reachability within the hop
// bound, same (shortest) length, and every returned path obeys the rules hop by hop.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OnionPathFinder } from '../../src/pathfinding/index.ts';
import { GraphBuilder, NO_ONION, ONION, ONION_ONLY_CHANNELS, nid, num, peer } from './helpers.ts';

const US = 1000;
type Ann = 'none' | 'onion' | 'no-onion' | 'only-channels';
type Init = 'onion' | 'no-onion' | 'only-channels';

interface Model {
  n: number;
  ann: Ann[]; // index 0 unused
  edges: { a: number; b: number; disabled: boolean }[];
  peers: { id: number; init: Init; hasChannel: boolean }[];
  dest: number;
  maxHops: number;
}

const INIT_FEATURES: Record<Init, Uint8Array> = { onion: ONION, 'no-onion': NO_ONION, 'only-channels': ONION_ONLY_CHANNELS };

const model: fc.Arbitrary<Model> = fc.integer({ min: 2, max: 40 }).chain((n) => {
  const node = fc.oneof({ arbitrary: fc.integer({ min: 1, max: n }), weight: 12 }, fc.constant(US));
  return fc.record({
    n: fc.constant(n),
    ann: fc.array(fc.constantFrom<Ann>('none', 'onion', 'onion', 'onion', 'onion', 'onion', 'no-onion', 'only-channels'), { minLength: n + 1, maxLength: n + 1 }),
    edges: fc.array(fc.record({ a: node, b: node, disabled: fc.integer({ min: 0, max: 4 }).map((x) => x === 0) }), { minLength: n, maxLength: 2 * n, size: 'max' }).map((es) =>
      es.filter((e) => e.a !== e.b),
    ),
    peers: fc.uniqueArray(
      fc.record({
        id: fc.oneof({ arbitrary: fc.integer({ min: 1, max: n }), weight: 8 }, fc.constant(500)),
        init: fc.constantFrom<Init>('onion', 'onion', 'onion', 'onion', 'no-onion', 'only-channels'),
        hasChannel: fc.boolean(),
      }),
      { selector: (p) => p.id, minLength: 1, maxLength: 4 },
    ),
    dest: fc.oneof({ arbitrary: fc.integer({ min: 1, max: n }), weight: 10 }, fc.constant(500), fc.constant(US)),
    maxHops: fc.oneof({ arbitrary: fc.integer({ min: 2, max: 8 }), weight: 6 }, fc.constant(1)),
  });
});

function build(m: Model): GraphBuilder {
  const b = new GraphBuilder();
  let k = 0;
  for (const e of m.edges) {
    const s = b.chan(e.a, e.b, { scid: BigInt(++k) });
    if (e.disabled) b.update(s, (k & 1) as 0 | 1, { disable: true });
  }
  for (let i = 1; i <= m.n; i++) {
    if (m.ann[i] === 'none' || b.g.nodeIndex(nid(i)) < 0) continue;
    b.announce(i, m.ann[i] === 'onion' ? ONION : m.ann[i] === 'no-onion' ? NO_ONION : ONION_ONLY_CHANNELS);
  }
  return b;
}

/** The rules, read plainly (see src/pathfinding/onion-path.ts), and one BFS from us. */
function reference(m: Model, inGraph: (x: number) => boolean): number | null {
  if (m.dest === US) return null;
  const ann = (x: number): Ann => (x >= 1 && x <= m.n && inGraph(x) ? m.ann[x]! : 'none');
  const p = (x: number) => m.peers.find((q) => q.id === x);
  const initSupports = (x: number) => p(x) !== undefined && p(x)!.init !== 'no-onion';
  const firstHop = (x: number) => {
    const q = p(x);
    if (!q || q.init === 'no-onion') return false;
    const only = q.init === 'only-channels' || ann(x) === 'only-channels';
    return !only || q.hasChannel;
  };
  const forwards = (x: number) => ann(x) === 'onion' || ann(x) === 'only-channels' || initSupports(x);
  const dp = p(m.dest);
  if (dp && firstHop(m.dest)) return 1;
  if (dp ? dp.init === 'no-onion' : ann(m.dest) === 'no-onion') return null;
  const adj = new Map<number, number[]>();
  for (const e of m.edges) {
    if (e.disabled) continue;
    adj.set(e.a, [...(adj.get(e.a) ?? []), e.b]);
    adj.set(e.b, [...(adj.get(e.b) ?? []), e.a]);
  }
  const dist = new Map<number, number>();
  const queue: number[] = [];
  for (const q of m.peers) {
    if (firstHop(q.id) && q.id !== m.dest && !dist.has(q.id)) {
      dist.set(q.id, 1);
      queue.push(q.id);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!;
    for (const v of adj.get(u) ?? []) {
      if (v === US) continue;
      if (v === m.dest) return dist.get(u)! + 1 <= m.maxHops ? dist.get(u)! + 1 : null;
      if (dist.has(v) || !forwards(v)) continue;
      dist.set(v, dist.get(u)! + 1);
      queue.push(v);
    }
  }
  return null;
}

describe('onion-message path finding vs a plain BFS', () => {
  it('finds a shortest valid path exactly when one exists within the hop bound', () => {
    fc.assert(
      fc.property(model, (m) => {
        const b = build(m);
        const g = b.g;
        const inGraph = (x: number) => g.nodeIndex(nid(x)) >= 0;
        const peers = m.peers.map((q) => peer(q.id, INIT_FEATURES[q.init], q.hasChannel));
        const r = new OnionPathFinder(g).find({ self: nid(US), destination: nid(m.dest), peers, maxHops: m.maxHops });
        const want = reference(m, inGraph);
        expect(r.hops === null ? null : r.hops.length).toBe(want);
        if (!r.hops) return;
        const hops = r.hops.map(num);
        expect(hops.at(-1)).toBe(m.dest);
        expect(new Set(hops).size).toBe(hops.length);
        expect(hops).not.toContain(US);
        expect(m.peers.some((q) => q.id === hops[0])).toBe(true);
        for (let i = 0; i + 1 < hops.length; i++) {
          const [x, y] = [hops[i]!, hops[i + 1]!];
          expect(m.edges.some((e) => !e.disabled && ((e.a === x && e.b === y) || (e.a === y && e.b === x)))).toBe(true);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('one finder answers many queries on one graph like fresh ones', () => {
    fc.assert(
      fc.property(model, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (m, dests) => {
        const g = build(m).g;
        const peers = m.peers.map((q) => peer(q.id, INIT_FEATURES[q.init], q.hasChannel));
        const shared = new OnionPathFinder(g);
        for (const d of dests) {
          const q = { self: nid(US), destination: nid(d), peers, maxHops: m.maxHops };
          expect(shared.find(q).hops?.length ?? null).toBe(new OnionPathFinder(g).find(q).hops?.length ?? null);
        }
      }),
      { numRuns: 100 },
    );
  });
});
