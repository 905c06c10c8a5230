// Hand-built graphs for the graph and path-finding tests: node ids are 33 bytes (0x02, then the
// node's number big-endian); the graph checks no signature, so they need not be curve points.
import { featuresFromBits } from '../../src/wire/features.ts';
import { ChannelGraph, type GraphAddress, type GraphLimits } from '../../src/gossip/graph.ts';
import type { LivePeer } from '../../src/pathfinding/index.ts';

export function nid(n: number): Uint8Array {
  const b = new Uint8Array(33);
  b[0] = 2;
  new DataView(b.buffer).setUint32(1, n);
  return b;
}

/** The number a `nid` was made from. */
export function num(id: Uint8Array): number {
  return new DataView(id.buffer, id.byteOffset).getUint32(1);
}

export const ONION = featuresFromBits([39]);
export const ONION_ONLY_CHANNELS = featuresFromBits([39, 67]);
export const NO_ONION = featuresFromBits([7]);

/** scid for block `b`, tx `t`, output `o`. */
export function scid(b: number, t = 0, o = 0): bigint {
  return (BigInt(b) << 40n) | (BigInt(t) << 16n) | BigInt(o);
}

export class GraphBuilder {
  readonly g: ChannelGraph;
  private next = 1;
  constructor(limits?: Partial<GraphLimits>) {
    this.g = new ChannelGraph(limits);
  }
  /** Add a channel between two numbered nodes (ordered as BOLT 7 wants); returns its scid. */
  chan(a: number, b: number, opts: { scid?: bigint; addedAt?: number } = {}): bigint {
    const s = opts.scid ?? scid(700_000 + this.next++);
    const [x, y] = a < b ? [a, b] : [b, a];
    const r = this.g.addChannel({ scid: s, nodeId1: nid(x), nodeId2: nid(y), offset: -1, addedAt: opts.addedAt ?? 1_700_000_000 });
    if (r !== 'added') throw new Error(`chan ${a}-${b}: ${r}`);
    return s;
  }
  /** A path of channels a-b-c-... */
  line(...ns: number[]): this {
    for (let i = 0; i + 1 < ns.length; i++) this.chan(ns[i]!, ns[i + 1]!);
    return this;
  }
  announce(n: number, features: Uint8Array = ONION, addresses: GraphAddress[] = [], timestamp = 1_700_000_000): this {
    const r = this.g.setNodeAnnouncement({
      nodeId: nid(n), timestamp, features, addresses, alias: new Uint8Array(32), rgbColor: new Uint8Array(3), offset: -1,
    });
    if (r.status !== 'applied') throw new Error(`announce ${n}: ${r.status}`);
    return this;
  }
  /** Announce every node in `ns` with option_onion_messages. */
  supporting(...ns: number[]): this {
    for (const n of ns) this.announce(n, ONION);
    return this;
  }
  update(s: bigint, dir: 0 | 1, opts: { timestamp?: number; disable?: boolean; checksum?: number; offset?: number } = {}) {
    return this.g.applyUpdate({
      scid: s,
      timestamp: opts.timestamp ?? 1_700_000_000,
      messageFlags: 1,
      channelFlags: dir | (opts.disable ? 2 : 0),
      cltvExpiryDelta: 40,
      htlcMinimumMsat: 1000n,
      htlcMaximumMsat: 990_000_000n,
      feeBaseMsat: 1000,
      feeProportionalMillionths: 100,
      offset: opts.offset ?? -1,
      checksum: opts.checksum ?? 0x1234,
    });
  }
}

export function peer(n: number, features: Uint8Array = ONION, hasChannel = false): LivePeer {
  return { nodeId: nid(n), features, hasChannel };
}

/** Node numbers of a path's hops. */
export function nums(hops: Uint8Array[] | null): number[] | null {
  return hops ? hops.map(num) : null;
}
