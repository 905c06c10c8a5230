// Shared test helpers: registries with in-memory logs, and a raw (hostile) BOLT 8 client that
// speaks bytes directly over TCP or WebSocket, so tests can break any rule on a real socket.
import * as net from 'node:net';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import WebSocket from 'ws';
import { deterministicRandom, publicKey } from '../../src/crypto/index.ts';
import { InitiatorHandshake, type NoiseCipher } from '../../src/noise/index.ts';
import { createLogger, memorySink, type LogRecord } from '../../src/util/log.ts';
import { MSG, encodeInit, encodePing, frameMessage, splitMessage, CHAIN_HASH, featuresFromBits, type Network } from '../../src/wire/index.ts';
import { PeerRegistry, type FdProbe, type PeerLimits } from '../../src/transport/index.ts';

export interface TestNode {
  reg: PeerRegistry;
  records: LogRecord[];
  secret: Uint8Array;
}

export function makeNode(
  seed: string,
  opts: { limits?: Partial<PeerLimits>; network?: Network; localFeatures?: Uint8Array; fdProbe?: FdProbe } = {},
): TestNode {
  const sink = memorySink(100_000);
  const random = deterministicRandom(`node-${seed}`);
  const secret = random(32);
  const reg = new PeerRegistry({
    nodeSecret: secret,
    network: opts.network ?? 'regtest',
    logger: createLogger({ level: 'debug', sinks: [sink], prefix: seed }),
    random,
    limits: opts.limits,
    localFeatures: opts.localFeatures,
    fdProbe: opts.fdProbe,
  });
  return { reg, records: sink.records, secret };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor<T>(f: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** `disconnect:` log lines whose prefix mentions `needle` (a node id hex or `host:port`). */
export function disconnectLines(records: LogRecord[], needle: string): LogRecord[] {
  return records.filter((r) => r.msg.startsWith('disconnect: ') && r.prefix.includes(needle));
}

/** A BOLT 8 client driven byte by byte. */
export class RawPeer {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  cipher?: NoiseCipher;
  closed = false;
  readonly closedPromise: Promise<void>;
  private markClosed!: () => void;
  localPort = 0;

  private constructor(
    private readonly sendRaw: (b: Uint8Array) => void,
    readonly destroy: () => void,
    readonly pause: () => void,
  ) {
    this.closedPromise = new Promise((r) => (this.markClosed = r));
  }

  /** Connect to 127.0.0.1:`port`, from `localAddress` (another loopback source, e.g. 127.0.0.2) if given. */
  static async open(transport: 'tcp' | 'ws', port: number, opts: { localAddress?: string } = {}): Promise<RawPeer> {
    if (transport === 'tcp') {
      const sock = net.connect({ host: '127.0.0.1', port, localAddress: opts.localAddress });
      await new Promise<void>((res, rej) => {
        sock.once('connect', res);
        sock.once('error', rej);
      });
      const p = new RawPeer(
        (b) => void sock.write(b),
        () => sock.destroy(),
        () => sock.pause(),
      );
      p.localPort = sock.localPort!;
      sock.on('data', (d: Buffer) => p.onData(d));
      sock.on('error', () => undefined);
      sock.on('close', () => p.onClose());
      return p;
    }
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, localAddress: opts.localAddress });
    let raw: net.Socket | undefined;
    ws.on('upgrade', (res) => (raw = res.socket as net.Socket));
    await new Promise<void>((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    const p = new RawPeer(
      (b) => ws.send(b, { binary: true }),
      () => ws.terminate(),
      () => ws.pause(),
    );
    p.localPort = raw!.localPort!;
    ws.on('message', (d: Buffer) => p.onData(d));
    ws.on('error', () => undefined);
    ws.on('close', () => p.onClose());
    return p;
  }

  write(b: Uint8Array): void {
    this.sendRaw(b);
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (const w of this.waiters.splice(0)) w();
  }

  private onClose(): void {
    this.closed = true;
    this.markClosed();
    for (const w of this.waiters.splice(0)) w();
  }

  async read(n: number, timeoutMs = 3000): Promise<Uint8Array> {
    const end = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`closed with ${this.buf.length}/${n} bytes`);
      if (Date.now() > end) throw new Error(`read(${n}) timed out`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    const out = new Uint8Array(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Acts one to three as an honest initiator (our static key `secret`). */
  async handshake(remoteId: Uint8Array, secret: Uint8Array, seed = 'raw'): Promise<NoiseCipher> {
    const hs = new InitiatorHandshake({ localSecret: secret, remoteStatic: remoteId, random: deterministicRandom(seed) });
    this.write(hs.writeActOne());
    hs.readActTwo(await this.read(50));
    const { act, cipher } = hs.writeActThree();
    this.write(act);
    this.cipher = cipher;
    return cipher;
  }

  sendMsg(type: number, payload: Uint8Array): void {
    this.write(this.cipher!.encryptFrame(frameMessage(type, payload)));
  }

  async readMsg(timeoutMs = 3000): Promise<{ type: number; payload: Uint8Array }> {
    const len = this.cipher!.decryptLength(await this.read(18, timeoutMs));
    return splitMessage(this.cipher!.decryptBody(await this.read(len + 16, timeoutMs)));
  }

  /** Handshake, then send our `init` and read the server's. */
  async establish(remoteId: Uint8Array, secret: Uint8Array, network: Network = 'regtest'): Promise<void> {
    await this.handshake(remoteId, secret);
    this.sendMsg(
      MSG.init,
      encodeInit({ globalFeatures: new Uint8Array(0), features: featuresFromBits([9, 39]), networks: [CHAIN_HASH[network]], unknownTlvs: [] }),
    );
    const m = await this.readMsg();
    if (m.type !== MSG.init) throw new Error(`expected init, got ${m.type}`);
  }

  /** Send a ping asking `pongBytes` and wait for its pong (skipping other messages). */
  async pingPong(pongBytes = 8, timeoutMs = 3000): Promise<void> {
    this.sendMsg(MSG.ping, encodePing({ numPongBytes: pongBytes, ignored: new Uint8Array(0) }));
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.readMsg(Math.max(1, end - Date.now()));
      if (m.type === MSG.pong && m.payload.length === 2 + pongBytes) return;
    }
  }
}

/** Descriptors open in this process now (Linux). */
export function openFds(): number {
  const n = statSync('/proc/self/fd').size;
  return n > 0 ? n : readdirSync('/proc/self/fd').length - 1;
}

/** The process's descriptor limit (soft RLIMIT_NOFILE), Linux. */
export function fdLimit(): number {
  const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : Infinity;
}

/** A raw HTTP request asking a WebSocket upgrade (as a browser would send it). */
export const WS_UPGRADE_REQUEST =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/**
 * A plain TCP socket from `localAddress` to 127.0.0.1:`port` that sends `send` (if any) and then
 * nothing. Resolves when connected (or failed); `closed` resolves when it closes, with its
 * lifetime in ms.
 */
export function silentSocket(port: number, localAddress: string, send?: string): { sock: net.Socket; closed: Promise<number> } {
  const t0 = Date.now();
  const sock = net.connect({ host: '127.0.0.1', port, localAddress });
  sock.on('error', () => undefined);
  if (send !== undefined) sock.once('connect', () => sock.write(send));
  sock.resume(); // read (and drop) whatever comes back, such as a 101 response
  const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now() - t0)));
  return { sock, closed };
}

export function randomSecret(seed: string): Uint8Array {
  return deterministicRandom(seed)(32);
}

export { publicKey };
