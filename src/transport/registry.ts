// The peer registry: listeners (TCP, WebSocket), dialling, at most one connection per node id,
// `connect`/`disconnect` events, and dispatch of incoming messages by type to subscribers.
//
//   const reg = new PeerRegistry({ nodeSecret, network: 'regtest', logger, random: secureRandom });
//   await reg.listenTcp('127.0.0.1', 9735);
//   reg.onMessage(MSG.onion_message, (peer, payload) => ...);
//   const peer = await reg.connect(theirId, '127.0.0.1', 9736);        // after the init exchange
//   await peer.ping();
//
// Duplicate connections: the NEWEST connection to complete `init` wins and the older one is
// closed ("replaced by a new connection"), as Core Lightning does (connectd/connectd.c
// `peer_connected`: "We remove any previous connection immediately, on the assumption it's
// dead"). A peer that restarts reconnects at once instead of waiting for our liveness ping to
// notice its half-open socket. (LDK does the opposite, "Got second connection with {}, closing".)
// Known race: if both sides dial each other at the same instant, each may keep a different one of
// the two connections and close the other; the callers' reconnect logic then settles it.
//
// Inbound connections (both listeners) are bounded from `accept` on (budget.ts, limits.ts): a
// pending slot per socket, capped per source and in total, with eviction from the fullest source;
// short timeouts for the WebSocket upgrade and act one; caps on established peers, inbound and
// outbound apart; refusal above a descriptor high-water mark (fds.ts); and refusals, evictions and
// pre-`init` closes logged as one summary line every few seconds (summary.ts).
//
// The WebSocket listener is a plain net.Server too: each accepted socket is counted like a TCP
// one, then handed to an http.Server that never listens itself (so Node's own ~90 s header
// timeout, which only runs for listening servers, plays no part: ours is wsUpgradeTimeoutMs), and
// `ws` (noServer) completes the upgrade.
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { isPoint, publicKey, type RandomSource } from '../crypto/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { type Logger } from '../util/log.ts';
import { bytesEqual, toHex } from '../util/bytes.ts';
import { type Network } from '../wire/index.ts';
import { formatHostPort } from './address.ts';
import { tcpConn, wsConn, type ByteConn } from './conn.ts';
import { ConnectionBudget, type PendingSlot, type RefusalReason } from './budget.ts';
import { ConnectError } from './errors.ts';
import { FdMonitor, procFdProbe, type FdProbe, type FdUsage } from './fds.ts';
import { defaultInitFeatures } from './features.ts';
import { resolveLimits, type PeerLimits } from './limits.ts';
import { PeerConnection, type Peer, type PeerHost } from './peer.ts';
import { ConnLogSummary, TokenBucket, budgetedLogger } from './summary.ts';

export interface PeerRegistryOptions {
  /** Our node's 32-byte secret key; its public key is our node id (the BOLT 8 static key). */
  nodeSecret: Uint8Array;
  /** The one chain we speak for: sent in `init.networks`, required in the peer's if it sends one. */
  network: Network;
  /** Our `init` features; default {@link DEFAULT_INIT_FEATURE_BITS} (see features.ts for why). */
  localFeatures?: Uint8Array;
  logger: Logger;
  /** Randomness for ephemeral handshake keys. */
  random: RandomSource;
  limits?: Partial<PeerLimits>;
  /** Time source for rate limits; default the system clock. */
  clock?: Clock;
  /** The process's descriptor count and limit; default /proc/self (Linux). Tests inject one. */
  fdProbe?: FdProbe;
}

export interface DialOptions {
  transport?: 'tcp' | 'ws';
  /** Local address to bind the outgoing socket to (default: the system's choice). */
  localAddress?: string;
}

/** A WebSocket listener's socket between `accept` and the end of its HTTP upgrade. */
interface WsPending {
  slot: PendingSlot;
  timer: NodeJS.Timeout;
  /** Closed on purpose (upgrade timeout): already counted. */
  counted: boolean;
  upgraded: boolean;
}

export type MessageHandler = (peer: Peer, payload: Uint8Array) => void;

interface Listener {
  close(): Promise<void>;
}

export class PeerRegistry extends EventEmitter {
  /** Our node id (33-byte compressed public key). */
  readonly nodeId: Uint8Array;
  readonly network: Network;
  readonly limits: PeerLimits;
  readonly localFeatures: Uint8Array;
  private readonly log: Logger;
  private readonly active = new Map<string, PeerConnection>();
  private readonly dialling = new Map<string, Promise<Peer>>();
  private readonly conns = new Set<PeerConnection>();
  private readonly handlers = new Map<number, Set<MessageHandler>>();
  private readonly servers: Listener[] = [];
  private closing = false;
  private readonly host: PeerHost;
  private readonly budget: ConnectionBudget;
  /** Pending slots of inbound connections not yet past `init`. */
  private readonly slots = new Map<PeerConnection, PendingSlot>();
  private readonly wsPending = new Map<net.Socket, WsPending>();
  private readonly summary: ConnLogSummary;
  private readonly fds: FdMonitor;

  constructor(opts: PeerRegistryOptions) {
    super();
    this.nodeId = publicKey(opts.nodeSecret); // throws Secp256k1Error on an invalid secret
    this.network = opts.network;
    this.limits = resolveLimits(opts.limits);
    this.localFeatures = opts.localFeatures ?? defaultInitFeatures();
    this.log = opts.logger;
    const clock = opts.clock ?? systemClock;
    this.budget = new ConnectionBudget(this.limits);
    this.summary = new ConnLogSummary(this.log, this.limits.logSummaryIntervalMs, clock);
    const peerLog = budgetedLogger(opts.logger, new TokenBucket(this.limits.peerLogBurst, this.limits.peerLogPerSecond, clock), () =>
      this.summary.demoted(),
    );
    this.fds = new FdMonitor(opts.fdProbe ?? procFdProbe, {
      warnFraction: this.limits.fdWarnFraction,
      refuseFraction: this.limits.fdRefuseFraction,
      intervalMs: this.limits.fdCheckIntervalMs,
      nowMs: () => clock.now() * 1000,
      warn: (u, warnAt, refuseAt) =>
        this.log.warn(
          `${u.open} of ${u.limit} file descriptors open (warning above ${warnAt}): new inbound connections are refused above ${refuseAt}; raise the limit (ulimit -n) or lower limits.maxInboundPeers`,
        ),
      recovered: (u) => this.log.info(`file descriptors back to ${u.open} of ${u.limit}`),
    });
    const self = this;
    this.host = {
      nodeSecret: opts.nodeSecret,
      nodeId: this.nodeId,
      network: opts.network,
      localFeatures: this.localFeatures,
      limits: this.limits,
      random: opts.random,
      clock,
      logger: peerLog,
      admitPeer: (p) => self.admitPeer(p),
      peerReady: (p) => self.peerReady(p),
      peerClosed: (p, reason, wasReady, category) => self.peerClosed(p, reason, wasReady, category),
      dispatch: (p, type, payload) => self.dispatch(p, type, payload),
    };
  }

  /** Inbound connections pending now (accepted, `init` not yet done), and the descriptor figures last seen. */
  inboundStats(): { pending: number; fds: FdUsage | undefined } {
    return { pending: this.budget.pending, fds: this.fds.usage() };
  }

  // ---------------------------------------------------------------------------------------------
  // Listening

  /** Accept BOLT 8 over TCP. Port 0 picks an ephemeral port; the bound address is returned. */
  listenTcp(host: string, port: number): Promise<{ host: string; port: number }> {
    return this.listen('tcp', host, port, (sock, slot) => this.startInbound(tcpConn(sock), slot));
  }

  /**
   * Accept BOLT 8 over WebSocket (binary messages, each any chunk of the byte stream, as Core
   * Lightning's websocket port). Port 0 picks an ephemeral port.
   */
  listenWs(host: string, port: number): Promise<{ host: string; port: number }> {
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.limits.maxWsMessageBytes,
      clientTracking: false,
    });
    // Never listens: sockets come from our net.Server, already counted.
    const httpServer = http.createServer((req, res) => {
      // Not an upgrade: answer as `ws` would, and drop the socket.
      res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('Upgrade Required: this port speaks BOLT 8 over WebSocket\n');
    });
    httpServer.on('clientError', (_e, socket) => socket.destroy());
    httpServer.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      const w = this.wsPending.get(socket);
      if (!w || w.upgraded || socket.destroyed || this.closing) {
        socket.destroy();
        return;
      }
      w.upgraded = true;
      clearTimeout(w.timer);
      wss.handleUpgrade(req, socket, head, (ws) => {
        this.wsPending.delete(socket);
        if (this.closing || w.slot.released) {
          ws.terminate();
          return;
        }
        this.startInbound(wsConn(ws, socket, socket.remoteAddress, socket.remotePort), w.slot);
      });
    });
    return this.listen('ws', host, port, (sock, slot) => {
      const w: WsPending = {
        slot,
        counted: false,
        upgraded: false,
        timer: setTimeout(() => {
          if (w.upgraded) return;
          w.counted = true;
          this.summary.closedBeforeInit('websocket upgrade timeout');
          sock.destroy();
        }, this.limits.wsUpgradeTimeoutMs),
      };
      w.timer.unref();
      slot.onEvict = () => {
        w.counted = true;
        sock.destroy();
      };
      this.wsPending.set(sock, w);
      sock.once('close', () => {
        clearTimeout(w.timer);
        if (this.wsPending.get(sock) !== w) return; // upgraded: the connection took over
        this.wsPending.delete(sock);
        if (!w.counted && !this.closing) this.summary.closedBeforeInit('closed before the websocket upgrade');
      });
      httpServer.emit('connection', sock);
    });
  }

  private listen(
    transport: 'tcp' | 'ws',
    host: string,
    port: number,
    start: (sock: net.Socket, slot: PendingSlot) => void,
  ): Promise<{ host: string; port: number }> {
    if (this.closing) return Promise.reject(new Error('registry is closed'));
    const name = transport === 'tcp' ? 'TCP' : 'WebSocket';
    const server = net.createServer({ noDelay: true }, (sock) => this.accept(sock, start));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        server.on('error', (e: NodeJS.ErrnoException) => {
          // accept() failing for want of descriptors happens per connection: count, don't log each.
          if (e.code === 'EMFILE' || e.code === 'ENFILE') this.summary.refused(`accept failed (${e.code})`);
          else this.log.error(`${name} listener: ${e.message}`);
        });
        const a = server.address() as net.AddressInfo;
        this.servers.push({ close: () => new Promise<void>((res) => server.close(() => res())) });
        this.fds.start();
        this.log.info(`listening for BOLT 8 over ${name} on ${formatHostPort(a.address, a.port)}`);
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** A socket from either listener: counted (or refused) before anything is read from it. */
  private accept(sock: net.Socket, start: (sock: net.Socket, slot: PendingSlot) => void): void {
    sock.on('error', () => undefined); // errors end in 'close', where each stage looks
    if (this.closing) {
      sock.destroy();
      return;
    }
    if (this.fds.overHighWater()) return this.refuse(sock, 'descriptor high-water');
    const a = this.budget.admit(sock.remoteAddress);
    if ('refused' in a) return this.refuse(sock, a.refused);
    if (a.evicted !== undefined) this.summary.evicted();
    const slot = a.slot;
    this.fds.opened();
    sock.once('close', () => {
      slot.release();
      this.fds.closed();
    });
    start(sock, slot);
  }

  private refuse(sock: net.Socket, reason: RefusalReason): void {
    this.summary.refused(reason);
    // RST, not FIN: the other end learns at once, and neither side keeps TIME_WAIT state.
    sock.resetAndDestroy();
  }

  /** An inbound byte stream, past the WebSocket upgrade if any: its handshake starts now. */
  private startInbound(conn: ByteConn, slot: PendingSlot): void {
    if (this.closing || slot.released) {
      conn.destroy();
      return;
    }
    const pc = new PeerConnection(this.host, conn, 'in');
    this.conns.add(pc);
    this.slots.set(pc, slot);
    slot.onEvict = (why) => pc.close(why, { summary: false });
  }

  // ---------------------------------------------------------------------------------------------
  // Dialling

  /**
   * Connect to `nodeId` at `host:port` (default transport TCP). Resolves after the `init`
   * exchange; resolves at once with the existing peer when already connected, and shares an
   * attempt already in progress. Rejects with ConnectError.
   */
  connect(nodeId: Uint8Array, host: string, port: number, opts: DialOptions = {}): Promise<Peer> {
    if (this.closing) return Promise.reject(new ConnectError('CLOSED', 'registry is closed'));
    if (!(nodeId instanceof Uint8Array) || !isPoint(nodeId)) {
      return Promise.reject(new ConnectError('INVALID_NODE_ID', 'node id is not a 33-byte compressed secp256k1 point'));
    }
    if (bytesEqual(nodeId, this.nodeId)) return Promise.reject(new ConnectError('INVALID_NODE_ID', 'cannot connect to ourselves'));
    const key = toHex(nodeId);
    const existing = this.active.get(key);
    if (existing?.connected) return Promise.resolve(existing);
    const inflight = this.dialling.get(key);
    if (inflight) return inflight;
    const outbound = this.countActive('out', key);
    if (outbound >= this.limits.maxOutboundPeers) {
      return Promise.reject(new ConnectError('TOO_MANY_PEERS', `too many outbound peers (${outbound} of ${this.limits.maxOutboundPeers})`));
    }
    const transport = opts.transport ?? 'tcp';
    const attempt = (async (): Promise<Peer> => {
      let conn: ByteConn;
      try {
        conn = transport === 'ws' ? await this.dialWs(host, port, opts.localAddress) : await this.dialTcp(host, port, opts.localAddress);
      } catch (e) {
        const err = e instanceof ConnectError ? e : new ConnectError('DIAL_FAILED', (e as Error).message);
        this.log.child(`peer ${key}@${formatHostPort(host, port)}`).info(`disconnect: ${err.reason}`);
        throw err;
      }
      if (this.closing) {
        conn.destroy();
        throw new ConnectError('CLOSED', 'registry is closed');
      }
      const pc = new PeerConnection(this.host, conn, 'out', Uint8Array.from(nodeId));
      this.conns.add(pc);
      await pc.ready;
      return pc;
    })();
    this.dialling.set(key, attempt);
    const clear = () => {
      if (this.dialling.get(key) === attempt) this.dialling.delete(key);
    };
    attempt.then(clear, clear);
    return attempt;
  }

  private dialTcp(host: string, port: number, localAddress?: string): Promise<ByteConn> {
    const addr = formatHostPort(host, port);
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port, localAddress });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new ConnectError('DIAL_FAILED', `tcp connect to ${addr} timed out after ${this.limits.connectTimeoutMs} ms`));
      }, this.limits.connectTimeoutMs);
      const onError = (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ConnectError('DIAL_FAILED', `tcp connect to ${addr}: ${e.code ?? e.message}`));
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        clearTimeout(timer);
        const conn = tcpConn(sock); // installs its own error handler first
        sock.removeListener('error', onError);
        resolve(conn);
      });
    });
  }

  private dialWs(host: string, port: number, localAddress?: string): Promise<ByteConn> {
    const addr = formatHostPort(host, port);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${addr}/`, {
        localAddress,
        perMessageDeflate: false,
        maxPayload: this.limits.maxWsMessageBytes,
        handshakeTimeout: this.limits.connectTimeoutMs,
      });
      let raw: net.Socket | undefined;
      const onError = (e: Error & { code?: string }) => {
        ws.terminate();
        reject(new ConnectError('DIAL_FAILED', `websocket connect to ${addr}: ${e.code ?? e.message}`));
      };
      ws.once('error', onError);
      ws.once('upgrade', (res) => {
        raw = res.socket as net.Socket;
      });
      ws.once('open', () => {
        const s = raw ?? ((ws as unknown as { _socket: net.Socket })._socket);
        const conn = wsConn(ws, s, s.remoteAddress ?? host, s.remotePort ?? port);
        ws.removeListener('error', onError);
        resolve(conn);
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Peers

  /** The connected peer with this node id. */
  get(nodeId: Uint8Array): Peer | undefined {
    const p = this.active.get(toHex(nodeId));
    return p?.connected ? p : undefined;
  }

  /** All connected peers (after `init`). */
  list(): Peer[] {
    return [...this.active.values()].filter((p) => p.connected);
  }

  /** Close the connection to `nodeId`; false when not connected. */
  async disconnect(nodeId: Uint8Array, reason = 'disconnect requested'): Promise<boolean> {
    const p = this.active.get(toHex(nodeId));
    if (!p?.connected) return false;
    p.disconnect(reason);
    return true;
  }

  /**
   * Receive every message of `type` from every peer. A type with a subscriber counts as known: an
   * even type nobody subscribes to closes the connection (BOLT 1), an odd one is ignored. Built-in
   * types (init, ping, pong, warning, error) are handled first and then also delivered here.
   * Returns the unsubscribe function.
   */
  onMessage(type: number, handler: MessageHandler): () => void {
    if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw new RangeError(`message type out of u16 range: ${type}`);
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => {
      const s = this.handlers.get(type);
      s?.delete(handler);
      if (s && s.size === 0) this.handlers.delete(type);
    };
  }

  /** Stop listening, close every connection and fail attempts in progress. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.fds.stop();
    const servers = this.servers.splice(0).map((l) => l.close());
    for (const c of [...this.conns]) c.close('registry closing', { graceful: true, kind: 'CLOSED', summary: false });
    this.budget.evictAll('registry closing'); // what is left: sockets still before their WebSocket upgrade
    this.summary.close();
    await Promise.all(servers);
  }

  // ---------------------------------------------------------------------------------------------
  // PeerHost callbacks

  /** Established peers in `direction`, not counting `exceptKey` (a connection that would be replaced). */
  private countActive(direction: 'in' | 'out', exceptKey: string): number {
    let n = 0;
    for (const [k, q] of this.active) if (k !== exceptKey && q.direction === direction && q.connected) n++;
    return n;
  }

  private admitPeer(p: PeerConnection): string | undefined {
    // A connection replacing one to the same node id does not add a peer.
    const n = this.countActive(p.direction, toHex(p.nodeId));
    const max = p.direction === 'in' ? this.limits.maxInboundPeers : this.limits.maxOutboundPeers;
    if (n < max) return undefined;
    return `too many ${p.direction === 'in' ? 'inbound' : 'outbound'} peers (${n} of ${max})`;
  }

  private peerReady(p: PeerConnection): void {
    this.slots.get(p)?.release();
    this.slots.delete(p);
    const key = toHex(p.nodeId);
    const old = this.active.get(key);
    if (old && old !== p) old.close('replaced by a new connection', { graceful: true });
    this.active.set(key, p);
    this.safeEmit('connect', p);
  }

  private peerClosed(p: PeerConnection, reason: string, wasReady: boolean, category?: string): void {
    this.conns.delete(p);
    this.slots.get(p)?.release();
    this.slots.delete(p);
    if (category !== undefined && !this.closing) this.summary.closedBeforeInit(category);
    const key = toHex(p.nodeId);
    if (this.active.get(key) === p) this.active.delete(key);
    if (wasReady) this.safeEmit('disconnect', p, reason);
  }

  private dispatch(p: PeerConnection, type: number, payload: Uint8Array): boolean {
    const set = this.handlers.get(type);
    if (!set || set.size === 0) return false;
    for (const h of [...set]) {
      try {
        h(p, payload);
      } catch (e) {
        this.log.error(`handler for message type ${type} threw: ${(e as Error).stack ?? e}`);
      }
    }
    return true;
  }

  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (e) {
      this.log.error(`'${event}' listener threw: ${(e as Error).stack ?? e}`);
    }
  }
}
