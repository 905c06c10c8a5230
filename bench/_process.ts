// Shared by cli-getinfo and daemon-start (files starting with `_` are not benchmarks themselves):
// wall times of whole processes, and the compiled dist/ they measure.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Milliseconds from spawning `node args…` to its exit (rejects on a non-zero exit). */
export function wallMs(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    c.stderr!.on('data', (d) => (err += String(d)));
    c.once('error', rej);
    c.once('exit', (code) => (code === 0 ? res(performance.now() - t0) : rej(new Error(`node ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

export function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Builds dist/ (npm run build) unless it is current for `name` (bin/_launch.js's rule), so the
 * figures are the compiled JavaScript an installed package runs.
 */
export async function ensureDist(name: string): Promise<void> {
  const launch = (await import(pathToFileURL(join(ROOT, 'bin/_launch.js')).href)) as { distIsCurrent(files?: string[]): boolean; SOURCES: Record<string, string[]> };
  if (launch.distIsCurrent(launch.SOURCES[name])) return;
  console.error(`bench: dist/ is older than the sources of ${name}; building it`);
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.js')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bench: the build failed');
}
