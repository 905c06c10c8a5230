// A 300 KB `decode` full of `+` continuations against a live daemon: it answers well under a
// second and a concurrent `getinfo` stays fast. (It took 25 s, and froze getinfo and P2P, when
// continuation removal was quadratic.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../src/rpc/daemon.ts';
import { rpcCall } from '../../src/rpc/server.ts';

let dir: string;
let d: Daemon;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bolt12d-robust-decode-'));
  d = await startDaemon({ datadir: dir, port: 0, logLevel: 'info' });
});

afterAll(async () => {
  await d.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('decode of a continuation-heavy string', () => {
  it('answers a 300 KB string in well under a second while getinfo stays fast', async () => {
    const s = 'lno1' + 'qq+ '.repeat(75_000) + 'qq';
    expect(s.length).toBeGreaterThan(300_000);
    const t0 = performance.now();
    const decoding = rpcCall(d.rpcPath, 'decode', [s], 10_000).then(() => performance.now() - t0);
    const info = (async () => {
      const t1 = performance.now();
      const r = await rpcCall(d.rpcPath, 'getinfo', [], 10_000);
      expect((r.result as { id: string }).id).toBe(d.node.nodeIdHex);
      return performance.now() - t1;
    })();
    const [decodeMs, infoMs] = await Promise.all([decoding, info]);
    expect(decodeMs).toBeLessThan(1000);
    expect(infoMs).toBeLessThan(1000);
  });
});
