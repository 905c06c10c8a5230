// Shared by the bin/ launchers. An installed package has no src/: it runs the compiled JavaScript
// in dist/. A clone runs dist/ too while it is built from the current sources (`npm install` and
// `npm run build` build it; dist/.built is stamped with the build's start, and no src/**/*.ts may
// be newer), and otherwise the TypeScript sources through tsx (a devDependency), so an edit takes
// effect without a build. BOLT12D_RUN=dist or BOLT12D_RUN=src forces one or the other.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);

/**
 * The sources (under src/) an executable is built from, where that is a short list: bolt12-cli
 * must start fast, and three stat calls cost less than walking src/ (test/package/cli.test.ts
 * checks the list against the CLI's imports). Others: every .ts file under src/.
 */
export const SOURCES = { 'bolt12-cli': ['bin/bolt12-cli.ts', 'rpc/client.ts', 'rpc/json.ts'] };

/** Run src/bin/<name>.ts's compiled form, or the source itself (see above). */
export async function launch(name) {
  const how = process.env.BOLT12D_RUN;
  if (how !== undefined && how !== 'dist' && how !== 'src') throw new Error(`BOLT12D_RUN: should be dist or src, got '${how}'`);
  const src = new URL(`src/bin/${name}.ts`, root);
  if (how === 'dist' || (how !== 'src' && (!existsSync(src) || distIsCurrent(SOURCES[name])))) {
    await import(new URL(`dist/bin/${name}.js`, root).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(src.href);
}

/** True when dist/ was built (successfully) after each of `files` (default: every source) last changed. */
export function distIsCurrent(files) {
  let built;
  try {
    built = statSync(new URL('dist/.built', root)).mtimeMs;
  } catch {
    return false;
  }
  const dir = fileURLToPath(new URL('src/', root));
  for (const f of files ?? readdirSync(dir, { recursive: true })) {
    if (f.endsWith('.ts') && (statSync(dir + f, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) >= built) return false;
  }
  return true;
}
