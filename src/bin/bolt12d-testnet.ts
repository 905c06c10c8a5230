// bolt12d-testnet: a test network of separate bolt12d daemons on 127.0.0.1 (src/testnet/processes.ts),
// each with its own datadir, peers along a topology, announced channels between neighbours, and
// one test-network ledger for all (served by this process), so refunds get paid. Prints how to
// reach each node, writes the same as JSON to <dir>/testnet.json, and runs until Ctrl-C (or
// SIGTERM), which stops every daemon.
//
//   bolt12d-testnet [--nodes N] [--topology line|star|mesh|0-1,1-2,…] [--dir DIR] [--no-gossip]
//                   [--payments ledger|none] [--log-level LEVEL]
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VERSION } from '../node.ts';
import { ProcessTestnet } from '../testnet/processes.ts';
import { parseTopology, TopologyError, type Topology } from '../testnet/topology.ts';

const USAGE = `Usage: bolt12d-testnet [options]

Start a test network of bolt12d daemons on 127.0.0.1 (regtest), each with its own datadir
DIR/node<i> and JSON-RPC socket, and keep it running until Ctrl-C.

  --nodes N            how many nodes (default 3)
  --topology T         which nodes are peers: line (default: 0-1-2…), star (node 0 the hub),
                       mesh (all pairs), or edges such as 0-1,1-2,0-2
  --dir DIR            where the datadirs go (default: a new temporary directory, removed on
                       exit); given, it is kept, and a DIR of an earlier run restarts that network
  --no-gossip          peers only: no announced channels (onion messages then reach neighbours only)
  --payments P         ledger (default): one test-network ledger for all nodes, so a refund's
                       issuer pays the invoices it is sent; none: every payment refused
  --log-level LEVEL    the daemons' log level: debug, info (default), warn, error
                       (their logs are in DIR/node<i>/regtest/log)
  --help, --version

Then, for example: bolt12-cli --datadir DIR/node0 getinfo
`;

function fail(msg: string): number {
  process.stderr.write(`bolt12d-testnet: ${msg}\n`);
  return 1;
}

async function main(argv: string[]): Promise<number> {
  let nodes = 3;
  let topology: Topology = 'line';
  let dir: string | undefined;
  let gossip = true;
  let payments: 'ledger' | 'none' = 'ledger';
  let logLevel: 'debug' | 'info' | 'warn' | 'error' = 'info';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    try {
      if (name === '--help' || name === '-h') {
        process.stdout.write(USAGE);
        return 0;
      } else if (name === '--version') {
        process.stdout.write(`bolt12d-testnet v${VERSION}\n`);
        return 0;
      } else if (name === '--nodes') {
        const v = value();
        if (!/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 64) return fail(`--nodes: should be a number from 1 to 64, got '${v}'`);
        nodes = Number(v);
      } else if (name === '--topology') topology = parseTopology(value());
      else if (name === '--dir') dir = resolve(value());
      else if (name === '--no-gossip') gossip = false;
      else if (name === '--payments') {
        const v = value();
        if (v !== 'ledger' && v !== 'none') return fail(`--payments: should be ledger or none, got '${v}'`);
        payments = v;
      } else if (name === '--log-level') {
        const v = value();
        if (!['debug', 'info', 'warn', 'error'].includes(v)) return fail(`--log-level: should be debug, info, warn or error, got '${v}'`);
        logLevel = v as typeof logLevel;
      } else return fail(`unknown option ${a} (see --help)`);
    } catch (e) {
      return fail(e instanceof TopologyError ? e.message : (e as Error).message);
    }
  }
  if (dir && existsSync(dir) && readdirSync(dir).some((f) => !/^node[0-9]+$/.test(f) && f !== 'testnet.json' && f !== 'ledger.sock')) {
    return fail(`${dir} holds other files than a test network's: give an empty or new directory`);
  }
  process.stdout.write(`starting ${nodes} bolt12d nodes…\n`);
  let net: ProcessTestnet;
  try {
    net = await ProcessTestnet.create({ nodes, topology, gossip, payments, logLevel, ...(dir ? { dir } : {}) });
  } catch (e) {
    return fail(`cannot start the test network: ${(e as Error).message}`);
  }
  const info = {
    dir: net.dir,
    ledger: net.ledger?.path ?? null,
    edges: net.edges,
    nodes: net.nodes.map((x) => ({ name: x.name, node_id: x.nodeId, address: `127.0.0.1:${x.port}`, datadir: x.datadir, rpc: x.rpcPath, pid: x.pid })),
  };
  writeFileSync(join(net.dir, 'testnet.json'), JSON.stringify(info, null, 2) + '\n');
  process.stdout.write(`${net.describe()}\n\n(also in ${join(net.dir, 'testnet.json')})\nready: press Ctrl-C to stop the network\n`);
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  process.stdout.write('stopping the test network…\n');
  await net.stop();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
