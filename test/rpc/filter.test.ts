// The request `filter` member, against Core Lightning's own examples: doc/lightningd-rpc.7.md
// (listtransactions), tests/test_misc.py test_field_filter (decode), test_cli and
// test_filter_with_invalid_json, and common/json_filter.c's error and misuse texts.
import { describe, expect, it } from 'vitest';
import { applyFilter, parseFilter } from '../../src/rpc/filter.ts';
import { MethodTable } from '../../src/rpc/dispatch.ts';
import { RpcError } from '../../src/rpc/types.ts';

const filtered = (result: unknown, filter: unknown) => applyFilter(result, parseFilter(filter));

// doc/lightningd-rpc.7.md, FIELD FILTERING (rawtx/hash/scriptPubKey shortened)
const listtransactions = {
  transactions: [
    {
      hash: '3b15',
      rawtx: '0200',
      blockheight: 102,
      txindex: 1,
      locktime: 101,
      version: 2,
      inputs: [{ txid: 'e9a7', index: 0, sequence: 4294967294 }],
      outputs: [
        { index: 0, amount_msat: '1000000000msat', type: 'deposit', scriptPubKey: 'a914' },
        { index: 1, amount_msat: '4998999857000msat', scriptPubKey: 'a914' },
      ],
    },
    {
      hash: '3a5e',
      rawtx: '0200',
      blockheight: 103,
      txindex: 1,
      locktime: 102,
      version: 2,
      inputs: [{ txid: '3b15', index: 0, sequence: 4294967293 }],
      outputs: [
        { index: 0, amount_msat: '894743000msat', type: 'deposit', scriptPubKey: '0014' },
        { index: 1, amount_msat: '100000000msat', type: 'channel_funding', channel: '103x1x1', scriptPubKey: '0020' },
      ],
    },
  ],
};

// test_field_filter's decode of a bolt11 invoice with two fallbacks
const decoded = {
  type: 'bolt11 invoice',
  currency: 'bcrt',
  created_at: 1700000000,
  payment_hash: 'ab'.repeat(32),
  fallbacks: [
    { type: 'P2WPKH', addr: 'bcrt1q...', hex: '0014' },
    { type: 'P2SH', addr: '2Mxq...', hex: 'a914' },
  ],
  valid: true,
};

describe('filter (CLN semantics)', () => {
  it('keeps only the named fields, nested objects and arrays included, in the result order', () => {
    expect(filtered(listtransactions, { transactions: [{ outputs: [{ amount_msat: true, type: true }] }] })).toEqual({
      transactions: [
        { outputs: [{ amount_msat: '1000000000msat', type: 'deposit' }, { amount_msat: '4998999857000msat' }] },
        { outputs: [{ amount_msat: '894743000msat', type: 'deposit' }, { amount_msat: '100000000msat', type: 'channel_funding' }] },
      ],
    });
    expect(filtered(decoded, { currency: true })).toEqual({ currency: 'bcrt' });
    expect(filtered(decoded, { payment_hash: true, currency: true })).toEqual({ currency: 'bcrt', payment_hash: 'ab'.repeat(32) });
    expect(Object.keys(filtered(decoded, { valid: true, currency: true, payment_hash: true }) as object)).toEqual(['currency', 'payment_hash', 'valid']);
    expect(filtered(decoded, { currency: true, payment_hash: true, fallbacks: [{ type: true }] })).toEqual({
      currency: 'bcrt',
      payment_hash: 'ab'.repeat(32),
      fallbacks: [{ type: 'P2WPKH' }, { type: 'P2SH' }],
    });
    expect(filtered(decoded, { foobar: true })).toEqual({});
    // test_cli: --filter={"help":[{"command":true}]}
    expect(filtered({ help: [{ command: 'help [command]', category: 'x', verbose: 'y' }], 'format-hint': 'simple' }, { help: [{ command: true }] })).toEqual({
      help: [{ command: 'help [command]' }],
    });
  });

  it('true (or {}) keeps a whole field; [true] every whole element; primitives survive nested templates', () => {
    const r = { our_features: { init: '08', node: '88' }, peers: [{ id: 'a', n: 1 }, { id: 'b', n: 2 }], netaddr: ['x', 'y'], n: 5 };
    expect(filtered(r, { our_features: true })).toEqual({ our_features: { init: '08', node: '88' } });
    expect(filtered(r, { our_features: {} })).toEqual({ our_features: { init: '08', node: '88' } });
    expect(filtered(r, { peers: true })).toEqual({ peers: r.peers });
    expect(filtered(r, { peers: [true] })).toEqual({ peers: r.peers });
    expect(filtered(r, { peers: [{ n: true }] })).toEqual({ peers: [{ n: 1 }, { n: 2 }] });
    // a primitive named with a template is written as it is (json_filter_ok looks at the name only)
    expect(filtered(r, { n: { x: true } })).toEqual({ n: 5 });
    // an object template over an array of primitives writes them (CLN: json_filter_ok(filter, NULL))
    expect(filtered(r, { netaddr: { x: true } })).toEqual({ netaddr: ['x', 'y'] });
    // bigint amounts and byte strings are primitives
    expect(filtered({ a: 10n ** 20n, b: new Uint8Array([1]), c: 1 }, { a: true, b: { x: true } })).toEqual({ a: 10n ** 20n, b: new Uint8Array([1]) });
  });

  it('an array where the template says object (or the reverse) is left out with warning_parameter_filter', () => {
    // test_field_filter: "fallbacks": {"type": True} → '.fallbacks is an array'
    const w = filtered(decoded, { currency: true, payment_hash: true, fallbacks: { type: true } }) as Record<string, unknown>;
    expect(w).toEqual({ currency: 'bcrt', payment_hash: 'ab'.repeat(32), fallbacks: [], warning_parameter_filter: '.fallbacks is an array' });
    expect(Object.keys(w).at(-1)).toBe('warning_parameter_filter');
    const o = filtered({ a: { b: { c: 1 } }, z: [{ y: 1 }] }, { a: [{ b: true }], z: { y: true } }) as Record<string, unknown>;
    // the first misuse in key order is named
    expect(o).toEqual({ a: {}, z: [], warning_parameter_filter: '.a is an object' });
    expect(filtered({ p: [{ q: [{ r: 1 }] }] }, { p: [{ q: { r: true } }] })).toEqual({ p: [{ q: [] }], warning_parameter_filter: '.p[].q is an array' });
    // a template that fits gets no warning
    expect(filtered(listtransactions, { transactions: [{ inputs: [{ index: true }] }] })).not.toHaveProperty('warning_parameter_filter');
  });

  it('a malformed template is a -32602 error naming filter (CLN messages)', () => {
    const msg = (f: unknown) => {
      try {
        parseFilter(f);
      } catch (e) {
        expect(e).toBeInstanceOf(RpcError);
        expect((e as RpcError).code).toBe(-32602);
        return (e as RpcError).message;
      }
      throw new Error('accepted');
    };
    // test_filter_with_invalid_json: lightning-cli -l 1 → "filter: Expected object: invalid token"
    expect(msg(1)).toBe('filter: Expected object: invalid token (see logs for details)');
    for (const f of [null, 'x', true, [{ a: true }]]) expect(msg(f)).toMatch(/^filter: Expected object/);
    expect(msg({ a: [] })).toMatch(/^filter: Arrays can only have one element/);
    expect(msg({ a: [{ b: true }, { c: true }] })).toMatch(/^filter: Arrays can only have one element/);
    for (const v of [false, 1, 'true', null]) expect(msg({ a: v })).toMatch(/^filter: value must be true/);
    expect(msg({ a: { b: false } })).toMatch(/value must be true/);
    let deep: unknown = true;
    for (let i = 0; i < 1000; i++) deep = { a: deep };
    expect(msg(deep)).toMatch(/^filter: nested more than/);
  });

  it('is applied by the dispatcher to results only, after the method was found, before it runs', async () => {
    let ran = 0;
    const t = new MethodTable<object>().add({
      name: 'listthings',
      params: [],
      description: 'x',
      handler: () => {
        ran++;
        return { things: [{ id: 1, secret: 's' }], count: 1 };
      },
    });
    expect(await t.dispatch({ jsonrpc: '2.0', id: 'a', method: 'listthings', params: {}, filter: { things: [{ id: true }] } }, {})).toEqual({ jsonrpc: '2.0', id: 'a', result: { things: [{ id: 1 }] } });
    expect(ran).toBe(1);
    // bad filter: -32602 and the command does not run
    expect((await t.dispatch({ id: 'b', method: 'listthings', params: {}, filter: 1 }, {})).error).toMatchObject({ code: -32602, message: /^filter: Expected object/ });
    expect(ran).toBe(1);
    // unknown method wins over a bad filter (parse_request order)
    expect((await t.dispatch({ id: 'c', method: 'nope', params: {}, filter: 1 }, {})).error).toMatchObject({ code: -32601 });
  });
});
