// JSON-RPC 2.0 over a unix socket (mode 0600) in the node's directory, as Core Lightning's
// `lightning-rpc`: requests are JSON objects on a stream, each answered by one JSON object.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Logger } from '../util/log.ts';
import { JsonStreamSplitter, stringifyJson } from './json.ts';
import type { MethodTable } from './dispatch.ts';

export const RPC_FILENAME = 'lightning-rpc';

/** Per connection: requests read but not answered yet (count, characters), and answer bytes the client has not taken. */
const MAX_QUEUED_REQUESTS = 1024;
const MAX_QUEUED_CHARS = 16 * 1024 * 1024;
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

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
    // Aborted when the client goes away: its waitinvoice/waitanyinvoice/wait stop waiting.
    const gone = new AbortController();
    // Requests are answered one at a time, in order, by one loop over a queue. (Not a chain of
    // promises: V8 walks a pending chain on every throw, so 64 KiB of garbage, one parse error per
    // character, cost O(n²) and froze the process for tens of seconds.)
    const queue: string[] = [];
    let head = 0;
    let running = false;
    let queuedChars = 0;
    let failed = false;
    // Back-pressure: while too many requests wait behind a slow one (waitinvoice…) or the client
    // does not read its answers, stop reading from it; memory per connection stays bounded.
    const flow = (): void => {
      if (s.destroyed) return;
      const over = queue.length - head > MAX_QUEUED_REQUESTS || queuedChars > MAX_QUEUED_CHARS || s.writableLength > MAX_UNSENT_BYTES;
      if (over && !s.isPaused()) s.pause();
      else if (!over && s.isPaused()) s.resume();
    };
    const run = async (): Promise<void> => {
      running = true;
      try {
        while (head < queue.length && !s.destroyed) {
          const t = queue[head]!;
          const out = await this.answer(t, gone.signal);
          queue[head++] = '';
          queuedChars -= t.length;
          if (head >= 4096) {
            queue.splice(0, head);
            head = 0;
          }
          if (!s.destroyed && !s.writableEnded) s.write(out);
          flow();
        }
      } catch (e) {
        this.logger.error(`rpc: ${(e as Error)?.stack ?? String(e)}`);
        s.destroy();
      } finally {
        queue.length = 0;
        head = 0;
        queuedChars = 0;
        running = false;
      }
    };
    s.on('drain', flow);
    s.on('data', (chunk: string) => {
      if (failed) return;
      let texts: string[];
      try {
        texts = splitter.push(chunk);
      } catch (e) {
        // The stream can no longer be split: answer, then close (reading nothing more).
        failed = true;
        s.end(stringifyJson({ jsonrpc: '2.0', id: null, error: { code: -32700, message: (e as Error).message } }) + '\n\n', () => s.destroy());
        return;
      }
      for (const t of texts) {
        queue.push(t);
        queuedChars += t.length;
      }
      flow();
      if (!running && head < queue.length) void run();
    });
    s.on('error', () => s.destroy());
    s.on('close', () => {
      this.sockets.delete(s);
      gone.abort();
    });
  }

  /** One request text → its answer, ready to write. Never throws. */
  private async answer(t: string, signal: AbortSignal): Promise<string> {
    let req: unknown;
    try {
      req = JSON.parse(t);
    } catch {
      return stringifyJson({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: invalid JSON' } }) + '\n\n';
    }
    const res = await this.table.dispatch(req, this.ctx, signal);
    if (res.error) this.logger.debug(`rpc ${String(typeof req === 'object' && req !== null ? (req as { method?: unknown }).method : undefined)}: error ${res.error.code} ${res.error.message}`);
    try {
      return stringifyJson(res) + '\n\n';
    } catch (e) {
      return stringifyJson({ jsonrpc: '2.0', id: null, error: { code: -1, message: `internal error: answer not serializable: ${(e as Error).message}` } }) + '\n\n';
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // A back-pressured (paused) connection would never read the client's end: drop it now.
    for (const s of this.sockets) if (s.isPaused()) s.destroy();
    else s.end();
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
