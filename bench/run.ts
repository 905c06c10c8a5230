// `npm run bench`: runs every bench/<name>.ts (each exports `run()`), or only those named:
//   npm run bench -- noise store
// Each prints lines `BENCH <name> ratio=<r> target=<t> key=value…`, the ratio taken against a
// bound measured in the same run, so figures compare across machines. Each file runs in its own
// process, so one benchmark's heap and JIT state do not skew the next.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.ts$/, '')))
  .sort();
let failed = 0;
for (const f of files) {
  const url = pathToFileURL(join(here, f)).href;
  const script = `const m = await import(${JSON.stringify(url)}); if (typeof m.run === 'function') await m.run();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${f} failed (exit ${r.status})`);
  }
}
process.exitCode = failed ? 1 : 0;
