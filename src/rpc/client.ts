// A JSON-RPC client for the daemon's unix socket (bolt12d's `lightning-rpc`, and Core Lightning's,
// which frames the same way). It loads node:net and ./json.ts (no imports of its own) and nothing
// else: bolt12-cli starts through this module alone, in a small multiple of a bare `node` start,
// without the protocol stack (test/package/cli.test.ts checks what the CLI loads).
//
// Framing, as lightningd's (lightningd/jsonrpc.c ends every JSON text it sends with "\n\n", and
// pyln-client splits on it): compact JSON never holds two newlines in a row (a newline inside a
// string is written `\n`), so each "\n\n" closes one text. A text left when the daemon closes the
// connection is read as well. Answers and notifications are told apart as lightning-cli does: a
// notification has a `method` and no `id`.
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stringifyJson } from './json.ts';

// The daemon's names, repeated here so that a client needs none of the daemon's modules
// (test/package/cli.test.ts checks they agree with src/rpc/config.ts, server.ts, types.ts and
// src/wire/chains.ts).
/** Where bolt12d keeps its state unless told otherwise (`--datadir`). */
export const DEFAULT_DATADIR = join(homedir(), '.bolt12d');
/** The socket's name in `<datadir>/<network>/`, as Core Lightning's. */
export const RPC_FILENAME = 'lightning-rpc';
export const NETWORKS = ['regtest', 'testnet', 'signet', 'mainnet'] as const;
/** Core Lightning's log level names, as notifications carry them (lowest first). */
export const NOTIFY_LEVELS = ['io', 'trace', 'debug', 'info', 'unusual', 'broken'] as const;

/** The daemon's RPC socket for a datadir and network. */
export function rpcSocketPath(datadir: string = DEFAULT_DATADIR, network: string = 'regtest'): string {
  return join(datadir, network, RPC_FILENAME);
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface RpcAnswer {
  id?: unknown;
  result?: unknown;
  error?: RpcErrorObject;
}

/** A notification the daemon sent about the call (`message`, `progress`), before its answer. */
export interface RpcNotification {
  method: string;
  params: Record<string, unknown>;
}

export interface RpcCallOptions {
  /** Give up (reject) after this many milliseconds; 0: never. */
  timeoutMs?: number;
  /** Core Lightning's `filter` member: the result keeps only the fields it names. */
  filter?: unknown;
  /** Enable notifications on the connection and hand each one here (`message`, `progress`). */
  onNotification?: (n: RpcNotification) => void;
  /** The request id (default `bolt12-cli:<method>#<pid>`, Core Lightning's `cli:<method>#<pid>` style). */
  id?: string;
}

/** The answer as the daemon sent it: its JSON text and its parsed form. */
export interface RpcRawAnswer {
  text: string;
  answer: RpcAnswer;
}

const LF = 0x0a;

/**
 * One request on a fresh connection, one answer (what lightning-cli does). Resolves with the
 * parsed answer, an error answer included (`{ error: { code, message, data? } }`); rejects when
 * the socket cannot be reached, the connection closes before the answer, or the timeout passes.
 * Params may hold bigint (sent as exact JSON integers) and Uint8Array (sent as hex).
 * `options` may be a timeout in milliseconds.
 */
export async function rpcCall(path: string, method: string, params: unknown, options: number | RpcCallOptions = 0): Promise<RpcAnswer> {
  return (await rpcCallRaw(path, method, params, options)).answer;
}

/** As rpcCall, with the answer's JSON text as well (numbers above 2^53 exact, for printing). */
export function rpcCallRaw(path: string, method: string, params: unknown, options: number | RpcCallOptions = 0): Promise<RpcRawAnswer> {
  const opts: RpcCallOptions = typeof options === 'number' ? { timeoutMs: options } : options;
  const id = opts.id ?? `bolt12-cli:${method}#${process.pid}`;
  const enableId = `${id}+notify-enable`;
  return new Promise((resolve, reject) => {
    const c = connect(path);
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (f: () => void): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      c.destroy();
      f();
    };
    if (opts.timeoutMs) timer = setTimeout(() => finish(() => reject(new Error(`rpc ${method}: timed out`))), opts.timeoutMs);

    /** Handles one complete text; true when it was our answer (or a connection-level error). */
    const take = (text: string): boolean => {
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        finish(() => reject(new Error(`rpc ${method}: the daemon sent invalid JSON: ${text.slice(0, 80)}`)));
        return true;
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        finish(() => reject(new Error(`rpc ${method}: answer is not an object`)));
        return true;
      }
      const m = msg as { id?: unknown; method?: unknown; params?: unknown };
      if (m.id === undefined && typeof m.method === 'string') {
        const p = m.params;
        opts.onNotification?.({ method: m.method, params: (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown> });
        return false;
      }
      if (m.id === enableId) return false;
      // An answer for us, or a connection-level error (id null).
      finish(() => resolve({ text, answer: m as RpcAnswer }));
      return true;
    };

    // The unfinished text: chunks read since the last "\n\n", and whether the last byte was "\n".
    let pending: Buffer[] = [];
    let endsWithLf = false;
    const flush = (tail: Buffer): boolean => {
      pending.push(tail);
      const text = (pending.length === 1 ? pending[0]! : Buffer.concat(pending)).toString('utf8').trim();
      pending = [];
      return text !== '' && take(text);
    };

    c.once('connect', () => {
      let out = '';
      if (opts.onNotification) out += stringifyJson({ jsonrpc: '2.0', id: enableId, method: 'notifications', params: { enable: true } });
      const req: Record<string, unknown> = { jsonrpc: '2.0', id, method, params };
      if (opts.filter !== undefined) req['filter'] = opts.filter;
      c.write(out + stringifyJson(req));
    });
    c.on('data', (chunk: Buffer) => {
      let from = 0;
      // a "\n\n" split across two reads
      if (endsWithLf && chunk.length > 0 && chunk[0] === LF) {
        if (flush(Buffer.alloc(0))) return;
        from = 1;
      }
      for (;;) {
        const at = chunk.indexOf('\n\n', from);
        if (at < 0) break;
        if (flush(chunk.subarray(from, at))) return;
        from = at + 2;
      }
      if (from < chunk.length) pending.push(chunk.subarray(from));
      endsWithLf = chunk.length > 0 && chunk[chunk.length - 1] === LF;
    });
    c.once('end', () => {
      if (pending.length) flush(Buffer.alloc(0));
    });
    c.once('close', () => finish(() => reject(new Error(`rpc ${method}: connection closed before the answer`))));
    c.once('error', (e) => finish(() => reject(e)));
  });
}

/** Where the text of the JSON string starting at `i` (a `"`) ends (just past its closing quote). */
function endOfString(t: string, i: number): number {
  for (let j = i + 1; j < t.length; j++) {
    const c = t.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return t.length;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWs(t: string, i: number): number {
  while (i < t.length && isWs(t.charCodeAt(i))) i++;
  return i;
}

/** Where the JSON value starting at `i` ends. `t` is valid JSON (it was parsed before). */
function endOfValue(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === 0x22) return endOfString(t, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let j = i; j < t.length; j++) {
      const d = t.charCodeAt(j);
      if (d === 0x22) j = endOfString(t, j) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if ((d === 0x7d || d === 0x5d) && --depth === 0) return j + 1;
    }
    return t.length;
  }
  let j = i;
  while (j < t.length && !isWs(t.charCodeAt(j)) && !',:]}'.includes(t[j]!)) j++;
  return j;
}

/**
 * The text of the top-level member `key` of the JSON object text `t` (valid JSON), as written,
 * or undefined when there is none.
 */
export function jsonMemberText(t: string, key: string): string | undefined {
  let i = skipWs(t, 0);
  if (t[i] !== '{') return undefined;
  i++;
  for (;;) {
    i = skipWs(t, i);
    if (i >= t.length || t[i] !== '"') return undefined;
    const keyEnd = endOfString(t, i);
    const k = JSON.parse(t.slice(i, keyEnd)) as string;
    i = skipWs(t, skipWs(t, keyEnd) + 1); // past the ':'
    const end = endOfValue(t, i);
    if (k === key) return t.slice(i, end);
    i = skipWs(t, end);
    if (t[i] !== ',') return undefined;
    i++;
  }
}

/**
 * Valid JSON text re-indented as JSON.stringify(JSON.parse(t), null, step) would print it, but
 * with every number as written (an amount above 2^53 msat stays exact, as lightning-cli prints it).
 */
export function indentJson(t: string, step = 3): string {
  const out: string[] = [];
  let depth = 0;
  const nl = (): string => '\n' + ' '.repeat(depth * step);
  for (let i = 0; i < t.length; ) {
    const c = t.charCodeAt(i);
    if (c === 0x22) {
      const e = endOfString(t, i);
      out.push(t.slice(i, e));
      i = e;
    } else if (c === 0x7b || c === 0x5b) {
      const close = c === 0x7b ? '}' : ']';
      const j = skipWs(t, i + 1);
      if (t[j] === close) {
        out.push(t[i]! + close);
        i = j + 1;
      } else {
        depth++;
        out.push(t[i]! + nl());
        i++;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      out.push(nl() + t[i]!);
      i++;
    } else if (c === 0x2c) {
      out.push(',' + nl());
      i++;
    } else if (c === 0x3a) {
      out.push(': ');
      i++;
    } else if (isWs(c)) i++;
    else {
      const e = endOfValue(t, i);
      out.push(t.slice(i, e));
      i = e;
    }
  }
  return out.join('');
}
