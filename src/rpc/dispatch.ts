// JSON-RPC 2.0 dispatch over a method table: request validation, positional → named params,
// errors as JSON-RPC error objects with Core Lightning's codes.
import { INVALID_PARAMS, NOTIFY_LEVELS, RpcError, type CallContext, type Notification, type RpcConnectionState, type RpcMethod } from './types.ts';
import { applyFilter, parseFilter, type JsonFilter } from './filter.ts';

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** How one call reaches its caller beyond the answer (the server fills these per connection). */
export interface DispatchOptions {
  /** Aborts when the caller's connection closes. */
  signal?: AbortSignal;
  /** The caller's connection state; `notifications` is read when the request arrives (as CLN does). */
  connection?: RpcConnectionState;
  /** Writes one notification object to the caller (framed by the server). */
  send?: (notification: object) => void;
}

function checkCount(n: unknown, name: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new RangeError(`notify: ${name} should be a non-negative integer`);
  return n;
}

/** The JSON of a notification about the request `id` (CLN's field order: id first). */
export function notificationJson(id: unknown, n: Notification): { jsonrpc: '2.0'; method: 'message' | 'progress'; params: Record<string, unknown> } {
  if ('message' in n) {
    const level = n.level ?? 'info';
    if (!NOTIFY_LEVELS.includes(level)) throw new RangeError(`notify: level should be one of ${NOTIFY_LEVELS.join(', ')}`);
    if (typeof n.message !== 'string') throw new RangeError('notify: message should be a string');
    return { jsonrpc: '2.0', method: 'message', params: { id, level, message: n.message } };
  }
  // plugins/libplugin.c plugin_notify_progress(): assert(progress < num_progress), same for stages.
  const num = checkCount(n.num, 'num');
  const total = checkCount(n.total, 'total');
  if (num >= total) throw new RangeError('notify: num should be below total');
  const params: Record<string, unknown> = { id, num, total };
  if (n.stage !== undefined) {
    const sn = checkCount(n.stage.num, 'stage.num');
    const st = checkCount(n.stage.total, 'stage.total');
    if (sn >= st) throw new RangeError('notify: stage.num should be below stage.total');
    params['stage'] = { num: sn, total: st };
  }
  return { jsonrpc: '2.0', method: 'progress', params };
}

export class MethodTable<Ctx> {
  private readonly methods = new Map<string, RpcMethod<Ctx>>();
  add(...ms: RpcMethod<Ctx>[]): this {
    for (const m of ms) {
      if (this.methods.has(m.name)) throw new Error(`RPC method ${m.name} registered twice`);
      this.methods.set(m.name, m);
    }
    return this;
  }
  get(name: string): RpcMethod<Ctx> | undefined {
    return this.methods.get(name);
  }
  list(): RpcMethod<Ctx>[] {
    return [...this.methods.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Map positional or named params onto the method's parameter names. */
  static bindParams(m: RpcMethod<unknown>, params: unknown): Record<string, unknown> {
    const names = m.params.map((p) => p.replace(/\?$/, ''));
    const out: Record<string, unknown> = {};
    if (params === undefined || params === null) {
      // no params
    } else if (Array.isArray(params)) {
      if (params.length > names.length) throw new RpcError(INVALID_PARAMS, `too many parameters: ${m.name} takes at most ${names.length}`);
      params.forEach((v, i) => {
        if (v !== null) out[names[i]!] = v;
      });
    } else if (typeof params === 'object') {
      for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
        if (!names.includes(k)) throw new RpcError(INVALID_PARAMS, `unknown parameter: ${k}`, { param: k });
        if (v !== null) out[k] = v;
      }
    } else {
      throw new RpcError(INVALID_PARAMS, 'params must be an array or an object');
    }
    m.params.forEach((p, i) => {
      if (!p.endsWith('?') && out[names[i]!] === undefined) {
        throw new RpcError(INVALID_PARAMS, `missing required parameter: ${names[i]}`, { param: names[i] });
      }
    });
    return out;
  }

  /**
   * Run the method `name` with `params` (positional or named, bound as for a request) and return
   * its result (`{}` for none). Throws RpcError for an unknown method (-32601) or bad parameters
   * (-32602), and whatever the handler throws (RpcError, or another error: dispatch answers -1).
   * The JSON-RPC servers and the typed API (src/rpc/api.ts) both run calls through here.
   */
  async invoke(name: string, params: unknown, ctx: Ctx, call: CallContext, signal?: AbortSignal): Promise<unknown> {
    const m = this.methods.get(name);
    if (!m) throw new RpcError(-32601, `Unknown command '${name}'`);
    const bound = MethodTable.bindParams(m as RpcMethod<unknown>, params);
    // A plain object per call (the shared context is one: spreading keeps its members).
    return (await m.handler(bound, { ...ctx, ...call } as Ctx, signal)) ?? {};
  }

  /**
   * Answer one parsed request. Never throws. The handler gets `ctx` plus this call's `notify`
   * and `connection`; a `filter` member (CLN's) trims the result.
   */
  async dispatch(req: unknown, ctx: Ctx, opts: DispatchOptions = {}): Promise<JsonRpcResponse> {
    let id = typeof req === 'object' && req !== null && 'id' in req ? (req as { id: unknown }).id : null;
    try {
      if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new RpcError(-32600, 'Invalid request: not an object');
      // JSON-RPC 2.0: an id is a string, a number or null (Core Lightning: "Expected string/primitive
      // for id"). An object or array is refused, not echoed: a deeply nested one cannot be written back.
      if (id !== null && typeof id === 'object') {
        id = null;
        throw new RpcError(-32600, 'Invalid request: id must be a string, a number or null');
      }
      const r = req as { method?: unknown; params?: unknown };
      if (typeof r.method !== 'string') throw new RpcError(-32600, 'Invalid request: method must be a string');
      const m = this.methods.get(r.method);
      if (!m) throw new RpcError(-32601, `Unknown command '${r.method}'`);
      // lightningd/jsonrpc.c parse_request(): the filter is read after the method is found and
      // before it runs; a bad one fails the call.
      let filter: JsonFilter | undefined;
      if ('filter' in r && (r as { filter?: unknown }).filter !== undefined) filter = parseFilter((r as { filter?: unknown }).filter);
      const connection = opts.connection ?? { notifications: false };
      // CLN copies jcon->notifications_enabled into the command when it is parsed.
      const send = connection.notifications ? opts.send : undefined;
      let answered = false;
      const call: CallContext = {
        connection,
        notify: (n) => {
          const json = notificationJson(id, n);
          if (send && !answered) send(json);
        },
      };
      try {
        const result = await this.invoke(r.method, r.params, ctx, call, opts.signal);
        return { jsonrpc: '2.0', id, result: filter ? applyFilter(result, filter) : result };
      } finally {
        answered = true;
      }
    } catch (e) {
      if (e instanceof RpcError) {
        return { jsonrpc: '2.0', id, error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
      }
      return { jsonrpc: '2.0', id, error: { code: -1, message: `internal error: ${(e as Error)?.message ?? String(e)}` } };
    }
  }
}
