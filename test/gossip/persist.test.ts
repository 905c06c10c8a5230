// The graph survives a restart: a node with a datadir syncs from a peer, stops, starts again with
// the graph loaded from its gossip store, and asks its peer only for what is new (no
// query_channel_range, no scid queries).
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.ts';
import { tempDir } from '../tmp.ts';
import { signedSet, waitFor } from './fixtures.ts';

const NOW = Math.floor(Date.now() / 1000);
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

describe('gossip persistence', () => {
  it('a restart loads the persisted graph without asking peers for it again', async () => {
    const set = signedSet({ nodes: 8, edges: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 0], [0, 4]], now: NOW, seed: 'persist' });
    const peer = await Node.start({ port: 0, logLevel: 'warn' });
    nodes.push(peer);
    await peer.gossip.ingest(set.messages);
    const datadir = tempDir('bolt12d-gossip-persist-');
    const a = await Node.start({ datadir, port: 0, logLevel: 'warn' });
    await a.connect(peer.nodeId, '127.0.0.1', peer.tcpAddress!.port);
    await waitFor(() => a.gossip.isSynced && a.graph.channelCount === 9 && a.graph.announcedNodeCount === 8);
    expect(peer.gossip.stats().peers.find((p) => p.peer === a.nodeIdHex)!.queries_answered).toBeGreaterThanOrEqual(2);
    const before = { ch: a.graph.channelCount, nodes: a.graph.announcedNodeCount };
    await a.stop();

    const a2 = await Node.start({ datadir, port: 0, logLevel: 'warn' });
    nodes.push(a2);
    expect(a2.nodeIdHex).toBe(a.nodeIdHex);
    expect({ ch: a2.graph.channelCount, nodes: a2.graph.announcedNodeCount }).toEqual(before);
    expect(a2.gossip.isSynced).toBe(true);
    for (const scid of set.scids) {
      expect(a2.graph.updateTimestamp(a2.graph.channelRow(scid), 1)).toBe(NOW - 90);
    }
    await a2.connect(peer.nodeId, '127.0.0.1', peer.tcpAddress!.port);
    await waitFor(() => peer.gossip.stats().peers.some((p) => p.peer === a2.nodeIdHex && p.filter !== undefined));
    await new Promise((r) => setTimeout(r, 300));
    const seen = peer.gossip.stats().peers.find((p) => p.peer === a2.nodeIdHex)!;
    expect(seen.queries_answered).toBe(0);
    // The filter asks only for what is newer than what a2 holds.
    expect(seen.filter!.first_timestamp).toBeGreaterThanOrEqual(NOW - 90 - 600);
  });
});
