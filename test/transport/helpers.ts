// Shared test helpers: registries with in-memory logs, and a raw (hostile) BOLT 8 client that
// speaks bytes directly over TCP or WebSocket, so tests can break any rule on a real socket.
import * as net from 'node:net';
import WebSocket from 'ws';
import { deterministicRandom, publicKey } from '../../src/crypto/index.ts';
import { InitiatorHandshake, type NoiseCipher } from '../../src/noise/index.ts';
import { createLogger, memorySink, type LogRecord } from '../../src/util/log.ts';
import { MSG, encodeInit, frameMessage, splitMessage, CHAIN_HASH, featuresFromBits, type Network } from '../../src/wire/index.ts';
import { PeerRegistry, type PeerLimits } from '../../src/transport/index.ts';

export interface TestNode {
  reg: PeerRegistry;
  records: LogRecord[];
  secret: Uint8Array;
}

export function makeNode(seed: string, opts: { limits?: Partial<PeerLimits>; network?: Network; localFeatures?: Uint8Array } = {}): TestNode {
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

  static async open(transport: 'tcp' | 'ws', port: number): Promise<RawPeer> {
    if (transport === 'tcp') {
      const sock = net.connect({ host: '127.0.0.1', port });
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
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
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
}

export function randomSecret(seed: string): Uint8Array {
  return deterministicRandom(seed)(32);
}

export { publicKey };
