import { describe, expect, it } from 'vitest';
import { MethodTable } from '../../src/rpc/dispatch.ts';
import { RpcError, type Notification } from '../../src/rpc/types.ts';
import { paramInteger, paramMsat, paramString, optional } from '../../src/rpc/params.ts';

const table = new MethodTable<{ n: number }>().add({
  name: 'echo',
  params: ['text', 'times?'],
  description: 'echo',
  handler: (p, ctx) => ({ text: paramString(p, 'text').repeat(optional(p, 'times', paramInteger) ?? 1), n: ctx.n }),
});

describe('MethodTable', () => {
  it('maps positional and named params', async () => {
    expect((await table.dispatch({ jsonrpc: '2.0', id: 1, method: 'echo', params: ['ab', 2] }, { n: 7 })).result).toEqual({ text: 'abab', n: 7 });
    expect((await table.dispatch({ jsonrpc: '2.0', id: 2, method: 'echo', params: { text: 'x' } }, { n: 1 })).result).toEqual({ text: 'x', n: 1 });
  });
  it('answers JSON-RPC errors naming the problem', async () => {
    const call = async (req: unknown) => (await table.dispatch(req, { n: 0 })).error;
    expect(await call({ id: 1, method: 'nope' })).toMatchObject({ code: -32601, message: "Unknown command 'nope'" });
    expect(await call({ id: 1, method: 'echo', params: [] })).toMatchObject({ code: -32602, message: 'missing required parameter: text' });
    expect(await call({ id: 1, method: 'echo', params: ['a', 1, 2] })).toMatchObject({ code: -32602 });
    expect(await call({ id: 1, method: 'echo', params: { text: 'a', bogus: 1 } })).toMatchObject({ code: -32602, message: 'unknown parameter: bogus' });
    expect(await call({ id: 1, method: 'echo', params: { text: 5 } })).toMatchObject({ code: -32602, message: 'text: should be a string' });
    expect(await call({ id: 1, method: 'echo', params: { text: 'a', times: -1 } })).toMatchObject({ code: -32602 });
    expect(await call([1, 2])).toMatchObject({ code: -32600 });
    expect(await call({ id: 1, method: 7 })).toMatchObject({ code: -32600 });
    expect(await call({ id: 1, method: 'echo', params: 'str' })).toMatchObject({ code: -32602 });
  });
});

describe('params', () => {
  it('paramMsat accepts CLN amount forms and refuses the rest', () => {
    expect(paramMsat({ a: 1000 }, 'a')).toBe(1000n);
    expect(paramMsat({ a: '1000msat' }, 'a')).toBe(1000n);
    expect(paramMsat({ a: '2sat' }, 'a')).toBe(2000n);
    expect(paramMsat({ a: '0.001btc' }, 'a')).toBe(100_000_000n);
    expect(paramMsat({ a: '2100000000000000000' }, 'a')).toBe(2_100_000_000_000_000_000n);
    expect(() => paramMsat({ a: '18446744073709551615' }, 'a')).toThrow(/exceeds 21 million bitcoin/);
    for (const bad of [-1, 1.5, '1.5sat', 'abc', '', '-5', {}, true, '99999999999999999999999']) {
      expect(() => paramMsat({ a: bad }, 'a')).toThrow(RpcError);
    }
  });
});

describe('notifications from a call (ctx.notify)', () => {
  type C = { notify?: (n: Notification) => void };
  let late: (() => void) | undefined;
  const t = new MethodTable<C>().add(
    {
      name: 'slow',
      params: [],
      description: 'x',
      handler: async (_p, ctx) => {
        ctx.notify!({ message: 'starting' });
        ctx.notify!({ level: 'unusual', message: 'odd' });
        ctx.notify!({ num: 0, total: 2, stage: { num: 1, total: 3 } });
        ctx.notify!({ num: 1, total: 2 });
        late = () => ctx.notify!({ message: 'after the answer' });
        return { ok: true };
      },
    },
    {
      name: 'bad',
      params: ['which'],
      description: 'x',
      handler: (p, ctx) => {
        const bad: Record<string, Notification> = {
          level: { level: 'loud' as never, message: 'x' },
          over: { num: 2, total: 2 },
          negative: { num: -1, total: 2 },
          stage: { num: 0, total: 1, stage: { num: 3, total: 3 } },
        };
        ctx.notify!(bad[String(p['which'])]!);
        return {};
      },
    },
  );

  it("sends CLN's message and progress shapes with the request id, only where enabled, never after the answer", async () => {
    const sent: object[] = [];
    const connection = { notifications: true };
    const r = await t.dispatch({ jsonrpc: '2.0', id: 'cli:slow#1', method: 'slow', params: [] }, {}, { connection, send: (n) => sent.push(n) });
    expect(r).toEqual({ jsonrpc: '2.0', id: 'cli:slow#1', result: { ok: true } });
    expect(sent).toEqual([
      { jsonrpc: '2.0', method: 'message', params: { id: 'cli:slow#1', level: 'info', message: 'starting' } },
      { jsonrpc: '2.0', method: 'message', params: { id: 'cli:slow#1', level: 'unusual', message: 'odd' } },
      { jsonrpc: '2.0', method: 'progress', params: { id: 'cli:slow#1', num: 0, total: 2, stage: { num: 1, total: 3 } } },
      { jsonrpc: '2.0', method: 'progress', params: { id: 'cli:slow#1', num: 1, total: 2 } },
    ]);
    late!();
    expect(sent).toHaveLength(4);
    // not enabled: nothing is sent (and notify is still safe to call)
    const none: object[] = [];
    await t.dispatch({ id: 2, method: 'slow' }, {}, { connection: { notifications: false }, send: (n) => none.push(n) });
    await t.dispatch({ id: 3, method: 'slow' }, {});
    expect(none).toEqual([]);
  });

  it('a malformed notification is a bug in the method, answered as an internal error', async () => {
    for (const which of ['level', 'over', 'negative', 'stage']) {
      const r = await t.dispatch({ id: 1, method: 'bad', params: [which] }, {}, { connection: { notifications: true }, send: () => undefined });
      expect(r.error).toMatchObject({ code: -1, message: /^internal error: notify:/ });
    }
  });
});
