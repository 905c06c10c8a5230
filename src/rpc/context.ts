// What every RPC method may reach: the node and its parts, and (per call) how to tell the caller
// about progress before the result.
import type { Node } from '../node.ts';
import type { InvoiceStore } from '../invoice-store/index.ts';
import type { MethodTable } from './dispatch.ts';
import type { CallContext } from './types.ts';
import type { RpcToken } from './token.ts';

/**
 * A plain object (the dispatcher spreads it into each call's context). `notify` and `connection`
 * are put in per call by the dispatcher (MethodTable.dispatch always sets them):
 * `ctx.notify?.({ message })` / `ctx.notify?.({ num, total })` reaches the caller as Core
 * Lightning's `message` / `progress` notification if its connection enabled them. They are
 * optional only so a handler can be called directly (tests) without a dispatcher.
 */
export interface RpcContext extends Partial<CallContext> {
  node: Node;
  invoices: InvoiceStore;
  table: MethodTable<RpcContext>;
  /** Ask the daemon to shut down once the current answer is sent. */
  requestStop(): void;
  /** The WebSocket RPC's token (`rotaterpctoken`); absent: made from the node's datadir on demand. */
  rpcToken?: RpcToken;
}
