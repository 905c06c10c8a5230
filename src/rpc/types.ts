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

/** Core Lightning's log level names (common/status_levels.c), as notifications carry them. */
export const NOTIFY_LEVELS = ['io', 'trace', 'debug', 'info', 'unusual', 'broken'] as const;
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];

/**
 * What a running command tells its caller before its result, as Core Lightning's commands do
 * (lightningd/jsonrpc.c json_notify_fmt, plugins/libplugin.c plugin_notify_progress):
 * - `{ level?, message }` → `{"jsonrpc":"2.0","method":"message","params":{"id":<request id>,"level":"info","message":"..."}}`
 * - `{ num, total, stage? }` → `{"jsonrpc":"2.0","method":"progress","params":{"id":<request id>,"num":0,"total":3}}`
 *   (`num` counts from 0 and stays below `total`; `stage` likewise).
 * `lightning-cli` prints a message as `# <message>` (levels from `info` up, by default) and a
 * progress as a bar; pyln-client hands them to the function given to `rpc.notify(fn)`.
 */
export type Notification = { level?: NotifyLevel; message: string } | { num: number; total: number; stage?: { num: number; total: number } };

/** Per connection state a command may change (CLN's json_connection flags). */
export interface RpcConnectionState {
  /** Set by the `notifications` command; notifications are sent only where it is true. */
  notifications: boolean;
}

/**
 * What the dispatcher puts in the context of each call (over any the shared context has):
 * `ctx.notify(...)`, `ctx.connection`. Contexts declare them optional (RpcContext, or
 * `notify?: CallContext['notify']`) so a handler can also be called without a dispatcher.
 */
export interface CallContext {
  /**
   * Send a notification about this call to its caller, if the caller's connection enabled them
   * (`notifications` with `enable: true`) when the request arrived; otherwise, and once the call
   * has answered, it does nothing. Never throws for the caller's sake: a connection that does not
   * read its notifications loses them rather than buffering them without bound.
   */
  notify(n: Notification): void;
  /** The caller's connection (absent flags when dispatched outside a socket, e.g. in unit tests). */
  connection: RpcConnectionState;
}

export interface RpcMethod<Ctx = unknown> {
  /** Method name, as Core Lightning spells it (`listinvoices`). */
  name: string;
  /** Parameter names in positional order; a trailing `?` marks an optional one (`label?`). */
  params: string[];
  /** One line for `help`. */
  description: string;
  /** Runs the call. `params` are keyed by name; unknown names are rejected before this runs. */
  /** `signal` aborts when the caller's connection closes (a waiting method then stops waiting). */
  /** `ctx` is the shared context with this call's `notify` and `connection` (CallContext) put in. */
  handler(params: Record<string, unknown>, ctx: Ctx, signal?: AbortSignal): Promise<unknown> | unknown;
}
