// The README's walkthrough and library example, run as they are written there: the code blocks of
// "A three-node test network" (the bolt12d-testnet command, then the bolt12-cli commands, as one
// bash script) and the example of "The library" (with `from 'bolt12d'` pointing at this
// repository's sources). `bolt12d-testnet` and `bolt12-cli` are put on PATH as small scripts
// running this repository's entry points.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from './tmp.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** The indented code blocks of the section under `heading`, in order (text without the 4-space indent). */
export function codeBlocks(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l === `## ${heading}`);
  if (start < 0) throw new Error(`README: no section "## ${heading}"`);
  const blocks: string[] = [];
  let cur: string[] | undefined;
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('## '); i++) {
    const l = lines[i]!;
    if (l.startsWith('    ')) (cur ??= []).push(l.slice(4));
    else if (l.trim() === '' && cur) cur.push('');
    else if (cur) {
      blocks.push(cur.join('\n').trimEnd());
      cur = undefined;
    }
  }
  if (cur) blocks.push(cur.join('\n').trimEnd());
  return blocks;
}

/** A directory with `bolt12-cli` and `bolt12d-testnet` scripts running this repository's entry points. */
function shims(): string {
  const bin = join(tempDir('readme-bin-'), 'bin');
  mkdirSync(bin);
  const launcher = (name: string) =>
    existsSync(join(ROOT, 'bin', `${name}.js`)) ? `exec "${process.execPath}" "${join(ROOT, 'bin', `${name}.js`)}" "$@"` : `exec "${process.execPath}" --import "${TSX}" "${join(ROOT, 'src/bin', `${name}.ts`)}" "$@"`;
  for (const name of ['bolt12-cli', 'bolt12d-testnet']) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${launcher(name)}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

const hasJq = (() => {
  try {
    execFileSync('jq', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const running: ChildProcess[] = [];
afterAll(async () => {
  for (const c of running) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      process.kill(-c.pid!, 'SIGINT');
      await gone;
    }
  }
});

describe('README', () => {
  it('the walkthrough\'s code blocks are what this test runs', () => {
    const [start, commands, ...rest] = codeBlocks(README, 'A three-node test network');
    expect(rest).toEqual([]);
    expect(start).toMatch(/^bolt12d-testnet /);
    expect(commands).toMatch(/invoicerequest/);
    expect(commands).toMatch(/sendinvoice/);
    expect(commands).toMatch(/listinvoices/);
  });

  // jq picks the refund string out of the JSON answer, as the README says.
  it.skipIf(!hasJq)('the three-node walkthrough runs as written and shows the invoice paid', async () => {
    const [start, commands] = codeBlocks(README, 'A three-node test network');
    const cwd = tempDir('readme-walk-');
    const env = { ...process.env, PATH: `${shims()}:${process.env.PATH}` };
    // Terminal one: the network, until it says it is ready.
    const net = spawn('bash', ['-c', start!], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(net);
    let out = '';
    let err = '';
    net.stdout!.on('data', (d) => (out += d));
    net.stderr!.on('data', (d) => (err += d));
    await new Promise<void>((res, rej) => {
      const t = setInterval(() => {
        if (out.includes('ready:')) (clearInterval(t), res());
        else if (net.exitCode !== null) (clearInterval(t), rej(new Error(`bolt12d-testnet exited ${net.exitCode}: ${out}${err}`)));
      }, 50);
    });
    expect(out).toMatch(/node0: node id (02|03)[0-9a-f]{64}, 127\.0\.0\.1:[0-9]+, datadir .*bolt12d-demo\/node0/);
    // Terminal two: the commands, as one script that stops at the first failure.
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((res) =>
      execFile('bash', ['-e', '-o', 'pipefail', '-c', commands!], { cwd, env, timeout: 60_000 }, (e, stdout, stderr) => res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout, stderr })),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // sendinvoice's answer, then listinvoices', then listinvoicerequests'.
    expect(r.stdout.match(/"status": "paid"/g)?.length).toBe(2);
    expect(r.stdout).toMatch(/"label": "refund-42"/);
    expect(r.stdout).toMatch(/"used": true/);
    // Ctrl-C stops every daemon.
    const pids = (JSON.parse(readFileSync(join(cwd, 'bolt12d-demo/testnet.json'), 'utf8')).nodes as Array<{ pid: number }>).map((x) => x.pid);
    const exited = new Promise<number | null>((res) => net.once('exit', (c) => res(c)));
    process.kill(-net.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);

  it('the library example runs as written and prints what its comments say', async () => {
    const blocks = codeBlocks(README, 'The library: nodes and test networks from code');
    const example = blocks.find((b) => b.includes("from 'bolt12d'"));
    expect(example).toBeDefined();
    // `bolt12d` is this repository: its entry point when it exports Testnet, else src/testnet/index.ts.
    const entry = /\bTestnet\b/.test(readFileSync(join(ROOT, 'src/index.ts'), 'utf8')) ? 'src/index.ts' : 'src/testnet/index.ts';
    const file = join(tempDir('readme-lib-'), 'example.mts');
    writeFileSync(file, example!.replace("from 'bolt12d'", `from '${pathToFileURL(join(ROOT, entry)).href}'`));
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((res) =>
      execFile(process.execPath, ['--import', TSX, file], { timeout: 60_000 }, (e, stdout, stderr) => res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout, stderr })),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['alice: paid, 10000 msat', 'carol: invoice refund-42 paid', 'sendinvoice: paid']);
  }, 60_000);
});
