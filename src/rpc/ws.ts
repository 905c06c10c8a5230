// JSON-RPC 2.0 over WebSocket (`bolt12d --rpc-ws-port N [--rpc-ws-addr HOST]`, 127.0.0.1 by
// default): the daemon's method table — the same one as the unix socket — for clients that cannot
// reach a unix socket (browsers, other hosts through a tunnel).
//
// Authentication, before anything else: the HTTP upgrade request must carry the token of
// `<datadir>/<network>/rpc-ws-token` (src/rpc/token.ts), in one of three ways:
//   - `Authorization: Bearer <token>` (programs);
//   - the subprotocols `bolt12d-jsonrpc` and `bolt12d-token.<token>` (browsers cannot set headers:
//     `new WebSocket(url, ['bolt12d-jsonrpc', 'bolt12d-token.' + token])`; the server selects
//     `bolt12d-jsonrpc`, so the token is not echoed back);
//   - `?token=<token>` in the URL (also for browsers; URLs end up in logs and histories: prefer the
//     others).
// No token, a wrong one, or one rotated away (`rotaterpctoken`): `401 Unauthorized` and the socket
// is closed, so no WebSocket exists and no method can run. Every token given must be right.
// Rotating also closes the connections opened with the old token (code 4001), once the requests
// they already sent are answered (1 s at most: a long wait is cut).
//
// Messages: one JSON-RPC request object per text (or binary, UTF-8) message; one answer per
// message, as a text message; notifications (`notifications` with enable, CLN's `message` and
// `progress`) as text messages before the answer. Requests on one connection run concurrently
// (at most 64 at once; more are answered -32000). Malformed JSON → -32700, unknown method →
// -32601, bad parameters → -32602, each with a message saying what is wrong.
//
// Bounds: 4 MiB per message, 64 connections, 4 MiB of unsent answers per connection (a client
// that does not read is closed), a 10 s limit on the upgrade.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { Logger } from '../util/log.ts';
import type { MethodTable } from './dispatch.ts';
import { stringifyJson } from './json.ts';
import type { RpcToken } from './token.ts';
import type { RpcConnectionState } from './types.ts';

/** The subprotocol a browser client offers (with `bolt12d-token.<token>`) and the server selects. */
export const WS_RPC_SUBPROTOCOL = 'bolt12d-jsonrpc';
/** Prefix of the subprotocol that carries the token. */
export const WS_TOKEN_SUBPROTOCOL_PREFIX = 'bolt12d-token.';
/** WebSocket close code for connections whose token was rotated away. */
export const WS_CLOSE_TOKEN_ROTATED = 4001;

export interface WsRpcServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: RpcToken;
  maxMessageBytes?: number;
  maxConnections?: number;
  maxInFlight?: number;
  maxUnsentBytes?: number;
}

interface Conn {
  ws: WebSocket;
  state: RpcConnectionState;
  inFlight: number;
  /** Its token was rotated away: close once the requests in flight are answered. */
  revoked: boolean;
  gone: AbortController;
}

const PARSE_HINT = 'send one JSON-RPC request object per WebSocket message, e.g. {"jsonrpc":"2.0","id":1,"method":"getinfo","params":{}}';

/** Why an upgrade request is refused, or undefined when its token is good. */
export function checkUpgradeToken(req: http.IncomingMessage, token: RpcToken): string | undefined {
  const given: string[] = [];
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    if (!m) return 'the Authorization header should be "Bearer <token>"';
    given.push(m[1]!);
  }
  const protos = req.headers['sec-websocket-protocol'];
  if (protos !== undefined) {
    for (const p of protos.split(',').map((x) => x.trim())) if (p.startsWith(WS_TOKEN_SUBPROTOCOL_PREFIX)) given.push(p.slice(WS_TOKEN_SUBPROTOCOL_PREFIX.length));
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return 'bad request URL';
  }
  for (const t of url.searchParams.getAll('token')) given.push(t);
  if (given.length === 0) {
    return `no token: give the token of rpc-ws-token as "Authorization: Bearer <token>", as the subprotocol "${WS_TOKEN_SUBPROTOCOL_PREFIX}<token>" (with "${WS_RPC_SUBPROTOCOL}"), or as ?token=<token>`;
  }
  // Every token given is checked (no early exit: each comparison takes the same time).
  let bad = 0;
  for (const t of given) if (!token.matches(t)) bad++;
  return bad > 0 ? 'wrong token (it may have been rotated: read rpc-ws-token again)' : undefined;
}

export class WsRpcServer<Ctx> {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Conn>();
  private readonly maxInFlight: number;
  private readonly maxUnsent: number;
  private readonly maxConnections: number;
  private readonly unsubscribe: () => void;
  private bound?: { host: string; port: number };
  private closed = false;
  /** Refused upgrades since start (no token, wrong token): for tests and getinfo-like summaries. */
  refused = 0;

  constructor(
    private readonly table: MethodTable<Ctx>,
    private readonly ctx: Ctx,
    private readonly logger: Logger,
    private readonly opts: WsRpcServerOptions,
  ) {
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.maxUnsent = opts.maxUnsentBytes ?? 4 * 1024 * 1024;
    this.maxConnections = opts.maxConnections ?? 64;
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: opts.maxMessageBytes ?? 4 * 1024 * 1024,
      clientTracking: false,
      // Select our protocol (never the token's) when the client offered it.
      handleProtocols: (protocols) => (protocols.has(WS_RPC_SUBPROTOCOL) ? WS_RPC_SUBPROTOCOL : [...protocols].find((p) => !p.startsWith(WS_TOKEN_SUBPROTOCOL_PREFIX)) ?? false),
    });
    this.http = http.createServer((_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.end('Upgrade Required: this port speaks JSON-RPC over WebSocket (bolt12d); see README "JSON-RPC over WebSocket"\n');
    });
    this.http.headersTimeout = 10_000;
    this.http.requestTimeout = 10_000;
    this.http.on('clientError', (_e, socket) => socket.destroy());
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.unsubscribe = opts.token.onRotate(() => this.revokeAll());
  }

  /** Start listening; resolves to the bound address (the real port when 0 was asked). */
  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.host, () => {
        this.http.off('error', reject);
        const a = this.http.address();
        this.bound = { host: this.opts.host, port: typeof a === 'object' && a ? a.port : this.opts.port };
        resolve(this.bound);
      });
    });
  }

  get address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  get connections(): number {
    return this.conns.size;
  }

  private refuse(socket: Duplex, status: number, text: string, why: string, extra: Record<string, string> = {}): void {
    this.refused++;
    this.logger.info(`refused a WebSocket RPC connection: ${why}`);
    const headers = { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', 'Content-Length': String(Buffer.byteLength(why) + 1), ...extra };
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
    socket.end(`HTTP/1.1 ${status} ${text}\r\n${lines.join('\r\n')}\r\n\r\n${why}\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.closed) return void socket.destroy();
    const why = checkUpgradeToken(req, this.opts.token);
    if (why !== undefined) return this.refuse(socket, 401, 'Unauthorized', why, { 'WWW-Authenticate': 'Bearer realm="bolt12d"' });
    if (this.conns.size >= this.maxConnections) return this.refuse(socket, 503, 'Service Unavailable', `too many WebSocket RPC connections (${this.maxConnections})`);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    if (this.closed) return void ws.terminate();
    const c: Conn = { ws, state: { notifications: false }, inFlight: 0, revoked: false, gone: new AbortController() };
    this.conns.add(c);
    ws.on('message', (data, isBinary) => this.onMessage(c, data, isBinary));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.conns.delete(c);
      c.gone.abort();
    });
  }

  private send(c: Conn, obj: unknown): void {
    const ws = c.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.maxUnsent) {
      this.logger.info('closed a WebSocket RPC connection that does not read its answers');
      ws.close(1008, 'answers not read');
      return;
    }
    let text: string;
    try {
      text = stringifyJson(obj);
    } catch (e) {
      text = stringifyJson({ jsonrpc: '2.0', id: null, error: { code: -1, message: `internal error: answer not serializable: ${(e as Error).message}` } });
    }
    ws.send(text);
  }

  private onMessage(c: Conn, data: RawData, _isBinary: boolean): void {
    if (c.revoked) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      return this.send(c, { jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: the message is not UTF-8 text; ${PARSE_HINT}` } });
    }
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch (e) {
      return this.send(c, { jsonrpc: '2.0', id: null, error: { code: -32700, message: `Parse error: invalid JSON (${(e as Error).message}); ${PARSE_HINT}` } });
    }
    if (c.inFlight >= this.maxInFlight) {
      const id = typeof req === 'object' && req !== null && 'id' in req ? (req as { id: unknown }).id : null;
      return this.send(c, { jsonrpc: '2.0', id: typeof id === 'object' ? null : id, error: { code: -32000, message: `too many requests in flight on this connection (${this.maxInFlight}): wait for some answers` } });
    }
    c.inFlight++;
    void this.table
      .dispatch(req, this.ctx, { signal: c.gone.signal, connection: c.state, send: (n) => this.send(c, n) })
      .then((res) => {
        if (res.error) this.logger.debug(`ws rpc ${String((req as { method?: unknown })?.method)}: error ${res.error.code} ${res.error.message}`);
        this.send(c, res);
      })
      .finally(() => {
        c.inFlight--;
        if (c.revoked && c.inFlight === 0) c.ws.close(WS_CLOSE_TOKEN_ROTATED, 'token rotated');
      });
  }

  /** The token changed: connections opened with the old one close once what they asked is answered. */
  private revokeAll(): void {
    for (const c of this.conns) {
      c.revoked = true;
      // After the current turn: the rotating call's own answer (if it came over this connection) is sent first.
      if (c.inFlight === 0) setImmediate(() => c.ws.close(WS_CLOSE_TOKEN_ROTATED, 'token rotated'));
      // A long wait (waitinvoice…) does not keep an old token's connection open: 1 s at most.
      else setTimeout(() => c.ws.close(WS_CLOSE_TOKEN_ROTATED, 'token rotated'), 1000).unref();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const c of this.conns) c.ws.terminate();
    this.conns.clear();
    await new Promise<void>((r) => this.http.close(() => r()));
    this.http.closeAllConnections?.();
  }
}
