// The RPC server's memory budget across connections (issue 14 item 5), in process with a small
// budget: past it, the connection holding the most is answered -32000 (id null) and closed, the
// newest of equals first; small requests keep being answered; what a client held is released
// when it goes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { join } from 'node:path';
import { MethodTable } from '../../src/rpc/dispatch.ts';
import { RpcServer, RPC_OVERLOADED, rpcCall } from '../../src/rpc/server.ts';
import { tempDir } from '../tmp.ts';

const KiB = 1024;
const quiet: any = { warn() {}, info() {}, debug() {}, error() {}, child: () => quiet };
let server: RpcServer<object>;
let path: string;
const warnings: string[] = [];

beforeEach(async () => {
  const table = new MethodTable<object>().add({ name: 'getinfo', params: [], description: 'x', handler: () => ({ id: 'me' }) });
  server = new RpcServer(table, {}, { ...quiet, warn: (m: string) => warnings.push(m) }, { maxBufferedBytes: 1024 * KiB, maxRequestBytes: 900 * KiB });
  path = join(tempDir('b12d-budget-'), 'sock');
  await server.listen(path);
});
afterEach(async () => {
  await server.close();
});

interface Client {
  s: net.Socket;
  closed: Promise<string>;
}
/** A client that starts a request and sends `kib` KiB of it, never finishing. */
async function partial(kib: number): Promise<Client> {
  const s = net.connect(path);
  const got: Buffer[] = [];
  s.on('data', (b) => got.push(b));
  s.on('error', () => undefined);
  const closed = new Promise<string>((r) => s.once('close', () => r(Buffer.concat(got).toString())));
  await new Promise((r) => s.once('connect', r));
  await new Promise<void>((r) => s.write('{"id":1,"method":"getinfo","params":["' + 'a'.repeat(kib * KiB), () => r()));
  return { s, closed };
}
const settle = async (until: () => boolean) => {
  const end = Date.now() + 3000;
  while (!until() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};
const isOpen = async (c: Client) => (await Promise.race([c.closed.then(() => false), new Promise((r) => setTimeout(() => r(true), 100))])) as boolean;

describe('RPC buffer budget', () => {
  it('closes the largest holder with a JSON-RPC error when the total passes the budget, and serves the rest', async () => {
    const a = await partial(500);
    const b = await partial(300);
    await settle(() => server.bufferedBytes >= 800 * KiB);
    expect(server.bufferedBytes).toBeLessThanOrEqual(1024 * KiB);
    const c = await partial(300); // 1.1 MiB in all: the largest (a) goes, not the newcomer
    const answer = await a.closed;
    expect(JSON.parse(answer.trim())).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: RPC_OVERLOADED, message: expect.stringMatching(/held the most/) } });
    expect(answer.endsWith('}\n\n')).toBe(true);
    expect(await isOpen(b)).toBe(true);
    expect(await isOpen(c)).toBe(true);
    expect(warnings.join('\n')).toMatch(/RPC buffer budget exceeded/);
    expect(((await rpcCall(path, 'getinfo', [], 2000)).result as { id: string }).id).toBe('me');
    // among equals, the newest goes
    const d = await partial(300); // b 300, c 300, d 300 + its own: 900+ KiB; one more passes the budget
    const e = await partial(200);
    await settle(() => server.bufferedBytes < 1024 * KiB && !d.s.destroyed && !e.s.destroyed);
    const closedOne = await Promise.race([b.closed.then(() => 'b'), c.closed.then(() => 'c'), d.closed.then(() => 'd'), e.closed.then(() => 'e')]);
    expect(closedOne).toBe('d');
    for (const x of [b, c, d, e]) x.s.destroy();
    await settle(() => server.bufferedBytes === 0);
    expect(server.bufferedBytes).toBe(0);
  });

  it('a request over the per-connection bound is a parse error and a close; its bytes are released', async () => {
    const big = await partial(950);
    const answer = await big.closed;
    expect(JSON.parse(answer.trim())).toMatchObject({ id: null, error: { code: -32700, message: expect.stringMatching(/larger than/) } });
    await settle(() => server.bufferedBytes === 0);
    expect(server.bufferedBytes).toBe(0);
  });
});
