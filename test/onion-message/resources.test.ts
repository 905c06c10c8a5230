// Resources, deterministically (a fake peer registry and a manual clock): token buckets, pacing
// of our own messages, the forward byte budget (oldest dropped first), expiry, warnings that slow
// us down, bounded queues, and counters.
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { deterministicRandom, publicKey, sha256 } from '../../src/crypto/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { nullLogger } from '../../src/util/log.ts';
import { bytesEqual, toHex, utf8 } from '../../src/util/bytes.ts';
import { featuresFromBits } from '../../src/wire/features.ts';
import { encodeOnionMessage, encodeWarning, MSG } from '../../src/wire/messages.ts';
import {
  buildOnionMessage,
  OnionMessenger,
  OnionMessageSendError,
  TokenBucket,
  type OnionMessageLimits,
  type OnionPeer,
  type OnionPeers,
} from '../../src/onion-message/index.ts';
import { Outbox } from '../../src/onion-message/outbox.ts';

const rnd = deterministicRandom('resources');
const secretOf = (name: string) => sha256(utf8.encode(name));
const CUSTOM = 0x10001n;

class FakePeer implements OnionPeer {
  readonly sent: { type: number; payload: Uint8Array }[] = [];
  accept = true;
  remoteInit = { features: featuresFromBits([39]) };
  constructor(readonly nodeId: Uint8Array) {}
  send(type: number, payload: Uint8Array): boolean {
    if (!this.accept) return false;
    this.sent.push({ type, payload });
    return true;
  }
  onion(): Uint8Array[] {
    return this.sent.filter((m) => m.type === MSG.onion_message).map((m) => m.payload);
  }
}

class FakeRegistry extends EventEmitter implements OnionPeers {
  readonly peers = new Map<string, FakePeer>();
  private readonly handlers = new Map<number, Set<(p: OnionPeer, b: Uint8Array) => void>>();
  add(name: string): FakePeer {
    const p = new FakePeer(publicKey(secretOf(name)));
    this.peers.set(toHex(p.nodeId), p);
    return p;
  }
  remove(p: FakePeer): void {
    this.peers.delete(toHex(p.nodeId));
    this.emit('disconnect', p, 'gone');
  }
  get(id: Uint8Array): FakePeer | undefined {
    return this.peers.get(toHex(id));
  }
  onMessage(type: number, h: (p: OnionPeer, b: Uint8Array) => void): () => void {
    let s = this.handlers.get(type);
    if (!s) this.handlers.set(type, (s = new Set()));
    s.add(h);
    return () => s!.delete(h);
  }
  deliver(from: FakePeer, type: number, payload: Uint8Array): void {
    for (const h of this.handlers.get(type) ?? []) h(from, payload);
  }
}

function setup(limits: Partial<OnionMessageLimits> = {}) {
  const clock = new ManualClock(1_700_000_000);
  const reg = new FakeRegistry();
  const timers = { set: () => 1, clear: () => {} }; // the test pumps by hand
  const om = new OnionMessenger({ nodeSecret: secretOf('us'), peers: reg, logger: nullLogger, random: rnd, clock, limits, timers });
  return { clock, reg, om };
}

/** An onion_message that `from` sends us and that we must forward to `to`. */
function forwardVia(us: Uint8Array, to: Uint8Array, size = 10): Uint8Array {
  const b = buildOnionMessage({
    route: { via: [us], destination: { nodeId: to } },
    final: { contents: { type: CUSTOM, value: new Uint8Array(size) } },
    sessionKey: rnd(32),
    blindingSecret: rnd(32),
  });
  return encodeOnionMessage({ pathKey: b.pathKey, onionPacket: b.packet });
}

describe('TokenBucket', () => {
  it('bursts, refills at the rate, caps at the burst, ignores a clock going back', () => {
    const b = new TokenBucket(4, 4, 100);
    for (let i = 0; i < 4; i++) expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
    expect(b.waitTime(100)).toBeCloseTo(0.25);
    expect(b.take(100.25)).toBe(true);
    expect(b.take(100.25)).toBe(false);
    expect(b.take(50)).toBe(false);
    let n = 0;
    while (b.take(1000)) n++;
    expect(n).toBe(4);
  });
});

describe('Outbox', () => {
  it('drops the oldest forward first when the global budget is exceeded; own messages first out', () => {
    const o = new Outbox({ maxOwnPerPeer: 2, maxForwardBytes: 300, maxForwardBytesPerPeer: 250 });
    const m = (n: number) => new Uint8Array(100).fill(n);
    expect(o.enqueueForward('a', m(1), 0)).toBe(0);
    expect(o.enqueueForward('b', m(2), 1)).toBe(0);
    expect(o.enqueueForward('a', m(3), 2)).toBe(0);
    expect(o.enqueueForward('b', m(4), 3)).toBe(1); // global: evicts m(1), the oldest
    expect(o.enqueueForward('b', m(5), 4)).toBe(1); // per-peer b (250): evicts m(2)
    expect(o.sizes()).toEqual({ own: 0, fwd: 3, fwdBytes: 300 });
    expect(o.enqueueOwn('a', m(9), 5)).toBe(true);
    expect(o.enqueueOwn('a', m(9), 5)).toBe(true);
    expect(o.enqueueOwn('a', m(9), 5)).toBe(false);
    expect(o.take('a')!.own).toBe(true);
    expect(o.take('a')!.own).toBe(true);
    expect(o.take('a')!.payload[0]).toBe(3);
    expect(o.take('a')).toBeUndefined();
    expect(o.expireForwards(20, 10)).toBe(2);
    expect(o.sizes()).toEqual({ own: 0, fwd: 0, fwdBytes: 0 });
    expect(o.enqueueForward('a', new Uint8Array(400), 0)).toBe(-1);
  });

  it('stays bounded under sustained eviction of a stuck peer', () => {
    const o = new Outbox({ maxOwnPerPeer: 1, maxForwardBytes: 10_000, maxForwardBytesPerPeer: 10_000 });
    for (let i = 0; i < 100_000; i++) o.enqueueForward(`p${i % 3}`, new Uint8Array(100), i);
    expect(o.sizes().fwdBytes).toBeLessThanOrEqual(10_000);
    expect(o.sizes().fwd).toBe(100);
  });
});

describe('messenger pacing and queues (manual clock)', () => {
  it('sends a burst of 2, then one per 300 ms; nothing is dropped', () => {
    const { clock, reg, om } = setup();
    const p = reg.add('p');
    for (let i = 0; i < 6; i++) om.send({ nodeId: p.nodeId }, { type: CUSTOM, value: utf8.encode(`${i}`) });
    expect(p.onion()).toHaveLength(2);
    expect(om.stats().queued.own).toBe(4);
    clock.advance(0.29);
    om.pump();
    expect(p.onion()).toHaveLength(2);
    clock.advance(0.02);
    om.pump();
    expect(p.onion()).toHaveLength(3);
    clock.advance(0.9); // the bucket refills to its burst (2), no more
    om.pump();
    expect(p.onion()).toHaveLength(5);
    clock.advance(0.3);
    om.pump();
    expect(p.onion()).toHaveLength(6);
    expect(om.stats().sent).toBe(6);
    expect(om.stats().droppedTotal).toBe(0);
  });

  it('createReplyPath refuses a malformed via with a typed error naming the hop', () => {
    const { om } = setup();
    const bad = [[new Uint8Array(33)], [{ nodeId: new Uint8Array(5) }], [null]] as unknown[];
    for (const via of bad) {
      expect(() => om.createReplyPath(new Uint8Array(1), { via: via as never })).toThrow(OnionMessageSendError);
      expect(() => om.createReplyPath(new Uint8Array(1), { via: via as never })).toThrow(/via\[0\]/);
    }
  });

  it('refuses with queue_full beyond maxOwnQueuedPerPeer (never a silent drop)', () => {
    const { reg, om } = setup({ maxOwnQueuedPerPeer: 5 });
    const p = reg.add('p');
    for (let i = 0; i < 7; i++) om.send({ nodeId: p.nodeId }, { type: CUSTOM, value: new Uint8Array(1) }); // 2 sent + 5 queued
    let err: unknown;
    try {
      om.send({ nodeId: p.nodeId }, { type: CUSTOM, value: new Uint8Array(1) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnionMessageSendError);
    expect((err as OnionMessageSendError).reason).toBe('queue_full');
  });

  it('a rate-limit warning halves the pace (floor 1/s), recovery doubles it back after 60 s', () => {
    const { clock, reg, om } = setup();
    const p = reg.add('cln');
    const warn = (text: string) => reg.deliver(p, MSG.warning, encodeWarning({ channelId: new Uint8Array(32), data: utf8.encode(text) }));
    const rate = () => om.stats().peers.find((x) => x.nodeId === toHex(p.nodeId))?.outboundRatePerSec;
    om.send({ nodeId: p.nodeId }, { type: CUSTOM, value: new Uint8Array(1) });
    warn('Ratelimited onion_message: exceeded one per 250msec');
    expect(rate()).toBeCloseTo(1 / 0.6);
    warn('some unrelated warning');
    expect(rate()).toBeCloseTo(1 / 0.6);
    warn('Ratelimited onion_message: exceeded one per 250msec');
    expect(rate()).toBe(1);
    warn('Ratelimited onion_message: exceeded one per 250msec');
    expect(rate()).toBe(1);
    expect(om.stats().warningsReceived).toBe(3);
    // Paced at 1/s without burst now.
    for (let i = 0; i < 3; i++) om.send({ nodeId: p.nodeId }, { type: CUSTOM, value: new Uint8Array(1) });
    const n0 = p.onion().length;
    clock.advance(0.5);
    om.pump();
    expect(p.onion().length - n0).toBeLessThanOrEqual(1);
    clock.advance(60);
    om.pump();
    expect(rate()).toBe(2);
    clock.advance(60);
    om.pump();
    // back up, but no higher than 80% of the limit the peer stated (one per 250 ms = 4/s)
    expect(rate()).toBeCloseTo(3.2);
  });

  it("a warning that states the peer's limit caps our pace below it for good (CLN warns only once)", () => {
    const { clock, reg, om } = setup({ outboundRatePerSec: 100, outboundBurst: 10 });
    const p = reg.add('cln');
    const rate = () => om.stats().peers.find((x) => x.nodeId === toHex(p.nodeId))?.outboundRatePerSec;
    om.send({ nodeId: p.nodeId }, { type: CUSTOM, value: new Uint8Array(1) });
    expect(rate()).toBe(100);
    reg.deliver(p, MSG.warning, encodeWarning({ channelId: new Uint8Array(32), data: utf8.encode('Ratelimited onion_message: exceeded one per 250msec') }));
    expect(rate()).toBeCloseTo(3.2); // not 50/s: halving alone would stay above CLN's 4/s
    for (let i = 0; i < 5; i++) {
      clock.advance(61);
      om.pump();
    }
    expect(rate()).toBeCloseTo(3.2);
    // a warning without a stated limit only halves
    const q = reg.add('other');
    om.send({ nodeId: q.nodeId }, { type: CUSTOM, value: new Uint8Array(1) });
    reg.deliver(q, MSG.warning, encodeWarning({ channelId: new Uint8Array(32), data: utf8.encode('ratelimited onion messages') }));
    expect(om.stats().peers.find((x) => x.nodeId === toHex(q.nodeId))?.outboundRatePerSec).toBe(50);
  });

  it('forwards share a global byte budget (oldest dropped, counted) and expire after 10 s', () => {
    const { clock, reg, om } = setup({ maxForwardQueueBytes: 5 * 1404, maxForwardQueueBytesPerPeer: 5 * 1404, inboundBurst: 100 });
    const from = reg.add('from');
    const to = reg.add('to');
    for (let i = 0; i < 10; i++) reg.deliver(from, MSG.onion_message, forwardVia(om.nodeId, to.nodeId));
    // 2 left at once (burst), 5 queued, 3 evicted oldest-first.
    expect(to.onion()).toHaveLength(2);
    const s = om.stats();
    expect(s.queued.forward).toBe(5);
    expect(s.dropped.forward_queue_full).toBe(3);
    clock.advance(11);
    om.pump();
    // After 11 s the queued forwards are stale: dropped before sending.
    expect(om.stats().dropped.forward_expired).toBe(5);
    expect(to.onion()).toHaveLength(2);
  });

  it('a disconnect drops what was queued for the peer, counted', () => {
    const { reg, om } = setup();
    const p = reg.add('p');
    for (let i = 0; i < 5; i++) om.send({ nodeId: p.nodeId }, { type: CUSTOM, value: new Uint8Array(1) });
    reg.remove(p);
    expect(om.stats().dropped.peer_disconnected).toBe(3);
    expect(om.stats().queued.own).toBe(0);
  });

  it('transport refusals are counted as send_failed', () => {
    const { reg, om } = setup();
    const p = reg.add('p');
    p.accept = false;
    om.send({ nodeId: p.nodeId }, { type: CUSTOM, value: new Uint8Array(1) });
    expect(om.stats().dropped.send_failed).toBe(1);
  });

  it('a sciddir introduction node: resolved through the graph, or a clear error without one', () => {
    const { reg, om } = setup();
    const p = reg.add('intro');
    const path = om.createReplyPath(new Uint8Array(0));
    const scidPath = { ...path, introductionNode: { kind: 'scid' as const, direction: 1 as const, scid: 42n } };
    expect(() => om.send({ blindedPath: scidPath }, { type: CUSTOM, value: new Uint8Array(1) })).toThrow(/no channel graph/);
    const clock = new ManualClock();
    const om2 = new OnionMessenger({
      nodeSecret: secretOf('us2'),
      peers: reg,
      logger: nullLogger,
      random: rnd,
      clock,
      timers: { set: () => 1, clear: () => {} },
      scidResolver: { peerOfChannel: () => undefined, nodeOfDirection: (s, d) => (s === 42n && d === 1 ? p.nodeId : undefined) },
    });
    const r = om2.send({ blindedPath: scidPath }, { type: CUSTOM, value: new Uint8Array(1) });
    expect(bytesEqual(r.firstHop, p.nodeId)).toBe(true);
    expect(() => om2.send({ blindedPath: { ...scidPath, introductionNode: { kind: 'scid', direction: 0, scid: 42n } } }, { type: CUSTOM, value: new Uint8Array(1) })).toThrow(
      /unresolved_introduction_node/,
    );
  });

  it('a sciddir introduction that is our own channel end: our hop is peeled locally', () => {
    const { reg } = setup();
    const next = reg.add('next');
    const clock = new ManualClock();
    const us = secretOf('intro-us');
    const usId = publicKey(us);
    const om = new OnionMessenger({
      nodeSecret: us,
      peers: reg,
      logger: nullLogger,
      random: rnd,
      clock,
      timers: { set: () => 1, clear: () => {} },
      scidResolver: { peerOfChannel: () => undefined, nodeOfDirection: () => usId },
    });
    // A path built by "next" whose introduction node is us, written as a sciddir.
    const other = new OnionMessenger({ nodeSecret: secretOf('next'), peers: new FakeRegistry(), logger: nullLogger, random: rnd, clock, timers: { set: () => 1, clear: () => {} } });
    const path = other.createReplyPath(new Uint8Array(0), { via: [{ nodeId: usId }] });
    const r = om.send({ blindedPath: { ...path, introductionNode: { kind: 'scid', direction: 0, scid: 7n } } }, { type: CUSTOM, value: new Uint8Array(1) });
    expect(bytesEqual(r.firstHop, next.nodeId)).toBe(true);
    expect(next.onion()).toHaveLength(1);
  });

  it('stats() has every counter the integrator shows', () => {
    const { om } = setup();
    const s = om.stats();
    expect(Object.keys(s).sort()).toEqual(['delivered', 'dropped', 'droppedTotal', 'forwarded', 'peers', 'queued', 'received', 'sent', 'warningsReceived', 'warningsSent']);
  });
});
