// The composition root: one `Node` owns its key, config, logger and every layer, and is the
// programmatic API. No global state: many Nodes live in one process.
import { chmodSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, statSync, writeSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { hkdfSha256, isPrivateKey, pbkdf2Sha512, publicKey, secureRandom, type RandomSource } from './crypto/index.ts';
import { systemClock, type Clock } from './util/clock.ts';
import { createLogger, formatLogRecord, type LogLevel, type LogSink, type Logger } from './util/log.ts';
import { toHex } from './util/bytes.ts';
import type { Network } from './wire/chains.ts';
import { PeerRegistry, type Peer } from './transport/index.ts';
import { openInvoiceStore, type FdSync, type FdSyncInline, type InvoiceStore } from './invoice-store/index.ts';
import { OnionMessenger, OnionRouter, type OnionMessageLimits } from './onion-message/index.ts';
import { CHAIN_HASH } from './wire/chains.ts';
import { featuresFromBits } from './wire/features.ts';
import { DEFAULT_INIT_FEATURE_BITS } from './transport/features.ts';
import { ChannelGraph, type GraphLimits } from './gossip/graph.ts';
import { GossipSync, type GossipLimits, type GossipMessageStore } from './gossip/sync.ts';
import { MemoryGossipStore } from './gossip/memory-store.ts';
import { compactGossipStore, loadGraph, openGossipStore, type GossipStore } from './gossip/store.ts';
import { GossipSignatureVerifier } from './gossip/gossip-verify-pool.ts';
import { availableParallelism } from 'node:os';
import type { RefundStore } from './invoice-store/index.ts';
import { InvoiceReceiver, NoPaymentBackend, type PaymentBackend, type TestNetworkLedger } from './payments/index.ts';
import { SendInvoiceService, type SendInvoiceOptions, type SendInvoiceParams } from './sendinvoice.ts';
import { InvoiceRequestService, type InvoiceRequestOptions } from './invoicerequest.ts';
import { ChannelManager, fundeeConfig, type ChannelManagerLimits, type FundeeConfig } from './channel/index.ts';
import { ChannelPaymentBackend } from './payments/channels.ts';

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
  /** Gossip rate limits, bounds and timers (defaults in src/gossip/sync.ts). */
  gossipLimits?: Partial<GossipLimits>;
  /** Graph size caps (defaults in src/gossip/graph.ts). */
  graphLimits?: Partial<GraphLimits>;
  /**
   * Worker threads verifying gossip signatures (default: one per core for a node with a datadir,
   * the daemon; 0, on this thread, for nodes without one, as in-process test networks).
   */
  gossipVerifyThreads?: number;
  /** Core Lightning's `--fetchinvoice-noconnect`: never connect to a node just to send it an onion message. */
  fetchinvoiceNoconnect?: boolean;
  /** Seconds without onion messages after which a connection opened only for them closes (default 30; 0 never). */
  onionConnectIdleSeconds?: number;
  /**
   * How this node moves money (src/payments): `none` (default: every invoice we should pay is
   * answered "cannot pay"), the test-network ledger shared by the nodes of one in-process test
   * network (regtest only), or any PaymentBackend.
   */
  payments?: { backend: 'none' } | { backend: 'testnet-ledger'; ledger: TestNetworkLedger } | { backend: PaymentBackend };
  /** sendinvoice resend policy and bounds (defaults in src/sendinvoice.ts). */
  sendinvoice?: Partial<SendInvoiceOptions>;
  /** The refunds we issue (src/invoicerequest.ts). */
  invoicerequest?: Partial<InvoiceRequestOptions>;
  /**
   * Receive-only channels (src/channel): funders whose zero-conf channels we accept (node ids, or
   * `'all'` on regtest only; Core Lightning-style `--trust-funder`), the fundee's policy and bounds.
   * Without trusted funders every open_channel is refused with an error saying why. With some and
   * no `payments` option, the payment backend is `channels`.
   */
  channels?: { trustedFunders?: 'all' | readonly Uint8Array[]; config?: Partial<Omit<FundeeConfig, 'chainHash' | 'trustedFunders'>>; limits?: Partial<ChannelManagerLimits> };
  /** Tests only: how the invoice store flushes a commit to disk (default fs.fdatasync of its WAL). */
  invoiceStoreFdSync?: { background?: FdSync; inline?: FdSyncInline };
}

/**
 * Our `init` features: the transport's defaults plus BOLT 9 `gossip_queries` (7, optional): we keep
 * the whole graph and answer queries, so we are worth querying (BOLT 7, "Query Messages"); and for the
 * receive-only channels (src/channel) BOLT 9 `option_scid_alias` (47) and `option_zeroconf` (51),
 * both optional: we accept zero-conf channels from trusted funders and send an alias in channel_ready.
 */
export const NODE_INIT_FEATURE_BITS: readonly number[] = Object.freeze([...DEFAULT_INIT_FEATURE_BITS, 7, 47, 51].sort((a, b) => a - b));

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

/**
 * The 32 bytes the node key is derived from, out of an `hsm_secret` file in any format Core
 * Lightning writes (common/hsm_secret.c `detect_hsm_secret_type`), so a CLN data directory's
 * secret gives the same node id here:
 * - 32 bytes: the legacy plain secret, used as it is;
 * - 73 bytes: the legacy encrypted format (needs CLN's passphrase): refused;
 * - longer, first 32 bytes zero: a BIP39 mnemonic without passphrase (CLN ≥ 25.12): the seed is
 *   PBKDF2-HMAC-SHA512(NFKD(mnemonic), "mnemonic", 2048, 64) and the node key comes from its
 *   first 32 bytes (hsmd/libhsmd.c);
 * - longer, first 32 bytes not zero: a mnemonic with a passphrase: refused.
 */
export function hsmSecretSeed(file: Uint8Array, path = 'hsm_secret'): Uint8Array {
  if (file.length < 32) throw new NodeError(`${path}: too short (${file.length} bytes; a hsm_secret has at least 32)`);
  if (file.length === 32) return file;
  if (file.length === 73) throw new NodeError(`${path}: an encrypted hsm_secret (Core Lightning's 73-byte format) is not supported`);
  if (!file.subarray(0, 32).every((b) => b === 0)) {
    throw new NodeError(`${path}: a mnemonic hsm_secret protected by a passphrase is not supported`);
  }
  let mnemonic: string;
  try {
    mnemonic = new TextDecoder('utf-8', { fatal: true }).decode(file.subarray(32)).normalize('NFKD');
  } catch {
    throw new NodeError(`${path}: the mnemonic after the first 32 bytes is not UTF-8`);
  }
  const words = mnemonic.split(' ');
  if (words.length < 12 || words.length > 24 || words.length % 3 !== 0 || words.some((w) => !/^[\p{L}\p{M}]+$/u.test(w))) {
    throw new NodeError(`${path}: the mnemonic after the first 32 bytes is not 12 to 24 BIP39 words separated by single spaces`);
  }
  const enc = new TextEncoder();
  return pbkdf2Sha512(enc.encode(mnemonic), enc.encode('mnemonic'), 2048, 64).subarray(0, 32);
}

/** Read `<dir>/hsm_secret` (any format {@link hsmSecretSeed} takes), creating it (32 random bytes, mode 0600) on first start. */
export function loadOrCreateHsmSecret(dir: string, random: RandomSource): Uint8Array {
  const p = join(dir, 'hsm_secret');
  if (existsSync(p)) {
    const b = new Uint8Array(readFileSync(p));
    const seed = hsmSecretSeed(b, p);
    if ((statSync(p).mode & 0o077) !== 0) chmodSync(p, 0o600);
    return seed;
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
  /** The channel graph (BOLT 7 gossip), kept in sync with peers by `gossip`. */
  readonly graph: ChannelGraph;
  readonly gossip: GossipSync;
  readonly gossipStore: GossipMessageStore;
  private readonly gossipVerifier?: GossipSignatureVerifier;
  /** Onion-message routes: paths over the graph and live peers, or a direct connection. */
  readonly router: OnionRouter;
  /** The refunds half of the invoice store (same database as `invoices`). */
  readonly refunds: RefundStore;
  /** How we pay and get paid (src/payments); `payments.name` is getinfo's `payment_backend`. */
  readonly payments: PaymentBackend;
  /** Builds our invoices' payment paths and checks payments that arrive over them. */
  readonly paymentReceiver: InvoiceReceiver;
  /** `sendinvoice`. */
  readonly sendInvoices: SendInvoiceService;
  /** `invoicerequest`, `listinvoicerequests`, `disableinvoicerequest`, and invoices for our refunds. */
  readonly invoiceRequests: InvoiceRequestService;
  /** Receive-only channels: opens from trusted funders, HTLCs to our invoices (src/channel/manager.ts). */
  readonly channels: ChannelManager;
  /** The payment layer's half of the channels: which invoice an HTLC pays (src/payments/channels.ts). */
  readonly channelPayments: ChannelPaymentBackend;
  /** `<datadir>/<network>`, when the node has a datadir. */
  readonly networkDir?: string;
  readonly startedAt: number;
  private readonly nodeSecret: Uint8Array;
  private tcpBinding?: { host: string; port: number };
  private wsBinding?: { host: string; port: number };
  private stopped = false;
  private readonly stopWaiters: Array<() => void> = [];

  /** Use {@link Node.start} (subclasses, as src/rpc/api.ts's typed Node, inherit it). */
  protected constructor(config: NodeConfig, opts: NodeOptions) {
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
      localFeatures: featuresFromBits([...NODE_INIT_FEATURE_BITS]),
    });
    this.graph = new ChannelGraph(opts.graphLimits);
    // The gossip store: `<datadir>/<network>/gossip_store`, loaded at start so a restart does not
    // sync again (memory only without a datadir).
    let loaded = false;
    let fileStore: GossipStore | undefined;
    if (this.networkDir) {
      const gossipLog = this.logger.child('gossip');
      const gs = openGossipStore(this.networkDir, { logger: gossipLog });
      const r = loadGraph(gs, this.graph, { chainHash: CHAIN_HASH[config.network], logger: gossipLog });
      loaded = r.channels > 0;
      if (loaded) gossipLog.info(`loaded ${r.channels} channels, ${r.updates} updates, ${r.nodeAnnouncements} node announcements from the gossip store in ${Math.round(r.ms)} ms`);
      this.gossipStore = fileStore = gs;
    } else {
      this.gossipStore = new MemoryGossipStore();
    }
    const threads = opts.gossipVerifyThreads ?? (this.networkDir ? availableParallelism() : 0);
    const pool = threads > 0 ? (this.gossipVerifier = new GossipSignatureVerifier({ threads })) : undefined;
    this.gossip = new GossipSync({
      chainHash: CHAIN_HASH[config.network],
      ...(pool
        ? {
            // Each message's checks verified together on the pool; several batches in flight.
            verify: async (batch) => {
              const flat = await pool.verify(batch.flat());
              let k = 0;
              return batch.map((checks) => {
                let ok = true;
                for (let i = 0; i < checks.length; i++) ok = flat[k++]! && ok;
                return ok;
              });
            },
            verifyConcurrency: 2 * threads,
          }
        : {}),
      graph: this.graph,
      store: this.gossipStore,
      clock: this.clock,
      logger: this.logger.child('gossip'),
      limits: opts.gossipLimits,
      loaded,
      // Rewrite the store without its garbage once a quarter of its records are deleted (pruned or
      // replaced), as opening it would; the graph's offsets move with it.
      onPrune: () => {
        const c = fileStore?.counts();
        if (fileStore && c && c.deleted > 10_000 && c.deleted > (c.live + c.deleted) / 4) compactGossipStore(fileStore, this.graph);
      },
    });
    if (loaded) this.gossip.prune();
    this.gossip.attach(this.peers);
    this.messenger = new OnionMessenger({
      nodeSecret: this.nodeSecret,
      peers: this.peers,
      logger: this.logger.child('onionmsg'),
      random: this.random,
      clock: this.clock,
      limits: opts.onionMessageLimits,
      scidResolver: {
        // BOLT 4: the next peer is "the peer at the other end of that channel" — a channel of ours.
        peerOfChannel: (scid) => {
          const row = this.graph.channelRow(scid);
          if (row < 0) return undefined;
          const [a, b] = [this.graph.nodeId(this.graph.endOf(row, 0)), this.graph.nodeId(this.graph.endOf(row, 1))];
          return toHex(a) === toHex(this.nodeId) ? b : toHex(b) === toHex(this.nodeId) ? a : undefined;
        },
        nodeOfDirection: (scid, direction) => {
          const row = this.graph.channelRow(scid);
          return row < 0 ? undefined : this.graph.nodeId(this.graph.endOf(row, direction));
        },
      },
    });
    this.router = new OnionRouter({
      self: this.nodeId,
      graph: this.graph,
      peers: this.peers,
      logger: this.logger.child('onionroute'),
      clock: this.clock,
      noconnect: opts.fetchinvoiceNoconnect ?? false,
      ...(opts.onionConnectIdleSeconds !== undefined ? { idleCloseSeconds: opts.onionConnectIdleSeconds } : {}),
      activity: () => new Map(this.messenger.stats().peers.map((p) => [p.nodeId, p.sent + p.received])),
    });
    const store = openInvoiceStore({
      path: this.networkDir ? join(this.networkDir, 'bolt12d.sqlite3') : ':memory:',
      clock: this.clock,
      logger: this.logger.child('invoices'),
      ...(opts.invoiceStoreFdSync ? { fdSync: opts.invoiceStoreFdSync } : {}),
    });
    this.invoices = store;
    this.refunds = store;
    const trusted = opts.channels?.trustedFunders ?? [];
    if (trusted === 'all' && config.network !== 'regtest') {
      void store.close();
      throw new NodeError("--trust-funder all is allowed on regtest only: name each funder's node id");
    }
    this.channelPayments = new ChannelPaymentBackend({ nodeSecret: this.nodeSecret, store, clock: this.clock });
    const pay = opts.payments ?? (trusted === 'all' || trusted.length > 0 ? { backend: this.channelPayments } : { backend: 'none' as const });
    try {
      this.payments = pay.backend === 'none' ? new NoPaymentBackend() : pay.backend === 'testnet-ledger' ? pay.ledger.backendFor({ network: config.network, clock: this.clock }) : pay.backend;
    } catch (e) {
      void store.close();
      throw new NodeError(`payments: ${(e as Error).message}`);
    }
    this.paymentReceiver = new InvoiceReceiver({ nodeSecret: this.nodeSecret, store, clock: this.clock, random: this.random });
    this.payments.attachReceiver(this.paymentReceiver);
    const common = { nodeSecret: this.nodeSecret, nodeId: this.nodeId, network: config.network, clock: this.clock, random: this.random, logger: this.logger, messenger: this.messenger, router: this.router };
    this.sendInvoices = new SendInvoiceService({ ...common, store, receiver: this.paymentReceiver, ...(opts.sendinvoice ? { options: opts.sendinvoice } : {}) });
    this.channels = new ChannelManager({
      peers: this.peers,
      store,
      nodeSecret: this.nodeSecret,
      // Every channel's keys come from this seed and the channel's key index: the same hsm_secret, the same keys.
      channelSeed: hkdfSha256(new Uint8Array(0), this.nodeSecret, 32, new TextEncoder().encode('bolt12d channel seed')),
      config: fundeeConfig({ ...opts.channels?.config, chainHash: CHAIN_HASH[config.network], trustedFunders: trusted === 'all' ? 'all' : trusted.map((t) => Uint8Array.from(t)) }),
      logger: this.logger.child('channels'),
      random: this.random,
      decider: this.channelPayments,
      ...(opts.channels?.limits ? { limits: opts.channels.limits } : {}),
    });
    this.invoiceRequests = new InvoiceRequestService({ ...common, store, payments: this.payments, ...(opts.invoicerequest ? { options: opts.invoicerequest } : {}) });
  }

  /** `sendinvoice` (lightning-sendinvoice(7)): see src/sendinvoice.ts. */
  sendInvoice(p: SendInvoiceParams): ReturnType<SendInvoiceService['sendInvoice']> {
    return this.sendInvoices.sendInvoice(p);
  }

  /** Create a node (of the class it is called on) and start its listeners. */
  static async start<N extends Node>(this: { prototype: N }, opts: NodeOptions = {}): Promise<N> {
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
    const node = new (this as unknown as new (c: NodeConfig, o: NodeOptions) => N)(config, opts);
    try {
      // Stored channels are loaded before any peer can connect (they resume with channel_reestablish).
      await node.channels.start();
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
  /** Resolves to Core Lightning's `stop` answer, as the RPC method does. */
  async stop(): Promise<{ result: string }> {
    const done = { result: 'Shutdown complete' };
    if (this.stopped) return done;
    this.stopped = true;
    this.logger.info('stopping');
    this.sendInvoices.close();
    await this.invoiceRequests.close();
    this.payments.close();
    this.router.close();
    this.messenger.close();
    this.gossip.close();
    await this.channels.stop();
    await this.peers.close();
    this.gossipStore.close?.();
    await this.gossipVerifier?.close();
    await this.invoices.close();
    for (const w of this.stopWaiters.splice(0)) w();
    return done;
  }
}
