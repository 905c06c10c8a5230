// JSON-RPC 2.0 over a unix socket (mode 0600) in the node's directory, as Core Lightning's
// `lightning-rpc`: requests are JSON objects on a stream, each answered by one JSON object.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Logger } from '../util/log.ts';
import { JsonStreamSplitter, stringifyJson } from './json.ts';
import type { MethodTable } from './dispatch.ts';

export const RPC_FILENAME = 'lightning-rpc';

export class RpcServer<Ctx> {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(
    private readonly table: MethodTable<Ctx>,
    private readonly ctx: Ctx,
    private readonly logger: Logger,
  ) {}

  /** Listen on `path`. A stale socket file (no daemon answering) is replaced; a live one is an error. */
  async listen(path: string): Promise<void> {
    if (existsSync(path)) {
      if (await isSocketAlive(path)) throw new Error(`${path}: another daemon is already running here`);
      unlinkSync(path);
    }
    const server = createServer((s) => this.onConnection(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
  }

  private onConnection(s: Socket): void {
    this.sockets.add(s);
    s.setEncoding('utf8');
    const splitter = new JsonStreamSplitter();
    // Answers go out in request order even when a later one finishes first.
    let chain: Promise<void> = Promise.resolve();
    s.on('data', (chunk: string) => {
      let texts: string[];
      try {
        texts = splitter.push(chunk);
      } catch (e) {
        s.end(stringifyJson({ jsonrpc: '2.0', id: null, error: { code: -32700, message: (e as Error).message } }) + '\n\n');
        return;
      }
      for (const t of texts) {
        chain = chain.then(async () => {
          let req: unknown;
          try {
            req = JSON.parse(t);
          } catch {
            if (!s.destroyed) s.write(stringifyJson({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: invalid JSON' } }) + '\n\n');
            return;
          }
          const res = await this.table.dispatch(req, this.ctx);
          if (res.error) this.logger.debug(`rpc ${(req as { method?: string }).method}: error ${res.error.code} ${res.error.message}`);
          if (!s.destroyed) s.write(stringifyJson(res) + '\n\n');
        });
      }
    });
    s.on('error', () => s.destroy());
    s.on('close', () => this.sockets.delete(s));
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.end();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
  }
}

/** True when a daemon answers on the unix socket at `path`. */
export function isSocketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = netConnect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** A minimal client: one request, one answer (used by bolt12-cli and the tests). */
export function rpcCall(path: string, method: string, params: unknown, timeoutMs = 0): Promise<{ result?: unknown; error?: { code: number; message: string; data?: unknown } }> {
  return new Promise((resolve, reject) => {
    const c = netConnect(path);
    c.setEncoding('utf8');
    const splitter = new JsonStreamSplitter();
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs > 0) timer = setTimeout(() => (c.destroy(), reject(new Error(`rpc ${method}: timed out`))), timeoutMs);
    c.once('connect', () => c.write(stringifyJson({ jsonrpc: '2.0', id: 1, method, params })));
    c.on('data', (chunk: string) => {
      const texts = splitter.push(chunk);
      if (texts.length > 0) {
        if (timer) clearTimeout(timer);
        c.end();
        try {
          resolve(JSON.parse(texts[0]!));
        } catch (e) {
          reject(e);
        }
      }
    });
    c.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
  });
}
