// Two `Node`s in one process, on real sockets: TCP and WebSocket, each direction, `init`
// exchanged, and 1,100 pings each way — past the first BOLT 8 key rotation (every 1000 messages).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Node, NodeError, hsmSecretSeed, nodeSecretFromHsmSecret } from '../src/node.ts';
import { deterministicRandom, publicKey } from '../src/crypto/index.ts';
import { fromHex, toHex } from '../src/util/bytes.ts';
import { memorySink } from '../src/util/log.ts';
import { tempDir } from './tmp.ts';

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
    const dir = tempDir('b12node-');
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

  it("reads Core Lightning's mnemonic hsm_secret (CLN >= 25.12) and gets CLN's node id", async () => {
    // A CLN v26.06 regtest node created this file (32 zero bytes: no passphrase, then the BIP39
    // mnemonic); `lightning-cli getinfo` gave the id below.
    const mnemonic = 'aspect auto symptom license vault oil cross lava mouse hill reopen ignore';
    const file = new Uint8Array([...new Uint8Array(32), ...new TextEncoder().encode(mnemonic)]);
    const clnId = '02a7e9efa9d099256ed7fffe3a8b3b35dda3fcaab27bd3f0c9d4bf4650dba5a1ec';
    expect(toHex(publicKey(nodeSecretFromHsmSecret(hsmSecretSeed(file))))).toBe(clnId);
    const dir = tempDir('b12cln-');
    mkdirSync(join(dir, 'regtest'));
    writeFileSync(join(dir, 'regtest', 'hsm_secret'), file, { mode: 0o600 });
    const n = await Node.start({ datadir: dir, port: null });
    nodes.push(n);
    expect(n.nodeIdHex).toBe(clnId);
  });

  it('refuses hsm_secret formats it cannot read, saying which', () => {
    const words = new TextEncoder().encode('aspect auto symptom license vault oil cross lava mouse hill reopen ignore');
    expect(() => hsmSecretSeed(new Uint8Array(31))).toThrow(/too short/);
    expect(() => hsmSecretSeed(new Uint8Array(73))).toThrow(/encrypted hsm_secret/);
    expect(() => hsmSecretSeed(new Uint8Array([...new Uint8Array(32).fill(1), ...words]))).toThrow(/passphrase/);
    expect(() => hsmSecretSeed(new Uint8Array([...new Uint8Array(32), 0xff, 0xfe]))).toThrow(/not UTF-8/);
    expect(() => hsmSecretSeed(new Uint8Array([...new Uint8Array(32), ...words.subarray(0, 20)]))).toThrow(NodeError);
  });
});
