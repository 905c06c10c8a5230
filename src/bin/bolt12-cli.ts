// bolt12-cli: talk to a running bolt12d, as lightning-cli talks to lightningd.
//   bolt12-cli [--datadir DIR] [--network NET] [-k|-o] [-l FILTER] [-N LEVEL] METHOD [params…]
// Positional params are passed in order; with -k they are key=value pairs. Values that parse as
// JSON numbers, booleans, null, objects or arrays are sent as such, others as strings. Prints the
// result as JSON (a result that is only a message, as `stop`'s, as that line); on a JSON-RPC
// error prints the error object and exits 1. -l passes Core Lightning's `filter` (the result keeps
// only the fields it names); -N prints the command's notifications from LEVEL up to stderr.
//
// It loads only node built-ins and ../rpc/client.ts (with ../rpc/json.ts): no protocol stack, so a
// call costs little more than starting node (test/package/cli.test.ts keeps it so).
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_DATADIR, NETWORKS, NOTIFY_LEVELS, RPC_FILENAME, indentJson, jsonMemberText, rpcCallRaw, type RpcNotification } from '../rpc/client.ts';

/** The `network=` line of a Core Lightning-style config file (`key=value`, `#` comments), if any. */
function configNetwork(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  let network: string | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const l = line.trim();
    const eq = l.indexOf('=');
    if (!l.startsWith('#') && eq > 0 && l.slice(0, eq).trim() === 'network') network = l.slice(eq + 1).trim();
  }
  return network;
}

const USAGE = `Usage: bolt12-cli [--datadir DIR] [--network NET] [-k|-o] [-l FILTER] [-N LEVEL] METHOD [params...]
  --datadir DIR        the daemon's data directory (default ${DEFAULT_DATADIR})
  --network NET        regtest (default), testnet, signet or mainnet
  -k, --keywords       params are key=value pairs
  -o, --order          params are in order (the default)
  -l, --filter JSON    keep only the result fields JSON names, e.g. '{"peers":[{"id":true}]}'
  -N, --notifications LEVEL
                       print the command's notifications from LEVEL (io, trace, debug, info,
                       unusual, broken) up to stderr, as '# message'; none (default) asks for none
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
  let filterText: string | undefined;
  let level: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const takesValue = ['--datadir', '--network', '-l', '--filter', '-N', '--notifications'].includes(name);
    let v: string | undefined;
    if (takesValue) {
      v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) return fail(`${a} needs a value`);
    }
    if (name === '--datadir') datadir = v!;
    else if (name === '--network') network = v!;
    else if (name === '-l' || name === '--filter') filterText = v!;
    else if (name === '-N' || name === '--notifications') level = v!;
    else if (a === '-k' || a === '--keywords') keywords = true;
    else if (a === '-o' || a === '--order') keywords = false;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (a.startsWith('-') && !/^-[0-9]/.test(a)) return fail(`unknown option ${a}`);
    else break;
  }
  const method = argv[i++];
  if (!method) return fail('no METHOD given');
  network ??= configNetwork(join(datadir, 'config')) ?? 'regtest';
  if (!(NETWORKS as readonly string[]).includes(network)) return fail(`--network: should be regtest, testnet, signet or mainnet`);
  let filter: unknown;
  if (filterText !== undefined) {
    try {
      filter = JSON.parse(filterText);
    } catch {
      return fail(`--filter: not JSON: ${filterText}`);
    }
  }
  let minLevel = -1;
  if (level !== undefined && level !== 'none') {
    minLevel = (NOTIFY_LEVELS as readonly string[]).indexOf(level);
    if (minLevel < 0) return fail(`--notifications: should be none or one of ${NOTIFY_LEVELS.join(', ')}`);
  }
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
    res = await rpcCallRaw(path, method, params, {
      ...(filter !== undefined ? { filter } : {}),
      ...(minLevel >= 0
        ? {
            onNotification: (n: RpcNotification) => {
              const lv = NOTIFY_LEVELS.indexOf(n.params['level'] as (typeof NOTIFY_LEVELS)[number]);
              if (n.method === 'message' && lv >= minLevel) process.stderr.write(`# ${String(n.params['message'])}\n`);
              else if (n.method === 'progress' && minLevel <= NOTIFY_LEVELS.indexOf('info')) process.stderr.write(`# ${Number(n.params['num']) + 1}/${String(n.params['total'])}\n`);
            },
          }
        : {}),
    });
  } catch (e) {
    return fail(`cannot talk to ${path}: ${(e as Error).message}`);
  }
  // Printed from the answer's own text, so numbers above 2^53 stay exact (as lightning-cli).
  const { text, answer } = res;
  if (answer.error) {
    process.stdout.write(indentJson(jsonMemberText(text, 'error') ?? 'null') + '\n');
    return 1;
  }
  const r = answer.result;
  // `stop` answers {"result": "Shutdown complete"} (CLN since v24.05): print the message
  const message = typeof r === 'string' ? r : r && typeof r === 'object' && Object.keys(r).length === 1 && typeof (r as { result?: unknown }).result === 'string' ? (r as { result: string }).result : undefined;
  process.stdout.write(message !== undefined ? `${message}\n` : indentJson(jsonMemberText(text, 'result') ?? 'null') + '\n');
  return 0;
}

function fail(msg: string): number {
  process.stderr.write(`bolt12-cli: ${msg}\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
