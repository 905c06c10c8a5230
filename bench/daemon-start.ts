// Daemon start to its first `getinfo` answer, as a user starts it: `bolt12d --datadir DIR
// --port 0` (bin/bolt12d.js → the compiled dist/bin/bolt12d.js) spawned, then its RPC socket
// polled every 2 ms until a getinfo answers.
//
//   ms          a fresh datadir (hsm_secret created, the SQLite store and gossip store made)
//   restart_ms  the same datadir again (keys read, the store opened)
//   node_ms     a bare `node -e ''` in the same run, for scale (ratio = ms / node_ms)
//   tsx_ms      a fresh start through the sources and tsx (BOLT12D_RUN=src), fewer rounds
// The kinds alternate round by round, so all see the same machine load; each daemon is stopped
// (`stop`) before the next starts. `BENCH_DAEMON_N` sets the rounds (default 12).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rpcCall } from '../src/rpc/client.ts';
import { tempDir } from './_tmp.ts';
import { ROOT, ensureDist, p50, wallMs } from './_process.ts';

const N = Number(process.env['BENCH_DAEMON_N'] ?? 12);

/** Spawn a daemon on `dir`; milliseconds until getinfo answers; then stop it and wait for its exit. */
async function startToGetinfo(dir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const sock = join(dir, 'regtest', 'lightning-rpc');
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/bolt12d.js'), '--datadir', dir, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`bolt12d exited ${child.exitCode}: ${err}`);
      if (performance.now() - t0 > 60_000) throw new Error('bolt12d did not answer within 60 s');
      if (existsSync(sock)) {
        const r = await rpcCall(sock, 'getinfo', [], 5000).catch(() => undefined);
        if (r?.result) break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const ms = performance.now() - t0;
    await rpcCall(sock, 'stop', [], 10_000);
    if ((await exited) !== 0) throw new Error(`bolt12d stopped with exit ${child.exitCode}: ${err}`);
    return ms;
  } finally {
    child.kill();
  }
}

export async function run(): Promise<void> {
  await ensureDist('bolt12d');
  const dist = { ...process.env, BOLT12D_RUN: 'dist' };
  const src = { ...process.env, BOLT12D_RUN: 'src' };
  await startToGetinfo(tempDir('b12d-bench-start-'), dist); // warm the file cache
  const tFresh: number[] = [];
  const tRestart: number[] = [];
  const tNode: number[] = [];
  const tTsx: number[] = [];
  for (let i = 0; i < N; i++) {
    const dir = tempDir('b12d-bench-start-');
    tFresh.push(await startToGetinfo(dir, dist));
    tRestart.push(await startToGetinfo(dir, dist));
    tNode.push(await wallMs(['-e', '']));
    if (i % 3 === 0) tTsx.push(await startToGetinfo(tempDir('b12d-bench-start-'), src));
  }
  const ms = p50(tFresh);
  const node = p50(tNode);
  console.log(
    `BENCH daemon-start ms=${ms.toFixed(0)} ratio=${(ms / node).toFixed(2)} restart_ms=${p50(tRestart).toFixed(0)} node_ms=${node.toFixed(1)} tsx_ms=${p50(tTsx).toFixed(0)} n=${N}`,
  );
}
