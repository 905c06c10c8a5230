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
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { isPoint, publicKey, type RandomSource } from '../crypto/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { type Logger } from '../util/log.ts';
import { bytesEqual, toHex } from '../util/bytes.ts';
import { type Network } from '../wire/index.ts';
import { formatHostPort } from './address.ts';
import { tcpConn, wsConn, type ByteConn } from './conn.ts';
import { ConnectError } from './errors.ts';
import { defaultInitFeatures } from './features.ts';
import { resolveLimits, type PeerLimits } from './limits.ts';
import { PeerConnection, type Peer, type PeerHost } from './peer.ts';

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

  constructor(opts: PeerRegistryOptions) {
    super();
    this.nodeId = publicKey(opts.nodeSecret); // throws Secp256k1Error on an invalid secret
    this.network = opts.network;
    this.limits = resolveLimits(opts.limits);
    this.localFeatures = opts.localFeatures ?? defaultInitFeatures();
    this.log = opts.logger;
    const self = this;
    this.host = {
      nodeSecret: opts.nodeSecret,
      nodeId: this.nodeId,
      network: opts.network,
      localFeatures: this.localFeatures,
      limits: this.limits,
      random: opts.random,
      clock: opts.clock ?? systemClock,
      logger: opts.logger,
      peerReady: (p) => self.peerReady(p),
      peerClosed: (p, reason, wasReady) => self.peerClosed(p, reason, wasReady),
      dispatch: (p, type, payload) => self.dispatch(p, type, payload),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Listening

  /** Accept BOLT 8 over TCP. Port 0 picks an ephemeral port; the bound address is returned. */
  listenTcp(host: string, port: number): Promise<{ host: string; port: number }> {
    if (this.closing) return Promise.reject(new Error('registry is closed'));
    const server = net.createServer((sock) => this.accept(tcpConn(sock)));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        server.on('error', (e) => this.log.error(`tcp listener: ${e.message}`));
        const a = server.address() as net.AddressInfo;
        this.servers.push({ close: () => new Promise<void>((res) => server.close(() => res())) });
        this.log.info(`listening for BOLT 8 over TCP on ${formatHostPort(a.address, a.port)}`);
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /**
   * Accept BOLT 8 over WebSocket (binary messages, each any chunk of the byte stream, as Core
   * Lightning's websocket port). Port 0 picks an ephemeral port.
   */
  listenWs(host: string, port: number): Promise<{ host: string; port: number }> {
    if (this.closing) return Promise.reject(new Error('registry is closed'));
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({
        host,
        port,
        perMessageDeflate: false,
        maxPayload: this.limits.maxWsMessageBytes,
        clientTracking: false,
      });
      wss.once('error', reject);
      wss.on('connection', (ws, req) => {
        const s = req.socket;
        this.accept(wsConn(ws, s, s.remoteAddress, s.remotePort));
      });
      wss.once('listening', () => {
        wss.removeListener('error', reject);
        wss.on('error', (e) => this.log.error(`websocket listener: ${e.message}`));
        const a = wss.address() as net.AddressInfo;
        this.servers.push({ close: () => new Promise<void>((res) => wss.close(() => res())) });
        this.log.info(`listening for BOLT 8 over WebSocket on ${formatHostPort(a.address, a.port)}`);
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  private accept(conn: ByteConn): void {
    if (this.closing) {
      conn.destroy();
      return;
    }
    let pending = 0;
    for (const c of this.conns) if (c.pending) pending++;
    if (pending >= this.limits.maxPendingConnections) {
      this.log.warn(`rejecting ${conn.transport} connection from ${conn.remoteAddress}: ${pending} handshakes already pending`);
      conn.destroy();
      return;
    }
    this.conns.add(new PeerConnection(this.host, conn, 'in'));
  }

  // ---------------------------------------------------------------------------------------------
  // Dialling

  /**
   * Connect to `nodeId` at `host:port` (default transport TCP). Resolves after the `init`
   * exchange; resolves at once with the existing peer when already connected, and shares an
   * attempt already in progress. Rejects with ConnectError.
   */
  connect(nodeId: Uint8Array, host: string, port: number, opts: { transport?: 'tcp' | 'ws' } = {}): Promise<Peer> {
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
    const transport = opts.transport ?? 'tcp';
    const attempt = (async (): Promise<Peer> => {
      let conn: ByteConn;
      try {
        conn = transport === 'ws' ? await this.dialWs(host, port) : await this.dialTcp(host, port);
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

  private dialTcp(host: string, port: number): Promise<ByteConn> {
    const addr = formatHostPort(host, port);
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port });
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

  private dialWs(host: string, port: number): Promise<ByteConn> {
    const addr = formatHostPort(host, port);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${addr}/`, {
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
    const servers = this.servers.splice(0).map((l) => l.close());
    for (const c of [...this.conns]) c.close('registry closing', { graceful: true, kind: 'CLOSED' });
    await Promise.all(servers);
  }

  // ---------------------------------------------------------------------------------------------
  // PeerHost callbacks

  private peerReady(p: PeerConnection): void {
    const key = toHex(p.nodeId);
    const old = this.active.get(key);
    if (old && old !== p) old.close('replaced by a new connection', { graceful: true });
    this.active.set(key, p);
    this.safeEmit('connect', p);
  }

  private peerClosed(p: PeerConnection, reason: string, wasReady: boolean): void {
    this.conns.delete(p);
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
