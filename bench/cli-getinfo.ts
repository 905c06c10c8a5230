// `bolt12-cli getinfo` against a running daemon, as a user runs it (bin/bolt12-cli.js → the
// compiled dist/bin/bolt12-cli.js: node built-ins and src/rpc/client.ts, no protocol stack, no
// TypeScript compiler), from spawn to exit, against a bare `node -e ''` start in the same run.
//
// ratio = p50(bolt12-cli getinfo) / p50(node -e ''); target ≤ 2.0 (issue 12: "a small multiple of
// a bare node start"; before it, 3.3). The two alternate run by run, so both see the same machine
// load. tsx_ms: the same call through the sources and tsx (BOLT12D_RUN=src), what every call
// cost before the package was compiled. `BENCH_CLI_N` sets the rounds (default 40).
import { join } from 'node:path';
import { startDaemon } from '../src/rpc/daemon.ts';
import { tempDir } from './_tmp.ts';
import { ROOT, ensureDist, p50, wallMs } from './_process.ts';

const N = Number(process.env['BENCH_CLI_N'] ?? 40);

export async function run(): Promise<void> {
  await ensureDist('bolt12-cli');
  const dir = tempDir('b12d-bench-cli-');
  const d = await startDaemon({ datadir: dir, port: 0, logLevel: 'warn', gossipVerifyThreads: 0 });
  try {
    const cli = [join(ROOT, 'bin/bolt12-cli.js'), '--datadir', dir, 'getinfo'];
    const dist = { ...process.env, BOLT12D_RUN: 'dist' };
    const src = { ...process.env, BOLT12D_RUN: 'src' };
    for (let i = 0; i < 3; i++) await Promise.all([wallMs(['-e', '']), wallMs(cli, dist)]); // warm the file cache
    const tNode: number[] = [];
    const tCli: number[] = [];
    const tTsx: number[] = [];
    for (let i = 0; i < N; i++) {
      tNode.push(await wallMs(['-e', '']));
      tCli.push(await wallMs(cli, dist));
      if (i % 4 === 0) tTsx.push(await wallMs(cli, src));
    }
    const node = p50(tNode);
    const ms = p50(tCli);
    console.log(
      `BENCH cli-getinfo ratio=${(ms / node).toFixed(2)} target=2.0 ms=${ms.toFixed(1)} node_ms=${node.toFixed(1)} ` +
        `tsx_ms=${p50(tTsx).toFixed(1)} tsx_ratio=${(p50(tTsx) / node).toFixed(2)} n=${N}`,
    );
  } finally {
    await d.shutdown();
  }
}
