// One connection to one peer: BOLT 8 handshake, BOLT 1 `init` exchange, then framed messages with
// ping/pong, liveness, warning/error handling, the "it's OK to be odd" rule, and per-peer bounds.
//
// Life cycle:  act1/act2/act3 (handshake, timeout) → init (timeout) → active → closed.
// Every path to `closed` goes through `close(reason)`, which logs exactly one line
// `disconnect: <reason>`: at debug level for an inbound connection that never completed `init`
// (anyone can open those by the thousand; the registry sums them up in a rate-limited line), at
// info level otherwise.
import { type Logger } from '../util/log.ts';
import { toHex } from '../util/bytes.ts';
import {
  MSG,
  PING_NO_REPLY_THRESHOLD,
  WireError,
  decodeError,
  decodeInit,
  decodePing,
  decodePong,
  decodeWarning,
  encodeInit,
  encodePing,
  encodePong,
  encodeWarning,
  frameMessage,
  isPrintableAscii,
  splitMessage,
  type InitMessage,
} from '../wire/index.ts';
import {
  ACT_ONE_SIZE,
  ACT_THREE_SIZE,
  ACT_TWO_SIZE,
  BODY_MAC_LEN,
  InitiatorHandshake,
  LENGTH_HEADER_LEN,
  NoiseError,
  ResponderHandshake,
  type NoiseCipher,
} from '../noise/index.ts';
import { remoteAddrDescriptor } from './address.ts';
import { type ByteConn } from './conn.ts';
import { ConnectError, PingError, type ConnectErrorCode } from './errors.ts';
import { buildInit, checkRemoteInit } from './features.ts';
import { InputBuffer } from './inbuf.ts';
import { PendingPongs, PingBudget } from './ping.ts';
import type { Peer, PeerHost, PeerStats } from './types.ts';

export type { Peer, PeerHost, PeerStats };

type Phase = 'act1' | 'act2' | 'act3' | 'init' | 'active' | 'closed';

const ZERO_CHANNEL_ID = new Uint8Array(32);

/** The fixed head of a close reason ("handshake timeout after 400 ms (…)" → "handshake timeout"), for counting. */
export function reasonCategory(reason: string): string {
  return reason.split(/:| after | \(|\d/)[0]!.trim() || 'other';
}

function describeData(data: Uint8Array): string {
  if (isPrintableAscii(data)) return JSON.stringify(new TextDecoder().decode(data.subarray(0, 300)));
  return `0x${toHex(data.subarray(0, 150))}${data.length > 150 ? '…' : ''}`;
}

export class PeerConnection implements Peer {
  nodeId: Uint8Array;
  readonly direction: 'in' | 'out';
  readonly transport: 'tcp' | 'ws';
  readonly remoteAddress: string;
  /** Set once the peer's `init` was accepted. */
  remoteInit!: InitMessage;
  /** The peer's combined (global | local) feature bits. */
  remoteFeatures: Uint8Array = new Uint8Array(0);
  /** Resolves when `init` completes; rejects with ConnectError when the connection closes first. */
  readonly ready: Promise<void>;
  /** The reason given to `close`, once closed. */
  closeReason: string | undefined;

  private phase: Phase;
  private log: Logger;
  private readonly inbuf = new InputBuffer();
  private initiator?: InitiatorHandshake;
  private responder?: ResponderHandshake;
  private cipher?: NoiseCipher;
  private stageTimer?: NodeJS.Timeout; // handshake, then init timeout
  private actOneTimer?: NodeJS.Timeout; // inbound: act one must arrive sooner than the whole handshake
  private frameTimer?: NodeJS.Timeout;
  private livenessTimer?: NodeJS.Timeout;
  private livenessOutstanding = false;
  private readonly pongs = new PendingPongs();
  private readonly pingBudget: PingBudget;
  private inputPaused = false;
  /** Layers above that asked us to stop reading for now (see holdReading). */
  private readonly readHolds = new Set<string>();
  private connPaused = false;
  private lastWarning: string | undefined;
  private counters = { bytesIn: 0, bytesOut: 0, msgsIn: 0, msgsOut: 0, maxQueuedOut: 0 };
  private resolveReady!: () => void;
  private rejectReady!: (e: ConnectError) => void;

  constructor(
    private readonly host: PeerHost,
    private readonly conn: ByteConn,
    direction: 'in' | 'out',
    /** For an outbound connection: the node id we dial. */
    remoteNodeId?: Uint8Array,
  ) {
    this.direction = direction;
    this.transport = conn.transport;
    this.remoteAddress = conn.remoteAddress;
    this.nodeId = remoteNodeId ?? new Uint8Array(0);
    this.log = this.makeLogger();
    this.pingBudget = new PingBudget(host.limits.pingBurst, host.limits.pingRefillPerSecond, host.clock.now());
    this.ready = new Promise<void>((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => undefined); // the registry observes it; never an unhandled rejection
    conn.attach({
      data: (chunk) => this.onData(chunk),
      close: (why) => this.close(why ?? (this.lastWarning ? `connection closed by peer after warning ${this.lastWarning}` : 'connection closed by peer')),
      drain: () => this.onDrain(),
    });
    this.stageTimer = this.timer(host.limits.handshakeTimeoutMs, () =>
      this.close(`handshake timeout after ${host.limits.handshakeTimeoutMs} ms (waiting for ${this.phase}, ${this.inbuf.length} bytes received)`),
    );
    if (direction === 'out') {
      this.initiator = new InitiatorHandshake({ localSecret: host.nodeSecret, localPublicKey: host.nodeId, remoteStatic: this.nodeId, random: host.random });
      this.phase = 'act2';
      this.writeRaw(this.initiator.writeActOne());
    } else {
      this.responder = new ResponderHandshake({ localSecret: host.nodeSecret, localPublicKey: host.nodeId, random: host.random });
      this.phase = 'act1';
      // BOLT 8: the initiator sends act one (50 bytes) as soon as the connection is up; a socket
      // that has not delivered it within a few seconds is a silent one holding a pending slot.
      const a1 = host.limits.actOneTimeoutMs;
      if (a1 < host.limits.handshakeTimeoutMs) {
        this.actOneTimer = this.timer(a1, () =>
          this.close(`act one timeout: ${this.inbuf.length} of ${ACT_ONE_SIZE} bytes received within ${a1} ms`),
        );
      }
    }
  }

  get connected(): boolean {
    return this.phase === 'active';
  }

  /** True while the handshake or `init` exchange is in progress. */
  get pending(): boolean {
    return this.phase !== 'active' && this.phase !== 'closed';
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  stats(): PeerStats {
    return {
      bytesIn: this.counters.bytesIn,
      bytesOut: this.counters.bytesOut,
      msgsIn: this.counters.msgsIn,
      msgsOut: this.counters.msgsOut,
      queuedOutBytes: this.phase === 'closed' ? 0 : this.conn.queuedBytes(),
      bufferedInBytes: this.inbuf.length,
      maxBufferedInBytes: this.inbuf.highWater,
      maxQueuedOutBytes: this.counters.maxQueuedOut,
    };
  }

  send(type: number, payload: Uint8Array): boolean {
    if (this.phase !== 'active') return false;
    return this.sendMessage(type, payload);
  }

  ping(len = 128, pongBytes = 128): Promise<{ totlen: number }> {
    if (!Number.isInteger(len) || len < 0 || len > 65535 - 6) return Promise.reject(new RangeError(`ping len must be 0..65529: ${len}`));
    if (!Number.isInteger(pongBytes) || pongBytes < 0 || pongBytes > 65535) return Promise.reject(new RangeError(`pongbytes must be 0..65535: ${pongBytes}`));
    if (this.phase !== 'active') return Promise.reject(new PingError('NOT_CONNECTED', 'peer is not connected'));
    if (this.pongs.size >= this.host.limits.maxPendingPings) {
      return Promise.reject(new PingError('TOO_MANY_PENDING', `${this.pongs.size} pings already awaiting a pong`));
    }
    // BOLT 1: a node sending a ping "SHOULD set `ignored` to 0s".
    if (!this.sendMessage(MSG.ping, encodePing({ numPongBytes: pongBytes, ignored: new Uint8Array(len) }))) {
      return Promise.reject(new PingError('QUEUE_FULL', 'output queue full'));
    }
    // "otherwise (`num_pong_bytes` is **not** less than 65532): MUST ignore the `ping`": no reply due.
    if (pongBytes >= PING_NO_REPLY_THRESHOLD) return Promise.resolve({ totlen: 0 });
    const timeout = this.host.limits.pongTimeoutMs;
    return new Promise((resolve, reject) =>
      this.pongs.expect(
        pongBytes,
        timeout,
        () => new PingError('TIMEOUT', `no pong within ${timeout} ms`),
        (err, totlen) => (err ? reject(err) : resolve({ totlen })),
      ),
    );
  }

  disconnect(reason: string): void {
    this.close(reason, { graceful: true, level: 'info' });
  }

  // ---------------------------------------------------------------------------------------------
  // Input

  private onData(chunk: Uint8Array): void {
    if (this.phase === 'closed') return;
    this.counters.bytesIn += chunk.length;
    this.inbuf.push(chunk);
    if (this.inbuf.length > this.host.limits.maxInputBufferBytes) {
      this.close(`input buffer overflow: ${this.inbuf.length} bytes buffered > ${this.host.limits.maxInputBufferBytes}`);
      return;
    }
    this.pump();
    if (this.closed) return; // (a getter: `phase` may have changed inside pump)
    // A frame has started (bytes of it buffered, or its length prefix already decrypted) but not
    // finished: it must finish within frameTimeoutMs.
    const midFrame = this.inbuf.length > 0 || (this.cipher !== undefined && this.cipher.expectedBodyLength !== -1);
    if (midFrame && this.frameTimer === undefined && (this.phase === 'init' || this.phase === 'active')) {
      const limit = this.host.limits.frameTimeoutMs;
      this.frameTimer = this.timer(limit, () => {
        const part = this.cipher!.expectedBodyLength === -1 ? 'length prefix' : 'message body';
        this.close(`frame timeout: ${this.inbuf.length} of ${this.bytesNeeded()} bytes of the ${part} received in ${limit} ms`);
      });
    }
    this.applyBackpressure();
  }

  /** Bytes the next step reads exactly (BOLT 8: 50/50/66 per act, 18 per prefix, l+16 per body). */
  private bytesNeeded(): number {
    switch (this.phase) {
      case 'act1':
        return ACT_ONE_SIZE;
      case 'act2':
        return ACT_TWO_SIZE;
      case 'act3':
        return ACT_THREE_SIZE;
      default: {
        const l = this.cipher!.expectedBodyLength;
        return l === -1 ? LENGTH_HEADER_LEN : l + BODY_MAC_LEN;
      }
    }
  }

  private pump(): void {
    while (this.phase !== 'closed') {
      const need = this.bytesNeeded();
      if (this.inbuf.length < need) return;
      const bytes = this.inbuf.take(need);
      try {
        this.step(bytes);
      } catch (e) {
        if (e instanceof NoiseError) {
          const handshake = e.phase === 'act1' || e.phase === 'act2' || e.phase === 'act3';
          // BOLT 8: on a handshake failure the node "MUST terminate the connection without any
          // further messages"; after it, an unauthenticated frame leaves nothing to talk over either.
          this.close(`${handshake ? 'handshake failed' : 'bad frame'}: ${e.message}`, { kind: handshake ? 'HANDSHAKE_FAILED' : undefined });
        } else if (e instanceof WireError) {
          this.close(`malformed message: ${e.message}`);
        } else {
          this.close(`internal error: ${(e as Error).message}`, { level: 'error' });
        }
        return;
      }
    }
  }

  private step(bytes: Uint8Array): void {
    switch (this.phase) {
      case 'act1': // responder: act one in, act two out
        this.responder!.readActOne(bytes);
        clearTimeout(this.actOneTimer);
        this.actOneTimer = undefined;
        this.phase = 'act3';
        this.writeRaw(this.responder!.writeActTwo());
        return;
      case 'act2': {
        // initiator: act two in, act three out
        this.initiator!.readActTwo(bytes);
        const { act, cipher } = this.initiator!.writeActThree();
        this.writeRaw(act);
        this.cipher = cipher;
        this.handshakeDone();
        return;
      }
      case 'act3': {
        const { remoteStatic, cipher } = this.responder!.readActThree(bytes);
        this.nodeId = remoteStatic;
        this.cipher = cipher;
        this.log = this.makeLogger();
        this.handshakeDone();
        return;
      }
      default:
        if (this.cipher!.expectedBodyLength === -1) {
          this.cipher!.decryptLength(bytes);
          return;
        }
        {
          const msg = this.cipher!.decryptBody(bytes);
          if (this.frameTimer) {
            clearTimeout(this.frameTimer);
            this.frameTimer = undefined;
          }
          this.onMessage(msg);
        }
    }
  }

  private handshakeDone(): void {
    this.initiator = undefined;
    this.responder = undefined;
    clearTimeout(this.stageTimer);
    if (this.direction === 'in' && this.nodeId.every((b, i) => b === this.host.nodeId[i])) {
      this.close('peer authenticated with our own node id');
      return;
    }
    this.phase = 'init';
    this.stageTimer = this.timer(this.host.limits.initTimeoutMs, () =>
      this.close(`init timeout: no init within ${this.host.limits.initTimeoutMs} ms`, { kind: 'INIT_FAILED' }),
    );
    // BOLT 1: "MUST send `init` as the first Lightning message for any connection."
    const remoteAddr = this.direction === 'in' ? remoteAddrDescriptor(this.conn.remoteIp, this.conn.remotePort) : undefined;
    this.sendMessage(MSG.init, encodeInit(buildInit(this.host.localFeatures, this.host.network, remoteAddr)), true);
  }

  private onMessage(msg: Uint8Array): void {
    this.counters.msgsIn++;
    const { type, payload } = splitMessage(msg); // WireError when shorter than 2 bytes
    if (this.phase === 'init') {
      if (type === MSG.init) return this.onInit(payload);
      if (type === MSG.warning) return this.onWarning(payload);
      if (type === MSG.error) return this.onError(payload);
      // BOLT 1: the sender "MUST send `init` as the first Lightning message"; we tolerate unknown
      // odd types (it's OK to be odd), as Core Lightning does, and close on anything else.
      if (type % 2 === 1) return;
      this.close(`message type ${type} before init`, { kind: 'INIT_FAILED' });
      return;
    }
    switch (type) {
      case MSG.ping:
        this.onPing(payload);
        break;
      case MSG.pong:
        this.onPong(payload);
        break;
      case MSG.warning:
        this.onWarning(payload);
        break;
      case MSG.error:
        this.onError(payload);
        break;
      case MSG.init:
        this.close('second init on the same connection');
        return;
      default:
        if (!this.host.dispatch(this, type, payload) && type % 2 === 0) {
          // BOLT 1: "upon receiving a message of _even_, unknown type: MUST close the connection."
          this.close(`unknown even message type ${type}`, { warning: `unknown even message type ${type}` });
        }
        // "upon receiving a message of _odd_, unknown type: MUST ignore the received message."
        return;
    }
    if (this.phase === 'active') this.host.dispatch(this, type, payload);
  }

  private onInit(payload: Uint8Array): void {
    let init: InitMessage;
    try {
      init = decodeInit(payload);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.close(`bad init: ${e.message}`, { kind: 'INIT_FAILED', warning: `bad init: ${e.message}` });
      return;
    }
    const check = checkRemoteInit(init, this.host.localFeatures, this.host.network);
    if (!check.ok) {
      this.close(check.reason, { kind: 'INIT_FAILED', warning: check.warning });
      return;
    }
    // Established-peer caps (the registry knows the counts): refused with a warning saying why.
    const refusal = this.host.admitPeer(this);
    if (refusal !== undefined) {
      this.close(refusal, { kind: 'TOO_MANY_PEERS', warning: refusal });
      return;
    }
    this.remoteInit = init;
    this.remoteFeatures = check.features;
    clearTimeout(this.stageTimer);
    this.stageTimer = undefined;
    this.phase = 'active';
    this.log.info(`connected (${this.direction} ${this.transport} ${this.remoteAddress}), features ${toHex(check.features)}`);
    this.scheduleLiveness();
    this.resolveReady();
    this.host.peerReady(this);
  }

  // BOLT 1, The `ping` and `pong` Messages.
  private onPing(payload: Uint8Array): void {
    const ping = decodePing(payload); // "insufficient length ... MUST close": WireError → close
    if (!this.pingBudget.take(ping.numPongBytes, this.host.clock.now())) {
      // Flood: we disconnect (after a warning) rather than silently skip pongs.
      const lim = this.host.limits;
      this.close(`ping flood: more than ${lim.pingBurst} ping tokens in a burst or ${lim.pingRefillPerSecond}/s sustained`, {
        warning: 'ping flood',
      });
      return;
    }
    // "if `num_pong_bytes` is less than 65532: MUST respond by sending a `pong` message, with
    //  `byteslen` equal to `num_pong_bytes`" (and "SHOULD set `ignored` to 0s").
    if (ping.numPongBytes < PING_NO_REPLY_THRESHOLD) {
      if (!this.sendMessage(MSG.pong, encodePong({ ignored: new Uint8Array(ping.numPongBytes) }))) {
        this.log.debug('pong dropped: output queue full');
      }
    }
  }

  private onPong(payload: Uint8Array): void {
    const n = decodePong(payload).ignored.length;
    if (!this.pongs.answer(n)) {
      // "if `byteslen` does not correspond to any `ping`'s `num_pong_bytes` value it has sent: MAY
      //  close the connection." We ignore it, as Core Lightning does.
      this.log.debug(`unexpected pong of ${n} bytes`);
    }
  }

  private onWarning(payload: Uint8Array): void {
    const w = decodeWarning(payload);
    // "upon receiving `warning`: SHOULD log the message for later diagnosis."
    this.lastWarning = describeData(w.data);
    const ch = w.channelId.every((b) => b === 0) ? 'all channels' : `channel ${toHex(w.channelId)}`;
    this.log.warn(`peer sent warning (${ch}): ${this.lastWarning}`);
  }

  private onError(payload: Uint8Array): void {
    const e = decodeError(payload);
    const text = describeData(e.data);
    // BOLT 1: "if `channel_id` is all zero: MUST fail all channels with the sending node", and
    // "if no existing channel is referred to by `channel_id`: MUST ignore the message". We have no
    // channels: an all-zero error (the connection-level one) closes the connection; an error about
    // a channel we do not have is logged and ignored.
    if (e.channelId.every((b, i) => b === ZERO_CHANNEL_ID[i])) {
      this.close(`peer sent error: ${text}`, { kind: 'INIT_FAILED', graceful: true });
      return;
    }
    this.log.warn(`peer sent error for unknown channel ${toHex(e.channelId)} (ignored): ${text}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Liveness

  private scheduleLiveness(): void {
    const every = this.host.limits.pingIntervalMs;
    if (every <= 0 || this.phase !== 'active') return;
    this.livenessTimer = this.timer(every, () => {
      this.livenessTimer = undefined;
      if (this.phase !== 'active') return;
      if (!this.livenessOutstanding) this.sendLivenessPing();
      this.scheduleLiveness();
    });
  }

  private sendLivenessPing(): void {
    const timeout = this.host.limits.pongTimeoutMs;
    const pongBytes = 1 + Math.floor(this.host.random(1)[0]! / 8); // small, varied (1..32 bytes)
    this.livenessOutstanding = true;
    const timedOut = new PingError('TIMEOUT', `no pong within ${timeout} ms`);
    this.pongs.expect(pongBytes, timeout, () => timedOut, (err) => {
      this.livenessOutstanding = false;
      // BOLT 1: "if it doesn't receive a corresponding `pong`: MAY close the network connection".
      if (err === timedOut) this.close(`ping timeout: no pong within ${timeout} ms`);
    });
    // If the queue is full the ping is not sent, but its timer runs: a peer that does not read
    // what we send is dropped when it expires.
    this.sendMessage(MSG.ping, encodePing({ numPongBytes: pongBytes, ignored: new Uint8Array(0) }));
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  /** Encrypt and queue one message; `control` messages go out during the init phase too. */
  private sendMessage(type: number, payload: Uint8Array, control = false): boolean {
    if (this.phase === 'closed' || !this.cipher) return false;
    const msg = frameMessage(type, payload); // RangeError over 65535 bytes: a caller bug
    const size = LENGTH_HEADER_LEN + msg.length + BODY_MAC_LEN;
    if (!control && this.conn.queuedBytes() + size > this.host.limits.maxOutputQueueBytes) return false;
    const [lc, c] = this.cipher.encryptMessage(msg);
    this.conn.write([lc, c]);
    this.counters.bytesOut += size;
    this.counters.msgsOut++;
    const q = this.conn.queuedBytes();
    if (q > this.counters.maxQueuedOut) this.counters.maxQueuedOut = q;
    return true;
  }

  private writeRaw(bytes: Uint8Array): void {
    this.conn.write([bytes]);
    this.counters.bytesOut += bytes.length;
  }

  /** While the peer does not read what we send, we do not read what it sends. */
  private applyBackpressure(): void {
    if (!this.inputPaused && this.conn.queuedBytes() > this.host.limits.maxOutputQueueBytes) {
      this.inputPaused = true;
      this.updateReading();
      this.log.debug(`output queue ${this.conn.queuedBytes()} bytes: pausing input`);
    }
  }

  private onDrain(): void {
    if (this.inputPaused && this.phase !== 'closed' && this.conn.queuedBytes() <= this.host.limits.maxOutputQueueBytes) {
      this.inputPaused = false;
      this.updateReading();
    }
  }

  /**
   * Stop reading from the socket until `releaseReading(reason)`: a layer above is behind with
   * this peer's messages (TCP then slows the peer down instead of us buffering without bound).
   */
  holdReading(reason: string): void {
    if (this.phase === 'closed') return;
    this.readHolds.add(reason);
    this.updateReading();
  }

  releaseReading(reason: string): void {
    if (this.readHolds.delete(reason)) this.updateReading();
  }

  private updateReading(): void {
    const pause = this.inputPaused || this.readHolds.size > 0;
    if (pause && !this.connPaused) {
      this.connPaused = true;
      this.conn.pause();
    } else if (!pause && this.connPaused && this.phase !== 'closed') {
      this.connPaused = false;
      this.conn.resume();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Closing

  /**
   * The one exit. Logs `disconnect: <reason>` once. `warning` is sent (encrypted) before closing
   * when the transport is up; handshake failures close without further messages (BOLT 8).
   */
  close(
    reason: string,
    opts: {
      warning?: string;
      kind?: ConnectErrorCode;
      graceful?: boolean;
      level?: 'debug' | 'info' | 'warn' | 'error';
      /** False: not counted in the registry's summary of inbound closes (evictions, registry closing). */
      summary?: boolean;
    } = {},
  ): void {
    if (this.phase === 'closed') return;
    const wasReady = this.phase === 'active';
    const unestablishedInbound = this.direction === 'in' && !wasReady;
    const kind: ConnectErrorCode =
      opts.kind ?? (this.phase === 'act1' || this.phase === 'act2' || this.phase === 'act3' ? 'HANDSHAKE_FAILED' : this.phase === 'init' ? 'INIT_FAILED' : 'CLOSED');
    let flush = opts.graceful ?? false;
    if (opts.warning !== undefined && this.cipher && (this.phase === 'init' || this.phase === 'active')) {
      this.sendMessage(MSG.warning, encodeWarning({ channelId: ZERO_CHANNEL_ID, data: new TextEncoder().encode(opts.warning) }), true);
      flush = true;
    }
    this.phase = 'closed';
    this.closeReason = reason;
    this.log[opts.level ?? (unestablishedInbound ? 'debug' : 'info')](`disconnect: ${reason}`);
    for (const t of [this.stageTimer, this.actOneTimer, this.frameTimer, this.livenessTimer]) if (t) clearTimeout(t);
    this.pongs.failAll(new PingError('DISCONNECTED', reason));
    this.inbuf.clear();
    if (flush) this.conn.end(this.host.limits.closeGraceMs);
    else this.conn.destroy();
    this.rejectReady(new ConnectError(kind, reason));
    const category = unestablishedInbound && opts.summary !== false ? reasonCategory(reason) : undefined;
    this.host.peerClosed(this, reason, wasReady, category);
  }

  private timer(ms: number, f: () => void): NodeJS.Timeout {
    const t = setTimeout(f, ms);
    t.unref();
    return t;
  }

  private makeLogger(): Logger {
    const id = this.nodeId.length ? toHex(this.nodeId) : '?';
    return this.host.logger.child(`peer ${id}@${this.remoteAddress}`);
  }
}
