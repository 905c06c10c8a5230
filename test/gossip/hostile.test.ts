// Hostile gossip peers against a real node on real sockets: floods of valid-looking messages that
// cannot be verified (updates for unknown channels, announcements of unknown nodes, bad
// signatures), a sync peer answering query_channel_range with far too many short_channel_ids, and
// a peer querying every scid over and over. Each is bounded per peer; memory stays bounded; an
// honest peer syncing at the same time is unaffected.
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.ts';
import { deterministicRandom } from '../../src/crypto/index.ts';
import { DEFAULT_INIT_FEATURE_BITS, PeerRegistry, type Peer } from '../../src/transport/index.ts';
import { createLogger, memorySink } from '../../src/util/log.ts';
import {
  featuresFromBits,
  GOSSIP_MSG,
  CHAIN_HASH,
  encodeReplyChannelRange,
  encodeQueryShortChannelIds,
  encodeQueryChannelRange,
  decodeQueryChannelRange,
} from '../../src/wire/index.ts';
import { channelUpdate, secretOf, signedSet, waitFor as waitUntil } from './fixtures.ts';

const NOW = Math.floor(Date.now() / 1000);
const waitFor = (cond: () => boolean, ms = 15_000) => waitUntil(cond, ms);
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function node(gossipLimits = {}): Promise<Node> {
  const n = await Node.start({ port: 0, logLevel: 'warn', gossipLimits: { flushIntervalMs: 50, ...gossipLimits } });
  cleanup.push(() => n.stop());
  return n;
}

/** A raw peer: our transport with gossip_queries, its own handlers for gossip types. */
async function rawPeer(name: string, target: Node, handlers: Partial<Record<number, (p: Peer, payload: Uint8Array) => void>> = {}) {
  const random = deterministicRandom(name);
  const reg = new PeerRegistry({
    nodeSecret: random(32),
    network: 'regtest',
    logger: createLogger({ level: 'warn', sinks: [memorySink(100)] }),
    random,
    limits: { pingIntervalMs: 0 },
    localFeatures: featuresFromBits([...DEFAULT_INIT_FEATURE_BITS, 7]),
  });
  cleanup.push(() => reg.close());
  for (const t of Object.values(GOSSIP_MSG)) reg.onMessage(t, (p, m) => handlers[t]?.(p, m));
  const peer = await reg.connect(target.nodeId, '127.0.0.1', target.tcpAddress!.port);
  return { reg, peer };
}

const heap = () => process.memoryUsage().heapUsed;

describe('hostile gossip', () => {
  it('floods of unverifiable messages are bounded per peer; an honest sync alongside completes', async () => {
    const honestSet = signedSet({ nodes: 10, edges: Array.from({ length: 12 }, (_, i) => [i % 10, (i + 3) % 10] as [number, number]), now: NOW, seed: 'honest' });
    const honest = await node();
    await honest.gossip.ingest(honestSet.messages);
    const victim = await node({ maxInvalidPerPeer: 1_000_000, maxUnknownScids: 500, maxPendingPerPeer: 5_000, queryTimeoutMs: 1500 });
    const h0 = heap();
    const attacker = await rawPeer('attacker', victim);
    await victim.connect(honest.nodeId, '127.0.0.1', honest.tcpAddress!.port);
    // 30,000 channel_updates for channels nobody announced, each correctly signed by some key.
    const key = secretOf('attacker', 0);
    const upd = channelUpdate(1n, 0, NOW - 10, key);
    const flood: [number, Uint8Array][] = [];
    for (let i = 0; i < 30_000; i++) {
      const m = Uint8Array.from(upd);
      new DataView(m.buffer).setBigUint64(2 + 64 + 32, BigInt(1000 + i) << 40n); // another scid (signature now wrong, but unverifiable first)
      flood.push([GOSSIP_MSG.channel_update, m.subarray(2)]);
    }
    // 5,000 node_announcements of nodes with no channel.
    const stranger = signedSet({ nodes: 1, edges: [], now: NOW, seed: 'stranger' }).messages[0]!;
    for (let i = 0; i < 5000; i++) flood.push([GOSSIP_MSG.node_announcement, stranger.subarray(2)]);
    // As fast as the victim reads: it stops reading a peer it is behind with (flow control), so the
    // attacker's output queue fills and it must wait, as a real sender would.
    void (async () => {
      for (const [t, m] of flood) while (attacker.peer.connected && !attacker.peer.send(t, m)) await new Promise((r) => setTimeout(r, 2));
    })();
    await waitFor(() => honest.graph.channelCount === victim.graph.channelCount && victim.gossip.isSynced);
    const attackerId = Buffer.from(attacker.reg.nodeId).toString('hex');
    await waitFor(() => victim.gossip.stats().peers.find((p) => p.peer === attackerId)?.rejected === 35_000);
    const st = victim.gossip.stats();
    expect(st.channels).toBe(12);
    expect(st.rejected.bad_signature).toBe(0); // never got as far as a signature check
    // Memory: the remembered unknown scids are capped; the heap did not grow by the flood's size.
    expect(heap() - h0).toBeLessThan(64 * 1024 * 1024);
    const att = st.peers.find((p) => p.peer === attackerId)!;
    expect(st.rejected.unknown_channel + st.rejected.rate_limited).toBe(30_000);
    expect(att).toMatchObject({ received: 35_000, accepted: 0 });
    expect(st.peers.find((p) => p.peer === honest.nodeIdHex)!.accepted).toBe(12 + 24 + 10);
  });

  it('bad signatures get one warning, then the peer is disconnected at the bound', async () => {
    const victim = await node({ maxInvalidPerPeer: 20 });
    const set = signedSet({ nodes: 4, edges: [[0, 1], [2, 3], [1, 2]], now: NOW, seed: 'badsig' });
    const attacker = await rawPeer('badsig', victim);
    let closed = false;
    victim.peers.on('disconnect', () => void (closed = true));
    const ann = Uint8Array.from(set.messages[0]!);
    for (let i = 0; i < 100 && !closed; i++) {
      const m = Uint8Array.from(ann);
      new DataView(m.buffer).setBigUint64(2 + 256 + 2 + 32, BigInt(5000 + i) << 40n); // scid changed after signing
      attacker.peer.send(GOSSIP_MSG.channel_announcement, m.subarray(2));
    }
    await waitFor(() => closed);
    expect(victim.gossip.stats().rejected.bad_signature).toBeGreaterThanOrEqual(20);
    expect(victim.graph.channelCount).toBe(0);
  });

  it('a sync peer answering with too many short_channel_ids is cut off', async () => {
    const victim = await node({ maxRangeScids: 50_000 });
    let replies = 0;
    const attacker = await rawPeer('bigrange', victim, {
      [GOSSIP_MSG.query_channel_range]: (p, payload) => {
        const q = decodeQueryChannelRange(payload);
        // 8,000 scids per reply, never the final one.
        for (let r = 0; r < 10 && p.connected; r++) {
          const scids = Array.from({ length: 8000 }, (_, i) => (BigInt(100 + r) << 40n) | BigInt(i));
          p.send(GOSSIP_MSG.reply_channel_range, encodeReplyChannelRange({ chainHash: q.chainHash, firstBlocknum: 100 + r, numberOfBlocks: 1, syncComplete: 0, shortChannelIds: scids, unknownTlvs: [] }));
          replies++;
        }
      },
    });
    await waitFor(() => !attacker.peer.connected);
    expect(replies).toBeGreaterThanOrEqual(7);
    expect(victim.graph.channelCount).toBe(0);
  });

  it('a peer querying every scid over and over is answered one query at a time and rate limited', async () => {
    const victim = await node({ queriesPerMinute: 5 });
    const set = signedSet({ nodes: 10, edges: Array.from({ length: 20 }, (_, i) => [i % 10, (i + 1 + (i >> 1)) % 10] as [number, number]).filter(([a, b]) => a !== b), now: NOW, seed: 'queried' });
    await victim.gossip.ingest(set.messages);
    let ends = 0;
    let received = 0;
    const attacker = await rawPeer('queries', victim, {
      [GOSSIP_MSG.reply_short_channel_ids_end]: () => void ends++,
      [GOSSIP_MSG.channel_announcement]: () => void received++,
    });
    const q = encodeQueryShortChannelIds({ chainHash: CHAIN_HASH.regtest, shortChannelIds: Array.from({ length: 8000 }, (_, i) => (BigInt(100 + (i % 20)) << 40n) | BigInt(i)), unknownTlvs: [] });
    for (let i = 0; i < 50; i++) attacker.peer.send(GOSSIP_MSG.query_short_channel_ids, q);
    for (let i = 0; i < 50; i++) attacker.peer.send(GOSSIP_MSG.query_channel_range, encodeQueryChannelRange({ chainHash: CHAIN_HASH.regtest, firstBlocknum: 0, numberOfBlocks: 0xffffffff, unknownTlvs: [] }));
    await new Promise((r) => setTimeout(r, 1500));
    // At most 5 queries a minute are answered, whatever was sent.
    expect(ends).toBeLessThanOrEqual(5);
    expect(ends).toBeGreaterThanOrEqual(1);
    expect(victim.gossip.stats().rejected.rate_limited).toBeGreaterThan(0);
    // A well-behaved peer still syncs from the node.
    const honest = await node();
    await honest.connect(victim.nodeId, '127.0.0.1', victim.tcpAddress!.port);
    await waitFor(() => honest.gossip.isSynced && honest.graph.channelCount === victim.graph.channelCount);
    void received;
  });
});
