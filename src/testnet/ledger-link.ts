// The test-network ledger across processes: `bolt12d-testnet` runs one TestNetworkLedger
// (src/payments/ledger.ts) behind a unix socket, and each daemon it starts
// (`bolt12d --testnet-ledger SOCKET`, regtest only) uses a RemoteLedgerBackend as its
// PaymentBackend. A payment goes payer daemon → ledger → payee daemon and back:
//
//   payer  → ledger  {"op":"pay","id":1,"invoice":"lni1…"}
//   ledger → payee   {"op":"receive","id":7,"path_key":"02…","data":"…","amount_msat":"10000"}
//   payee  → ledger  {"op":"received","id":7,"preimage":"…","newly_paid":true}   (or "refused")
//   ledger → payer   {"op":"paid","id":1,"preimage":"…","amount_sent_msat":"10000","fees_msat":"0"}   (or "error")
//
// and, for a payment a crash left pending (PaymentBackend.lookup):
//
//   payer  → ledger  {"op":"lookup","id":2,"payment_hash":"…"}
//   ledger → payer   {"op":"looked_up","id":2,"status":"complete","preimage":"…"}   (or "failed" + failure, "unknown" + why)
//
// The payee's InvoiceReceiver checks the payment exactly as in process (path_id, amount, expiry)
// and the ledger and the payer both check the preimage against the payment hash. One JSON object
// per line; lines above 1 MiB close the connection. The ledger process holds the balances and the
// transfer log (`LedgerServer.ledger`). Like the in-process ledger it refuses every network but
// regtest: it moves no money.
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';
import { sha256 } from '../crypto/index.ts';
import { decodeInvoice, type Invoice } from '../bolt12/index.ts';
import type { InvoiceRecord } from '../invoice-store/index.ts';
import {
  LedgerPaymentBackend,
  PaymentError,
  ReceiveError,
  TestNetworkLedger,
  TESTNET_LEDGER,
  type IncomingBlindedPayment,
  type PaymentBackend,
  type PaymentFailureReason,
  type PaymentLookup,
  type PaymentReceiver,
  type PaymentSuccess,
  type ReceivedPayment,
  type ReceiveFailureReason,
} from '../payments/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { bytesEqual, fromHex, toHex } from '../util/bytes.ts';
import type { Logger } from '../util/log.ts';

const MAX_LINE = 1 << 20;
const PAYMENT_REASONS: readonly PaymentFailureReason[] = ['no_backend', 'no_route', 'rejected', 'expired', 'bad_preimage', 'aborted'];
const RECEIVE_REASONS: readonly ReceiveFailureReason[] = ['bad_blinding', 'not_final', 'unknown_path', 'unknown_invoice', 'amount_too_low', 'expired', 'unknown_feature'];

type Msg = Record<string, unknown> & { op?: unknown; id?: unknown };

/** Newline-delimited JSON on a socket, bounded. */
class Lines {
  private buf = '';
  constructor(
    private readonly s: Socket,
    onMessage: (m: Msg) => void,
  ) {
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      this.buf += chunk;
      if (this.buf.length > MAX_LINE && !this.buf.includes('\n')) return void s.destroy();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        let m: unknown;
        try {
          m = JSON.parse(line);
        } catch {
          return void s.destroy();
        }
        if (typeof m === 'object' && m !== null && !Array.isArray(m)) onMessage(m as Msg);
      }
    });
  }
  send(m: object): void {
    if (!this.s.destroyed) this.s.write(JSON.stringify(m) + '\n');
  }
}

const hexOf = (v: unknown, name: string): Uint8Array => {
  if (typeof v !== 'string' || !/^([0-9a-f]{2})*$/.test(v)) throw new Error(`${name}: should be hex`);
  return fromHex(v);
};
const amountOf = (v: unknown, name: string): bigint => {
  if (typeof v !== 'string' || !/^[0-9]{1,20}$/.test(v)) throw new Error(`${name}: should be a decimal string of msat`);
  return BigInt(v);
};

/** The ledger's side: one TestNetworkLedger, served on a unix socket. */
export class LedgerServer {
  readonly ledger = new TestNetworkLedger();
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly opts: { clock?: Clock; logger?: Logger } = {},
  ) {}

  async listen(): Promise<void> {
    if (existsSync(this.path)) unlinkSync(this.path);
    const server = createServer((s) => this.onClient(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  private onClient(s: Socket): void {
    this.sockets.add(s);
    const clock = this.opts.clock ?? systemClock;
    let backend: LedgerPaymentBackend | undefined;
    let next = 0;
    const waiting = new Map<number, { resolve: (m: Msg) => void }>();
    const lines = new Lines(s, (m) => {
      try {
        if (m.op === 'hello' && !backend) {
          const nodeId = hexOf(m['node_id'], 'node_id');
          backend = this.ledger.backendFor({ network: 'regtest', clock });
          const receiver: PaymentReceiver = {
            nodeId,
            receive: (p: IncomingBlindedPayment) =>
              new Promise<ReceivedPayment>((resolve, reject) => {
                if (s.destroyed) return reject(new ReceiveError('unknown_invoice', 'the payee is not on the ledger any more'));
                const id = next++;
                waiting.set(id, {
                  resolve: (a) => {
                    try {
                      if (a.op === 'received') {
                        const preimage = hexOf(a['preimage'], 'preimage');
                        // The ledger reads the preimage and newlyPaid only; the payee keeps the record.
                        resolve({ paymentHash: sha256(preimage), paymentPreimage: preimage, newlyPaid: a['newly_paid'] === true, record: {} as InvoiceRecord });
                      } else {
                        const reason = RECEIVE_REASONS.includes(a['reason'] as ReceiveFailureReason) ? (a['reason'] as ReceiveFailureReason) : 'unknown_invoice';
                        reject(new ReceiveError(reason, String(a['message'] ?? 'refused')));
                      }
                    } catch (e) {
                      reject(e);
                    }
                  },
                });
                lines.send({ op: 'receive', id, path_key: toHex(p.pathKey), data: toHex(p.encryptedRecipientData), amount_msat: p.amountMsat.toString() });
              }),
          };
          backend.attachReceiver(receiver);
          this.opts.logger?.info(`ledger: ${toHex(nodeId)} joined`);
          lines.send({ op: 'hello', ok: true });
        } else if ((m.op === 'received' || m.op === 'refused') && typeof m.id === 'number') {
          const w = waiting.get(m.id);
          waiting.delete(m.id);
          w?.resolve(m);
        } else if (m.op === 'lookup' && backend && (typeof m.id === 'number' || typeof m.id === 'string')) {
          const id = m.id;
          backend.lookup(hexOf(m['payment_hash'], 'payment_hash')).then((r) =>
            lines.send(
              r.status === 'complete'
                ? { op: 'looked_up', id, status: r.status, preimage: toHex(r.paymentPreimage) }
                : r.status === 'failed'
                  ? { op: 'looked_up', id, status: r.status, failure: r.failure }
                  : { op: 'looked_up', id, status: r.status, why: r.why },
            ),
          );
        } else if (m.op === 'pay' && backend && (typeof m.id === 'number' || typeof m.id === 'string')) {
          const id = m.id;
          let invoice: Invoice;
          try {
            invoice = decodeInvoice(String(m['invoice']));
          } catch (e) {
            return lines.send({ op: 'error', id, reason: 'rejected', message: `not an invoice: ${(e as Error).message}` });
          }
          backend.pay(invoice).then(
            (r) => lines.send({ op: 'paid', id, preimage: toHex(r.paymentPreimage), amount_sent_msat: r.amountSentMsat.toString(), fees_msat: r.feesMsat.toString() }),
            (e: unknown) => lines.send({ op: 'error', id, reason: e instanceof PaymentError ? e.reason : 'rejected', message: (e as Error)?.message ?? String(e) }),
          );
        }
      } catch (e) {
        this.opts.logger?.warn(`ledger: bad message from a daemon: ${(e as Error).message}`);
        s.destroy();
      }
    });
    s.on('error', () => s.destroy());
    s.on('close', () => {
      this.sockets.delete(s);
      backend?.close();
      for (const w of waiting.values()) w.resolve({ op: 'refused', reason: 'unknown_invoice', message: 'the payee left the ledger' });
      waiting.clear();
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    if (existsSync(this.path)) unlinkSync(this.path);
  }
}

/** A daemon's side: a PaymentBackend whose payments go through the ledger process. */
export class RemoteLedgerBackend implements PaymentBackend {
  readonly name = TESTNET_LEDGER;
  readonly canPay = true;
  private socket?: Socket;
  private lines?: Lines;
  private ready?: Promise<void>;
  private receiver?: PaymentReceiver;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (m: Msg) => void }>();
  private closed = false;
  private retry?: NodeJS.Timeout;

  constructor(
    readonly path: string,
    private readonly logger?: Logger,
  ) {}

  attachReceiver(receiver: PaymentReceiver): void {
    this.receiver = receiver;
    this.ready = this.open();
    this.ready.catch(() => undefined);
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = netConnect(this.path);
      this.socket = s;
      let hello = false;
      const lines = new Lines(s, (m) => {
        if (m.op === 'hello') {
          hello = true;
          return resolve();
        }
        if (m.op === 'receive') return void this.onReceive(lines, m);
        if ((m.op === 'paid' || m.op === 'error' || m.op === 'looked_up') && typeof m.id === 'number') {
          const w = this.pending.get(m.id);
          this.pending.delete(m.id);
          w?.resolve(m);
        }
      });
      this.lines = lines;
      s.once('connect', () => lines.send({ op: 'hello', node_id: toHex(this.receiver!.nodeId), network: 'regtest' }));
      s.on('error', (e) => {
        if (!hello) reject(new PaymentError('no_route', `the test-network ledger at ${this.path} is unreachable: ${e.message}`));
      });
      s.on('close', () => {
        for (const w of this.pending.values()) w.resolve({ op: 'error', reason: 'aborted', message: 'the test-network ledger went away' });
        this.pending.clear();
        if (!hello) reject(new PaymentError('no_route', `the test-network ledger at ${this.path} closed the connection`));
        // Come back when the ledger does (it may start after us, or restart).
        if (!this.closed) {
          this.retry = setTimeout(() => {
            this.ready = this.open();
            this.ready.catch(() => undefined);
          }, 500);
          this.retry.unref();
        }
      });
    });
  }

  private onReceive(lines: Lines, m: Msg): void {
    const id = m.id;
    let p: IncomingBlindedPayment;
    try {
      p = { pathKey: hexOf(m['path_key'], 'path_key'), encryptedRecipientData: hexOf(m['data'], 'data'), amountMsat: amountOf(m['amount_msat'], 'amount_msat') };
    } catch (e) {
      return lines.send({ op: 'refused', id, reason: 'bad_blinding', message: (e as Error).message });
    }
    this.receiver!.receive(p).then(
      (r) => lines.send({ op: 'received', id, preimage: toHex(r.paymentPreimage), newly_paid: r.newlyPaid }),
      (e: unknown) =>
        lines.send({ op: 'refused', id, reason: e instanceof ReceiveError ? e.reason : 'unknown_invoice', message: (e as Error)?.message ?? String(e) }),
    );
  }

  async pay(invoice: Invoice, opts: { signal?: AbortSignal } = {}): Promise<PaymentSuccess> {
    if (this.closed) throw new PaymentError('aborted', 'payment backend closed');
    if (!this.ready) throw new PaymentError('no_route', 'the test-network ledger is not attached');
    await this.ready;
    const id = this.next++;
    const answer = await new Promise<Msg>((resolve) => {
      this.pending.set(id, { resolve });
      const abort = () => {
        this.pending.delete(id);
        resolve({ op: 'error', reason: 'aborted', message: 'payment aborted' });
      };
      if (opts.signal?.aborted) return abort();
      opts.signal?.addEventListener('abort', abort, { once: true });
      this.lines!.send({ op: 'pay', id, invoice: invoice.toString() });
    });
    if (answer.op !== 'paid') {
      const reason = PAYMENT_REASONS.includes(answer['reason'] as PaymentFailureReason) ? (answer['reason'] as PaymentFailureReason) : 'rejected';
      throw new PaymentError(reason, String(answer['message'] ?? 'payment failed'));
    }
    const preimage = hexOf(answer['preimage'], 'preimage');
    if (!bytesEqual(sha256(preimage), invoice.invoicePaymentHash)) throw new PaymentError('bad_preimage', 'the ledger answered a preimage that does not match the payment hash');
    this.logger?.debug(`paid ${invoice.invoiceAmount} msat through the test-network ledger`);
    return { paymentHash: invoice.invoicePaymentHash, paymentPreimage: preimage, amountSentMsat: amountOf(answer['amount_sent_msat'], 'amount_sent_msat'), feesMsat: amountOf(answer['fees_msat'], 'fees_msat') };
  }

  /** Asks the ledger process (which knows the preimages it revealed to this node); unknown when it cannot be asked. */
  async lookup(paymentHash: Uint8Array): Promise<PaymentLookup> {
    if (this.closed || !this.ready) return { status: 'unknown', why: 'the test-network ledger is not attached' };
    try {
      await this.ready;
    } catch (e) {
      return { status: 'unknown', why: (e as Error).message };
    }
    const id = this.next++;
    const a = await new Promise<Msg>((resolve) => {
      this.pending.set(id, { resolve });
      this.lines!.send({ op: 'lookup', id, payment_hash: toHex(paymentHash) });
    });
    if (a.op !== 'looked_up') return { status: 'unknown', why: String(a['message'] ?? 'the test-network ledger did not answer') };
    try {
      if (a['status'] === 'complete') {
        const preimage = hexOf(a['preimage'], 'preimage');
        if (bytesEqual(sha256(preimage), paymentHash)) return { status: 'complete', paymentPreimage: preimage };
        return { status: 'unknown', why: 'the ledger answered a preimage that does not match the payment hash' };
      }
      if (a['status'] === 'failed') return { status: 'failed', failure: String(a['failure'] ?? 'not paid') };
    } catch (e) {
      return { status: 'unknown', why: (e as Error).message };
    }
    return { status: 'unknown', why: String(a['why'] ?? 'the test-network ledger cannot tell') };
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.destroy();
  }
}
