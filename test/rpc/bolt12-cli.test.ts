// bolt12-cli's Core Lightning-style options against an in-process daemon: -l/--filter, -N
// (notifications to stderr), -o, exit codes, and `stop`'s {"result": ...} printed as its line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon, type Daemon } from '../../src/rpc/daemon.ts';
import { tempDir } from '../tmp.ts';

const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'bin/bolt12-cli.js');
let d: Daemon;
let dir: string;
beforeAll(async () => {
  dir = tempDir('b12d-cli-');
  d = await startDaemon({ datadir: dir, port: 0, logLevel: 'warn' });
});
afterAll(async () => {
  await d?.shutdown();
});

function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [CLI, '--datadir', dir, ...args], { timeout: 30_000 }, (e, out, err) => res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }));
  });
}

describe('bolt12-cli', () => {
  it('-l filters, -N prints notifications to stderr (stdout stays JSON), -o orders, errors exit 1', async () => {
    const [f, n, o, bad, quiet] = await Promise.all([
      cli('-l', '{"id":true,"network":true}', 'getinfo'),
      cli('-N', 'debug', '-k', 'wait', 'subsystem=invoices', 'indexname=created', 'nextvalue=0'),
      cli('-o', 'help', 'help'),
      cli('--filter=1', 'getinfo'),
      cli('-N', 'info', 'wait', 'invoices', 'created', '0'),
    ]);
    expect(JSON.parse(f.out)).toEqual({ id: d.node.nodeIdHex, network: 'regtest' });
    expect(n.err).toBe('# Waiting for the invoices created index to reach 0\n');
    expect(JSON.parse(n.out)).toEqual({ subsystem: 'invoices', created: 0 });
    expect(JSON.parse(o.out).help[0].command).toBe('help [command]');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ code: -32602, message: /^filter: Expected object/ });
    expect(quiet.err).toBe(''); // a debug message is below -N info
    expect((await cli('-N', 'loud', 'getinfo')).code).toBe(2);
    expect((await cli('-l', '{nope', 'getinfo')).code).toBe(2);
  });

  it('stop prints its message', async () => {
    const s = await cli('stop');
    expect(s).toMatchObject({ code: 0, out: 'Shutdown complete\n' });
    await d.stopped;
  });
});
