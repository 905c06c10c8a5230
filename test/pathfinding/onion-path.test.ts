import { describe, expect, it } from 'vitest';
import { OnionPathFinder, DEFAULT_MAX_HOPS } from '../../src/pathfinding/index.ts';
import { GraphBuilder, NO_ONION, ONION, ONION_ONLY_CHANNELS, nid, nums, peer } from './helpers.ts';

const US = 1000;

function find(b: GraphBuilder, dest: number, peers: ReturnType<typeof peer>[], maxHops?: number) {
  return new OnionPathFinder(b.g).find({ self: nid(US), destination: nid(dest), peers, maxHops });
}

describe('onion-message path finding', () => {
  it('a connected destination that supports onion messages is the whole path, in the graph or not', () => {
    const b = new GraphBuilder().line(1, 2).supporting(1, 2);
    expect(nums(find(b, 2, [peer(2)]).hops)).toEqual([2]);
    expect(nums(find(b, 77, [peer(77)]).hops)).toEqual([77]); // no channel, no announcement
    // its init decides, not its announcement
    expect(find(b, 2, [peer(2, NO_ONION)])).toMatchObject({ hops: null, reason: 'destination-unsupported' });
    expect(find(b, 77, [peer(77, NO_ONION)])).toMatchObject({ hops: null, reason: 'destination-unsupported' });
  });

  it('multi-hop over supporting nodes, fewest hops', () => {
    const b = new GraphBuilder().line(1, 2, 3, 4, 5).line(1, 6, 5).supporting(1, 2, 3, 4, 5, 6);
    expect(nums(find(b, 5, [peer(1)]).hops)).toEqual([1, 6, 5]);
    expect(nums(find(b, 4, [peer(1)]).hops)).toEqual([1, 2, 3, 4]);
    expect(nums(find(b, 3, [peer(2), peer(1)]).hops)).toEqual([2, 3]);
  });

  it('goes around nodes that do not forward onion messages or never announced', () => {
    const b = new GraphBuilder()
      .line(1, 2, 9) // 2 announced without 38/39
      .line(1, 3, 9) // 3 has no node_announcement
      .line(1, 4, 5, 9) // the long way, all supporting
      .supporting(1, 4, 5, 9)
      .announce(2, NO_ONION);
    expect(nums(find(b, 9, [peer(1)]).hops)).toEqual([1, 4, 5, 9]);
    // once 3 announces support, the short way opens
    b.announce(3, ONION);
    expect(nums(find(b, 9, [peer(1)]).hops)).toEqual([1, 3, 9]);
  });

  it('the destination may lack a node_announcement, but not announce without support', () => {
    const b = new GraphBuilder().line(1, 2, 3).supporting(1, 2);
    expect(nums(find(b, 3, [peer(1)]).hops)).toEqual([1, 2, 3]);
    b.announce(3, NO_ONION);
    expect(find(b, 3, [peer(1)])).toMatchObject({ hops: null, reason: 'destination-unsupported' });
    expect(find(b, 4, [peer(1)])).toMatchObject({ hops: null, reason: 'unknown-destination' });
  });

  it('live-peer overlay: a connected peer without channel or announcement is a first hop when its init sets 38/39', () => {
    // peer 7 has a channel to 8 but no node_announcement: only its init says it forwards
    const b = new GraphBuilder().line(7, 8).line(1, 2, 3, 4, 8).supporting(1, 2, 3, 4);
    expect(nums(find(b, 8, [peer(1), peer(7)]).hops)).toEqual([7, 8]);
    expect(nums(find(b, 8, [peer(1), peer(7, NO_ONION)]).hops)).toEqual([1, 2, 3, 4, 8]);
    // a supporting peer counts as a forwarder later in a path too (here reached from 1)
    const c = new GraphBuilder().line(1, 7, 8).supporting(1);
    expect(nums(find(c, 8, [peer(1), peer(7, ONION_ONLY_CHANNELS)]).hops)).toEqual([1, 7, 8]);
  });

  it('disconnected peers are not edges: our own channels in the graph are not first hops', () => {
    // we (1000) have announced channels to 1 and 2, but only 3 is connected now
    const b = new GraphBuilder().line(US, 1, 9).line(US, 2, 9).line(3, 4, 5, 9).supporting(1, 2, 3, 4, 5);
    expect(nums(find(b, 9, [peer(3)]).hops)).toEqual([3, 4, 5, 9]);
    expect(find(b, 9, [])).toMatchObject({ hops: null, reason: 'no-first-hop' });
    // and we are never a hop ourselves
    const c = new GraphBuilder().line(1, US, 9).supporting(1, US);
    expect(find(c, 9, [peer(1)])).toMatchObject({ hops: null, reason: 'no-path' });
  });

  it('never picks a 66/67 (onion messages only over channels) node as first hop without a channel', () => {
    const b = new GraphBuilder().line(1, 9).line(2, 3, 9).supporting(1, 2, 3, 9);
    expect(nums(find(b, 9, [peer(1, ONION_ONLY_CHANNELS), peer(2)]).hops)).toEqual([2, 3, 9]);
    expect(nums(find(b, 9, [peer(1, ONION_ONLY_CHANNELS, true), peer(2)]).hops)).toEqual([1, 9]);
    // the draft bit in its node_announcement counts too, even when its init leaves it out
    b.announce(1, ONION_ONLY_CHANNELS, [], 1_700_000_001);
    expect(nums(find(b, 9, [peer(1), peer(2)]).hops)).toEqual([2, 3, 9]);
    expect(find(b, 9, [peer(1)])).toMatchObject({ hops: null, reason: 'no-first-hop' });
    // a 66/67 destination connected to us: reached over its channels instead
    expect(nums(find(b, 1, [peer(1), peer(2)]).hops)).toEqual([2, 3, 9, 1]);
  });

  it('honours the hop bound, default 6', () => {
    expect(DEFAULT_MAX_HOPS).toBe(6);
    const b = new GraphBuilder().line(1, 2, 3, 4, 5, 6, 7, 8).supporting(1, 2, 3, 4, 5, 6, 7, 8);
    expect(nums(find(b, 6, [peer(1)]).hops)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(find(b, 7, [peer(1)])).toMatchObject({ hops: null, reason: 'max-hops' });
    expect(nums(find(b, 7, [peer(1)], 7).hops)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(find(b, 8, [peer(1)], 7)).toMatchObject({ hops: null, reason: 'max-hops' });
    expect(find(b, 2, [peer(1)], 1)).toMatchObject({ hops: null, reason: 'max-hops' });
    expect(nums(find(b, 1, [peer(1)], 1).hops)).toEqual([1]);
    expect(() => find(b, 2, [peer(1)], 0)).toThrow(RangeError);
  });

  it('skips channels with a disabled direction; channels without updates count', () => {
    const b = new GraphBuilder().supporting();
    const s = b.chan(1, 9);
    b.line(1, 2, 3, 9).supporting(1, 2, 3);
    expect(nums(find(b, 9, [peer(1)]).hops)).toEqual([1, 9]);
    b.update(s, 1, { disable: true });
    expect(nums(find(b, 9, [peer(1)]).hops)).toEqual([1, 2, 3, 9]);
    expect(nums(new OnionPathFinder(b.g).find({ self: nid(US), destination: nid(9), peers: [peer(1)], skipDisabled: false }).hops)).toEqual([1, 9]);
    b.update(s, 1, { disable: false, timestamp: 1_700_000_100 });
    expect(nums(find(b, 9, [peer(1)]).hops)).toEqual([1, 9]);
  });

  it('no path at all', () => {
    const b = new GraphBuilder().line(1, 2).line(3, 9).supporting(1, 2, 3);
    expect(find(b, 9, [peer(1)])).toMatchObject({ hops: null, reason: 'no-path' });
    expect(find(b, US, [peer(1)])).toMatchObject({ hops: null, reason: 'self' });
  });

  it('reuses its scratch space across queries and graph growth', () => {
    const b = new GraphBuilder().line(1, 2, 3).supporting(1, 2, 3);
    const f = new OnionPathFinder(b.g);
    const q = (d: number) => nums(f.find({ self: nid(US), destination: nid(d), peers: [peer(1)] }).hops);
    expect(q(3)).toEqual([1, 2, 3]);
    for (let i = 4; i < 3000; i++) b.chan(i - 1, i);
    for (let i = 4; i < 3000; i++) b.announce(i, ONION);
    expect(q(6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(q(3)).toEqual([1, 2, 3]);
    b.g.deleteChannel(b.g.scidOf(b.g.channelsOfNode(b.g.nodeIndex(nid(2)))[0]!));
    expect(q(3)).toBeNull();
  });
});
