// `npm run build` (also run by `prepare`, so by `npm install` in a clone and by `npm pack`): the
// package's JavaScript and `.d.ts` types in dist/, compiled by tsc from src/ (tsconfig.build.json;
// `rewriteRelativeImportExtensions` turns the sources' `./x.ts` imports into `./x.js`).
// A type error fails the build, except under `npm install`/`npm ci` (see below).
// dist/ is made afresh (a deleted source leaves nothing behind) in a sibling directory that then
// takes its place, so a daemon started from dist/ meanwhile never sees half a build. On success
// dist/.built is stamped with the time the build started: bin/_launch.js runs dist/ only while no
// source is newer than that.
import { existsSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = new Date();
const dist = `${root}dist`;
const next = `${root}dist.next-${process.pid}`;
const old = `${root}dist.old-${process.pid}`;
rmSync(next, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', next], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(next, { recursive: true, force: true });
  // `npm install`/`npm ci` in a clone go on without dist/ (the bin/ launchers run the sources
  // then); `npm pack`, `npm publish` and `npm run build` fail.
  const soft = ['install', 'ci'].includes(process.env.npm_command ?? '');
  console.error(`build: tsc failed; dist/ is left as it was and bin/ runs the sources until a build succeeds${soft ? ` (npm ${process.env.npm_command} goes on)` : ''}`);
  process.exit(soft ? 0 : (r.status ?? 1));
}
const stamp = `${next}/.built`;
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
