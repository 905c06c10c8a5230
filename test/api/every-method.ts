// Every RPC method, called once with real effects on a two-node network: node A (the node under
// test, reached through some `call`: the typed API, or JSON-RPC over WebSocket) and node B (a
// typed Node in this process, A's peer, on the same test-network ledger). Shared by
// test/api/api.test.ts and test/rpc/ws.test.ts, so both prove the same thing: each method of the
// table is reachable and does its job. The list of methods exercised is compared with the table's.
import { expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { toHex } from '../../src/util/bytes.ts';
import type { Node } from '../../src/rpc/api.ts';
import { METHOD_NAMES } from '../../src/rpc/methods/index.ts';
import { topologyGossip } from '../../src/testnet/gossip.ts';

export interface Answer {
  result?: any;
  error?: { code: number; message: string; data?: any };
}
export type Call = (method: string, params: Record<string, unknown>) => Promise<Answer>;

export interface Env {
  /** Node A: id, P2P port, secret (to sign its channel announcement), datadir's network dir. */
  a: { nodeIdHex: string; port: number; secret: Uint8Array; networkDir: string };
  /** Node B, a typed Node. */
  b: Node;
  bSecret: Uint8Array;
}

async function ok(call: Call, method: string, params: Record<string, unknown> = {}): Promise<any> {
  const r = await call(method, params);
  if (r.error) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
  return r.result;
}

/** Runs every method against A; returns the names called. The last one is `stop`. */
export async function exerciseEveryMethod(call: Call, env: Env): Promise<string[]> {
  const done: string[] = [];
  const run = async (method: string, params: Record<string, unknown> = {}) => {
    done.push(method);
    return ok(call, method, params);
  };
  const { a, b } = env;

  expect((await run('getinfo')).id).toBe(a.nodeIdHex);
  expect((await run('connect', { id: `${b.nodeIdHex}@127.0.0.1:${b.tcpAddress!.port}` })).id).toBe(b.nodeIdHex);
  expect((await run('listpeers')).peers.map((p: any) => p.id)).toContain(b.nodeIdHex);
  expect((await run('ping', { id: b.nodeIdHex, len: 16, pongbytes: 8 })).totlen).toBeGreaterThan(0);
  expect((await run('notifications', { enable: true })) as object).toEqual({});
  const help = (await run('help')).help.map((h: any) => String(h.command).split(' ')[0]);
  expect(help.sort()).toEqual([...METHOD_NAMES].sort());

  // Gossip: the channel A–B announced through addgossip, then the graph queries.
  const g = topologyGossip({
    network: 'regtest',
    nodes: [
      { nodeSecret: a.secret, alias: 'node-a', port: a.port },
      { nodeSecret: env.bSecret, alias: 'node-b', port: b.tcpAddress!.port },
    ],
    edges: [[0, 1]],
    timestamp: Date.now() / 1000,
    random: (n) => crypto.getRandomValues(new Uint8Array(n)),
  });
  for (const m of [...g.channels[0]!.messages, ...g.nodeAnnouncements]) expect(await run('addgossip', { message: toHex(m) })).toEqual({});
  expect((await run('listchannels')).channels).toHaveLength(2);
  expect((await run('listnodes')).nodes.map((n: any) => n.alias).sort()).toEqual(['node-a', 'node-b']);
  expect(await run('getonionpath', { id: b.nodeIdHex })).toMatchObject({ destination: b.nodeIdHex, route: 'path' });

  // Refunds: A issues one, B answers it and is paid by A; B issues one, A answers it and is paid.
  const ours = await run('invoicerequest', { amount: 5000, description: 'from A', label: 'a-refund' });
  expect(ours.bolt12).toMatch(/^lnr1/);
  expect((await run('decode', { string: ours.bolt12 })).type).toBe('bolt12 invoice_request');
  expect((await run('listinvoicerequests')).invoicerequests.map((r: any) => r.invreq_id)).toContain(ours.invreq_id);
  expect(await b.sendinvoice({ invreq: ours.bolt12, label: 'b-1', timeout: 20 })).toMatchObject({ status: 'paid' });
  const theirs = await b.invoicerequest({ amount: 7000, description: 'from B', single_use: false });
  expect(await run('sendinvoice', { invreq: theirs.bolt12, label: 'a-1', timeout: 20 })).toMatchObject({ label: 'a-1', status: 'paid', amount_received_msat: 7000 });
  expect((await run('listinvoices', { label: 'a-1' })).invoices).toMatchObject([{ status: 'paid' }]);
  expect(await run('waitinvoice', { label: 'a-1' })).toMatchObject({ status: 'paid', pay_index: 1 });
  expect(await run('waitanyinvoice', { lastpay_index: 0 })).toMatchObject({ label: 'a-1' });
  expect(await run('wait', { subsystem: 'invoices', indexname: 'created', nextvalue: 1 })).toMatchObject({ subsystem: 'invoices', created: 1 });
  expect(await run('delinvoice', { label: 'a-1', status: 'paid' })).toMatchObject({ label: 'a-1' });
  const second = await run('invoicerequest', { amount: 1000, description: 'to disable' });
  expect(await run('disableinvoicerequest', { invreq_id: second.invreq_id })).toMatchObject({ invreq_id: second.invreq_id, active: false });
  // Nothing of A's is pending (every payment settled): resolving one is refused as CLN's delpay
  // refuses an unknown payment (the settling itself: test/invoicerequest/pending.test.ts).
  done.push('resolveinvoicerequestpayment');
  expect((await call('resolveinvoicerequestpayment', { payment_hash: '11'.repeat(32), status: 'failed' })).error).toMatchObject({ code: 208, message: `Unknown payment with payment_hash: ${'11'.repeat(32)}` });

  // The WebSocket token: a new one in the file.
  const before = existsSync(`${a.networkDir}/rpc-ws-token`) ? readFileSync(`${a.networkDir}/rpc-ws-token`, 'utf8').trim() : undefined;
  const rot = await run('rotaterpctoken');
  expect(rot.token).toMatch(/^[0-9a-f]{64}$/);
  expect(rot.token).not.toBe(before);
  expect(readFileSync(rot.token_file, 'utf8').trim()).toBe(rot.token);

  // Receive-only channels (none here: nobody opened one to A).
  expect(await run('listpeerchannels')).toEqual({ channels: [] });
  expect(await run('listfunds')).toEqual({ outputs: [], channels: [] });
  done.push('close');
  expect((await call('close', { id: b.nodeIdHex })).error).toMatchObject({ code: -1, message: 'Peer has no active channel' });

  expect(await run('disconnect', { id: b.nodeIdHex })).toEqual({});
  expect(await run('stop')).toEqual({ result: 'Shutdown complete' });
  return done;
}
