// The composition root: one `Node` owns its key, config, logger and every layer, and is the
// programmatic API. No global state: many Nodes live in one process.
import { chmodSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, statSync, writeSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { hkdfSha256, isPrivateKey, publicKey, secureRandom, type RandomSource } from './crypto/index.ts';
import { systemClock, type Clock } from './util/clock.ts';
import { createLogger, formatLogRecord, type LogLevel, type LogSink, type Logger } from './util/log.ts';
import { toHex } from './util/bytes.ts';
import type { Network } from './wire/chains.ts';
import { PeerRegistry, type Peer } from './transport/index.ts';
import { openInvoiceStore, type InvoiceStore } from './invoice-store/index.ts';
import { OnionMessenger, type OnionMessageLimits } from './onion-message/index.ts';

export const VERSION = '0.1.0';

/** Default P2P ports, as Core Lightning uses them. */
export const DEFAULT_PORT: Record<Network, number> = { mainnet: 9735, testnet: 19735, signet: 39735, regtest: 19846 };

export interface NodeConfig {
  /** Where state lives (`<datadir>/<network>/…`). Absent: nothing is written to disk (tests). */
  datadir?: string;
  network: Network;
  /** Bind address for the P2P listeners. */
  addr: string;
  /** TCP port; 0 picks a free one; null disables the TCP listener. */
  port: number | null;
  /** WebSocket port; 0 picks a free one; null (default) disables it. */
  wsPort: number | null;
  alias: string;
  logLevel: LogLevel;
}

export interface NodeOptions extends Partial<NodeConfig> {
  /** Overrides the key derived from `hsm_secret` (tests). */
  nodeSecret?: Uint8Array;
  clock?: Clock;
  random?: RandomSource;
  /** Extra log sinks (tests assert on log lines). Logs also go to stderr when `logToStderr`. */
  logSinks?: LogSink[];
  logToStderr?: boolean;
  /** Onion message rate limits and queue bounds (defaults in src/onion-message/limits.ts). */
  onionMessageLimits?: Partial<OnionMessageLimits>;
}

/** Raised when the node cannot start (bad datadir, unreadable hsm_secret…). */
export class NodeError extends Error {
  readonly code = 'NODE';
}

/**
 * Derive the node key from `hsm_secret` as Core Lightning's hsmd does, so the same secret gives
 * the same node id: HKDF-SHA256(ikm = hsm_secret, salt = u32 counter (little-endian, from 0),
 * info = "nodeid"), the counter bumped until the result is a valid scalar.
 */
export function nodeSecretFromHsmSecret(hsmSecret: Uint8Array): Uint8Array {
  for (let salt = 0; ; salt++) {
    const s = new Uint8Array(4);
    new DataView(s.buffer).setUint32(0, salt, true);
    const k = hkdfSha256(s, hsmSecret, 32, new TextEncoder().encode('nodeid'));
    if (isPrivateKey(k)) return k;
  }
}

/** Read `<dir>/hsm_secret`, creating it (32 random bytes, mode 0600) on first start. */
export function loadOrCreateHsmSecret(dir: string, random: RandomSource): Uint8Array {
  const p = join(dir, 'hsm_secret');
  if (existsSync(p)) {
    const b = new Uint8Array(readFileSync(p));
    if (b.length !== 32) throw new NodeError(`${p}: hsm_secret must be exactly 32 bytes (found ${b.length})`);
    if ((statSync(p).mode & 0o077) !== 0) chmodSync(p, 0o600);
    return b;
  }
  const secret = random(32);
  // 'wx': never overwrite a secret that appeared meanwhile.
  const fd = openSync(p, 'wx', 0o600);
  try {
    writeSync(fd, secret);
  } finally {
    closeSync(fd);
  }
  return secret;
}

export class Node {
  readonly config: NodeConfig;
  readonly nodeId: Uint8Array;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly peers: PeerRegistry;
  readonly invoices: InvoiceStore;
  readonly messenger: OnionMessenger;
  /** `<datadir>/<network>`, when the node has a datadir. */
  readonly networkDir?: string;
  readonly startedAt: number;
  private readonly nodeSecret: Uint8Array;
  private tcpBinding?: { host: string; port: number };
  private wsBinding?: { host: string; port: number };
  private stopped = false;
  private readonly stopWaiters: Array<() => void> = [];

  private constructor(config: NodeConfig, opts: NodeOptions) {
    this.config = config;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? secureRandom;
    this.startedAt = this.clock.now();
    const sinks: LogSink[] = [...(opts.logSinks ?? [])];
    if (config.datadir) {
      this.networkDir = join(config.datadir, config.network);
      mkdirSync(this.networkDir, { recursive: true, mode: 0o700 });
      const logPath = join(this.networkDir, 'log');
      sinks.push((r) => {
        try {
          appendFileSync(logPath, formatLogRecord(r) + '\n');
        } catch {
          /* a full disk must not kill the node */
        }
      });
    }
    if (opts.logToStderr) sinks.push((r) => process.stderr.write(formatLogRecord(r) + '\n'));
    this.logger = createLogger({ level: config.logLevel, sinks, now: () => this.clock.now() });

    if (opts.nodeSecret) {
      if (!isPrivateKey(opts.nodeSecret)) throw new NodeError('nodeSecret: not a valid secp256k1 secret key');
      this.nodeSecret = opts.nodeSecret;
    } else if (this.networkDir) {
      this.nodeSecret = nodeSecretFromHsmSecret(loadOrCreateHsmSecret(this.networkDir, this.random));
    } else {
      this.nodeSecret = nodeSecretFromHsmSecret(this.random(32));
    }
    this.nodeId = publicKey(this.nodeSecret);

    this.peers = new PeerRegistry({
      nodeSecret: this.nodeSecret,
      network: config.network,
      logger: this.logger,
      random: this.random,
    });
    this.messenger = new OnionMessenger({
      nodeSecret: this.nodeSecret,
      peers: this.peers,
      logger: this.logger.child('onionmsg'),
      random: this.random,
      clock: this.clock,
      limits: opts.onionMessageLimits,
    });
    this.invoices = openInvoiceStore({
      path: this.networkDir ? join(this.networkDir, 'bolt12d.sqlite3') : ':memory:',
      clock: this.clock,
      logger: this.logger.child('invoices'),
    });
  }

  /** Create a node and start its listeners. */
  static async start(opts: NodeOptions = {}): Promise<Node> {
    const network = opts.network ?? 'regtest';
    const config: NodeConfig = {
      datadir: opts.datadir,
      network,
      addr: opts.addr ?? '127.0.0.1',
      port: opts.port === undefined ? DEFAULT_PORT[network] : opts.port,
      wsPort: opts.wsPort ?? null,
      alias: opts.alias ?? 'bolt12d',
      logLevel: opts.logLevel ?? 'info',
    };
    const node = new Node(config, opts);
    try {
      if (config.port !== null) node.tcpBinding = await node.peers.listenTcp(config.addr, config.port);
      if (config.wsPort !== null) node.wsBinding = await node.peers.listenWs(config.addr, config.wsPort);
    } catch (e) {
      await node.stop();
      throw new NodeError(`cannot listen on ${config.addr}: ${(e as Error).message}`);
    }
    node.logger.info(
      `bolt12d ${VERSION} node ${toHex(node.nodeId)} on ${network}` +
        (node.tcpBinding ? `, tcp ${node.tcpBinding.host}:${node.tcpBinding.port}` : '') +
        (node.wsBinding ? `, ws ${node.wsBinding.host}:${node.wsBinding.port}` : ''),
    );
    return node;
  }

  get nodeIdHex(): string {
    return toHex(this.nodeId);
  }
  /** The bound TCP address (with the real port when 0 was asked). */
  get tcpAddress(): { host: string; port: number } | undefined {
    return this.tcpBinding;
  }
  get wsAddress(): { host: string; port: number } | undefined {
    return this.wsBinding;
  }
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Feature vectors as Core Lightning's `getinfo.our_features` shows them (hex). */
  ourFeatures(): { init: string; node: string; channel: string; invoice: string } {
    const f = toHex(this.peers.localFeatures);
    return { init: f, node: f, channel: '', invoice: '' };
  }

  /** Connect to a peer over TCP (default) or WebSocket; resolves once `init` is exchanged. */
  async connect(nodeId: Uint8Array, host: string, port: number, transport: 'tcp' | 'ws' = 'tcp'): Promise<Peer> {
    return this.peers.connect(nodeId, host, port, { transport });
  }

  /** Resolves when the node has stopped. */
  waitStopped(): Promise<void> {
    return this.stopped ? Promise.resolve() : new Promise((r) => this.stopWaiters.push(r));
  }

  /** Disconnect every peer, close listeners and the store. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.logger.info('stopping');
    this.messenger.close();
    await this.peers.close();
    await this.invoices.close();
    for (const w of this.stopWaiters.splice(0)) w();
  }
}
