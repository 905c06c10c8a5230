// BOLT 7 gossip with peers: take in `channel_announcement`, `node_announcement` and
// `channel_update` (validated, stored, kept in the graph), sync from peers on connect, answer their
// queries from our graph, relay what is new to peers that asked with a `gossip_timestamp_filter`,
// and prune what has gone stale.
//
//   const sync = new GossipSync({ chainHash, graph, store, clock, logger });
//   sync.attach(peerRegistry);          // subscribes to 256..265 and to connect/disconnect
//   sync.stats();                       // for getinfo.gossip
//
// Validation order per message (cheapest first, so a flood costs little): decode and the rules
// that need neither graph nor signature (verify.ts `decodeAndPrecheck`); the graph's rules
// (duplicate, outdated, unknown channel or node, the per-peer store bound); only then signatures,
// in batches (a worker pool when one is given); then the graph's rules again (another peer may
// have won the race) and the store. Every refusal is counted by reason.
//
// Sync: the first peer that offers `gossip_queries` while our graph has never been synced is the
// sync peer: we ask it for every short_channel_id (`query_channel_range` with timestamps and
// checksums) and then for what we lack (`query_short_channel_ids`, in batches, one at a time as
// BOLT 7 requires). A peer that does not answer scid queries (LDK 0.1 does not) is asked for a
// dump instead (`gossip_timestamp_filter` from two weeks ago). Other peers only get a filter for
// new gossip, up to `maxFilterPeers` of them: we never take everything from everyone. A graph
// loaded from the store counts as synced: after a restart peers are asked only for what is newer
// than the newest timestamp we hold.
//
// No chain backend yet: a `channel_announcement`'s funding output cannot be checked, so without a
// `UtxoLookup` announcements are accepted on their signatures alone (`stats().utxoCheck` false).
import { bytesEqual, toHex } from '../util/bytes.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import {
  GOSSIP_MSG,
  QUERY_OPTION,
  channelUpdateChecksum,
  decodeGossipTimestampFilter,
  decodeQueryChannelRange,
  decodeQueryShortChannelIds,
  decodeReplyChannelRange,
  decodeReplyShortChannelIdsEnd,
  encodeGossipTimestampFilter,
  encodeQueryChannelRange,
  encodeQueryShortChannelIds,
  encodeReplyChannelRange,
  encodeReplyShortChannelIdsEnd,
  hasFeature,
  timestampInFilter,
  WireError,
  type UpdatePair,
} from '../wire/index.ts';
import { ChannelGraph, type Removed } from './graph.ts';
import { toGraphAddresses } from './graph-addresses.ts';
import { planRangeReplies, rangeEnd, scidBlock, wantedFlags } from './range.ts';
import {
  GOSSIP_REJECT_REASONS,
  decodeAndPrecheck,
  emptyRejectCounts,
  signatureChecks,
  verifySignatureChecks,
  type GossipRejectReason,
  type Prechecked,
  type SignatureCheck,
} from './verify.ts';

/** BOLT 9: `gossip_queries` (6/7) and `gossip_queries_ex` (10/11). */
export const FEATURE_GOSSIP_QUERIES = 6;
export const FEATURE_GOSSIP_QUERIES_EX = 10;
const TWO_WEEKS = 1_209_600;

/** Where validated messages are kept (the gossip store). Offsets are opaque numbers ≥ 0. */
export interface GossipMessageStore {
  /** Append a framed message (type + payload); returns its offset. */
  append(framed: Uint8Array, timestamp: number): number;
  /** The framed message at `offset`. */
  read(offset: number): Uint8Array;
  /** The message at `offset` is garbage (replaced or pruned). */
  markDeleted(offset: number): void;
  /** Write out what is buffered and release the file (stores that have one). */
  close?(): void;
}

/**
 * The funding-output check a chain backend will provide (BOLT 7: "if the `short_channel_id`'s
 * output does NOT correspond to a P2WSH ... OR the output is spent: MUST ignore the message").
 */
export interface UtxoLookup {
  check(scid: bigint, bitcoinKey1: Uint8Array, bitcoinKey2: Uint8Array): Promise<'ok' | 'spent' | 'unknown'>;
}

/** Verifies signature checks in batches; the default runs them on this thread. */
export type BatchVerifier = (batch: readonly SignatureCheck[][]) => Promise<boolean[]>;

/** The peers as this layer sees them (the transport's `Peer` fits). */
export interface GossipPeer {
  readonly nodeId: Uint8Array;
  readonly remoteFeatures: Uint8Array;
  readonly connected: boolean;
  send(type: number, payload: Uint8Array): boolean;
  stats(): { queuedOutBytes: number };
  disconnect(reason: string): void;
  /** Stop / resume reading the peer's socket (flow control while we are behind validating). */
  holdReading?(reason: string): void;
  releaseReading?(reason: string): void;
}

/** The transport's peer registry as this layer uses it. */
export interface GossipPeerSource {
  onMessage(type: number, handler: (peer: GossipPeer, payload: Uint8Array) => void): () => void;
  on(event: 'connect', f: (p: GossipPeer) => void): unknown;
  on(event: 'disconnect', f: (p: GossipPeer, reason: string) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(event: string, f: (...a: any[]) => void): unknown;
  list(): GossipPeer[];
}

export interface GossipLimits {
  /** Signed gossip messages a peer may send per second (token bucket refill) … */
  messagesPerSecond: number;
  /** … and in one burst (bucket size). A sync answer of 80k channels arrives as a burst. */
  messageBurst: number;
  /** Messages of one peer waiting for validation; beyond, they are dropped (`rate_limited`). */
  maxPendingPerPeer: number;
  /** Messages validated together (one signature batch). */
  batchSize: number;
  /** New channels one peer connection may add to the graph (`store_full` beyond). */
  maxChannelsPerPeer: number;
  /** Invalid messages (bad signature, malformed, non-canonical) before the peer is disconnected. */
  maxInvalidPerPeer: number;
  /** short_channel_ids we accept in the answers to one `query_channel_range`. */
  maxRangeScids: number;
  /** `reply_channel_range` messages we accept for one query. */
  maxRangeReplies: number;
  /** short_channel_ids per `query_short_channel_ids` we send. */
  scidsPerQuery: number;
  /** How long we wait for the replies to our query_channel_range before giving up on that peer (ms). */
  queryTimeoutMs: number;
  /**
   * How long we wait for reply_short_channel_ids_end (ms). LDK 0.1 never answers scid queries
   * ("Not implemented"): then we ask for its dump instead, after this long.
   */
  scidQueryTimeoutMs: number;
  /** Queries a peer may send us per minute (each is answered in full, one at a time). */
  queriesPerMinute: number;
  /** short_channel_ids per `reply_channel_range` we send (8000 fit without TLVs; 2700 with both). */
  scidsPerReply: number;
  /** Stream answers while the peer's output queue is below this many bytes. */
  answerHighWaterBytes: number;
  /** Peers we ask for new gossip (`gossip_timestamp_filter`) besides the sync peer. */
  maxFilterPeers: number;
  /** BOLT 7: "SHOULD flush outgoing gossip messages once every 60 seconds". */
  flushIntervalMs: number;
  /** Messages waiting for the next flush (oldest dropped beyond). */
  maxRelayQueue: number;
  /** How often stale channels are pruned (ms). */
  pruneIntervalMs: number;
  /** How often a running sync logs its progress (ms). */
  progressIntervalMs: number;
  /** Remembered scids of updates for channels we do not know (queried once the sync is done). */
  maxUnknownScids: number;
}

export const DEFAULT_GOSSIP_LIMITS: GossipLimits = {
  messagesPerSecond: 2_000,
  messageBurst: 400_000,
  maxPendingPerPeer: 20_000,
  batchSize: 512,
  maxChannelsPerPeer: 150_000,
  maxInvalidPerPeer: 50,
  maxRangeScids: 400_000,
  maxRangeReplies: 2_000,
  scidsPerQuery: 1_000,
  queryTimeoutMs: 10_000,
  scidQueryTimeoutMs: 8_000,
  queriesPerMinute: 30,
  scidsPerReply: 2_500,
  answerHighWaterBytes: 256 * 1024,
  maxFilterPeers: 3,
  flushIntervalMs: 60_000,
  maxRelayQueue: 100_000,
  pruneIntervalMs: 3_600_000,
  progressIntervalMs: 5_000,
  maxUnknownScids: 2_000,
};

export interface GossipSyncOptions {
  chainHash: Uint8Array;
  graph: ChannelGraph;
  store: GossipMessageStore;
  clock: Clock;
  logger: Logger;
  /** Whether the graph came from a store (then it counts as synced: no full sync on connect). */
  loaded?: boolean;
  verify?: BatchVerifier;
  /** Batches of one peer verified at once (default 1; more with a worker pool: its threads × 2). */
  verifyConcurrency?: number;
  utxo?: UtxoLookup;
  limits?: Partial<GossipLimits>;
  /** Called after each prune (the node compacts its store then, when enough is garbage). */
  onPrune?: () => void;
}

export type PeerSyncState = 'none' | 'range' | 'fetching' | 'dump' | 'done' | 'filter';

/** What `getinfo.gossip` shows per peer. */
export interface PeerGossipStats {
  peer: string;
  gossip_queries: boolean;
  state: PeerSyncState;
  received: number;
  accepted: number;
  rejected: number;
  queries_answered: number;
  filter?: { first_timestamp: number; timestamp_range: number };
}

/** Stands for "no peer" in `ingest` (never connected: nothing is ever sent to it). */
const LOCAL_PEER: GossipPeer = {
  nodeId: new Uint8Array(33),
  remoteFeatures: new Uint8Array(0),
  connected: false,
  send: () => false,
  stats: () => ({ queuedOutBytes: 0 }),
  disconnect: () => undefined,
};

const defaultVerify: BatchVerifier = async (batch) => batch.map((c) => verifySignatureChecks(c));

/** A whole, outstanding query of ours to one peer. */
interface RangeQuery {
  first: number;
  end: number;
  replies: number;
  scids: bigint[];
  timestamps: (UpdatePair | undefined)[];
  checksums: (UpdatePair | undefined)[];
  timer: NodeJS.Timeout;
}

/** A FIFO of framed messages: batches are taken from the front without moving the rest. */
class MessageQueue {
  private items: Uint8Array[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(m: Uint8Array): void {
    this.items.push(m);
  }

  take(n: number): Uint8Array[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    if (this.head === this.items.length) this.clear();
    else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

class PeerGossip {
  readonly key: string;
  readonly queries: boolean;
  readonly queriesEx: boolean;
  state: PeerSyncState = 'none';
  /** Their filter: what they want relayed. Absent: nothing but our own gossip. */
  filter?: { first: number; range: number };
  // Inbound validation.
  readonly queue = new MessageQueue();
  processing = false;
  /** We asked the transport to stop reading this peer (its queue is long). */
  readingHeld = false;
  /** Channels announced in batches still being verified: scid → node ids (for the updates behind them). */
  readonly pendingChannels = new Map<bigint, { nodeId1: Uint8Array; nodeId2: Uint8Array }>();
  /** Nodes of those channels (hex id → how many pending channels name it). */
  readonly pendingNodes = new Map<string, number>();
  tokens: number;
  lastRefill: number;
  invalid = 0;
  channelsAdded = 0;
  received = 0;
  accepted = 0;
  rejected = 0;
  // Our queries to them.
  range?: RangeQuery;
  scidQuery?: { timer: NodeJS.Timeout; count: number };
  answersScidQueries = true;
  /** We tried to sync from this peer and it did not answer. */
  triedSync = false;
  // Their queries to us, answered through one lazy outbox.
  outbox: Iterator<Uint8Array>[] = [];
  /** The message of `outbox[0]` that the peer's full queue refused, sent first next time. */
  unsent?: Uint8Array;
  pumping?: NodeJS.Timeout;
  answeringScids = false;
  answeringRange = false;
  queryTimes: number[] = [];
  queriesAnswered = 0;
  warnedRateLimit = false;

  constructor(
    readonly peer: GossipPeer,
    now: number,
    burst: number,
  ) {
    this.key = toHex(peer.nodeId);
    this.queries = hasFeature(peer.remoteFeatures, FEATURE_GOSSIP_QUERIES) || hasFeature(peer.remoteFeatures, FEATURE_GOSSIP_QUERIES + 1);
    this.queriesEx = hasFeature(peer.remoteFeatures, FEATURE_GOSSIP_QUERIES_EX) || hasFeature(peer.remoteFeatures, FEATURE_GOSSIP_QUERIES_EX + 1);
    this.tokens = burst;
    this.lastRefill = now;
  }
}

/** A batch whose messages passed the cheap checks and whose signatures are being verified. */
interface PreparedBatch {
  now: number;
  items: { p: Prechecked; checks: SignatureCheck[] }[];
  /** What it put in the peer's pending maps. */
  channels: bigint[];
  nodes: string[];
  verified: Promise<boolean[]>;
}

/** A relayed message waiting for the next flush. */
interface RelayItem {
  framed: Uint8Array;
  timestamp: number;
  origin: string;
}

export interface GossipStats {
  nodes: number;
  channels: number;
  /** False: no chain backend, funding outputs are not checked. */
  utxoCheck: boolean;
  synced: boolean;
  accepted: Record<'channel_announcement' | 'node_announcement' | 'channel_update', number>;
  rejected: Record<GossipRejectReason, number>;
  pruned: number;
  peers: PeerGossipStats[];
}

function frame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + payload.length);
  out[0] = type >> 8;
  out[1] = type & 0xff;
  out.set(payload, 2);
  return out;
}

export class GossipSync {
  readonly graph: ChannelGraph;
  readonly limits: GossipLimits;
  private readonly store: GossipMessageStore;
  private readonly chainHash: Uint8Array;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly verify: BatchVerifier;
  private readonly verifyConcurrency: number;
  private readonly utxo?: UtxoLookup;
  private readonly onPrune?: () => void;
  private readonly peers = new Map<string, PeerGossip>();
  private readonly unsubscribe: Array<() => void> = [];
  private synced: boolean;
  private syncPeer?: PeerGossip;
  /** Scids (with their query flags) still to ask the sync peer for. */
  private wanted: { scid: bigint; flags: number }[] = [];
  private wantedTotal = 0;
  private readonly unknownScids = new Set<bigint>();
  private relay: RelayItem[] = [];
  /** Channels added but not yet relayed (BOLT 7: an announcement goes out with its first update). */
  private readonly unrelayedAnnouncements = new Map<bigint, Uint8Array>();
  private readonly rejectedCounts = emptyRejectCounts();
  private readonly acceptedCounts = { channel_announcement: 0, node_announcement: 0, channel_update: 0 };
  private pruned = 0;
  private syncMessages = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private progressTimer?: NodeJS.Timeout;
  private closed = false;
  /** Counters for gossip taken in through `ingest`. */
  private local?: PeerGossip;

  constructor(opts: GossipSyncOptions) {
    this.graph = opts.graph;
    this.store = opts.store;
    this.chainHash = opts.chainHash;
    this.clock = opts.clock;
    this.log = opts.logger;
    this.verify = opts.verify ?? defaultVerify;
    this.verifyConcurrency = Math.max(1, opts.verifyConcurrency ?? 1);
    this.utxo = opts.utxo;
    this.onPrune = opts.onPrune;
    this.limits = { ...DEFAULT_GOSSIP_LIMITS, ...opts.limits };
    this.synced = opts.loaded === true && opts.graph.channelCount > 0;
    if (!this.utxo) {
      this.log.info('no chain backend: channel_announcements are accepted without checking their funding outputs');
    }
    const flush = setInterval(() => this.flush(), this.limits.flushIntervalMs);
    const prune = setInterval(() => this.prune(), this.limits.pruneIntervalMs);
    flush.unref();
    prune.unref();
    this.timers.push(flush, prune);
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring

  /** Subscribe to the registry's gossip messages and peer events; peers already connected join. */
  attach(source: GossipPeerSource): void {
    const on = (type: number, f: (ps: PeerGossip, payload: Uint8Array) => void) =>
      this.unsubscribe.push(
        source.onMessage(type, (peer, payload) => {
          const ps = this.peers.get(toHex(peer.nodeId));
          if (ps && ps.peer === peer) f(ps, payload);
        }),
      );
    for (const t of [GOSSIP_MSG.channel_announcement, GOSSIP_MSG.node_announcement, GOSSIP_MSG.channel_update]) {
      on(t, (ps, payload) => this.onSigned(ps, t, payload));
    }
    on(GOSSIP_MSG.gossip_timestamp_filter, (ps, p) => this.onFilter(ps, p));
    on(GOSSIP_MSG.query_channel_range, (ps, p) => this.onQueryChannelRange(ps, p));
    on(GOSSIP_MSG.reply_channel_range, (ps, p) => this.onReplyChannelRange(ps, p));
    on(GOSSIP_MSG.query_short_channel_ids, (ps, p) => this.onQueryShortChannelIds(ps, p));
    on(GOSSIP_MSG.reply_short_channel_ids_end, (ps, p) => this.onReplyShortChannelIdsEnd(ps, p));
    const connect = (p: GossipPeer) => this.peerConnected(p);
    const disconnect = (p: GossipPeer) => this.peerDisconnected(p);
    source.on('connect', connect);
    source.on('disconnect', disconnect);
    this.unsubscribe.push(() => {
      source.off('connect', connect);
      source.off('disconnect', disconnect);
    });
    for (const p of source.list()) this.peerConnected(p);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    for (const t of this.timers) clearInterval(t);
    if (this.progressTimer) clearInterval(this.progressTimer);
    for (const ps of this.peers.values()) this.dropPeerState(ps);
    this.peers.clear();
  }

  /**
   * Take in gossip that did not come from a peer (our own announcements, tests, imports): the same
   * validation as a peer's, without the per-peer bounds. Resolves once everything is applied.
   */
  async ingest(framed: readonly Uint8Array[]): Promise<void> {
    const ps = (this.local ??= new PeerGossip(LOCAL_PEER, this.now(), Infinity));
    for (const m of framed) ps.queue.push(m);
    if (ps.processing) return new Promise((r) => this.whenIdle(ps, r));
    ps.processing = true;
    await this.process(ps);
  }

  /** Whole seconds (wire timestamps are u32). */
  private now(): number {
    return Math.floor(this.clock.now());
  }

  get isSynced(): boolean {
    return this.synced;
  }

  stats(): GossipStats {
    return {
      nodes: this.graph.nodeCount,
      channels: this.graph.channelCount,
      utxoCheck: this.utxo !== undefined,
      synced: this.synced,
      accepted: { ...this.acceptedCounts },
      rejected: { ...this.rejectedCounts },
      pruned: this.pruned,
      peers: [...this.peers.values()].map((ps) => ({
        peer: ps.key,
        gossip_queries: ps.queries,
        state: ps.state,
        received: ps.received,
        accepted: ps.accepted,
        rejected: ps.rejected,
        queries_answered: ps.queriesAnswered,
        ...(ps.filter ? { filter: { first_timestamp: ps.filter.first, timestamp_range: ps.filter.range } } : {}),
      })),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Peers

  private peerConnected(peer: GossipPeer): void {
    if (this.closed) return;
    const now = this.now();
    const old = this.peers.get(toHex(peer.nodeId));
    if (old) this.dropPeerState(old);
    const ps = new PeerGossip(peer, now, this.limits.messageBurst);
    this.peers.set(ps.key, ps);
    if (!ps.queries) {
      // BOLT 7: "If the receiver does not offer `gossip_queries`: SHOULD set `first_timestamp` to
      // 0xFFFFFFFF and `timestamp_range` to 0" — it has nothing worth asking for.
      this.sendFilter(ps, 0xffff_ffff, 0);
      ps.state = 'none';
      return;
    }
    if (!this.synced && !this.syncPeer) this.startSync(ps);
    else this.maybeFilterPeer(ps);
  }

  private peerDisconnected(peer: GossipPeer): void {
    const key = toHex(peer.nodeId);
    const ps = this.peers.get(key);
    if (!ps || ps.peer !== peer) return;
    this.dropPeerState(ps);
    this.peers.delete(key);
    if (this.syncPeer === ps) {
      this.syncPeer = undefined;
      this.log.info(`gossip sync peer ${key} disconnected; looking for another`);
      const next = [...this.peers.values()].find((p) => p.queries);
      if (next) this.startSync(next);
      else this.stopProgress();
    }
  }

  private dropPeerState(ps: PeerGossip): void {
    if (ps.range) clearTimeout(ps.range.timer);
    if (ps.scidQuery) clearTimeout(ps.scidQuery.timer);
    if (ps.pumping) clearTimeout(ps.pumping);
    ps.range = undefined;
    ps.scidQuery = undefined;
    ps.outbox = [];
    ps.unsent = undefined;
    ps.queue.clear();
  }

  /** Ask a peer for new gossip (after the sync peer, up to `maxFilterPeers`). */
  private maybeFilterPeer(ps: PeerGossip): void {
    let filtering = 0;
    for (const p of this.peers.values()) if (p !== ps && p.state === 'filter') filtering++;
    if (filtering >= this.limits.maxFilterPeers) {
      this.sendFilter(ps, 0xffff_ffff, 0);
      ps.state = 'none';
      return;
    }
    // What is newer than what we hold (a little earlier: clocks differ), never older than the
    // pruning horizon; while a sync is running, only what is new from now on (the sync peer
    // brings the rest: not everything from everyone).
    const now = this.now();
    const first = this.synced ? Math.max(now - TWO_WEEKS, Math.min(this.newestTimestamp(), now) - 600) : now;
    this.sendFilter(ps, first, 0xffff_ffff - first);
    ps.state = 'filter';
  }

  /** The newest channel_update or node_announcement timestamp we hold (0: none). */
  private newestTimestamp(): number {
    const g = this.graph;
    let newest = 0;
    for (const row of g.rowsByScid()) newest = Math.max(newest, g.updateTimestamp(row, 0), g.updateTimestamp(row, 1));
    return newest;
  }

  private sendFilter(ps: PeerGossip, first: number, range: number): void {
    ps.peer.send(GOSSIP_MSG.gossip_timestamp_filter, encodeGossipTimestampFilter({ chainHash: this.chainHash, firstTimestamp: first, timestampRange: range }));
  }

  private misbehaved(ps: PeerGossip, what: string): void {
    this.log.info(`peer ${ps.key}: ${what}`);
    this.sendWarning(ps, what);
    ps.peer.disconnect(`gossip: ${what}`);
  }

  /** A query message decoded, or undefined after a warning and disconnect for one that does not decode. */
  private decoded<T>(ps: PeerGossip, name: string, decode: (payload: Uint8Array) => T, payload: Uint8Array): T | undefined {
    try {
      return decode(payload);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.misbehaved(ps, `invalid ${name}: ${e.message}`);
      return undefined;
    }
  }

  private sendWarning(ps: PeerGossip, text: string): void {
    // BOLT 1 warning: channel_id (all zero: the connection), len, data.
    const data = new TextEncoder().encode(text);
    const p = new Uint8Array(32 + 2 + data.length);
    p[32] = data.length >> 8;
    p[33] = data.length & 0xff;
    p.set(data, 34);
    ps.peer.send(1, p);
  }

  // ---------------------------------------------------------------------------------------------
  // Sync: our queries

  private startSync(ps: PeerGossip): void {
    this.syncPeer = ps;
    if (ps.state === 'filter') this.sendFilter(ps, 0xffff_ffff, 0);
    ps.state = 'range';
    this.log.info(`gossip: syncing from ${ps.key} (query_channel_range over every block)`);
    this.sendRangeQuery(ps, 0, 0xffff_ffff);
    this.startProgress();
  }

  private sendRangeQuery(ps: PeerGossip, first: number, number: number): void {
    const timer = setTimeout(() => this.rangeTimeout(ps), this.limits.queryTimeoutMs);
    timer.unref();
    ps.range = { first, end: rangeEnd(first, number), replies: 0, scids: [], timestamps: [], checksums: [], timer };
    ps.peer.send(
      GOSSIP_MSG.query_channel_range,
      encodeQueryChannelRange({
        chainHash: this.chainHash,
        firstBlocknum: first,
        numberOfBlocks: number,
        // Odd TLV: harmless to a peer without gossip_queries_ex.
        queryOptionFlags: QUERY_OPTION.timestamps | QUERY_OPTION.checksums,
        unknownTlvs: [],
      }),
    );
  }

  private rangeTimeout(ps: PeerGossip): void {
    if (!ps.range) return;
    ps.range = undefined;
    ps.triedSync = true;
    // Another peer may do better; only when none is left do we ask this one for a dump.
    const next = [...this.peers.values()].find((p) => p !== ps && p.queries && !p.triedSync && p.peer.connected);
    if (next && this.syncPeer === ps) {
      this.log.info(`gossip: ${ps.key} did not answer query_channel_range in ${this.limits.queryTimeoutMs} ms; syncing from ${next.key} instead`);
      ps.state = 'none';
      this.maybeFilterPeer(ps);
      this.startSync(next);
      return;
    }
    this.log.info(`gossip: ${ps.key} did not answer query_channel_range in ${this.limits.queryTimeoutMs} ms; asking for a dump instead`);
    this.fallbackToDump(ps);
  }

  private onReplyChannelRange(ps: PeerGossip, payload: Uint8Array): void {
    const m = this.decoded(ps, 'reply_channel_range', decodeReplyChannelRange, payload);
    if (!m) return;
    const q = ps.range;
    if (!q) return this.sendWarning(ps, 'reply_channel_range without a query_channel_range');
    if (!bytesEqual(m.chainHash, this.chainHash)) return this.misbehaved(ps, 'reply_channel_range for another chain');
    q.replies++;
    const end = rangeEnd(m.firstBlocknum, m.numberOfBlocks);
    // BOLT 7: each reply overlaps the query's range.
    if (end <= q.first || m.firstBlocknum >= q.end) return this.misbehaved(ps, `reply_channel_range ${m.firstBlocknum}+${m.numberOfBlocks} outside the query's range`);
    if (q.replies > this.limits.maxRangeReplies) return this.misbehaved(ps, `more than ${this.limits.maxRangeReplies} reply_channel_range messages for one query`);
    if (q.scids.length + m.shortChannelIds.length > this.limits.maxRangeScids) {
      return this.misbehaved(ps, `more than ${this.limits.maxRangeScids} short_channel_ids in answer to one query_channel_range`);
    }
    for (let i = 0; i < m.shortChannelIds.length; i++) {
      const scid = m.shortChannelIds[i]!;
      const b = scidBlock(scid);
      if (b < q.first || b >= q.end) continue;
      q.scids.push(scid);
      q.timestamps.push(m.timestamps?.pairs[i]);
      q.checksums.push(m.checksums?.[i]);
    }
    // BOLT 7: the final reply "MUST have `first_blocknum` plus `number_of_blocks` equal or greater
    // than the `query_channel_range` `first_blocknum` plus `number_of_blocks`".
    if (end >= q.end) {
      clearTimeout(q.timer);
      ps.range = undefined;
      this.rangeDone(ps, q);
    }
  }

  private rangeDone(ps: PeerGossip, q: RangeQuery): void {
    const wanted: { scid: bigint; flags: number }[] = [];
    const seen = new Set<bigint>();
    for (let i = 0; i < q.scids.length; i++) {
      const scid = q.scids[i]!;
      if (seen.has(scid)) continue;
      seen.add(scid);
      const row = this.graph.channelRow(scid);
      const known =
        row < 0
          ? undefined
          : {
              timestamp1: this.graph.updateTimestamp(row, 0),
              timestamp2: this.graph.updateTimestamp(row, 1),
              checksum1: this.graph.updateChecksum(row, 0),
              checksum2: this.graph.updateChecksum(row, 1),
            };
      const flags = wantedFlags(known, q.timestamps[i], q.checksums[i]);
      if (flags !== 0) wanted.push({ scid, flags });
    }
    wanted.sort((a, b) => (a.scid < b.scid ? -1 : a.scid > b.scid ? 1 : 0));
    this.log.info(`gossip: ${ps.key} announced ${seen.size} channels; ${wanted.length} to fetch`);
    this.wanted = wanted;
    this.wantedTotal = wanted.length;
    ps.state = 'fetching';
    this.nextScidQuery(ps);
  }

  private nextScidQuery(ps: PeerGossip): void {
    if (ps.scidQuery || !ps.peer.connected) return;
    if (!ps.answersScidQueries) return;
    if (this.wanted.length === 0) {
      // Then the channels whose updates arrived before their announcements.
      if (this.unknownScids.size > 0 && this.syncPeer === ps) {
        const scids = [...this.unknownScids].slice(0, this.limits.scidsPerQuery);
        for (const s of scids) this.unknownScids.delete(s);
        this.wanted = scids.sort((a, b) => (a < b ? -1 : 1)).map((scid) => ({ scid, flags: 0x1f }));
        this.wantedTotal += this.wanted.length;
      } else {
        this.syncDone(ps);
        return;
      }
    }
    const batch = this.wanted.splice(0, this.limits.scidsPerQuery);
    const timer = setTimeout(() => this.scidQueryTimeout(ps, batch), this.limits.scidQueryTimeoutMs);
    timer.unref();
    ps.scidQuery = { timer, count: batch.length };
    ps.peer.send(
      GOSSIP_MSG.query_short_channel_ids,
      encodeQueryShortChannelIds({
        chainHash: this.chainHash,
        shortChannelIds: batch.map((w) => w.scid),
        // Flags only to peers that understand them (BOLT 9 gossip_queries_ex); others answer in full.
        ...(ps.queriesEx ? { queryFlags: { flags: batch.map((w) => BigInt(w.flags)) } } : {}),
        unknownTlvs: [],
      }),
    );
  }

  private scidQueryTimeout(ps: PeerGossip, batch: { scid: bigint; flags: number }[]): void {
    if (!ps.scidQuery) return;
    ps.scidQuery = undefined;
    this.wanted.unshift(...batch);
    this.log.info(`gossip: ${ps.key} did not answer query_short_channel_ids in ${this.limits.scidQueryTimeoutMs} ms; asking for a dump instead`);
    ps.answersScidQueries = false;
    this.fallbackToDump(ps);
  }

  /** A peer that does not answer scid queries: take its whole view via a timestamp filter. */
  private fallbackToDump(ps: PeerGossip): void {
    const now = this.now();
    this.sendFilter(ps, now - TWO_WEEKS, 0xffff_ffff - (now - TWO_WEEKS));
    ps.state = 'dump';
    this.wanted = [];
    // The dump has no end marker: call it synced once the peer has gone quiet.
    const check = () => {
      if (this.closed || !ps.peer.connected || this.syncPeer !== ps) return;
      if (ps.queue.length === 0 && !ps.processing && this.now() - ps.lastRefill >= 2) this.syncDone(ps);
      else {
        const t = setTimeout(check, 1000);
        t.unref();
      }
    };
    const t = setTimeout(check, 2000);
    t.unref();
  }

  private onReplyShortChannelIdsEnd(ps: PeerGossip, payload: Uint8Array): void {
    const m = this.decoded(ps, 'reply_short_channel_ids_end', decodeReplyShortChannelIdsEnd, payload);
    if (!m) return;
    if (!bytesEqual(m.chainHash, this.chainHash)) return this.misbehaved(ps, 'reply_short_channel_ids_end for another chain');
    if (!ps.scidQuery) return this.sendWarning(ps, 'reply_short_channel_ids_end without a query_short_channel_ids');
    clearTimeout(ps.scidQuery.timer);
    ps.scidQuery = undefined;
    // The answers are validated in order, behind this marker's arrival: go on once they are in.
    this.whenIdle(ps, () => this.nextScidQuery(ps));
  }

  private whenIdle(ps: PeerGossip, f: () => void): void {
    if (ps.queue.length === 0 && !ps.processing) return f();
    const t = setTimeout(() => this.whenIdle(ps, f), 5);
    t.unref();
  }

  private syncDone(ps: PeerGossip): void {
    if (this.syncPeer !== ps) return;
    this.syncPeer = undefined;
    ps.triedSync = true;
    // A sync peer that knew nothing (it was starting too, say) does not make us synced: try another.
    const next = [...this.peers.values()].find((p) => p !== ps && p.queries && !p.triedSync && p.peer.connected);
    if (this.graph.channelCount === 0 && next) {
      this.log.info(`gossip: ${ps.key} had no channels to give; syncing from ${next.key} instead`);
      ps.state = 'none';
      this.maybeFilterPeer(ps);
      this.startSync(next);
      return;
    }
    this.synced = true;
    this.stopProgress();
    this.log.info(`gossip: sync from ${ps.key} done: ${this.graph.channelCount} channels, ${this.graph.nodeCount} nodes`);
    ps.state = 'done';
    // New gossip from now on, from it and (up to the bound) from the others. Peers asked during
    // the sync for "from now on" only are asked again from what we hold now, so nothing they
    // learnt while we synced is missed.
    this.maybeFilterPeer(ps);
    for (const p of this.peers.values()) if (p !== ps && p.queries && (p.state === 'none' || p.state === 'filter')) this.maybeFilterPeer(p);
  }

  private startProgress(): void {
    if (this.progressTimer) return;
    this.progressTimer = setInterval(() => this.logProgress(), this.limits.progressIntervalMs);
    this.progressTimer.unref();
  }

  private stopProgress(): void {
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = undefined;
  }

  private logProgress(): void {
    const ps = this.syncPeer;
    if (!ps) return this.stopProgress();
    let where: string;
    if (ps.state === 'range') {
      const q = ps.range;
      where = `collecting short_channel_ids: ${q?.replies ?? 0} replies, ${q?.scids.length ?? 0} channels`;
    } else if (ps.state === 'fetching') {
      const done = this.wantedTotal - this.wanted.length;
      where = `fetched ${done} of ${this.wantedTotal} announced channels (${this.wantedTotal === 0 ? 100 : Math.floor((100 * done) / this.wantedTotal)}%)`;
    } else where = `receiving its full view`;
    this.log.info(`gossip sync from ${ps.key}: ${this.syncMessages} messages, ${where}; graph ${this.graph.channelCount} channels, ${this.graph.nodeCount} nodes`);
  }

  // ---------------------------------------------------------------------------------------------
  // Taking in signed gossip

  private onSigned(ps: PeerGossip, type: number, payload: Uint8Array): void {
    ps.received++;
    if (ps === this.syncPeer) this.syncMessages++;
    const now = this.now();
    // Token bucket per peer.
    ps.tokens = Math.min(this.limits.messageBurst, ps.tokens + (now - ps.lastRefill) * this.limits.messagesPerSecond);
    ps.lastRefill = now;
    if (ps.tokens < 1 || ps.queue.length >= this.limits.maxPendingPerPeer) {
      this.count(ps, 'rate_limited');
      if (!ps.warnedRateLimit) {
        ps.warnedRateLimit = true;
        this.log.info(`peer ${ps.key}: gossip over its rate limit; dropping the excess`);
      }
      return;
    }
    ps.tokens -= 1;
    ps.queue.push(frame(type, payload));
    // Behind: stop reading this peer until the queue is down to a quarter (TCP slows it down).
    if (!ps.readingHeld && ps.queue.length >= this.limits.maxPendingPerPeer / 2) {
      ps.readingHeld = true;
      ps.peer.holdReading?.('gossip');
    }
    if (!ps.processing) {
      ps.processing = true;
      setImmediate(() => void this.process(ps));
    }
  }

  private count(ps: PeerGossip | undefined, reason: GossipRejectReason): void {
    this.rejectedCounts[reason]++;
    if (ps) ps.rejected++;
  }

  /**
   * Validate a peer's queue in order. Several batches may wait for their signatures at once (a
   * worker pool verifies them in parallel); they are applied one after the other, in arrival order.
   */
  private async process(ps: PeerGossip): Promise<void> {
    const inflight: PreparedBatch[] = [];
    try {
      while ((ps.queue.length > 0 || inflight.length > 0) && !this.closed) {
        while (ps.queue.length > 0 && inflight.length < this.verifyConcurrency) {
          inflight.push(this.prepareBatch(ps, ps.queue.take(this.limits.batchSize)));
        }
        const head = inflight.shift()!;
        await this.applyBatch(ps, head);
        if (ps.readingHeld && ps.queue.length <= this.limits.maxPendingPerPeer / 4) {
          ps.readingHeld = false;
          ps.peer.releaseReading?.('gossip');
        }
      }
    } catch (e) {
      this.log.error(`gossip from ${ps.key}: ${(e as Error).stack ?? e}`);
    } finally {
      for (const b of inflight) this.releasePending(ps, b);
      ps.processing = false;
      if (ps.readingHeld) {
        ps.readingHeld = false;
        ps.peer.releaseReading?.('gossip');
      }
    }
  }

  /** Step 1 and 2 of validation for one batch; its signatures start verifying. */
  private prepareBatch(ps: PeerGossip, batch: Uint8Array[]): PreparedBatch {
    const now = this.now();
    const ctx = { chainHash: this.chainHash, now };
    const prepared: PreparedBatch = { now, items: [], channels: [], nodes: [], verified: Promise.resolve([]) };
    for (const raw of batch) {
      const r = decodeAndPrecheck(raw, ctx);
      if (!r.ok) {
        this.count(ps, r.reason);
        if (r.reason === 'malformed' || r.reason === 'non_canonical') this.invalid(ps, `${r.reason}: ${r.detail}`);
        continue;
      }
      const reason = this.graphPrecheck(ps, r, prepared);
      if (typeof reason === 'string') {
        this.count(ps, reason);
        continue;
      }
      prepared.items.push({ p: r, checks: signatureChecks(r, reason.signer) });
    }
    if (prepared.items.length > 0) prepared.verified = this.verify(prepared.items.map((i) => i.checks));
    return prepared;
  }

  /** Forget the channels and nodes a batch announced (it is applied, or dropped). */
  private releasePending(ps: PeerGossip, b: PreparedBatch): void {
    for (const scid of b.channels) ps.pendingChannels.delete(scid);
    for (const k of b.nodes) {
      const n = (ps.pendingNodes.get(k) ?? 1) - 1;
      if (n <= 0) ps.pendingNodes.delete(k);
      else ps.pendingNodes.set(k, n);
    }
  }

  /** Step 3: once its signatures are checked, apply a batch's messages in order. */
  private async applyBatch(ps: PeerGossip, b: PreparedBatch): Promise<void> {
    let ok: boolean[];
    try {
      ok = await b.verified;
    } finally {
      this.releasePending(ps, b);
    }
    if (this.closed) return;
    for (let i = 0; i < b.items.length; i++) {
      const { p } = b.items[i]!;
      if (!ok[i]) {
        this.count(ps, 'bad_signature');
        this.invalid(ps, `${p.kind} with a bad signature`);
        continue;
      }
      if (p.kind === 'channel_announcement' && this.utxo) {
        const u = await this.utxo.check(p.msg.shortChannelId, p.msg.bitcoinKey1, p.msg.bitcoinKey2);
        if (u !== 'ok') {
          this.count(ps, 'no_utxo');
          continue;
        }
      }
      const reason = this.apply(ps, p, b.now);
      if (reason) this.count(ps, reason);
      else {
        ps.accepted++;
        this.acceptedCounts[p.kind]++;
      }
    }
  }

  private invalid(ps: PeerGossip, what: string): void {
    ps.invalid++;
    if (ps.invalid === 1) this.sendWarning(ps, `gossip: ${what}`);
    if (ps.invalid >= this.limits.maxInvalidPerPeer && ps.peer.connected) {
      this.misbehaved(ps, `${ps.invalid} invalid gossip messages`);
    }
  }

  /**
   * The graph's rules before any signature is checked: a reason to drop the message, or what its
   * signature checks need (the signer of a channel_update).
   */
  private graphPrecheck(
    ps: PeerGossip,
    p: Prechecked,
    b: PreparedBatch,
  ): GossipRejectReason | { signer?: Uint8Array } {
    const g = this.graph;
    switch (p.kind) {
      case 'channel_announcement': {
        const scid = p.msg.shortChannelId;
        if (g.channelRow(scid) >= 0 || ps.pendingChannels.has(scid)) return 'duplicate';
        if (ps !== this.local && ps.channelsAdded + ps.pendingChannels.size >= this.limits.maxChannelsPerPeer) return 'store_full';
        ps.pendingChannels.set(scid, { nodeId1: p.msg.nodeId1, nodeId2: p.msg.nodeId2 });
        b.channels.push(scid);
        for (const k of [toHex(p.msg.nodeId1), toHex(p.msg.nodeId2)]) {
          ps.pendingNodes.set(k, (ps.pendingNodes.get(k) ?? 0) + 1);
          b.nodes.push(k);
        }
        return {};
      }
      case 'channel_update': {
        const scid = p.msg.shortChannelId;
        const row = g.channelRow(scid);
        if (row >= 0) {
          const have = g.updateTimestamp(row, p.direction);
          if (have !== 0 && p.msg.timestamp <= have) return p.msg.timestamp === have ? 'duplicate' : 'outdated';
          return { signer: g.nodeId(g.endOf(row, p.direction)) };
        }
        const pc = ps.pendingChannels.get(scid);
        if (pc) return { signer: p.direction === 0 ? pc.nodeId1 : pc.nodeId2 };
        // BOLT 7: "if the `short_channel_id` does NOT match a previous `channel_announcement`:
        // MUST ignore"; we remember it to ask for the announcement ("MAY send query_short_channel_ids").
        if (this.unknownScids.size < this.limits.maxUnknownScids) this.unknownScids.add(scid);
        return 'unknown_channel';
      }
      case 'node_announcement': {
        const idx = g.nodeIndex(p.msg.nodeId);
        if (idx >= 0 && g.hasNode(idx)) {
          const have = g.nodeAnnouncement(idx)?.timestamp ?? -1;
          if (p.msg.timestamp <= have) return p.msg.timestamp === have ? 'duplicate' : 'outdated';
          return {};
        }
        if (ps.pendingNodes.has(toHex(p.msg.nodeId))) return {};
        return 'unknown_node';
      }
    }
  }

  /** Store and apply a verified message; a reason when the graph refuses it after all. */
  private apply(ps: PeerGossip, p: Prechecked, now: number): GossipRejectReason | undefined {
    const g = this.graph;
    switch (p.kind) {
      case 'channel_announcement': {
        const m = p.msg;
        if (g.channelRow(m.shortChannelId) >= 0) return 'duplicate';
        if (g.channelCount >= g.limits.maxChannels) return 'store_full';
        const offset = this.store.append(p.raw, now);
        const r = g.addChannel({ scid: m.shortChannelId, nodeId1: m.nodeId1, nodeId2: m.nodeId2, features: m.features, offset, addedAt: now });
        if (r !== 'added') {
          this.store.markDeleted(offset);
          return r === 'duplicate' ? 'duplicate' : 'store_full';
        }
        ps.channelsAdded++;
        this.unrelayedAnnouncements.set(m.shortChannelId, p.raw);
        return undefined;
      }
      case 'channel_update': {
        const m = p.msg;
        const row = g.channelRow(m.shortChannelId);
        if (row < 0) return 'unknown_channel';
        const have = g.updateTimestamp(row, p.direction);
        if (have !== 0 && m.timestamp <= have) return m.timestamp === have ? 'duplicate' : 'outdated';
        const offset = this.store.append(p.raw, m.timestamp);
        const r = g.applyUpdateAt(row, {
          timestamp: m.timestamp,
          messageFlags: m.messageFlags,
          channelFlags: m.channelFlags,
          cltvExpiryDelta: m.cltvExpiryDelta,
          htlcMinimumMsat: m.htlcMinimumMsat,
          htlcMaximumMsat: m.htlcMaximumMsat,
          feeBaseMsat: m.feeBaseMsat,
          feeProportionalMillionths: m.feeProportionalMillionths,
          offset,
          checksum: channelUpdateChecksum(p.payload),
        });
        if (r.status !== 'applied') {
          this.store.markDeleted(offset);
          return 'outdated';
        }
        if (r.replacedOffset >= 0) this.store.markDeleted(r.replacedOffset);
        if (p.forwardable) {
          const ann = this.unrelayedAnnouncements.get(m.shortChannelId);
          if (ann) {
            this.unrelayedAnnouncements.delete(m.shortChannelId);
            this.queueRelay(ann, m.timestamp, ps.key);
          }
          this.queueRelay(p.raw, m.timestamp, ps.key);
        }
        return undefined;
      }
      case 'node_announcement': {
        const m = p.msg;
        const offset = this.store.append(p.raw, m.timestamp);
        const r = g.setNodeAnnouncement({
          nodeId: m.nodeId,
          timestamp: m.timestamp,
          features: m.features,
          addresses: toGraphAddresses(m.addresses),
          alias: m.alias,
          rgbColor: m.rgbColor,
          offset,
        });
        if (r.status !== 'applied') {
          this.store.markDeleted(offset);
          return r.status === 'unknown-node' ? 'unknown_node' : 'outdated';
        }
        if (r.replacedOffset >= 0) this.store.markDeleted(r.replacedOffset);
        if (p.forwardable) this.queueRelay(p.raw, m.timestamp, ps.key);
        return undefined;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Relaying

  private queueRelay(framed: Uint8Array, timestamp: number, origin: string): void {
    // Nobody asked: BOLT 7 "MUST NOT relay any gossip messages it did not generate itself, unless
    // explicitly requested".
    let anyone = false;
    for (const p of this.peers.values()) if (p.filter && p.key !== origin) anyone = true;
    if (!anyone) return;
    if (this.relay.length >= this.limits.maxRelayQueue) this.relay.shift();
    this.relay.push({ framed, timestamp, origin });
  }

  /** Send what is queued to every peer whose filter covers it (not back to where it came from). */
  flush(): void {
    if (this.relay.length === 0) return;
    const items = this.relay;
    this.relay = [];
    for (const ps of this.peers.values()) {
      const f = ps.filter;
      if (!f || !ps.peer.connected) continue;
      const mine = items.filter((it) => it.origin !== ps.key && timestampInFilter({ firstTimestamp: f.first, timestampRange: f.range }, it.timestamp));
      if (mine.length > 0) this.enqueue(ps, mine.map((it) => it.framed)[Symbol.iterator]());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Answering: one lazy outbox per peer, paced by its output queue

  private enqueue(ps: PeerGossip, it: Iterator<Uint8Array>): void {
    ps.outbox.push(it);
    this.pump(ps);
  }

  private pump(ps: PeerGossip): void {
    if (ps.pumping) return;
    const peer = ps.peer;
    const later = () => {
      ps.pumping = setTimeout(() => {
        ps.pumping = undefined;
        this.pump(ps);
      }, 10);
      ps.pumping.unref();
    };
    while (ps.outbox.length > 0) {
      if (!peer.connected || this.closed) {
        ps.outbox = [];
        ps.unsent = undefined;
        return;
      }
      if (peer.stats().queuedOutBytes > this.limits.answerHighWaterBytes) return later();
      let m = ps.unsent;
      if (!m) {
        const next = ps.outbox[0]!.next();
        if (next.done) {
          ps.outbox.shift();
          continue;
        }
        m = next.value;
      }
      // Output queue full after all: the same message goes first next time.
      ps.unsent = peer.send((m[0]! << 8) | m[1]!, m.subarray(2)) ? undefined : m;
      if (ps.unsent) return later();
    }
  }

  /** Queries a peer may still send this minute; false (and a warning) when over. */
  private admitQuery(ps: PeerGossip, what: string): boolean {
    const now = this.now();
    while (ps.queryTimes.length > 0 && ps.queryTimes[0]! <= now - 60) ps.queryTimes.shift();
    if (ps.queryTimes.length >= this.limits.queriesPerMinute) {
      this.sendWarning(ps, `too many gossip queries (${this.limits.queriesPerMinute} a minute): ignoring ${what}`);
      this.count(ps, 'rate_limited');
      return false;
    }
    ps.queryTimes.push(now);
    return true;
  }

  private onFilter(ps: PeerGossip, payload: Uint8Array): void {
    const m = this.decoded(ps, 'gossip_timestamp_filter', decodeGossipTimestampFilter, payload);
    if (!m) return;
    // BOLT 7 "SHOULD NOT forward gossip messages to peers who ... did not specify the `chain_hash`".
    if (!bytesEqual(m.chainHash, this.chainHash)) {
      ps.filter = undefined;
      return;
    }
    const hadFilter = ps.filter !== undefined;
    ps.filter = { first: m.firstTimestamp, range: m.timestampRange };
    // BOLT 7: "SHOULD send all gossip messages whose `timestamp` is greater or equal to
    // `first_timestamp`, and less than `first_timestamp` plus `timestamp_range`" — streamed lazily
    // from the graph. A filter that replaces another does not start a second dump.
    if (m.timestampRange === 0 || hadFilter || !this.admitQuery(ps, 'gossip_timestamp_filter')) return;
    this.enqueue(ps, this.dump(ps.filter.first, ps.filter.range));
  }

  /** Every message in the filter, channels (announcement before updates) then nodes. */
  private *dump(first: number, range: number): Generator<Uint8Array> {
    const g = this.graph;
    const f = { firstTimestamp: first, timestampRange: range };
    const rows = g.rowsByScid().slice();
    const nodes = new Set<number>();
    for (const row of rows) {
      if (!g.hasRow(row)) continue;
      const t0 = g.updateTimestamp(row, 0);
      const t1 = g.updateTimestamp(row, 1);
      // BOLT 7: "If a `channel_announcement` has no corresponding `channel_update`s: MUST NOT send
      // the `channel_announcement`"; otherwise its timestamp is that of a corresponding update.
      if (t0 === 0 && t1 === 0) continue;
      const in0 = t0 !== 0 && timestampInFilter(f, t0);
      const in1 = t1 !== 0 && timestampInFilter(f, t1);
      if (!in0 && !in1) continue;
      yield this.store.read(g.announcementOffset(row));
      if (in0) yield this.store.read(g.updateOffset(row, 0));
      if (in1) yield this.store.read(g.updateOffset(row, 1));
      nodes.add(g.endOf(row, 0));
      nodes.add(g.endOf(row, 1));
    }
    for (const idx of nodes) {
      const n = g.nodeAnnouncement(idx);
      if (n && n.offset >= 0 && timestampInFilter(f, n.timestamp)) yield this.store.read(n.offset);
    }
  }

  private onQueryChannelRange(ps: PeerGossip, payload: Uint8Array): void {
    const m = this.decoded(ps, 'query_channel_range', decodeQueryChannelRange, payload);
    if (!m) return;
    // BOLT 7: "if it has not sent all `reply_channel_range` to a previously received
    // `query_channel_range` from this sender: MAY send a `warning`".
    if (ps.answeringRange) return this.sendWarning(ps, 'query_channel_range while the previous one is being answered: ignored');
    if (!this.admitQuery(ps, 'query_channel_range')) return;
    const ours = bytesEqual(m.chainHash, this.chainHash);
    const g = this.graph;
    const rows = ours && m.numberOfBlocks > 0 ? g.rowsInBlockRange(m.firstBlocknum, m.numberOfBlocks).slice() : new Int32Array(0);
    const wantTs = ((m.queryOptionFlags ?? 0n) & QUERY_OPTION.timestamps) !== 0n;
    const wantCs = ((m.queryOptionFlags ?? 0n) & QUERY_OPTION.checksums) !== 0n;
    const perReply = Math.min(this.limits.scidsPerReply, Math.floor(65_000 / (8 + (wantTs ? 8 : 0) + (wantCs ? 8 : 0))));
    const blocks = Array.from(rows, (r) => g.blockOf(r));
    const plans = planRangeReplies(m.firstBlocknum, Math.max(1, m.numberOfBlocks), blocks, perReply);
    const chainHash = m.chainHash;
    ps.answeringRange = true;
    ps.queriesAnswered++;
    this.enqueue(
      ps,
      (function* () {
        try {
          for (const plan of plans) {
            const part = rows.subarray(plan.from, plan.to);
            const scids = Array.from(part, (r) => g.scidOf(r));
            const pair = (f: (r: number, d: 0 | 1) => number) => Array.from(part, (r) => ({ nodeId1: f(r, 0), nodeId2: f(r, 1) }));
            yield frame(
              GOSSIP_MSG.reply_channel_range,
              encodeReplyChannelRange({
                chainHash,
                firstBlocknum: plan.firstBlocknum,
                numberOfBlocks: plan.numberOfBlocks,
                syncComplete: plan.syncComplete,
                shortChannelIds: scids,
                ...(wantTs ? { timestamps: { pairs: pair((r, d) => g.updateTimestamp(r, d)) } } : {}),
                ...(wantCs ? { checksums: pair((r, d) => g.updateChecksum(r, d)) } : {}),
                unknownTlvs: [],
              }),
            );
          }
        } finally {
          ps.answeringRange = false;
        }
      })(),
    );
  }

  private onQueryShortChannelIds(ps: PeerGossip, payload: Uint8Array): void {
    // BOLT 7: an unknown encoding or a flag count that does not match: "MAY send a `warning`".
    const m = this.decoded(ps, 'query_short_channel_ids', decodeQueryShortChannelIds, payload);
    if (!m) return;
    if (ps.answeringScids) {
      // BOLT 7: "if it has not sent `reply_short_channel_ids_end` to a previously received
      // `query_short_channel_ids` from this sender: MAY send a `warning`".
      return this.sendWarning(ps, 'query_short_channel_ids while the previous one is being answered: ignored');
    }
    if (!this.admitQuery(ps, 'query_short_channel_ids')) return;
    const ours = bytesEqual(m.chainHash, this.chainHash);
    ps.answeringScids = true;
    ps.queriesAnswered++;
    const g = this.graph;
    const store = this.store;
    const ids = m.shortChannelIds;
    const flags = m.queryFlags?.flags;
    const chainHash = m.chainHash;
    this.enqueue(
      ps,
      (function* () {
        try {
          // BOLT 7: "SHOULD avoid sending duplicate `node_announcements` in response to a single
          // `query_short_channel_ids`".
          const sentNodes = new Set<number>();
          for (let i = 0; ours && i < ids.length; i++) {
            const row = g.channelRow(ids[i]!);
            if (row < 0) continue;
            // Without flags: "a `channel_announcement` and the latest `channel_update` for each end"
            // and "any `node_announcement`s".
            const f = flags ? Number(flags[i]! & 0x1fn) : 0x1f;
            if (f & 1) yield store.read(g.announcementOffset(row));
            if (f & 2 && g.updateTimestamp(row, 0) !== 0) yield store.read(g.updateOffset(row, 0));
            if (f & 4 && g.updateTimestamp(row, 1) !== 0) yield store.read(g.updateOffset(row, 1));
            for (const [bit, end] of [[8, 0], [16, 1]] as const) {
              if (!(f & bit)) continue;
              const idx = g.endOf(row, end);
              if (sentNodes.has(idx)) continue;
              sentNodes.add(idx);
              const n = g.nodeAnnouncement(idx);
              if (n && n.offset >= 0) yield store.read(n.offset);
            }
          }
          // "MUST follow these responses with `reply_short_channel_ids_end`"; `full_information` 1
          // for our chain, 0 for one we do not follow.
          yield frame(GOSSIP_MSG.reply_short_channel_ids_end, encodeReplyShortChannelIdsEnd({ chainHash, fullInformation: ours ? 1 : 0 }));
        } finally {
          ps.answeringScids = false;
        }
      })(),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Pruning

  /** BOLT 7: drop channels whose newest update is older than two weeks (and nodes left alone). */
  prune(): Removed {
    const removed = this.graph.pruneStale(this.now());
    for (const o of removed.offsets) this.store.markDeleted(o);
    for (const s of removed.channels) this.unrelayedAnnouncements.delete(s);
    this.pruned += removed.channels.length;
    if (removed.channels.length > 0) this.log.info(`gossip: pruned ${removed.channels.length} stale channels and ${removed.nodes.length} nodes`);
    this.onPrune?.();
    return removed;
  }
}

/** Every reason a gossip message can be refused, for displays that list zeros too. */
export const REJECT_REASONS = GOSSIP_REJECT_REASONS;
