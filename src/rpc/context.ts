// What every RPC method may reach: the node and its parts.
import type { Node } from '../node.ts';
import type { InvoiceStore } from '../invoice-store/index.ts';
import type { MethodTable } from './dispatch.ts';

export interface RpcContext {
  node: Node;
  invoices: InvoiceStore;
  table: MethodTable<RpcContext>;
  /** Ask the daemon to shut down once the current answer is sent. */
  requestStop(): void;
}
