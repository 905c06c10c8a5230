// The daemon: a Node plus its JSON-RPC server on `<datadir>/<network>/lightning-rpc`.
import { join } from 'node:path';
import { Node, type NodeOptions } from '../node.ts';
import { MethodTable } from './dispatch.ts';
import { RpcServer, RPC_FILENAME, isSocketAlive } from './server.ts';
import { existsSync } from 'node:fs';
import type { RpcContext } from './context.ts';
import { coreMethods } from './methods/core.ts';
import { channelMethods } from './methods/channels.ts';
import { invoiceMethods } from './methods/invoices.ts';
import { decodeMethod } from './methods/decode.ts';
import { sendinvoiceMethods } from './methods/sendinvoice.ts';
import { invoicerequestMethods } from './methods/invoicerequest.ts';
import { gossipMethods } from './methods/gossip.ts';
import type { RpcMethod } from './types.ts';

/** Every RPC method the daemon serves. */
export function buildMethodTable(): MethodTable<RpcContext> {
  return new MethodTable<RpcContext>().add(
    ...coreMethods,
    ...gossipMethods,
    ...(invoiceMethods as unknown as RpcMethod<RpcContext>[]),
    decodeMethod as unknown as RpcMethod<RpcContext>,
    ...sendinvoiceMethods,
    ...invoicerequestMethods,
    ...channelMethods,
  );
}

export interface Daemon {
  node: Node;
  rpcPath: string;
  /** Resolves when the daemon has stopped (after `stop` RPC or `shutdown()`). */
  stopped: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startDaemon(opts: NodeOptions & { datadir: string }): Promise<Daemon> {
  // One daemon per datadir and network: refuse before touching the key or the store.
  const early = join(opts.datadir, opts.network ?? 'regtest', RPC_FILENAME);
  if (existsSync(early) && (await isSocketAlive(early))) throw new Error(`${early}: another daemon is already running here`);
  const node = await Node.start(opts);
  const table = buildMethodTable();
  let server: RpcServer<RpcContext> | undefined = undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      await server?.close();
      await node.stop();
    })();
    return stopping;
  };
  const ctx: RpcContext = {
    node,
    invoices: node.invoices,
    table,
    // answer first, then stop
    requestStop: () => void setTimeout(() => void shutdown(), 50),
  };
  server = new RpcServer(table, ctx, node.logger.child('rpc'));
  const rpcPath = join(node.networkDir!, RPC_FILENAME);
  try {
    await server.listen(rpcPath);
  } catch (e) {
    await node.stop();
    throw e;
  }
  node.logger.info(`JSON-RPC on ${rpcPath}`);
  return { node, rpcPath, stopped: node.waitStopped(), shutdown };
}
