// Two PeerRegistry instances in one process over real sockets: TCP and WebSocket, each direction,
// init exchange, 1,100 pings each way (past the first and second key rotation: keys rotate every
// 1000 nonces, i.e. every 500 messages), and the registry's behaviour (duplicates, dispatch,
// features, errors).
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../src/util/bytes.ts';
import { hasFeature, MSG, encodeError, encodeWarning, featuresFromBits, CHAIN_HASH } from '../../src/wire/index.ts';
import { ConnectError, DEFAULT_INIT_FEATURE_BITS, PingError, type Peer } from '../../src/transport/index.ts';
import { disconnectLines, makeNode, waitFor, type TestNode } from './helpers.ts';

const nodes: TestNode[] = [];
function node(seed: string, opts?: Parameters<typeof makeNode>[1]): TestNode {
  const n = makeNode(seed, opts);
  nodes.push(n);
  return n;
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.reg.close()));
});

async function listen(n: TestNode, transport: 'tcp' | 'ws'): Promise<number> {
  const a = transport === 'tcp' ? await n.reg.listenTcp('127.0.0.1', 0) : await n.reg.listenWs('127.0.0.1', 0);
  return a.port;
}

async function pingMany(p: Peer, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const pongBytes = (i * 7) % 300;
    const r = await p.ping(i % 50, pongBytes);
    expect(r.totlen).toBe(4 + pongBytes);
  }
}

describe('two registries over real sockets', () => {
  for (const transport of ['tcp', 'ws'] as const) {
    for (const dir of ['a dials b', 'b dials a'] as const) {
      it(`${transport}, ${dir}: init exchange and 1,100 pings each way past key rotation`, async () => {
        const a = node(`a-${transport}-${dir}`);
        const b = node(`b-${transport}-${dir}`);
        const [dialer, listener] = dir === 'a dials b' ? [a, b] : [b, a];
        const port = await listen(listener, transport);
        const connected = new Promise<Peer>((r) => listener.reg.once('connect', r));
        const out = await dialer.reg.connect(listener.reg.nodeId, '127.0.0.1', port, { transport });
        const inb = await connected;

        expect(out.direction).toBe('out');
        expect(inb.direction).toBe('in');
        expect(out.transport).toBe(transport);
        expect(inb.transport).toBe(transport);
        expect(toHex(out.nodeId)).toBe(toHex(listener.reg.nodeId));
        expect(toHex(inb.nodeId)).toBe(toHex(dialer.reg.nodeId));
        expect(out.connected && inb.connected).toBe(true);
        for (const p of [out, inb]) {
          for (const bit of DEFAULT_INIT_FEATURE_BITS) expect(hasFeature(p.remoteInit.features, bit)).toBe(true);
          expect(p.remoteInit.networks?.map(toHex)).toEqual([toHex(CHAIN_HASH.regtest)]);
        }
        expect(listener.reg.get(dialer.reg.nodeId)).toBe(inb);
        expect(dialer.reg.list()).toEqual([out]);

        await Promise.all([pingMany(out, 1100), pingMany(inb, 1100)]);

        // Each side sent init + 1,100 pings + 1,100 pongs = 2,201 messages (4,402 nonces: 4 key
        // rotations per direction) and decrypted as many.
        for (const p of [out, inb]) {
          const s = p.stats();
          expect(s.msgsOut).toBe(2201);
          expect(s.msgsIn).toBe(2201);
          expect(s.bytesIn).toBeGreaterThan(0);
          expect(s.queuedOutBytes).toBe(0);
        }
        expect(out.connected && inb.connected).toBe(true);
        for (const n of [a, b]) expect(n.records.filter((r) => r.msg.startsWith('disconnect'))).toEqual([]);
      });
    }
  }

  it('connect() returns the existing peer and shares an attempt in progress', async () => {
    const a = node('dup-a');
    const b = node('dup-b');
    const port = await listen(b, 'tcp');
    const [p1, p2] = await Promise.all([a.reg.connect(b.reg.nodeId, '127.0.0.1', port), a.reg.connect(b.reg.nodeId, '127.0.0.1', port)]);
    expect(p1).toBe(p2);
    expect(await a.reg.connect(b.reg.nodeId, '127.0.0.1', port)).toBe(p1);
    expect(b.reg.list().length).toBe(1);
  });

  it('a second connection from the same node id replaces the first (newest wins), e.g. a restarted peer', async () => {
    const a = node('repl-a');
    const b = node('repl-b');
    const portB = await listen(b, 'tcp');
    const portBws = await listen(b, 'ws');
    const first = await a.reg.connect(b.reg.nodeId, '127.0.0.1', portB);
    const bDisconnects: [Peer, string][] = [];
    b.reg.on('disconnect', (p: Peer, why: string) => bDisconnects.push([p, why]));
    const bFirst = b.reg.get(a.reg.nodeId)!;
    // "a" restarts (same node secret, new process state) and dials again, this time over WebSocket,
    // while b still holds the old, apparently healthy connection.
    const a2 = node('repl-a');
    expect(toHex(a2.reg.nodeId)).toBe(toHex(a.reg.nodeId));
    const second = await a2.reg.connect(b.reg.nodeId, '127.0.0.1', portBws, { transport: 'ws' });
    await waitFor(() => !first.connected, 2000, 'old connection closed');
    expect(second.connected).toBe(true);
    expect(bFirst.connected).toBe(false);
    const bNow = b.reg.get(a.reg.nodeId)!;
    expect(bNow.transport).toBe('ws');
    expect(b.reg.list()).toEqual([bNow]);
    expect(bDisconnects).toEqual([[bFirst, 'replaced by a new connection']]);
    expect((await second.ping()).totlen).toBe(132);
  });

  it('rejects with typed errors: wrong node id (HANDSHAKE_FAILED), closed port (DIAL_FAILED), bad id (INVALID_NODE_ID)', async () => {
    const a = node('err-a');
    const b = node('err-b');
    const c = node('err-c');
    const port = await listen(b, 'tcp');
    const e1 = await a.reg.connect(c.reg.nodeId, '127.0.0.1', port).catch((e) => e);
    expect(e1).toBeInstanceOf(ConnectError);
    expect((e1 as ConnectError).code).toBe('HANDSHAKE_FAILED');
    // b logs why it dropped the unknown initiator: act one MAC (it does not know b's key).
    await waitFor(() => b.records.some((r) => /disconnect: handshake failed: BOLT 8 act1 step 7/.test(r.msg)), 2000, 'b log');
    await b.reg.close();
    const e2 = await a.reg.connect(b.reg.nodeId, '127.0.0.1', port).catch((e) => e);
    expect((e2 as ConnectError).code).toBe('DIAL_FAILED');
    const e3 = await a.reg.connect(new Uint8Array(33), '127.0.0.1', port).catch((e) => e);
    expect((e3 as ConnectError).code).toBe('INVALID_NODE_ID');
    const e4 = await a.reg.connect(a.reg.nodeId, '127.0.0.1', port).catch((e) => e);
    expect((e4 as ConnectError).code).toBe('INVALID_NODE_ID');
  });

  it('dispatches messages by type to subscribers; unknown odd is ignored, unknown even closes', async () => {
    const a = node('disp-a');
    const b = node('disp-b');
    const port = await listen(b, 'tcp');
    const got: [string, string][] = [];
    const unsub = b.reg.onMessage(MSG.onion_message, (p, payload) => got.push([toHex(p.nodeId), toHex(payload)]));
    const evenGot: string[] = [];
    b.reg.onMessage(32768, (_p, payload) => evenGot.push(toHex(payload)));
    const p = await a.reg.connect(b.reg.nodeId, '127.0.0.1', port);
    expect(p.send(MSG.onion_message, Uint8Array.from([1, 2, 3]))).toBe(true);
    expect(p.send(32768, Uint8Array.from([9]))).toBe(true); // even, but b subscribes: known
    expect(p.send(32769, Uint8Array.from([9]))).toBe(true); // odd, unknown: ignored
    await p.ping();
    expect(got).toEqual([[toHex(a.reg.nodeId), '010203']]);
    expect(evenGot).toEqual(['09']);
    unsub();
    p.send(MSG.onion_message, Uint8Array.from([4]));
    await p.ping();
    expect(got.length).toBe(1);
    expect(p.connected).toBe(true);
    // Unknown even type: b closes (after a warning) and logs why.
    const aGone = new Promise<string>((r) => a.reg.once('disconnect', (_p: Peer, why: string) => r(why)));
    p.send(100, new Uint8Array(0));
    await waitFor(() => disconnectLines(b.records, toHex(a.reg.nodeId)).length === 1, 2000, 'b disconnect line');
    expect(disconnectLines(b.records, toHex(a.reg.nodeId))[0]!.msg).toBe('disconnect: unknown even message type 100');
    expect(await aGone).toMatch(/connection closed by peer after warning "unknown even message type 100"/);
  });

  it('refuses a peer requiring unknown features, and a peer on another network', async () => {
    const b = node('feat-b');
    const port = await listen(b, 'tcp');
    const weird = node('feat-weird', { localFeatures: featuresFromBits([9, 39, 100]) });
    // The init exchange is symmetric and unacknowledged: the dialer accepts b's init (b's features
    // are fine for it) and may resolve before b's refusal arrives; then b's warning and close follow.
    const gone = new Promise<string>((r) => weird.reg.once('disconnect', (_p: Peer, why: string) => r(why)));
    const e1 = await weird.reg.connect(b.reg.nodeId, '127.0.0.1', port).catch((e: ConnectError) => e);
    const why = e1 instanceof ConnectError ? e1.reason : await gone;
    expect(why).toBe('connection closed by peer after warning "Unsupported feature 100"');
    await waitFor(() => b.records.some((r) => r.msg === 'disconnect: peer requires unknown feature bits 100 (features 10000000000000008000000200)'), 2000, 'feature log');
    const tn = node('feat-testnet', { network: 'testnet' });
    const e2 = (await tn.reg.connect(b.reg.nodeId, '127.0.0.1', port).catch((e) => e)) as ConnectError;
    expect(e2.code).toBe('INIT_FAILED');
    // Both sides see the other's networks lack their chain.
    expect(e2.reason).toMatch(/no common network|No common network/);
    expect(b.reg.list()).toEqual([]);
  });

  it('ping with pongbytes >= 65532 needs no reply (totlen 0); ping argument checks', async () => {
    const a = node('ping-a');
    const b = node('ping-b');
    const port = await listen(b, 'ws');
    const p = await a.reg.connect(b.reg.nodeId, '127.0.0.1', port, { transport: 'ws' });
    expect(await p.ping(10, 65532)).toEqual({ totlen: 0 });
    expect(await p.ping(65529, 65531)).toEqual({ totlen: 65535 });
    await expect(p.ping(65530, 1)).rejects.toBeInstanceOf(RangeError);
    await expect(p.ping(1, 65536)).rejects.toBeInstanceOf(RangeError);
    p.disconnect('test over');
    await expect(p.ping()).rejects.toBeInstanceOf(PingError);
    expect(p.send(MSG.onion_message, new Uint8Array(1))).toBe(false);
  });

  it('warning is logged and kept; error with channel_id 0 closes; error for an unknown channel is ignored', async () => {
    const a = node('warn-a');
    const b = node('warn-b');
    const port = await listen(b, 'tcp');
    const p = await a.reg.connect(b.reg.nodeId, '127.0.0.1', port);
    p.send(MSG.warning, encodeWarning({ channelId: new Uint8Array(32), data: new TextEncoder().encode('careful') }));
    p.send(MSG.error, encodeError({ channelId: new Uint8Array(32).fill(7), data: Uint8Array.from([0, 1, 255]) }));
    await p.ping();
    expect(b.records.some((r) => r.msg === 'peer sent warning (all channels): "careful"')).toBe(true);
    expect(b.records.some((r) => r.msg.startsWith('peer sent error for unknown channel 0707') && r.msg.endsWith('(ignored): 0x0001ff'))).toBe(true);
    expect(p.connected).toBe(true);
    p.send(MSG.error, encodeError({ channelId: new Uint8Array(32), data: new TextEncoder().encode('go away') }));
    await waitFor(() => !p.connected, 2000, 'closed');
    expect(disconnectLines(b.records, toHex(a.reg.nodeId)).map((r) => r.msg)).toEqual(['disconnect: peer sent error: "go away"']);
  });

  it('liveness pings keep an idle connection up; registry close disconnects everyone', async () => {
    const a = node('live-a', { limits: { pingIntervalMs: 50, pongTimeoutMs: 500 } });
    const b = node('live-b', { limits: { pingIntervalMs: 50, pongTimeoutMs: 500 } });
    const port = await listen(b, 'tcp');
    const p = await a.reg.connect(b.reg.nodeId, '127.0.0.1', port);
    await waitFor(() => p.stats().msgsOut >= 8, 3000, 'liveness pings');
    expect(p.connected).toBe(true);
    const reasons: string[] = [];
    a.reg.on('disconnect', (_p: Peer, r: string) => reasons.push(r));
    await b.reg.close();
    await waitFor(() => reasons.length === 1, 2000, 'a sees the close');
    expect(disconnectLines(b.records, toHex(a.reg.nodeId)).map((r) => r.msg)).toEqual(['disconnect: registry closing']);
  });
});
