/**
 * Our side of an interop test: a PeerRegistry listening on 127.0.0.1 and an OnionMessenger on it,
 * with logs kept in memory. Deterministic keys and randomness from a name.
 */
import { deterministicRandom, publicKey } from '../../src/crypto/index.ts';
import { OnionMessenger, type OnionMessageLimits } from '../../src/onion-message/index.ts';
import { PeerRegistry } from '../../src/transport/index.ts';
import { systemClock } from '../../src/util/clock.ts';
import { createLogger, memorySink, type LogRecord } from '../../src/util/log.ts';

export interface OurNode {
  nodeSecret: Uint8Array;
  nodeId: Uint8Array;
  reg: PeerRegistry;
  om: OnionMessenger;
  port: number;
  records: LogRecord[];
  random: (n: number) => Uint8Array;
  /** `disconnect:` log lines (a healthy interop test has none it did not ask for). */
  disconnects(): string[];
  close(): Promise<void>;
}

export async function startOurNode(name: string, limits: Partial<OnionMessageLimits> = {}): Promise<OurNode> {
  const sink = memorySink(20_000);
  const random = deterministicRandom(`interop-${name}`);
  const nodeSecret = random(32);
  const logger = createLogger({ level: 'debug', sinks: [sink], prefix: name });
  const reg = new PeerRegistry({ nodeSecret, network: 'regtest', logger, random, limits: { pingIntervalMs: 0 } });
  const om = new OnionMessenger({
    nodeSecret,
    peers: reg,
    logger,
    random,
    clock: systemClock,
    // A test sends a handful of messages to one peer: do not pace them 300 ms apart.
    limits: { outboundRatePerSec: 100, outboundBurst: 20, ...limits },
  });
  const { port } = await reg.listenTcp('127.0.0.1', 0);
  return {
    nodeSecret,
    nodeId: publicKey(nodeSecret),
    reg,
    om,
    port,
    records: sink.records,
    random,
    disconnects: () => sink.records.filter((r) => r.msg.startsWith('disconnect: ')).map((r) => `${r.prefix}: ${r.msg}`),
    close: async () => {
      om.close();
      await reg.close();
    },
  };
}

/** Polls `f` every few ms until it returns a value other than undefined/false/null. */
export async function eventually<T>(f: () => T | undefined | false | null, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
