// The channel manager: the I/O glue between the transport (PeerRegistry), the fundee's pure state
// machine (fundee.ts), durable storage (the invoice store's ChannelStore) and the payment layer
// (an HtlcDecider). Receive-only: peers open channels to us and pay over them.
//
//   const m = new ChannelManager({ peers, store, nodeSecret, channelSeed, config, logger, random });
//   m.setDecider(decider);                    // the payments layer: path_id → invoice → preimage
//   await m.start();                          // loads every stored channel, subscribes to BOLT 2
//   m.channels();                             // listpeerchannels
//   await m.close(channelId);                 // mutual close
//
// The contract of fundee.ts is kept for every step, in this order (README.md, "I/O contract"):
//   1. `persist` → the whole channel state is committed (fsync) BEFORE any outbound message
//      leaves; for a fulfilment, in ONE transaction with the invoice's paid mark;
//   2. the outbound messages, in order, to the connection the channel was reestablished on;
//   3. the other effects (HTLC decisions, disconnect after sending, logs, events).
// Each channel has one queue, worked one event at a time: a message is stepped only after the
// previous step's state is durable and its messages are sent. Consecutive decisions (several HTLCs
// irrevocably committed by one revoke_and_ack) are stepped together and persisted once.
//
// Connections: a channel is bound to the Peer object it sent channel_reestablish on; messages from
// another (older) connection of the same node are dropped, and a replaced connection counts as a
// disconnect followed by a connect. A restart loads every channel disconnected and asks the
// payment layer again about irrevocably committed HTLCs still undecided (pendingHtlcDecisions).
//
// No chain backend yet: channels are accepted only from funders we trust (zero-conf), and such a
// channel is only as safe as its funder is honest (nothing watches the funding output, nothing
// punishes a revoked commitment). That is said in the log at start.
import { EventEmitter } from 'node:events';
import type { RandomSource } from '../crypto/index.ts';
import type { ChannelStore, StoredChannel } from '../invoice-store/index.ts';
import { InvoiceStoreError } from '../invoice-store/index.ts';
import type { Peer } from '../transport/index.ts';
import type { Logger } from '../util/log.ts';
import { bytesEqual, toHex } from '../util/bytes.ts';
import { MSG } from '../wire/messages.ts';
import { WireError } from '../wire/errors.ts';
import { CHANNEL_MSG, channelMessageType, decodeChannelPayload, encodeChannelPayload, type ChannelWireMessage } from '../wire/channel.ts';
import { deriveChannelKeys } from './channel-keys.ts';
import { acceptOpenChannel, fundeeStep, isTrustedFunder, pendingHtlcDecisions } from './fundee.ts';
import { deserializeChannelState, serializeChannelState } from './state-codec.ts';
import {
  failurePacket,
  FAILURE_CODE,
  finalIncorrectCltvExpiry,
  finalIncorrectHtlcAmount,
  incorrectPaymentDetails,
  invalidOnionBlinding,
  invalidOnionPayload,
  peelPaymentOnion,
  temporaryNodeFailure,
  unknownNextPeer,
  PAYLOAD_TLV,
  type FailureMessage,
} from './payment-onion.ts';
import type { ChannelEffect, ChannelEvent, ChannelState, FundeeConfig, FundeeContext, FundeeState, IncomingHtlc, MustFailReason, PendingOpen, StepResult } from './state.ts';

// ---------------------------------------------------------------------------------------------
// The payment layer's side

/** An HTLC that reached us as the final hop of a blinded path, as the payment layer sees it. */
export interface FinalHtlc {
  channelId: Uint8Array;
  peerId: Uint8Array;
  htlcId: bigint;
  paymentHash: Uint8Array;
  /** The HTLC's `amount_msat` (what we receive). */
  amountMsat: bigint;
  cltvExpiry: number;
  /** The path key for our `encrypted_recipient_data` (update_add_htlc's or `current_path_key`). */
  pathKey: Uint8Array;
  encryptedRecipientData: Uint8Array;
  /** `amt_to_forward`, `outgoing_cltv_value`, `total_amount_msat` of our payload. */
  amtToForward: bigint;
  outgoingCltvValue: number;
  totalAmountMsat: bigint;
}

export type HtlcDecision =
  /** Fulfil with the preimage; `paid` is committed with the fulfilment in one transaction. */
  | { kind: 'fulfill'; preimage: Uint8Array; paid: { paymentHash: Uint8Array; amountReceivedMsat: bigint } }
  /** Refuse: BOLT 4 `incorrect_or_unknown_payment_details` (every recipient-side refusal). */
  | { kind: 'reject'; reason: string };

/** The payment layer (src/payments/channels.ts): which invoice an HTLC pays, and whether it may. */
export interface HtlcDecider {
  decide(h: FinalHtlc): HtlcDecision;
}

// ---------------------------------------------------------------------------------------------
// Options, views, events

/** The transport as the manager uses it (a PeerRegistry). */
export interface ChannelPeers {
  readonly nodeId: Uint8Array;
  readonly localFeatures: Uint8Array;
  onMessage(type: number, handler: (peer: Peer, payload: Uint8Array) => void): () => void;
  on(event: 'connect' | 'disconnect', l: (peer: Peer, reason: string) => void): unknown;
  off(event: 'connect' | 'disconnect', l: (peer: Peer, reason: string) => void): unknown;
  get(nodeId: Uint8Array): Peer | undefined;
}

export interface ChannelManagerLimits {
  /** Opens in progress (accept_channel sent, funding_created not yet) per peer. */
  maxPendingOpensPerPeer: number;
  /** Channels not closed per peer. */
  maxChannelsPerPeer: number;
  /** Channels not closed on this node. */
  maxChannels: number;
}

export const DEFAULT_CHANNEL_LIMITS: ChannelManagerLimits = { maxPendingOpensPerPeer: 2, maxChannelsPerPeer: 16, maxChannels: 1000 };

export interface ChannelManagerOptions {
  peers: ChannelPeers;
  store: ChannelStore;
  /** Our node key: the payment onion of every HTLC is peeled with it. */
  nodeSecret: Uint8Array;
  /** 32 bytes; every channel's keys derive from it and the channel's key index. */
  channelSeed: Uint8Array;
  config: FundeeConfig;
  logger: Logger;
  random: RandomSource;
  decider?: HtlcDecider;
  /** The chain's height when a chain layer knows it (the `height` of our failure messages). */
  blockHeight?: () => number | undefined;
  limits?: Partial<ChannelManagerLimits>;
}

/** A channel as listpeerchannels shows it. */
export interface ChannelSummary {
  peerId: Uint8Array;
  channelId: Uint8Array;
  phase: ChannelState['phase'];
  connected: boolean;
  fundingTxid: Uint8Array;
  fundingOutnum: number;
  fundingSatoshis: bigint;
  /** Ours on our current commitment (we pay no fee: the funder does). */
  toUsMsat: bigint;
  toThemMsat: bigint;
  ourAlias: bigint;
  theirAlias?: bigint;
  shortChannelId?: bigint;
  /** HTLCs on our current commitment (all offered by them). */
  htlcs: { id: bigint; amountMsat: bigint; paymentHash: Uint8Array; cltvExpiry: number; state: string }[];
  ourReserveSat: bigint;
  theirReserveSat: bigint;
  feeratePerKw: number;
  /** Mutual close, once agreed. */
  closing?: { txid: Uint8Array; tx: Uint8Array; feeSatoshis: bigint };
  failure?: string;
  state: ChannelState;
}

/** What the manager tells listeners (`on('channel', …)`): every effect worth knowing outside. */
export type ChannelManagerEvent =
  | { kind: 'channel_funded'; channelId: Uint8Array; peerId: Uint8Array }
  | { kind: 'channel_ready'; channelId: Uint8Array; peerId: Uint8Array }
  | { kind: 'htlc_fulfilled'; channelId: Uint8Array; htlcId: bigint; paymentHash: Uint8Array; amountMsat: bigint }
  | { kind: 'htlc_failed'; channelId: Uint8Array; htlcId: bigint; paymentHash: Uint8Array; reason: string }
  | { kind: 'htlc_settled'; channelId: Uint8Array; htlcId: bigint; outcome: 'fulfilled' | 'failed' }
  | { kind: 'channel_closed'; channelId: Uint8Array; txid: Uint8Array }
  | { kind: 'channel_failed'; channelId: Uint8Array; reason: string };

export const CHANNEL_SAFETY_WARNING =
  'channels: no chain backend: channels are accepted only from trusted funders (--trust-funder), zero-conf, and are only as safe as their funder is honest (nothing watches the funding output or punishes a revoked commitment)';

// ---------------------------------------------------------------------------------------------
// Internals

interface QueueItem {
  ev: ChannelEvent;
  /** The connection a message or a connect/disconnect came from. */
  peer?: Peer;
  /** Invoices to mark paid in the persist of this step. */
  paid?: { paymentHash: Uint8Array; amountReceivedMsat: bigint; requireUnpaid: boolean }[];
  /** When the persist of this step is refused by the store (the paid mark could not be made). */
  onRefused?: (e: InvoiceStoreError) => void;
  /** Once the step is durable and its messages sent. */
  onDone?: () => void;
}

interface Entry {
  /** hex channel_id, or `pending:<peer>:<temporary_channel_id>` before funding_created. */
  key: string;
  peerId: Uint8Array;
  peerHex: string;
  state: FundeeState;
  ctx: FundeeContext;
  /** The connection the channel lives on (pending opens: the one open_channel came on). */
  bound?: Peer;
  queue: QueueItem[];
  running: boolean;
  /** The mutual close waiting callers. */
  closeWaiters: { resolve: (s: ChannelSummary) => void; reject: (e: Error) => void }[];
}

const isChannel = (s: FundeeState): s is ChannelState => s.phase !== 'awaiting_funding_created';
const ZERO32 = new Uint8Array(32);

export class ChannelManagerError extends Error {
  constructor(
    readonly reason: 'unknown_channel' | 'refused' | 'closed',
    message: string,
  ) {
    super(message);
  }
}

export class ChannelManager extends EventEmitter {
  private readonly o: ChannelManagerOptions;
  private readonly log: Logger;
  private readonly limits: ChannelManagerLimits;
  /** Funded channels by hex channel_id, and pending opens by `pending:<peer>:<temp id>`. */
  private readonly entries = new Map<string, Entry>();
  private readonly unsubscribe: (() => void)[] = [];
  private decider: HtlcDecider | undefined;
  private closed = false;
  private started = false;
  private readonly onConnect = (p: Peer) => this.peerConnected(p);
  private readonly onDisconnect = (p: Peer) => this.peerDisconnected(p);
  /** Keys derived once, for refusing opens without allocating a key index. */
  private refusalKeys?: FundeeContext['keys'];
  /** Work in flight (steps being persisted), for stop() and tests. */
  private readonly inflight = new Set<Promise<void>>();
  readonly stats = { opensAccepted: 0, opensRefused: 0, htlcsFulfilled: 0, htlcsFailed: 0, persists: 0, persistFailures: 0 };

  constructor(o: ChannelManagerOptions) {
    super();
    this.o = o;
    this.log = o.logger;
    this.limits = { ...DEFAULT_CHANNEL_LIMITS, ...o.limits };
    this.decider = o.decider;
    if (o.channelSeed.length !== 32) throw new RangeError('ChannelManager: channelSeed must be 32 bytes');
  }

  setDecider(d: HtlcDecider): void {
    this.decider = d;
  }

  get config(): FundeeConfig {
    return this.o.config;
  }

  /** Load every stored channel and start listening to BOLT 2 messages. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const peers = this.o.peers;
    const types = [...Object.values(CHANNEL_MSG), MSG.error, MSG.warning];
    for (const t of types) this.unsubscribe.push(peers.onMessage(t, (p, payload) => this.onWire(p, t, payload)));
    // BOLT 7 messages about channels that the channel layer does not use: a private channel's
    // channel_update (258) and announcement_signatures (259) must not close the connection.
    for (const t of [258, 259]) this.unsubscribe.push(peers.onMessage(t, () => undefined));
    peers.on('connect', this.onConnect);
    peers.on('disconnect', this.onDisconnect);
    this.unsubscribe.push(() => {
      peers.off('connect', this.onConnect);
      peers.off('disconnect', this.onDisconnect);
    });
    let n = 0;
    for (const stored of this.o.store.listChannels()) {
      let state: ChannelState;
      try {
        state = deserializeChannelState(stored.state);
      } catch (e) {
        this.log.error(`channel ${toHex(stored.channelId)}: stored state unreadable, left alone: ${(e as Error).message}`);
        continue;
      }
      const entry = this.newEntry(toHex(stored.channelId), state);
      n++;
      // A restart: decisions that were pending when we stopped are asked again.
      for (const d of pendingHtlcDecisions(state)) this.decideLater(entry, d.htlc, d.mustFail);
      const live = peers.get(state.peerId);
      if (live?.connected && state.phase !== 'closed') this.enqueue(entry, { ev: { kind: 'connected' }, peer: live });
    }
    if (n > 0) this.log.info(`loaded ${n} channel${n === 1 ? '' : 's'} from the store`);
    if (this.o.config.trustedFunders === 'all' || this.o.config.trustedFunders.length > 0) this.log.warn(CHANNEL_SAFETY_WARNING);
  }

  /** Stop taking messages; resolves when what is being persisted is done. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    for (const e of this.entries.values()) {
      e.queue = [];
      for (const w of e.closeWaiters.splice(0)) w.reject(new ChannelManagerError('closed', 'channel manager stopped'));
    }
    await Promise.allSettled([...this.inflight]);
  }

  /** Resolves once no channel has work queued or in flight (tests). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.entries.values()].some((e) => e.running || e.queue.length > 0);
      if (!busy && this.inflight.size === 0) return;
      await Promise.allSettled([...this.inflight]);
      await new Promise((r) => setImmediate(r));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Views and commands

  /** Every funded channel (closed ones included), in no particular order. */
  channels(): ChannelSummary[] {
    const out: ChannelSummary[] = [];
    for (const e of this.entries.values()) if (isChannel(e.state)) out.push(this.summary(e));
    return out;
  }

  channel(channelId: Uint8Array): ChannelSummary | undefined {
    const e = this.entries.get(toHex(channelId));
    return e && isChannel(e.state) ? this.summary(e) : undefined;
  }

  /** Counts for getinfo (Core Lightning: num_pending_channels, num_active_channels, num_inactive_channels). */
  counts(): { pending: number; active: number; inactive: number } {
    let pending = 0;
    let active = 0;
    let inactive = 0;
    for (const e of this.entries.values()) {
      const s = e.state;
      if (!isChannel(s)) pending++;
      else if (s.phase === 'awaiting_channel_ready') pending++;
      else if (s.phase === 'closed' || s.phase === 'failed') continue;
      else if (s.session.conn === 'active') active++;
      else inactive++;
    }
    return { pending, active, inactive };
  }

  /**
   * Start a mutual close (BOLT 2 shutdown, then closing_signed) and resolve once it is agreed and
   * signed by both (or at once for a channel already closed). Rejects for an unknown channel or
   * one that cannot be closed.
   */
  close(channelId: Uint8Array): Promise<ChannelSummary> {
    const e = this.entries.get(toHex(channelId));
    if (!e || !isChannel(e.state)) return Promise.reject(new ChannelManagerError('unknown_channel', `no channel ${toHex(channelId)}`));
    if (e.state.phase === 'closed') return Promise.resolve(this.summary(e));
    if (e.state.phase === 'failed') return Promise.reject(new ChannelManagerError('refused', `channel ${toHex(channelId)} has failed: ${e.state.failure?.reason ?? ''}`));
    return new Promise((resolve, reject) => {
      e.closeWaiters.push({ resolve, reject });
      if (!(e.state as ChannelState).shutdown.wanted) this.enqueue(e, { ev: { kind: 'shutdown' } });
    });
  }

  private summary(e: Entry): ChannelSummary {
    const s = e.state as ChannelState;
    const removed = new Set(s.htlcs.filter((h) => h.resolution !== undefined).map((h) => h.id));
    return {
      peerId: s.peerId,
      channelId: s.channelId,
      phase: s.phase,
      connected: s.session.conn === 'active' && e.bound?.connected === true,
      fundingTxid: s.fundingOutpoint.txid,
      fundingOutnum: s.fundingOutpoint.vout,
      fundingSatoshis: s.fundingSatoshis,
      toUsMsat: s.localCommit.spec.toUsMsat,
      toThemMsat: s.localCommit.spec.toThemMsat,
      ourAlias: s.ours.alias,
      ...(s.theirs.alias !== undefined ? { theirAlias: s.theirs.alias } : {}),
      ...(s.realShortChannelId !== undefined ? { shortChannelId: s.realShortChannelId } : {}),
      htlcs: s.htlcs.map((h) => ({
        id: h.id,
        amountMsat: h.amountMsat,
        paymentHash: h.paymentHash,
        cltvExpiry: h.cltvExpiry,
        state: removed.has(h.id) ? (h.resolution!.kind === 'fulfill' ? 'SENT_REMOVE_FULFILL' : 'SENT_REMOVE_FAIL') : h.irrevocable ? 'RCVD_ADD_ACK_REVOCATION' : 'RCVD_ADD_COMMIT',
      })),
      // What we asked them to keep, and what they asked of us.
      ourReserveSat: s.theirs.params.channelReserveSatoshis,
      theirReserveSat: s.ours.params.channelReserveSatoshis,
      feeratePerKw: s.localCommit.spec.feeratePerKw,
      ...(s.closing ? { closing: { txid: s.closing.txid, tx: s.closing.tx, feeSatoshis: s.closing.feeSatoshis } } : {}),
      ...(s.failure ? { failure: s.failure.reason } : {}),
      state: s,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Transport events

  private peerConnected(p: Peer): void {
    if (this.closed) return;
    for (const e of this.entriesOf(p.nodeId)) {
      if (!isChannel(e.state)) {
        // A pending open on an older connection: "SHOULD NOT remember" it.
        if (e.bound !== p) this.enqueue(e, { ev: { kind: 'disconnected' }, ...(e.bound ? { peer: e.bound } : {}) });
        continue;
      }
      if (e.bound !== undefined && e.bound !== p) this.enqueue(e, { ev: { kind: 'disconnected' }, peer: e.bound });
      this.enqueue(e, { ev: { kind: 'connected' }, peer: p });
    }
  }

  private peerDisconnected(p: Peer): void {
    if (this.closed) return;
    for (const e of this.entriesOf(p.nodeId)) this.enqueue(e, { ev: { kind: 'disconnected' }, peer: p });
  }

  private entriesOf(nodeId: Uint8Array): Entry[] {
    const hex = toHex(nodeId);
    return [...this.entries.values()].filter((e) => e.peerHex === hex);
  }

  private onWire(p: Peer, type: number, payload: Uint8Array): void {
    if (this.closed) return;
    let m: ChannelWireMessage | undefined;
    try {
      m = decodeChannelPayload(type, payload);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      // BOLT 1: a message we cannot parse: warning and close (nothing of it reached a channel).
      this.log.warn(`peer ${toHex(p.nodeId)}: bad ${type} message (${e.message}): disconnecting`);
      this.sendTo(p, { type: 'warning', channelId: ZERO32, data: new TextEncoder().encode(`bad message type ${type}: ${e.message}`) });
      p.disconnect(`bad channel message: ${e.message}`);
      return;
    }
    if (m === undefined) return;
    const peerHex = toHex(p.nodeId);
    if (m.type === 'open_channel') return this.onOpenChannel(p, m);
    if (m.type === 'error' || m.type === 'warning') {
      const all = bytesEqual(m.channelId, ZERO32);
      // BOLT 1: "if channel_id is all zero: MUST fail all channels with the sending node".
      const targets = all ? this.entriesOf(p.nodeId) : [this.entries.get(toHex(m.channelId)), this.entries.get(`pending:${peerHex}:${toHex(m.channelId)}`)].filter((e): e is Entry => e !== undefined && e.peerHex === peerHex);
      if (m.type === 'warning') {
        if (targets.length === 0) this.log.info(`peer ${peerHex} warning: ${printable(m.data)}`);
      }
      for (const e of targets) this.enqueue(e, { ev: { kind: 'message', msg: m }, peer: p });
      return;
    }
    let e: Entry | undefined;
    if (m.type === 'funding_created' || m.type === 'accept_channel') e = this.entries.get(`pending:${peerHex}:${toHex(m.temporaryChannelId)}`);
    else e = this.entries.get(toHex(m.channelId));
    if (e === undefined || e.peerHex !== peerHex) {
      if (m.type === 'channel_reestablish') {
        // BOLT 2: a channel_reestablish for a channel we do not know (we lost it, or never had it):
        // an error lets the peer close it rather than wait for us.
        this.sendTo(p, { type: 'error', channelId: m.channelId, data: new TextEncoder().encode('unknown channel') });
      } else this.log.debug(`peer ${peerHex}: ${m.type} for an unknown channel ignored`);
      return;
    }
    this.enqueue(e, { ev: { kind: 'message', msg: m }, peer: p });
  }

  // -------------------------------------------------------------------------------------------
  // open_channel

  private onOpenChannel(p: Peer, m: Extract<ChannelWireMessage, { type: 'open_channel' }>): void {
    const peerHex = toHex(p.nodeId);
    const key = `pending:${peerHex}:${toHex(m.temporaryChannelId)}`;
    const refuse = (reason: string) => {
      this.stats.opensRefused++;
      this.log.info(`peer ${peerHex}: open_channel refused: ${reason}`);
      this.sendTo(p, { type: 'error', channelId: m.temporaryChannelId, data: new TextEncoder().encode(reason) });
    };
    if (this.entries.has(key)) return refuse('open_channel: temporary_channel_id already in use');
    if (!isTrustedFunder(this.o.config, p.nodeId)) {
      // Refused without a key index: acceptOpenChannel says why in the words BOLT 2 and the issue want.
      this.refusalKeys ??= deriveChannelKeys(this.o.channelSeed, 0xffff_ffff_ffff_ffffn);
      const r = acceptOpenChannel({ config: this.o.config, keys: this.refusalKeys }, { peerId: p.nodeId, msg: m, keyIndex: this.refusalKeys.keyIndex, ourAlias: 0n, localFeatures: this.o.peers.localFeatures, remoteFeatures: p.remoteFeatures });
      this.stats.opensRefused++;
      this.log.info(`peer ${peerHex}: open_channel refused: ${r.refused ?? 'untrusted funder'}`);
      for (const out of r.outbound) this.sendTo(p, out);
      return;
    }
    const mine = this.entriesOf(p.nodeId);
    const pending = mine.filter((e) => !isChannel(e.state)).length;
    if (pending >= this.limits.maxPendingOpensPerPeer) return refuse(`open_channel: at most ${this.limits.maxPendingOpensPerPeer} opens in progress per peer`);
    const open = (es: Entry[]) => es.filter((e) => isChannel(e.state) && e.state.phase !== 'closed' && e.state.phase !== 'failed').length;
    if (open(mine) >= this.limits.maxChannelsPerPeer) return refuse(`open_channel: at most ${this.limits.maxChannelsPerPeer} channels per peer`);
    if (open([...this.entries.values()]) >= this.limits.maxChannels) return refuse(`open_channel: this node has ${this.limits.maxChannels} channels, its most`);
    // Reserve the slot now (opens arriving meanwhile see it), allocate the key index durably, then answer.
    const placeholder: PendingOpen = { phase: 'awaiting_funding_created', peerId: p.nodeId, keyIndex: -1n, open: m, accept: undefined as never, ourAlias: 0n, negotiated: { upfrontShutdownScript: false, shutdownAnySegwit: false } };
    const entry: Entry = { key, peerId: p.nodeId.slice(), peerHex, state: placeholder, ctx: undefined as never, bound: p, queue: [], running: true, closeWaiters: [] };
    this.entries.set(key, entry);
    const work = (async () => {
      let keyIndex: bigint;
      try {
        keyIndex = await this.o.store.allocateChannelKeyIndex();
      } catch (e) {
        this.entries.delete(key);
        return refuse(`open_channel: cannot store a new channel now (${(e as Error).message})`);
      }
      if (this.closed) return;
      const ctx: FundeeContext = { config: this.o.config, keys: deriveChannelKeys(this.o.channelSeed, keyIndex) };
      const r = acceptOpenChannel(ctx, { peerId: p.nodeId, msg: m, keyIndex, ourAlias: this.newAlias(), localFeatures: this.o.peers.localFeatures, remoteFeatures: p.remoteFeatures });
      if (r.state === undefined) {
        this.entries.delete(key);
        this.stats.opensRefused++;
        this.log.info(`peer ${peerHex}: open_channel refused: ${r.refused}`);
        for (const out of r.outbound) this.sendTo(p, out);
        return;
      }
      entry.state = r.state;
      entry.ctx = ctx;
      if (!p.connected) {
        this.entries.delete(key);
        return;
      }
      for (const out of r.outbound) this.sendTo(p, out);
      this.log.info(`peer ${peerHex}: accepted open_channel of ${m.fundingSatoshis} sat (key index ${keyIndex})`);
    })().finally(() => {
      entry.running = false;
      this.inflight.delete(work);
      if (this.entries.get(key) === entry) void this.drain(entry);
    });
    this.inflight.add(work);
  }

  /** A fresh scid alias: 8 random bytes, top bit clear, never one of ours already. */
  private newAlias(): bigint {
    for (;;) {
      const b = this.o.random(8);
      let v = 0n;
      for (const x of b) v = (v << 8n) | BigInt(x);
      v &= 0x7fff_ffff_ffff_ffffn;
      if (v === 0n) continue;
      if (![...this.entries.values()].some((e) => isChannel(e.state) && e.state.ours.alias === v)) return v;
    }
  }

  // -------------------------------------------------------------------------------------------
  // The queue

  private newEntry(key: string, state: ChannelState): Entry {
    const entry: Entry = { key, peerId: state.peerId, peerHex: toHex(state.peerId), state, ctx: { config: this.o.config, keys: deriveChannelKeys(this.o.channelSeed, state.keyIndex) }, queue: [], running: false, closeWaiters: [] };
    this.entries.set(key, entry);
    return entry;
  }

  private enqueue(e: Entry, item: QueueItem): void {
    if (this.closed) return;
    e.queue.push(item);
    if (!e.running) void this.drain(e);
  }

  private drain(e: Entry): Promise<void> {
    if (e.running || e.queue.length === 0) return Promise.resolve();
    e.running = true;
    const work = this.work(e).finally(() => {
      e.running = false;
      this.inflight.delete(work);
      if (e.queue.length > 0 && !this.closed && this.entries.get(e.key) === e) void this.drain(e);
    });
    this.inflight.add(work);
    return work;
  }

  private async work(e: Entry): Promise<void> {
    while (e.queue.length > 0 && !this.closed) {
      const first = e.queue.shift()!;
      const items = [first];
      // Consecutive decisions step together and persist once.
      if (isDecision(first.ev)) while (e.queue.length > 0 && isDecision(e.queue[0]!.ev)) items.push(e.queue.shift()!);
      try {
        await this.stepItems(e, items);
      } catch (err) {
        this.log.error(`channel ${e.key}: step failed: ${(err as Error).stack ?? String(err)}`);
      }
      if (this.entries.get(e.key) !== e) return;
    }
  }

  private async stepItems(e: Entry, items: QueueItem[]): Promise<void> {
    let state = e.state;
    const outbound: ChannelWireMessage[] = [];
    const effects: ChannelEffect[] = [];
    const paid: NonNullable<QueueItem['paid']> = [];
    const refusals: ((err: InvoiceStoreError) => void)[] = [];
    const done: (() => void)[] = [];
    let persist = false;
    let via: Peer | undefined;
    let unbind = false;
    for (const it of items) {
      const ev = it.ev;
      // Connection events and messages are only for the connection the channel is bound to.
      if (ev.kind === 'message' && it.peer !== e.bound) continue;
      if (ev.kind === 'disconnected') {
        if (it.peer === undefined || it.peer !== e.bound) continue;
        unbind = true;
      }
      if (ev.kind === 'connected') via = it.peer;
      if (it.onDone) done.push(it.onDone);
      const r: StepResult<FundeeState> = fundeeStep(e.ctx, state, ev);
      state = r.state;
      outbound.push(...r.outbound);
      for (const x of r.effects) {
        if (x.kind === 'persist') persist = true;
        else effects.push(x);
      }
      if (it.paid) paid.push(...it.paid);
      if (it.onRefused) refusals.push(it.onRefused);
    }
    if (state === e.state && outbound.length === 0 && effects.length === 0) return;
    const wasPending = !isChannel(e.state);
    // 1. Durable first (the whole channel; the paid marks in the same transaction).
    if (persist && isChannel(state)) {
      if (wasPending && this.entries.has(toHex(state.channelId))) {
        // A second channel on a funding outpoint we already have: refuse it, keep the first.
        const reason = 'funding_created: this funding outpoint is already one of our channels';
        this.sendTo(e.bound, { type: 'error', channelId: (e.state as PendingOpen).open.temporaryChannelId, data: new TextEncoder().encode(reason) });
        this.entries.delete(e.key);
        return;
      }
      const stored: StoredChannel = { channelId: state.channelId, peerId: state.peerId, keyIndex: state.keyIndex, phase: state.phase, state: serializeChannelState(state) };
      try {
        this.stats.persists++;
        await this.o.store.saveChannel(stored, { paid });
      } catch (err) {
        this.stats.persistFailures++;
        if (err instanceof InvoiceStoreError && refusals.length > 0 && ['expired', 'not_found', 'status_mismatch'].includes(err.reason)) {
          // The invoice cannot be marked paid: nothing was saved; the HTLCs are failed instead.
          this.log.info(`channel ${e.key}: fulfilment refused by the store (${err.message}): failing instead`);
          for (const f of refusals) f(err);
          return;
        }
        // Nothing we cannot store may be sent: drop the step, close the connection (the peer
        // retransmits after channel_reestablish).
        this.log.error(`channel ${e.key}: cannot store channel state (${(err as Error).message}): disconnecting`);
        e.bound?.disconnect('cannot store channel state');
        return;
      }
    }
    if (wasPending && isChannel(state)) {
      // Funded: from now on the channel is known by its channel_id.
      this.entries.delete(e.key);
      e.key = toHex(state.channelId);
      this.entries.set(e.key, e);
      this.stats.opensAccepted++;
      this.emitEvent({ kind: 'channel_funded', channelId: state.channelId, peerId: state.peerId });
    }
    e.state = state;
    if (unbind) e.bound = undefined;
    if (via !== undefined) e.bound = via;
    // 2. The messages, in order.
    for (const m of outbound) this.sendTo(e.bound, m);
    // 3. The rest.
    for (const x of effects) this.effect(e, x);
    for (const f of done) f();
  }

  private effect(e: Entry, x: ChannelEffect): void {
    const s = e.state;
    const cid = isChannel(s) ? s.channelId : ZERO32;
    switch (x.kind) {
      case 'forget':
        this.log.info(`channel ${e.key}: forgotten (${x.reason})`);
        if (this.entries.get(e.key) === e) this.entries.delete(e.key);
        return;
      case 'channel_ready':
        this.log.info(`channel ${e.key}: ready (alias ${x.ourAlias})`);
        this.emitEvent({ kind: 'channel_ready', channelId: cid, peerId: e.peerId });
        return;
      case 'htlc_irrevocably_committed':
        this.decideLater(e, x.htlc, x.mustFail);
        return;
      case 'htlc_settled':
        this.emitEvent({ kind: 'htlc_settled', channelId: cid, htlcId: x.htlcId, outcome: x.outcome });
        return;
      case 'disconnect':
        this.log.info(`channel ${e.key}: disconnecting: ${x.reason}`);
        e.bound?.disconnect(x.reason);
        return;
      case 'channel_failed':
        this.log.warn(`channel ${e.key}: failed: ${x.reason}${x.broadcastLatestCommitment ? ' (no chain backend: nothing broadcast)' : ''}`);
        this.emitEvent({ kind: 'channel_failed', channelId: cid, reason: x.reason });
        for (const w of e.closeWaiters.splice(0)) w.reject(new ChannelManagerError('refused', `channel failed: ${x.reason}`));
        return;
      case 'mutual_close': {
        const txid = (s as ChannelState).closing?.txid ?? ZERO32;
        this.log.info(`channel ${e.key}: mutual close agreed (fee ${x.feeSatoshis} sat, ours ${x.ourOutputSat} sat, txid ${toHex(Uint8Array.from(txid).reverse())}); no chain backend: not broadcast`);
        this.emitEvent({ kind: 'channel_closed', channelId: cid, txid });
        const sum = this.summary(e);
        for (const w of e.closeWaiters.splice(0)) w.resolve(sum);
        return;
      }
      case 'command_refused':
        this.log.warn(`channel ${e.key}: command refused: ${x.reason}`);
        if (x.reason.startsWith('shutdown:')) for (const w of e.closeWaiters.splice(0)) w.reject(new ChannelManagerError('refused', x.reason));
        return;
      case 'log':
        if (x.level === 'warn') this.log.warn(`channel ${e.key}: ${x.message}`);
        else this.log.debug(`channel ${e.key}: ${x.message}`);
        return;
      case 'persist':
        return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // HTLC decisions

  private decideLater(e: Entry, htlc: IncomingHtlc, mustFail?: MustFailReason): void {
    const fail = (f: FailureMessage, reason: string, ss?: Uint8Array, sha?: Uint8Array, malformed?: number) => {
      this.stats.htlcsFailed++;
      this.log.info(`channel ${e.key}: failing HTLC ${htlc.id}: ${reason}`);
      this.emitEvent({ kind: 'htlc_failed', channelId: (e.state as ChannelState).channelId, htlcId: htlc.id, paymentHash: htlc.paymentHash, reason });
      if (malformed !== undefined) this.enqueue(e, { ev: { kind: 'fail_malformed', htlcId: htlc.id, sha256OfOnion: sha!, failureCode: malformed } });
      else this.enqueue(e, { ev: { kind: 'fail', htlcId: htlc.id, reason: failurePacket(ss!, f) } });
    };
    const height = this.o.blockHeight?.() ?? 0;
    const peel = peelPaymentOnion(this.o.nodeSecret, htlc);
    if (peel.kind === 'malformed') return fail(invalidOnionBlinding(peel.sha256OfOnion), peel.reason, undefined, peel.sha256OfOnion, peel.failureCode);
    // BOLT 2: "If `path_key` is set in the incoming `update_add_htlc`: MUST send an
    // update_fail_malformed_htlc error using the invalid_onion_blinding failure code for any local or downstream errors."
    const blindedHop = htlc.pathKey !== undefined;
    const ss = peel.sharedSecret;
    const sha = peel.sha256OfOnion;
    const refuse = (f: FailureMessage, reason: string) => (blindedHop ? fail(f, reason, undefined, sha, FAILURE_CODE.invalid_onion_blinding) : fail(f, reason, ss));
    if (peel.kind === 'fail') return refuse(peel.failure, peel.reason);
    if (mustFail !== undefined) return refuse(temporaryNodeFailure(), `must fail (${mustFail})`);
    const p = peel.payload;
    if (!peel.final) {
      // We forward nothing. A non-final hop with current_path_key: "MUST send an update_fail_htlc
      // error using the invalid_onion_blinding failure code".
      if (p.currentPathKey !== undefined) return refuse(invalidOnionBlinding(peel.sha256OfOnion), 'not the final hop of the blinded path (we do not forward)');
      return refuse(unknownNextPeer(), 'not the final hop (we do not forward)');
    }
    if (p.encryptedRecipientData === undefined || peel.pathKey === undefined) {
      // Only our blinded payment paths lead to invoices of ours.
      return refuse(incorrectPaymentDetails(htlc.amountMsat, height), 'not a payment over one of our blinded paths');
    }
    // BOLT 4, the reader, final node of a blinded route: "MUST return an error if the payload
    // contains other tlv fields than encrypted_recipient_data, current_path_key, amt_to_forward,
    // outgoing_cltv_value and total_amount_msat"; "… if amt_to_forward, outgoing_cltv_value or
    // total_amount_msat are not present".
    const allowed = new Set<bigint>([PAYLOAD_TLV.encrypted_recipient_data, PAYLOAD_TLV.current_path_key, PAYLOAD_TLV.amt_to_forward, PAYLOAD_TLV.outgoing_cltv_value, PAYLOAD_TLV.total_amount_msat]);
    const other = p.types.find((t) => !allowed.has(t));
    if (other !== undefined) return refuse(invalidOnionPayload(other, 0), `payload field ${other} is not allowed for the final node of a blinded route`);
    if (p.amtToForward === undefined || p.outgoingCltvValue === undefined || p.totalAmountMsat === undefined) {
      const missing = p.amtToForward === undefined ? PAYLOAD_TLV.amt_to_forward : p.outgoingCltvValue === undefined ? PAYLOAD_TLV.outgoing_cltv_value : PAYLOAD_TLV.total_amount_msat;
      return refuse(invalidOnionPayload(missing, 0), `payload lacks field ${missing}`);
    }
    // "if amount_msat from the final node's HTLC is below amt_to_forward: MUST return a final_incorrect_htlc_amount error."
    if (htlc.amountMsat < p.amtToForward) return refuse(finalIncorrectHtlcAmount(htlc.amountMsat), `HTLC amount ${htlc.amountMsat} is below amt_to_forward ${p.amtToForward}`);
    // "if the cltv_expiry from the final node's HTLC is below outgoing_cltv_value: MUST return final_incorrect_cltv_expiry error."
    if (htlc.cltvExpiry < p.outgoingCltvValue) return refuse(finalIncorrectCltvExpiry(htlc.cltvExpiry), `HTLC cltv_expiry ${htlc.cltvExpiry} is below outgoing_cltv_value ${p.outgoingCltvValue}`);
    const d = this.decider;
    if (d === undefined) return refuse(incorrectPaymentDetails(htlc.amountMsat, height), 'no payment backend takes channel payments');
    let decision: HtlcDecision;
    try {
      decision = d.decide({
        channelId: (e.state as ChannelState).channelId,
        peerId: e.peerId,
        htlcId: htlc.id,
        paymentHash: htlc.paymentHash,
        amountMsat: htlc.amountMsat,
        cltvExpiry: htlc.cltvExpiry,
        pathKey: peel.pathKey,
        encryptedRecipientData: p.encryptedRecipientData,
        amtToForward: p.amtToForward,
        outgoingCltvValue: p.outgoingCltvValue,
        totalAmountMsat: p.totalAmountMsat,
      });
    } catch (err) {
      this.log.error(`channel ${e.key}: HTLC ${htlc.id}: decider threw: ${(err as Error).stack ?? String(err)}`);
      return refuse(temporaryNodeFailure(), 'internal error');
    }
    // BOLT 4, final node: unknown payment hash, amount too low or too high, expired: "MUST return an incorrect_or_unknown_payment_details error".
    if (decision.kind === 'reject') return refuse(incorrectPaymentDetails(htlc.amountMsat, height), decision.reason);
    this.enqueue(e, {
      ev: { kind: 'fulfill', htlcId: htlc.id, preimage: decision.preimage },
      paid: [{ ...decision.paid, requireUnpaid: true }],
      onRefused: (err) => refuse(incorrectPaymentDetails(htlc.amountMsat, height), `invoice: ${err.message}`),
      onDone: () => {
        this.stats.htlcsFulfilled++;
        this.emitEvent({ kind: 'htlc_fulfilled', channelId: (e.state as ChannelState).channelId, htlcId: htlc.id, paymentHash: htlc.paymentHash, amountMsat: htlc.amountMsat });
      },
    });
  }

  // -------------------------------------------------------------------------------------------

  private sendTo(p: Peer | undefined, m: ChannelWireMessage): void {
    if (p === undefined || !p.connected) return;
    let ok: boolean;
    try {
      ok = p.send(channelMessageType(m.type), encodeChannelPayload(m));
    } catch (err) {
      this.log.error(`cannot send ${m.type}: ${(err as Error).message}`);
      ok = false;
    }
    // A channel message that cannot be queued is lost: close, and let channel_reestablish resend it.
    if (!ok && p.connected) p.disconnect(`cannot queue ${m.type}`);
  }

  private emitEvent(ev: ChannelManagerEvent): void {
    try {
      this.emit('channel', ev);
    } catch (err) {
      this.log.error(`channel event listener threw: ${(err as Error).stack ?? String(err)}`);
    }
  }
}

function isDecision(ev: ChannelEvent): boolean {
  return ev.kind === 'fulfill' || ev.kind === 'fail' || ev.kind === 'fail_malformed';
}

function printable(b: Uint8Array): string {
  let out = '';
  for (const c of b.subarray(0, 200)) out += c >= 32 && c <= 126 ? String.fromCharCode(c) : '?';
  return out;
}
