import { describe, expect, it } from 'vitest';
import { OnionPathFinder, connectCandidates, decideOnionMessageRoute, type RouteDecisionQuery } from '../../src/pathfinding/index.ts';
import type { GraphAddress } from '../../src/gossip/graph.ts';
import { featuresFromBits } from '../../src/wire/features.ts';
import { GraphBuilder, NO_ONION, ONION, ONION_ONLY_CHANNELS, nid, nums, peer } from './helpers.ts';

const US = 1000;
const ADDRS: GraphAddress[] = [
  { type: 'ipv4', host: '203.0.113.5', port: 9735 },
  { type: 'ipv6', host: '2001:db8::1', port: 9736 },
  { type: 'torv3', host: 'vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd.onion', port: 9735 },
  { type: 'dns', host: 'node.example.com', port: 9737 },
  { type: 'websocket', port: 9999 },
];

function decide(b: GraphBuilder, dest: number, over: Partial<RouteDecisionQuery> = {}) {
  return decideOnionMessageRoute(new OnionPathFinder(b.g), { self: nid(US), destination: nid(dest), peers: [peer(1)], noconnect: false, ...over });
}

describe('decideOnionMessageRoute', () => {
  it('a path when one exists', () => {
    const b = new GraphBuilder().line(1, 2, 3).supporting(1, 2, 3);
    const d = decide(b, 3);
    expect(d.kind).toBe('path');
    expect(d.kind === 'path' && nums(d.hops)).toEqual([1, 2, 3]);
    expect(decide(b, 5, { peers: [peer(5)] })).toMatchObject({ kind: 'path' });
  });

  it('no path + addresses → connect: TCP (IPv4, IPv6, DNS) first, then websocket; Tor skipped with a reason', () => {
    // 3 is only reachable through 2, which does not forward onion messages
    const b = new GraphBuilder().line(1, 2, 3).supporting(1).announce(2, NO_ONION).announce(3, ONION, [...ADDRS].reverse());
    const d = decide(b, 3);
    expect(d.kind).toBe('connect');
    if (d.kind !== 'connect') return;
    expect(d.pathReason).toBe('no-path');
    expect(d.addresses).toEqual([
      { transport: 'tcp', host: '203.0.113.5', port: 9735, from: 'ipv4' },
      { transport: 'tcp', host: '2001:db8::1', port: 9736, from: 'ipv6' },
      { transport: 'tcp', host: 'node.example.com', port: 9737, from: 'dns' },
      { transport: 'websocket', host: '203.0.113.5', port: 9999, from: 'ipv4' },
      { transport: 'websocket', host: '2001:db8::1', port: 9999, from: 'ipv6' },
      { transport: 'websocket', host: 'node.example.com', port: 9999, from: 'dns' },
    ]);
    expect(d.skipped).toEqual([{ address: ADDRS[2], reason: 'Tor v3 onion service: no Tor proxy configured' }]);
    // with a proxy, Tor comes after the clearnet TCP addresses and before websocket
    const t = decide(b, 3, { torProxy: true });
    expect(t.kind === 'connect' && t.addresses.map((a) => a.transport)).toEqual(['tcp', 'tcp', 'tcp', 'tor', 'websocket', 'websocket', 'websocket']);
  });

  it('also connects when we have no peer at all, or the path is too long', () => {
    const b = new GraphBuilder().line(1, 2, 3).supporting(1, 2).announce(3, ONION, [ADDRS[0]!]);
    expect(decide(b, 3, { peers: [] })).toMatchObject({ kind: 'connect', pathReason: 'no-first-hop' });
    expect(decide(b, 3, { maxHops: 2 })).toMatchObject({ kind: 'connect', pathReason: 'max-hops' });
  });

  it('no path + noconnect → none, with Core Lightning\'s reason', () => {
    const b = new GraphBuilder().line(1, 2, 3).supporting(1).announce(2, NO_ONION).announce(3, ONION, ADDRS);
    expect(decide(b, 3, { noconnect: true })).toEqual({
      kind: 'none', reason: 'noconnect', detail: 'fetchinvoice-noconnect set: not initiating a new connection', pathReason: 'no-path',
    });
  });

  it('none when there is nothing to connect to', () => {
    const b = new GraphBuilder().line(1, 2, 3).line(4, 5).supporting(1).announce(2, NO_ONION);
    // no node_announcement for 3
    expect(decide(b, 3)).toMatchObject({ kind: 'none', reason: 'no-addresses' });
    // only Tor
    b.announce(3, ONION, [ADDRS[2]!]);
    const d = decide(b, 3);
    expect(d).toMatchObject({ kind: 'none', reason: 'no-addresses' });
    expect(d.kind === 'none' && d.detail).toMatch(/Tor v3/);
    // an announcement without addresses
    b.announce(5, ONION, []);
    expect(decide(b, 5)).toMatchObject({ kind: 'none', reason: 'no-addresses', detail: 'no path, and the node_announcement lists no address' });
    // not in the graph at all
    expect(decide(b, 99)).toMatchObject({ kind: 'none', reason: 'no-addresses', pathReason: 'unknown-destination' });
    expect(decide(b, US)).toMatchObject({ kind: 'none', reason: 'self' });
  });

  it('does not connect to a node that announced no onion-message support or unknown required features', () => {
    const b = new GraphBuilder().line(1, 2, 3).line(5, 6).supporting(1).announce(2, NO_ONION).announce(3, NO_ONION, ADDRS);
    expect(decide(b, 3)).toMatchObject({ kind: 'none', reason: 'destination-unsupported' });
    b.announce(5, featuresFromBits([39, 100]), ADDRS);
    expect(decide(b, 5, { knownFeatures: new Set([39]) })).toMatchObject({ kind: 'none', reason: 'unknown-required-features' });
    expect(decide(b, 5)).toMatchObject({ kind: 'connect' });
  });

  it('a connected 66/67 destination with no path over its channels: none (connecting again would not help)', () => {
    const b = new GraphBuilder().line(4, 5).line(1, 7).supporting(4, 5).announce(1, ONION_ONLY_CHANNELS, ADDRS);
    expect(decide(b, 1, { peers: [peer(1, ONION_ONLY_CHANNELS)] })).toMatchObject({ kind: 'none', reason: 'connected-no-path' });
  });

  it('connectCandidates ignores port 0 and websocket without a clearnet host', () => {
    const c = connectCandidates([{ type: 'ipv4', host: '203.0.113.1', port: 0 }, { type: 'websocket', port: 80 }, ADDRS[2]!]);
    expect(c.addresses).toEqual([]);
    expect(c.skipped.map((s) => s.reason)).toEqual([
      'port 0 (BOLT 7: SHOULD ignore)',
      'Tor v3 onion service: no Tor proxy configured',
      'websocket port without a clearnet host to use it on',
    ]);
  });
});
