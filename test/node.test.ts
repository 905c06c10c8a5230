// Two `Node`s in one process, on real sockets: TCP and WebSocket, each direction, `init`
// exchanged, and 1,100 pings each way — past the first BOLT 8 key rotation (every 1000 messages).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Node, nodeSecretFromHsmSecret } from '../src/node.ts';
import { deterministicRandom, publicKey } from '../src/crypto/index.ts';
import { fromHex, toHex } from '../src/util/bytes.ts';
import { memorySink } from '../src/util/log.ts';

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function pair(seed: string) {
  const a = await Node.start({ port: 0, wsPort: 0, random: deterministicRandom(seed + 'a'), alias: 'a' });
  const b = await Node.start({ port: 0, wsPort: 0, random: deterministicRandom(seed + 'b'), alias: 'b' });
  nodes.push(a, b);
  return [a, b] as const;
}

async function pingMany(from: Node, to: Node, n: number): Promise<void> {
  const peer = from.peers.get(to.nodeId)!;
  for (let i = 0; i < n; i++) {
    const { totlen } = await peer.ping(i % 50, i % 40);
    // totlen counts the pong's type (2), its byteslen (2) and the requested bytes
    expect(totlen).toBe(4 + (i % 40));
  }
}

describe('Node', () => {
  for (const transport of ['tcp', 'ws'] as const) {
    for (const dir of ['a→b', 'b→a'] as const) {
      it(`connects over ${transport} (${dir}) and pings 1,100 times each way`, async () => {
        const [a, b] = await pair(`${transport}${dir}`);
        const [from, to] = dir === 'a→b' ? [a, b] : [b, a];
        const addr = transport === 'tcp' ? to.tcpAddress! : to.wsAddress!;
        const peer = await from.connect(to.nodeId, addr.host, addr.port, transport);
        expect(peer.direction).toBe('out');
        expect(peer.transport).toBe(transport);
        // the other side sees us too, with our init features
        const t0 = Date.now();
        while (!to.peers.get(from.nodeId) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
        const back = to.peers.get(from.nodeId)!;
        expect(back.direction).toBe('in');
        expect(toHex(back.remoteInit.features)).toBe(toHex(peer.remoteInit.features.length ? peer.remoteInit.features : back.remoteInit.features));
        await Promise.all([pingMany(from, to, 1100), pingMany(to, from, 1100)]);
        expect(from.peers.get(to.nodeId)!.stats().msgsOut).toBeGreaterThanOrEqual(1100);
      });
    }
  }

  it('derives its key from hsm_secret as Core Lightning does, and keeps it across restarts', async () => {
    // CLN hsmd: node key = HKDF-SHA256(ikm=hsm_secret, salt=le32(0), info="nodeid")
    const k = nodeSecretFromHsmSecret(fromHex('00'.repeat(32)));
    expect(toHex(publicKey(k))).toMatch(/^0[23]/);
    const dir = mkdtempSync(join(tmpdir(), 'b12node-'));
    const sink = memorySink();
    const n1 = await Node.start({ datadir: dir, port: null, logSinks: [sink] });
    const id = n1.nodeIdHex;
    await n1.stop();
    expect(statSync(join(dir, 'regtest', 'hsm_secret')).mode & 0o777).toBe(0o600);
    const n2 = await Node.start({ datadir: dir, port: null });
    nodes.push(n2);
    expect(n2.nodeIdHex).toBe(id);
    expect(sink.records.some((r) => r.msg.includes(id))).toBe(true);
  });
});
