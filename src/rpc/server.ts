// JSON-RPC 2.0 over a unix socket (mode 0600) in the node's directory, as Core Lightning's
// `lightning-rpc`: requests are JSON objects on a stream, each answered by one JSON object.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { Logger } from '../util/log.ts';
import { JsonStreamSplitter, stringifyJson } from './json.ts';
import type { MethodTable } from './dispatch.ts';
import type { RpcConnectionState } from './types.ts';

export const RPC_FILENAME = 'lightning-rpc';

/** Per connection: requests read but not answered yet (count, characters), and answer bytes the client has not taken. */
const MAX_QUEUED_REQUESTS = 1024;
const MAX_QUEUED_CHARS = 16 * 1024 * 1024;
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;
/** Per connection: the largest request text (an unfinished one beyond it closes the connection). */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/**
 * Across all connections: bytes held for requests (unfinished texts and read-but-unanswered
 * ones). Four maximal requests fit; past it the connection holding the most is closed (the newest
 * of equals, to 64 KiB), so a small `getinfo` is never the one refused while a large client is buffered.
 */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** JSON-RPC 2.0 "server error" range: the answer to a connection closed for the budget. */
export const RPC_OVERLOADED = -32000;
/** Holders within this many bytes of each other count as equally large (the newest is closed first). */
const EVICTION_UNIT = 64 * 1024;
/** Closings for the budget are logged as one summary line per this many milliseconds. */
const EVICTION_LOG_MS = 10_000;

const PARSE_ERROR = stringifyJson({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: invalid JSON' } }) + '\n\n';

export interface RpcServerOptions {
  /** Largest request text per connection (default MAX_REQUEST_BYTES). */
  maxRequestBytes?: number;
  /** Bytes held for requests across all connections (default MAX_BUFFERED_BYTES). */
  maxBufferedBytes?: number;
}

/** One client connection and what is held for it. */
interface Conn {
  readonly s: Socket;
  /** Order of arrival: among equally large holders the newest is refused first. */
  readonly seq: number;
  readonly splitter: JsonStreamSplitter;
  /** Request texts read, in order, from `head` on. */
  queue: string[];
  head: number;
  /** Characters in queue[head…]. */
  queuedChars: number;
  /** What this connection counts for in the server's `buffered` total. */
  accounted: number;
  /** No more reading: the stream could not be split, or the budget closed it. */
  failed: boolean;
  running: boolean;
  /** Writes are corked until the next turn of the event loop (one write for a burst of answers). */
  corked: boolean;
  /** CLN's per connection flags; the `notifications` command sets this one. */
  readonly state: RpcConnectionState;
  /** Aborted when the client goes away: its waitinvoice/waitanyinvoice/wait stop waiting. */
  readonly gone: AbortController;
}

export class RpcServer<Ctx> {
  private server?: Server;
  private readonly conns = new Set<Conn>();
  private seq = 0;
  private buffered = 0;
  private readonly maxRequestBytes: number;
  private readonly maxBufferedBytes: number;
  private evictions = 0;
  private evictionTimer?: NodeJS.Timeout;
  constructor(
    private readonly table: MethodTable<Ctx>,
    private readonly ctx: Ctx,
    private readonly logger: Logger,
    opts: RpcServerOptions = {},
  ) {
    this.maxRequestBytes = opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
  }

  /** Bytes held for requests across all connections now (bounded by maxBufferedBytes plus one read). */
  get bufferedBytes(): number {
    return this.buffered;
  }

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
    const c: Conn = {
      s,
      seq: this.seq++,
      splitter: new JsonStreamSplitter(this.maxRequestBytes),
      queue: [],
      head: 0,
      queuedChars: 0,
      accounted: 0,
      failed: false,
      running: false,
      corked: false,
      state: { notifications: false },
      gone: new AbortController(),
    };
    this.conns.add(c);
    s.on('drain', () => this.flow(c));
    s.on('data', (chunk: Buffer) => this.onData(c, chunk));
    s.on('error', () => s.destroy());
    s.on('close', () => {
      c.failed = true;
      this.conns.delete(c);
      c.gone.abort();
      this.release(c);
    });
  }

  private onData(c: Conn, chunk: Buffer): void {
    if (c.failed) return;
    let texts: string[];
    try {
      texts = c.splitter.push(chunk);
    } catch (e) {
      // The stream can no longer be split: answer, then close (reading nothing more).
      this.refuse(c, -32700, (e as Error).message);
      return;
    }
    for (const t of texts) {
      c.queue.push(t);
      c.queuedChars += t.length;
    }
    this.account(c);
    if (c.failed) return;
    this.flow(c);
    if (!c.running && c.head < c.queue.length) void this.run(c);
  }

  /**
   * Back-pressure: while too many requests wait behind a slow one (waitinvoice…) or the client
   * does not read its answers, stop reading from it; memory per connection stays bounded.
   */
  private flow(c: Conn): void {
    const s = c.s;
    if (s.destroyed || c.failed) return;
    const over = c.queue.length - c.head > MAX_QUEUED_REQUESTS || c.queuedChars > MAX_QUEUED_CHARS || s.writableLength > MAX_UNSENT_BYTES;
    if (over && !s.isPaused()) s.pause();
    else if (!over && s.isPaused()) s.resume();
  }

  /** Bring `c`'s share of the total up to date; past the budget, close the largest holders. */
  private account(c: Conn): void {
    const held = c.splitter.held + c.queuedChars;
    this.buffered += held - c.accounted;
    c.accounted = held;
    while (this.buffered > this.maxBufferedBytes) {
      let victim: Conn | undefined;
      // Largest first, in units of 64 KiB (how reads arrive); the newest among equals.
      let vk = -1;
      for (const x of this.conns) {
        if (x.failed || x.accounted === 0) continue;
        const k = Math.floor(x.accounted / EVICTION_UNIT);
        if (k > vk || (k === vk && x.seq > victim!.seq)) {
          victim = x;
          vk = k;
        }
      }
      if (!victim) break;
      const total = this.buffered;
      const held = victim.accounted;
      this.refuse(victim, RPC_OVERLOADED, `RPC server busy: ${mib(total)} buffered for all connections (limit ${mib(this.maxBufferedBytes)}); this connection held the most (${mib(held)}) and is closed`);
      this.noteEviction(held);
    }
  }

  /** Drop what is held for `c` (it is closing or closed). */
  private release(c: Conn): void {
    c.splitter.clear();
    c.queue = [];
    c.head = 0;
    c.queuedChars = 0;
    this.buffered -= c.accounted;
    c.accounted = 0;
  }

  /** Answer a connection-level error (id null), read nothing more, release its memory and close it. */
  private refuse(c: Conn, code: number, message: string): void {
    c.failed = true;
    this.release(c);
    const s = c.s;
    if (s.destroyed) return;
    // Stop reading: the rest of what it sends stays in the kernel until the close.
    s.pause();
    const bye = setTimeout(() => s.destroy(), 1000);
    bye.unref();
    s.end(stringifyJson({ jsonrpc: '2.0', id: null, error: { code, message } }) + '\n\n', () => {
      clearTimeout(bye);
      s.destroy();
    });
  }

  private noteEviction(bytes: number): void {
    if (this.evictionTimer === undefined) {
      this.logger.warn(`closed a connection holding ${mib(bytes)}: ${mib(this.maxBufferedBytes)} RPC buffer budget exceeded`);
      this.evictionTimer = setTimeout(() => {
        this.evictionTimer = undefined;
        if (this.evictions > 0) this.logger.warn(`closed ${this.evictions} more connection(s) over the ${mib(this.maxBufferedBytes)} RPC buffer budget in ${EVICTION_LOG_MS / 1000} s`);
        this.evictions = 0;
      }, EVICTION_LOG_MS);
      this.evictionTimer.unref();
    } else this.evictions++;
  }

  /**
   * Requests are answered one at a time, in order, by one loop over a queue. (Not a chain of
   * promises: V8 walks a pending chain on every throw, so 64 KiB of garbage, one parse error per
   * character, cost O(n²) and froze the process for tens of seconds.)
   */
  private async run(c: Conn): Promise<void> {
    const s = c.s;
    c.running = true;
    try {
      while (c.head < c.queue.length && !s.destroyed && !c.failed) {
        const t = c.queue[c.head]!;
        const out = await this.answer(t, c);
        if (c.failed) break;
        c.queue[c.head++] = '';
        c.queuedChars -= t.length;
        if (c.head >= 4096) {
          c.queue.splice(0, c.head);
          c.head = 0;
        }
        this.account(c);
        this.write(c, out);
        this.flow(c);
      }
    } catch (e) {
      this.logger.error(`rpc: ${(e as Error)?.stack ?? String(e)}`);
      s.destroy();
    } finally {
      if (c.head >= c.queue.length) {
        c.queue = [];
        c.head = 0;
      }
      c.running = false;
    }
  }

  /**
   * Write to the client. Answers found in one turn of the event loop (a burst of small requests)
   * leave in one write, not one system call each; the next turn flushes them, so an answer or a
   * notification is never held behind a slow command.
   */
  private write(c: Conn, data: string): void {
    const s = c.s;
    if (s.destroyed || s.writableEnded) return;
    if (!c.corked) {
      c.corked = true;
      s.cork();
      setImmediate(() => {
        c.corked = false;
        s.uncork();
      });
    }
    s.write(data);
  }

  /** One request text → its answer, ready to write. Never throws. */
  private async answer(t: string, c: Conn): Promise<string> {
    // The splitter hands stray bytes between texts over as text that is not an object or array.
    if (t.charCodeAt(0) !== 0x7b && t.charCodeAt(0) !== 0x5b) return PARSE_ERROR;
    let req: unknown;
    try {
      req = JSON.parse(t);
    } catch {
      return PARSE_ERROR;
    }
    const s = c.s;
    const res = await this.table.dispatch(req, this.ctx, {
      signal: c.gone.signal,
      connection: c.state,
      // Notifications go out at once, before the answer. One the client is not reading is
      // dropped (they are progress reports), so they never grow the write buffer past the bound.
      send: (n) => {
        if (c.failed || s.writableLength > MAX_UNSENT_BYTES) return;
        this.write(c, stringifyJson(n) + '\n\n');
      },
    });
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
    if (this.evictionTimer) clearTimeout(this.evictionTimer);
    this.evictionTimer = undefined;
    // A back-pressured (paused) connection would never read the client's end: drop it now.
    for (const { s } of this.conns) if (s.isPaused()) s.destroy();
    else s.end();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    for (const { s } of this.conns) s.destroy();
  }
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
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

// The client (bolt12-cli's, the tests'): one request, one answer, in ./client.ts, which loads
// nothing of the daemon.
export { rpcCall, type RpcCallOptions } from './client.ts';
