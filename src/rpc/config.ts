// Daemon configuration: flags > `<datadir>/<network>/config` > `<datadir>/config` > defaults,
// in Core Lightning's `key=value` config-file format.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isNetwork, type Network } from '../wire/chains.ts';
import { isLogLevel, type LogLevel } from '../util/log.ts';

export interface DaemonConfig {
  /** `--trust-funder`: funders whose zero-conf channels we accept (node ids hex, or 'all' on regtest). */
  trustFunders: 'all' | string[];
  datadir: string;
  network: Network;
  addr: string;
  port?: number;
  wsPort?: number;
  alias?: string;
  logLevel: LogLevel;
  /** Core Lightning's `fetchinvoice-noconnect`. */
  fetchinvoiceNoconnect: boolean;
  /** JSON-RPC over WebSocket: port (absent: off) and address (default 127.0.0.1). */
  rpcWsPort?: number;
  rpcWsAddr: string;
  /** Replace the WebSocket RPC token at start. */
  rpcWsRotateToken: boolean;
  /** Relay gossip every 100 ms instead of every 60 s (test networks; Core Lightning's dev-fast-gossip). */
  devFastGossip: boolean;
  /** Pay and get paid through the test-network ledger served on this unix socket (bolt12d-testnet; regtest only). */
  testnetLedger?: string;
}

export const DEFAULT_DATADIR = join(homedir(), '.bolt12d');

export class ConfigError extends Error {
  readonly code = 'CONFIG';
}

export const DAEMON_FLAGS: Array<{ name: string; arg?: string; help: string; repeat?: boolean }> = [
  {
    name: 'trust-funder',
    arg: 'ID',
    repeat: true,
    help: 'accept zero-conf channels opened by node ID (repeatable; `all` trusts everyone, regtest only); others are refused. There is no chain backend: such a channel is only as safe as its funder is honest (nothing watches the funding output or punishes a revoked commitment)',
  },
  { name: 'datadir', arg: 'DIR', help: `data directory (default ${DEFAULT_DATADIR}); state lives in DIR/<network>/` },
  { name: 'network', arg: 'NET', help: 'regtest (default), testnet, signet or mainnet' },
  { name: 'addr', arg: 'HOST', help: 'address to bind the P2P listeners to (default 127.0.0.1)' },
  { name: 'port', arg: 'N', help: 'TCP port for BOLT 8 peers (default: 19846 regtest, 9735 mainnet, …; 0 = any free port)' },
  { name: 'ws-port', arg: 'N', help: 'WebSocket port carrying BOLT 8, as Core Lightning\'s websocket port (default: off)' },
  { name: 'alias', arg: 'NAME', help: 'node alias shown by getinfo' },
  { name: 'log-level', arg: 'LEVEL', help: 'debug, info (default), warn or error' },
  {
    name: 'fetchinvoice-noconnect',
    help: 'never connect to a node only to send it an onion message: without a path through the gossip graph, sendinvoice fails with 1003 (as Core Lightning)',
  },
  { name: 'rpc-ws-port', arg: 'N', help: 'serve JSON-RPC over WebSocket on this port too (default: off; 0 = any free port); clients must present the token in DIR/<network>/rpc-ws-token' },
  { name: 'rpc-ws-addr', arg: 'HOST', help: 'address for --rpc-ws-port (default 127.0.0.1: only this machine)' },
  { name: 'rpc-ws-rotate-token', help: 'replace the WebSocket RPC token with a new one at start (the old one is refused from then on)' },
  { name: 'dev-fast-gossip', help: 'relay gossip every 100 ms instead of every 60 s (test networks)' },
  { name: 'testnet-ledger', arg: 'SOCKET', help: 'regtest only: pay and get paid through the test-network ledger served on the unix socket SOCKET (bolt12d-testnet starts it)' },
  { name: 'help', help: 'show this help and exit' },
  { name: 'version', help: 'show the version and exit' },
];

/** Parse `--key value` / `--key=value` flags. Unknown flags are errors. */
export function parseFlags(argv: string[], known = DAEMON_FLAGS): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument '${a}' (see --help)`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq >= 0 ? eq : undefined);
    const def = known.find((f) => f.name === name);
    if (!def) throw new ConfigError(`unknown option --${name} (see --help)`);
    if (!def.arg) {
      out[name] = true;
      continue;
    }
    const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new ConfigError(`--${name} needs a value (${def.arg})`);
    // Repeatable options (--trust-funder) collect their values, comma-separated.
    out[name] = def.repeat && typeof out[name] === 'string' ? `${out[name]},${v}` : v;
  }
  return out;
}

/** Read a CLN-style config file: `key=value` lines, `#` comments, blank lines. */
export function readConfigFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(path)) return out;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const l = line.trim();
      if (!l || l.startsWith('#')) return;
      const eq = l.indexOf('=');
      const k = (eq >= 0 ? l.slice(0, eq) : l).trim();
      const def = DAEMON_FLAGS.find((f) => f.name === k);
      // Options with a value, and switches (a bare `fetchinvoice-noconnect` line, as in CLN).
      if (!def || k === 'datadir' || (!def.arg && (eq >= 0 || ['help', 'version'].includes(k)))) throw new ConfigError(`${path}:${i + 1}: unknown option '${k}'`);
      const v = eq >= 0 ? l.slice(eq + 1).trim() : def.arg ? '' : 'true';
      out[k] = def.repeat && out[k] !== undefined ? `${out[k]},${v}` : v;
    });
  return out;
}

function port(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v) || Number(v) > 65535) throw new ConfigError(`${name}: should be a port number 0-65535, got '${v}'`);
  return Number(v);
}

export function resolveDaemonConfig(flags: Record<string, string | true>): DaemonConfig {
  const str = (k: string) => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  const datadir = str('datadir') ?? DEFAULT_DATADIR;
  const base = readConfigFile(join(datadir, 'config'));
  const netName = str('network') ?? base['network'] ?? 'regtest';
  if (!isNetwork(netName)) throw new ConfigError(`network: should be regtest, testnet, signet or mainnet, got '${netName}'`);
  const merged = { ...base, ...readConfigFile(join(datadir, netName, 'config')) } as Record<string, string>;
  for (const [k, v] of Object.entries(flags)) merged[k] = v === true ? 'true' : v;
  const logLevel = merged['log-level'] ?? 'info';
  if (!isLogLevel(logLevel)) throw new ConfigError(`log-level: should be debug, info, warn or error, got '${logLevel}'`);
  return {
    trustFunders: trustFunders(merged['trust-funder'], netName),
    datadir,
    network: netName,
    addr: merged['addr'] ?? '127.0.0.1',
    port: port(merged['port'], 'port'),
    wsPort: port(merged['ws-port'], 'ws-port'),
    alias: merged['alias'],
    logLevel,
    fetchinvoiceNoconnect: merged['fetchinvoice-noconnect'] === 'true',
    rpcWsPort: port(merged['rpc-ws-port'], 'rpc-ws-port'),
    rpcWsAddr: merged['rpc-ws-addr'] ?? '127.0.0.1',
    rpcWsRotateToken: merged['rpc-ws-rotate-token'] === 'true',
    devFastGossip: merged['dev-fast-gossip'] === 'true',
    ...(merged['testnet-ledger'] ? { testnetLedger: merged['testnet-ledger'] } : {}),
  };
}

/** `trust-funder` values: 66-hex-digit node ids, or `all` (regtest only: it trusts any peer with money). */
function trustFunders(v: string | undefined, network: Network): 'all' | string[] {
  if (v === undefined || v === '') return [];
  const ids = v.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '');
  if (ids.includes('all')) {
    if (network !== 'regtest') throw new ConfigError(`trust-funder: 'all' is allowed on regtest only, not ${network}: name each funder's node id`);
    return 'all';
  }
  for (const id of ids) if (!/^0[23][0-9a-f]{64}$/.test(id)) throw new ConfigError(`trust-funder: should be a node id (66 hex digits, 02 or 03 first) or 'all', got '${id}'`);
  return [...new Set(ids)];
}
