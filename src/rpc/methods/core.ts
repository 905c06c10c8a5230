// Core Lightning's peer-level methods: getinfo, connect, disconnect, listpeers, ping, help, stop.
// Names, parameters and result fields follow CLN's JSON schemas (doc/schemas/*.json).
import { toHex } from '../../util/bytes.ts';
import { VERSION, DEFAULT_PORT } from '../../node.ts';
import type { Peer } from '../../transport/index.ts';
import { defineMethod, RpcError, type RpcMethod } from '../types.ts';
import { invalidParam, optional, paramBoolean, paramEnum, paramInteger, paramString, paramNodeId } from '../params.ts';
import type { RpcContext } from '../context.ts';
import { gossipInfo, type GossipInfo } from './gossip.ts';
import type { Network } from '../../wire/chains.ts';

/** Features a peer sent in `init` (BOLT 1: globalfeatures OR-ed into features), as the transport combined them. */
function peerFeaturesHex(p: Peer): string {
  return toHex(p.remoteFeatures);
}


function addressJson(remote: string): { type: string; address: string; port: number } {
  const i = remote.lastIndexOf(':');
  const host = remote.slice(0, i).replace(/^\[|\]$/g, '');
  return { type: host.includes(':') ? 'ipv6' : 'ipv4', address: host, port: Number(remote.slice(i + 1)) };
}

/** camelCase counters → snake_case JSON fields. */
function snake(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())] = v && typeof v === 'object' && !Array.isArray(v) ? snake(v) : v;
  return out;
}

function peerJson(p: Peer, onion: Map<string, object>) {
  const id = toHex(p.nodeId);
  const om = onion.get(id);
  return {
    id,
    connected: p.connected,
    num_channels: 0,
    // Core Lightning writes WebSocket peers' addresses as `(ws)host:port` (common/wireaddr.c)
    netaddr: [p.transport === 'ws' ? `(ws)${p.remoteAddress}` : p.remoteAddress],
    features: peerFeaturesHex(p),
    // bolt12d extension: this peer's onion message counters and queues (BOLT 4 rate limits)
    ...(om ? { onion_messages: snake(om) } : {}),
  };
}


/** `getinfo`'s answer (Core Lightning's fields, then bolt12d's extensions). */
export interface GetinfoResult {
  id: string;
  alias: string;
  color: string;
  num_peers: number;
  num_pending_channels: number;
  num_active_channels: number;
  num_inactive_channels: number;
  address: unknown[];
  binding: Array<{ type: string; address: string; port: number; subtype?: string }>;
  version: string;
  blockheight: number;
  network: Network;
  fees_collected_msat: number;
  'lightning-dir': string;
  our_features: { init: string; node: string; channel: string; invoice: string };
  /** bolt12d: how this node pays and gets paid (`none`, `testnet-ledger`). */
  payment_backend: string;
  /** bolt12d: present when channels are accepted: they are only as safe as their funder is honest (no chain backend). */
  warning_channels?: string;
  /** bolt12d: onion message counters (drops by reason, queues). */
  onion_messages: Record<string, unknown>;
  /** bolt12d: the gossip graph, its sync per peer, refusals by reason. */
  gossip: GossipInfo;
}

export interface ConnectParams {
  /** Node id (hex), or `id@host[:port]`. */
  id: string;
  /** Host, or `host:port`. */
  host?: string;
  port?: number;
  /** `tcp` (default) or `ws` (BOLT 8 over WebSocket). */
  transport?: 'tcp' | 'ws';
}
export interface ConnectResult {
  id: string;
  features: string;
  direction: 'in' | 'out';
  address: { type: string; address: string; port: number };
}
export interface PeerJson {
  id: string;
  connected: boolean;
  num_channels: number;
  netaddr: string[];
  features: string;
  /** bolt12d: this peer's onion message counters and queues. */
  onion_messages?: Record<string, unknown>;
}
export interface HelpEntry {
  command: string;
  category: string;
  description: string;
  verbose: string;
}
/** An empty answer (`{}`). */
export type EmptyResult = Record<string, never>;

/** Keyed by name (the key is the method's name: src/rpc/methods/index.ts checks it). */
export const coreMethodsByName = {
  getinfo: defineMethod<{}, GetinfoResult, RpcContext>({
    name: 'getinfo',
    params: {},
    description: 'Show information about this node.',
    handler: (_p, { node }) => {
      const binding: GetinfoResult['binding'] = [];
      if (node.tcpAddress) binding.push({ type: 'ipv4', address: node.tcpAddress.host, port: node.tcpAddress.port });
      if (node.wsAddress) binding.push({ type: 'websocket', address: node.wsAddress.host, port: node.wsAddress.port, subtype: 'ipv4' });
      return {
        id: node.nodeIdHex,
        alias: node.config.alias,
        color: node.nodeIdHex.slice(2, 8),
        num_peers: node.peers.list().length,
        // Receive-only channels (src/channel): opening and funded-not-ready are pending; closed ones not counted.
        num_pending_channels: node.channels.counts().pending,
        num_active_channels: node.channels.counts().active,
        num_inactive_channels: node.channels.counts().inactive,
        address: [],
        binding,
        version: `bolt12d-v${VERSION}`,
        blockheight: 0,
        network: node.config.network,
        fees_collected_msat: 0,
        'lightning-dir': node.networkDir ?? '',
        our_features: node.ourFeatures(),
        // bolt12d extension: how this node pays and gets paid (none | testnet-ledger)
        payment_backend: node.payments.name,
        // bolt12d extension (issue 13): what a channel is worth without a chain backend, when channels are accepted
        ...(channelWarning(node) !== undefined ? { warning_channels: channelWarning(node)! } : {}),
        // bolt12d extension: onion message counters (drops by reason, queues)
        onion_messages: snake({ ...node.messenger.stats(), peers: undefined }),
        // bolt12d extension: the gossip graph, its sync per peer, refusals by reason
        gossip: gossipInfo(node),
      };
    },
  }),
  connect: defineMethod<ConnectParams, ConnectResult, RpcContext>({
    name: 'connect',
    params: { id: 'required', host: 'optional', port: 'optional', transport: 'optional' },
    description: 'Connect to {id} at {host} (which can end in \':port\' if not default). {id} can also be of the form id@host[:port].',
    handler: async (p, { node, notify }) => {
      let idStr = paramString(p, 'id');
      let host = optional(p, 'host', paramString);
      let port = optional(p, 'port', (q, n) => paramInteger(q, n, { min: 1, max: 65535 }));
      const at = idStr.indexOf('@');
      if (at >= 0) {
        if (host !== undefined) throw invalidParam('host', 'cannot be given twice (id@host and host)');
        const hp = idStr.slice(at + 1);
        idStr = idStr.slice(0, at);
        const m = /^(\[[^\]]+\]|[^:]+)(?::([0-9]+))?$/.exec(hp);
        if (!m) throw invalidParam('id', 'should be id@host or id@host:port');
        host = m[1]!.replace(/^\[|\]$/g, '');
        if (m[2] !== undefined) {
          if (port !== undefined) throw invalidParam('port', 'cannot be given twice');
          port = paramInteger({ port: m[2] }, 'port', { min: 1, max: 65535 });
        }
      } else if (host !== undefined && port === undefined) {
        const m = /^(\[[^\]]+\]|[^:]+):([0-9]+)$/.exec(host);
        if (m) {
          host = m[1]!.replace(/^\[|\]$/g, '');
          port = paramInteger({ port: m[2] }, 'port', { min: 1, max: 65535 });
        }
      }
      const id = paramNodeId({ id: idStr }, 'id');
      const existing = node.peers.get(id);
      if (existing && existing.connected) {
        return { id: toHex(id), features: peerFeaturesHex(existing), direction: existing.direction, address: addressJson(existing.remoteAddress) };
      }
      // CLN 400: "Unable to connect, no address known for peer"
      if (host === undefined) throw new RpcError(400, 'Unable to connect, no address known for peer');
      const transport = p['transport'] === undefined ? 'tcp' : paramEnum(p, 'transport', ['tcp', 'ws'] as const);
      const where = `${host.includes(':') ? `[${host}]` : host}:${port ?? DEFAULT_PORT[node.config.network]}`;
      // A progress message for callers that enabled notifications (debug: lightning-cli shows it
      // with -N debug; its default level, info, keeps `connect | jq` output plain JSON).
      notify?.({ level: 'debug', message: `Connecting to ${toHex(id)} at ${where} over ${transport === 'ws' ? 'WebSocket' : 'TCP'}` });
      try {
        const peer = await node.connect(id, host, port ?? DEFAULT_PORT[node.config.network], transport);
        return { id: toHex(peer.nodeId), features: peerFeaturesHex(peer), direction: peer.direction, address: addressJson(peer.remoteAddress) };
      } catch (e) {
        // CLN 401: "Could not connect to peer"
        throw new RpcError(401, `Could not connect to peer: ${(e as Error).message}`);
      }
    },
  }),
  disconnect: defineMethod<{ id: string; force?: boolean }, EmptyResult, RpcContext>({
    name: 'disconnect',
    params: { id: 'required', force: 'optional' },
    description: 'Disconnect from {id} that has previously been connected to using connect.',
    handler: async (p, { node }) => {
      const id = paramNodeId(p, 'id');
      if (p['force'] !== undefined) paramBoolean(p, 'force');
      const ok = await node.peers.disconnect(id, 'disconnect RPC');
      if (!ok) throw new RpcError(-1, 'Peer not connected');
      return {};
    },
  }),
  listpeers: defineMethod<{ id?: string; level?: 'io' | 'debug' | 'info' | 'unusual' | 'broken' }, { peers: PeerJson[] }, RpcContext>({
    name: 'listpeers',
    params: { id: 'optional', level: 'optional' },
    description: 'Show current peers; if {level} is set, include logs.',
    handler: (p, { node }) => {
      const id = optional(p, 'id', paramNodeId);
      if (p['level'] !== undefined) {
        const lv = paramString(p, 'level');
        if (!['io', 'debug', 'info', 'unusual', 'broken'].includes(lv)) throw invalidParam('level', 'should be one of io, debug, info, unusual, broken');
      }
      const peers = id ? [node.peers.get(id)].filter((x): x is Peer => x !== undefined) : node.peers.list();
      const onion = new Map<string, object>();
      for (const s of node.messenger.stats().peers) {
        const { nodeId, ...counters } = s;
        onion.set(nodeId, counters);
      }
      return { peers: peers.map((x) => peerJson(x, onion)) };
    },
  }),
  ping: defineMethod<{ id: string; len?: number; pongbytes?: number }, { totlen: number }, RpcContext>({
    name: 'ping',
    params: { id: 'required', len: 'optional', pongbytes: 'optional' },
    description: 'Send peer {id} a ping of length {len} (default 128) asking for {pongbytes} (default 128).',
    handler: async (p, { node }) => {
      const id = paramNodeId(p, 'id');
      // BOLT 1: ping is at most 65531 bytes of ignored data (the whole message must fit 65535).
      const len = optional(p, 'len', (q, n) => paramInteger(q, n, { min: 0, max: 65531 })) ?? 128;
      const pongbytes = optional(p, 'pongbytes', (q, n) => paramInteger(q, n, { min: 0, max: 65535 })) ?? 128;
      const peer = node.peers.get(id);
      if (!peer || !peer.connected) throw new RpcError(-1, 'Peer not connected');
      try {
        return await peer.ping(len, pongbytes);
      } catch (e) {
        throw new RpcError(-1, `Ping failed: ${(e as Error).message}`);
      }
    },
  }),
  help: defineMethod<{ command?: string }, { help: HelpEntry[]; 'format-hint': 'simple' }, RpcContext>({
    name: 'help',
    params: { command: 'optional' },
    description: 'List available commands, or give verbose help on one {command}.',
    handler: (p, { table }) => {
      const cmd = optional(p, 'command', paramString);
      const ms = table.list().filter((m) => cmd === undefined || m.name === cmd);
      // lightningd/jsonrpc.c json_help(): "Unknown command %s" (no quotes, unlike an unknown method)
      if (cmd !== undefined && ms.length === 0) throw new RpcError(-32601, `Unknown command ${cmd}`);
      // CLN's shape ({"help":[{"command":"name [optional] required"}],"format-hint":"simple"},
      // doc/schemas/help.json: further members allowed); category, description and verbose as CLN
      // gave them before v24.08 (lightning-cli still sorts `help` by category).
      return {
        help: ms.map((m) => ({
          command: [m.name, ...m.params.map((x) => (x.endsWith('?') ? `[${x.slice(0, -1)}]` : x))].join(' '),
          category: 'bolt12d',
          description: m.description,
          verbose: m.description,
        })),
        'format-hint': 'simple' as const,
      };
    },
  }),
  stop: defineMethod<{}, { result: string }, RpcContext>({
    name: 'stop',
    params: {},
    description: 'Shut down the daemon process.',
    handler: (_p, ctx) => {
      ctx.requestStop();
      // CLN since v24.05 (doc/schemas/stop.json): {"result": "Shutdown complete"}
      return { result: 'Shutdown complete' };
    },
  }),
  notifications: defineMethod<{ enable: boolean }, EmptyResult, RpcContext>({
    name: 'notifications',
    params: { enable: 'required' },
    description: 'Enable or disable notifications (progress messages of long commands, before their result) on this connection.',
    // lightningd/jsonrpc.c json_notifications(): sets the connection's flag, answers {}.
    handler: (p, { connection }) => {
      const enable = paramBoolean(p, 'enable');
      if (connection) connection.notifications = enable;
      return {};
    },
  }),
};

/** The same, as a list (for tables built by hand). */
export const coreMethods: RpcMethod<RpcContext>[] = Object.values(coreMethodsByName);

/** getinfo's warning when this node accepts channels (trusted funders): no chain backend watches them. */
function channelWarning(node: { channels: { config: { trustedFunders: 'all' | readonly Uint8Array[] } } }): string | undefined {
  const t = node.channels.config.trustedFunders;
  if (t !== 'all' && t.length === 0) return undefined;
  return 'Channels are accepted only from trusted funders (--trust-funder), zero-conf, with no chain backend: a channel is only as safe as its funder is honest (nothing watches the funding output or punishes a revoked commitment).';
}
