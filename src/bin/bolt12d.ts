// bolt12d: the peer daemon. `bolt12d --help` lists the flags.
import { ConfigError, DAEMON_FLAGS, parseFlags, resolveDaemonConfig } from '../rpc/config.ts';
import { startDaemon } from '../rpc/daemon.ts';
import { VERSION } from '../node.ts';
import { RpcToken } from '../rpc/token.ts';
import { RemoteLedgerBackend } from '../testnet/ledger-link.ts';

function usage(): string {
  const lines = DAEMON_FLAGS.map((f) => `  --${f.name}${f.arg ? ` ${f.arg}` : ''}`.padEnd(24) + f.help);
  return `Usage: bolt12d [options]\n\nA BOLT 12 node daemon: peers over BOLT 8 (TCP, WebSocket), JSON-RPC on <datadir>/<network>/lightning-rpc (and over WebSocket with --rpc-ws-port).\nOptions may also be set as key=value lines in <datadir>/config or <datadir>/<network>/config.\n\n${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bolt12d: ${(e as Error).message}\n`);
    return 1;
  }
  if (flags['help']) {
    process.stdout.write(usage());
    return 0;
  }
  if (flags['version']) {
    process.stdout.write(`bolt12d v${VERSION}\n`);
    return 0;
  }
  let daemon;
  try {
    const cfg = resolveDaemonConfig(flags);
    if (cfg.testnetLedger !== undefined && cfg.network !== 'regtest') throw new ConfigError(`testnet-ledger: the test-network ledger moves no real money and runs on regtest only, not ${cfg.network}`);
    daemon = await startDaemon({
      datadir: cfg.datadir,
      network: cfg.network,
      addr: cfg.addr,
      port: cfg.port,
      wsPort: cfg.wsPort ?? null,
      alias: cfg.alias,
      logLevel: cfg.logLevel,
      fetchinvoiceNoconnect: cfg.fetchinvoiceNoconnect,
      // --trust-funder: zero-conf channels from these funders (src/channel); 'all' only on regtest (config.ts checks).
      channels: { trustedFunders: cfg.trustFunders === 'all' ? 'all' : cfg.trustFunders.map((h) => Uint8Array.from(Buffer.from(h, 'hex'))) },
      logToStderr: true,
      ...(cfg.rpcWsPort !== undefined ? { rpcWs: { host: cfg.rpcWsAddr, port: cfg.rpcWsPort, rotateToken: cfg.rpcWsRotateToken } } : {}),
      ...(cfg.devFastGossip ? { gossipLimits: { flushIntervalMs: 100, maxFilterPeers: 64 } } : {}),
      ...(cfg.testnetLedger !== undefined ? { payments: { backend: new RemoteLedgerBackend(cfg.testnetLedger) } } : {}),
    });
    if (cfg.rpcWsRotateToken && cfg.rpcWsPort === undefined) {
      // Rotating without serving WebSocket RPC: the file alone.
      new RpcToken(daemon.node.networkDir!, daemon.node.random).rotate();
    }
  } catch (e) {
    process.stderr.write(`bolt12d: ${e instanceof ConfigError ? '' : 'cannot start: '}${(e as Error).message}\n`);
    return 1;
  }
  // A promise nobody awaited must not take the daemon (and every peer) down: log it loudly.
  process.on('unhandledRejection', (e) => daemon.node.logger.error(`unhandled rejection: ${(e as Error)?.stack ?? String(e)}`));
  const onSignal = () => void daemon.shutdown();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await daemon.stopped;
  return 0;
}

process.exitCode = await main();
