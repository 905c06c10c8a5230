// Gossip interop with LDK 0.1 (npm lightningdevkit, P2PGossipSync) on real sockets:
// - LDK's NetworkGraph accepts what we send it: LDK's gossip_timestamp_filter makes our node
//   stream its graph, and LDK then lists those channels (both updates) and nodes;
// - we accept and store what LDK sends in answer to our queries: our empty node asks LDK with
//   query_channel_range (LDK answers), then query_short_channel_ids (LDK 0.1 does not answer
//   those), and falls back to LDK's dump via gossip_timestamp_filter; our graph then holds LDK's.
// See /work/notes facts reproduced in test/interop/ldk-gossip-harness.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.ts';
import { toHex } from '../../src/util/bytes.ts';
import { initLdk, startLdkNode, type LdkNode } from './ldk-harness.ts';
import { signedSet, waitFor as waitUntil } from '../gossip/fixtures.ts';

const NOW = Math.floor(Date.now() / 1000);
const waitFor = (cond: () => boolean, ms = 15_000) => waitUntil(cond, ms);
const EDGES: [number, number][] = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0], [0, 2], [1, 3], [5, 0]];
let ldk: LdkNode;
const ours: Node[] = [];

beforeAll(async () => {
  await initLdk();
});
afterEach(async () => {
  await Promise.all(ours.splice(0).map((n) => n.stop()));
  await ldk?.stop();
});
afterAll(() => undefined);

describe('gossip with LDK 0.1', () => {
  it("LDK's NetworkGraph takes the channels and nodes our node streams to it", async () => {
    const set = signedSet({ nodes: 6, edges: EDGES, now: NOW, seed: 'ldk-ours' });
    const a = await Node.start({ port: 0, logLevel: 'warn' });
    ours.push(a);
    await a.gossip.ingest(set.messages);
    ldk = await startLdkNode({ gossip: true });
    await a.connect(ldk.nodeId, '127.0.0.1', ldk.port);
    await waitFor(() => ldk.graphChannels().filter((c) => c.hasUpdate1 && c.hasUpdate2).length === EDGES.length);
    const chans = ldk.graphChannels();
    expect(chans.map((c) => c.scid).sort()).toEqual([...set.scids].sort());
    for (const c of chans) {
      const row = a.graph.channelRow(c.scid);
      expect(c.node1).toBe(toHex(a.graph.nodeId(a.graph.endOf(row, 0))));
      expect(c.timestamp1).toBe(a.graph.updateTimestamp(row, 0));
      expect(c.timestamp2).toBe(a.graph.updateTimestamp(row, 1));
    }
    await waitFor(() => ldk.graphNodes().filter((n) => n.announcement).length === 6);
    expect(ldk.graphNodes().map((n) => n.nodeId).sort()).toEqual(set.nodeIds.map((n) => toHex(n)).sort());
    expect(ldk.graphNodes().find((n) => n.nodeId === toHex(set.nodeIds[2]!))!.announcement!.aliasText).toBe('node2');
  });

  it("our empty node syncs LDK's graph: query_channel_range answered, scid queries not, then LDK's dump", async () => {
    const set = signedSet({ nodes: 6, edges: EDGES, now: NOW, seed: 'ldk-theirs' });
    ldk = await startLdkNode({ gossip: true });
    const fed = ldk.feedGossip(set.messages);
    expect(fed.filter((r) => !r.ok)).toEqual([]);
    const b = await Node.start({ port: 0, logLevel: 'warn', gossipLimits: { scidQueryTimeoutMs: 1500 } });
    ours.push(b);
    await b.connect(ldk.nodeId, '127.0.0.1', ldk.port);
    await waitFor(() => b.gossip.isSynced && b.graph.channelCount === EDGES.length && b.graph.announcedNodeCount === 6);
    const st = b.gossip.stats();
    expect(st.accepted).toEqual({ channel_announcement: EDGES.length, channel_update: 2 * EDGES.length, node_announcement: 6 });
    expect(st.rejected.bad_signature).toBe(0);
    // LDK answered our query_channel_range, ignored our query_short_channel_ids.
    expect(ldk.messageCounts(b.nodeId).in['QueryChannelRange']).toBe(1);
    expect(ldk.messageCounts(b.nodeId).out['ReplyChannelRange']).toBeGreaterThanOrEqual(1);
    for (const scid of set.scids) {
      const row = b.graph.channelRow(scid);
      expect(row).toBeGreaterThanOrEqual(0);
      expect(b.graph.updateTimestamp(row, 0)).toBe(ldk.graphChannel(scid)!.timestamp1);
    }
  });
});
