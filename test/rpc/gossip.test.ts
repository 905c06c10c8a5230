// listnodes, listchannels, getonionpath and getinfo.gossip over a live daemon's socket, in Core
// Lightning's shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../src/rpc/daemon.ts';
import { rpcCall } from '../../src/rpc/server.ts';
import { scidToString } from '../../src/wire/index.ts';
import { toHex } from '../../src/util/bytes.ts';
import { publicKey } from '../../src/crypto/index.ts';
import { tempDir } from '../tmp.ts';
import { secretOf, signedSet } from '../gossip/fixtures.ts';

const NOW = Math.floor(Date.now() / 1000);
let d: Daemon;
const set = signedSet({ nodes: 4, edges: [[0, 1], [1, 2], [2, 3]], now: NOW, seed: 'rpc', onion: (i) => i !== 3 });

beforeAll(async () => {
  d = await startDaemon({ datadir: tempDir('bolt12d-rpc-gossip-'), port: 0, logLevel: 'warn' });
  await d.node.gossip.ingest(set.messages);
});
afterAll(async () => {
  await d.shutdown();
});

const call = async (method: string, params: unknown = []) => (await rpcCall(d.rpcPath, method, params, 5000)) as { result?: any; error?: any };

describe('gossip RPC', () => {
  it('listnodes: every node with its announcement, or one by id', async () => {
    const all = (await call('listnodes')).result.nodes;
    expect(all).toHaveLength(4);
    const one = (await call('listnodes', [toHex(set.nodeIds[2]!)])).result.nodes;
    expect(one).toEqual([
      {
        nodeid: toHex(set.nodeIds[2]!),
        last_timestamp: NOW - 50,
        alias: 'node2',
        color: '010203',
        features: '8000000000',
        addresses: [{ type: 'ipv4', address: '127.0.0.1', port: 9737 }],
      },
    ]);
    expect((await call('listnodes', [toHex(publicKey(secretOf('x', 1)))])).result.nodes).toEqual([]);
    expect((await call('listnodes', ['zz'])).error.code).toBe(-32602);
  });

  it('listchannels: both directions, filtered by short_channel_id, source or destination', async () => {
    const all = (await call('listchannels')).result.channels;
    expect(all).toHaveLength(6);
    const scid = scidToString(set.scids[1]!);
    const byScid = (await call('listchannels', { short_channel_id: scid })).result.channels;
    expect(byScid).toHaveLength(2);
    expect(byScid[0]).toMatchObject({ short_channel_id: scid, public: true, active: true, delay: 40, base_fee_millisatoshi: 1000, fee_per_millionth: 10, htlc_minimum_msat: 1, htlc_maximum_msat: 1_000_000_000 });
    const src = toHex(set.nodeIds[1]!);
    const bySource = (await call('listchannels', { source: src })).result.channels;
    expect(bySource).toHaveLength(2);
    expect(bySource.every((c: any) => c.source === src)).toBe(true);
    const byDest = (await call('listchannels', { destination: src })).result.channels;
    expect(byDest.every((c: any) => c.destination === src)).toBe(true);
    expect((await call('listchannels', { short_channel_id: 'nope' })).error.code).toBe(-32602);
    expect((await call('listchannels', { short_channel_id: scid, source: src })).error.code).toBe(-32602);
  });

  it('getonionpath: addresses to connect to when no path exists; getinfo.gossip', async () => {
    const r = (await call('getonionpath', [toHex(set.nodeIds[2]!)])).result;
    expect(r).toMatchObject({ route: 'connect', addresses: [{ transport: 'tcp', address: '127.0.0.1', port: 9737, type: 'ipv4' }] });
    // Node 3 announced no option_onion_messages.
    const none = (await call('getonionpath', [toHex(set.nodeIds[3]!)])).error;
    expect(none.code).toBe(205);
    expect(none.data.reason).toBe('destination-unsupported');
    const g = (await call('getinfo')).result.gossip;
    expect(g).toMatchObject({ nodes: 4, channels: 3, utxo_check: false, accepted: { channel_announcement: 3, channel_update: 6, node_announcement: 4 } });
    expect(g.utxo_note).toMatch(/no chain backend/);
  });
});
