import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  CHAN_DISABLED_0,
  CHAN_DISABLED_1,
  ChannelGraph,
  NODE_ANNOUNCED,
  NODE_ONION_MESSAGES,
  NODE_ONION_ONLY_CHANNELS,
  STALE_CHANNEL_AGE,
} from '../../src/gossip/graph.ts';
import { GraphBuilder, NO_ONION, ONION, ONION_ONLY_CHANNELS, nid, num, scid } from '../pathfinding/helpers.ts';
import { scaleFreeTopology } from '../../bench/gossip-topology.ts';

const T = 1_700_000_000;

describe('ChannelGraph: channels and nodes', () => {
  it('adds a channel, interns both nodes, refuses duplicates and self-channels', () => {
    const g = new ChannelGraph();
    const s = scid(800_000, 12, 1);
    expect(g.addChannel({ scid: s, nodeId1: nid(1), nodeId2: nid(2), offset: 100, addedAt: T })).toBe('added');
    expect(g.addChannel({ scid: s, nodeId1: nid(1), nodeId2: nid(3), offset: 200, addedAt: T })).toBe('duplicate');
    expect(g.addChannel({ scid: scid(1), nodeId1: nid(4), nodeId2: nid(4), offset: 0, addedAt: T })).toBe('invalid');
    expect(g.addChannel({ scid: -1n, nodeId1: nid(4), nodeId2: nid(5), offset: 0, addedAt: T })).toBe('invalid');
    expect(g.addChannel({ scid: 1n << 64n, nodeId1: nid(4), nodeId2: nid(5), offset: 0, addedAt: T })).toBe('invalid');
    expect(() => g.addChannel({ scid: scid(2), nodeId1: new Uint8Array(32), nodeId2: nid(5), offset: 0, addedAt: T })).toThrow(/33 bytes/);
    expect(g.channelCount).toBe(1);
    expect(g.nodeCount).toBe(2);
    const row = g.channelRow(s);
    expect(row).toBeGreaterThanOrEqual(0);
    expect(g.scidOf(row)).toBe(s);
    expect(g.blockOf(row)).toBe(800_000);
    expect(g.announcementOffset(row)).toBe(100);
    expect(num(g.nodeId(g.endOf(row, 0)))).toBe(1);
    expect(num(g.nodeId(g.endOf(row, 1)))).toBe(2);
    expect(g.nodeIndex(nid(1))).toBe(g.endOf(row, 0));
    expect(g.nodeIndex(nid(3))).toBe(-1);
    expect(g.nodeChannels(g.nodeIndex(nid(2)))).toBe(1);
    expect(g.channelRow(scid(9))).toBe(-1);
    expect(g.channelFeatures(row)).toEqual(new Uint8Array(0));
  });

  it('keeps channel features only when non-empty; scids up to 2^64-1 round-trip', () => {
    const g = new ChannelGraph();
    const big = (1n << 64n) - 1n;
    g.addChannel({ scid: big, nodeId1: nid(1), nodeId2: nid(2), features: Uint8Array.of(0x80), offset: 7, addedAt: T });
    const row = g.channelRow(big);
    expect(g.scidOf(row)).toBe(big);
    expect(g.channelFeatures(row)).toEqual(Uint8Array.of(0x80));
  });

  it('applies channel_updates: newer timestamp wins, older is stale, equal compares checksums', () => {
    const b = new GraphBuilder();
    const s = b.chan(1, 2);
    expect(b.update(scid(1), 0).status).toBe('unknown-channel');
    expect(b.update(s, 0, { timestamp: T, offset: 10, checksum: 5 })).toEqual({ status: 'applied', replacedOffset: -1 });
    expect(b.update(s, 0, { timestamp: T - 1, offset: 11 })).toEqual({ status: 'stale' });
    expect(b.update(s, 0, { timestamp: T, offset: 12, checksum: 5 })).toEqual({ status: 'same-timestamp', sameChecksum: true });
    expect(b.update(s, 0, { timestamp: T, offset: 12, checksum: 6 })).toEqual({ status: 'same-timestamp', sameChecksum: false });
    expect(b.update(s, 0, { timestamp: T + 5, offset: 13, checksum: 0xffffffff })).toEqual({ status: 'applied', replacedOffset: 10 });
    const g = b.g;
    const row = g.channelRow(s);
    const h = g.half(row, 0)!;
    expect(h).toMatchObject({ timestamp: T + 5, offset: 13, checksum: 0xffffffff, cltvExpiryDelta: 40, htlcMinimumMsat: 1000n, htlcMaximumMsat: 990_000_000n, feeBaseMsat: 1000, feeProportionalMillionths: 100, messageFlags: 1, channelFlags: 0 });
    expect(g.half(row, 1)).toBeUndefined();
    expect(g.updateTimestamp(row, 0)).toBe(T + 5);
    expect(g.updateTimestamp(row, 1)).toBe(0);
    expect(g.updateChecksum(row, 0)).toBe(0xffffffff);
    expect(g.updateChecksum(row, 1)).toBe(0);
    // direction 1 is independent; the disable bit is tracked per direction
    expect(b.update(s, 1, { timestamp: T - 100, disable: true }).status).toBe('applied');
    expect(g.channelFlags[row]! & CHAN_DISABLED_1).toBeTruthy();
    expect(g.channelFlags[row]! & CHAN_DISABLED_0).toBe(0);
    expect(b.update(s, 1, { timestamp: T - 99 }).status).toBe('applied');
    expect(g.channelFlags[row]! & CHAN_DISABLED_1).toBe(0);
    expect(g.half(row, 1)!.channelFlags).toBe(1);
  });

  it('u64 htlc amounts survive', () => {
    const b = new GraphBuilder();
    const s = b.chan(1, 2);
    b.g.applyUpdate({
      scid: s, timestamp: T, messageFlags: 1, channelFlags: 1, cltvExpiryDelta: 0xffff, htlcMinimumMsat: 0n,
      htlcMaximumMsat: (1n << 64n) - 1n, feeBaseMsat: 0xffffffff, feeProportionalMillionths: 0xffffffff, offset: 1, checksum: 1,
    });
    expect(b.g.half(b.g.channelRow(s), 1)).toMatchObject({ htlcMaximumMsat: (1n << 64n) - 1n, cltvExpiryDelta: 0xffff, feeBaseMsat: 0xffffffff });
  });

  it('node_announcement: ignored for unknown nodes and not-newer timestamps; feature flags derived', () => {
    const b = new GraphBuilder();
    b.chan(1, 2);
    const g = b.g;
    const ann = (n: number, timestamp: number, features: Uint8Array, offset = 1) =>
      g.setNodeAnnouncement({ nodeId: nid(n), timestamp, features, addresses: [{ type: 'ipv4', host: '1.2.3.4', port: 9735 }], alias: new Uint8Array(32), rgbColor: Uint8Array.of(1, 2, 3), offset });
    expect(ann(3, T, ONION).status).toBe('unknown-node');
    expect(ann(1, T, NO_ONION, 50)).toEqual({ status: 'applied', replacedOffset: -1 });
    expect(g.nodeFlags[g.nodeIndex(nid(1))]).toBe(NODE_ANNOUNCED);
    expect(ann(1, T, ONION).status).toBe('stale');
    expect(ann(1, T - 1, ONION).status).toBe('stale');
    expect(ann(1, T + 1, ONION, 51)).toEqual({ status: 'applied', replacedOffset: 50 });
    expect(g.nodeFlags[g.nodeIndex(nid(1))]).toBe(NODE_ANNOUNCED | NODE_ONION_MESSAGES);
    expect(ann(2, T, ONION_ONLY_CHANNELS).status).toBe('applied');
    expect(g.nodeFlags[g.nodeIndex(nid(2))]).toBe(NODE_ANNOUNCED | NODE_ONION_MESSAGES | NODE_ONION_ONLY_CHANNELS);
    expect(g.announcedNodeCount).toBe(2);
    const info = g.nodeAnnouncement(g.nodeIndex(nid(1)))!;
    expect(info.timestamp).toBe(T + 1);
    expect(info.addresses).toEqual([{ type: 'ipv4', host: '1.2.3.4', port: 9735 }]);
    expect(info.rgbColor).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('deleting a channel drops nodes left without channels, with every stored offset', () => {
    const b = new GraphBuilder();
    const g = b.g;
    const s12 = scid(1);
    const s23 = scid(2);
    g.addChannel({ scid: s12, nodeId1: nid(1), nodeId2: nid(2), offset: 1000, addedAt: T });
    g.addChannel({ scid: s23, nodeId1: nid(2), nodeId2: nid(3), offset: 2000, addedAt: T });
    b.update(s12, 0, { offset: 1100 });
    b.update(s12, 1, { offset: 1200 });
    b.announce(1, ONION);
    g.setNodeAnnouncement({ nodeId: nid(2), timestamp: T, features: ONION, addresses: [], alias: new Uint8Array(32), rgbColor: new Uint8Array(3), offset: 3000 });
    const r = g.deleteChannel(s12);
    expect(r.channels).toEqual([s12]);
    expect(r.nodes.map(num)).toEqual([1]); // node 2 still has 2-3
    expect(r.offsets.sort()).toEqual([1000, 1100, 1200]); // node 1's announcement had offset -1
    expect(g.nodeIndex(nid(1))).toBe(-1);
    expect(g.nodeCount).toBe(2);
    expect(g.channelCount).toBe(1);
    expect(g.announcedNodeCount).toBe(1);
    expect(g.deleteChannel(s12)).toEqual({ channels: [], nodes: [], offsets: [] });
    const r2 = g.deleteChannel(s23);
    expect(r2.nodes.map(num).sort()).toEqual([2, 3]);
    expect(r2.offsets.sort()).toEqual([2000, 3000]);
    expect(g.nodeCount).toBe(0);
    expect(g.announcedNodeCount).toBe(0);
    // a new node reusing a freed index starts without the old node's announcement or flags
    g.addChannel({ scid: scid(3), nodeId1: nid(7), nodeId2: nid(8), offset: 1, addedAt: T });
    const i7 = g.nodeIndex(nid(7));
    expect(g.nodeAnnouncement(i7)).toBeUndefined();
    expect(g.nodeFlags[i7]).toBe(0);
    expect(g.nodeFlags[g.nodeIndex(nid(8))]).toBe(0);
    expect(g.half(g.channelRow(scid(3)), 0)).toBeUndefined();
    expect(() => g.nodeId(999)).toThrow(RangeError);
  });

  it('prunes channels whose newest update is older than two weeks, and never-updated old channels', () => {
    const now = T + 30 * 86_400;
    const b = new GraphBuilder();
    const fresh = b.chan(1, 2, { addedAt: T });
    b.update(fresh, 0, { timestamp: now - STALE_CHANNEL_AGE - 10 });
    b.update(fresh, 1, { timestamp: now - 100 }); // one fresh direction keeps it
    const stale = b.chan(2, 3, { addedAt: T });
    b.update(stale, 0, { timestamp: now - STALE_CHANNEL_AGE - 1 });
    b.update(stale, 1, { timestamp: now - STALE_CHANNEL_AGE - 5 });
    const neverOld = b.chan(3, 4, { addedAt: now - STALE_CHANNEL_AGE - 1 });
    const neverNew = b.chan(4, 5, { addedAt: now - 60 });
    const edge = b.chan(5, 6, { addedAt: T });
    b.update(edge, 1, { timestamp: now - STALE_CHANNEL_AGE }); // exactly two weeks: not older
    const r = b.g.pruneStale(now);
    expect(r.channels.sort()).toEqual([stale, neverOld].sort());
    expect(b.g.channelRow(fresh)).toBeGreaterThanOrEqual(0);
    expect(b.g.channelRow(neverNew)).toBeGreaterThanOrEqual(0);
    expect(b.g.channelRow(edge)).toBeGreaterThanOrEqual(0);
    expect(b.g.channelCount).toBe(3);
    expect(r.nodes.map(num)).toEqual([3]); // 3 had 2-3 and 3-4, both pruned
  });

  it('reports nodes dropped by pruning', () => {
    const now = T + 30 * 86_400;
    const b = new GraphBuilder();
    b.chan(1, 2, { addedAt: T });
    b.chan(2, 3, { addedAt: now });
    const r = b.g.pruneStale(now);
    expect(r.nodes.map(num)).toEqual([1]);
  });

  it('iterates scids of a block range in ascending order', () => {
    const b = new GraphBuilder();
    const scids = [scid(500, 3, 1), scid(500, 3, 0), scid(100), scid(700, 1), scid(499, 0xffffff, 0xffff), scid(600), scid(500, 0, 0)];
    scids.forEach((s, i) => b.chan(i + 1, i + 100, { scid: s }));
    b.update(scid(500, 3, 1), 1, { timestamp: T + 9, checksum: 77 });
    const g = b.g;
    const range = (first: number, n: number) => [...g.rowsInBlockRange(first, n)].map((r) => g.scidOf(r));
    expect(range(0, 0xffffffff)).toEqual([...scids].sort((x, y) => (x < y ? -1 : 1)));
    expect(range(500, 1)).toEqual([scid(500, 0, 0), scid(500, 3, 0), scid(500, 3, 1)]);
    expect(range(499, 2)).toEqual([scid(499, 0xffffff, 0xffff), scid(500, 0, 0), scid(500, 3, 0), scid(500, 3, 1)]);
    expect(range(501, 99)).toEqual([]);
    expect(range(501, 100)).toEqual([scid(600)]);
    expect(range(0, 0)).toEqual([]);
    expect(range(0xffffff, 10)).toEqual([]);
    const row = g.channelRow(scid(500, 3, 1));
    expect([g.updateTimestamp(row, 0), g.updateTimestamp(row, 1)]).toEqual([0, T + 9]);
    expect([g.updateChecksum(row, 0), g.updateChecksum(row, 1)]).toEqual([0, 77]);
    // the order follows additions and deletions
    g.deleteChannel(scid(500, 3, 0));
    b.chan(50, 51, { scid: scid(500, 2) });
    expect(range(500, 1)).toEqual([scid(500, 0, 0), scid(500, 2), scid(500, 3, 1)]);
  });

  it('keeps the configured caps', () => {
    const b = new GraphBuilder({ maxChannels: 3, maxNodes: 4 });
    const g = b.g;
    b.chan(1, 2);
    b.chan(3, 4);
    expect(g.addChannel({ scid: scid(9), nodeId1: nid(1), nodeId2: nid(5), offset: -1, addedAt: T })).toBe('full'); // a 5th node
    expect(g.addChannel({ scid: scid(9), nodeId1: nid(1), nodeId2: nid(3), offset: -1, addedAt: T })).toBe('added');
    expect(g.addChannel({ scid: scid(10), nodeId1: nid(2), nodeId2: nid(4), offset: -1, addedAt: T })).toBe('full'); // a 4th channel
    expect(g.channelCount).toBe(3);
    expect(g.nodeCount).toBe(4);
    g.deleteChannel(scid(9));
    expect(g.addChannel({ scid: scid(10), nodeId1: nid(2), nodeId2: nid(4), offset: -1, addedAt: T })).toBe('added');
  });

  it('adjacency (CSR) matches the channel list through additions and deletions', () => {
    const b = new GraphBuilder();
    const g = b.g;
    let rnd = 12345;
    const next = () => (rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0);
    const live = new Map<bigint, [number, number]>();
    for (let i = 0; i < 400; i++) {
      if (live.size > 0 && next() % 4 === 0) {
        const keys = [...live.keys()];
        const k = keys[next() % keys.length]!;
        g.deleteChannel(k);
        live.delete(k);
      } else {
        const a = next() % 40;
        let c = next() % 40;
        if (c === a) c = (c + 1) % 40;
        const s = scid(1000 + i);
        b.chan(a, c, { scid: s });
        live.set(s, [Math.min(a, c), Math.max(a, c)]);
      }
      if (i % 37 === 0) {
        const adj = g.adjacency();
        for (const idx of g.nodeIndexes()) {
          const got: string[] = [];
          for (let k = adj.start[idx]!; k < adj.start[idx + 1]!; k++) got.push(`${g.scidOf(adj.row[k]!)}:${num(g.nodeId(adj.nbr[k]!))}`);
          const me = num(g.nodeId(idx));
          const want = [...live].filter(([, [x, y]]) => x === me || y === me).map(([s, [x, y]]) => `${s}:${x === me ? y : x}`);
          expect(got.sort()).toEqual(want.sort());
          expect([...g.channelsOfNode(idx)].map((r) => g.scidOf(r)).sort()).toEqual([...live].filter(([, [x, y]]) => x === me || y === me).map(([s]) => s).sort());
        }
        expect(g.channelCount).toBe(live.size);
      }
    }
  });
});

describe('ChannelGraph at mainnet scale', () => {
  it('holds 20k nodes / 80k channels / 160k updates in a bounded heap, built quickly', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const topo = scaleFreeTopology({ nodes: 20_000, channels: 80_000, seed: 7 });
    const ids = Array.from({ length: topo.nodeCount }, (_, i) => nid(i + 1));
    gc();
    const before = process.memoryUsage();
    const t0 = performance.now();
    const g = new ChannelGraph();
    for (let c = 0; c < 80_000; c++) {
      const a = topo.edges[2 * c]!;
      const z = topo.edges[2 * c + 1]!;
      const [x, y] = a < z ? [a, z] : [z, a];
      g.addChannel({ scid: scid(600_000 + (c >> 4), c & 15, 0), nodeId1: ids[x]!, nodeId2: ids[y]!, offset: c * 430, addedAt: T });
    }
    for (let c = 0; c < 80_000; c++) {
      for (const dir of [0, 1]) {
        g.applyUpdate({
          scid: scid(600_000 + (c >> 4), c & 15, 0), timestamp: T + c, messageFlags: 1, channelFlags: dir, cltvExpiryDelta: 144,
          htlcMinimumMsat: 1000n, htlcMaximumMsat: 1_000_000_000n, feeBaseMsat: 1000, feeProportionalMillionths: 1, offset: c, checksum: c,
        });
      }
    }
    for (let i = 0; i < topo.nodeCount; i++) {
      g.setNodeAnnouncement({
        nodeId: ids[i]!, timestamp: T, features: topo.onionSupport[i] ? ONION : NO_ONION,
        addresses: [{ type: 'ipv4', host: `10.0.${i >> 8}.${i & 255}`, port: 9735 }], alias: new Uint8Array(32), rgbColor: new Uint8Array(3), offset: i,
      });
    }
    g.adjacency();
    g.rowsByScid();
    const ms = performance.now() - t0;
    gc();
    const after = process.memoryUsage();
    const grew = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20;
    expect(g.channelCount).toBe(80_000);
    expect(g.nodeCount).toBe(20_000);
    expect(g.announcedNodeCount).toBe(20_000);
    // typed arrays ~12 MB at these capacities; Maps, per-node objects and the test's address
    // strings come on top. An object per channel would cost well over 50 MB.
    console.log(`graph: ${ms.toFixed(0)} ms, heap+buffers grew ${grew.toFixed(1)} MB, typed arrays ${(g.typedArrayBytes() / 2 ** 20).toFixed(1)} MB`);
    expect(grew).toBeLessThan(40);
    expect(ms).toBeLessThan(5000);
    expect(g).toBeDefined(); // keep g alive until after the measurement
  });
});
