/**
 * Issue 3 interop: our transport (src/transport) against LDK 0.1 on real TCP sockets, both
 * directions: LDK dials us, and we dial LDK. Each checks the BOLT 8 handshake, the BOLT 1 `init`
 * exchange as each side sees the other's features, and 1,100 pings each way. BOLT 8 rotates keys
 * every 1000 nonces, i.e. every 500 messages per direction, so 1,100 pings (plus their pongs)
 * take each of the four cipher states past two rotations.
 *
 * Pings from LDK: LDK sends one per `PeerManager.timer_tick_occurred()` (`num_pong_bytes` 0,
 * 64 bytes of padding), and only once the previous pong arrived, so each tick waits for LDK's log
 * line "Received message Pong" before the next; 1,100 pings received by us and 1,100 pongs
 * received by LDK prove both directions. A tick that finds no answer and no traffic would make
 * LDK disconnect us, which the test would see.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicRandom } from '../../src/crypto/index.ts';
import { PeerRegistry, type Peer } from '../../src/transport/index.ts';
import { createLogger, memorySink, type LogRecord } from '../../src/util/log.ts';
import { toHex } from '../../src/util/bytes.ts';
import { CHAIN_HASH, MSG, featureBits } from '../../src/wire/index.ts';
import { hex, initLdk, startLdkNode, type LdkNode } from './ldk-harness.ts';

const PINGS = 1_100;

interface Us {
  reg: PeerRegistry;
  records: LogRecord[];
  port: number;
  /** Pings and pongs received, per peer node id (hex). */
  pingsIn: Map<string, number>;
  pongsIn: Map<string, number>;
}

async function startUs(name: string): Promise<Us> {
  const sink = memorySink(20_000);
  const random = deterministicRandom(`ldk-peer-${name}`);
  const reg = new PeerRegistry({
    nodeSecret: random(32),
    network: 'regtest',
    logger: createLogger({ level: 'debug', sinks: [sink], prefix: name }),
    random,
    // No liveness pings of our own: the counts below are exactly the test's pings.
    limits: { pingIntervalMs: 0 },
  });
  const { port } = await reg.listenTcp('127.0.0.1', 0);
  const us: Us = { reg, records: sink.records, port, pingsIn: new Map(), pongsIn: new Map() };
  const bump = (m: Map<string, number>, p: Peer) => m.set(toHex(p.nodeId), (m.get(toHex(p.nodeId)) ?? 0) + 1);
  reg.onMessage(MSG.ping, (p) => bump(us.pingsIn, p));
  reg.onMessage(MSG.pong, (p) => bump(us.pongsIn, p));
  return us;
}

function disconnects(us: Us): string[] {
  return us.records.filter((r) => r.msg.startsWith('disconnect: ')).map((r) => `${r.prefix}: ${r.msg}`);
}

/** Waits until every ping LDK sent us was answered and LDK has read the pong. */
async function quiesce(us: Us, ldk: LdkNode): Promise<void> {
  await ldk.waitFor(
    () => ldk.messageCount(us.reg.nodeId, 'Pong', 'in') === ldk.messageCount(us.reg.nodeId, 'Ping', 'out'),
    'LDK to receive a pong for each of its pings',
  );
}

/** The checks shared by both directions, once `peer` (our view) and `ldk` are connected. */
function describeConnected(label: string, ctx: () => { us: Us; ldk: LdkNode; peer: Peer; direction: 'in' | 'out' }): void {
  it(`${label}: init — LDK sees our features, we see LDK's`, () => {
    const { us, ldk, peer, direction } = ctx();
    expect(peer.direction).toBe(direction);
    expect(peer.transport).toBe('tcp');
    expect(hex(peer.nodeId)).toBe(hex(ldk.nodeId));

    // LDK's view of our init: exactly the bits we advertise.
    const seen = ldk.peerInfo(us.reg.nodeId);
    expect(seen, 'LDK lists us as a peer').toBeDefined();
    expect(seen!.featureBits).toEqual(featureBits(us.reg.localFeatures));
    expect(seen!.inbound).toBe(direction === 'out');
    // The bits a full LDK node needs of a peer (one of each pair), and the onion message bits.
    for (const pair of [0, 8, 12, 14, 38]) {
      expect(seen!.featureBits.some((b) => b === pair || b === pair + 1), `bit ${pair}/${pair + 1}`).toBe(true);
    }

    // Our view of LDK's init: the bits LDK says it sends, and its `networks` = regtest.
    expect(featureBits(peer.remoteInit.features)).toEqual(ldk.ownInitFeatureBits(us.reg.nodeId));
    expect(featureBits(peer.remoteInit.features)).toEqual([0, 5, 8, 12, 14, 17, 19, 25, 27, 39, 45, 47, 51]);
    expect(peer.remoteInit.networks?.map(toHex)).toEqual([toHex(CHAIN_HASH.regtest)]);
    expect(disconnects(us)).toEqual([]);
  });

  it(`${label}: ${PINGS} pings from us, each answered by LDK`, async () => {
    const { us, ldk, peer } = ctx();
    await quiesce(us, ldk);
    const ldkPings0 = ldk.messageCount(us.reg.nodeId, 'Ping', 'in');
    const pings0 = us.pingsIn.get(toHex(ldk.nodeId)) ?? 0;
    const pongs0 = us.pongsIn.get(toHex(ldk.nodeId)) ?? 0;
    const statsBefore = peer.stats();
    let totlen = 0;
    for (let i = 0; i < PINGS; i++) {
      // Vary both sizes: padding 0..199 bytes, 0..63 pong bytes asked of LDK.
      const pongBytes = i % 64;
      const r = await peer.ping(i % 200, pongBytes);
      expect(r.totlen).toBe(4 + pongBytes);
      totlen += r.totlen;
    }
    expect(totlen).toBe(Array.from({ length: PINGS }, (_, i) => 4 + (i % 64)).reduce((a, b) => a + b, 0));
    expect(ldk.messageCount(us.reg.nodeId, 'Ping', 'in') - ldkPings0).toBe(PINGS);
    expect(us.pongsIn.get(toHex(ldk.nodeId))! - pongs0).toBe(PINGS);
    // LDK quirk: after sending 32 messages without receiving a pong (here: its pongs) LDK sends an
    // extra ping of its own (peer_handler.rs `maybe_send_extra_ping`). We must answer those too.
    await quiesce(us, ldk);
    const extra = us.pingsIn.get(toHex(ldk.nodeId))! - pings0;
    expect(extra).toBeGreaterThanOrEqual(1);
    expect(extra).toBeLessThanOrEqual(Math.ceil(PINGS / 32));
    const stats = peer.stats();
    expect(stats.msgsOut - statsBefore.msgsOut).toBe(PINGS + extra);
    expect(stats.msgsIn - statsBefore.msgsIn).toBe(PINGS + extra);
    expect(stats.msgsIn).toBeGreaterThan(500); // past the first receiving-key rotation
    expect(peer.connected).toBe(true);
    expect(ldk.isConnected(us.reg.nodeId)).toBe(true);
  });

  it(`${label}: ${PINGS} pings from LDK (timer ticks), each answered by us`, async () => {
    const { us, ldk, peer } = ctx();
    const id = toHex(ldk.nodeId);
    await quiesce(us, ldk);
    const ourPings0 = us.pingsIn.get(id) ?? 0;
    const ldkPongs0 = ldk.messageCount(us.reg.nodeId, 'Pong', 'in');
    for (let i = 1; i <= PINGS; i++) {
      ldk.timerTick();
      await ldk.waitFor(() => ldk.messageCount(us.reg.nodeId, 'Pong', 'in') >= ldkPongs0 + i, `LDK to receive pong ${i}`, 5_000, 1);
    }
    expect(us.pingsIn.get(id)! - ourPings0).toBe(PINGS);
    expect(ldk.messageCount(us.reg.nodeId, 'Pong', 'in') - ldkPongs0).toBe(PINGS);
    expect(ldk.messageCount(us.reg.nodeId, 'Ping', 'out')).toBeGreaterThanOrEqual(PINGS);
    // Both directions still work after the rotations: one more ping each way.
    await expect(peer.ping(10, 10)).resolves.toEqual({ totlen: 14 });
    ldk.timerTick();
    await ldk.waitFor(() => ldk.messageCount(us.reg.nodeId, 'Pong', 'in') >= ldkPongs0 + PINGS + 1, 'the last pong');
    expect(peer.stats().msgsIn).toBeGreaterThan(2 * PINGS);
    expect(peer.connected).toBe(true);
    expect(disconnects(us)).toEqual([]);
  });
}

describe('LDK interop: transport (issue 3)', () => {
  let us: Us;
  let ldkDialer: LdkNode; // connects to us
  let ldkListener: LdkNode; // we connect to it
  let inbound: Peer;
  let outbound: Peer;

  beforeAll(async () => {
    await initLdk();
    [us, ldkDialer, ldkListener] = await Promise.all([
      startUs('us'),
      startLdkNode({ seed: 0x31, listen: false }),
      startLdkNode({ seed: 0x32 }),
    ]);
  });

  afterAll(async () => {
    await us?.reg.close();
    await ldkDialer?.stop();
    await ldkListener?.stop();
  });

  it('LDK dials us: handshake and init complete on both sides', async () => {
    const connected = new Promise<Peer>((resolve) => us.reg.once('connect', resolve));
    await ldkDialer.connect('127.0.0.1', us.port, us.reg.nodeId);
    inbound = await connected;
    await ldkDialer.waitForPeer(us.reg.nodeId);
    expect(us.reg.get(ldkDialer.nodeId)).toBe(inbound);
  });
  describeConnected('LDK dials us', () => ({ us, ldk: ldkDialer, peer: inbound, direction: 'in' }));

  it('we dial LDK: handshake and init complete on both sides', async () => {
    outbound = await us.reg.connect(ldkListener.nodeId, ldkListener.host, ldkListener.port, { transport: 'tcp' });
    await ldkListener.waitForPeer(us.reg.nodeId);
    expect(us.reg.list().map((p) => toHex(p.nodeId)).sort()).toEqual([toHex(ldkDialer.nodeId), toHex(ldkListener.nodeId)].sort());
  });
  describeConnected('we dial LDK', () => ({ us, ldk: ldkListener, peer: outbound, direction: 'out' }));

  it('disconnects are seen by the other side, both ways', async () => {
    // We hang up on LDK.
    outbound.disconnect('test: our hang-up');
    await ldkListener.waitForDisconnect(us.reg.nodeId);
    // LDK hangs up on us.
    const gone = new Promise<string>((resolve) => us.reg.once('disconnect', (_p: Peer, reason: string) => resolve(reason)));
    ldkDialer.disconnect(us.reg.nodeId);
    expect(await gone).toMatch(/closed by peer/);
    expect(us.reg.list()).toEqual([]);
  });
});
