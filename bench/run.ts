// `npm run bench`: runs every bench/<name>.ts (each exports `run()`), or only those named:
//   npm run bench -- noise store
// Each prints lines `BENCH <name> ratio=<r> target=<t> key=value…`, the ratio taken against a
// bound measured in the same run, so figures compare across machines.
import { readdirSync } from 'node:fs';
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
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') continue;
  try {
    await mod.run();
  } catch (e) {
    failed++;
    console.error(`bench ${f} failed: ${(e as Error).stack ?? e}`);
  }
}
process.exitCode = failed ? 1 : 0;
