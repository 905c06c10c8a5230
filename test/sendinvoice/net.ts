// Test networks of whole Nodes (src/node.ts) on 127.0.0.1, for sendinvoice and the issuer side:
// deterministic keys by name, stopped after each file, and a JSON-RPC call helper that goes
// through the daemon's method table (the same code path as bolt12-cli).
import { afterAll } from 'vitest';
import { sha256 } from '../../src/crypto/index.ts';
import { Node, type NodeOptions } from '../../src/node.ts';
import { buildMethodTable } from '../../src/rpc/daemon.ts';
import type { RpcContext } from '../../src/rpc/context.ts';
import { utf8 } from '../../src/util/bytes.ts';

const started: Node[] = [];
afterAll(async () => {
  await Promise.all(started.splice(0).map((n) => n.stop()));
});

export function secretFor(name: string): Uint8Array {
  return sha256(utf8.encode(`sendinvoice test node ${name}`));
}

export async function startNode(name: string, opts: Partial<NodeOptions> = {}): Promise<Node> {
  const n = await Node.start({ port: 0, logLevel: 'warn', nodeSecret: secretFor(name), alias: name, ...opts });
  started.push(n);
  return n;
}

/** a dials b; resolves once both see the other. */
export async function link(a: Node, b: Node): Promise<void> {
  await a.connect(b.nodeId, '127.0.0.1', b.tcpAddress!.port);
  await waitFor(() => !!a.peers.get(b.nodeId) && !!b.peers.get(a.nodeId), 5000, `${a.config.alias} <-> ${b.config.alias}`);
}

export async function waitFor(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const table = buildMethodTable();

export interface RpcAnswer {
  result?: any;
  error?: { code: number; message: string; data?: any };
}

/** A JSON-RPC call answered by `node` (through the daemon's method table; params by name or position). */
export async function rpc(node: Node, method: string, params: unknown): Promise<RpcAnswer> {
  const ctx: RpcContext = { node, invoices: node.invoices, table, requestStop: () => {} };
  // Round-trip through JSON as a socket would (bigints print as numbers).
  const res = await table.dispatch(JSON.parse(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })), ctx);
  return JSON.parse(JSON.stringify(res, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))) as RpcAnswer;
}

/** Like rpc, but throws unless the call succeeded. */
export async function ok(node: Node, method: string, params: unknown): Promise<any> {
  const r = await rpc(node, method, params);
  if (r.error) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
  return r.result;
}
