// Gossip between our own nodes on real sockets: a node with an empty graph syncs from a peer
// (query_channel_range, then query_short_channel_ids for what it lacks), a third node syncs from
// the second, new gossip is relayed to peers that asked with a gossip_timestamp_filter, and local
// validation counts every refusal by reason.
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.ts';
import { toHex } from '../../src/util/bytes.ts';
import { channelUpdate, signedSet, waitFor } from './fixtures.ts';

const NOW = Math.floor(Date.now() / 1000);
const nodes: Node[] = [];

async function start(): Promise<Node> {
  const n = await Node.start({ port: 0, logLevel: 'warn', gossipLimits: { flushIntervalMs: 50, queryTimeoutMs: 5000 } });
  nodes.push(n);
  return n;
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

// A ring of 12 nodes plus chords: 18 channels.
const EDGES: [number, number][] = [...Array.from({ length: 12 }, (_, i) => [i, (i + 1) % 12] as [number, number]), [0, 6], [1, 7], [2, 8], [3, 9], [4, 10], [5, 11]];

describe('gossip sync between our nodes', () => {
  it('an empty node syncs the whole graph from a peer, and a third node from the second', async () => {
    const set = signedSet({ nodes: 12, edges: EDGES, now: NOW });
    const a = await start();
    await a.gossip.ingest(set.messages);
    expect(a.graph.channelCount).toBe(18);
    expect(a.graph.announcedNodeCount).toBe(12);

    const b = await start();
    await b.connect(a.nodeId, '127.0.0.1', a.tcpAddress!.port);
    await waitFor(() => b.gossip.isSynced && b.graph.channelCount === 18 && b.graph.announcedNodeCount === 12);
    const sb = b.gossip.stats();
    expect(sb.accepted).toEqual({ channel_announcement: 18, channel_update: 36, node_announcement: 12 });
    expect(sb.rejected.bad_signature).toBe(0);
    const aSide = a.gossip.stats().peers.find((p) => p.peer === b.nodeIdHex)!;
    expect(aSide.queries_answered).toBeGreaterThanOrEqual(2); // a range query, then scid queries
    // The same updates in both graphs.
    for (const scid of set.scids) {
      const ra = a.graph.channelRow(scid);
      const rb = b.graph.channelRow(scid);
      expect(rb).toBeGreaterThanOrEqual(0);
      expect(b.graph.updateTimestamp(rb, 0)).toBe(a.graph.updateTimestamp(ra, 0));
      expect(b.graph.updateTimestamp(rb, 1)).toBe(a.graph.updateTimestamp(ra, 1));
    }

    const c = await start();
    await c.connect(b.nodeId, '127.0.0.1', b.tcpAddress!.port);
    await waitFor(() => c.gossip.isSynced && c.graph.channelCount === 18 && c.graph.announcedNodeCount === 12);
  });

  it('relays new gossip to peers that asked for it, not back to its origin', async () => {
    const set = signedSet({ nodes: 4, edges: [[0, 1], [1, 2], [2, 3]], now: NOW });
    const a = await start();
    await a.gossip.ingest(set.messages);
    const b = await start();
    const c = await start();
    await b.connect(a.nodeId, '127.0.0.1', a.tcpAddress!.port);
    await waitFor(() => b.gossip.isSynced && b.graph.channelCount === 3);
    await c.connect(b.nodeId, '127.0.0.1', b.tcpAddress!.port);
    await waitFor(() => c.gossip.isSynced && c.graph.channelCount === 3);
    // A newer update for channel 0, direction 0, enters at a; b asked a for new gossip, c asked b.
    const scid = set.scids[0]!;
    const row = a.graph.channelRow(scid);
    const dir0Node = toHex(a.graph.nodeId(a.graph.endOf(row, 0)));
    const secret = set.nodeSecrets[set.nodeIds.findIndex((id) => toHex(id) === dir0Node)]!;
    await a.gossip.ingest([channelUpdate(scid, 0, NOW - 10, secret, { feeBase: 7 })]);
    await waitFor(() => c.graph.updateTimestamp(c.graph.channelRow(scid), 0) === NOW - 10);
    expect(b.graph.half(b.graph.channelRow(scid), 0)!.feeBaseMsat).toBe(7);
    expect(c.graph.half(c.graph.channelRow(scid), 0)!.feeBaseMsat).toBe(7);
    // b did not send it back to a: a counts no duplicate from b.
    await new Promise((r) => setTimeout(r, 200));
    expect(a.gossip.stats().peers.find((p) => p.peer === b.nodeIdHex)!.rejected).toBe(0);
  });
});

describe('nodes joining together', () => {
  it('two empty nodes that meet first still learn the graph from a third', async () => {
    const set = signedSet({ nodes: 6, edges: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]], now: NOW, seed: 'join' });
    const a = await start();
    await a.gossip.ingest(set.messages);
    const [b, c] = [await start(), await start()];
    await b.connect(c.nodeId, '127.0.0.1', c.tcpAddress!.port);
    await Promise.all([b.connect(a.nodeId, '127.0.0.1', a.tcpAddress!.port), c.connect(a.nodeId, '127.0.0.1', a.tcpAddress!.port)]);
    await waitFor(() => [b, c].every((n) => n.gossip.isSynced && n.graph.channelCount === 5 && n.graph.announcedNodeCount === 6));
  });
});

describe('flow control', () => {
  it('a sync far larger than the pending bound loses nothing: reading the peer is held while we validate', async () => {
    const n = 600;
    const edges: [number, number][] = [];
    for (let i = 0; i < 1800; i++) edges.push([i % n, (i * 7 + 1 + Math.floor(i / n)) % n]);
    const set = signedSet({ nodes: n, edges: edges.filter(([x, y]) => x !== y), now: NOW, seed: 'flow' });
    const a = await start();
    await a.gossip.ingest(set.messages);
    const total = a.graph.channelCount;
    expect(total).toBeGreaterThan(1700);
    const b = await Node.start({ port: 0, logLevel: 'warn', gossipLimits: { maxPendingPerPeer: 2000, batchSize: 32 } });
    nodes.push(b);
    await b.connect(a.nodeId, '127.0.0.1', a.tcpAddress!.port);
    await waitFor(() => b.gossip.isSynced && b.graph.channelCount === total && b.graph.announcedNodeCount === n, 30_000);
    expect(b.gossip.stats().rejected.rate_limited).toBe(0);
  });
});

describe('gossip validation counts refusals by reason', () => {
  it('bad signatures, wrong chains, stale and far-future timestamps, unknown channels and nodes, non-canonical signatures, duplicates', async () => {
    const set = signedSet({ nodes: 3, edges: [[0, 1]], now: NOW });
    const n = await start();
    await n.gossip.ingest(set.messages);
    const base = n.gossip.stats().rejected;
    // Node 2 has no channel: BOLT 7 "SHOULD ignore" its node_announcement.
    expect(Object.entries(base).filter(([, v]) => v !== 0)).toEqual([['unknown_node', 1]]);
    const [ann, upd0] = set.messages as [Uint8Array, Uint8Array];
    const secret0 = set.nodeSecrets[set.nodeIds.findIndex((id) => toHex(id) === toHex(n.graph.nodeId(n.graph.endOf(n.graph.channelRow(set.scids[0]!), 0))))]!;
    const tampered = Uint8Array.from(channelUpdate(set.scids[0]!, 0, NOW - 5, secret0));
    tampered[tampered.length - 1]! ^= 1; // htlc_maximum_msat changed after signing
    const highS = Uint8Array.from(channelUpdate(set.scids[0]!, 0, NOW - 4, secret0));
    highS.set(Uint8Array.from(Buffer.from('ffffffffffffffffffffffffffffffffbaaedce6af48a03bbfd25e8cd0364140', 'hex')), 2 + 32);
    await n.gossip.ingest([
      tampered,
      highS,
      channelUpdate(set.scids[0]!, 0, NOW - 3, secret0, { chainHash: new Uint8Array(32).fill(7) }),
      channelUpdate(set.scids[0]!, 0, NOW - 15 * 86400, secret0),
      channelUpdate(set.scids[0]!, 0, NOW + 3 * 86400, secret0),
      channelUpdate((999n << 40n) | 1n, 0, NOW - 2, secret0),
      ann!,
      upd0!,
      set.messages[set.messages.length - 1]!, // node 2's announcement: node 2 has no channel
    ]);
    const r = n.gossip.stats().rejected;
    expect(r).toMatchObject({ bad_signature: 1, non_canonical: 1, wrong_chain: 1, stale: 1, future_timestamp: 1, unknown_channel: 1, duplicate: 2, unknown_node: 2 });
    expect(n.graph.channelCount).toBe(1);
    expect(n.graph.updateTimestamp(n.graph.channelRow(set.scids[0]!), 0)).toBe(NOW - 100);
  });
});
