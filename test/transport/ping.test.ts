// BOLT 1 ping/pong bookkeeping: the flood budget and pong matching.
import { describe, expect, it } from 'vitest';
import { PendingPongs, PingBudget } from '../../src/transport/ping.ts';

describe('PingBudget (token bucket)', () => {
  it('allows the burst, then refills at the configured rate (injected clock)', () => {
    const b = new PingBudget(3, 2, 1000);
    expect([b.take(0, 1000), b.take(0, 1000), b.take(0, 1000), b.take(0, 1000)]).toEqual([true, true, true, false]);
    expect(b.take(0, 1000.4)).toBe(false); // 0.8 token
    expect(b.take(0, 1000.5)).toBe(true); // 1.0 token
    expect(b.take(0, 1100)).toBe(true); // capped at the burst...
    expect(b.take(0, 1100) && b.take(0, 1100)).toBe(true);
    expect(b.take(0, 1100)).toBe(false);
  });
  it('charges big pongs by size; no-reply pings cost 1', () => {
    expect(PingBudget.cost(0)).toBe(1);
    expect(PingBudget.cost(1023)).toBe(1);
    expect(PingBudget.cost(1024)).toBe(2);
    expect(PingBudget.cost(65531)).toBe(64);
    expect(PingBudget.cost(65532)).toBe(1);
    const b = new PingBudget(100, 0, 0);
    expect(b.take(65531, 0)).toBe(true);
    expect(b.take(65531, 0)).toBe(false); // 36 left < 64
    expect(b.take(0, 0)).toBe(true);
  });
});

describe('PendingPongs', () => {
  it('matches pongs by length, first pending first; ignores unknown lengths; times out; fails all', async () => {
    const p = new PendingPongs();
    const got: string[] = [];
    const cb = (tag: string) => (err: Error | null, totlen: number) => got.push(err ? `${tag}:${err.message}` : `${tag}:${totlen}`);
    p.expect(5, 1000, () => new Error('t'), cb('a'));
    p.expect(7, 1000, () => new Error('t'), cb('b'));
    p.expect(5, 1000, () => new Error('t'), cb('c'));
    expect(p.answer(6)).toBe(false);
    expect(p.answer(5)).toBe(true);
    expect(p.answer(5)).toBe(true);
    expect(got).toEqual(['a:9', 'c:9']);
    p.expect(1, 10, () => new Error('timeout'), cb('d'));
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual(['a:9', 'c:9', 'd:timeout']);
    p.failAll(new Error('gone'));
    expect(got.at(-1)).toBe('b:gone');
    expect(p.size).toBe(0);
  });
});
