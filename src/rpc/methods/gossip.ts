// The gossip graph over RPC: Core Lightning's `listnodes` and `listchannels` (their parameter names
// and result fields, doc/schemas/listnodes.json and listchannels.json), `getonionpath` (bolt12d:
// the hops, or the addresses we would connect to, for an onion message to a node), and the
// `gossip` object of `getinfo`.
import { fromHex, toHex, utf8 } from '../../util/bytes.ts';
import { scidFromString, scidToString } from '../../wire/index.ts';
import type { Node } from '../../node.ts';
import type { ChannelGraph, GraphAddress } from '../../gossip/graph.ts';
import { defineMethod, INVALID_PARAMS, RpcError, type Msat, type RpcMethod } from '../types.ts';
import { invalidParam, optional, paramString, paramNodeId } from '../params.ts';
import { GOSSIP_MSG } from '../../wire/index.ts';
import type { EmptyResult } from './core.ts';
import type { RpcContext } from '../context.ts';


/** Core Lightning's address JSON (common/json_stream.c `json_add_address`). */
function addressJson(a: GraphAddress): AddressJson {
  switch (a.type) {
    case 'ipv4':
    case 'ipv6':
    case 'torv3':
      return { type: a.type, address: a.host, port: a.port };
    case 'dns':
      return { type: 'dns', address: a.host, port: a.port };
    case 'websocket':
      return { type: 'websocket', port: a.port };
  }
}

function aliasText(alias: Uint8Array): string {
  let end = alias.length;
  while (end > 0 && alias[end - 1] === 0) end--;
  try {
    return utf8.decode(alias.subarray(0, end));
  } catch {
    return toHex(alias.subarray(0, end));
  }
}

function nodeJson(g: ChannelGraph, idx: number): NodeJson {
  const ann = g.nodeAnnouncement(idx);
  const out: NodeJson = { nodeid: toHex(g.nodeId(idx)) };
  if (ann) {
    out.last_timestamp = ann.timestamp;
    out.alias = aliasText(ann.alias);
    out.color = toHex(ann.rgbColor);
    out.features = toHex(ann.features);
    out.addresses = ann.addresses.map(addressJson);
  }
  return out;
}

function channelJson(g: ChannelGraph, row: number, dir: 0 | 1): ChannelJson | undefined {
  const h = g.half(row, dir);
  if (!h) return undefined;
  return {
    source: toHex(g.nodeId(g.endOf(row, dir))),
    destination: toHex(g.nodeId(g.endOf(row, dir === 0 ? 1 : 0))),
    short_channel_id: scidToString(g.scidOf(row)),
    direction: dir,
    public: true,
    // amount_msat (the funding output's value) needs a chain backend: not shown until one exists.
    message_flags: h.messageFlags,
    channel_flags: h.channelFlags,
    active: (h.channelFlags & 2) === 0,
    last_update: h.timestamp,
    base_fee_millisatoshi: h.feeBaseMsat,
    fee_per_millionth: h.feeProportionalMillionths,
    delay: h.cltvExpiryDelta,
    htlc_minimum_msat: h.htlcMinimumMsat,
    htlc_maximum_msat: h.htlcMaximumMsat,
    features: toHex(g.channelFeatures(row)),
  };
}

/** Core Lightning's address JSON. */
export interface AddressJson {
  type: 'ipv4' | 'ipv6' | 'torv3' | 'dns' | 'websocket';
  address?: string;
  port: number;
}
/** One entry of `listnodes` (the announcement's fields once one is known). */
export interface NodeJson {
  nodeid: string;
  last_timestamp?: number;
  alias?: string;
  color?: string;
  features?: string;
  addresses?: AddressJson[];
}
/** One direction of a channel in `listchannels`. */
export interface ChannelJson {
  source: string;
  destination: string;
  short_channel_id: string;
  direction: 0 | 1;
  public: boolean;
  message_flags: number;
  channel_flags: number;
  active: boolean;
  last_update: number;
  base_fee_millisatoshi: number;
  fee_per_millionth: number;
  delay: number;
  htlc_minimum_msat: Msat;
  htlc_maximum_msat: Msat;
  features: string;
}
/** `getinfo.gossip`. */
export interface GossipInfo {
  nodes: number;
  channels: number;
  synced: boolean;
  utxo_check: boolean;
  utxo_note?: string;
  accepted: Record<'channel_announcement' | 'node_announcement' | 'channel_update', number>;
  rejected: Record<string, number>;
  pruned: number;
  peers: Array<Record<string, unknown>>;
}
/** `getonionpath`: the hops of a path, or the addresses a direct connection would try. */
export type OnionPathResult =
  | { destination: string; route: 'path'; hops: string[] }
  | {
      destination: string;
      route: 'connect';
      addresses: Array<{ transport: string; address: string; port: number; type: string }>;
      skipped: Array<AddressJson & { reason: string }>;
      no_path_reason?: string;
    };

/** `getinfo.gossip`: graph size, sync state per peer, accepted and refused messages by reason. */
export function gossipInfo(node: Node): GossipInfo {
  const s = node.gossip.stats();
  return {
    nodes: s.nodes,
    channels: s.channels,
    synced: s.synced,
    utxo_check: s.utxoCheck,
    ...(s.utxoCheck ? {} : { utxo_note: 'no chain backend: channel_announcements are accepted without checking their funding outputs' }),
    accepted: s.accepted,
    rejected: s.rejected,
    pruned: s.pruned,
    peers: s.peers as unknown as Array<Record<string, unknown>>,
  };
}

/** Keyed by name. */
export const gossipMethodsByName = {
  listnodes: defineMethod<{ id?: string }, { nodes: NodeJson[] }, RpcContext>({
    name: 'listnodes',
    params: { id: 'optional' },
    description: 'Show node {id} (or all known nodes, if not specified).',
    handler: (p, { node }) => {
      const g = node.graph;
      const id = optional(p, 'id', paramNodeId);
      if (id) {
        const idx = g.nodeIndex(id);
        return { nodes: idx >= 0 && g.hasNode(idx) ? [nodeJson(g, idx)] : [] };
      }
      const nodes: NodeJson[] = [];
      for (let i = 0; i < g.nodeIndexBound; i++) if (g.hasNode(i)) nodes.push(nodeJson(g, i));
      return { nodes };
    },
  }),
  listchannels: defineMethod<{ short_channel_id?: string; source?: string; destination?: string }, { channels: ChannelJson[] }, RpcContext>({
    name: 'listchannels',
    params: { short_channel_id: 'optional', source: 'optional', destination: 'optional' },
    description: 'Show channel {short_channel_id} or {source} or {destination} (or all known channels, if not specified).',
    handler: (p, { node }) => {
      const g = node.graph;
      const scidStr = optional(p, 'short_channel_id', paramString);
      const source = optional(p, 'source', paramNodeId);
      const destination = optional(p, 'destination', paramNodeId);
      // Core Lightning: "Can only specify one of short_channel_id, source or destination".
      if ([scidStr, source, destination].filter((x) => x !== undefined).length > 1) {
        throw new RpcError(-32602, 'Can only specify one of {short_channel_id}, {source} or {destination}');
      }
      let rows: Iterable<number>;
      let dirs: (row: number) => (0 | 1)[] = () => [0, 1];
      if (scidStr !== undefined) {
        const scid = scidFromString(scidStr);
        if (scid === undefined) throw invalidParam('short_channel_id', 'should be a short_channel_id of the form BLOCKxTXxOUT');
        const row = g.channelRow(scid);
        rows = row >= 0 ? [row] : [];
      } else if (source || destination) {
        const idx = g.nodeIndex((source ?? destination)!);
        rows = idx >= 0 && g.hasNode(idx) ? g.channelsOfNode(idx) : [];
        const end = (row: number, d: 0 | 1) => g.endOf(row, d) === idx;
        // source: the direction leaving the node; destination: the one arriving at it.
        dirs = (row) => ([0, 1] as const).filter((d) => (source ? end(row, d) : end(row, d === 0 ? 1 : 0)));
      } else {
        rows = g.rowsByScid();
      }
      const channels: ChannelJson[] = [];
      for (const row of rows) {
        if (!g.hasRow(row)) continue;
        for (const d of dirs(row)) {
          const c = channelJson(g, row, d);
          if (c) channels.push(c);
        }
      }
      return { channels };
    },
  }),
  getonionpath: defineMethod<{ id: string }, OnionPathResult, RpcContext>({
    name: 'getonionpath',
    params: { id: 'required' },
    description:
      'How an onion message would reach node {id}: the hops of a path through nodes supporting option_onion_messages, or the addresses we would connect to (unless fetchinvoice-noconnect).',
    handler: (p, { node }) => {
      const id = paramNodeId(p, 'id');
      const d = node.router.decide(id);
      switch (d.kind) {
        case 'path':
          return { destination: toHex(id), route: 'path', hops: d.hops.map((h) => toHex(h)) };
        case 'connect':
          return {
            destination: toHex(id),
            route: 'connect',
            addresses: d.addresses.map((a) => ({ transport: a.transport, address: a.host, port: a.port, type: a.from })),
            skipped: d.skipped.map((s) => ({ ...addressJson(s.address), reason: s.reason })),
            no_path_reason: d.pathReason,
          };
        case 'none':
          // Core Lightning's PAY_ROUTE_NOT_FOUND.
          throw new RpcError(205, `no onion-message route to ${toHex(id)}: ${d.detail}`, { reason: d.reason, ...(d.pathReason ? { no_path_reason: d.pathReason } : {}) });
      }
    },
  }),
  addgossip: defineMethod<{ message: string }, EmptyResult, RpcContext>({
    name: 'addgossip',
    params: { message: 'required' },
    description:
      'Inject a gossip message (channel_announcement, channel_update or node_announcement, as hex, with its 2-byte type) as if a peer had sent it: checked as any peer\'s gossip (signatures, origin, timestamps) and stored if good (Core Lightning\'s addgossip).',
    handler: async (p, { node }) => {
      const s = paramString(p, 'message', { maxLength: 2 * 65_535 });
      if (!/^([0-9a-fA-F]{2})+$/.test(s)) throw invalidParam('message', 'should be a gossip message in hex');
      const bytes = fromHex(s.toLowerCase());
      const type = (bytes[0]! << 8) | (bytes[1] ?? 0);
      // lightningd/gossip_control.c json_addgossip(): only the three signed gossip messages.
      if (bytes.length < 2 || !([GOSSIP_MSG.channel_announcement, GOSSIP_MSG.channel_update, GOSSIP_MSG.node_announcement] as number[]).includes(type)) {
        throw new RpcError(INVALID_PARAMS, 'message: should be a channel_announcement (256), node_announcement (257) or channel_update (258)', { param: 'message' });
      }
      const before = node.gossip.stats();
      await node.gossip.ingest([bytes]);
      const after = node.gossip.stats();
      const accepted = (x: typeof before) => x.accepted.channel_announcement + x.accepted.node_announcement + x.accepted.channel_update;
      if (accepted(after) === accepted(before)) {
        // What it was refused for: the reason whose count went up (CLN answers the gossipd error text).
        const reason = Object.keys(after.rejected).find((k) => (after.rejected as Record<string, number>)[k]! > ((before.rejected as Record<string, number>)[k] ?? 0));
        throw new RpcError(-1, `gossip message refused${reason ? `: ${reason}` : ''}`, reason ? { reason } : undefined);
      }
      return {};
    },
  }),
};

/** The same, as a list (for tables built by hand). */
export const gossipMethods: RpcMethod<RpcContext>[] = Object.values(gossipMethodsByName);
