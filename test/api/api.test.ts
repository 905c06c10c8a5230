// The typed API (src/rpc/api.ts): every RPC method as `node.<method>(params)`, built from the
// same definitions as the JSON-RPC table; typed errors with the RPC's codes; the types themselves
// (tsc checks the @ts-expect-error lines below as part of `npm test`).
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/index.ts';
import { TestNetworkLedger } from '../../src/payments/index.ts';
import { Node } from '../../src/rpc/api.ts';
import { Node as CoreNode } from '../../src/node.ts';
import { buildMethodTable } from '../../src/rpc/daemon.ts';
import { METHOD_NAMES, METHODS } from '../../src/rpc/methods/index.ts';
import { RPC_ERROR_CODES, RpcError, defineMethod, typedMethod } from '../../src/rpc/types.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { tempDir } from '../tmp.ts';
import { exerciseEveryMethod, type Answer } from './every-method.ts';

const secret = (s: string) => sha256(utf8.encode(`api test ${s}`));
const started: CoreNode[] = [];
afterAll(async () => {
  await Promise.all(started.map((n) => n.stop()));
});

async function start(name: string, opts: Parameters<typeof Node.start>[0] = {}): Promise<Node> {
  const n = await Node.start({ port: 0, logLevel: 'warn', nodeSecret: secret(name), alias: name, ...opts });
  started.push(n);
  return n;
}

describe('the typed API', () => {
  it('has one typed method per RPC method of the table, and nothing hides one', async () => {
    const table = buildMethodTable().list().map((m) => m.name);
    expect([...METHOD_NAMES].sort()).toEqual(table.sort());
    const n = await start('names');
    for (const name of table) {
      expect(typeof (n as unknown as Record<string, unknown>)[name], name).toBe('function');
      // Not an instance field (a field of the same name would hide the method).
      expect(Object.prototype.hasOwnProperty.call(n, name), name).toBe(false);
    }
    expect(n).toBeInstanceOf(CoreNode);
  });

  it('reaches every RPC method (node A through the typed API, B its peer), each doing its job', async () => {
    const ledger = new TestNetworkLedger();
    const dir = tempDir('api-');
    const a = await start('a', { datadir: dir, payments: { backend: 'testnet-ledger', ledger } });
    const b = await start('b', { payments: { backend: 'testnet-ledger', ledger } });
    const call = async (method: string, params: Record<string, unknown>): Promise<Answer> => {
      try {
        return { result: await (a as unknown as Record<string, (p: unknown) => Promise<unknown>>)[method]!(params) };
      } catch (e) {
        if (e instanceof RpcError) return { error: { code: e.code, message: e.message, data: e.data } };
        throw e;
      }
    };
    const done = await exerciseEveryMethod(call, { a: { nodeIdHex: a.nodeIdHex, port: a.tcpAddress!.port, secret: secret('a'), networkDir: a.networkDir! }, b, bSecret: secret('b') });
    expect([...new Set(done)].sort()).toEqual([...METHOD_NAMES].sort());
    expect(a.isStopped).toBe(true);
    expect(ledger.transfers.map((t) => t.amountMsat)).toEqual([5000n, 7000n]);
  }, 30_000);

  it('rejects with RpcError carrying the RPC code, message and data, as the JSON-RPC answer does', async () => {
    const n = await start('errors');
    const table = buildMethodTable();
    const viaRpc = async (method: string, params: unknown) => (await table.dispatch({ jsonrpc: '2.0', id: 1, method, params }, { node: n, invoices: n.invoices, table, requestStop: () => {} })).error;
    const cases: Array<[string, Record<string, unknown>, number]> = [
      ['listinvoices', { label: 7 }, RPC_ERROR_CODES.INVALID_PARAMS],
      ['listinvoices', { lable: 'x' }, RPC_ERROR_CODES.INVALID_PARAMS],
      ['sendinvoice', { invreq: 'lnr1qqq', label: 'x' }, RPC_ERROR_CODES.INVALID_PARAMS],
      ['waitinvoice', { label: 'none' }, RPC_ERROR_CODES.GENERIC],
      ['delinvoice', { label: 'none', status: 'paid' }, RPC_ERROR_CODES.INVOICE_NOT_FOUND],
      ['getonionpath', { id: '02' + '11'.repeat(32) }, RPC_ERROR_CODES.INVALID_PARAMS],
      ['help', { command: 'nosuch' }, RPC_ERROR_CODES.METHOD_NOT_FOUND],
    ];
    for (const [method, params, code] of cases) {
      const err = await n.call(method, params).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, method).toBeInstanceOf(RpcError);
      const e = err as RpcError;
      expect(e.code, `${method} ${JSON.stringify(params)}`).toBe(code);
      expect({ code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) }).toEqual(await viaRpc(method, params));
    }
    // Missing required parameter, named.
    await expect(n.waitinvoice({} as { label: string })).rejects.toMatchObject({ code: -32602, message: 'missing required parameter: label', data: { param: 'label' } });
    // An unknown method through the generic call.
    await expect(n.call('nosuch')).rejects.toMatchObject({ name: 'RpcError', code: -32601 });
  });

  it('a call can be aborted (a waiting method stops) and its notifications heard', async () => {
    const n = await start('abort');
    const ac = new AbortController();
    const notes: unknown[] = [];
    const p = n.waitanyinvoice({ lastpay_index: 0 }, { signal: ac.signal, onNotification: (x) => notes.push(x) });
    await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(RpcError);
    expect(notes).toEqual([{ level: 'debug', message: 'Waiting for an invoice paid after pay_index 0' }]);
  });

  it('connect keeps the positional form (resolving to the Peer) beside the RPC form', async () => {
    const x = await start('conn-x');
    const y = await start('conn-y');
    const peer = await x.connect(y.nodeId, '127.0.0.1', y.tcpAddress!.port);
    expect(peer.nodeId).toEqual(y.nodeId);
    const again = await x.connect({ id: y.nodeIdHex });
    expect(again).toMatchObject({ id: y.nodeIdHex, direction: 'out' });
  });

  it('types: parameter names, required ones and result fields are checked by tsc', async () => {
    const n = await start('types');
    if (n.isStopped) {
      // Never runs: these lines are for the type checker (`npm test` runs tsc over test/).
      // @ts-expect-error an unknown parameter name
      await n.listinvoices({ lable: 'x' });
      // @ts-expect-error `label` is required
      await n.sendinvoice({ invreq: 'lnr1…' });
      // @ts-expect-error `amount` must be an amount, not a boolean
      await n.invoicerequest({ amount: true, description: 'x' });
      const r = await n.listinvoices({ label: 'x' });
      // @ts-expect-error results are typed: there is no `state`
      void r.invoices[0]!.state;
      const s: 'unpaid' | 'paid' | 'expired' = r.invoices[0]!.status;
      void s;
    }
    // Definitions: a parameter list that does not match its type does not compile, nor does a wrong result.
    defineMethod<{ a: string; b?: number }, { ok: true }>({
      name: 'x',
      // @ts-expect-error `b` is optional, and `a` missing
      params: { b: 'required' },
      description: '',
      handler: () => ({ ok: true as const }),
    });
    defineMethod<{}, { ok: true }>({
      name: 'y',
      params: {},
      description: '',
      // @ts-expect-error the handler must return the declared result
      handler: () => ({ ok: false }),
    });
    // typedMethod checks a plain entry's list against its types when the module loads.
    expect(() => typedMethod<{ a: string }, unknown>({ name: 'z', params: ['a?'], description: '', handler: () => ({}) }, { a: 'required' })).toThrow(/do not match/);
    expect(Object.keys(METHODS)).toEqual([...METHOD_NAMES]);
  });
});
