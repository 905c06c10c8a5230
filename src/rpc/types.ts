// The JSON-RPC method table's types. Methods are registered by name with Core Lightning's
// parameter names; positional params are mapped to those names in order.

/**
 * A JSON-RPC error with a Core Lightning-compatible code (-32602 bad params, -1 generic, 900…;
 * {@link RPC_ERROR_CODES} names them). Thrown by method handlers, answered as the JSON-RPC error
 * object `{ code, message, data }`; the typed API (src/rpc/api.ts) rejects with it as it is.
 */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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

// ---------------------------------------------------------------------------------------------
// Typed method definitions: one definition per method gives the JSON-RPC table its entry and the
// typed API (src/rpc/api.ts: `node.listinvoices({ label })`) its signature, so the two cannot drift.


/**
 * A method's parameters in positional order, each `'required'` or `'optional'`. A mapped type over
 * the parameter type: every member of `P` must be listed, with its optionality, and nothing else
 * (object keys keep their order: that order is the positional one).
 */
export type ParamSpec<P> = { readonly [K in keyof P]-?: {} extends Pick<P, K> ? 'optional' : 'required' };

/** A method definition with its parameter and result types. `P` and `R` exist only for the type checker. */
export interface TypedMethod<P, R, Ctx = unknown> extends RpcMethod<Ctx> {
  /** @internal phantom: the parameter object type (never set). */
  readonly __params?: P;
  /** @internal phantom: the result type (never set). */
  readonly __result?: R;
}

/** The parameter object type of a typed method. */
export type ParamsOf<M extends { readonly __params?: unknown }> = NonNullable<M['__params']>;
/** The result type of a typed method. */
export type ResultOf<M extends { readonly __result?: unknown }> = NonNullable<M['__result']>;

export interface MethodDefinition<P, R, Ctx> {
  name: string;
  /** Parameters in positional order (see {@link ParamSpec}). */
  params: ParamSpec<P>;
  description: string;
  /**
   * Runs the call. `params` hold what the caller sent under the names of `P` (unknown names are
   * refused before this runs), unchecked: the handler validates each one (a JSON-RPC caller can send
   * anything), so the typed API gets the same checks and the same -32602 messages.
   */
  handler(params: Record<string, unknown>, ctx: Ctx, signal?: AbortSignal): R | Promise<R>;
}

/** Define a method: its table entry (params as CLN's `name?` list) with its TypeScript types attached. */
export function defineMethod<P, R, Ctx = unknown>(d: MethodDefinition<P, R, Ctx>): TypedMethod<P, R, Ctx> {
  return {
    name: d.name,
    params: Object.entries(d.params as Record<string, 'required' | 'optional'>).map(([k, v]) => (v === 'optional' ? `${k}?` : k)),
    description: d.description,
    handler: d.handler,
  };
}

/**
 * Give an existing table entry (written as a plain RpcMethod) its types. `spec` must list exactly the
 * entry's parameters, in its order and optionality: checked here, at module load, so a change on
 * either side fails every test that loads the table instead of drifting.
 */
export function typedMethod<P, R, Ctx = unknown>(m: RpcMethod<Ctx>, spec: ParamSpec<P>): TypedMethod<P, R, Ctx> {
  const want = Object.entries(spec as Record<string, 'required' | 'optional'>).map(([k, v]) => (v === 'optional' ? `${k}?` : k));
  if (want.join(',') !== m.params.join(',')) {
    throw new Error(`RPC method ${m.name}: its typed parameters (${want.join(', ')}) do not match the table's (${m.params.join(', ')})`);
  }
  return m as TypedMethod<P, R, Ctx>;
}

/** Amounts as Core Lightning takes them: msat as an integer (bigint or number) or a string (`"4000msat"`, `"4sat"`, `"0.001btc"`). */
export type MsatInput = bigint | number | string;
/** Amounts in results: a JSON integer of msat (a bigint above 2^53, exact). */
export type Msat = number | bigint;

/**
 * JSON-RPC error codes bolt12d answers with (JSON-RPC 2.0's and Core Lightning's, by their
 * meaning). `RpcError.code` is one of these (or another code a method documents).
 */
export const RPC_ERROR_CODES = {
  /** JSON-RPC 2.0: the request text is not JSON. */
  PARSE_ERROR: -32700,
  /** JSON-RPC 2.0: not a request object (method missing, bad id…). */
  INVALID_REQUEST: -32600,
  /** JSON-RPC 2.0: no such method. */
  METHOD_NOT_FOUND: -32601,
  /** JSON-RPC 2.0: a parameter is missing, unknown, or breaks its rule (the message names it). */
  INVALID_PARAMS: -32602,
  /** The RPC server is over its memory budget (the connection is closed). */
  SERVER_BUSY: -32000,
  /** Core Lightning's LIGHTNINGD: a generic failure (sendinvoice: any other error). */
  GENERIC: -1,
  /** getonionpath: no route (CLN PAY_ROUTE_NOT_FOUND). */
  ROUTE_NOT_FOUND: 205,
  /** connect: no address known (CLN CONNECT_NO_KNOWN_ADDRESS). */
  CONNECT_NO_KNOWN_ADDRESS: 400,
  /** connect: the connection failed (CLN CONNECT_ALL_ADDRESSES_FAILED). */
  CONNECT_FAILED: 401,
  /** Label already used (CLN INVOICE_LABEL_ALREADY_EXISTS). */
  LABEL_ALREADY_EXISTS: 900,
  /** Payment hash already used (CLN INVOICE_PREIMAGE_ALREADY_EXISTS). */
  PREIMAGE_ALREADY_EXISTS: 901,
  /** waitinvoice: the invoice expired while waiting (CLN INVOICE_EXPIRED_DURING_WAIT). */
  INVOICE_EXPIRED_DURING_WAIT: 903,
  /** waitanyinvoice: timed out (CLN INVOICE_WAIT_TIMED_OUT). */
  INVOICE_WAIT_TIMED_OUT: 904,
  /** delinvoice: no such invoice (CLN INVOICE_NOT_FOUND). */
  INVOICE_NOT_FOUND: 905,
  /** delinvoice: the status differs (CLN INVOICE_STATUS_UNEXPECTED). */
  INVOICE_STATUS_UNEXPECTED: 906,
  /** delinvoice desconly: no description left (CLN INVOICE_NO_DESCRIPTION). */
  INVOICE_NO_DESCRIPTION: 908,
  /** disableinvoicerequest: already disabled (CLN OFFER_ALREADY_DISABLED). */
  ALREADY_DISABLED: 1001,
  /** sendinvoice: the refund expired (CLN OFFER_EXPIRED). */
  OFFER_EXPIRED: 1002,
  /** sendinvoice: no route to the refund's issuer (CLN OFFER_ROUTE_NOT_FOUND). */
  OFFER_ROUTE_NOT_FOUND: 1003,
  /** sendinvoice: the issuer answered with an invoice_error (CLN OFFER_BAD_INVREQ_REPLY). */
  OFFER_BAD_INVREQ_REPLY: 1004,
  /** sendinvoice: timed out waiting for payment (CLN OFFER_TIMEOUT). */
  OFFER_TIMEOUT: 1005,
} as const;
