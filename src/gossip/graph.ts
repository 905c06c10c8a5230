// The channel graph in memory, built for mainnet scale (~20k nodes, ~80k channels) without an
// object per channel: node ids are interned to u32 indexes, channels are rows of struct-of-arrays
// typed arrays that grow by doubling up to configured caps, and adjacency is a CSR (compressed
// sparse row) index rebuilt lazily when the topology changed. It stores what the gossip layer has
// validated (BOLT 7 `channel_announcement`, `channel_update`, `node_announcement`); it checks no
// signature and no chain: the caller validates, the graph keeps.
//
//   const g = new ChannelGraph({ maxChannels: 200_000 });
//   g.addChannel({ scid, nodeId1, nodeId2, offset, addedAt: now });           // → 'added'
//   g.applyUpdate({ scid, timestamp, channelFlags: 0, ... , offset, checksum }); // → { status: 'applied' }
//   g.setNodeAnnouncement({ nodeId: nodeId1, timestamp, features, ... });      // → { status: 'applied' }
//   const row = g.channelRow(scid); const half = g.half(row, 0);
//   const csr = g.adjacency();   // for path finding: neighbours of node i are csr.nbr[csr.start[i] .. csr.start[i+1])
//
// Removal follows BOLT 7 "Pruning the Network View": a node with no channel left is dropped (its
// node_announcement with it), and `pruneStale` drops channels whose newest channel_update (either
// direction) is older than two weeks. Every call that drops or replaces a stored message reports
// the store offsets that became garbage, so the caller can mark them deleted in the gossip store.
import { bytesEqual, toHex } from '../util/bytes.ts';
import { secureRandom, type RandomSource } from '../crypto/index.ts';
import { byteSize, nextCapacity, resized } from './graph-arrays.ts';
import { NodeIdIndex, U64Index } from './graph-index.ts';

/** BOLT 7 "Recommendation on Pruning Stale Entries": two weeks, in seconds. */
export const STALE_CHANNEL_AGE = 1_209_600;

/** BOLT 9: option_onion_messages (38/39). */
export const FEATURE_ONION_MESSAGES = 38;
/**
 * option_onion_messages_only_channels (66/67), a draft (lightning/bolts#1182 era): the node accepts
 * onion messages only from peers it has a channel with (as lnd 0.21 does).
 */
export const FEATURE_ONION_MESSAGES_ONLY_CHANNELS = 66;

/** Node flag bits (`ChannelGraph.nodeFlags`). */
export const NODE_ANNOUNCED = 1;
/** The node_announcement sets bit 38 or 39. */
export const NODE_ONION_MESSAGES = 2;
/** The node_announcement sets bit 66 or 67. */
export const NODE_ONION_ONLY_CHANNELS = 4;

/** Channel flag bits (`ChannelGraph.channelFlags`). */
export const CHAN_LIVE = 1;
/** A channel_update for direction 0 (from node_id_1) is known. */
export const CHAN_HAS_UPDATE_0 = 2;
export const CHAN_HAS_UPDATE_1 = 4;
/** The latest channel_update of direction 0 sets `disable` (channel_flags bit 1). */
export const CHAN_DISABLED_0 = 8;
export const CHAN_DISABLED_1 = 16;

/** A network address from a node_announcement (BOLT 7 address descriptors, parsed). */
export type GraphAddress =
  | { type: 'ipv4'; host: string; port: number }
  | { type: 'ipv6'; host: string; port: number }
  | { type: 'torv3'; host: string; port: number }
  | { type: 'dns'; host: string; port: number }
  /** Type 6 (CLN's experimental websocket descriptor): a port on the host of the other addresses. */
  | { type: 'websocket'; port: number };

export interface GraphLimits {
  /** At most this many channels are kept; `addChannel` answers 'full' beyond it. */
  maxChannels: number;
  /** At most this many nodes (each channel brings up to two); 'full' beyond it. */
  maxNodes: number;
}

export const DEFAULT_GRAPH_LIMITS: GraphLimits = { maxChannels: 250_000, maxNodes: 100_000 };

export interface NewChannel {
  /** BOLT 7 short_channel_id. */
  scid: bigint;
  /** `node_id_1` (the lexicographically lesser key) and `node_id_2`, 33-byte compressed points. */
  nodeId1: Uint8Array;
  nodeId2: Uint8Array;
  /** channel_announcement `features` (usually empty; empty vectors take no memory). */
  features?: Uint8Array;
  /** Offset of the raw channel_announcement in the gossip store (-1: not stored). */
  offset: number;
  /** When we learnt of the channel (seconds): stands in for an update's timestamp when pruning. */
  addedAt: number;
}

/**
 * 'invalid': `node_id_1` equals `node_id_2` or the scid is not a u64 (the validator should have
 * refused such an announcement; the graph never stores one).
 */
export type AddChannelResult = 'added' | 'duplicate' | 'full' | 'invalid';

/** The fields of one channel_update (BOLT 7, type 258) that the graph keeps. */
export interface ChannelUpdateFields {
  scid: bigint;
  timestamp: number;
  messageFlags: number;
  /** Bit 0 `direction` picks the half (0: from node_id_1), bit 1 `disable`. */
  channelFlags: number;
  cltvExpiryDelta: number;
  htlcMinimumMsat: bigint;
  htlcMaximumMsat: bigint;
  feeBaseMsat: number;
  feeProportionalMillionths: number;
  /** Offset of the raw channel_update in the gossip store (-1: not stored). */
  offset: number;
  /**
   * BOLT 7 `channel_update_checksums`: CRC32C of the update without `signature` and `timestamp`
   * (`channelUpdateChecksum` in store-crc.ts), kept for `reply_channel_range`.
   */
  checksum: number;
}

export type ApplyUpdateResult =
  | { status: 'applied'; replacedOffset: number }
  | { status: 'unknown-channel' }
  /** BOLT 7: "if `timestamp` is lower than that of the last-received channel_update ...: SHOULD ignore". */
  | { status: 'stale' }
  /** Same timestamp as the one kept; `sameChecksum` says whether the fields below `timestamp` agree. */
  | { status: 'same-timestamp'; sameChecksum: boolean };

export interface NodeAnnouncementFields {
  nodeId: Uint8Array;
  timestamp: number;
  features: Uint8Array;
  addresses: readonly GraphAddress[];
  /** 32 bytes, zero padded (BOLT 7 `alias`). */
  alias: Uint8Array;
  /** 3 bytes (BOLT 7 `rgb_color`). */
  rgbColor: Uint8Array;
  /** Offset of the raw node_announcement in the gossip store (-1: not stored). */
  offset: number;
}

export type SetNodeResult =
  | { status: 'applied'; replacedOffset: number }
  /** BOLT 7: "if `node_id` is NOT previously known from a `channel_announcement` message ...: SHOULD ignore". */
  | { status: 'unknown-node' }
  /** BOLT 7: "... OR if `timestamp` is NOT greater than the last-received `node_announcement`: SHOULD ignore". */
  | { status: 'stale' };

/** One direction of a channel, as its latest channel_update left it. */
export interface HalfChannel {
  timestamp: number;
  messageFlags: number;
  channelFlags: number;
  cltvExpiryDelta: number;
  htlcMinimumMsat: bigint;
  htlcMaximumMsat: bigint;
  feeBaseMsat: number;
  feeProportionalMillionths: number;
  offset: number;
  checksum: number;
}

/** A node's latest node_announcement (undefined until one is known). */
export interface NodeAnnouncementInfo {
  readonly timestamp: number;
  readonly features: Uint8Array;
  readonly addresses: readonly GraphAddress[];
  readonly alias: Uint8Array;
  readonly rgbColor: Uint8Array;
  readonly offset: number;
}

/** What a removal dropped: scids, node ids and the store offsets that became garbage. */
export interface Removed {
  channels: bigint[];
  nodes: Uint8Array[];
  /** Store offsets of the dropped announcements and updates (never -1). */
  offsets: number[];
}

interface NodeSlot {
  readonly timestamp: number;
  readonly features: Uint8Array;
  readonly addresses: readonly GraphAddress[];
  readonly offset: number;
}

/**
 * Adjacency in CSR form: the channels of node `i` are `start[i] .. start[i+1]` in `nbr` (the node
 * at the other end) and `row` (the channel row). Built from the live channels; valid until the
 * topology changes (`ChannelGraph.topologyVersion`). Node indexes of deleted nodes have no entries.
 */
export interface Adjacency {
  readonly start: Int32Array;
  readonly nbr: Int32Array;
  readonly row: Int32Array;
  /** Node index bound (arrays indexed by node are at least this long). */
  readonly nodeBound: number;
  readonly version: number;
}

const NO_OFFSET = -1;
const U32 = 0x1_0000_0000n;

const hiOf = (scid: bigint) => Number(scid >> 32n) >>> 0;
const loOf = (scid: bigint) => Number(scid & 0xffff_ffffn) >>> 0;

function checkNodeId(id: Uint8Array, field: string): void {
  if (!(id instanceof Uint8Array) || id.length !== 33) throw new TypeError(`${field}: a node id is 33 bytes`);
}

/** Whether `vec` sets either bit of the pair starting at the even bit `even` (BOLT 9 "offered"). */
function offers(vec: Uint8Array, even: number): boolean {
  const idx = vec.length - 1 - (even >> 3);
  if (idx < 0) return false;
  // even and even+1 sit in the same byte (even is even).
  return (vec[idx]! & (3 << (even & 7))) !== 0;
}

export class ChannelGraph {
  readonly limits: GraphLimits;

  // ---- nodes (index → SoA) ----
  private nodeCap = 0;
  private nodeHigh = 0; // indexes ever used (bound)
  private readonly freeNodes: number[] = [];
  private readonly nodeIndexById: NodeIdIndex;
  private nodeIdBytes = new Uint8Array(0); // 33 per node
  /** Channels per node (0 for a free index). */
  private nodeChannelCount = new Uint32Array(0);
  /** NODE_* bits per node; read by path finding. */
  nodeFlags = new Uint8Array(0);
  /** Per announced node: what is not fixed-size (alias and rgb sit in the arrays below). */
  private nodeInfo: (NodeSlot | undefined)[] = [];
  private nodeAlias = new Uint8Array(0); // 32 per node
  private nodeRgb = new Uint8Array(0); // 3 per node
  /** Feature vectors shared between nodes (most announce one of a few dozen), bounded. */
  private readonly featureCache = new Map<string, Uint8Array>();
  private liveNodes = 0;
  private announcedNodes = 0;

  // ---- channels (row → SoA) ----
  private chanCap = 0;
  private chanHigh = 0;
  private readonly freeRows: number[] = [];
  private readonly rowByScid: U64Index;
  private scidHi = new Uint32Array(0);
  private scidLo = new Uint32Array(0);
  private node1 = new Uint32Array(0);
  private node2 = new Uint32Array(0);
  /** CHAN_* bits per row; read by path finding. */
  channelFlags = new Uint8Array(0);
  private annOffset = new Float64Array(0);
  private addedAt = new Uint32Array(0);
  private readonly chanFeatures = new Map<number, Uint8Array>(); // only non-empty vectors
  // per direction, index 2*row + dir
  private updTimestamp = new Uint32Array(0);
  private updMsgFlags = new Uint8Array(0);
  private updChanFlags = new Uint8Array(0);
  private updCltv = new Uint16Array(0);
  private updHtlcMin = new BigUint64Array(0);
  private updHtlcMax = new BigUint64Array(0);
  private updFeeBase = new Uint32Array(0);
  private updFeePpm = new Uint32Array(0);
  private updOffset = new Float64Array(0);
  private updChecksum = new Uint32Array(0);
  private liveChannels = 0;

  // ---- lazily rebuilt indexes ----
  private topology = 0; // bumped on every channel add/remove
  private csr: Adjacency | undefined;
  private sorted: Int32Array | undefined; // live rows by scid
  private sortedVersion = -1;

  /**
   * `random` seeds the hash indexes (default: the system's secure randomness), so that keys a peer
   * picks cannot be aimed at one bucket.
   */
  constructor(limits: Partial<GraphLimits> = {}, opts: { random?: RandomSource } = {}) {
    this.limits = { ...DEFAULT_GRAPH_LIMITS, ...limits };
    if (!(this.limits.maxChannels >= 1) || !(this.limits.maxNodes >= 2)) throw new RangeError('graph limits too small');
    const seed = (opts.random ?? secureRandom)(8);
    const dv = new DataView(seed.buffer, seed.byteOffset, 8);
    this.rowByScid = new U64Index(dv.getUint32(0));
    this.nodeIndexById = new NodeIdIndex(dv.getUint32(4), () => this.nodeIdBytes);
  }

  // ------------------------------------------------------------------ counts

  get nodeCount(): number {
    return this.liveNodes;
  }
  get channelCount(): number {
    return this.liveChannels;
  }
  /** Nodes whose node_announcement we hold. */
  get announcedNodeCount(): number {
    return this.announcedNodes;
  }
  /** Changes whenever a channel is added or removed (adjacency and scid order are rebuilt then). */
  get topologyVersion(): number {
    return this.topology;
  }
  /** Exclusive bound of node indexes in use: scratch arrays indexed by node need this length. */
  get nodeIndexBound(): number {
    return this.nodeHigh;
  }

  /** Bytes in the graph's typed arrays (the Maps and per-node objects come on top). */
  typedArrayBytes(): number {
    return this.rowByScid.byteLength + this.nodeIndexById.byteLength + byteSize([
      this.nodeIdBytes, this.nodeChannelCount, this.nodeFlags, this.nodeAlias, this.nodeRgb, this.scidHi, this.scidLo, this.node1, this.node2,
      this.channelFlags, this.annOffset, this.addedAt, this.updTimestamp, this.updMsgFlags, this.updChanFlags,
      this.updCltv, this.updHtlcMin, this.updHtlcMax, this.updFeeBase, this.updFeePpm, this.updOffset, this.updChecksum,
      ...(this.csr ? [this.csr.start, this.csr.nbr, this.csr.row] : []),
      ...(this.sorted ? [this.sorted] : []),
    ]);
  }

  // ------------------------------------------------------------------ nodes

  /** The index of a node id, or -1 when the node is not in the graph. */
  nodeIndex(nodeId: Uint8Array): number {
    if (nodeId.length !== 33) return -1;
    return this.nodeIndexById.get(nodeId);
  }

  /** The node id at `idx` (a copy). */
  nodeId(idx: number): Uint8Array {
    this.checkNode(idx);
    return this.nodeIdBytes.slice(idx * 33, idx * 33 + 33);
  }

  /** Whether the node at `idx` has the same id as `nodeId` (no copy). */
  nodeIdEquals(idx: number, nodeId: Uint8Array): boolean {
    return idx >= 0 && idx < this.nodeHigh && bytesEqual(this.nodeIdBytes.subarray(idx * 33, idx * 33 + 33), nodeId);
  }

  /** Whether `idx` is a node in the graph. */
  hasNode(idx: number): boolean {
    return idx >= 0 && idx < this.nodeHigh && this.nodeChannelCount[idx]! > 0;
  }

  /** The node's latest node_announcement, or undefined when none is known. */
  nodeAnnouncement(idx: number): NodeAnnouncementInfo | undefined {
    this.checkNode(idx);
    const slot = this.nodeInfo[idx];
    if (!slot) return undefined;
    return {
      timestamp: slot.timestamp,
      features: slot.features,
      addresses: slot.addresses,
      alias: this.nodeAlias.slice(idx * 32, idx * 32 + 32),
      rgbColor: this.nodeRgb.slice(idx * 3, idx * 3 + 3),
      offset: slot.offset,
    };
  }

  /** Channels the node has in the graph. */
  nodeChannels(idx: number): number {
    return idx >= 0 && idx < this.nodeHigh ? this.nodeChannelCount[idx]! : 0;
  }

  /** Live node indexes, ascending. */
  *nodeIndexes(): IterableIterator<number> {
    for (let i = 0; i < this.nodeHigh; i++) if (this.nodeChannelCount[i]! > 0) yield i;
  }

  /**
   * Store a node_announcement. BOLT 7, node_announcement, the receiving node: "if `node_id` is NOT
   * previously known from a `channel_announcement` message, OR if `timestamp` is NOT greater than
   * the last-received `node_announcement` from this `node_id`: SHOULD ignore the message."
   */
  setNodeAnnouncement(n: NodeAnnouncementFields): SetNodeResult {
    checkNodeId(n.nodeId, 'node_announcement.node_id');
    const idx = this.nodeIndex(n.nodeId);
    if (idx < 0) return { status: 'unknown-node' };
    const old = this.nodeInfo[idx];
    if (old && !(n.timestamp > old.timestamp)) return { status: 'stale' };
    if (n.alias.length !== 32 || n.rgbColor.length !== 3) throw new TypeError('node_announcement: alias is 32 bytes, rgb_color 3');
    // Copies: decoded fields are often views into a received buffer that must not stay alive.
    this.nodeInfo[idx] = { timestamp: n.timestamp, features: this.internFeatures(n.features), addresses: n.addresses, offset: n.offset };
    this.nodeAlias.set(n.alias, idx * 32);
    this.nodeRgb.set(n.rgbColor, idx * 3);
    let f = NODE_ANNOUNCED;
    if (offers(n.features, FEATURE_ONION_MESSAGES)) f |= NODE_ONION_MESSAGES;
    if (offers(n.features, FEATURE_ONION_MESSAGES_ONLY_CHANNELS)) f |= NODE_ONION_ONLY_CHANNELS;
    this.nodeFlags[idx] = f;
    if (!old) this.announcedNodes++;
    return { status: 'applied', replacedOffset: old ? old.offset : NO_OFFSET };
  }

  private internFeatures(f: Uint8Array): Uint8Array {
    const key = Buffer.from(f.buffer, f.byteOffset, f.length).toString('latin1');
    const have = this.featureCache.get(key);
    if (have) return have;
    const copy = f.slice();
    if (this.featureCache.size < 4096) this.featureCache.set(key, copy);
    return copy;
  }

  private checkNode(idx: number): void {
    if (!this.hasNode(idx)) throw new RangeError(`no node at index ${idx}`);
  }

  /** A new node (not in the index; the caller checked the cap). */
  private newNode(id: Uint8Array): number {
    let idx = this.freeNodes.pop();
    if (idx === undefined) {
      idx = this.nodeHigh++;
      if (idx >= this.nodeCap) this.growNodes(idx + 1);
    }
    this.nodeIdBytes.set(id, idx * 33);
    this.nodeIndexById.add(idx);
    this.nodeFlags[idx] = 0;
    this.nodeInfo[idx] = undefined;
    this.liveNodes++;
    return idx;
  }

  /**
   * Make room for `channels` channels and `nodes` nodes at once (within the caps), instead of
   * doubling up to them: the loader knows the counts from the store.
   */
  reserve(channels: number, nodes: number): void {
    const c = Math.min(Math.max(0, Math.floor(channels)), this.limits.maxChannels);
    const n = Math.min(Math.max(0, Math.floor(nodes)), this.limits.maxNodes);
    if (c > this.chanCap) this.growChannels(c, c);
    if (n > this.nodeCap) this.growNodes(n, n);
  }

  private growNodes(need: number, exact?: number): void {
    const n = exact ?? nextCapacity(this.nodeCap, need, this.limits.maxNodes);
    this.nodeIdBytes = resized(this.nodeIdBytes, n * 33);
    this.nodeChannelCount = resized(this.nodeChannelCount, n);
    this.nodeFlags = resized(this.nodeFlags, n);
    this.nodeAlias = resized(this.nodeAlias, n * 32);
    this.nodeRgb = resized(this.nodeRgb, n * 3);
    this.nodeCap = n;
  }

  private dropNode(idx: number, removed: Removed): void {
    const id = this.nodeIdBytes.slice(idx * 33, idx * 33 + 33);
    this.nodeIndexById.remove(idx);
    const info = this.nodeInfo[idx];
    if (info) {
      this.announcedNodes--;
      if (info.offset !== NO_OFFSET) removed.offsets.push(info.offset);
    }
    this.nodeInfo[idx] = undefined;
    this.nodeFlags[idx] = 0;
    this.nodeIdBytes.fill(0, idx * 33, idx * 33 + 33);
    this.nodeAlias.fill(0, idx * 32, idx * 32 + 32);
    this.nodeRgb.fill(0, idx * 3, idx * 3 + 3);
    this.freeNodes.push(idx);
    this.liveNodes--;
    removed.nodes.push(id);
  }

  // ------------------------------------------------------------------ channels

  /**
   * Add an announced channel. The caller has validated the channel_announcement (signatures, chain,
   * funding output when it can); the graph refuses only a duplicate scid or a full table.
   */
  addChannel(c: NewChannel): AddChannelResult {
    checkNodeId(c.nodeId1, 'channel_announcement.node_id_1');
    checkNodeId(c.nodeId2, 'channel_announcement.node_id_2');
    if (typeof c.scid !== 'bigint' || c.scid < 0n || c.scid >= U32 * U32) return 'invalid';
    // BOLT 7: "`node_id_1` is the lexicographically-lesser of the two compressed keys": two keys.
    if (bytesEqual(c.nodeId1, c.nodeId2)) return 'invalid';
    const hi = hiOf(c.scid);
    const lo = loOf(c.scid);
    if (this.rowByScid.get(hi, lo) >= 0) return 'duplicate';
    if (this.liveChannels >= this.limits.maxChannels) return 'full';
    let n1 = this.nodeIndexById.get(c.nodeId1);
    let n2 = this.nodeIndexById.get(c.nodeId2);
    if (this.liveNodes + (n1 < 0 ? 1 : 0) + (n2 < 0 ? 1 : 0) > this.limits.maxNodes) return 'full';
    if (n1 < 0) n1 = this.newNode(c.nodeId1);
    if (n2 < 0) n2 = this.newNode(c.nodeId2);
    let row = this.freeRows.pop();
    if (row === undefined) {
      row = this.chanHigh++;
      if (row >= this.chanCap) this.growChannels(row + 1);
    }
    this.rowByScid.set(hi, lo, row);
    this.scidHi[row] = hi;
    this.scidLo[row] = lo;
    this.node1[row] = n1;
    this.node2[row] = n2;
    this.channelFlags[row] = CHAN_LIVE;
    this.annOffset[row] = c.offset;
    this.addedAt[row] = c.addedAt >>> 0;
    if (c.features && c.features.length > 0) this.chanFeatures.set(row, c.features.slice());
    for (let d = 0; d < 2; d++) {
      const h = 2 * row + d;
      this.updTimestamp[h] = 0;
      this.updOffset[h] = NO_OFFSET;
      this.updChecksum[h] = 0;
    }
    this.nodeChannelCount[n1]!++;
    this.nodeChannelCount[n2]!++;
    this.liveChannels++;
    this.topology++;
    return 'added';
  }

  private growChannels(need: number, exact?: number): void {
    const n = exact ?? nextCapacity(this.chanCap, need, this.limits.maxChannels);
    this.scidHi = resized(this.scidHi, n);
    this.scidLo = resized(this.scidLo, n);
    this.node1 = resized(this.node1, n);
    this.node2 = resized(this.node2, n);
    this.channelFlags = resized(this.channelFlags, n);
    this.annOffset = resized(this.annOffset, n);
    this.addedAt = resized(this.addedAt, n);
    this.updTimestamp = resized(this.updTimestamp, 2 * n);
    this.updMsgFlags = resized(this.updMsgFlags, 2 * n);
    this.updChanFlags = resized(this.updChanFlags, 2 * n);
    this.updCltv = resized(this.updCltv, 2 * n);
    this.updHtlcMin = resized(this.updHtlcMin, 2 * n);
    this.updHtlcMax = resized(this.updHtlcMax, 2 * n);
    this.updFeeBase = resized(this.updFeeBase, 2 * n);
    this.updFeePpm = resized(this.updFeePpm, 2 * n);
    this.updOffset = resized(this.updOffset, 2 * n);
    this.updChecksum = resized(this.updChecksum, 2 * n);
    this.chanCap = n;
  }

  /** The row of a channel, or -1. */
  channelRow(scid: bigint): number {
    if (typeof scid !== 'bigint' || scid < 0n || scid >= U32 * U32) return -1;
    return this.rowByScid.get(hiOf(scid), loOf(scid));
  }

  /** The row of the channel whose scid is `hi * 2^32 + lo` (its two u32 halves), or -1. */
  channelRowOf(hi: number, lo: number): number {
    return this.rowByScid.get(hi >>> 0, lo >>> 0);
  }

  hasRow(row: number): boolean {
    return row >= 0 && row < this.chanHigh && (this.channelFlags[row]! & CHAN_LIVE) !== 0;
  }

  private checkRow(row: number): void {
    if (!this.hasRow(row)) throw new RangeError(`no channel at row ${row}`);
  }

  scidOf(row: number): bigint {
    this.checkRow(row);
    return BigInt(this.scidHi[row]!) * U32 + BigInt(this.scidLo[row]!);
  }
  /** Block height of the channel's scid (its top 3 bytes). */
  blockOf(row: number): number {
    return this.scidHi[row]! >>> 8;
  }
  /** Node index of `node_id_1` (end 0) or `node_id_2` (end 1). */
  endOf(row: number, end: 0 | 1): number {
    this.checkRow(row);
    return end === 0 ? this.node1[row]! : this.node2[row]!;
  }
  /** Store offset of the raw channel_announcement. */
  announcementOffset(row: number): number {
    this.checkRow(row);
    return this.annOffset[row]!;
  }
  channelFeatures(row: number): Uint8Array {
    this.checkRow(row);
    return this.chanFeatures.get(row) ?? new Uint8Array(0);
  }
  channelAddedAt(row: number): number {
    this.checkRow(row);
    return this.addedAt[row]!;
  }

  /** BOLT 7 `timestamp_node_id_1/2` for reply_channel_range: the update's timestamp, 0 if none. */
  updateTimestamp(row: number, dir: 0 | 1): number {
    return this.channelFlags[row]! & (dir === 0 ? CHAN_HAS_UPDATE_0 : CHAN_HAS_UPDATE_1) ? this.updTimestamp[2 * row + dir]! : 0;
  }
  /** BOLT 7 `checksum_node_id_1/2`: the update's CRC32C, 0 if none. */
  updateChecksum(row: number, dir: 0 | 1): number {
    return this.channelFlags[row]! & (dir === 0 ? CHAN_HAS_UPDATE_0 : CHAN_HAS_UPDATE_1) ? this.updChecksum[2 * row + dir]! : 0;
  }
  /** Store offset of the direction's raw channel_update, -1 if none. */
  updateOffset(row: number, dir: 0 | 1): number {
    return this.updOffset[2 * row + dir]!;
  }

  /** The direction's latest channel_update, or undefined when none is known. */
  half(row: number, dir: 0 | 1): HalfChannel | undefined {
    this.checkRow(row);
    if (!(this.channelFlags[row]! & (dir === 0 ? CHAN_HAS_UPDATE_0 : CHAN_HAS_UPDATE_1))) return undefined;
    const h = 2 * row + dir;
    return {
      timestamp: this.updTimestamp[h]!,
      messageFlags: this.updMsgFlags[h]!,
      channelFlags: this.updChanFlags[h]!,
      cltvExpiryDelta: this.updCltv[h]!,
      htlcMinimumMsat: this.updHtlcMin[h]!,
      htlcMaximumMsat: this.updHtlcMax[h]!,
      feeBaseMsat: this.updFeeBase[h]!,
      feeProportionalMillionths: this.updFeePpm[h]!,
      offset: this.updOffset[h]!,
      checksum: this.updChecksum[h]!,
    };
  }

  /**
   * Store a channel_update for a known channel; the newer timestamp wins. BOLT 7, channel_update,
   * the receiving node: "if `timestamp` is lower than that of the last-received `channel_update`
   * for this `short_channel_id` AND for `node_id`: SHOULD ignore the message"; an equal timestamp
   * is answered 'same-timestamp' (with whether the fields below it agree, by checksum) so the
   * caller can apply "if the fields below `timestamp` differ: MAY blacklist this `node_id`".
   */
  applyUpdate(u: ChannelUpdateFields): ApplyUpdateResult {
    const row = this.channelRow(u.scid);
    if (row < 0) return { status: 'unknown-channel' };
    return this.applyUpdateAt(row, u);
  }

  /** `applyUpdate` for a row already looked up (`u.scid` is not read). */
  applyUpdateAt(row: number, u: Omit<ChannelUpdateFields, 'scid'>): ApplyUpdateResult {
    this.checkRow(row);
    // BOLT 7: "`node_id_1` if the least-significant bit of flags is 0 or `node_id_2` otherwise".
    const dir = u.channelFlags & 1;
    const h = 2 * row + dir;
    const hasBit = dir === 0 ? CHAN_HAS_UPDATE_0 : CHAN_HAS_UPDATE_1;
    const disBit = dir === 0 ? CHAN_DISABLED_0 : CHAN_DISABLED_1;
    let flags = this.channelFlags[row]!;
    if (flags & hasBit) {
      const have = this.updTimestamp[h]!;
      if (u.timestamp < have) return { status: 'stale' };
      if (u.timestamp === have) return { status: 'same-timestamp', sameChecksum: (u.checksum >>> 0) === this.updChecksum[h] };
    }
    const replaced = flags & hasBit ? this.updOffset[h]! : NO_OFFSET;
    this.updTimestamp[h] = u.timestamp;
    this.updMsgFlags[h] = u.messageFlags;
    this.updChanFlags[h] = u.channelFlags;
    this.updCltv[h] = u.cltvExpiryDelta;
    this.updHtlcMin[h] = u.htlcMinimumMsat;
    this.updHtlcMax[h] = u.htlcMaximumMsat;
    this.updFeeBase[h] = u.feeBaseMsat;
    this.updFeePpm[h] = u.feeProportionalMillionths;
    this.updOffset[h] = u.offset;
    this.updChecksum[h] = u.checksum >>> 0;
    flags |= hasBit;
    // BOLT 7 channel_flags bit 1 `disable`: "Disable the channel."
    if (u.channelFlags & 2) flags |= disBit;
    else flags &= ~disBit;
    this.channelFlags[row] = flags;
    return { status: 'applied', replacedOffset: replaced };
  }

  /** Remove a channel (closed, or pruned); its nodes go with it when it was their last channel. */
  deleteChannel(scid: bigint): Removed {
    const removed: Removed = { channels: [], nodes: [], offsets: [] };
    const row = this.channelRow(scid);
    if (row >= 0) this.dropRow(row, scid, removed);
    return removed;
  }

  private dropRow(row: number, scid: bigint, removed: Removed): void {
    this.rowByScid.delete(this.scidHi[row]!, this.scidLo[row]!);
    const off = this.annOffset[row]!;
    if (off !== NO_OFFSET) removed.offsets.push(off);
    const flags = this.channelFlags[row]!;
    if (flags & CHAN_HAS_UPDATE_0 && this.updOffset[2 * row]! !== NO_OFFSET) removed.offsets.push(this.updOffset[2 * row]!);
    if (flags & CHAN_HAS_UPDATE_1 && this.updOffset[2 * row + 1]! !== NO_OFFSET) removed.offsets.push(this.updOffset[2 * row + 1]!);
    removed.channels.push(scid);
    this.channelFlags[row] = 0;
    this.chanFeatures.delete(row);
    const n1 = this.node1[row]!;
    const n2 = this.node2[row]!;
    // BOLT 7 "Pruning the Network View": "if the announced node no longer has any associated open
    // channels: MAY prune nodes added through `node_announcement` messages from their local view."
    if (--this.nodeChannelCount[n1]! === 0) this.dropNode(n1, removed);
    if (--this.nodeChannelCount[n2]! === 0) this.dropNode(n2, removed);
    this.freeRows.push(row);
    this.liveChannels--;
    this.topology++;
  }

  /**
   * BOLT 7 "Recommendation on Pruning Stale Entries": "if the `timestamp` of the latest
   * `channel_update` in either direction is older than two weeks (1209600 seconds): MAY prune the
   * channel." Read as: the newest of the two directions' updates is older than `maxAge` — a channel
   * with one fresh direction stays. A channel with no update at all is judged by when we learnt of
   * it (`addedAt`): announced more than `maxAge` ago and never updated → pruned.
   */
  pruneStale(now: number, maxAge: number = STALE_CHANNEL_AGE): Removed {
    const removed: Removed = { channels: [], nodes: [], offsets: [] };
    const cutoff = now - maxAge;
    for (let row = 0; row < this.chanHigh; row++) {
      const f = this.channelFlags[row]!;
      if (!(f & CHAN_LIVE)) continue;
      let newest = -1;
      if (f & CHAN_HAS_UPDATE_0) newest = this.updTimestamp[2 * row]!;
      if (f & CHAN_HAS_UPDATE_1) newest = Math.max(newest, this.updTimestamp[2 * row + 1]!);
      if (newest < 0) newest = this.addedAt[row]!;
      if (newest < cutoff) this.dropRow(row, BigInt(this.scidHi[row]!) * U32 + BigInt(this.scidLo[row]!), removed);
    }
    return removed;
  }

  /**
   * Move every stored offset through `f` (after the gossip store was compacted); an offset `f`
   * maps to -1 becomes -1 (not stored).
   */
  remapOffsets(f: (offset: number) => number): void {
    for (let r = 0; r < this.chanHigh; r++) {
      if (!(this.channelFlags[r]! & CHAN_LIVE)) continue;
      if (this.annOffset[r] !== NO_OFFSET) this.annOffset[r] = f(this.annOffset[r]!);
      for (let h = 2 * r; h < 2 * r + 2; h++) if (this.updOffset[h] !== NO_OFFSET) this.updOffset[h] = f(this.updOffset[h]!);
    }
    for (let i = 0; i < this.nodeHigh; i++) {
      const info = this.nodeInfo[i];
      if (info && info.offset !== NO_OFFSET) this.nodeInfo[i] = { ...info, offset: f(info.offset) };
    }
  }

  // ------------------------------------------------------------------ indexes

  /** Adjacency of the live channels (CSR), rebuilt when the topology changed since the last call. */
  adjacency(): Adjacency {
    if (this.csr && this.csr.version === this.topology) return this.csr;
    const nodes = this.nodeHigh;
    const start = new Int32Array(nodes + 1);
    const deg = this.nodeChannelCount;
    for (let i = 0; i < nodes; i++) start[i + 1] = start[i]! + deg[i]!;
    const m = start[nodes]!;
    const nbr = new Int32Array(m);
    const rowOf = new Int32Array(m);
    const fill = start.slice(0, nodes);
    const f = this.channelFlags;
    for (let r = 0; r < this.chanHigh; r++) {
      if (!(f[r]! & CHAN_LIVE)) continue;
      const a = this.node1[r]!;
      const b = this.node2[r]!;
      let k = fill[a]!++;
      nbr[k] = b;
      rowOf[k] = r;
      k = fill[b]!++;
      nbr[k] = a;
      rowOf[k] = r;
    }
    this.csr = { start, nbr, row: rowOf, nodeBound: nodes, version: this.topology };
    return this.csr;
  }

  /** Rows of the node's channels. */
  channelsOfNode(idx: number): Int32Array {
    if (!this.hasNode(idx)) return new Int32Array(0);
    const a = this.adjacency();
    return a.row.subarray(a.start[idx]!, a.start[idx + 1]!);
  }

  /** Live rows ordered by scid (rebuilt lazily). */
  rowsByScid(): Int32Array {
    if (this.sorted && this.sortedVersion === this.topology) return this.sorted;
    const rows = new Int32Array(this.liveChannels);
    let k = 0;
    for (let r = 0; r < this.chanHigh; r++) if (this.channelFlags[r]! & CHAN_LIVE) rows[k++] = r;
    const hi = this.scidHi;
    const lo = this.scidLo;
    rows.sort((a, b) => hi[a]! - hi[b]! || lo[a]! - lo[b]!);
    this.sorted = rows;
    this.sortedVersion = this.topology;
    return rows;
  }

  /**
   * Rows of the channels whose scid block is in `[firstBlocknum, firstBlocknum + numberOfBlocks)`,
   * in ascending scid order (BOLT 7 query_channel_range: "`encoded_short_ids` ... in ascending
   * order"). A view into the lazily built order: read it before the topology changes.
   */
  rowsInBlockRange(firstBlocknum: number, numberOfBlocks: number): Int32Array {
    const rows = this.rowsByScid();
    const end = Math.min(firstBlocknum + numberOfBlocks, 0x1_000000); // blocks are 3 bytes
    const lower = (block: number) => {
      // first index whose block >= `block`; block is scidHi >>> 8
      let lo = 0;
      let hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.scidHi[rows[mid]!]! >>> 8 < block) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    if (!(numberOfBlocks > 0) || firstBlocknum >= end) return rows.subarray(0, 0);
    return rows.subarray(lower(firstBlocknum), lower(end));
  }

  /** A short description for logs. */
  describeNode(idx: number): string {
    return this.hasNode(idx) ? toHex(this.nodeIdBytes.subarray(idx * 33, idx * 33 + 33)) : `#${idx}`;
  }
}
