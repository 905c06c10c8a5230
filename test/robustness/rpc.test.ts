// Hostile JSON-RPC clients against a live daemon: each must get JSON-RPC errors (or be cut off),
// never hang its connection, freeze the process, or grow the daemon's memory without bound, and
// the daemon keeps answering everyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../src/rpc/daemon.ts';
import { rpcCall } from '../../src/rpc/server.ts';

let dir: string;
let d: Daemon;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => void unhandled.push(e);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  dir = mkdtempSync(join(tmpdir(), 'bolt12d-robust-rpc-'));
  d = await startDaemon({ datadir: dir, port: 0, logLevel: 'info' });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await d.shutdown();
  rmSync(dir, { recursive: true, force: true });
  expect(unhandled).toEqual([]);
});

/** A raw client: write `data`, collect what comes back until `count` answers arrived or `timeoutMs`. */
function exchange(data: string, count: number, timeoutMs: number): Promise<{ answers: any[]; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const c = net.connect(d.rpcPath);
    const chunks: string[] = [];
    const finish = () => {
      clearTimeout(timer);
      c.destroy();
      resolve({ answers: chunks.join('').split('\n\n').filter((x) => x.trim()).map((x) => JSON.parse(x)), ms: Date.now() - t0 });
    };
    const timer = setTimeout(finish, timeoutMs);
    c.setEncoding('utf8');
    let seen = 0;
    let lastWasNewline = false;
    c.on('data', (x: string) => {
      chunks.push(x);
      // count the answers' "\n\n" framing in the new chunk only (re-reading a growing string is quadratic)
      for (let i = 0; i < x.length; i++) {
        const nl = x.charCodeAt(i) === 10;
        if (nl && lastWasNewline) {
          seen++;
          lastWasNewline = false;
        } else lastWasNewline = nl;
      }
      if (seen >= count) finish();
    });
    c.on('error', () => undefined);
    c.once('connect', () => c.write(data));
  });
}

/** Pending waiters in the daemon's SQLite store (its `waiterCount()` test hook). */
const waiters = (): number => (d.node.invoices as unknown as { waiterCount(): number }).waiterCount();

async function stillAnswers(): Promise<void> {
  const r = await rpcCall(d.rpcPath, 'getinfo', [], 2000);
  expect((r.result as { id: string }).id).toBe(d.node.nodeIdHex);
}

describe('JSON-RPC robustness', () => {
  it('an object, array or deeply nested id is refused with -32600, and the connection keeps answering', async () => {
    // Before: a 5,000-deep id made the answer unserializable (stack overflow in JSON.stringify): no
    // answer, an unhandled rejection, and every later request on that connection went unanswered.
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const reqs =
      `{"jsonrpc":"2.0","method":"getinfo","id":${deep}}` +
      '{"jsonrpc":"2.0","method":"getinfo","id":{"a":1}}' +
      '{"jsonrpc":"2.0","method":"help","id":"ok","params":["stop"]}';
    const { answers } = await exchange(reqs, 3, 3000);
    expect(answers).toHaveLength(3);
    expect(answers[0]).toMatchObject({ id: null, error: { code: -32600 } });
    expect(answers[1]).toMatchObject({ id: null, error: { code: -32600 } });
    expect(answers[2]).toMatchObject({ id: 'ok', result: { help: [{ command: 'stop' }] } });
    await stillAnswers();
  });

  it('64 Ki stray tokens are answered in linear time while other clients are served', async () => {
    // Before: one promise chained per request, and V8 walks the pending chain on each thrown
    // parse error: O(n²), ~30 s of frozen event loop (P2P included) for these 128 KiB.
    const n = 65536;
    const other = (async () => {
      await new Promise((r) => setTimeout(r, 50));
      const t = Date.now();
      await stillAnswers();
      return Date.now() - t;
    })();
    const { answers, ms } = await exchange('x '.repeat(n), n, 10_000);
    expect(answers).toHaveLength(n);
    expect(answers.every((a) => a.error?.code === -32700)).toBe(true);
    expect(ms).toBeLessThan(5000);
    expect(await other).toBeLessThan(5000);
  });

  it('a run of garbage is one parse error, not one per character', async () => {
    const { answers } = await exchange('x'.repeat(100_000) + '{"jsonrpc":"2.0","id":5,"method":"help","params":["stop"]}', 2, 3000);
    expect(answers.length).toBeLessThanOrEqual(3); // a run may straddle a socket read: at most a few
    expect(answers.at(-1)).toMatchObject({ id: 5 });
  });

  it('a client queueing requests behind a blocking one without reading is back-pressured, not buffered', async () => {
    // Before: every request read was queued (as a closure) behind waitanyinvoice, and every answer
    // kept in the socket's write buffer: ~1 GB of daemon memory for 200 MB sent.
    const c = net.connect(d.rpcPath);
    await new Promise((r) => c.once('connect', r));
    c.on('error', () => undefined);
    c.pause(); // never reads its answers
    c.write('{"jsonrpc":"2.0","id":0,"method":"waitanyinvoice"}');
    const one = '{"jsonrpc":"2.0","id":1,"method":"help","params":["stop"]}';
    const chunk = one.repeat(Math.floor((1 << 20) / one.length));
    const end = Date.now() + 3000;
    let offered = 0;
    while (offered < 64 * 2 ** 20 && Date.now() < end) {
      if (c.writableLength > 8 * 2 ** 20) {
        await new Promise((r) => setTimeout(r, 20)); // the daemon stopped reading: wait for it
        continue;
      }
      c.write(chunk);
      offered += chunk.length;
    }
    const takenByDaemon = c.bytesWritten - c.writableLength;
    c.destroy();
    // The daemon holds at most 16 MiB of queued requests (plus kernel socket buffers).
    expect(takenByDaemon).toBeLessThan(24 * 2 ** 20);
    await stillAnswers();
  });

  it('clients that disconnect while in waitanyinvoice / waitinvoice / wait leave no waiter behind', async () => {
    // Before: each such client left a waiter in the store forever (unbounded growth).
    const before = waiters();
    const reqs = [
      '{"jsonrpc":"2.0","id":1,"method":"waitanyinvoice"}',
      '{"jsonrpc":"2.0","id":1,"method":"wait","params":["invoices","created",1000000]}',
    ];
    for (let i = 0; i < 100; i++) {
      const c = net.connect(d.rpcPath);
      await new Promise((r) => c.once('connect', r));
      c.write(reqs[i % reqs.length]!);
      await new Promise((r) => setTimeout(r, 2));
      c.destroy();
    }
    const end = Date.now() + 3000;
    while (waiters() > before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(waiters()).toBe(before);
    await stillAnswers();
  });

  it('wrong-typed and extreme params for every method are JSON-RPC errors', async () => {
    const id = '02' + '11'.repeat(32);
    const bad: Array<[string, unknown]> = [];
    const values: unknown[] = ['', 'NaN', '-1', '18446744073709551616', 2 ** 64, -1, 1.5, {}, [], true, 'x'.repeat(100_000), { toString: 'a' }];
    for (const m of ['getinfo', 'connect', 'disconnect', 'listpeers', 'ping', 'help', 'decode', 'listinvoices', 'waitinvoice', 'delinvoice', 'wait']) {
      for (const v of values) bad.push([m, [v, v, v].slice(0, m === 'getinfo' ? 0 : 3)]);
    }
    bad.push(['connect', { id, host: '127.0.0.1', port: 0 }], ['ping', { id, len: 65532 }], ['ping', { id, pongbytes: '65536' }]);
    bad.push(['waitanyinvoice', { timeout: -1 }], ['waitanyinvoice', { lastpay_index: 'NaN' }], ['wait', ['invoices', 'created', -5]]);
    const payload = bad.map(([method, params], i) => JSON.stringify({ jsonrpc: '2.0', id: i, method, params })).join('');
    const { answers } = await exchange(payload, bad.length, 8000);
    expect(answers).toHaveLength(bad.length);
    for (const a of answers) {
      if (a.error) {
        expect(typeof a.error.code).toBe('number');
        expect(a.error.message).not.toMatch(/internal error/);
      } else expect(['getinfo', 'help', 'listpeers', 'listinvoices']).toContain(bad[a.id]![0]);
    }
    await stillAnswers();
  });
});
