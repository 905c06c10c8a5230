// Every RPC method, keyed by name: the one list that both the JSON-RPC table (unix socket,
// WebSocket) and the typed API (src/rpc/api.ts, `node.<method>(params)`) are built from. Each entry
// is a TypedMethod: its parameter and result types travel with it.
//
// Adding a method: define it with `defineMethod<Params, Result, RpcContext>({ name, params, … })` in
// the file of its family and add that family here; `node.<name>()` exists from then on.
import { MethodTable } from '../dispatch.ts';
import type { RpcContext } from '../context.ts';
import type { RpcMethod, TypedMethod } from '../types.ts';
import { coreMethodsByName } from './core.ts';
import { decodeMethod } from './decode.ts';
import { gossipMethodsByName } from './gossip.ts';
import { invoiceMethodsByName } from './invoices.ts';
import { refundMethods } from './refunds.ts';
import { sendinvoiceMethods } from './sendinvoice.ts';
import { invoicerequestMethods } from './invoicerequest.ts';
import { tokenMethods } from './token.ts';
import { channelMethodsByName } from './channels.ts';

export const METHODS = {
  ...coreMethodsByName,
  ...gossipMethodsByName,
  ...invoiceMethodsByName,
  decode: decodeMethod,
  ...refundMethods,
  ...tokenMethods,
  // Receive-only channels (issue 13; plain RpcMethods, given the loose types here).
  ...(channelMethodsByName as unknown as Record<keyof typeof channelMethodsByName, TypedMethod<Record<string, unknown>, Record<string, unknown>, RpcContext>>),
};

/** The table's method names. */
export type MethodName = keyof typeof METHODS;
export type Methods = typeof METHODS;

export const METHOD_NAMES = Object.freeze(Object.keys(METHODS) as MethodName[]);

for (const [k, m] of Object.entries(METHODS)) {
  if (k !== m.name) throw new Error(`RPC method ${m.name} is listed under the name ${k}`);
}
// The refund commands' own lists (plain RpcMethods, typed in refunds.ts): a method added there
// without its types would be missing from the table; refuse to load instead.
for (const m of [...sendinvoiceMethods, ...invoicerequestMethods]) {
  if ((METHODS as Record<string, RpcMethod<RpcContext>>)[m.name] !== m) throw new Error(`RPC method ${m.name} has no types in src/rpc/methods/refunds.ts`);
}

/** Every RPC method the daemon serves (one table per server: it is immutable once built). */
export function buildMethodTable(): MethodTable<RpcContext> {
  return new MethodTable<RpcContext>().add(...(Object.values(METHODS) as RpcMethod<RpcContext>[]));
}
