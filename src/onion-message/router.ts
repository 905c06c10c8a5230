// Getting an onion message to a node: a path over the gossip graph and our live peers, or a direct
// connection to the node's announced addresses when no path exists (Core Lightning's
// `sendinvoice`/`fetchinvoice` behaviour, unless `--fetchinvoice-noconnect`), or a typed "no route"
// at once — the caller never waits out a timeout for a message that could not be sent.
//
//   const router = new OnionRouter({ self, graph, peers, noconnect: false, logger, clock });
//   router.decide(dest)                 // pure decision (getonionpath): path | connect | none
//   const r = await router.route(dest); // connects when needed; r.via for messenger.send(..., { via })
//
// A connection opened only to deliver onion messages is closed again once no onion message has
// gone either way over it for `idleCloseSeconds` (default 30 s, as Eclair does; Core Lightning
// keeps them). Connections we had anyway, or that the user asked for, are never closed here.
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { toHex } from '../util/bytes.ts';
import type { ChannelGraph } from '../gossip/graph.ts';
import {
  decideOnionMessageRoute,
  OnionPathFinder,
  type ConnectAddress,
  type LivePeer,
  type NoRouteReason,
  type OnionRouteDecision,
} from '../pathfinding/index.ts';

/** The peers as the router needs them (the transport's registry fits). */
export interface RouterPeers {
  list(): readonly { nodeId: Uint8Array; remoteFeatures: Uint8Array; connected: boolean }[];
  connect(nodeId: Uint8Array, host: string, port: number, opts?: { transport?: 'tcp' | 'ws' }): Promise<unknown>;
  disconnect(nodeId: Uint8Array, reason?: string): Promise<boolean>;
  on(event: 'connect' | 'disconnect', f: (p: { nodeId: Uint8Array }) => void): unknown;
}

/** Per-peer onion message counters, to notice activity on connections we opened. */
export type OnionActivity = () => ReadonlyMap<string, number>;

export class NoOnionRouteError extends Error {
  readonly code = 'NO_ONION_ROUTE';
  constructor(
    readonly reason: NoRouteReason | 'connect-failed',
    detail: string,
  ) {
    super(detail);
  }
}

export interface OnionRoute {
  /** Node ids after us, the destination last; `hops[0]` is a connected peer. */
  hops: Uint8Array[];
  /** `hops` without the destination: what `OnionMessenger.send` takes as `via`. */
  via: Uint8Array[];
  /** How the route was found. */
  how: 'path' | 'connected';
  /** The address we connected to (when `how` is 'connected'). */
  address?: ConnectAddress;
}

export interface OnionRouterOptions {
  self: Uint8Array;
  graph: ChannelGraph;
  peers: RouterPeers;
  logger: Logger;
  clock: Clock;
  /** Core Lightning's `--fetchinvoice-noconnect`. */
  noconnect?: boolean;
  maxHops?: number;
  /** Seconds of no onion messages after which a connection we opened for them is closed (0: never). */
  idleCloseSeconds?: number;
  /** Onion messages sent + received per peer (hex id) so far; the messenger's stats. */
  activity?: OnionActivity;
}

export class OnionRouter {
  readonly finder: OnionPathFinder;
  noconnect: boolean;
  private readonly o: OnionRouterOptions;
  /** Connections we opened only for onion messages: hex id → last activity count and time. */
  private readonly opened = new Map<string, { count: number; at: number; nodeId: Uint8Array }>();
  private timer?: NodeJS.Timeout;
  private readonly onDisconnect = (p: { nodeId: Uint8Array }) => void this.opened.delete(toHex(p.nodeId));

  constructor(o: OnionRouterOptions) {
    this.o = o;
    this.finder = new OnionPathFinder(o.graph);
    this.noconnect = o.noconnect ?? false;
    o.peers.on('disconnect', this.onDisconnect);
  }

  private livePeers(): LivePeer[] {
    return this.o.peers
      .list()
      .filter((p) => p.connected)
      .map((p) => ({ nodeId: p.nodeId, features: p.remoteFeatures }));
  }

  /** The decision for `destination` now (pure: nothing is connected). */
  decide(destination: Uint8Array): OnionRouteDecision {
    return decideOnionMessageRoute(this.finder, {
      self: this.o.self,
      destination,
      peers: this.livePeers(),
      noconnect: this.noconnect,
      ...(this.o.maxHops ? { maxHops: this.o.maxHops } : {}),
    });
  }

  /**
   * A route to `destination`, connecting to it when the decision says so. Rejects with
   * NoOnionRouteError at once when there is no path and no connection can be made.
   */
  async route(destination: Uint8Array): Promise<OnionRoute> {
    const d = this.decide(destination);
    if (d.kind === 'path') return { hops: d.hops, via: d.hops.slice(0, -1), how: 'path' };
    if (d.kind === 'none') throw new NoOnionRouteError(d.reason, d.detail);
    const errors: string[] = [];
    for (const a of d.addresses) {
      if (a.transport === 'tor') {
        errors.push(`${a.host}:${a.port}: Tor is not supported`);
        continue;
      }
      try {
        this.o.logger.info(`no onion-message path to ${toHex(destination)}: connecting to ${a.host}:${a.port} (${a.transport})`);
        await this.o.peers.connect(destination, a.host, a.port, { transport: a.transport === 'websocket' ? 'ws' : 'tcp' });
        this.trackOpened(destination);
        return { hops: [destination], via: [], how: 'connected', address: a };
      } catch (e) {
        errors.push(`${a.host}:${a.port} (${a.transport}): ${(e as Error).message}`);
      }
    }
    const skipped = d.skipped.map((s) => `${s.address.type}: ${s.reason}`);
    throw new NoOnionRouteError('connect-failed', `no onion-message path, and connecting failed: ${[...errors, ...skipped].join('; ')}`);
  }

  /** Remember a connection we opened for onion messages, to close it once idle. */
  private trackOpened(nodeId: Uint8Array): void {
    const idle = this.o.idleCloseSeconds ?? 30;
    if (idle <= 0) return;
    const key = toHex(nodeId);
    this.opened.set(key, { count: this.o.activity?.().get(key) ?? 0, at: this.o.clock.now(), nodeId });
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), Math.max(200, (idle * 1000) / 4));
      this.timer.unref();
    }
  }

  private sweep(): void {
    const idle = this.o.idleCloseSeconds ?? 30;
    const now = this.o.clock.now();
    const counts = this.o.activity?.() ?? new Map<string, number>();
    for (const [key, e] of this.opened) {
      const c = counts.get(key) ?? 0;
      if (c !== e.count) {
        e.count = c;
        e.at = now;
        continue;
      }
      if (now - e.at >= idle) {
        this.opened.delete(key);
        this.o.logger.info(`closing the connection to ${key}, opened for onion messages: idle for ${idle} s`);
        void this.o.peers.disconnect(e.nodeId, `idle: opened for onion messages, none for ${idle} s`);
      }
    }
    if (this.opened.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Connections currently held open for onion messages only. */
  openedForOnionMessages(): string[] {
    return [...this.opened.keys()];
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.opened.clear();
    const peers = this.o.peers as RouterPeers & { off?: (e: string, f: (p: { nodeId: Uint8Array }) => void) => unknown };
    peers.off?.('disconnect', this.onDisconnect);
  }
}
