// Announced channels for a test network. There are no real channels yet, so the test network
// announces one per topology edge: a `channel_announcement` signed by both nodes (and by two
// bitcoin keys made up for it: no chain backend checks the funding output, see src/gossip/sync.ts),
// a `channel_update` per direction, and a `node_announcement` per node with its loopback address
// and `option_onion_messages`. They pass every check real gossip passes (BOLT 7), so path finding
// (src/pathfinding) sees the topology as a real node would.
import { isPrivateKey, publicKey, type RandomSource } from '../crypto/index.ts';
import { signChannelAnnouncement, signChannelUpdate, signNodeAnnouncement } from '../gossip/verify.ts';
import { compareBytes } from '../util/bytes.ts';
import { CHAIN_HASH, type Network } from '../wire/chains.ts';
import { featuresFromBits, frameMessage, GOSSIP_MSG, nodeAliasFromText } from '../wire/index.ts';

export interface GossipNode {
  nodeSecret: Uint8Array;
  alias: string;
  /** The node's TCP port on 127.0.0.1 (announced as its address). */
  port: number;
}

/** Framed messages for one edge and per node. */
export interface TopologyGossip {
  /** Per edge: the channel_announcement and its two channel_updates. */
  channels: Array<{ scid: bigint; edge: [number, number]; messages: Uint8Array[] }>;
  /** Per node: its node_announcement. */
  nodeAnnouncements: Uint8Array[];
}

/** BOLT 7 short_channel_id: block (3 bytes), transaction index (3), output (2). Made-up: block 101 + k. */
export function testnetScid(k: number): bigint {
  return (BigInt(101 + k) << 40n) | (1n << 16n);
}

/** BOLT 9 `option_onion_messages` (39, optional): what a test network's nodes announce. */
const NODE_FEATURES = [39];

export function topologyGossip(opts: { network: Network; nodes: GossipNode[]; edges: ReadonlyArray<readonly [number, number]>; timestamp: number; random: RandomSource }): TopologyGossip {
  const chainHash = CHAIN_HASH[opts.network];
  const ids = opts.nodes.map((n) => publicKey(n.nodeSecret));
  const ts = Math.floor(opts.timestamp);
  const channels = opts.edges.map(([x, y], k) => {
    // BOLT 7: node_id_1 is the numerically lesser of the two node ids.
    const [a, b] = compareBytes(ids[x]!, ids[y]!) < 0 ? [x, y] : [y, x];
    const btc1 = randomSecret(opts.random);
    const btc2 = randomSecret(opts.random);
    const scid = testnetScid(k);
    const ann = signChannelAnnouncement(
      { features: new Uint8Array(0), chainHash, shortChannelId: scid, nodeId1: ids[a]!, nodeId2: ids[b]!, bitcoinKey1: publicKey(btc1), bitcoinKey2: publicKey(btc2) },
      { nodeSecret1: opts.nodes[a]!.nodeSecret, nodeSecret2: opts.nodes[b]!.nodeSecret, bitcoinSecret1: btc1, bitcoinSecret2: btc2 },
    );
    // BOLT 7, channel_update: direction 0 is sent by node_id_1, 1 by node_id_2; `message_flags`
    // bit 0 (must_be_one) set, htlc_maximum_msat present.
    const update = (direction: 0 | 1, secret: Uint8Array) =>
      frameMessage(
        GOSSIP_MSG.channel_update,
        signChannelUpdate(
          {
            chainHash,
            shortChannelId: scid,
            timestamp: ts,
            messageFlags: 1,
            channelFlags: direction,
            cltvExpiryDelta: 40,
            htlcMinimumMsat: 1n,
            feeBaseMsat: 1000,
            feeProportionalMillionths: 10,
            htlcMaximumMsat: 1_000_000_000n,
          },
          secret,
        ),
      );
    return {
      scid,
      edge: [x, y] as [number, number],
      messages: [frameMessage(GOSSIP_MSG.channel_announcement, ann), update(0, opts.nodes[a]!.nodeSecret), update(1, opts.nodes[b]!.nodeSecret)],
    };
  });
  const nodeAnnouncements = opts.nodes.map((n, i) =>
    frameMessage(
      GOSSIP_MSG.node_announcement,
      signNodeAnnouncement(
        {
          features: featuresFromBits(NODE_FEATURES),
          timestamp: ts,
          nodeId: ids[i]!,
          rgbColor: Uint8Array.from([0x12, 0xd0, i & 0xff]),
          alias: nodeAliasFromText(n.alias.slice(0, 32)),
          addresses: [{ type: 'ipv4', addr: Uint8Array.from([127, 0, 0, 1]), port: n.port }],
        },
        n.nodeSecret,
      ),
    ),
  );
  return { channels, nodeAnnouncements };
}

/**
 * What node `i` knows by itself, as a real node would: its own channels (it signed them) and the
 * node_announcements of itself and of its channels' other ends (they send them when the channel
 * is announced). The rest reaches it by gossip.
 */
export function ownGossip(g: TopologyGossip, i: number): Uint8Array[] {
  const mine = g.channels.filter((c) => c.edge.includes(i));
  const others = new Set<number>([i]);
  for (const c of mine) for (const x of c.edge) others.add(x);
  // Announcements first, then updates (BOLT 7: an update for an unknown channel is not taken),
  // then node announcements (a node without a channel is not taken).
  return [...mine.map((c) => c.messages[0]!), ...mine.flatMap((c) => c.messages.slice(1)), ...[...others].map((x) => g.nodeAnnouncements[x]!)];
}

/** A valid secp256k1 secret (32 random bytes are one but for a 2^-128 chance). */
export function randomSecret(random: RandomSource): Uint8Array {
  for (;;) {
    const s = random(32);
    if (isPrivateKey(s)) return s;
  }
}
