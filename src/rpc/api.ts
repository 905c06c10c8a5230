// The typed API: a `Node` whose methods are the JSON-RPC methods, with their names, their named
// parameters and their results, and which emits typed events.
//
//   import { Node, RpcError } from 'bolt12d';          // this class (src/rpc/api.ts)
//   const node = await Node.start({ port: 0 });
//   const info = await node.getinfo();                 // GetinfoResult, as `bolt12-cli getinfo`
//   const r = await node.invoicerequest({ amount: 10_000, description: 'refund' });
//   await other.sendinvoice({ invreq: r.bolt12, label: 'refund-1', timeout: 30 });
//   node.on('invoicerequest_answered', (e) => console.log(e.outcome));
//   try { await node.waitinvoice({ label: 'nope' }) } catch (e) { if (e instanceof RpcError) e.code }
//
// Design. Every method is defined once, in src/rpc/methods/ (`defineMethod<Params, Result>`), and
// src/rpc/methods/index.ts lists them (`METHODS`). The daemon's table (unix socket, WebSocket) is
// built from that list, and so is this class: its type is a mapped type over `METHODS` and its
// methods are installed on the prototype by one loop over it, each one `this.call(name, params)`
// — the same `MethodTable.invoke` the servers run (parameter binding, the handler's own checks and
// -32602 messages, `{}` for no result). A method added to the table is a method here; a parameter
// renamed there is renamed here; neither side can drift.
//
// Layering. The method handlers live in the rpc layer (they take the RpcContext: the node, the
// table for `help`, `requestStop`), which sits above src/node.ts, so src/node.ts cannot import
// them. This class therefore extends the composition root (src/node.ts `Node`, unchanged but for a
// protected constructor and a polymorphic `start`) from the rpc layer: `Node.start()` here makes
// one of these. src/node.ts stays the composition root; the package's `Node` is this one.
//
// Errors: a call rejects with `RpcError` (src/rpc/types.ts: `code`, `message`, `data`, the same
// object the JSON-RPC error carries; `RPC_ERROR_CODES` names the codes). An error that is not an
// RpcError (a bug) becomes RpcError -1 `internal error: …` with the original as `cause`, as the
// RPC answers it.
//
// Results are what the RPC answers, before JSON: plain objects; amounts are numbers of msat (a
// bigint above 2^53, exact, where JSON has an integer); byte strings are hex.
//
// Events (`node.on(name, listener)`, typed by {@link NodeEvents}): peer_connected,
// peer_disconnected (the peer registry), onion_message_received (the messenger: every message
// delivered to one of our handlers), invoice_created, invoice_paid, invoice_expired (the invoice
// store, once durable), invoicerequest_answered (the issuer side, every answer to an invoice for one
// of our refunds: paid or payment_failed once the store recorded it, including payments found
// pending at start-up and settled then or by resolveinvoicerequestpayment; refused, with the
// reason, when it was refused before being taken on; a resent copy of an invoice taken on: nothing).
import { EventEmitter } from 'node:events';
import { Node as CoreNode, type NodeConfig, type NodeOptions } from '../node.ts';
import type { Peer } from '../transport/index.ts';
import { msatJson, type InvoiceStoreEvent } from '../invoice-store/index.ts';
import type { InvoiceRequestAnswer } from '../invoicerequest.ts';
import type { ReceivedOnionMessage } from '../onion-message/index.ts';
import { toHex } from '../util/bytes.ts';
import type { RpcContext } from './context.ts';
import type { MethodTable } from './dispatch.ts';
import { buildMethodTable, METHOD_NAMES, type MethodName, type Methods } from './methods/index.ts';
import { invoiceJson, type InvoiceJson } from './methods/invoices.ts';
import type { ConnectParams, ConnectResult } from './methods/core.ts';
import { RpcError, type CallContext, type Msat, type Notification, type ParamsOf, type ResultOf } from './types.ts';

/** Per call: abort it (a waiting method stops waiting), or hear its progress notifications. */
export interface CallOptions {
  /** Aborting rejects a waiting call (waitinvoice, sendinvoice…) as a closed connection would. */
  signal?: AbortSignal;
  /** The `message` / `progress` notifications the method sends before its result (CLN's). */
  onNotification?: (n: Notification) => void;
}

/** One RPC method as a typed async method: one object of named parameters (optional when all are). */
export type ApiMethod<M extends { readonly __params?: unknown; readonly __result?: unknown }> = {} extends ParamsOf<M>
  ? (params?: ParamsOf<M>, opts?: CallOptions) => Promise<ResultOf<M>>
  : (params: ParamsOf<M>, opts?: CallOptions) => Promise<ResultOf<M>>;

/** Every RPC method, typed. */
export type RpcApi = { [K in MethodName]: ApiMethod<Methods[K]> };
/** The parameters of RPC method `K`. */
export type RpcParams<K extends MethodName> = ParamsOf<Methods[K]>;
/** The result of RPC method `K`. */
export type RpcResult<K extends MethodName> = ResultOf<Methods[K]>;

/** The events a Node emits, with what each listener receives. */
export interface NodeEvents {
  /** A peer finished `init` (BOLT 1): it can be used. */
  peer_connected: { id: string; direction: 'in' | 'out'; transport: 'tcp' | 'ws'; address: string };
  /** A peer that had been connected is gone. */
  peer_disconnected: { id: string; reason: string };
  /** An onion message reached one of our handlers (its final hop was us). */
  onion_message_received: {
    /** The payload type (64 invoice_request, 66 invoice, 68 invoice_error, or an odd custom type). */
    type: bigint;
    value: Uint8Array;
    /** The peer that handed it over (hex); absent when we sent it to ourselves. */
    from?: string;
    /** True when it came over a path we built (`purpose` says what for: `invreq`, `sendinvoice`…). */
    authenticated: boolean;
    purpose?: string;
    /** Whether it carries a reply path. */
    reply_path: boolean;
  };
  /** An invoice was created (sendinvoice), as listinvoices shows it. */
  invoice_created: { invoice: InvoiceJson };
  /** An invoice of ours was paid (durably marked). */
  invoice_paid: { invoice: InvoiceJson };
  /** An unpaid invoice of ours reached its expiry. */
  invoice_expired: { invoice: InvoiceJson };
  /**
   * An invoice for one of our refunds (invoicerequest) was answered: paid, its payment failed, or
   * refused before it was taken on. Once per invoice (a resent copy of one taken on: nothing; a
   * refused one is refused, and told, again).
   */
  invoicerequest_answered: {
    /**
     * `paid` and `payment_failed`: taken on, and the payment's outcome is recorded in the store
     * (also for a payment found pending at start-up, or resolved with resolveinvoicerequestpayment).
     * `refused`: refused before being taken on (nothing paid or recorded); `reason` says why.
     */
    outcome: 'paid' | 'payment_failed' | 'refused';
    /**
     * The refund the invoice answers (hex). Always for paid / payment_failed; for refused when the
     * invoice parsed (with reason `unknown_invoice_request` it is none of ours).
     */
    invreq_id?: string;
    /** `invoice_payment_hash` (hex): always for paid / payment_failed; for refused when present. */
    payment_hash?: string;
    /** The invoice (`lni1…`) we were asked to pay: always for paid / payment_failed; for refused when it was a TLV stream. */
    invoice?: string;
    /** `invoice_amount`: always for paid / payment_failed; for refused when present. */
    amount_msat?: Msat;
    /** paid: the proof of payment (hex). */
    payment_preimage?: string;
    /** payment_failed: why the payment failed. */
    failure?: string;
    /**
     * refused: why, for programs (src/invoicerequest.ts InvoiceRequestRefused): `no_backend`,
     * `amount_mismatch`, `wrong_path`, `unknown_invoice_request`, `not_for_refund`, `inactive`,
     * `in_flight`, `expired_invoice_request`, `recurring`, a reader rule's code in lower case
     * (invalid invoice), `busy`, `internal`.
     */
    reason?: string;
    /** refused: the invoice_error's `error` text. */
    error?: string;
    /** refused: the invoice_error's `erroneous_field` (a TLV type), when it names one. */
    erroneous_field?: number | bigint;
    /** refused: the invoice_error's `suggested_value` (hex), when it has one. */
    suggested_value?: string;
    /** refused: whether the invoice_error went out over the invoice's reply path. */
    invoice_error_sent?: boolean;
  };
}
export type NodeEventName = keyof NodeEvents;

/** Uint8Array → hex, as the RPC writes them; everything else as it is (plain objects and arrays walked). */
function rpcShape(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(rpcShape);
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = rpcShape(x);
    return out;
  }
  return v;
}

/** Members defined by hand below (their names are RPC methods too, with overloads). */
const HAND_WRITTEN = new Set<string>(['connect', 'stop']);

/** The typed node: src/node.ts's Node plus every RPC method and typed events. */
export interface Node extends Omit<RpcApi, 'connect' | 'stop'> {}
export class Node extends CoreNode {
  /** This node's method table (the same definitions as the daemon's). */
  readonly methods: MethodTable<RpcContext>;
  private readonly emitter = new EventEmitter();
  private readonly unwire: Array<() => void> = [];
  private readonly ctx: RpcContext;

  protected constructor(config: NodeConfig, opts: NodeOptions) {
    super(config, opts);
    this.emitter.setMaxListeners(0);
    this.methods = buildMethodTable();
    this.ctx = { node: this, invoices: this.invoices, table: this.methods, requestStop: () => void this.stop() };
    this.wireEvents();
  }

  /**
   * Call an RPC method by name (the typed methods are this): `params` by name (or positional, as
   * an array). Rejects with RpcError.
   */
  async call<K extends MethodName>(method: K, params?: RpcParams<K> | unknown[], opts?: CallOptions): Promise<RpcResult<K>>;
  async call(method: string, params?: unknown, opts?: CallOptions): Promise<unknown>;
  async call(method: string, params?: unknown, opts: CallOptions = {}): Promise<unknown> {
    let answered = false;
    const on = opts.onNotification;
    const call: CallContext = {
      connection: { notifications: on !== undefined },
      notify: (n) => {
        if (on && !answered) on(n);
      },
    };
    try {
      return rpcShape(await this.methods.invoke(method, params, this.ctx, call, opts.signal));
    } catch (e) {
      if (e instanceof RpcError) throw e;
      throw new RpcError(-1, `internal error: ${(e as Error)?.message ?? String(e)}`, undefined, { cause: e });
    } finally {
      answered = true;
    }
  }

  /**
   * `connect` (RPC): `{ id, host?, port?, transport? }` → CLN's answer. The older positional form
   * `connect(nodeId, host, port, transport?)` (src/node.ts) still resolves to the Peer.
   */
  override connect(params: ConnectParams, opts?: CallOptions): Promise<ConnectResult>;
  override connect(nodeId: Uint8Array, host: string, port: number, transport?: 'tcp' | 'ws'): Promise<Peer>;
  override connect(a: ConnectParams | Uint8Array, b?: string | CallOptions, c?: number, d?: 'tcp' | 'ws'): Promise<ConnectResult | Peer> {
    if (a instanceof Uint8Array) return super.connect(a, b as string, c!, d);
    return this.call('connect', a, (b as CallOptions | undefined) ?? {});
  }

  /** `stop` (RPC): stop the node (peers, listeners, store, timers); resolves to `{ result: 'Shutdown complete' }`. Idempotent. */
  override async stop(_params?: Record<string, never>, _opts?: CallOptions): Promise<{ result: string }> {
    // Listeners still hear what stopping does (peer_disconnected for each peer), then nothing more.
    const r = await super.stop();
    for (const u of this.unwire.splice(0)) u();
    return r;
  }

  // -------------------------------------------------------------------------------------------
  // Events

  on<E extends NodeEventName>(event: E, listener: (e: NodeEvents[E]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }
  once<E extends NodeEventName>(event: E, listener: (e: NodeEvents[E]) => void): this {
    this.emitter.once(event, listener);
    return this;
  }
  off<E extends NodeEventName>(event: E, listener: (e: NodeEvents[E]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  /**
   * The next `event` for which `match` holds (any, without it). Rejects after `timeoutMs` (default
   * 30 s; 0 never) or when `signal` aborts.
   */
  waitFor<E extends NodeEventName>(event: E, match: (e: NodeEvents[E]) => boolean = () => true, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<NodeEvents[E]> {
    return new Promise((resolve, reject) => {
      const ms = opts.timeoutMs ?? 30_000;
      const done = () => {
        this.emitter.off(event, l);
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', abort);
      };
      const l = (e: NodeEvents[E]) => {
        let ok: boolean;
        try {
          ok = match(e);
        } catch (x) {
          done();
          return reject(x);
        }
        if (ok) {
          done();
          resolve(e);
        }
      };
      const abort = () => {
        done();
        reject(new Error(`waitFor ${event}: aborted`));
      };
      const timer = ms > 0 ? setTimeout(() => (done(), reject(new Error(`waitFor ${event}: no matching event within ${ms} ms`))), ms) : undefined;
      timer?.unref?.();
      if (opts.signal?.aborted) return abort();
      opts.signal?.addEventListener('abort', abort, { once: true });
      this.emitter.on(event, l);
    });
  }

  private emit<E extends NodeEventName>(event: E, e: NodeEvents[E]): void {
    try {
      this.emitter.emit(event, e);
    } catch (x) {
      this.logger.error(`'${event}' listener threw: ${(x as Error)?.stack ?? String(x)}`);
    }
  }

  private wireEvents(): void {
    const connect = (p: Peer) => this.emit('peer_connected', { id: toHex(p.nodeId), direction: p.direction, transport: p.transport, address: p.remoteAddress });
    const disconnect = (p: Peer, reason: unknown) => this.emit('peer_disconnected', { id: toHex(p.nodeId), reason: String(reason ?? '') });
    this.peers.on('connect', connect);
    this.peers.on('disconnect', disconnect);
    this.unwire.push(() => {
      this.peers.off('connect', connect);
      this.peers.off('disconnect', disconnect);
    });
    this.unwire.push(
      this.messenger.onDelivered((m: ReceivedOnionMessage) =>
        this.emit('onion_message_received', {
          type: m.contents.type,
          value: m.contents.value,
          ...(m.from ? { from: toHex(m.from) } : {}),
          authenticated: m.authenticated,
          ...(m.purpose !== undefined ? { purpose: m.purpose } : {}),
          reply_path: m.replyPath !== undefined,
        }),
      ),
    );
    const sub = this.invoices.subscribe?.((e: InvoiceStoreEvent) => {
      switch (e.kind) {
        case 'invoice_created':
        case 'invoice_paid':
        case 'invoice_expired':
          return this.emit(e.kind, { invoice: invoiceJson(e.record) });
        case 'refund_payment': {
          const p = e.payment;
          if (p.status === 'pending') return;
          return this.emit('invoicerequest_answered', {
            invreq_id: toHex(p.invreqId),
            payment_hash: toHex(p.paymentHash),
            invoice: p.invoice,
            amount_msat: msatJson(p.amountMsat),
            outcome: p.status === 'complete' ? 'paid' : 'payment_failed',
            ...(p.paymentPreimage ? { payment_preimage: toHex(p.paymentPreimage) } : {}),
            ...(p.failure !== null ? { failure: p.failure } : {}),
          });
        }
      }
    });
    if (sub) this.unwire.push(sub);
    // Refusals (before an invoice is taken on) come from the issuer side itself: nothing is recorded.
    this.unwire.push(
      this.invoiceRequests.onAnswered((a: InvoiceRequestAnswer) =>
        this.emit('invoicerequest_answered', {
          outcome: a.outcome,
          ...(a.invreqId ? { invreq_id: toHex(a.invreqId) } : {}),
          ...(a.paymentHash ? { payment_hash: toHex(a.paymentHash) } : {}),
          ...(a.invoice !== undefined ? { invoice: a.invoice } : {}),
          ...(a.amountMsat !== undefined ? { amount_msat: msatJson(a.amountMsat) } : {}),
          reason: a.reason,
          error: a.error,
          ...(a.erroneousField !== undefined ? { erroneous_field: a.erroneousField <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(a.erroneousField) : a.erroneousField } : {}),
          ...(a.suggestedValue ? { suggested_value: toHex(a.suggestedValue) } : {}),
          invoice_error_sent: a.invoiceErrorSent,
        }),
      ),
    );
  }
}

// The RPC methods, installed once on the prototype: `node.getinfo(params, opts)` is
// `node.call('getinfo', params, opts)`. A method whose name a Node member already has would hide
// it (or be hidden): refuse to load rather than guess.
for (const name of METHOD_NAMES) {
  if (HAND_WRITTEN.has(name)) continue;
  if (name in Node.prototype) throw new Error(`RPC method ${name} has the name of a Node member`);
  Object.defineProperty(Node.prototype, name, {
    value: function (this: Node, params?: unknown, opts?: CallOptions) {
      return this.call(name, params, opts);
    },
    writable: true,
    configurable: true,
  });
}
