// Small, validly signed gossip sets for tests: node keys from a seed, a channel per edge (both
// updates), a node_announcement per node (some with option_onion_messages, each with an IPv4
// address on loopback).
import { publicKey, sha256 } from '../../src/crypto/index.ts';
import { compareBytes } from '../../src/util/bytes.ts';
import { frameMessage, GOSSIP_MSG, CHAIN_HASH, featuresFromBits, nodeAliasFromText, type NodeAddress } from '../../src/wire/index.ts';
import { signChannelAnnouncement, signChannelUpdate, signNodeAnnouncement } from '../../src/gossip/verify.ts';

export const REGTEST = CHAIN_HASH.regtest;

export interface SignedSet {
  /** Framed messages: every channel_announcement with its two updates, then the node announcements. */
  messages: Uint8Array[];
  nodeIds: Uint8Array[];
  nodeSecrets: Uint8Array[];
  scids: bigint[];
}

export function secretOf(seed: string, i: number): Uint8Array {
  return sha256(new TextEncoder().encode(`${seed}/${i}`));
}

export function scidOf(k: number): bigint {
  return (BigInt(100 + k) << 40n) | (BigInt(k + 1) << 16n) | 0n;
}

export function channelUpdate(scid: bigint, direction: 0 | 1, timestamp: number, secret: Uint8Array, opts: { disabled?: boolean; chainHash?: Uint8Array; feeBase?: number } = {}): Uint8Array {
  return frameMessage(
    GOSSIP_MSG.channel_update,
    signChannelUpdate(
      {
        chainHash: opts.chainHash ?? REGTEST,
        shortChannelId: scid,
        timestamp,
        messageFlags: 1,
        channelFlags: direction | (opts.disabled ? 2 : 0),
        cltvExpiryDelta: 40,
        htlcMinimumMsat: 1n,
        feeBaseMsat: opts.feeBase ?? 1000,
        feeProportionalMillionths: 10,
        htlcMaximumMsat: 1_000_000_000n,
      },
      secret,
    ),
  );
}

export function signedSet(opts: {
  nodes: number;
  edges: [number, number][];
  now: number;
  seed?: string;
  onion?: (i: number) => boolean;
  port?: (i: number) => number;
}): SignedSet {
  const seed = opts.seed ?? 'gossip';
  const nodeSecrets = Array.from({ length: opts.nodes }, (_, i) => secretOf(seed, i));
  const nodeIds = nodeSecrets.map((s) => publicKey(s));
  const messages: Uint8Array[] = [];
  const scids: bigint[] = [];
  opts.edges.forEach(([a, b], k) => {
    const [i1, i2] = compareBytes(nodeIds[a]!, nodeIds[b]!) < 0 ? [a, b] : [b, a];
    const btc1 = secretOf(`${seed}/btc`, 2 * k);
    const btc2 = secretOf(`${seed}/btc`, 2 * k + 1);
    const scid = scidOf(k);
    scids.push(scid);
    messages.push(
      frameMessage(
        GOSSIP_MSG.channel_announcement,
        signChannelAnnouncement(
          {
            features: new Uint8Array(0),
            chainHash: REGTEST,
            shortChannelId: scid,
            nodeId1: nodeIds[i1]!,
            nodeId2: nodeIds[i2]!,
            bitcoinKey1: publicKey(btc1),
            bitcoinKey2: publicKey(btc2),
          },
          { nodeSecret1: nodeSecrets[i1]!, nodeSecret2: nodeSecrets[i2]!, bitcoinSecret1: btc1, bitcoinSecret2: btc2 },
        ),
      ),
    );
    messages.push(channelUpdate(scid, 0, opts.now - 100, nodeSecrets[i1]!));
    messages.push(channelUpdate(scid, 1, opts.now - 90, nodeSecrets[i2]!));
  });
  for (let i = 0; i < opts.nodes; i++) {
    const addresses: NodeAddress[] = [{ type: 'ipv4', addr: Uint8Array.from([127, 0, 0, 1]), port: opts.port?.(i) ?? 9735 + i }];
    messages.push(
      frameMessage(
        GOSSIP_MSG.node_announcement,
        signNodeAnnouncement(
          {
            features: (opts.onion?.(i) ?? true) ? featuresFromBits([39]) : new Uint8Array(0),
            timestamp: opts.now - 50,
            nodeId: nodeIds[i]!,
            rgbColor: Uint8Array.from([1, 2, 3]),
            alias: nodeAliasFromText(`node${i}`),
            addresses,
          },
          nodeSecrets[i]!,
        ),
      ),
    );
  }
  return { messages, nodeIds, nodeSecrets, scids };
}

/** Resolve once `cond()` holds, polling every 20 ms; throw after `ms`. */
export async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
