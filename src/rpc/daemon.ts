// The daemon: a Node plus its JSON-RPC server on `<datadir>/<network>/lightning-rpc`.
import { join } from 'node:path';
import { Node, type NodeOptions } from '../node.ts';
import { RpcServer, RPC_FILENAME, isSocketAlive } from './server.ts';
import { existsSync } from 'node:fs';
import type { RpcContext } from './context.ts';
import { buildMethodTable } from './methods/index.ts';
import { RpcToken } from './token.ts';
import { WsRpcServer } from './ws.ts';

export { buildMethodTable };

export interface DaemonOptions extends NodeOptions {
  datadir: string;
  /** JSON-RPC over WebSocket too (src/rpc/ws.ts); its token lives in `<datadir>/<network>/rpc-ws-token`. */
  rpcWs?: { host?: string; port: number; rotateToken?: boolean };
}

export interface Daemon {
  node: Node;
  rpcPath: string;
  /** The WebSocket RPC's bound address and token file, when it is on. */
  rpcWs?: { host: string; port: number; tokenFile: string };
  /** Resolves when the daemon has stopped (after `stop` RPC or `shutdown()`). */
  stopped: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  // One daemon per datadir and network: refuse before touching the key or the store.
  const early = join(opts.datadir, opts.network ?? 'regtest', RPC_FILENAME);
  if (existsSync(early) && (await isSocketAlive(early))) throw new Error(`${early}: another daemon is already running here`);
  const node = await Node.start(opts);
  const table = buildMethodTable();
  let server: RpcServer<RpcContext> | undefined = undefined;
  let ws: WsRpcServer<RpcContext> | undefined = undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      await server?.close();
      await ws?.close();
      await node.stop();
    })();
    return stopping;
  };
  let rpcToken: RpcToken | undefined;
  if (opts.rpcWs) {
    try {
      rpcToken = new RpcToken(node.networkDir!, node.random);
      if (opts.rpcWs.rotateToken) rpcToken.rotate();
    } catch (e) {
      await node.stop();
      throw e;
    }
  }
  const ctx: RpcContext = {
    node,
    invoices: node.invoices,
    table,
    // answer first, then stop
    requestStop: () => void setTimeout(() => void shutdown(), 50),
    ...(rpcToken ? { rpcToken } : {}),
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
  let wsInfo: Daemon['rpcWs'];
  if (opts.rpcWs && rpcToken) {
    const host = opts.rpcWs.host ?? '127.0.0.1';
    ws = new WsRpcServer(table, ctx, node.logger.child('rpc-ws'), { host, port: opts.rpcWs.port, token: rpcToken });
    try {
      const a = await ws.listen();
      wsInfo = { host: a.host, port: a.port, tokenFile: rpcToken.path };
    } catch (e) {
      await shutdown();
      throw new Error(`cannot serve JSON-RPC over WebSocket on ${host}:${opts.rpcWs.port}: ${(e as Error).message}`);
    }
    node.logger.info(`JSON-RPC over WebSocket on ws://${host.includes(':') ? `[${host}]` : host}:${wsInfo.port}/ (token in ${rpcToken.path})`);
  }
  return { node, rpcPath, ...(wsInfo ? { rpcWs: wsInfo } : {}), stopped: node.waitStopped(), shutdown };
}
