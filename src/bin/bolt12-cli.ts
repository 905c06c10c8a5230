// bolt12-cli: talk to a running bolt12d, as lightning-cli talks to lightningd.
//   bolt12-cli [--datadir DIR] [--network NET] [-k] METHOD [params…]
// Positional params are passed in order; with -k they are key=value pairs. Values that parse as
// JSON numbers, booleans, null, objects or arrays are sent as such, others as strings. Prints the
// result as JSON; on a JSON-RPC error prints the error object and exits 1.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { DEFAULT_DATADIR, readConfigFile } from '../rpc/config.ts';
import { rpcCall, RPC_FILENAME } from '../rpc/server.ts';
import { stringifyJson } from '../rpc/json.ts';
import { isNetwork } from '../wire/chains.ts';

const USAGE = `Usage: bolt12-cli [--datadir DIR] [--network NET] [-k] METHOD [params...]
  --datadir DIR   the daemon's data directory (default ${DEFAULT_DATADIR})
  --network NET   regtest (default), testnet, signet or mainnet
  -k              params are key=value pairs
Try 'bolt12-cli help' for the daemon's methods.
`;

function jsonish(v: string): unknown {
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(v) || v === 'true' || v === 'false' || v === 'null' || /^[[{]/.test(v)) {
    try {
      const x = JSON.parse(v);
      // keep integers above 2^53 exact: send them as strings of digits
      if (typeof x === 'number' && !Number.isSafeInteger(x) && /^-?[0-9]+$/.test(v)) return v;
      return x;
    } catch {
      return v;
    }
  }
  return v;
}

async function main(argv: string[]): Promise<number> {
  let datadir = DEFAULT_DATADIR;
  let network: string | undefined;
  let keywords = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--datadir' || a === '--network') {
      const v = argv[++i];
      if (v === undefined) return fail(`${a} needs a value`);
      if (a === '--datadir') datadir = v;
      else network = v;
    } else if (a.startsWith('--datadir=')) datadir = a.slice(10);
    else if (a.startsWith('--network=')) network = a.slice(10);
    else if (a === '-k' || a === '--keywords') keywords = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a.startsWith('-') && !/^-[0-9]/.test(a)) return fail(`unknown option ${a}`);
    else break;
  }
  const method = argv[i++];
  if (!method) return fail('no METHOD given');
  network ??= readConfigFile(join(datadir, 'config'))['network'] ?? 'regtest';
  if (!isNetwork(network)) return fail(`--network: should be regtest, testnet, signet or mainnet`);
  const rest = argv.slice(i);
  let params: unknown;
  if (keywords) {
    const o: Record<string, unknown> = {};
    for (const kv of rest) {
      const eq = kv.indexOf('=');
      if (eq <= 0) return fail(`-k: expected key=value, got '${kv}'`);
      o[kv.slice(0, eq)] = jsonish(kv.slice(eq + 1));
    }
    params = o;
  } else params = rest.map(jsonish);
  const path = join(datadir, network, RPC_FILENAME);
  if (!existsSync(path)) return fail(`no daemon socket at ${path} (is bolt12d running with --datadir ${datadir} --network ${network}?)`);
  let res;
  try {
    res = await rpcCall(path, method, params);
  } catch (e) {
    return fail(`cannot talk to ${path}: ${(e as Error).message}`);
  }
  if (res.error) {
    process.stdout.write(stringifyJson(res.error, 3) + '\n');
    return 1;
  }
  process.stdout.write(typeof res.result === 'string' ? `${res.result}\n` : stringifyJson(res.result, 3) + '\n');
  return 0;
}

function fail(msg: string): number {
  process.stderr.write(`bolt12-cli: ${msg}\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
