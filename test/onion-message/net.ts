// Test networks of our own nodes on real sockets: each node a PeerRegistry listening on
// 127.0.0.1 with an OnionMessenger on top.
import { deterministicRandom, publicKey, sha256 } from '../../src/crypto/index.ts';
import { createLogger, memorySink } from '../../src/util/log.ts';
import { systemClock, type Clock } from '../../src/util/clock.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { PeerRegistry } from '../../src/transport/index.ts';
import { OnionMessenger, type OnionMessageLimits, type ReceivedOnionMessage, type ScidResolver } from '../../src/onion-message/index.ts';

export interface TestNode {
  name: string;
  secret: Uint8Array;
  id: Uint8Array;
  reg: PeerRegistry;
  om: OnionMessenger;
  port: number;
  logs: ReturnType<typeof memorySink>;
  /** Messages delivered to the catch-all handlers installed by `listen`. */
  inbox: ReceivedOnionMessage[];
}

export interface NodeOptions {
  limits?: Partial<OnionMessageLimits>;
  scidResolver?: ScidResolver;
  clock?: Clock;
  localFeatures?: Uint8Array;
}

export async function makeNode(name: string, opts: NodeOptions = {}): Promise<TestNode> {
  const secret = sha256(utf8.encode(`onion-message test node ${name}`));
  const logs = memorySink(2000);
  const logger = createLogger({ level: 'debug', sinks: [logs], prefix: name });
  const random = deterministicRandom(`random ${name}`);
  const reg = new PeerRegistry({
    nodeSecret: secret,
    network: 'regtest',
    logger,
    random,
    ...(opts.localFeatures ? { localFeatures: opts.localFeatures } : {}),
  });
  const { port } = await reg.listenTcp('127.0.0.1', 0);
  const om = new OnionMessenger({
    nodeSecret: secret,
    peers: reg,
    logger,
    random,
    clock: opts.clock ?? systemClock,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.scidResolver ? { scidResolver: opts.scidResolver } : {}),
  });
  return { name, secret, id: publicKey(secret), reg, om, port, logs, inbox: [] };
}

/** Record every unauthenticated message of `type` in `node.inbox`. */
export function listen(node: TestNode, type: bigint): void {
  node.om.onMessage(type, (m) => {
    node.inbox.push(m);
  });
}

export async function connect(a: TestNode, b: TestNode): Promise<void> {
  await a.reg.connect(b.id, '127.0.0.1', b.port);
  await waitFor(() => !!b.reg.get(a.id) && !!a.reg.get(b.id), 5000, `${a.name} <-> ${b.name}`);
}

/** n nodes in a line: 0 - 1 - ... - (n-1). */
export async function line(n: number, prefix: string, opts: NodeOptions = {}): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await makeNode(`${prefix}${i}`, opts));
  for (let i = 0; i + 1 < n; i++) await connect(nodes[i]!, nodes[i + 1]!);
  return nodes;
}

export async function closeAll(nodes: TestNode[]): Promise<void> {
  for (const n of nodes) n.om.close();
  await Promise.all(nodes.map((n) => n.reg.close()));
}

export async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
