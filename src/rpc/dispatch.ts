// JSON-RPC 2.0 dispatch over a method table: request validation, positional → named params,
// errors as JSON-RPC error objects with Core Lightning's codes.
import { INVALID_PARAMS, RpcError, type RpcMethod } from './types.ts';

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
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

  /** Answer one parsed request. Never throws. */
  async dispatch(req: unknown, ctx: Ctx, signal?: AbortSignal): Promise<JsonRpcResponse> {
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
      const params = MethodTable.bindParams(m as RpcMethod<unknown>, r.params);
      const result = await m.handler(params, ctx, signal);
      return { jsonrpc: '2.0', id, result: result ?? {} };
    } catch (e) {
      if (e instanceof RpcError) {
        return { jsonrpc: '2.0', id, error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
      }
      return { jsonrpc: '2.0', id, error: { code: -1, message: `internal error: ${(e as Error)?.message ?? String(e)}` } };
    }
  }
}
