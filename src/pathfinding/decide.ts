// How to get an onion message to a node: over a path, by connecting to it directly, or not at all
// (decided at once, so the caller never waits out a timeout for a message that could not be sent).
// Pure: the caller (sendinvoice, getonionpath) does the connecting.
//
//   const d = decideOnionMessageRoute(finder, { self, destination, peers, noconnect: false });
//   switch (d.kind) {
//     case 'path':    send to d.hops[0] (a connected peer), through d.hops;
//     case 'connect': try d.addresses in order, then send over the new connection;
//     case 'none':    fail with d.reason (sendinvoice's 1003).
//   }
//
// Core Lightning's rule (plugins/establish_onion_path.c): a path through supporting nodes if one
// exists, else connect directly unless `fetchinvoice-noconnect` is set ("fetchinvoice-noconnect
// set: not initiating a new connection"). The addresses are the destination's node_announcement's:
// BOLT 7, node_announcement: "`addresses` allows a node to announce its willingness to accept
// incoming network connections". TCP first (IPv4, IPv6, DNS hostname: the BOLT 8 transport every
// implementation listens on), then WebSocket (type 6: a port on the host of the other addresses);
// Tor v3 only with a SOCKS proxy, which we do not have yet, so Tor addresses are listed in
// `skipped` with the reason. BOLT 7: "if `features` field contains _unknown even bits_: SHOULD NOT
// connect to the node" — checked when the caller passes the feature bits it knows.
import { unknownRequiredBits } from '../wire/features.ts';
import { bytesEqual } from '../util/bytes.ts';
import type { ChannelGraph, GraphAddress } from '../gossip/graph.ts';
import { OnionPathFinder, type LivePeer, type NoPathReason, type OnionPathQuery } from './onion-path.ts';

export interface ConnectAddress {
  transport: 'tcp' | 'websocket' | 'tor';
  host: string;
  port: number;
  /** The descriptor it came from. */
  from: GraphAddress['type'];
}

export interface SkippedAddress {
  address: GraphAddress;
  reason: string;
}

export type OnionRouteDecision =
  | { kind: 'path'; hops: Uint8Array[] }
  | { kind: 'connect'; addresses: ConnectAddress[]; skipped: SkippedAddress[]; pathReason: NoPathReason }
  | { kind: 'none'; reason: NoRouteReason; detail: string; pathReason?: NoPathReason; skipped?: SkippedAddress[] };

export type NoRouteReason =
  /** The destination is us. */
  | 'self'
  /** No path, and direct connection is disabled (`--fetchinvoice-noconnect`). */
  | 'noconnect'
  /** No path, and no node_announcement with addresses we could connect to. */
  | 'no-addresses'
  /** No path, and the destination's announced features require bits we do not know. */
  | 'unknown-required-features'
  /** The destination does not take onion messages (its announcement or init lacks 38/39). */
  | 'destination-unsupported'
  /** Connected already, yet no path: it takes onion messages only over channels (66/67). */
  | 'connected-no-path';

export interface RouteDecisionQuery extends OnionPathQuery {
  /** Core Lightning's `--fetchinvoice-noconnect`: never open a connection for this. */
  noconnect: boolean;
  /** A SOCKS proxy for Tor is configured (none is supported yet: default false). */
  torProxy?: boolean;
  /** Feature bits we know; when given, a destination announcing other even bits is not connected to. */
  knownFeatures?: ReadonlySet<number>;
}

const TCP_ORDER: Record<GraphAddress['type'], number> = { ipv4: 0, ipv6: 1, dns: 2, torv3: 3, websocket: 4 };

/**
 * Connection candidates from announced addresses, in the order to try them: IPv4, IPv6, DNS over
 * TCP, then Tor (only with a proxy), then WebSocket on each of those hosts (not Tor's).
 * Announcement order is kept within a type (BOLT 7: "MUST place address descriptors in ascending
 * order"). Ports of 0 are skipped (BOLT 7: "if `port` is equal to 0: SHOULD ignore").
 */
export function connectCandidates(
  addresses: readonly GraphAddress[],
  opts: { torProxy?: boolean } = {},
): { addresses: ConnectAddress[]; skipped: SkippedAddress[] } {
  const out: ConnectAddress[] = [];
  const skipped: SkippedAddress[] = [];
  const hosts: { host: string; from: GraphAddress['type'] }[] = [];
  const ws: number[] = [];
  const sorted = [...addresses].sort((a, b) => TCP_ORDER[a.type] - TCP_ORDER[b.type]);
  for (const a of sorted) {
    if (!(a.port > 0 && a.port <= 0xffff)) {
      skipped.push({ address: a, reason: 'port 0 (BOLT 7: SHOULD ignore)' });
      continue;
    }
    if (a.type === 'websocket') {
      ws.push(a.port);
      continue;
    }
    if (a.type === 'torv3') {
      if (opts.torProxy) out.push({ transport: 'tor', host: a.host, port: a.port, from: a.type });
      else skipped.push({ address: a, reason: 'Tor v3 onion service: no Tor proxy configured' });
      continue;
    }
    out.push({ transport: 'tcp', host: a.host, port: a.port, from: a.type });
    hosts.push({ host: a.host, from: a.type });
  }
  for (const port of ws) {
    if (hosts.length === 0) {
      skipped.push({ address: { type: 'websocket', port }, reason: 'websocket port without a clearnet host to use it on' });
      continue;
    }
    for (const h of hosts) out.push({ transport: 'websocket', host: h.host, port, from: h.from });
  }
  return { addresses: out, skipped };
}

/** Decide how to reach `q.destination` with an onion message (see the file comment). */
export function decideOnionMessageRoute(finder: OnionPathFinder, q: RouteDecisionQuery): OnionRouteDecision {
  const r = finder.find(q);
  if (r.hops) return { kind: 'path', hops: r.hops };
  if (r.reason === 'self') return { kind: 'none', reason: 'self', detail: 'the destination is this node', pathReason: r.reason };
  if (r.reason === 'destination-unsupported') {
    return { kind: 'none', reason: 'destination-unsupported', detail: 'the destination does not advertise option_onion_messages (38/39)', pathReason: r.reason };
  }
  if (isConnected(q.peers, q.destination)) {
    return {
      kind: 'none',
      reason: 'connected-no-path',
      detail: 'the destination is connected but takes onion messages only from channel peers (66/67), and no path over its channels exists',
      pathReason: r.reason,
    };
  }
  if (q.noconnect) {
    return { kind: 'none', reason: 'noconnect', detail: 'fetchinvoice-noconnect set: not initiating a new connection', pathReason: r.reason };
  }
  const g: ChannelGraph = finder.graph;
  const idx = g.nodeIndex(q.destination);
  const ann = idx >= 0 ? g.nodeAnnouncement(idx) : undefined;
  if (!ann) {
    return { kind: 'none', reason: 'no-addresses', detail: 'no path, and no node_announcement of the destination to take addresses from', pathReason: r.reason };
  }
  if (q.knownFeatures) {
    const unknown = unknownRequiredBits(ann.features, q.knownFeatures);
    if (unknown.length > 0) {
      return {
        kind: 'none',
        reason: 'unknown-required-features',
        detail: `no path, and the destination requires unknown feature bits ${unknown.join(', ')} (BOLT 7: SHOULD NOT connect)`,
        pathReason: r.reason,
      };
    }
  }
  const c = connectCandidates(ann.addresses, { torProxy: q.torProxy });
  if (c.addresses.length === 0) {
    const why = c.skipped.length > 0 ? `no usable address (${c.skipped.map((s) => s.reason).join('; ')})` : 'the node_announcement lists no address';
    return { kind: 'none', reason: 'no-addresses', detail: `no path, and ${why}`, pathReason: r.reason, skipped: c.skipped };
  }
  return { kind: 'connect', addresses: c.addresses, skipped: c.skipped, pathReason: r.reason };
}

function isConnected(peers: readonly LivePeer[], id: Uint8Array): boolean {
  for (const p of peers) if (bytesEqual(p.nodeId, id)) return true;
  return false;
}
