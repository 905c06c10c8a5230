// Test networks of separate daemon processes (what `bolt12d-testnet` runs): one `bolt12d` per
// node, each with its own datadir (`<dir>/node<i>`), JSON-RPC socket and P2P port on 127.0.0.1,
// peers along a topology, announced channels as in process (src/testnet/gossip.ts, given to each
// daemon through `addgossip`), and one test-network ledger for all of them, served by this
// process on `<dir>/ledger.sock` (src/testnet/ledger-link.ts; each daemon runs with
// `--testnet-ledger`), so refunds are paid across processes as in process.
//
//   const net = await ProcessTestnet.create({ nodes: 3, dir: '/tmp/b12' });
//   net.nodes[0].datadir   // bolt12-cli --datadir /tmp/b12/node0 getinfo
//   await net.stop();      // SIGTERM to every daemon, the ledger closed
//
// The daemons' keys come from `hsm_secret` files written here before they start (as a daemon
// would write them), so this process can sign their channel announcements.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { publicKey, secureRandom, type RandomSource } from '../crypto/index.ts';
import { hsmSecretSeed, nodeSecretFromHsmSecret } from '../node.ts';
import { rpcCall, RPC_FILENAME } from '../rpc/server.ts';
import { toHex } from '../util/bytes.ts';
import { ownGossip, topologyGossip } from './gossip.ts';
import { LedgerServer } from './ledger-link.ts';
import { components, joiningOrder, topologyEdges, type Topology } from './topology.ts';
import { TestnetError } from './testnet.ts';

export interface ProcessTestnetOptions {
  nodes?: number;
  topology?: Topology;
  gossip?: boolean;
  payments?: 'ledger' | 'none';
  /** Root directory (default: a new one under the system's temp directory, removed by `stop({ removeDir: true })`). */
  dir?: string;
  names?: string[];
  /** The daemons' log level (default info; their logs are in `<datadir>/regtest/log`). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** More `bolt12d` flags for every daemon. */
  daemonArgs?: string[];
  timeoutMs?: number;
  random?: RandomSource;
}

export interface ProcessNode {
  index: number;
  name: string;
  datadir: string;
  /** The JSON-RPC socket (`<datadir>/regtest/lightning-rpc`). */
  rpcPath: string;
  nodeId: string;
  port: number;
  pid: number;
}

/** How to start a `bolt12d`: this package's own launcher, or its entry point (compiled, or the source through tsx). */
export function daemonCommand(): { command: string; args: string[] } {
  // The package's launcher (bin/bolt12d.js, beside src/ and dist/) when there is one: it runs the
  // compiled daemon while dist/ is current, the sources otherwise (bin/_launch.js).
  const launcher = fileURLToPath(new URL('../../bin/bolt12d.js', import.meta.url));
  if (existsSync(launcher)) return { command: process.execPath, args: [launcher] };
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const entry = fileURLToPath(new URL(`../bin/bolt12d${ext}`, import.meta.url));
  // tsx's loader by absolute URL (`--import tsx` would be resolved from the child's working directory).
  if (ext === '.ts') return { command: process.execPath, args: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, entry] };
  return { command: process.execPath, args: [entry] };
}

async function call(path: string, method: string, params: unknown): Promise<any> {
  const a = await rpcCall(path, method, params, 20_000);
  if (a.error) throw new TestnetError(`${method}: ${a.error.code} ${a.error.message}`);
  return a.result;
}

/** Read `<dir>/hsm_secret` or write a new one (32 random bytes, mode 0600), as a daemon would. */
function nodeSecretFor(networkDir: string, random: RandomSource): Uint8Array {
  mkdirSync(networkDir, { recursive: true, mode: 0o700 });
  const p = join(networkDir, 'hsm_secret');
  if (existsSync(p)) return nodeSecretFromHsmSecret(hsmSecretSeed(new Uint8Array(readFileSync(p)), p));
  const secret = random(32);
  const fd = openSync(p, 'wx', 0o600);
  try {
    writeSync(fd, secret);
  } finally {
    closeSync(fd);
  }
  return nodeSecretFromHsmSecret(secret);
}

export class ProcessTestnet {
  readonly nodes: ProcessNode[] = [];
  readonly edges: Array<[number, number]>;
  readonly ledger: LedgerServer | undefined;
  private readonly children: ChildProcess[] = [];
  private readonly made: boolean;
  private stopping?: Promise<void>;

  private constructor(
    readonly dir: string,
    edges: Array<[number, number]>,
    ledger: LedgerServer | undefined,
    made: boolean,
  ) {
    this.edges = edges;
    this.ledger = ledger;
    this.made = made;
  }

  static async create(opts: ProcessTestnetOptions = {}): Promise<ProcessTestnet> {
    const n = opts.nodes ?? 3;
    const edges = topologyEdges(n, opts.topology ?? 'line');
    const random = opts.random ?? secureRandom;
    const made = opts.dir === undefined;
    const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), 'bolt12d-testnet-')));
    mkdirSync(dir, { recursive: true });
    const ledger = (opts.payments ?? 'ledger') === 'ledger' ? new LedgerServer(join(dir, 'ledger.sock')) : undefined;
    const net = new ProcessTestnet(dir, edges, ledger, made);
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    try {
      await ledger?.listen();
      const { command, args } = daemonCommand();
      const secrets: Uint8Array[] = [];
      const names = Array.from({ length: n }, (_, i) => opts.names?.[i] ?? `node${i}`);
      await Promise.all(
        names.map(async (name, i) => {
          const datadir = join(dir, `node${i}`);
          secrets[i] = nodeSecretFor(join(datadir, 'regtest'), random);
          const flags = ['--datadir', datadir, '--network', 'regtest', '--addr', '127.0.0.1', '--port', '0', '--alias', name, '--log-level', opts.logLevel ?? 'info', '--dev-fast-gossip'];
          if (ledger) flags.push('--testnet-ledger', ledger.path);
          const child = spawn(command, [...args, ...flags, ...(opts.daemonArgs ?? [])], { stdio: ['ignore', 'ignore', 'pipe'] });
          net.children.push(child);
          let stderr = '';
          child.stderr!.setEncoding('utf8');
          child.stderr!.on('data', (c: string) => {
            stderr = (stderr + c).slice(-4000);
          });
          const rpcPath = join(datadir, 'regtest', RPC_FILENAME);
          // Up when the socket answers getinfo.
          let info: any;
          for (;;) {
            if (child.exitCode !== null) throw new TestnetError(`${name}: bolt12d exited (${child.exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
            if (Date.now() > deadline) throw new TestnetError(`${name}: bolt12d did not answer on ${rpcPath}`);
            if (existsSync(rpcPath)) {
              try {
                info = await call(rpcPath, 'getinfo', {});
                break;
              } catch {
                /* not yet */
              }
            }
            await new Promise((r) => setTimeout(r, 50));
          }
          if (info.id !== toHex(publicKey(secrets[i]!))) throw new TestnetError(`${name}: node id ${info.id} is not the one its hsm_secret gives`);
          const port = (info.binding as Array<{ type: string; port: number }>).find((b) => b.type === 'ipv4')!.port;
          net.nodes[i] = { index: i, name, datadir, rpcPath, nodeId: info.id, port, pid: child.pid! };
        }),
      );
      const gossip = opts.gossip ?? true;
      if (gossip) {
        const g = topologyGossip({ network: 'regtest', nodes: net.nodes.map((x, i) => ({ nodeSecret: secrets[i]!, alias: x.name, port: x.port })), edges, timestamp: Date.now() / 1000, random });
        await Promise.all(
          net.nodes.map(async (x, i) => {
            for (const m of ownGossip(g, i)) await call(x.rpcPath, 'addgossip', { message: toHex(m) });
          }),
        );
      }
      const connect = ([a, b]: [number, number]) => call(net.nodes[a]!.rpcPath, 'connect', { id: `${net.nodes[b]!.nodeId}@127.0.0.1:${net.nodes[b]!.port}` });
      if (!gossip) await Promise.all(edges.map(connect));
      else {
        // One edge at a time, the next once both ends have synced (see src/testnet/testnet.ts).
        for (const e of joiningOrder(n, edges)) {
          await connect(e);
          for (;;) {
            const synced = await Promise.all(e.map(async (i) => (await call(net.nodes[i]!.rpcPath, 'getinfo', {})).gossip.synced === true));
            if (synced.every(Boolean)) break;
            if (Date.now() > deadline) throw new TestnetError(`nodes ${e[0]} and ${e[1]}: initial gossip sync not done`);
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }
      await net.waitReady(deadline, gossip);
      return net;
    } catch (e) {
      await net.stop({ removeDir: made });
      throw e;
    }
  }

  /** What is missing for the network to count as connected (and synced). */
  async missing(gossip: boolean): Promise<string[]> {
    const out: string[] = [];
    const comps = components(this.nodes.length, this.edges);
    await Promise.all(
      this.nodes.map(async (x, i) => {
        const peers: Array<{ id: string; connected: boolean }> = (await call(x.rpcPath, 'listpeers', {})).peers;
        for (const [a, b] of this.edges) {
          if (a !== i && b !== i) continue;
          const other = this.nodes[a === i ? b : a]!;
          if (!peers.some((p) => p.id === other.nodeId && p.connected)) out.push(`node ${i} not connected to node ${other.index}`);
        }
        if (!gossip) return;
        const comp = comps[i]!;
        const want = this.edges.filter(([a]) => comp.includes(a)).length * 2;
        const channels: unknown[] = (await call(x.rpcPath, 'listchannels', {})).channels;
        if (channels.length < want) out.push(`node ${i} knows ${channels.length / 2} of ${want / 2} channels`);
        const nodes: Array<{ nodeid: string; alias?: string }> = (await call(x.rpcPath, 'listnodes', {})).nodes;
        const announced = nodes.filter((y) => y.alias !== undefined).length;
        if (announced < comp.length) out.push(`node ${i} knows ${announced} of ${comp.length} node announcements`);
        if (comp.length > 1 && !(await call(x.rpcPath, 'getinfo', {})).gossip.synced) out.push(`node ${i}: initial gossip sync not done`);
      }),
    );
    return out;
  }

  private async waitReady(deadline: number, gossip: boolean): Promise<void> {
    for (;;) {
      const m = await this.missing(gossip);
      if (m.length === 0) return;
      if (Date.now() > deadline) throw new TestnetError(`the test network is not ready: ${m.slice(0, 5).join('; ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** What a person needs to reach each node. */
  describe(): string {
    const lines = [`bolt12d test network: ${this.nodes.length} nodes in ${this.dir}${this.ledger ? `, payments through the test-network ledger (${this.ledger.path})` : ', no payments'}`];
    lines.push(`peers: ${this.edges.map(([a, b]) => `${a}-${b}`).join(', ') || 'none'}`);
    for (const x of this.nodes) {
      lines.push('', `${x.name}: node id ${x.nodeId}, 127.0.0.1:${x.port}, datadir ${x.datadir}, pid ${x.pid}`);
      lines.push(`  bolt12-cli --datadir ${x.datadir} getinfo`);
    }
    return lines.join('\n');
  }

  /** SIGTERM every daemon and wait for it, close the ledger; `removeDir` deletes the directory. Idempotent. */
  stop(opts: { removeDir?: boolean } = {}): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(
        this.children.map(
          (c) =>
            new Promise<void>((r) => {
              if (c.exitCode !== null || c.signalCode !== null) return r();
              const kill = setTimeout(() => c.kill('SIGKILL'), 5000);
              c.once('exit', () => {
                clearTimeout(kill);
                r();
              });
              c.kill('SIGTERM');
            }),
        ),
      );
      await this.ledger?.close();
      if (opts.removeDir ?? this.made) rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.stopping;
  }
}
