// Hostile BOLT 8 peers against a live Node (after a real handshake and init): random message
// types, malformed BOLT 1 messages, random and structured-but-wrong onion_message packets (random
// and off-curve path keys, wrong declared lengths), and an odd-type flood. Each is dropped alone
// with a log line; nothing throws inside the node, and a good peer stays connected and answering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node } from '../../src/node.ts';
import { deterministicRandom } from '../../src/crypto/index.ts';
import { memorySink, type LogRecord } from '../../src/util/log.ts';
import { MSG } from '../../src/wire/index.ts';
import { RawPeer, randomSecret, sleep } from '../transport/helpers.ts';

let node: Node;
let good: Node;
let records: LogRecord[];

beforeAll(async () => {
  const sink = memorySink(200_000);
  records = sink.records;
  node = await Node.start({ port: 0, logSinks: [sink], logLevel: 'debug', random: deterministicRandom('robust-node') });
  good = await Node.start({ port: 0, random: deterministicRandom('robust-good') });
  await good.connect(node.nodeId, '127.0.0.1', node.tcpAddress!.port);
});

afterAll(async () => {
  await good.stop();
  await node.stop();
});

describe('P2P robustness', () => {
  it('random, malformed and onion_message garbage from 240 peers: per-peer drops, no internal errors', async () => {
    const R = deterministicRandom('robust-p2p');
    let n = 0;
    const session = async (f: (p: RawPeer) => void | Promise<void>) => {
      const p = await RawPeer.open('tcp', node.tcpAddress!.port);
      await p.establish(node.nodeId, randomSecret(`robust-${n++}`));
      await f(p);
      await Promise.race([p.closedPromise, sleep(20)]);
      p.destroy();
    };
    for (let i = 0; i < 60; i++) await session((p) => p.sendMsg((R(1)[0]! << 8) | R(1)[0]!, R(R(1)[0]!)));
    for (let i = 0; i < 60; i++) await session((p) => p.sendMsg(i % 4 === 0 ? MSG.ping : i % 4 === 1 ? MSG.pong : i % 4 === 2 ? MSG.warning : MSG.error, R(R(1)[0]! % 40)));
    for (let i = 0; i < 120; i++) {
      await session((p) => {
        const plen = [0, 1, 66, 1366, 1367, 32834, 60000][i % 7]!;
        const body = R(35 + plen);
        body[0] = 2 + (body[0]! & 1); // path_key: a random x, off the curve about half the time
        const declared = i % 3 === 0 ? (R(1)[0]! << 8) | R(1)[0]! : plen;
        body[33] = declared >> 8;
        body[34] = declared & 0xff;
        if (plen > 0) body[35] = 0; // version 0
        p.sendMsg(MSG.onion_message, body);
      });
    }
    // an odd-type flood
    await session(async (p) => {
      for (let i = 0; i < 5000; i++) p.sendMsg(32769, R(64));
      await sleep(200);
    });
    const bad = records.filter((r) => /internal error|threw|unhandled/i.test(r.msg));
    expect(bad.map((r) => r.msg)).toEqual([]);
    expect(records.filter((r) => r.msg.startsWith('disconnect: ')).length).toBeGreaterThanOrEqual(240);
    expect(node.peers.get(good.nodeId)?.connected).toBe(true);
    expect(await good.peers.get(node.nodeId)!.ping(8, 8)).toEqual({ totlen: 12 });
  });
});
