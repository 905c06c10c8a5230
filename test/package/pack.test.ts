// The package as a user gets it (issue 12): `npm pack` (its `prepare` builds dist/ with tsc) in a
// copy of the sources, the tarball installed with `npm install <tarball>` into an empty scratch
// project, and there, in plain JavaScript with neither tsx nor TypeScript installed, the library
// imported by its package name and run; the installed `bolt12d` and `bolt12-cli` executables run;
// and a TypeScript file type-checked against the shipped `.d.ts` by the repository's tsc.
//
// Offline and quick: the scratch project gets a lock file made from the repository's (the
// dependencies' versions and integrity hashes; `npm ci` left their tarballs in the npm cache), so
// `npm install --offline` needs no registry; install scripts are skipped (`--ignore-scripts`) and
// better-sqlite3's compiled binding is copied from the repository's node_modules (same Node,
// same platform) instead of compiled again. About 30 s, most of it tsc.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile, type ExecFileOptions } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../tmp.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REPO_MODULES = join(ROOT, 'node_modules');

interface Run {
  code: number;
  out: string;
  err: string;
}

/** The environment without the npm_* variables of an enclosing `npm test` (they would point npm at this repository). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  return env;
}

function run(cmd: string, args: string[], opts: ExecFileOptions & { cwd: string }): Promise<Run> {
  return new Promise((res) => {
    execFile(cmd, args, { env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 180_000, ...opts }, (e, out, err) =>
      res({ code: e ? (typeof (e as { code?: unknown }).code === 'number' ? ((e as { code: number }).code) : 1) : 0, out: String(out), err: String(err) }),
    );
  });
}

async function ok(cmd: string, args: string[], opts: ExecFileOptions & { cwd: string }): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${opts.cwd}) exited ${r.code}:\n${r.err}\n${r.out}`);
  return r.out;
}

/** A lock file for a project depending on nothing yet, holding every production package of ours at the version we test with. */
function scratchLock(registry: string): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; resolved?: string; dev?: boolean; devOptional?: boolean; link?: boolean }> };
  const packages: Record<string, unknown> = { '': { name: 'scratch' } };
  for (const [k, v] of Object.entries(lock.packages)) {
    if (!k.startsWith('node_modules/') || v.dev || v.devOptional || v.link) continue;
    const name = k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length);
    // the lock may omit registry URLs (omit-lockfile-registry-resolved); npm finds cached tarballs by URL and integrity
    packages[k] = { ...v, resolved: v.resolved ?? `${registry.replace(/\/$/, '')}/${name}/-/${name.split('/').pop()}-${v.version}.tgz` };
  }
  return { name: 'scratch', lockfileVersion: 3, requires: true, packages };
}

// Plain JavaScript, run by node with nothing else: the package's main entry and its subpaths.
const MAIN_JS = `
import { RpcError, Testnet, startDaemon, VERSION } from 'bolt12d';
import { rpcCall, rpcSocketPath } from 'bolt12d/client';
import { decodeRefund } from 'bolt12d/bolt12';
import { encodeBigSize } from 'bolt12d/wire';
import { Testnet as SubpathTestnet, topologyEdges } from 'bolt12d/testnet';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = { version: VERSION, wire: Array.from(encodeBigSize(253n)).join(','), testnet: SubpathTestnet === Testnet && topologyEdges(3, 'line').length };
// A daemon from the library, with a datadir (SQLite store, gossip verified on worker threads from
// the compiled worker file), answering on its socket.
const dir = mkdtempSync(join(tmpdir(), 'b12d-scratch-'));
const d = await startDaemon({ datadir: dir, port: 0, logLevel: 'warn' });
out.socket = d.rpcPath === rpcSocketPath(dir, 'regtest');
out.getinfo = (await rpcCall(d.rpcPath, 'getinfo', [], 10_000)).result.id === d.node.nodeIdHex;
// Gossip signatures are checked on worker threads started from the compiled worker file (a worker
// that cannot load dies, and the pool falls back to this thread with fewer live workers).
const pool = d.node.gossipVerifier; // private in the types, there at run time
const key = new Uint8Array(33);
key[0] = 2;
key[32] = 1;
const verdicts = await pool.verify(Array.from({ length: 600 }, () => ({ digest: new Uint8Array(32), pubkey: key, signature: new Uint8Array(64).fill(1) })));
out.workers = pool.threads > 0 && pool.liveWorkers === pool.threads && verdicts.length === 600 && !verdicts.some(Boolean);

// A three-node test network (line: alice - bob - carol, announced channels, gossip, the shared
// ledger), the typed API: a refund on alice, carol's invoice for it reaches alice through bob,
// alice pays it; listinvoices shows it paid; the events say so; an error is an RpcError.
const net = await Testnet.create({ nodes: 3, topology: 'line', gossip: true, payments: 'ledger' });
const [alice, bob, carol] = net.nodes;
const answered = new Promise((r) => alice.once('invoicerequest_answered', r));
const paidEvent = new Promise((r) => carol.once('invoice_paid', r));
const refund = await alice.invoicerequest({ amount: 21_000, description: 'from the scratch project' });
out.refund = decodeRefund(refund.bolt12).invreqAmount === 21_000n;
const inv = await carol.sendinvoice({ invreq: refund.bolt12, label: 'scratch', timeout: 30 });
out.sendinvoice = inv.status;
out.listinvoices = (await carol.listinvoices({ label: 'scratch' })).invoices.map((i) => i.status);
out.answered = (await answered).outcome;
out.paidEvent = (await paidEvent).invoice.label;
out.carolPeers = (await carol.listpeers()).peers.map((p) => p.id === bob.nodeIdHex ? 'bob' : p.id === alice.nodeIdHex ? 'alice' : '?');
out.ledger = net.ledger.transfers.filter((t) => t.to === carol.nodeIdHex && t.amountMsat === 21_000n).length;
try {
  await carol.sendinvoice({ invreq: 'lnr1qqqq', label: 'bad' });
  out.error = 'none';
} catch (e) {
  out.error = e instanceof RpcError ? e.code : String(e);
}
await net.stop();
await d.shutdown();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out));
`;

// Type-checked against the shipped .d.ts (strict, skipLibCheck off: the declarations themselves too).
const CHECK_TS = `
import { Testnet, Node, RpcError, startDaemon, rpcCall, type NodeOptions, type NodeEvents, type RpcAnswer, type Daemon } from 'bolt12d';
import { decodeRefund, type Refund } from 'bolt12d/bolt12';
import { rpcCallRaw, type RpcRawAnswer } from 'bolt12d/client';

export async function flow(): Promise<string[]> {
  const net: Testnet = await Testnet.create({ nodes: 3, topology: 'line', gossip: true, payments: 'ledger' });
  const [alice, , carol] = net.nodes as [Node, Node, Node];
  alice.on('invoicerequest_answered', (e: NodeEvents['invoicerequest_answered']) => {
    const outcome: 'paid' | 'payment_failed' | 'refused' = e.outcome;
    void outcome;
  });
  const r = await alice.invoicerequest({ amount: 10_000, description: 'typed' });
  const refund: Refund = decodeRefund(r.bolt12);
  const amount: bigint = refund.invreqAmount;
  void amount;
  const inv = await carol.sendinvoice({ invreq: r.bolt12, label: 'typed', timeout: 30 });
  const listed = await carol.listinvoices({ label: 'typed' });
  await net.stop();
  return [inv.status, ...listed.invoices.map((i) => i.status)];
}
export function code(e: unknown): number | undefined {
  return e instanceof RpcError ? e.code : undefined;
}
export async function daemon(dir: string, opts: NodeOptions): Promise<unknown> {
  const d: Daemon = await startDaemon({ ...opts, datadir: dir, port: 0 });
  const a: RpcAnswer = await rpcCall(d.rpcPath, 'getinfo', []);
  const raw: RpcRawAnswer = await rpcCallRaw(d.rpcPath, 'getinfo', [], { timeoutMs: 1000 });
  await d.shutdown();
  return [a.result, raw.text];
}
// @ts-expect-error a port is a number: the shipped types are real types, not any
export const bad: NodeOptions = { port: 'x' };
// @ts-expect-error sendinvoice needs a label
export const bad2 = (n: Node) => n.sendinvoice({ invreq: 'lnr1' });
// @ts-expect-error no such RPC method
export const bad3 = (n: Node) => n.sendinvoicee({ invreq: 'lnr1', label: 'x' });
`;

describe('the packed package, installed into an empty project', () => {
  let work: string;
  let scratch: string;
  let tarball: string;
  let files: string[];
  beforeAll(async () => {
    work = tempDir('b12d-pack-');
    // the sources as a clone has them, with this repository's dependencies (tsc for `prepare`)
    const pkg = join(work, 'pkg');
    mkdirSync(pkg);
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'src', 'bin', 'scripts']) cpSync(join(ROOT, f), join(pkg, f), { recursive: true });
    symlinkSync(REPO_MODULES, join(pkg, 'node_modules'), 'dir');
    const packed = JSON.parse(await ok('npm', ['pack', '--json', '--pack-destination', work], { cwd: pkg })) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);

    scratch = join(work, 'scratch');
    mkdirSync(scratch);
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    const registry = (await ok('npm', ['config', 'get', 'registry'], { cwd: scratch })).trim();
    writeFileSync(join(scratch, 'package-lock.json'), JSON.stringify(scratchLock(registry)));
    await ok('npm', ['install', tarball, '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: scratch });
    const binding = 'better-sqlite3/build/Release/better_sqlite3.node';
    mkdirSync(dirname(join(scratch, 'node_modules', binding)), { recursive: true });
    cpSync(join(REPO_MODULES, binding), join(scratch, 'node_modules', binding));
  }, 240_000);

  it('holds only what a user needs: dist/ (JavaScript and .d.ts), the bin/ launchers, README, LICENSE', () => {
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/bin/bolt12-cli.js');
    expect(files).toContain('dist/gossip/gossip-verify-worker.js');
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json', 'bin/bolt12d.js', 'bin/bolt12-cli.js', 'bin/bolt12d-testnet.js', 'bin/_launch.js', 'dist/testnet/index.js']));
    const other = files.filter((f) => !/^dist\/.+\.(js|d\.ts)$/.test(f) && !/^bin\/[^/]+\.js$/.test(f) && !['README.md', 'LICENSE', 'package.json'].includes(f));
    expect(other).toEqual([]);
    // every relative import in the JavaScript names a .js file (rewriteRelativeImportExtensions)
    const js = files.filter((f) => f.endsWith('.js') && f.startsWith('dist/'));
    expect(js.length).toBeGreaterThan(100);
    for (const f of js) expect(readFileSync(join(scratch, 'node_modules/bolt12d', f), 'utf8'), f).not.toMatch(/(from\s*|import\s*\(\s*|import\s+)['"]\.{1,2}\/[^'"]*\.ts['"]/);
  });

  it('installs without TypeScript or tsx: no compiler at run time', () => {
    const installed = JSON.parse(readFileSync(join(scratch, 'node_modules/bolt12d/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(installed.dependencies)).not.toContain('tsx');
    expect(existsSync(join(scratch, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(scratch, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(scratch, 'node_modules/bolt12d/src'))).toBe(false);
  });

  it('runs from plain JavaScript: a daemon and its RPC; a three-node Testnet where invoicerequest → sendinvoice → paid', async () => {
    writeFileSync(join(scratch, 'main.js'), MAIN_JS);
    const out = await ok(process.execPath, ['main.js'], { cwd: scratch });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({
      version: '0.1.0',
      wire: '253,0,253',
      testnet: 2,
      socket: true,
      getinfo: true,
      workers: true,
      refund: true,
      sendinvoice: 'paid',
      listinvoices: ['paid'],
      answered: 'paid',
      paidEvent: 'scratch',
      carolPeers: ['bob'],
      ledger: 1,
      error: -32602,
    });
  });

  it("the installed bolt12d and bolt12-cli run the compiled JavaScript", async () => {
    const bin = join(scratch, 'node_modules/.bin');
    expect((await ok(join(bin, 'bolt12d'), ['--version'], { cwd: scratch })).trim()).toBe('bolt12d v0.1.0');
    const dir = tempDir('b12d-pack-daemon-');
    const { spawn } = await import('node:child_process');
    const child = spawn(join(bin, 'bolt12d'), ['--datadir', dir, '--port', '0', '--log-level', 'warn'], { cwd: scratch, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const sock = join(dir, 'regtest', 'lightning-rpc');
      for (let t0 = Date.now(); !existsSync(sock); ) {
        if (child.exitCode !== null || Date.now() - t0 > 30_000) throw new Error('the installed bolt12d did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      const info = JSON.parse(await ok(join(bin, 'bolt12-cli'), ['--datadir', dir, '-l', '{"network":true}', 'getinfo'], { cwd: scratch }));
      expect(info).toEqual({ network: 'regtest' });
      expect((await ok(join(bin, 'bolt12-cli'), ['--datadir', dir, 'stop'], { cwd: scratch })).trim()).toBe('Shutdown complete');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      expect(child.exitCode).toBe(0);
    } finally {
      child.kill();
    }
  });

  it('the installed bolt12d-testnet starts daemons from the installed package, reachable by bolt12-cli, and stops them on SIGTERM', async () => {
    const bin = join(scratch, 'node_modules/.bin');
    expect((await ok(join(bin, 'bolt12d-testnet'), ['--version'], { cwd: scratch })).trim()).toBe('bolt12d-testnet v0.1.0');
    const dir = join(tempDir('b12d-pack-testnet-'), 'net');
    const { spawn } = await import('node:child_process');
    const net = spawn(join(bin, 'bolt12d-testnet'), ['--nodes', '2', '--dir', dir, '--log-level', 'warn'], { cwd: scratch, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    net.stdout!.on('data', (d) => (out += String(d)));
    net.stderr!.on('data', (d) => (out += String(d)));
    try {
      for (let t0 = Date.now(); !out.includes('ready: press Ctrl-C'); ) {
        if (net.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`bolt12d-testnet did not get ready: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const info = JSON.parse(readFileSync(join(dir, 'testnet.json'), 'utf8')) as { nodes: { node_id: string; datadir: string; pid: number }[] };
      expect(info.nodes).toHaveLength(2);
      // the daemons run the installed package's JavaScript (which has no src/: dist/)
      for (const n of info.nodes) {
        const entry = readFileSync(`/proc/${n.pid}/cmdline`, 'utf8').split('\0')[1]!;
        expect(entry, 'the daemon command').toMatch(/\.js$/);
        expect(entry.startsWith(join(scratch, 'node_modules/bolt12d') + '/'), entry).toBe(true);
      }
      const peers = JSON.parse(await ok(join(bin, 'bolt12-cli'), ['--datadir', info.nodes[0]!.datadir, '-l', '{"peers":[{"id":true}]}', 'listpeers'], { cwd: scratch }));
      expect(peers).toEqual({ peers: [{ id: info.nodes[1]!.node_id }] });
      net.kill('SIGTERM');
      await new Promise((r) => (net.exitCode !== null ? r(null) : net.once('exit', r)));
      expect(net.exitCode).toBe(0);
      for (const n of info.nodes) expect(existsSync(`/proc/${n.pid}`)).toBe(false);
    } finally {
      if (net.exitCode === null) net.kill('SIGKILL');
    }
  });

  it('type-checks a TypeScript file against the shipped .d.ts (NodeNext and Bundler resolution)', async () => {
    writeFileSync(join(scratch, 'check.ts'), CHECK_TS);
    const tsc = (resolution: 'NodeNext' | 'Bundler'): Promise<Run> => {
      const module = resolution === 'NodeNext' ? 'NodeNext' : 'ESNext';
      const options = { target: 'ES2022', module, moduleResolution: resolution, strict: true, noEmit: true, skipLibCheck: false, types: ['node'] };
      writeFileSync(join(scratch, `tsconfig.${resolution}.json`), JSON.stringify({ compilerOptions: options, files: ['check.ts'] }));
      return run(process.execPath, [join(REPO_MODULES, 'typescript/bin/tsc'), '-p', `tsconfig.${resolution}.json`], { cwd: scratch });
    };
    for (const r of await Promise.all([tsc('NodeNext'), tsc('Bundler')])) expect(r).toEqual({ code: 0, out: '', err: '' });
    // and a type error in it is reported (the check is not vacuous)
    writeFileSync(join(scratch, 'check.ts'), CHECK_TS + `\nexport const wrong: string = Node;\n`);
    const bad = await tsc('NodeNext');
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/check\.ts\(\d+,\d+\): error TS2322/);
  });
});
