// Connection floods against a live daemon (default limits), as an attacker on loopback would run
// them: thousands of silent TCP sockets, silent WebSocket sockets (no HTTP upgrade) and upgraded
// but silent WebSocket sockets from one source; then silent sockets from 40 sources at once,
// more than the whole pending pool. Meanwhile a good peer from another loopback source must
// connect (handshake, init) and get a pong within seconds, `getinfo` must answer, the process's
// descriptors must stay far below its limit, every silent socket must be dropped after the short
// timeouts (5 s), and the log must grow by a few summary lines, not a line per connection.
//
// Before this budget (the first test against the previous transport, same machine): WebSocket
// sockets were not counted until upgraded and kept ~90 s, so 1,161 were still open 8.5 s after the
// flood and the daemon held 1,447 descriptors (20,000 in the original report, at 1,600/s for 10 s);
// 256 silent TCP sockets from the one source held the whole pending pool for 30 s each (a good
// peer arriving then was refused); and each refusal wrote its own WARN line: 1,721 lines, 183 KB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon, type Daemon } from '../../src/rpc/daemon.ts';
import { rpcCall } from '../../src/rpc/server.ts';
import { memorySink, type LogRecord } from '../../src/util/log.ts';
import { DEFAULT_PEER_LIMITS } from '../../src/transport/index.ts';
import { tempDir } from '../tmp.ts';
import { RawPeer, WS_UPGRADE_REQUEST, fdLimit, openFds, randomSecret, sleep } from '../transport/helpers.ts';

const FLOODER = join(dirname(fileURLToPath(import.meta.url)), 'flood-client.mjs');

let d: Daemon;
let records: LogRecord[];
let logPath: string;
let tcpPort: number;
let wsPort: number;

beforeAll(async () => {
  const sink = memorySink(1_000_000);
  records = sink.records;
  d = await startDaemon({ datadir: tempDir('b12d-flood-'), port: 0, wsPort: 0, logLevel: 'info', logSinks: [sink] });
  logPath = join(d.node.networkDir!, 'log');
  tcpPort = d.node.tcpAddress!.port;
  wsPort = d.node.wsAddress!.port;
});

afterAll(async () => {
  await d.shutdown();
});

interface FloodStats {
  opened: number;
  maxOpen: number;
  connected: number;
  /**
   * Sockets open longer than 1 s after `connect`, and the longest (as the attacker sees it: this
   * includes time spent in the kernel's accept queue while the daemon is busy).
   */
  held: number;
  maxHeldMs: number;
  /** Still open when the attacker gave up waiting (drainMs). */
  left: number;
  /** Connection attempts that failed (ECONNRESET: refused by the daemon before the client saw `connect`). */
  errors: number;
}

interface FloodSpec {
  port: number;
  sources: string[];
  send?: string;
  perSecond: number;
  durationMs: number;
  maxTotal: number;
  maxOpen: number;
}

/** Run flood-client.mjs (the attacker, in its own process). */
function floodProcess(floods: FloodSpec[], drainMs: number): { stopped: Promise<void>; done: Promise<FloodStats[]>; kill(): void } {
  const child = spawn(process.execPath, [FLOODER, JSON.stringify({ floods, drainMs })], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  let onStopped!: () => void;
  let onDone!: (s: FloodStats[]) => void;
  const stopped = new Promise<void>((r) => (onStopped = r));
  const done = new Promise<FloodStats[]>((res, rej) => {
    onDone = res;
    child.once('exit', (code) => rej(new Error(`flood-client exited with ${code} before reporting`)));
  });
  done.catch(() => undefined);
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (x: string) => {
    buf += x;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const m = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (m.event === 'stopped') onStopped();
      if (m.event === 'done') onDone(m.floods);
    }
  });
  return { stopped, done, kill: () => child.kill() };
}

/** A good peer from `from`: connect, handshake, init, ping answered; the time it took (ms). */
async function goodPeer(transport: 'tcp' | 'ws', from: string, seed: string): Promise<{ ms: number; peer: RawPeer }> {
  const t0 = Date.now();
  const peer = await RawPeer.open(transport, transport === 'tcp' ? tcpPort : wsPort, { localAddress: from });
  await peer.establish(d.node.nodeId, randomSecret(seed));
  await peer.pingPong();
  return { ms: Date.now() - t0, peer };
}

async function getinfoMs(): Promise<number> {
  const t0 = Date.now();
  const r = await rpcCall(d.rpcPath, 'getinfo', [], 2000);
  expect((r.result as { id: string }).id).toBe(d.node.nodeIdHex);
  return Date.now() - t0;
}

/** Sample the process's open descriptors every 50 ms until stopped; the most seen. */
function fdSampler(): { stop(): { maxFds: number; maxLagMs: number } } {
  let max = openFds();
  let last = Date.now();
  let lag = 0;
  const t = setInterval(() => {
    max = Math.max(max, openFds());
    const now = Date.now();
    lag = Math.max(lag, now - last - 50);
    last = now;
  }, 50);
  return {
    stop() {
      clearInterval(t);
      return { maxFds: Math.max(max, openFds()), maxLagMs: lag };
    },
  };
}

const summaryLines = (from: number) => records.slice(from).filter((r) => r.msg.startsWith('inbound connections in the last'));

describe('connection floods (default limits)', () => {
  it('thousands of silent TCP and WebSocket sockets from 127.0.0.1: a peer from 127.0.0.2 connects, getinfo answers, descriptors and log stay bounded', async () => {
    expect(DEFAULT_PEER_LIMITS.actOneTimeoutMs).toBe(5000);
    expect(DEFAULT_PEER_LIMITS.wsUpgradeTimeoutMs).toBe(5000);
    const logBytes0 = statSync(logPath).size;
    const lines0 = records.length;
    const fds0 = openFds();
    const fds = fdSampler();
    const common = { sources: ['127.0.0.1'], durationMs: 3000, maxOpen: 1500 };
    const attacker = floodProcess(
      [
        // ~1,000 connections/s in all: about what this loopback takes (~1,200-1,600/s measured with
        // a bare accept-and-reset server), and what the original report used (1,600/s)
        { ...common, port: tcpPort, perSecond: 450, maxTotal: 1500 }, // silent TCP
        { ...common, port: wsPort, perSecond: 450, maxTotal: 1500 }, // no HTTP upgrade
        { ...common, port: wsPort, send: WS_UPGRADE_REQUEST, perSecond: 150, maxTotal: 500 }, // upgraded, then silent
      ],
      8000,
    );
    await sleep(700);
    const pendingDuring = d.node.peers.inboundStats().pending;
    const tcp = await goodPeer('tcp', '127.0.0.2', 'flood-good-tcp');
    const ws = await goodPeer('ws', '127.0.0.2', 'flood-good-ws');
    const rpc: number[] = [];
    for (let i = 0; i < 5; i++) rpc.push(await getinfoMs());
    await attacker.stopped;
    // the good peers are still there and answering, through the flood
    await tcp.peer.pingPong();
    await ws.peer.pingPong();
    const t0 = Date.now();
    const floods = await attacker.done;
    const drainMs = Date.now() - t0;
    const { maxFds, maxLagMs } = fds.stop();
    await sleep(DEFAULT_PEER_LIMITS.logSummaryIntervalMs + 500); // the last summary
    const added = records.slice(lines0);
    const logBytes = statSync(logPath).size - logBytes0;
    const sum = (k: keyof FloodStats) => floods.reduce((n, f) => n + f[k], 0);
    const report = {
      floods,
      pendingDuring,
      fds0,
      maxFds,
      maxLagMs,
      fdLimit: fdLimit(),
      goodTcpMs: tcp.ms,
      goodWsMs: ws.ms,
      getinfoMs: rpc,
      drainMs,
      logLines: added.length,
      logBytes,
      summaries: summaryLines(lines0).map((r) => `${r.level} ${r.msg}`),
    };
    console.log(JSON.stringify(report, null, 1));
    expect(sum('opened')).toBeGreaterThan(2000);
    expect(sum('left')).toBe(0); // every silent socket was dropped by the daemon...
    expect(Math.max(...floods.map((f) => f.maxHeldMs))).toBeLessThan(7500); // ...within the 5 s timeouts (not 30 s or ~90 s)
    // The daemon's own account: all but a few were refused at once (per-source cap); the few it
    // held (16 at a time from this source) were closed by the timeouts.
    const count = (re: RegExp) => summaryLines(lines0).reduce((n, r) => n + Number(re.exec(r.msg)?.[1] ?? 0), 0);
    const refused = count(/refused (\d+)/);
    const closed = count(/closed (\d+) before init/);
    expect(refused + closed).toBeGreaterThanOrEqual(sum('opened') * 0.95);
    expect(closed).toBeLessThan(100);
    expect(pendingDuring).toBeLessThanOrEqual(DEFAULT_PEER_LIMITS.maxPendingPerSource);
    expect(tcp.ms).toBeLessThan(3000);
    expect(ws.ms).toBeLessThan(3000);
    expect(Math.max(...rpc)).toBeLessThan(1000);
    expect(maxFds - fds0).toBeLessThan(200);
    expect(maxFds).toBeLessThan(fdLimit() / 10);
    // a few summary lines (at most one per 5 s), no line per connection
    expect(added.length).toBeLessThan(10);
    expect(logBytes).toBeLessThan(4 * 1024);
    const sums = summaryLines(lines0);
    expect(sums.length).toBeGreaterThanOrEqual(1);
    expect(sums.length).toBeLessThanOrEqual(4);
    expect(sums.some((r) => r.level === 'warn' && /per-source cap/.test(r.msg))).toBe(true);
    const all = sums.map((r) => r.msg).join('\n');
    expect(all).toMatch(/act one timeout/);
    expect(all).toMatch(/websocket upgrade timeout/);
    tcp.peer.destroy();
    ws.peer.destroy();
  });

  it('silent sockets from 40 sources overflow the whole pending pool: the oldest are evicted and a peer from a quiet source connects', async () => {
    const lines0 = records.length;
    const sources = Array.from({ length: 40 }, (_, i) => `127.0.1.${i + 1}`);
    const attacker = floodProcess(
      [
        { port: tcpPort, sources, perSecond: 400, durationMs: 2500, maxTotal: 1000, maxOpen: 1500 },
        { port: wsPort, sources, perSecond: 200, durationMs: 2500, maxTotal: 500, maxOpen: 1500 },
      ],
      0,
    );
    await sleep(1200); // 40 × 16 > 256: the pool is full by now
    const pending = d.node.peers.inboundStats().pending;
    const good = await goodPeer('tcp', '127.0.0.2', 'flood-evict-good');
    const rpcMs = await getinfoMs();
    await attacker.stopped;
    await good.peer.pingPong();
    const floods = await attacker.done;
    await sleep(DEFAULT_PEER_LIMITS.logSummaryIntervalMs + 500);
    const sums = summaryLines(lines0).map((r) => r.msg);
    console.log(JSON.stringify({ pendingWhenFull: pending, goodMs: good.ms, rpcMs, floods, lines: records.length - lines0, sums }, null, 1));
    expect(pending).toBe(DEFAULT_PEER_LIMITS.maxPendingConnections);
    expect(good.ms).toBeLessThan(3000);
    expect(rpcMs).toBeLessThan(1000);
    expect(sums.join('\n')).toMatch(/evicted \d+ pending/);
    expect(records.length - lines0).toBeLessThan(10);
    good.peer.destroy();
  });
});
