// The onion messenger: sends onion messages (to a node id or into a blinded path, optionally over
// clear hops chosen by a pathfinder, with a reply path), forwards messages not for us to the next
// peer, delivers messages for us to handlers registered by payload type, builds reply paths whose
// `path_id` authenticates what comes back, and keeps every resource bounded (per-peer token
// buckets in and out, a global byte budget for forwards, per-peer pacing below Core Lightning's
// limit). BOLT 4, "Onion Messages"; BOLT 9, `option_onion_messages` (38/39).
//
// Usage:
//   const om = new OnionMessenger({ nodeSecret, peers, logger, random, clock });
//   om.onMessage(66n, (msg) => { ... msg.context ... }, { purpose: 'refund' });
//   const replyPath = om.createReplyPath(requestId, { purpose: 'refund' });
//   om.send({ blindedPath: offerPath }, { type: 64n, value: invreqTlvs }, { replyPath });
import { isPoint, isPrivateKey, publicKey, type RandomSource } from '../crypto/index.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import { bytesEqual, fromHex, toHex, utf8 } from '../util/bytes.ts';
import { encodeBlindedPath, type BlindedPath } from '../wire/blinded-path.ts';
import { FEATURE, supportsFeature } from '../wire/features.ts';
import { decodeOnionMessage, decodeWarning, encodeOnionMessage, encodeWarning, MSG } from '../wire/messages.ts';
import { buildOnionMessage, type BuiltOnionMessage } from './build.ts';
import { OnionMessageDropError, OnionMessageSendError, type DropReason } from './errors.ts';
import { DEFAULT_ONION_MESSAGE_LIMITS, type OnionMessageLimits, type OnionMessengerOptions, type PathDefaults } from './limits.ts';
import { isSendableContentsType, type OnionMessageContents } from './payload.ts';
import { PathIdAuthenticator } from './path-id.ts';
import { peelOnionMessage, type ReceiveResult } from './peel.ts';
import { Outbox } from './outbox.ts';
import { PeerRateLimits } from './peer-limits.ts';
import { buildReceivePath, DEFAULT_MIN_PATH_LENGTH, DEFAULT_PADDING_ROUND_OFF } from './receive-path.ts';
import type {
  OnionMessageDestination,
  OnionMessageHandler,
  OnionMessageStats,
  OnionPeer,
  OnionPeers,
  PeerOnionStats,
  ReceivedOnionMessage,
  ReplyPathOptions,
  ScidResolver,
  PreparedOnionMessage,
  SendOptions,
  SendResult,
} from './types.ts';

// ---------------------------------------------------------------------------------------------

interface PeerCounters {
  received: number;
  rateLimited: number;
  dropped: number;
  sent: number;
  forwarded: number;
  warningsReceived: number;
}

/** What routing one incoming packet decided. */
type Outcome =
  | { kind: 'forward'; to: OnionPeer; message: Uint8Array; hops: number }
  | { kind: 'deliver'; res: ReceiveResult; hops: number }
  | { kind: 'drop'; reason: DropReason; detail: string };

const RATELIMIT_WARNING = 'Ratelimited onion_message';

export class OnionMessenger {
  /** Our node id. */
  readonly nodeId: Uint8Array;
  private readonly nodeSecret: Uint8Array;
  private readonly peers: OnionPeers;
  private readonly log: Logger;
  private readonly random: RandomSource;
  private readonly clock: Clock;
  private readonly limits: OnionMessageLimits;
  private readonly pathDefaults: PathDefaults;
  private readonly scid?: ScidResolver;
  private readonly auth: PathIdAuthenticator;
  private readonly outbox: Outbox;
  private readonly handlers = new Map<string, Set<OnionMessageHandler>>();
  private readonly observers = new Set<(msg: ReceivedOnionMessage) => void>();
  private readonly rates: PeerRateLimits;
  private readonly counters = new Map<string, PeerCounters>();
  private readonly totals = { received: 0, delivered: 0, forwarded: 0, sent: 0, warningsReceived: 0, warningsSent: 0, droppedTotal: 0 };
  private readonly dropped: Partial<Record<DropReason, number>> = {};
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timers: { set(fn: () => void, ms: number): unknown; clear(handle: unknown): void };
  private timer: unknown;
  private timerAt = Infinity;
  private closed = false;

  constructor(o: OnionMessengerOptions) {
    if (!isPrivateKey(o.nodeSecret)) throw new RangeError('OnionMessenger: nodeSecret is not a valid secret key');
    this.nodeSecret = o.nodeSecret;
    this.nodeId = publicKey(o.nodeSecret);
    this.peers = o.peers;
    this.log = o.logger.child('onion-message');
    this.random = o.random;
    this.clock = o.clock;
    this.limits = { ...DEFAULT_ONION_MESSAGE_LIMITS, ...(o.limits ?? {}) };
    this.pathDefaults = { minPathLength: DEFAULT_MIN_PATH_LENGTH, paddingRoundOff: DEFAULT_PADDING_ROUND_OFF, ...(o.paths ?? {}) };
    if (o.scidResolver) this.scid = o.scidResolver;
    this.auth = new PathIdAuthenticator(o.nodeSecret);
    this.rates = new PeerRateLimits(this.limits);
    this.outbox = new Outbox({
      maxOwnPerPeer: this.limits.maxOwnQueuedPerPeer,
      maxForwardBytes: this.limits.maxForwardQueueBytes,
      maxForwardBytesPerPeer: this.limits.maxForwardQueueBytesPerPeer,
    });
    this.timers = o.timers ?? {
      set: (fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref?.();
        return t;
      },
      clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    this.unsubscribe.push(this.peers.onMessage(MSG.onion_message, (peer, payload) => this.onOnionMessage(peer, payload)));
    this.unsubscribe.push(this.peers.onMessage(MSG.warning, (peer, payload) => this.onWarning(peer, payload)));
    const onDisconnect = (peer: OnionPeer) => this.onDisconnect(peer);
    this.peers.on('disconnect', onDisconnect);
    this.unsubscribe.push(() => this.peers.off?.('disconnect', onDisconnect));
  }

  // -------------------------------------------------------------------------------------------
  // Handlers and reply paths

  /**
   * Observe every message delivered to one of our handlers (after they are called), whatever its
   * type and purpose: for events and tests; an observer cannot change what happens to the
   * message, and one that throws is logged and ignored. Returns the unsubscribe function.
   */
  onDelivered(observer: (msg: ReceivedOnionMessage) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Register a handler for payloads of `type` (64 invoice_request, 66 invoice, 68 invoice_error,
   * or a custom type ≥ 64). Without `purpose`, the handler receives messages that arrived without
   * a `path_id` (unsolicited, or sent to our node id). With `purpose`, it receives only messages
   * that arrived over a path we built with {@link createReplyPath} for that purpose — BOLT 4:
   * "replies are only accepted using the exact reply_path given ... non-replies don't use the
   * reply path, and replies always use the reply path". Returns an unsubscribe function.
   */
  onMessage(type: bigint, handler: OnionMessageHandler, opts: { purpose?: string } = {}): () => void {
    const key = handlerKey(type, opts.purpose);
    let set = this.handlers.get(key);
    if (!set) this.handlers.set(key, (set = new Set()));
    set.add(handler);
    return () => {
      set!.delete(handler);
      if (set!.size === 0) this.handlers.delete(key);
    };
  }

  /**
   * Build a blinded path to us whose final `path_id` authenticates `context` for `purpose`
   * (BOLT 4: "MAY use `path_id` to contain a secret so it can recognize use of this `reply_path`").
   * Dummy hops pad it to `paths.minPathLength` hops; every hop's data has the same length.
   */
  createReplyPath(context: Uint8Array, opts: ReplyPathOptions = {}): BlindedPath {
    // `via` here is hops ({ nodeId, shortChannelId? }), where `send` takes bare node ids: check the
    // shape at the boundary so a mix-up is a typed error, not a crypto error from deep inside.
    (opts.via ?? []).forEach((h, i) => {
      if (!h || typeof h !== 'object' || !(h.nodeId instanceof Uint8Array) || !isPoint(h.nodeId)) {
        throw new OnionMessageSendError('bad_reply_path', `via[${i}]: should be { nodeId: <33-byte node id>, shortChannelId? }`);
      }
    });
    const pathId = this.auth.create({
      purpose: opts.purpose ?? 'reply',
      context,
      nonce: this.random(16),
      ...(opts.expiresAt !== undefined ? { expiresAt: opts.expiresAt } : {}),
    });
    return buildReceivePath({
      ourNodeId: this.nodeId,
      ourSecret: this.nodeSecret,
      firstPathSecret: this.randomScalar(),
      via: opts.via ?? [],
      pathId,
      ...(opts.dummyHops !== undefined ? { dummyHops: opts.dummyHops } : {}),
      minPathLength: this.pathDefaults.minPathLength,
      paddingRoundOff: this.pathDefaults.paddingRoundOff,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  /**
   * Send `contents` to a node id or into a blinded path. The message is queued for the first hop
   * and leaves at that peer's pace. When we are the blinded path's introduction node (or a sciddir
   * introduction names one of our channels), our own hop is peeled here and the message goes to
   * the next hop; when the destination is us, it is delivered to our handlers without touching
   * the network. Throws {@link OnionMessageSendError}.
   */
  send(destination: OnionMessageDestination, contents: OnionMessageContents, opts: SendOptions = {}): SendResult {
    return this.prepare(destination, contents, opts).transmit();
  }

  /**
   * Build the message now and send it later: all the work of {@link send} (checks, Sphinx, peeling
   * our own hop) but nothing queued or delivered until `transmit()`, which checks the first hop
   * again (it may have gone meanwhile) and may be called once. For a caller that must make
   * something durable before the message leaves and wants the onion built while that happens.
   * Throws {@link OnionMessageSendError}, as `transmit()` does.
   */
  prepare(destination: OnionMessageDestination, contents: OnionMessageContents, opts: SendOptions = {}): PreparedOnionMessage {
    if (this.closed) throw new OnionMessageSendError('closed', 'the messenger is closed');
    if (!isSendableContentsType(contents.type)) {
      throw new OnionMessageSendError('bad_contents_type', `type ${contents.type} is not 64/66/68 nor an odd type >= 64`);
    }
    let dest: { nodeId: Uint8Array } | { blindedPath: BlindedPath };
    if ('blindedPath' in destination) {
      const bp = destination.blindedPath;
      if (bp.hops.length === 0) throw new OnionMessageSendError('bad_blinded_path', 'the blinded path has no hops');
      if (!isPoint(bp.firstPathKey)) throw new OnionMessageSendError('bad_blinded_path', 'first_path_key is not a valid point');
      let intro: Uint8Array;
      if (bp.introductionNode.kind === 'pubkey') intro = bp.introductionNode.nodeId;
      else {
        if (!this.scid) {
          throw new OnionMessageSendError(
            'unresolved_introduction_node',
            'the introduction node is a short_channel_id and no channel graph (scidResolver) is available',
          );
        }
        const n = this.scid.nodeOfDirection(bp.introductionNode.scid, bp.introductionNode.direction);
        if (!n) throw new OnionMessageSendError('unresolved_introduction_node', `no channel ${bp.introductionNode.scid} known`);
        intro = n;
      }
      if (!isPoint(intro)) throw new OnionMessageSendError('bad_blinded_path', 'introduction node is not a valid point');
      dest = { blindedPath: { ...bp, introductionNode: { kind: 'pubkey', nodeId: intro } } };
    } else {
      if (!isPoint(destination.nodeId)) throw new OnionMessageSendError('bad_destination', 'destination is not a valid node id');
      dest = { nodeId: destination.nodeId };
    }
    const via = opts.via ?? [];
    for (const v of via) if (!isPoint(v)) throw new OnionMessageSendError('bad_destination', 'a via hop is not a valid node id');
    if (opts.replyPath) {
      try {
        encodeBlindedPath(opts.replyPath);
      } catch (e) {
        throw new OnionMessageSendError('bad_reply_path', (e as Error).message);
      }
    }

    let built: BuiltOnionMessage;
    try {
      built = buildOnionMessage({
        route: { via, destination: dest },
        final: { contents, ...(opts.replyPath ? { replyPath: opts.replyPath } : {}) },
        sessionKey: this.randomScalar(),
        blindingSecret: this.randomScalar(),
      });
    } catch (e) {
      if (e instanceof RangeError && /packet holds|largest packet/.test(e.message)) throw new OnionMessageSendError('too_large', e.message);
      throw e;
    }
    const summary = { packetLength: built.packet.length, hopCount: built.hopCount };
    // The first hop must be a connected peer that takes onion messages, when the message is built
    // and again when it leaves.
    const reachable = (nodeId: Uint8Array, what: 'first' | 'next'): OnionPeer => {
      const peer = this.peers.get(nodeId);
      if (!peer) throw new OnionMessageSendError('first_hop_not_connected', `${what === 'first' ? 'peer' : 'after peeling our own hop: next peer'} ${toHex(nodeId)} is not connected`);
      if (!peerSupportsOnionMessages(peer)) {
        throw new OnionMessageSendError('first_hop_no_support', `${what === 'first' ? 'peer' : 'after peeling our own hop: next peer'} ${toHex(nodeId)} does not advertise option_onion_messages`);
      }
      return peer;
    };
    let used = false;
    const once = (): void => {
      if (used) throw new OnionMessageSendError('closed', 'this prepared message was already transmitted');
      used = true;
      if (this.closed) throw new OnionMessageSendError('closed', 'the messenger is closed');
    };
    // Queued for peer `to` on transmit (the hop after ours when we peeled it, else the first).
    const queued = (to: Uint8Array, message: Uint8Array, what: 'first' | 'next'): PreparedOnionMessage => ({
      ...summary,
      firstHop: to,
      transmit: () => {
        once();
        reachable(to, what);
        if (!this.outbox.enqueueOwn(toHex(to), message, this.clock.now())) {
          throw new OnionMessageSendError('queue_full', `${this.limits.maxOwnQueuedPerPeer} messages already queued for that peer`);
        }
        this.pump();
        return { ...summary, firstHop: to, local: false };
      },
    });

    if (bytesEqual(built.firstNodeId, this.nodeId)) {
      // We are the first hop (introduction node, or the destination): peel locally, never send to
      // ourselves over the network.
      const out = this.route(undefined, built.pathKey, built.packet);
      if (out.kind === 'drop') {
        const reason =
          out.reason === 'next_peer_not_connected'
            ? 'first_hop_not_connected'
            : out.reason === 'next_peer_no_support'
              ? 'first_hop_no_support'
              : out.reason === 'unknown_scid'
                ? 'unresolved_introduction_node'
                : 'bad_blinded_path';
        throw new OnionMessageSendError(reason, `after peeling our own hop: ${out.reason} (${out.detail})`);
      }
      if (out.kind === 'deliver') {
        return {
          ...summary,
          firstHop: this.nodeId,
          transmit: () => {
            once();
            queueMicrotask(() => this.deliver(out.res, undefined));
            return { ...summary, firstHop: this.nodeId, local: true };
          },
        };
      }
      return queued(out.to.nodeId, out.message, 'next');
    }

    reachable(built.firstNodeId, 'first');
    return queued(built.firstNodeId, encodeOnionMessage({ pathKey: built.pathKey, onionPacket: built.packet }), 'first');
  }

  /** Answer a received message over its `reply_path` (BOLT 4: "MUST create an onion message using `reply_path`"). */
  reply(to: ReceivedOnionMessage, contents: OnionMessageContents, opts: SendOptions = {}): SendResult {
    if (!to.replyPath) throw new OnionMessageSendError('no_reply_path', 'the message carries no reply_path');
    return this.send({ blindedPath: to.replyPath }, contents, opts);
  }

  // -------------------------------------------------------------------------------------------
  // Receiving and forwarding

  private onOnionMessage(peer: OnionPeer, payload: Uint8Array): void {
    if (this.closed) return;
    const key = toHex(peer.nodeId);
    const c = this.peerCounters(key);
    this.totals.received++;
    c.received++;
    // As Core Lightning: "Ignore unless explicitly turned on" (we did not offer 38/39).
    const local = this.peers.localFeatures;
    if (local && !supportsFeature(local, FEATURE.option_onion_messages)) {
      this.drop('not_offered', key);
      return;
    }
    const now = this.clock.now();
    // Per-peer inbound bucket, checked before any cryptography (BOLT 4: "MAY rate-limit messages
    // by dropping them").
    const adm = this.rates.admit(key, now);
    if (!adm.ok) {
      c.rateLimited++;
      this.drop('rate_limited', key);
      if (adm.warn) {
        const text = `${RATELIMIT_WARNING}: exceeded ${this.limits.inboundRatePerSec} per second`;
        if (peer.send(MSG.warning, encodeWarning({ channelId: new Uint8Array(32), data: utf8.encode(text) }))) this.totals.warningsSent++;
      }
      return;
    }
    let pathKey: Uint8Array;
    let packet: Uint8Array;
    try {
      ({ pathKey, onionPacket: packet } = decodeOnionMessage(payload));
    } catch (e) {
      this.drop('malformed', key, (e as Error).message);
      return;
    }
    const out = this.route(peer.nodeId, pathKey, packet);
    if (out.kind === 'drop') {
      this.drop(out.reason, key, out.detail);
      return;
    }
    if (out.kind === 'deliver') {
      this.deliver(out.res, peer.nodeId);
      return;
    }
    const evicted = this.outbox.enqueueForward(toHex(out.to.nodeId), out.message, now);
    if (evicted < 0) {
      this.drop('forward_queue_full', key, 'message larger than the forward budget');
      return;
    }
    for (let i = 0; i < evicted; i++) this.drop('forward_queue_full', undefined);
    this.pump();
  }

  /**
   * Peel layers addressed to us until the message must leave (forward) or is ours (deliver).
   * A hop whose next node is us (a dummy hop, or a path through us twice) is peeled again here,
   * at most `maxLocalPeels` times.
   */
  private route(from: Uint8Array | undefined, pathKey: Uint8Array, packet: Uint8Array): Outcome {
    let pk = pathKey;
    let pkt = packet;
    for (let hops = 1; ; hops++) {
      let res;
      try {
        res = peelOnionMessage(this.nodeSecret, pk, pkt, { maxHopPayloadsLength: this.limits.maxHopPayloadsLength });
      } catch (e) {
        if (e instanceof OnionMessageDropError) return { kind: 'drop', reason: e.reason, detail: e.message };
        return { kind: 'drop', reason: 'malformed', detail: (e as Error).message };
      }
      if (res.kind === 'receive') return { kind: 'deliver', res, hops };
      let next: Uint8Array;
      if (res.next.kind === 'node') next = res.next.nodeId;
      else {
        const n = this.scid?.peerOfChannel(res.next.shortChannelId);
        if (!n) return { kind: 'drop', reason: 'unknown_scid', detail: `short_channel_id ${res.next.shortChannelId} is not one of our channels` };
        next = n;
      }
      if (bytesEqual(next, this.nodeId)) {
        if (hops >= this.limits.maxLocalPeels) return { kind: 'drop', reason: 'loop', detail: `more than ${this.limits.maxLocalPeels} hops through us` };
        pk = res.nextPathKey;
        pkt = res.packet;
        continue;
      }
      if (from && bytesEqual(next, from)) return { kind: 'drop', reason: 'loop', detail: 'next hop is the peer the message came from' };
      const peer = this.peers.get(next);
      if (!peer) return { kind: 'drop', reason: 'next_peer_not_connected', detail: `next peer ${toHex(next)} is not connected` };
      if (!peerSupportsOnionMessages(peer)) return { kind: 'drop', reason: 'next_peer_no_support', detail: `peer ${toHex(next)} lacks option_onion_messages` };
      return { kind: 'forward', to: peer, message: encodeOnionMessage({ pathKey: res.nextPathKey, onionPacket: res.packet }), hops };
    }
  }

  /**
   * BOLT 4, the final node: "if `path_id` is set and corresponds to a path the reader has
   * previously published in a `reply_path`: if the onion message is not a reply to that previous
   * onion: MUST ignore"; Route Blinding: "MUST ignore the message if the `path_id` does not match
   * the blinded route it created for this purpose".
   */
  private deliver(res: ReceiveResult, from: Uint8Array | undefined): void {
    const fromKey = from ? toHex(from) : undefined;
    let purpose: string | undefined;
    let context: Uint8Array | undefined;
    if (res.pathId) {
      const chk = this.auth.verify(res.pathId, this.clock.now());
      if (!chk.ok) {
        this.drop(chk.reason, fromKey);
        return;
      }
      purpose = chk.purpose;
      context = chk.context;
    }
    const set = this.handlers.get(handlerKey(res.contents.type, purpose));
    if (!set || set.size === 0) {
      this.drop(purpose !== undefined ? 'wrong_purpose' : 'no_handler', fromKey, `type ${res.contents.type}`);
      return;
    }
    const msg: ReceivedOnionMessage = {
      contents: res.contents,
      authenticated: purpose !== undefined,
      unknownFields: res.payload.unknown,
    };
    if (res.replyPath) msg.replyPath = res.replyPath;
    if (res.pathId) msg.pathId = res.pathId;
    if (purpose !== undefined) msg.purpose = purpose;
    if (context) msg.context = context;
    if (from) msg.from = from;
    this.totals.delivered++;
    for (const h of [...set]) {
      try {
        const r = h(msg);
        if (r && typeof (r as Promise<void>).catch === 'function') {
          (r as Promise<void>).catch((e: unknown) => this.handlerFailed(e));
        }
      } catch (e) {
        this.handlerFailed(e);
      }
    }
    for (const o of [...this.observers]) {
      try {
        o(msg);
      } catch (e) {
        this.log.error(`onion message observer threw: ${(e as Error)?.stack ?? String(e)}`);
      }
    }
  }

  private handlerFailed(e: unknown): void {
    this.drop('handler_error', undefined, (e as Error)?.message ?? String(e));
  }

  // -------------------------------------------------------------------------------------------
  // Pacing

  /** Send what the per-peer pace allows now, and schedule the next attempt. Timers call it. */
  pump(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const expired = this.outbox.expireForwards(now, this.limits.maxForwardAgeSec);
    for (let i = 0; i < expired; i++) this.drop('forward_expired', undefined);
    let nextWait = Infinity;
    for (const key of this.outbox.peerKeys()) {
      const peer = this.peers.get(fromHexKey(key));
      if (!peer) {
        this.dropQueued(key);
        continue;
      }
      const bucket = this.rates.outboundBucket(key, now);
      while (this.outbox.has(key) && bucket.take(now)) {
        const m = this.outbox.take(key)!;
        const c = this.peerCounters(key);
        if (!peer.send(MSG.onion_message, m.payload)) {
          this.drop('send_failed', key);
          continue;
        }
        if (m.own) {
          this.totals.sent++;
          c.sent++;
        } else {
          this.totals.forwarded++;
          c.forwarded++;
        }
      }
      if (this.outbox.has(key)) nextWait = Math.min(nextWait, bucket.waitTime(now));
    }
    this.outbox.prune();
    if (nextWait < Infinity) this.schedule(nextWait);
  }

  private schedule(delaySec: number): void {
    const ms = Math.max(5, Math.ceil(delaySec * 1000));
    const at = Date.now() + ms;
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timerAt = at;
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, ms);
  }

  /**
   * A `warning` from a peer. Core Lightning answers a peer that exceeds its onion message rate
   * with "Ratelimited onion_message: exceeded one per 250msec" (connectd/onion_message.c): slow
   * down for that peer (halve the rate, no burst), recovering after a quiet period.
   */
  private onWarning(peer: OnionPeer, payload: Uint8Array): void {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: false }).decode(decodeWarning(payload).data);
    } catch {
      return;
    }
    if (!/rate-?limit/i.test(text) || !/onion/i.test(text)) return;
    const key = toHex(peer.nodeId);
    const now = this.clock.now();
    // CLN says its limit: "Ratelimited onion_message: exceeded one per 250msec".
    const stated = /one per\s*([0-9]+)\s*msec/i.exec(text);
    const limit = stated && Number(stated[1]) > 0 ? 1000 / Number(stated[1]) : undefined;
    const rate = this.rates.penalize(key, now, limit);
    this.totals.warningsReceived++;
    this.peerCounters(key).warningsReceived++;
    this.log.info(`peer ${key.slice(0, 16)} rate-limits our onion messages; pacing at ${rate.toFixed(2)}/s`);
  }

  private onDisconnect(peer: OnionPeer): void {
    // A connection replaced by a newer one to the same node: keep its queues for the new one.
    const current = this.peers.get(peer.nodeId);
    if (current && current !== peer) return;
    const key = toHex(peer.nodeId);
    this.dropQueued(key);
    this.counters.delete(key);
  }

  private dropQueued(key: string): void {
    const d = this.outbox.dropPeer(key);
    for (let i = 0; i < d.own + d.fwd; i++) this.drop('peer_disconnected', undefined);
  }

  // -------------------------------------------------------------------------------------------
  // State and counters

  private peerCounters(key: string): PeerCounters {
    let c = this.counters.get(key);
    if (!c) {
      if (this.counters.size >= this.limits.maxTrackedPeers) {
        const oldest = this.counters.keys().next().value;
        if (oldest !== undefined) this.counters.delete(oldest);
      }
      c = { received: 0, rateLimited: 0, dropped: 0, sent: 0, forwarded: 0, warningsReceived: 0 };
      this.counters.set(key, c);
    }
    return c;
  }

  private drop(reason: DropReason, peerKey: string | undefined, detail?: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.totals.droppedTotal++;
    if (peerKey !== undefined) this.peerCounters(peerKey).dropped++;
    if (reason !== 'rate_limited') this.log.debug(`dropped onion message: ${reason}${detail ? ` (${detail})` : ''}`);
  }

  /** Counters for `getinfo` / `listpeers`. */
  stats(): OnionMessageStats {
    const q = this.outbox.sizes();
    const peers: PeerOnionStats[] = [];
    for (const [key, c] of this.counters) {
      if (!this.peers.get(fromHexKey(key))) continue;
      const s = this.outbox.sizes(key);
      peers.push({
        nodeId: key,
        ...c,
        queuedOwn: s.own,
        queuedForward: s.fwd,
        outboundRatePerSec: this.rates.outboundRate(key),
      });
    }
    return {
      received: this.totals.received,
      delivered: this.totals.delivered,
      forwarded: this.totals.forwarded,
      sent: this.totals.sent,
      dropped: { ...this.dropped },
      droppedTotal: this.totals.droppedTotal,
      queued: { own: q.own, forward: q.fwd, forwardBytes: q.fwdBytes },
      warningsReceived: this.totals.warningsReceived,
      warningsSent: this.totals.warningsSent,
      peers,
    };
  }

  /** Stop: unsubscribe from the registry, cancel timers, drop queues. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe) u();
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    for (const key of this.outbox.peerKeys()) this.outbox.dropPeer(key);
  }

  private randomScalar(): Uint8Array {
    for (;;) {
      const k = this.random(32);
      if (isPrivateKey(k)) return k;
    }
  }
}

function handlerKey(type: bigint, purpose: string | undefined): string {
  return purpose === undefined ? `${type}` : `${type}/${purpose}`;
}

function fromHexKey(key: string): Uint8Array {
  return fromHex(key);
}

/** BOLT 9: `option_onion_messages` (38/39), "Can forward onion messages". */
function peerSupportsOnionMessages(peer: OnionPeer): boolean {
  const f = peer.remoteInit?.features;
  return !!f && supportsFeature(f, FEATURE.option_onion_messages);
}
