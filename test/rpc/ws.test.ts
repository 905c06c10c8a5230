// JSON-RPC over WebSocket (src/rpc/ws.ts) on a daemon (startDaemon, in this process, with a
// datadir): the token file; connections without the token, with a wrong one, or with one rotated
// away refused before any method runs (asserted on the daemon's state: no refund was created);
// the three ways to present the token; the error codes and their messages; every RPC method
// reachable (the same calls as the typed API's test).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { sha256 } from '../../src/crypto/index.ts';
import { TestNetworkLedger } from '../../src/payments/index.ts';
import { Node } from '../../src/rpc/api.ts';
import { startDaemon, type Daemon } from '../../src/rpc/daemon.ts';
import { rpcCall } from '../../src/rpc/server.ts';
import { METHOD_NAMES } from '../../src/rpc/methods/index.ts';
import { WS_CLOSE_TOKEN_ROTATED } from '../../src/rpc/ws.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { tempDir } from '../tmp.ts';
import { exerciseEveryMethod, type Answer } from '../api/every-method.ts';

const secret = (s: string) => sha256(utf8.encode(`ws rpc test ${s}`));

/** A WebSocket JSON-RPC client: resolves once open, or rejects with the HTTP status of a refusal. */
function open(url: string, opts: { token?: string; protocols?: string[]; headers?: Record<string, string> } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...(opts.headers ?? {}) } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body.trim()}`), { status: res.statusCode, body: body.trim() })));
    });
    ws.once('error', reject);
  });
}

let nextId = 1;
/** One request, its answer (notifications before it are collected). */
function request(ws: WebSocket, msg: unknown, notes: unknown[] = []): Promise<any> {
  const id = typeof msg === 'object' && msg !== null && 'id' in msg ? (msg as { id: unknown }).id : undefined;
  return new Promise((resolve, reject) => {
    const onClose = (code: number) => reject(new Error(`closed ${code}`));
    const onMessage = (d: WebSocket.RawData) => {
      const m = JSON.parse(String(d));
      if (m.method && m.id === undefined) return void notes.push(m);
      if (id === undefined || m.id === id || m.id === null) {
        ws.off('message', onMessage);
        ws.off('close', onClose);
        resolve(m);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', onClose);
    ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  });
}
const rpc = (ws: WebSocket, method: string, params: unknown = {}) => request(ws, { jsonrpc: '2.0', id: nextId++, method, params });

describe('JSON-RPC over WebSocket', () => {
  let d: Daemon;
  let url: string;
  let tokenFile: string;
  const token = () => readFileSync(tokenFile, 'utf8').trim();
  const refunds = async () => ((await rpcCall(d.rpcPath, 'listinvoicerequests', {}, 10_000)).result as { invoicerequests: unknown[] }).invoicerequests.length;
  beforeAll(async () => {
    d = await startDaemon({ datadir: tempDir('ws-rpc-'), port: 0, logLevel: 'warn', nodeSecret: secret('d'), rpcWs: { port: 0 } });
    url = `ws://127.0.0.1:${d.rpcWs!.port}/`;
    tokenFile = d.rpcWs!.tokenFile;
  });
  afterAll(async () => {
    await d?.shutdown();
  });

  it('keeps its token in <datadir>/<network>/rpc-ws-token, mode 0600, on 127.0.0.1', () => {
    expect(tokenFile).toBe(join(d.node.networkDir!, 'rpc-ws-token'));
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(token()).toMatch(/^[0-9a-f]{64}$/);
    expect(d.rpcWs!.host).toBe('127.0.0.1');
  });

  it('refuses a connection without a token, with a wrong token or a malformed header, before any method runs', async () => {
    const before = await refunds();
    const wrong = token().replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await expect(open(url)).rejects.toMatchObject({ status: 401, body: expect.stringMatching(/^no token: give the token/) });
    await expect(open(url, { token: wrong })).rejects.toMatchObject({ status: 401, body: expect.stringMatching(/^wrong token/) });
    await expect(open(`${url}?token=${wrong}`)).rejects.toMatchObject({ status: 401 });
    await expect(open(url, { protocols: ['bolt12d-jsonrpc', `bolt12d-token.${wrong}`] })).rejects.toMatchObject({ status: 401 });
    await expect(open(url, { headers: { Authorization: `Basic ${token()}` } })).rejects.toMatchObject({ status: 401, body: expect.stringMatching(/Bearer/) });
    // One right and one wrong: refused (every token given must be right).
    await expect(open(`${url}?token=${wrong}`, { token: token() })).rejects.toMatchObject({ status: 401 });
    // A client that does not wait for the answer: the upgrade and a request frame in one write.
    // The server answers 401 and closes; the request is never read as a call.
    const raw = await rawUpgradeWithRequest(d.rpcWs!.port, wrong, { jsonrpc: '2.0', id: 1, method: 'invoicerequest', params: { amount: 1000, description: 'must not exist' } });
    expect(raw).toMatch(/^HTTP\/1\.1 401 Unauthorized/);
    expect(await refunds()).toBe(before);
    // The same bytes with the right token: the request is read and run (so the line above could fail).
    const good = await rawUpgradeWithRequest(d.rpcWs!.port, token(), { jsonrpc: '2.0', id: 1, method: 'invoicerequest', params: { amount: 1000, description: 'control' } }, 1000);
    expect(good).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
    expect(good).toContain('lnr1');
    expect(await refunds()).toBe(before + 1);
  });

  it('takes the token as a Bearer header, a subprotocol (selecting bolt12d-jsonrpc) or ?token=', async () => {
    for (const ws of [
      await open(url, { token: token() }),
      await open(url, { protocols: ['bolt12d-jsonrpc', `bolt12d-token.${token()}`] }),
      await open(`${url}?token=${token()}`),
    ]) {
      const r = await rpc(ws, 'getinfo');
      expect(r.result.id).toBe(d.node.nodeIdHex);
      ws.close();
    }
    const ws = await open(url, { protocols: ['bolt12d-jsonrpc', `bolt12d-token.${token()}`] });
    expect(ws.protocol).toBe('bolt12d-jsonrpc');
    ws.close();
  });

  it('answers malformed JSON -32700, unknown methods -32601, bad params -32602, with messages that say what is wrong', async () => {
    const ws = await open(url, { token: token() });
    const parse = await request(ws, '{"jsonrpc":"2.0","id":1,"method":"getinfo"');
    expect(parse).toMatchObject({ id: null, error: { code: -32700, message: expect.stringMatching(/^Parse error: invalid JSON \(.+\); send one JSON-RPC request object per WebSocket message/) } });
    expect((await rpc(ws, 'nosuchmethod')).error).toEqual({ code: -32601, message: "Unknown command 'nosuchmethod'" });
    expect((await rpc(ws, 'listinvoices', { lable: 'x' })).error).toMatchObject({ code: -32602, message: 'unknown parameter: lable' });
    expect((await rpc(ws, 'waitinvoice', {})).error).toMatchObject({ code: -32602, message: 'missing required parameter: label' });
    expect((await rpc(ws, 'invoicerequest', { amount: 'lots', description: 'x' })).error).toMatchObject({ code: -32602, message: expect.stringMatching(/^amount: should be a millisatoshi amount/) });
    expect((await request(ws, { jsonrpc: '2.0', id: 'x', params: {} })).error).toMatchObject({ code: -32600, message: 'Invalid request: method must be a string' });
    // help lists every method.
    const help = (await rpc(ws, 'help')).result.help.map((h: { command: string }) => h.command.split(' ')[0]);
    expect(help.sort()).toEqual([...METHOD_NAMES].sort());
    // The connection survives all of it.
    expect((await rpc(ws, 'getinfo')).result.id).toBe(d.node.nodeIdHex);
    ws.close();
  });

  it('after rotaterpctoken the old token is refused, its connections are closed, and the new one works', async () => {
    const old = token();
    const ws = await open(url, { token: old });
    const other = await open(url, { token: old });
    const closed = new Promise<number>((r) => other.once('close', (c) => r(c)));
    const r = await rpc(ws, 'rotaterpctoken');
    expect(r.result.token).toMatch(/^[0-9a-f]{64}$/);
    expect(r.result.token).not.toBe(old);
    expect(token()).toBe(r.result.token);
    expect(await closed).toBe(WS_CLOSE_TOKEN_ROTATED);
    const before = await refunds();
    await expect(open(url, { token: old })).rejects.toMatchObject({ status: 401, body: expect.stringMatching(/^wrong token/) });
    expect(await rawUpgradeWithRequest(d.rpcWs!.port, old, { jsonrpc: '2.0', id: 2, method: 'invoicerequest', params: { amount: 1000, description: 'must not exist either' } })).toMatch(/^HTTP\/1\.1 401/);
    expect(await refunds()).toBe(before);
    const fresh = await open(url, { token: r.result.token });
    expect((await rpc(fresh, 'getinfo')).result.id).toBe(d.node.nodeIdHex);
    fresh.close();
  });

  it('sends a command\'s notifications before its answer when the connection enabled them', async () => {
    const ws = await open(url, { token: token() });
    await rpc(ws, 'notifications', { enable: true });
    const notes: unknown[] = [];
    const p = request(ws, { jsonrpc: '2.0', id: 'w', method: 'waitanyinvoice', params: { lastpay_index: 0, timeout: 0 } }, notes);
    expect((await p).error).toMatchObject({ code: 904 });
    expect(notes).toEqual([{ jsonrpc: '2.0', method: 'message', params: { id: 'w', level: 'debug', message: expect.stringMatching(/^Waiting for an invoice paid after pay_index 0/) } }]);
    ws.close();
  });
});

describe('every RPC method through the WebSocket', () => {
  it('is reachable and does its job (the typed API test\'s calls, over the wire)', async () => {
    const ledger = new TestNetworkLedger();
    const d = await startDaemon({ datadir: tempDir('ws-all-'), port: 0, logLevel: 'warn', nodeSecret: secret('a'), payments: { backend: 'testnet-ledger', ledger }, rpcWs: { port: 0 } });
    const b = await Node.start({ port: 0, logLevel: 'warn', nodeSecret: secret('b'), payments: { backend: 'testnet-ledger', ledger } });
    const url = `ws://127.0.0.1:${d.rpcWs!.port}/`;
    let ws: WebSocket | undefined;
    // Reconnects with the file's token when a connection was closed (after rotaterpctoken).
    const call = async (method: string, params: Record<string, unknown>): Promise<Answer> => {
      if (!ws || ws.readyState !== WebSocket.OPEN) ws = await open(url, { token: readFileSync(d.rpcWs!.tokenFile, 'utf8').trim() });
      const r = await rpc(ws, method, params);
      if (method === 'rotaterpctoken') await new Promise((res) => ws!.once('close', res));
      return r;
    };
    try {
      const done = await exerciseEveryMethod(call, { a: { nodeIdHex: d.node.nodeIdHex, port: d.node.tcpAddress!.port, secret: secret('a'), networkDir: d.node.networkDir! }, b, bSecret: secret('b') });
      expect([...new Set(done)].sort()).toEqual([...METHOD_NAMES].sort());
      await d.stopped;
      expect(d.node.isStopped).toBe(true);
    } finally {
      ws?.close();
      await b.stop();
      await d.shutdown();
    }
  }, 30_000);

  it('--rpc-ws-rotate-token: a restart with the flag refuses the token of before', async () => {
    const dir = tempDir('ws-flag-');
    const d1 = await startDaemon({ datadir: dir, port: 0, logLevel: 'warn', rpcWs: { port: 0 } });
    const t1 = readFileSync(d1.rpcWs!.tokenFile, 'utf8').trim();
    await d1.shutdown();
    const d2 = await startDaemon({ datadir: dir, port: 0, logLevel: 'warn', rpcWs: { port: 0, rotateToken: true } });
    try {
      const t2 = readFileSync(d2.rpcWs!.tokenFile, 'utf8').trim();
      expect(t2).not.toBe(t1);
      const url = `ws://127.0.0.1:${d2.rpcWs!.port}/`;
      await expect(open(url, { token: t1 })).rejects.toMatchObject({ status: 401 });
      (await open(url, { token: t2 })).close();
    } finally {
      await d2.shutdown();
    }
  });
});

/** Write an upgrade request with `token` and, in the same write, a masked text frame with `req`; return what the server sends (until it closes, or `waitMs`). */
function rawUpgradeWithRequest(port: number, token: string, req: unknown, waitMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('close', () => resolve(got));
    // An accepted connection stays open: take what came within waitMs.
    if (waitMs > 0) setTimeout(() => s.destroy(), waitMs);
    s.on('error', reject);
    s.on('connect', () => {
      const payload = Buffer.from(JSON.stringify(req));
      const mask = Buffer.from([1, 2, 3, 4]);
      const frame = Buffer.concat([Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
      s.write(
        Buffer.concat([
          Buffer.from(
            `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${token}\r\n\r\n`,
          ),
          frame,
        ]),
      );
    });
  });
}
