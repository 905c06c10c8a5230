// The shortest onion-message path from us to a destination: fewest hops through nodes that forward
// onion messages, over announced channels plus our live peer connections. A bidirectional
// breadth-first search over the graph's CSR adjacency, with scratch arrays kept across queries
// (visit stamps with a generation counter), so a query copies nothing and allocates only its
// answer.
//
//   const finder = new OnionPathFinder(graph);
//   const r = finder.find({ self, destination, peers });   // peers: our connected peers + their init features
//   if (r.hops) send(r.hops[0], r.hops);                   // hops[0] is the peer to hand the message to
//
// What counts (BOLT 4 onion messages, BOLT 9 `option_onion_messages` 38/39), decided here:
// - The first hop is always a live connection: a peer connected now whose `init` sets 38 or 39.
//   Our own channels in the graph are not first hops (a channel to a disconnected peer is no
//   edge: Core Lightning's bug #8225 was trying one). A peer whose `init` or node_announcement sets
//   66/67 (`option_onion_messages_only_channels`, a draft: it drops onion messages from peers it has
//   no channel with, as lnd 0.21 does) is not a first hop unless we have a channel with it.
// - Every later hop but the destination must be a node we know forwards onion messages: its
//   node_announcement sets 38/39, or it is a connected peer whose `init` does. A channel whose far
//   end has no node_announcement (or one without 38/39) leads nowhere: we do not guess. Core
//   Lightning (plugins/establish_onion_path.c `can_carry_onionmsg`) applies the same rule to every
//   hop's recipient.
// - The destination need not have announced support when we hold no node_announcement for it (it
//   has channels, so it exists; offers' introduction nodes read onion messages, and without an
//   announcement we have no address to connect to instead, so the path is our only chance). A
//   destination that did announce and left 38/39 out is not a path target; a connected destination
//   is judged by its `init` instead (fresher than any announcement).
// - A channel either of whose latest channel_updates sets `disable` is skipped (a disabled channel
//   usually means its peers are not connected, so the message would be dropped); a channel with no
//   update yet counts (its announcement proves it exists).
// - Path length is the number of hops after us (the destination included); at most `maxHops`,
//   default 6, the bound Eclair uses for its onion-message routes. Each hop costs the packet a
//   few dozen bytes of encrypted_recipient_data, and a long path is also a less reliable one.
import { hasFeature } from '../wire/features.ts';
import {
  CHAN_DISABLED_0,
  CHAN_DISABLED_1,
  CHAN_LIVE,
  FEATURE_ONION_MESSAGES,
  FEATURE_ONION_MESSAGES_ONLY_CHANNELS,
  NODE_ANNOUNCED,
  NODE_ONION_MESSAGES,
  NODE_ONION_ONLY_CHANNELS,
  type ChannelGraph,
} from '../gossip/graph.ts';
import { bytesEqual } from '../util/bytes.ts';

/** Eclair's bound for onion-message routes; hops after us, the destination included. */
export const DEFAULT_MAX_HOPS = 6;

/** A peer we are connected to now. */
export interface LivePeer {
  nodeId: Uint8Array;
  /** The features of the peer's `init` (BOLT 1). */
  features: Uint8Array;
  /** Whether we have a channel with this peer (we open none yet, so false). */
  hasChannel?: boolean;
}

export interface OnionPathQuery {
  /** Our node id. */
  self: Uint8Array;
  destination: Uint8Array;
  /** Our connected peers, with their `init` features. Disconnected peers must not be listed. */
  peers: readonly LivePeer[];
  /** At most this many hops after us (default 6). */
  maxHops?: number;
  /** Skip channels with a disabled direction (default true). */
  skipDisabled?: boolean;
}

export type NoPathReason =
  /** The destination is us. */
  | 'self'
  /** Not a node of the graph and not a connected peer. */
  | 'unknown-destination'
  /** Its node_announcement (or, when connected, its init) does not set option_onion_messages. */
  | 'destination-unsupported'
  /** No connected peer that forwards onion messages (and takes them from us). */
  | 'no-first-hop'
  /** Paths may exist but all are longer than `maxHops`. */
  | 'max-hops'
  /** No path through supporting nodes at all. */
  | 'no-path';

export type OnionPathResult =
  | { hops: Uint8Array[]; reason?: undefined; explored: number }
  | { hops: null; reason: NoPathReason; explored: number };

function offers(vec: Uint8Array, even: number): boolean {
  return hasFeature(vec, even) || hasFeature(vec, even + 1);
}

/**
 * Finds onion-message paths over one graph. Keeps its scratch arrays between queries (so keep one
 * finder per graph, not one per query); not reentrant (queries are synchronous).
 */
export class OnionPathFinder {
  private cap = 0;
  private gen = 0;
  private fwdStamp = new Int32Array(0);
  private bwdStamp = new Int32Array(0);
  private peerStamp = new Int32Array(0);
  private fwdParent = new Int32Array(0);
  private bwdNext = new Int32Array(0);
  private fwdDepth = new Uint8Array(0);
  private bwdDepth = new Uint8Array(0);
  private fwdQueue = new Int32Array(0);
  private bwdQueue = new Int32Array(0);

  constructor(readonly graph: ChannelGraph) {}

  private prepare(bound: number): number {
    if (bound > this.cap) {
      const n = Math.max(bound, this.cap * 2, 1024);
      this.fwdStamp = new Int32Array(n);
      this.bwdStamp = new Int32Array(n);
      this.peerStamp = new Int32Array(n);
      this.fwdParent = new Int32Array(n);
      this.bwdNext = new Int32Array(n);
      this.fwdDepth = new Uint8Array(n);
      this.bwdDepth = new Uint8Array(n);
      this.fwdQueue = new Int32Array(n);
      this.bwdQueue = new Int32Array(n);
      this.cap = n;
      this.gen = 0;
    }
    if (this.gen >= 0x7fff_fffe) {
      this.fwdStamp.fill(0);
      this.bwdStamp.fill(0);
      this.peerStamp.fill(0);
      this.gen = 0;
    }
    return ++this.gen;
  }

  find(q: OnionPathQuery): OnionPathResult {
    const g = this.graph;
    const maxHops = q.maxHops ?? DEFAULT_MAX_HOPS;
    if (!Number.isInteger(maxHops) || maxHops < 1 || maxHops > 255) throw new RangeError('maxHops must be an integer in 1..255');
    const skipDisabled = q.skipDisabled ?? true;
    if (bytesEqual(q.destination, q.self)) return { hops: null, reason: 'self', explored: 0 };

    const adj = g.adjacency();
    const gen = this.prepare(adj.nodeBound);
    const selfIdx = g.nodeIndex(q.self);
    const destIdx = g.nodeIndex(q.destination);
    const nodeFlags = g.nodeFlags;

    // --- first hops: live peers that forward onion messages and take them from us.
    let destPeer: LivePeer | undefined;
    let firstHops = 0;
    let fq = 0; // forward queue length
    for (const p of q.peers) {
      if (bytesEqual(p.nodeId, q.self)) continue;
      const idx = g.nodeIndex(p.nodeId);
      const supports = offers(p.features, FEATURE_ONION_MESSAGES);
      const onlyChannels =
        offers(p.features, FEATURE_ONION_MESSAGES_ONLY_CHANNELS) || (idx >= 0 && (nodeFlags[idx]! & NODE_ONION_ONLY_CHANNELS) !== 0);
      if (bytesEqual(p.nodeId, q.destination)) destPeer = p;
      if (idx >= 0 && supports) this.peerStamp[idx] = gen; // forwards, whatever position it takes
      if (!supports || (onlyChannels && !p.hasChannel)) continue;
      if (destPeer === p) return { hops: [q.destination.slice()], explored: 0 };
      firstHops++;
      if (idx >= 0 && this.fwdStamp[idx] !== gen) {
        this.fwdStamp[idx] = gen;
        this.fwdParent[idx] = -1;
        this.fwdDepth[idx] = 1;
        this.fwdQueue[fq++] = idx;
      }
    }

    // --- the destination.
    if (destPeer) {
      if (!offers(destPeer.features, FEATURE_ONION_MESSAGES)) return { hops: null, reason: 'destination-unsupported', explored: 0 };
      // Connected but not taking onion messages from us directly (66/67 and no channel): a path
      // must end over one of its channels.
      if (destIdx < 0) return { hops: null, reason: 'no-path', explored: 0 };
    } else if (destIdx < 0) {
      return { hops: null, reason: 'unknown-destination', explored: 0 };
    } else if ((nodeFlags[destIdx]! & (NODE_ANNOUNCED | NODE_ONION_MESSAGES)) === NODE_ANNOUNCED) {
      return { hops: null, reason: 'destination-unsupported', explored: 0 };
    }
    if (firstHops === 0) return { hops: null, reason: 'no-first-hop', explored: 0 };
    if (maxHops < 2 || fq === 0) return { hops: null, reason: fq === 0 ? 'no-path' : 'max-hops', explored: 0 };

    this.bwdStamp[destIdx] = gen;
    this.bwdNext[destIdx] = -1;
    this.bwdDepth[destIdx] = 0;
    this.bwdQueue[0] = destIdx;
    let bq = 1;

    const { start, nbr, row } = adj;
    const chFlags = g.channelFlags;
    const blockMask = CHAN_LIVE | (skipDisabled ? CHAN_DISABLED_0 | CHAN_DISABLED_1 : 0);
    const fwdStamp = this.fwdStamp;
    const bwdStamp = this.bwdStamp;
    const peerStamp = this.peerStamp;
    const eligible = (v: number) => (nodeFlags[v]! & NODE_ONION_MESSAGES) !== 0 || peerStamp[v] === gen;

    // Level-synchronous: frontier [fHead, fq) at depth fDepth, [bHead, bq) at depth bDepth.
    let fHead = 0;
    let bHead = 0;
    let fDepth = 1;
    let bDepth = 0;
    let explored = 0;
    let meetU = -1; // forward side node
    let meetV = -1; // backward side node
    // Work of expanding a frontier: its nodes' channel counts (choose the cheaper side).
    let fWork = 0;
    for (let i = 0; i < fq; i++) fWork += start[this.fwdQueue[i]! + 1]! - start[this.fwdQueue[i]!]!;
    let bWork = start[destIdx + 1]! - start[destIdx]!;

    search: while (fHead < fq && bHead < bq) {
      // Shortest path still possible from here: fDepth + 1 + bDepth.
      if (fDepth + bDepth + 1 > maxHops) break;
      if (fWork <= bWork) {
        const end = fq;
        let work = 0;
        for (; fHead < end; fHead++) {
          const u = this.fwdQueue[fHead]!;
          for (let k = start[u]!, e = start[u + 1]!; k < e; k++) {
            const v = nbr[k]!;
            explored++;
            if ((chFlags[row[k]!]! & blockMask) !== CHAN_LIVE || v === selfIdx) continue;
            if (bwdStamp[v] === gen) {
              meetU = u;
              meetV = v;
              break search;
            }
            if (fwdStamp[v] === gen || !eligible(v)) continue;
            fwdStamp[v] = gen;
            this.fwdParent[v] = u;
            this.fwdDepth[v] = fDepth + 1;
            this.fwdQueue[fq++] = v;
            work += start[v + 1]! - start[v]!;
          }
        }
        fDepth++;
        fWork = work;
      } else {
        const end = bq;
        let work = 0;
        for (; bHead < end; bHead++) {
          const v = this.bwdQueue[bHead]!;
          for (let k = start[v]!, e = start[v + 1]!; k < e; k++) {
            const w = nbr[k]!;
            explored++;
            if ((chFlags[row[k]!]! & blockMask) !== CHAN_LIVE || w === selfIdx) continue;
            if (fwdStamp[w] === gen) {
              meetU = w;
              meetV = v;
              break search;
            }
            if (bwdStamp[w] === gen || !eligible(w)) continue;
            bwdStamp[w] = gen;
            this.bwdNext[w] = v;
            this.bwdDepth[w] = bDepth + 1;
            this.bwdQueue[bq++] = w;
            work += start[w + 1]! - start[w]!;
          }
        }
        bDepth++;
        bWork = work;
      }
    }

    if (meetU < 0) {
      // Cut by the hop bound while both frontiers still had nodes → longer paths may exist.
      const cut = fHead < fq && bHead < bq;
      return { hops: null, reason: cut ? 'max-hops' : 'no-path', explored };
    }
    const len = this.fwdDepth[meetU]! + 1 + this.bwdDepth[meetV]!;
    if (len > maxHops) return { hops: null, reason: 'max-hops', explored };
    const hops: Uint8Array[] = new Array(len);
    let i = this.fwdDepth[meetU]! - 1;
    for (let x = meetU; x >= 0; x = this.fwdParent[x]!) hops[i--] = g.nodeId(x);
    i = this.fwdDepth[meetU]!;
    for (let x = meetV; x >= 0; x = this.bwdNext[x]!) hops[i++] = g.nodeId(x);
    return { hops, explored };
  }
}
