// The daemon as a user runs it: two `bolt12d` processes on loopback driven by `bolt12-cli`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../tmp.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BOLT12D = join(ROOT, 'bin/bolt12d.js');
const CLI = join(ROOT, 'bin/bolt12-cli.js');

interface Proc {
  dir: string;
  child: ChildProcess;
  stderr: string[];
}

function cli(dir: string, ...args: string[]): Promise<{ code: number; out: string; err: string; json: any }> {
  return new Promise((res) => {
    execFile(process.execPath, [CLI, '--datadir', dir, ...args], { timeout: 30_000 }, (e, out, err) => {
      let json: unknown;
      try {
        json = JSON.parse(out);
      } catch {
        json = undefined;
      }
      res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err, json });
    });
  });
}

async function startDaemon(extra: string[] = []): Promise<Proc> {
  const dir = tempDir('b12d-');
  const child = spawn(process.execPath, [BOLT12D, '--datadir', dir, '--network', 'regtest', '--addr', '127.0.0.1', '--port', '0', '--ws-port', '0', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d) => stderr.push(String(d)));
  const sock = join(dir, 'regtest', 'lightning-rpc');
  const t0 = Date.now();
  while (!existsSync(sock)) {
    if (child.exitCode !== null) throw new Error(`bolt12d exited: ${stderr.join('')}`);
    if (Date.now() - t0 > 30_000) throw new Error('bolt12d did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { dir, child, stderr };
}

function exited(p: Proc): Promise<number | null> {
  return p.child.exitCode !== null ? Promise.resolve(p.child.exitCode) : new Promise((r) => p.child.once('exit', (c) => r(c)));
}

describe('bolt12d + bolt12-cli', () => {
  let a: Proc;
  let b: Proc;
  beforeAll(async () => {
    [a, b] = await Promise.all([startDaemon(['--alias', 'alice']), startDaemon()]);
  });
  afterAll(async () => {
    for (const p of [a, b]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  it('keeps its secret and socket private and logs to <datadir>/<network>/log', async () => {
    expect(statSync(join(a.dir, 'regtest', 'hsm_secret')).mode & 0o777).toBe(0o600);
    expect(statSync(join(a.dir, 'regtest', 'hsm_secret')).size).toBe(32);
    expect(statSync(join(a.dir, 'regtest', 'lightning-rpc')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(a.dir, 'regtest', 'log'), 'utf8')).toMatch(/JSON-RPC on/);
    expect(a.stderr.join('')).toMatch(/node 0[23][0-9a-f]{64} on regtest/);
  });

  it('getinfo, connect (tcp and ws), listpeers, ping, disconnect', async () => {
    const ia = (await cli(a.dir, 'getinfo')).json;
    const ib = (await cli(b.dir, 'getinfo')).json;
    expect(ia).toMatchObject({ alias: 'alice', network: 'regtest', num_peers: 0 });
    // onion message counters (BOLT 4 rate limits) are visible to operators
    expect(ia.onion_messages).toMatchObject({ received: 0, sent: 0, dropped_total: 0, queued: { own: 0, forward: 0 } });
    expect(ia.id).toMatch(/^0[23][0-9a-f]{64}$/);
    const bTcp = ib.binding.find((x: any) => x.type === 'ipv4');
    const bWs = ib.binding.find((x: any) => x.type === 'websocket');
    expect(bTcp.port).toBeGreaterThan(0);
    expect(bWs.port).toBeGreaterThan(0);

    const c = await cli(a.dir, 'connect', `${ib.id}@127.0.0.1:${bTcp.port}`);
    expect(c.code).toBe(0);
    expect(c.json).toMatchObject({ id: ib.id, direction: 'out', address: { type: 'ipv4', address: '127.0.0.1', port: bTcp.port } });
    const lp = (await cli(b.dir, 'listpeers')).json;
    expect(lp.peers).toHaveLength(1);
    expect(lp.peers[0]).toMatchObject({ id: ia.id, connected: true });
    const ping = await cli(a.dir, '-k', 'ping', `id=${ib.id}`, 'len=100', 'pongbytes=50');
    expect(ping.json).toEqual({ totlen: 54 });
    expect((await cli(a.dir, 'disconnect', ib.id)).json).toEqual({});
    const t0 = Date.now();
    while ((await cli(b.dir, 'listpeers')).json.peers.length !== 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect((await cli(b.dir, 'listpeers')).json.peers).toEqual([]);

    // over WebSocket, the other direction
    const w = await cli(b.dir, 'connect', ia.id, '127.0.0.1', String(ia.binding.find((x: any) => x.type === 'websocket').port), 'ws');
    expect(w.code).toBe(0);
    expect((await cli(b.dir, 'ping', ia.id)).json).toEqual({ totlen: 132 });
    // Core Lightning's notation for a WebSocket peer's address
    expect((await cli(b.dir, 'listpeers', ia.id)).json.peers[0].netaddr[0]).toMatch(/^\(ws\)127\.0\.0\.1:[0-9]+$/);
  });

  it('answers bad input with JSON-RPC errors and a non-zero exit', async () => {
    const r = await cli(a.dir, 'ping', 'nothex');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ code: -32602, message: expect.stringMatching(/^id: /) });
    const u = await cli(a.dir, 'frobnicate');
    expect(u.code).toBe(1);
    expect(JSON.parse(u.out)).toMatchObject({ code: -32601 });
    const h = await cli(a.dir, 'help');
    expect(h.json.help.map((x: any) => x.command.split(' ')[0])).toEqual(expect.arrayContaining(['getinfo', 'connect', 'listpeers', 'ping', 'stop']));
    const nodaemon = await cli(join(a.dir, 'nope'), 'getinfo');
    expect(nodaemon.code).toBe(2);
    expect(nodaemon.err).toMatch(/no daemon socket/);
  });

  it('keeps its node id across restarts and refuses a second daemon on the same datadir', async () => {
    const id = (await cli(a.dir, 'getinfo')).json.id;
    expect((await cli(a.dir, 'stop')).out.trim()).toBe('Shutdown complete');
    expect(await exited(a)).toBe(0);
    const a2 = await (async () => {
      const child = spawn(process.execPath, [BOLT12D, '--datadir', a.dir, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
      const p: Proc = { dir: a.dir, child, stderr: [] };
      child.stderr!.on('data', (d) => p.stderr.push(String(d)));
      const t0 = Date.now();
      while (Date.now() - t0 < 30_000) {
        const r = await cli(a.dir, 'getinfo');
        if (r.code === 0) return p;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('restart failed');
    })();
    a = a2;
    expect((await cli(a.dir, 'getinfo')).json.id).toBe(id);
    const dup = spawn(process.execPath, [BOLT12D, '--datadir', a.dir, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const err: string[] = [];
    dup.stderr!.on('data', (d) => err.push(String(d)));
    const code = await new Promise((r) => dup.once('exit', r));
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/already running/);
  });
});
