// The inbound connection budget (both listeners, from accept), its timeouts, the established-peer
// caps, the descriptor high-water mark and the summary log line: unit tests of the budget, then a
// registry with small limits on real sockets, sources told apart by loopback address (127.0.0.x).
import { afterAll, describe, expect, it } from 'vitest';
import { closeSync, openSync } from 'node:fs';
import { ConnectionBudget, sourceKey, type PendingSlot } from '../../src/transport/index.ts';
import { ConnectError, procFdProbe, type FdProbe, type PeerLimits } from '../../src/transport/index.ts';
import { RawPeer, WS_UPGRADE_REQUEST, fdLimit, makeNode, openFds, randomSecret, silentSocket, sleep, waitFor, type TestNode } from './helpers.ts';

const opened: TestNode[] = [];
afterAll(async () => {
  for (const n of opened) await n.reg.close();
});

async function server(seed: string, limits: Partial<PeerLimits>, fdProbe?: FdProbe) {
  const n = makeNode(seed, { limits: { logSummaryIntervalMs: 150, ...limits }, fdProbe });
  opened.push(n);
  const tcp = (await n.reg.listenTcp('127.0.0.1', 0)).port;
  const ws = (await n.reg.listenWs('127.0.0.1', 0)).port;
  return { ...n, tcp, ws };
}

const summaries = (n: TestNode) => n.records.filter((r) => r.msg.startsWith('inbound connections in the last'));

/** A good peer from `from`: handshake, init, a ping answered. Resolves with the time it took (ms). */
async function goodPeer(n: TestNode & { tcp: number; ws: number }, transport: 'tcp' | 'ws', from: string, seed: string): Promise<RawPeer> {
  const p = await RawPeer.open(transport, transport === 'tcp' ? n.tcp : n.ws, { localAddress: from });
  await p.establish(n.reg.nodeId, randomSecret(seed));
  await p.pingPong();
  return p;
}

describe('sourceKey', () => {
  it('IPv4 by address, IPv4-mapped as IPv4, IPv6 by /64', () => {
    expect(sourceKey('127.0.0.1')).toBe('127.0.0.1');
    expect(sourceKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(sourceKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceKey('64:ff9b::1.2.3.4')).toBe('64:ff9b:0:0::/64');
    expect(sourceKey('2001:db8:1:3::1')).not.toBe(sourceKey('2001:db8:1:2::1'));
    expect(sourceKey(undefined)).toBe('?');
  });
});

describe('procFdProbe', () => {
  it('reads this process\'s descriptor count and soft limit from /proc/self', () => {
    const u = procFdProbe()!;
    expect(u.limit).toBe(fdLimit());
    const fds = Array.from({ length: 50 }, () => openSync('/dev/null', 'r'));
    const during = procFdProbe()!.open;
    // (other threads of the process could open or close one meanwhile: a little slack)
    expect(Math.abs(during - openFds())).toBeLessThanOrEqual(2);
    expect(Math.abs(during - (u.open + 50))).toBeLessThanOrEqual(2);
    for (const fd of fds) closeSync(fd);
    expect(Math.abs(procFdProbe()!.open - u.open)).toBeLessThanOrEqual(2);
  });
});

describe('ConnectionBudget', () => {
  const slot = (a: ReturnType<ConnectionBudget['admit']>): PendingSlot => {
    if (!('slot' in a)) throw new Error(`refused: ${a.refused}`);
    return a.slot;
  };

  it('caps per source, evicts the oldest of the fullest source for a quieter one, refuses an equal one', () => {
    const b = new ConnectionBudget({ maxPendingConnections: 4, maxPendingPerSource: 3 });
    const evicted: string[] = [];
    const a1 = slot(b.admit('10.0.0.1'));
    a1.onEvict = (why) => evicted.push(`a1 ${why}`);
    const a2 = slot(b.admit('10.0.0.1'));
    a2.onEvict = (why) => evicted.push(`a2 ${why}`);
    slot(b.admit('10.0.0.1'));
    expect(b.admit('10.0.0.1')).toEqual({ refused: 'per-source cap' });
    const c1 = slot(b.admit('10.0.0.2'));
    expect(b.pending).toBe(4);
    // full: a newcomer from a quiet source evicts 10.0.0.1's oldest (3 pending > 0)
    const d1 = b.admit('10.0.0.3');
    expect(d1).toMatchObject({ evicted: '10.0.0.1' });
    expect(evicted).toEqual(['a1 evicted: 4 connections pending (3 from 10.0.0.1), making room for one from a quieter source']);
    expect(a1.released).toBe(true);
    expect(b.pending).toBe(4);
    // 10.0.0.1 has 2, 10.0.0.2 and .3 one each: a second from .2 evicts from .1 (2 > 1)...
    expect(b.admit('10.0.0.2')).toMatchObject({ evicted: '10.0.0.1' });
    expect(evicted[1]).toMatch(/^a2 /);
    // ...now .1, .2 have one and two: a third from .2 is the fullest itself: refused
    expect(b.admit('10.0.0.2')).toEqual({ refused: 'total cap' });
    c1.release();
    c1.release(); // idempotent
    expect(b.pending).toBe(3);
    expect(b.pendingFrom('10.0.0.2')).toBe(1);
    expect('slot' in b.admit('10.0.0.2')).toBe(true);
  });

  it('IPv6 sources share a /64', () => {
    const b = new ConnectionBudget({ maxPendingConnections: 100, maxPendingPerSource: 2 });
    slot(b.admit('2001:db8:0:1::1'));
    slot(b.admit('2001:db8:0:1::2'));
    expect(b.admit('2001:db8:0:1:ffff::3')).toEqual({ refused: 'per-source cap' });
    slot(b.admit('2001:db8:0:2::1'));
  });

  it('evictAll closes every pending connection', () => {
    const b = new ConnectionBudget({ maxPendingConnections: 10, maxPendingPerSource: 10 });
    const why: string[] = [];
    for (let i = 0; i < 3; i++) slot(b.admit(`10.0.0.${i}`)).onEvict = (w) => why.push(w);
    b.evictAll('registry closing');
    expect(why).toEqual(['registry closing', 'registry closing', 'registry closing']);
    expect(b.pending).toBe(0);
  });
});

describe('inbound budget on real sockets', () => {
  it('silent TCP and WebSocket sockets from one source share its cap; another source still connects', async () => {
    const n = await server('budget-share', { maxPendingPerSource: 3, actOneTimeoutMs: 3000, wsUpgradeTimeoutMs: 3000 });
    const held = [
      silentSocket(n.tcp, '127.0.0.1'), // before act one
      silentSocket(n.ws, '127.0.0.1'), // before the HTTP upgrade
      silentSocket(n.ws, '127.0.0.1', WS_UPGRADE_REQUEST), // upgraded, then silent
    ];
    await waitFor(() => n.reg.inboundStats().pending === 3, 2000, '3 pending');
    const refused = [silentSocket(n.tcp, '127.0.0.1'), silentSocket(n.ws, '127.0.0.1')];
    // refused at once (RST), while the three held stay open
    for (const r of refused) expect(await r.closed).toBeLessThan(1000);
    expect(held.every((h) => !h.sock.destroyed)).toBe(true);
    const p = await goodPeer(n, 'tcp', '127.0.0.2', 'share-good');
    expect(n.reg.list()).toHaveLength(1);
    const line = await waitFor(() => summaries(n).find((r) => /refused 2 \(2 per-source cap\)/.test(r.msg)), 2000, 'summary');
    expect(line.level).toBe('warn');
    p.destroy();
    for (const h of held) h.sock.destroy();
  });

  it('a full pool evicts the oldest pending connection of the fullest source for a newcomer from a quiet one', async () => {
    const n = await server('budget-evict', { maxPendingConnections: 4, maxPendingPerSource: 3, actOneTimeoutMs: 5000 });
    const a: ReturnType<typeof silentSocket>[] = [];
    for (const port of [n.tcp, n.tcp, n.ws]) {
      a.push(silentSocket(port, '127.0.0.10'));
      await waitFor(() => n.reg.inboundStats().pending === a.length); // in this order: a[0] is the oldest
    }
    const b = silentSocket(n.tcp, '127.0.0.11');
    await waitFor(() => n.reg.inboundStats().pending === 4);
    // 127.0.0.12 has none pending: 127.0.0.10's oldest (a[0]) makes room
    const p = await goodPeer(n, 'ws', '127.0.0.12', 'evict-good');
    expect(await a[0]!.closed).toBeLessThan(2000);
    expect(a.slice(1).every((s) => !s.sock.destroyed) && !b.sock.destroyed).toBe(true);
    expect(n.records.some((r) => r.level === 'debug' && /disconnect: evicted: 4 connections pending \(3 from 127\.0\.0\.10\)/.test(r.msg))).toBe(true);
    await waitFor(() => summaries(n).find((r) => /evicted 1 pending/.test(r.msg)), 2000, 'summary with the eviction');
    p.destroy();
    for (const s of [...a, b]) s.sock.destroy();
  });

  it('act one and WebSocket upgrade timeouts drop silent and slow sockets, summed up in one line', async () => {
    const n = await server('budget-timeouts', { actOneTimeoutMs: 300, wsUpgradeTimeoutMs: 300, logSummaryIntervalMs: 1500 });
    const t = [
      silentSocket(n.tcp, '127.0.0.1'),
      silentSocket(n.tcp, '127.0.0.1', 'x'.repeat(49)), // 49 of the 50 bytes of act one
      silentSocket(n.ws, '127.0.0.1'),
      silentSocket(n.ws, '127.0.0.1', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'), // slow headers
      silentSocket(n.ws, '127.0.0.1', WS_UPGRADE_REQUEST), // upgraded, no act one
    ];
    const lifetimes = await Promise.all(t.map((s) => s.closed));
    for (const ms of lifetimes) {
      expect(ms).toBeGreaterThanOrEqual(250);
      expect(ms).toBeLessThan(1500);
    }
    const lines = n.records.filter((r) => /disconnect: act one timeout/.test(r.msg));
    expect(lines.map((r) => [r.level, r.msg]).sort()).toEqual(
      [
        ['debug', 'disconnect: act one timeout: 0 of 50 bytes received within 300 ms'],
        ['debug', 'disconnect: act one timeout: 0 of 50 bytes received within 300 ms'],
        ['debug', 'disconnect: act one timeout: 49 of 50 bytes received within 300 ms'],
      ].sort(),
    );
    const line = await waitFor(() => summaries(n)[0], 3000, 'summary');
    expect(line.level).toBe('info');
    expect(line.msg).toMatch(/closed 5 before init \((3 act one timeout, 2 websocket upgrade timeout)\)$/);
    expect(summaries(n)).toHaveLength(1);
    expect(n.reg.inboundStats().pending).toBe(0);
  });

  it('a plain HTTP request to the WebSocket port gets 426 and its socket is closed', async () => {
    const n = await server('budget-http', {});
    const s = silentSocket(n.ws, '127.0.0.1', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    let got = '';
    s.sock.on('data', (d: Buffer) => (got += d.toString()));
    expect(await s.closed).toBeLessThan(1000);
    expect(got).toMatch(/^HTTP\/1\.1 426 /);
  });

  it('established peers: inbound capped, outbound kept apart', async () => {
    const n = await server('budget-peers', { maxInboundPeers: 1, maxOutboundPeers: 1 });
    const first = await goodPeer(n, 'tcp', '127.0.0.2', 'peers-1');
    const second = await RawPeer.open('tcp', n.tcp, { localAddress: '127.0.0.3' });
    await second.establish(n.reg.nodeId, randomSecret('peers-2')); // its init is answered by ours, then:
    const w = await second.readMsg();
    expect(w.type).toBe(1);
    expect(new TextDecoder().decode(w.payload.subarray(34))).toBe('too many inbound peers (1 of 1)');
    await second.closedPromise;
    // the same node reconnecting replaces its connection: not a new peer
    const again = await goodPeer(n, 'tcp', '127.0.0.2', 'peers-1');
    await first.closedPromise;
    expect(n.reg.list()).toHaveLength(1);
    // a full house of inbound peers does not stop us dialling out...
    const other = makeNode('budget-peers-other');
    const other2 = makeNode('budget-peers-other2');
    opened.push(other, other2);
    const op = (await other.reg.listenTcp('127.0.0.1', 0)).port;
    const op2 = (await other2.reg.listenTcp('127.0.0.1', 0)).port;
    await n.reg.connect(other.reg.nodeId, '127.0.0.1', op, { localAddress: '127.0.0.4' });
    expect(n.reg.list()).toHaveLength(2);
    // ...but the outbound cap holds
    const e = await n.reg.connect(other2.reg.nodeId, '127.0.0.1', op2).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectError);
    expect((e as ConnectError).code).toBe('TOO_MANY_PEERS');
    again.destroy();
  });

  it('above the descriptor high-water mark new inbound sockets are refused with a warning; below it they are served again', async () => {
    let usage = { open: 950, limit: 1000 };
    const n = await server('budget-fds', { fdCheckIntervalMs: 100 }, () => usage);
    await waitFor(() => n.records.find((r) => r.level === 'warn' && /^950 of 1000 file descriptors open/.test(r.msg)), 2000, 'fd warning');
    const s = silentSocket(n.tcp, '127.0.0.1');
    expect(await s.closed).toBeLessThan(1000);
    await waitFor(() => summaries(n).find((r) => /refused 1 \(1 descriptor high-water\)/.test(r.msg)), 2000, 'summary');
    usage = { open: 100, limit: 1000 };
    await waitFor(() => n.records.find((r) => r.msg === 'file descriptors back to 100 of 1000'), 2000, 'recovery line');
    const p = await goodPeer(n, 'tcp', '127.0.0.2', 'fds-good');
    // one warning while it lasted (sampled every 100 ms)
    expect(n.records.filter((r) => /file descriptors open/.test(r.msg))).toHaveLength(1);
    p.destroy();
  });

  it('per-peer log lines beyond the budget go out at debug level, counted in the summary', async () => {
    const n = await server('budget-peerlog', { peerLogBurst: 5, peerLogPerSecond: 0 });
    const p = await RawPeer.open('tcp', n.tcp);
    await p.establish(n.reg.nodeId, randomSecret('peerlog'));
    const warning = new Uint8Array(34 + 4);
    warning[33] = 4;
    warning.set(new TextEncoder().encode('spam'), 34);
    for (let i = 0; i < 20; i++) p.sendMsg(1, warning);
    await p.pingPong(); // all 20 were read by now
    const lines = n.records.filter((r) => r.msg.startsWith('peer sent warning'));
    expect(lines).toHaveLength(20);
    expect(lines.filter((r) => r.level === 'warn')).toHaveLength(4); // 5 tokens, one spent on `connected`
    expect(lines.filter((r) => r.level === 'debug')).toHaveLength(16);
    await waitFor(() => summaries(n).find((r) => /: 16 peer log lines demoted to debug$/.test(r.msg)), 2000, 'summary');
    p.destroy();
  });

  it('a burst of 300 refusals writes one summary line; its timer is unref\'d, and close writes what is left and stops it', async () => {
    const n = await server('budget-burst', { maxPendingPerSource: 0, logSummaryIntervalMs: 2000 });
    const before = n.records.length;
    const socks = Array.from({ length: 300 }, (_, i) => silentSocket(i % 2 ? n.tcp : n.ws, '127.0.0.1'));
    await Promise.all(socks.map((s) => s.closed));
    const timer = (n.reg as unknown as { summary: { timer?: NodeJS.Timeout } }).summary.timer;
    expect(timer?.hasRef()).toBe(false);
    await waitFor(() => n.records.length > before, 3000, 'the summary');
    await sleep(100);
    const added = n.records.slice(before);
    expect(added.map((r) => r.msg)).toEqual([expect.stringMatching(/^inbound connections in the last 2\.\d s: refused 300 \(300 per-source cap\)$/)]);
    await Promise.all(Array.from({ length: 5 }, () => silentSocket(n.tcp, '127.0.0.1').closed));
    await n.reg.close();
    const after = n.records.length;
    expect(n.records.at(-1)!.msg).toMatch(/refused 5 \(5 per-source cap\)$/);
    expect((n.reg as unknown as { summary: { timer?: NodeJS.Timeout } }).summary.timer).toBeUndefined();
    await sleep(300);
    expect(n.records.length).toBe(after);
  });
});
