// Framed BOLT 7 messages for the store tests, built with the wire codecs. Signatures are filler
// (the store and the loader check none); node ids are the path-finding helpers' `nid`.
import {
  CHAIN_HASH,
  GOSSIP_MSG,
  encodeChannelAnnouncement,
  encodeChannelUpdate,
  encodeNodeAnnouncement,
  frameMessage,
  type NodeAddress,
} from '../../src/wire/index.ts';
import { nid } from '../pathfinding/helpers.ts';

const SIG = new Uint8Array(64).fill(0x11);
const KEY = (() => {
  const k = new Uint8Array(33).fill(0x22);
  k[0] = 3;
  return k;
})();

export function chanAnn(scid: bigint, a: number, b: number, opts: { features?: Uint8Array; chainHash?: Uint8Array } = {}): Uint8Array {
  return frameMessage(
    GOSSIP_MSG.channel_announcement,
    encodeChannelAnnouncement({
      nodeSignature1: SIG, nodeSignature2: SIG, bitcoinSignature1: SIG, bitcoinSignature2: SIG,
      features: opts.features ?? new Uint8Array(0), chainHash: opts.chainHash ?? CHAIN_HASH.mainnet, shortChannelId: scid,
      nodeId1: nid(Math.min(a, b)), nodeId2: nid(Math.max(a, b)), bitcoinKey1: KEY, bitcoinKey2: KEY, extra: new Uint8Array(0),
    }),
  );
}

export function chanUpd(scid: bigint, dir: 0 | 1, timestamp: number, opts: { disable?: boolean; fee?: number; chainHash?: Uint8Array } = {}): Uint8Array {
  return frameMessage(
    GOSSIP_MSG.channel_update,
    encodeChannelUpdate({
      signature: SIG, chainHash: opts.chainHash ?? CHAIN_HASH.mainnet, shortChannelId: scid, timestamp, messageFlags: 1,
      channelFlags: dir | (opts.disable ? 2 : 0), cltvExpiryDelta: 144, htlcMinimumMsat: 1000n, feeBaseMsat: opts.fee ?? 1000,
      feeProportionalMillionths: 10, htlcMaximumMsat: 5_000_000_000n, extra: new Uint8Array(0),
    }),
  );
}

export function nodeAnn(n: number, timestamp: number, features: Uint8Array, addresses: NodeAddress[] = []): Uint8Array {
  const alias = new Uint8Array(32);
  alias.set(new TextEncoder().encode(`node-${n}`));
  return frameMessage(
    GOSSIP_MSG.node_announcement,
    encodeNodeAnnouncement({
      signature: SIG, features, timestamp, nodeId: nid(n), rgbColor: Uint8Array.of(n & 255, 2, 3), alias,
      addresses, unknownAddressBytes: new Uint8Array(0), extra: new Uint8Array(0),
    }),
  );
}
