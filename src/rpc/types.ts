// The JSON-RPC method table's types. Methods are registered by name with Core Lightning's
// parameter names; positional params are mapped to those names in order.

/** A JSON-RPC error with a Core Lightning-compatible code (-32602 bad params, -1 generic, 900…). */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** JSON-RPC 2.0 "invalid params": the message names the parameter and the rule. */
export const INVALID_PARAMS = -32602;

export interface RpcMethod<Ctx = unknown> {
  /** Method name, as Core Lightning spells it (`listinvoices`). */
  name: string;
  /** Parameter names in positional order; a trailing `?` marks an optional one (`label?`). */
  params: string[];
  /** One line for `help`. */
  description: string;
  /** Runs the call. `params` are keyed by name; unknown names are rejected before this runs. */
  /** `signal` aborts when the caller's connection closes (a waiting method then stops waiting). */
  handler(params: Record<string, unknown>, ctx: Ctx, signal?: AbortSignal): Promise<unknown> | unknown;
}
