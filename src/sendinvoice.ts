// `sendinvoice` (lightning-sendinvoice(7), brought up to today's BOLT 12): answer a refund (an
// `lnr1` invoice_request without offer) with an invoice, deliver it over onion messages, and wait
// until the refund's issuer pays it, answers with an `invoice_error`, or the time is up.
//
// The flow (DESIGN.md, "How data flows through sendinvoice"):
//   1. decode and check the refund: not an offer, our chain, signature if present, no recurrence
//      (-32602); not expired (1002); amount and quantity as the refund says (-32602);
//   2. the label is free (900: nothing is sent);
//   3. find how to reach the refund: into its `invreq_paths` (BOLT 12: "MUST use `invreq_paths` if
//      present, otherwise MUST use `invreq_payer_id` as the node id to send to"), each
//      introduction node (or the payer id) reached through the injected route finder (Node's
//      OnionRouter: a connected peer, a path over the gossip graph, or a direct connection unless
//      `--fetchinvoice-noconnect`); none → 1003 at once, and nothing is stored;
//   4. build and sign the invoice (payment path from the payments layer), and store its record
//      durably (random preimage, `expires_at` = now + timeout) BEFORE anything leaves the node;
//   5. send it with a reply path to us (purpose "sendinvoice", context = the payment hash); send
//      again, bounded, over the refund's other paths first, while nothing comes back; the
//      messenger paces every peer below its rate limit (Core Lightning drops beyond 4/s);
//   6. first of: the store says paid → the record (`pay_index`, `amount_received_msat`, `paid_at`,
//      `payment_preimage`); an `invoice_error` on our reply path → 1004; the timeout → 1005 with
//      `data.invstring` (the invoice stays payable until it expires); anything else → -1.
//
// Decisions:
//   - `invoice_node_id` is our node id (as Core Lightning's sendinvoice): the refund's issuer may
//     confirm it out of band (BOLT 12 "MAY reject the invoice if it cannot confirm that
//     `invoice_node_id` is correct"), and our node id is in the invoice anyway as the introduction
//     node of its payment path while we have no channels; a per-invoice key would hide nothing.
//   - resends: after `resendAfterSec` (3 s), doubling, at most `maxSends` copies in all (4); each
//     copy takes the next of the refund's paths (so other paths come first); a copy is not sent
//     while our previous ones still wait in the first hop's pacing queue (they have not left yet).
//   - the label is checked before routing (fast 900) and enforced by the store's UNIQUE index.
import { sha256, type RandomSource } from './crypto/index.ts';
import {
  Bolt12Error,
  decodeBolt12StringData,
  encodeFields,
  Invoice,
  invoiceErrorFromBytes,
  joinRecords,
  makeRecord,
  MIRRORED_RANGES,
  parseMessage,
  refundFromBytes,
  signRecords,
  SIGNATURE_TYPE,
  stripLightningScheme,
  type Bolt12Fields,
  type Bolt12Record,
  type Refund,
} from './bolt12/index.ts';
import { InvoiceStoreError, type InvoiceRecord, type InvoiceStore } from './invoice-store/index.ts';
import { OnionMessageSendError, type OnionMessenger, type ReceivedOnionMessage } from './onion-message/index.ts';
import type { InvoiceReceiver } from './payments/index.ts';
import { unixSeconds, type Clock } from './util/clock.ts';
import type { Logger } from './util/log.ts';
import { bytesEqual, toHex } from './util/bytes.ts';
import { CHAIN_HASH, type Network } from './wire/chains.ts';
import type { BlindedPath } from './wire/blinded-path.ts';

// ---------------------------------------------------------------------------------------------
// Routing: what sendinvoice needs from path finding. Node's `OnionRouter`
// (src/onion-message/router.ts: a path over the gossip graph and live peers, else a direct
// connection to the node's announced addresses unless `--fetchinvoice-noconnect`) fits as it is.

/**
 * Finds how to reach a node with an onion message, connecting to it directly when that is the
 * only way (and allowed): resolves with `via`, the clear hops after us and before the
 * destination (`[]`: a connected peer), as `OnionMessenger.send` takes them; rejects at once,
 * with a message saying why, when there is no way.
 */
export interface OnionRouteFinder {
  route(dest: Uint8Array): Promise<{ via: Uint8Array[] }>;
}

// ---------------------------------------------------------------------------------------------
// Errors and parameters

/** lightning-sendinvoice(7) error codes, plus JSON-RPC's invalid params and CLN's duplicate label. */
export const SENDINVOICE_CODES = {
  GENERIC: -1,
  INVALID_PARAMS: -32602,
  LABEL_ALREADY_EXISTS: 900,
  OFFER_EXPIRED: 1002,
  OFFER_ROUTE_NOT_FOUND: 1003,
  OFFER_BAD_INVREQ_REPLY: 1004,
  OFFER_TIMEOUT: 1005,
} as const;

export type SendInvoiceCode = (typeof SENDINVOICE_CODES)[keyof typeof SENDINVOICE_CODES];

export class SendInvoiceError extends Error {
  override readonly name = 'SendInvoiceError';
  constructor(
    readonly code: SendInvoiceCode,
    message: string,
    /** JSON-RPC error `data`. */
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const bad = (param: string, rule: string) => new SendInvoiceError(SENDINVOICE_CODES.INVALID_PARAMS, `${param}: ${rule}`, { param });

export interface SendInvoiceParams {
  /** The refund, `lnr1…` (a `lightning:` prefix and `+` continuations are fine). */
  invreq: string;
  label: string;
  /** Must equal the refund's `invreq_amount` when given. */
  amountMsat?: bigint;
  /** Seconds to wait, and the invoice's `invoice_relative_expiry` (default 90). */
  timeout?: number;
  /** Must equal the refund's `invreq_quantity` when given. */
  quantity?: bigint;
  /** Aborts the wait (the caller went away): answers -1; the invoice stays in the store. */
  signal?: AbortSignal;
  /** Progress, for a caller that wants it (TODO: JSON-RPC notifications once the server has them). */
  onProgress?: (event: SendInvoiceProgress) => void;
}

export type SendInvoiceProgress =
  | { kind: 'stored'; label: string; paymentHash: string }
  | { kind: 'sent'; copy: number; firstHop: string; via: 'path' | 'node'; packetLength: number }
  | { kind: 'resend_failed'; copy: number; reason: string };

export interface SendInvoiceOptions {
  /** Seconds without an answer before the first resend (then doubling). Default 3. */
  resendAfterSec: number;
  /** Most copies of one invoice sent in all. Default 4. */
  maxSends: number;
  /** Most calls waiting at once (each holds timers and a store waiter). Default 10 000. */
  maxPending: number;
  /**
   * Dummy hops in our reply path. Default 0: the invoice names us anyway (`invoice_node_id`, the
   * payment path's introduction node), so dummies would hide nothing, while they push invoice +
   * reply path past the 1366-byte packet into the 32834-byte one (24 times the Sphinx work and
   * bytes at every hop).
   */
  replyPathDummyHops: number;
}

export const DEFAULT_SENDINVOICE_OPTIONS: Readonly<SendInvoiceOptions> = Object.freeze({ resendAfterSec: 3, maxSends: 4, maxPending: 10_000, replyPathDummyHops: 0 });

/** The default `timeout` (lightning-sendinvoice(7)). */
export const DEFAULT_TIMEOUT_SEC = 90;
const MAX_TIMEOUT_SEC = 0xffff_ffff; // invoice_relative_expiry is a tu32
const PURPOSE = 'sendinvoice';

export interface SendInvoiceDeps {
  nodeSecret: Uint8Array;
  nodeId: Uint8Array;
  network: Network;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  messenger: OnionMessenger;
  store: InvoiceStore;
  receiver: InvoiceReceiver;
  /** Path finding (and the direct-connect fallback, which it decides: `fetchinvoice-noconnect`). */
  router: OnionRouteFinder;
  options?: Partial<SendInvoiceOptions>;
}

// ---------------------------------------------------------------------------------------------

/** Where one copy of the invoice goes. */
interface Target {
  /** Into this blinded path (the refund's), or to the payer's node id. */
  dest: { blindedPath: BlindedPath } | { nodeId: Uint8Array };
  /** The node we must reach first: the path's introduction node, or the payer. */
  reach: Uint8Array | undefined;
  what: string;
}

type Resolved = { ok: true; via: Uint8Array[] } | { ok: false; reason: string };

interface Call {
  label: string;
  paymentHash: Uint8Array;
  invoice: Invoice;
  replyPath: BlindedPath;
  targets: Target[];
  resolved: Map<number, Promise<Resolved>>;
  nextTarget: number;
  sends: number;
  lastFirstHop?: Uint8Array;
  finish(o: Outcome): void;
  done: boolean;
  onProgress: ((e: SendInvoiceProgress) => void) | undefined;
}

type Outcome = { kind: 'paid'; record: InvoiceRecord } | { kind: 'error'; error: SendInvoiceError };

export class SendInvoiceService {
  private readonly o: SendInvoiceOptions;
  private readonly log: Logger;
  private readonly pending = new Map<string, Call>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly chain: Uint8Array;
  private closed = false;

  constructor(private readonly d: SendInvoiceDeps) {
    this.o = { ...DEFAULT_SENDINVOICE_OPTIONS, ...(d.options ?? {}) };
    this.log = d.logger.child('sendinvoice');
    this.chain = CHAIN_HASH[d.network];
    // Replies come only over the reply path we gave with the invoice (BOLT 4: "replies always use
    // the reply path"): an invoice_error, or anything else (unexpected → -1).
    this.unsubscribe.push(d.messenger.onMessage(68n, (m) => this.onReply(m), { purpose: PURPOSE }));
    for (const t of [64n, 66n]) this.unsubscribe.push(d.messenger.onMessage(t, (m) => this.onReply(m), { purpose: PURPOSE }));
  }

  /** Calls waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Run one `sendinvoice`. Resolves with the paid invoice's record; rejects with
   * {@link SendInvoiceError} (codes -32602, 900, 1002, 1003, 1004, 1005, -1).
   */
  async sendInvoice(p: SendInvoiceParams): Promise<InvoiceRecord> {
    if (this.closed) throw new SendInvoiceError(SENDINVOICE_CODES.GENERIC, 'node is stopping');
    // ---- 1. parameters and the refund ----
    if (typeof p.label !== 'string' || p.label.length === 0) throw bad('label', 'should be a non-empty string');
    const timeout = p.timeout ?? DEFAULT_TIMEOUT_SEC;
    if (!Number.isSafeInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SEC) throw bad('timeout', `should be a whole number of seconds from 1 to ${MAX_TIMEOUT_SEC}`);
    const refund = this.decodeRefund(p.invreq);
    const now = unixSeconds(this.d.clock);
    // lightning-sendinvoice(7) 1002 "Offer has expired" (CLN: OFFER_EXPIRED, "Offer expired").
    if (refund.isExpired(now)) {
      throw new SendInvoiceError(SENDINVOICE_CODES.OFFER_EXPIRED, 'Offer expired', { offer_absolute_expiry: refund.offerAbsoluteExpiry, now });
    }
    // BOLT 12, the writer of an invoice: "if `invreq_amount` is present: MUST set `invoice_amount`
    // to `invreq_amount`" — so the manual page's tip (a larger amount) is not possible any more.
    if (p.amountMsat !== undefined && p.amountMsat !== refund.invreqAmount) {
      throw bad('amount_msat', `must equal the refund's invreq_amount (${refund.invreqAmount} msat): BOLT 12 requires invoice_amount to be invreq_amount, so no other amount (no tip) can be sent`);
    }
    if (p.quantity !== undefined) {
      if (refund.invreqQuantity === undefined) throw bad('quantity', 'the refund has no invreq_quantity: leave quantity out');
      if (p.quantity !== refund.invreqQuantity) throw bad('quantity', `must equal the refund's invreq_quantity (${refund.invreqQuantity})`);
    }
    // ---- 2. the label (fast path; the store's UNIQUE index decides) ----
    if (this.d.store.get(p.label)) throw duplicateLabel();
    if (this.pending.size >= this.o.maxPending) throw new SendInvoiceError(SENDINVOICE_CODES.GENERIC, `too many sendinvoice calls waiting (${this.o.maxPending})`);

    // ---- 3. how to reach the refund (before anything is stored: 1003 leaves nothing behind) ----
    const targets = this.targetsOf(refund);
    const resolved = new Map<number, Promise<Resolved>>();
    const first = await this.firstReachable(targets, resolved);
    if (first.index < 0) throw this.routeNotFound(refund, targets, first.reasons);

    // ---- 4. the invoice and its durable record ----
    const preimage = this.d.random(32);
    const paymentHash = sha256(preimage);
    const expiresAt = now + timeout;
    const { path, payInfo } = this.d.receiver.paymentPath({ paymentHash, amountMsat: refund.invreqAmount, expiresAt });
    let invoice: Invoice;
    try {
      invoice = this.signInvoice(refund, {
        invoicePaths: [path],
        invoiceBlindedpay: [payInfo],
        invoiceCreatedAt: now,
        // BOLT 12: "if the expiry for accepting payment is not 7200 seconds after
        // `invoice_created_at`: MUST set `invoice_relative_expiry`".
        ...(timeout !== 7200 ? { invoiceRelativeExpiry: timeout } : {}),
        invoicePaymentHash: paymentHash,
        // - if `invreq_amount` is present: MUST set `invoice_amount` to `invreq_amount`.
        invoiceAmount: refund.invreqAmount,
        // invoice_node_id: our node id (see the decisions above).
        invoiceNodeId: this.d.nodeId,
      });
    } catch (e) {
      throw new SendInvoiceError(SENDINVOICE_CODES.GENERIC, `cannot build the invoice: ${(e as Error).message}`);
    }
    // The record is committed now (one batch per event-loop turn) and flushed to disk off the
    // event loop (the store's fdatasync) while the reply path and the onion message are built
    // below; the message leaves only once `stored` has resolved, i.e. the record is durable.
    const stored = this.d.store
      .create({
        label: p.label,
        bolt12: invoice.toString(),
        ...(refund.offerDescription !== undefined ? { description: refund.offerDescription } : {}),
        paymentHash,
        paymentPreimage: preimage,
        amountMsat: invoice.invoiceAmount,
        expiresAt,
        invreqRef: p.invreq.trim(),
      }, { background: true })
      .then(
        () => p.onProgress?.({ kind: 'stored', label: p.label, paymentHash: toHex(paymentHash) }),
        (e: unknown) => {
          if (e instanceof InvoiceStoreError && e.reason === 'duplicate_label') throw duplicateLabel();
          if (e instanceof InvoiceStoreError && e.code === SENDINVOICE_CODES.INVALID_PARAMS) throw bad(e.data?.['param'] === 'label' ? 'label' : 'invreq', e.message);
          throw new SendInvoiceError(SENDINVOICE_CODES.GENERIC, `cannot store the invoice: ${(e as Error).message}`);
        },
      );
    // (Awaited on every path below; this only keeps an early throw from leaving it unhandled.)
    stored.catch(() => undefined);
    await new Promise<void>((r) => setImmediate(r));

    // ---- 5. send, with a reply path to us ----
    // The reply path runs back along the route the first copy takes: our clear hops reversed,
    // to us, so the payer can answer the way the invoice came. When those hops lead into a
    // blinded path, its introduction node (in the payer's neighbourhood: the payer knows how to
    // reach it) starts the reply path. When we reached the payer, or its path's introduction
    // node, directly, the reply path is us alone: that node is our peer (and, for our own
    // refunds and Core Lightning's without paths, the payer itself).
    const back = [...first.via].reverse();
    const t0 = targets[first.index]!;
    if (back.length > 0 && 'blindedPath' in t0.dest && t0.reach && !bytesEqual(t0.reach, this.d.nodeId)) back.unshift(t0.reach);
    const replyVia = back.map((nodeId) => ({ nodeId }));
    const replyPath = this.d.messenger.createReplyPath(paymentHash, {
      purpose: PURPOSE,
      via: replyVia,
      // A late invoice_error after the call ended is dropped by the messenger (path_expired).
      expiresAt: expiresAt + 60,
      dummyHops: this.o.replyPathDummyHops,
    });
    let finish!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((r) => (finish = r));
    const call: Call = {
      label: p.label,
      paymentHash,
      invoice,
      replyPath,
      targets,
      resolved,
      nextTarget: first.index,
      sends: 0,
      done: false,
      onProgress: p.onProgress,
      finish: (o) => {
        if (call.done) return;
        call.done = true;
        finish(o);
      },
    };
    const key = toHex(paymentHash);
    this.pending.set(key, call);
    const waitAbort = new AbortController();
    const timers: ReturnType<typeof setTimeout>[] = [];
    try {
      const sent = await this.sendCopy(call, stored);
      if (!sent.ok) {
        // Nothing left the node: forget the invoice so the label can be used again (CLN #4743);
        // only once it is stored (a failed create, a taken label above all, is not ours to delete).
        await stored;
        await this.forget(p.label);
        throw this.routeNotFound(refund, targets, sent.reasons);
      }
      // ---- 6. wait for the first answer ----
      this.d.store.waitInvoice(p.label, waitAbort.signal).then(
        (rec) => {
          // Expired: the invoice's whole seconds ran out a little before our timeout (created_at
          // is rounded down); the timer answers 1005 when `timeout` seconds have passed.
          if (rec.status === 'paid') call.finish({ kind: 'paid', record: rec });
        },
        (e: unknown) => {
          if (e instanceof InvoiceStoreError && e.reason === 'aborted') return;
          call.finish({ kind: 'error', error: new SendInvoiceError(SENDINVOICE_CODES.GENERIC, `invoice store: ${(e as Error).message}`, { invstring: invoice.toString() }) });
        },
      );
      armTimeout(timeout * 1000, () => call.finish({ kind: 'error', error: timeoutError(invoice) }), timers);
      const onAbort = () => call.finish({ kind: 'error', error: new SendInvoiceError(SENDINVOICE_CODES.GENERIC, 'the caller went away; the invoice stays in the store', { invstring: invoice.toString() }) });
      if (p.signal?.aborted) onAbort();
      p.signal?.addEventListener('abort', onAbort, { once: true });
      this.scheduleResend(call, this.o.resendAfterSec, timers);
      const o = await outcome;
      p.signal?.removeEventListener('abort', onAbort);
      if (o.kind === 'error') throw o.error;
      return o.record;
    } finally {
      call.done = true;
      waitAbort.abort();
      for (const t of timers) clearTimeout(t);
      this.pending.delete(key);
    }
  }

  /** Stop: every waiting call answers -1 (its invoice stays in the store). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe) u();
    for (const c of [...this.pending.values()]) {
      c.finish({ kind: 'error', error: new SendInvoiceError(SENDINVOICE_CODES.GENERIC, 'node is stopping; the invoice stays in the store', { invstring: c.invoice.toString() }) });
    }
  }

  // -------------------------------------------------------------------------------------------

  /**
   * The invoice answering `refund` (BOLT 12, a writer of an invoice): "MUST copy all
   * non-signature fields from the invoice request (including unknown fields)", add ours, and "MUST
   * set `sig` to the signature using `invoice_node_id`". What refund.respondWith(…).build() does,
   * without reading back (and re-verifying) what we just signed: each field here is set from
   * values checked above, and the tests read every invoice made here with the full reader.
   */
  private signInvoice(refund: Refund, fields: Bolt12Fields): Invoice {
    const mirrored = refund.records.filter((r) => MIRRORED_RANGES.some(([lo, hi]) => r.type >= lo && r.type <= hi));
    const records = [...mirrored, ...encodeFields(fields)].sort(byType);
    const sig = signRecords('invoice', records, this.d.nodeSecret, this.d.random(32));
    return new Invoice(parseMessage('invoice', joinRecords([...records, makeRecord(SIGNATURE_TYPE, sig)].sort(byType))));
  }

  /** The refund, or -32602 saying what is wrong with the string. */
  private decodeRefund(s: unknown): Refund {
    if (typeof s !== 'string' || s.length === 0) throw bad('invreq', 'should be a refund string (lnr1...)');
    if (s.length > 1 << 20) throw bad('invreq', 'longer than any refund that fits an onion message');
    const str = stripLightningScheme(s.trim());
    const prefix = /^(ln[a-z])1/i.exec(str)?.[1]?.toLowerCase();
    if (prefix === 'lno') {
      throw bad('invreq', 'this is an offer (lno1...): an offer is paid with fetchinvoice (then pay); sendinvoice takes a refund, an invoice_request without offer (lnr1...)');
    }
    if (prefix === 'lni') throw bad('invreq', 'this is an invoice (lni1...): sendinvoice takes a refund (lnr1...) and makes the invoice itself');
    let data;
    try {
      data = decodeBolt12StringData(str, 'lnr');
    } catch (e) {
      if (e instanceof Bolt12Error) throw bad('invreq', `not a BOLT 12 refund (lnr1...): ${e.message}`);
      throw e;
    }
    let refund: Refund;
    try {
      refund = refundFromBytes(data.bytes, { chains: [this.chain] });
    } catch (e) {
      if (!(e instanceof Bolt12Error)) throw e;
      if (e.code === 'NOT_A_REFUND') {
        throw bad('invreq', 'this invoice_request answers an offer (it has offer_issuer_id or offer_paths): it is for the offer\'s issuer, not for sendinvoice; sendinvoice takes a refund (an invoice_request without offer)');
      }
      if (e.code === 'UNSUPPORTED_CHAIN') throw bad('invreq', `the refund is for another chain than ours (${this.d.network})`);
      if (e.code === 'UNKNOWN_EVEN_TYPE' && isRecurrenceType(e.field)) throw recurring();
      throw bad('invreq', `not a valid refund: ${e.message}`);
    }
    if (refund.records.some((r) => RECURRENCE_TYPES.has(r.type))) throw recurring();
    return refund;
  }

  /** Where copies can go: each of the refund's paths, else its payer id. */
  private targetsOf(refund: Refund): Target[] {
    const paths = refund.invreqPaths ?? [];
    if (paths.length > 0) {
      return paths.map((bp, i) => ({
        dest: { blindedPath: bp },
        reach: bp.introductionNode.kind === 'pubkey' ? bp.introductionNode.nodeId : undefined,
        what: bp.introductionNode.kind === 'pubkey' ? `blinded path ${i} at ${toHex(bp.introductionNode.nodeId)}` : `blinded path ${i} at short_channel_id ${bp.introductionNode.scid}`,
      }));
    }
    return [{ dest: { nodeId: refund.invreqPayerId }, reach: refund.invreqPayerId, what: toHex(refund.invreqPayerId) }];
  }

  /** How to reach target `i` (computed once per call, connecting directly if allowed). */
  private resolve(call: { targets: Target[]; resolved: Map<number, Promise<Resolved>> }, i: number): Promise<Resolved> {
    let r = call.resolved.get(i);
    if (!r) {
      r = this.resolveTarget(call.targets[i]!);
      call.resolved.set(i, r);
    }
    return r;
  }

  private async resolveTarget(t: Target): Promise<Resolved> {
    // A path starting at us (LDK's refunds start at their peer): the messenger peels our hop.
    // A sciddir introduction: left to the messenger's channel lookups.
    if (t.reach === undefined || bytesEqual(t.reach, this.d.nodeId)) return { ok: true, via: [] };
    try {
      const r = await this.d.router.route(t.reach);
      return { ok: true, via: r.via };
    } catch (e) {
      return { ok: false, reason: (e as Error)?.message ?? String(e) };
    }
  }

  /** The first target that resolves, in order (BOLT 12 lets us use any of `invreq_paths`). */
  private async firstReachable(targets: Target[], resolved: Map<number, Promise<Resolved>>): Promise<{ index: number; via: Uint8Array[]; reasons: string[] }> {
    const reasons: string[] = [];
    const c = { targets, resolved };
    for (let i = 0; i < targets.length; i++) {
      const r = await this.resolve(c, i);
      if (r.ok) return { index: i, via: r.via, reasons };
      reasons.push(`${targets[i]!.what}: ${r.reason}`);
    }
    return { index: -1, via: [], reasons };
  }

  /**
   * Send one copy to the next target that works (starting at `call.nextTarget`); on success the
   * next copy starts at the target after it (other paths first). `durable`: the first copy's, the
   * invoice record's flush, which it waits for before it leaves.
   */
  private async sendCopy(call: Call, durable?: Promise<void>): Promise<{ ok: true } | { ok: false; reasons: string[] }> {
    const firstCopy = durable !== undefined;
    const reasons: string[] = [];
    const n = call.targets.length;
    for (let k = 0; k < n; k++) {
      const i = (call.nextTarget + k) % n;
      const t = call.targets[i]!;
      const r = await this.resolve(call, i);
      if (call.done && !firstCopy) return { ok: false, reasons: ['call finished'] };
      if (!r.ok) {
        reasons.push(`${t.what}: ${r.reason}`);
        continue;
      }
      try {
        const prepared = this.d.messenger.prepare(t.dest, { type: 66n, value: call.invoice.bytes }, { replyPath: call.replyPath, via: r.via });
        // The first copy: built while the invoice's record was being flushed; it leaves only now
        // that the record is durable (a store failure is thrown from here: nothing was sent).
        if (durable) await durable;
        const res = prepared.transmit();
        call.sends++;
        call.lastFirstHop = res.firstHop;
        call.nextTarget = (i + 1) % n;
        call.onProgress?.({ kind: 'sent', copy: call.sends, firstHop: toHex(res.firstHop), via: 'blindedPath' in t.dest ? 'path' : 'node', packetLength: res.packetLength });
        this.log.debug(`invoice ${call.label}: copy ${call.sends} to ${t.what} via ${toHex(res.firstHop).slice(0, 16)}…`);
        return { ok: true };
      } catch (e) {
        if (!(e instanceof OnionMessageSendError)) throw e;
        reasons.push(`${t.what}: ${e.reason} (${e.message})`);
        // A route that failed once is looked up again next time (a peer may have connected).
        call.resolved.delete(i);
      }
    }
    return { ok: false, reasons };
  }

  /** Resend after `delay` seconds if nothing came back, bounded by `maxSends`. */
  private scheduleResend(call: Call, delay: number, timers: ReturnType<typeof setTimeout>[]): void {
    if (call.sends >= this.o.maxSends) return;
    timers.push(
      setTimeout(() => {
        if (call.done) return;
        // Our earlier copies still queued for that peer (pacing): they have not left yet, so a
        // resend now would only lengthen the queue. Look again shortly.
        if (call.lastFirstHop && this.queuedFor(call.lastFirstHop) > 0) {
          this.scheduleResend(call, 0.5, timers);
          return;
        }
        void this.sendCopy(call).then(
          (r) => {
            if (!r.ok && !call.done) call.onProgress?.({ kind: 'resend_failed', copy: call.sends + 1, reason: r.reasons.join('; ') });
            if (!call.done) this.scheduleResend(call, delay * 2, timers);
          },
          (e: unknown) => this.log.warn(`resend of ${call.label} failed: ${(e as Error).message}`),
        );
      }, delay * 1000),
    );
  }

  private queuedFor(nodeId: Uint8Array): number {
    const key = toHex(nodeId);
    return this.d.messenger.stats().peers.find((p) => p.nodeId === key)?.queuedOwn ?? 0;
  }

  private onReply(m: ReceivedOnionMessage): void {
    if (!m.context || m.context.length !== 32) return;
    const call = this.pending.get(toHex(m.context));
    if (!call || call.done) return;
    if (m.contents.type !== 68n) {
      call.finish({
        kind: 'error',
        error: new SendInvoiceError(SENDINVOICE_CODES.GENERIC, `unexpected reply on our reply path: onion message payload type ${m.contents.type}, not an invoice_error`, {
          invstring: call.invoice.toString(),
        }),
      });
      return;
    }
    // BOLT 12 invoice_error: the spec's TLV stream, or LDK 0.1's length-prefixed form.
    let err;
    try {
      err = invoiceErrorFromBytes(m.contents.value);
    } catch {
      // As Core Lightning: still the remote's failure, with the raw bytes.
      call.finish({
        kind: 'error',
        error: new SendInvoiceError(SENDINVOICE_CODES.OFFER_BAD_INVREQ_REPLY, 'Remote node sent failure message', {
          invoice_error_hex: toHex(m.contents.value),
          invstring: call.invoice.toString(),
        }),
      });
      return;
    }
    const data: Record<string, unknown> = {};
    if (err.erroneousField !== undefined) data['erroneous_field'] = err.erroneousField <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(err.erroneousField) : err.erroneousField;
    if (err.suggestedValue !== undefined) data['suggested_value'] = toHex(err.suggestedValue);
    data['error'] = err.error;
    data['invstring'] = call.invoice.toString();
    call.finish({ kind: 'error', error: new SendInvoiceError(SENDINVOICE_CODES.OFFER_BAD_INVREQ_REPLY, 'Remote node sent failure message', data) });
  }

  private routeNotFound(refund: Refund, targets: Target[], reasons: string[]): SendInvoiceError {
    const where = refund.invreqPaths && refund.invreqPaths.length > 0 ? `blinded path${targets.length > 1 ? 's' : ''} at ${targets.map((t) => (t.reach ? toHex(t.reach) : t.what)).join(', ')}` : toHex(refund.invreqPayerId);
    return new SendInvoiceError(SENDINVOICE_CODES.OFFER_ROUTE_NOT_FOUND, `Failed: could not route or connect directly to ${where}: ${reasons.join('; ')}`);
  }

  private async forget(label: string): Promise<void> {
    try {
      await this.d.store.delete(label, 'unpaid');
    } catch (e) {
      this.log.warn(`could not remove the unsent invoice ${label}: ${(e as Error).message}`);
    }
  }
}

const byType = (a: Bolt12Record, b: Bolt12Record) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);

function duplicateLabel(): SendInvoiceError {
  // CLN lightningd/invoice.c fail_exists(): INVOICE_LABEL_ALREADY_EXISTS, "Duplicate label".
  return new SendInvoiceError(SENDINVOICE_CODES.LABEL_ALREADY_EXISTS, 'Duplicate label', { param: 'label' });
}

function timeoutError(invoice: Invoice): SendInvoiceError {
  // CLN plugins/fetchinvoice.c timeout_sent_inv(): OFFER_TIMEOUT, details { invstring }.
  return new SendInvoiceError(SENDINVOICE_CODES.OFFER_TIMEOUT, 'Failed: timeout waiting for response', { invstring: invoice.toString() });
}

function recurring(): SendInvoiceError {
  return bad('invreq', 'this is a recurring invoice_request (Core Lightning\'s experimental recurrence fields): bolt12d does not answer recurring offers or refunds');
}

/** Core Lightning's experimental recurrence fields (wire/bolt12_wire.csv). */
const RECURRENCE_TYPES: ReadonlySet<bigint> = new Set([1_000_000_024n, 1_000_000_025n, 1_000_000_026n, 1_000_000_027n, 1_000_000_029n, 2_000_000_092n, 2_000_000_093n, 2_000_000_094n]);

function isRecurrenceType(field: string): boolean {
  const m = /\[(\d+)\]/.exec(field);
  return m !== null && RECURRENCE_TYPES.has(BigInt(m[1]!));
}

/** setTimeout for any length (Node's timers stop at 2^31 − 1 ms); every handle goes to `timers`. */
function armTimeout(ms: number, fn: () => void, timers: ReturnType<typeof setTimeout>[]): void {
  const MAX = 2 ** 31 - 1;
  if (ms <= MAX) timers.push(setTimeout(fn, ms));
  else timers.push(setTimeout(() => armTimeout(ms - MAX, fn, timers), MAX));
}
