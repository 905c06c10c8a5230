// The test-network ledger: money for in-process test networks only. Nodes of one test network
// share one `TestNetworkLedger`; a payer "pays" an invoice by handing the payee's receiver the
// invoice's blinded payment path as an HTLC would carry it (path key, our encrypted hop, amount).
// The payee's InvoiceReceiver checks it exactly as it will check a real HTLC (path_id, amount,
// expiry), marks the invoice paid in its store and reveals the preimage, which the payer checks
// against the payment hash. The ledger records who paid whom, and which preimages it revealed to
// which payer: a payer that crashed during a payment asks it afterwards how the payment ended
// (`lookup`), as a real node asks its HTLC state.
//
// It refuses to exist on mainnet, testnet or signet: it moves no real money and must never be
// mistaken for something that does. One-hop blinded paths only (the payee is the introduction
// node), which is what our invoices carry while there are no channels.
//
//   const ledger = new TestNetworkLedger();              // regtest
//   Node.start({ payments: { backend: 'testnet-ledger', ledger } })   // every node of the network
import { sha256 } from '../crypto/index.ts';
import type { Invoice } from '../bolt12/index.ts';
import { unixSeconds, type Clock } from '../util/clock.ts';
import { bytesEqual, toHex } from '../util/bytes.ts';
import { CHAIN_HASH, type Network } from '../wire/chains.ts';
import { PaymentError, ReceiveError, type PaymentBackend, type PaymentLookup, type PaymentReceiver, type PaymentSuccess } from './types.ts';

export const TESTNET_LEDGER = 'testnet-ledger';

/** One payment the ledger carried. */
export interface LedgerTransfer {
  /** Payer and payee node ids (hex). */
  from: string;
  to: string;
  paymentHash: string;
  amountMsat: bigint;
}

/** Largest number of transfers kept for inspection (the oldest are forgotten first). */
const MAX_TRANSFERS = 100_000;

export class LedgerError extends Error {
  override readonly name = 'LedgerError';
}

export class TestNetworkLedger {
  readonly network: Network;
  private readonly receivers = new Map<string, PaymentReceiver>();
  private readonly balances = new Map<string, bigint>();
  private readonly log: LedgerTransfer[] = [];
  /** `payer:payment_hash` (hex) → the preimage the payee revealed to that payer (bounded, oldest forgotten first). */
  private readonly revealed = new Map<string, Uint8Array>();
  /** Some revealed preimage was forgotten: a miss no longer proves that nothing was paid. */
  private forgotten = false;
  /** `payer:payment_hash` → payments of it being carried now. */
  private readonly carrying = new Map<string, number>();

  constructor(opts: { network?: Network } = {}) {
    this.network = opts.network ?? 'regtest';
    refuseRealNetworks(this.network);
  }

  /** A backend for one node of the network. */
  backendFor(opts: { network: Network; clock: Clock }): LedgerPaymentBackend {
    refuseRealNetworks(opts.network);
    if (opts.network !== this.network) throw new LedgerError(`this ledger is for ${this.network}, not ${opts.network}`);
    return new LedgerPaymentBackend(this, opts.clock);
  }

  /** Net msat received minus sent by a node (hex or bytes). */
  balance(nodeId: Uint8Array | string): bigint {
    return this.balances.get(typeof nodeId === 'string' ? nodeId : toHex(nodeId)) ?? 0n;
  }

  /** The payments carried so far, oldest first. */
  get transfers(): readonly LedgerTransfer[] {
    return this.log;
  }

  /** @internal */
  register(receiver: PaymentReceiver): () => void {
    const key = toHex(receiver.nodeId);
    this.receivers.set(key, receiver);
    return () => {
      if (this.receivers.get(key) === receiver) this.receivers.delete(key);
    };
  }

  /**
   * How a payment of `paymentHash` by `payer` ended: `complete` with the preimage if the ledger
   * revealed it to that payer; `unknown` while one is being carried (or if the ledger has forgotten
   * some preimages); otherwise `failed` (the ledger carries payments synchronously: one it did not
   * complete is not going to).
   */
  lookup(payer: Uint8Array, paymentHash: Uint8Array): PaymentLookup {
    const key = `${toHex(payer)}:${toHex(paymentHash)}`;
    const preimage = this.revealed.get(key);
    if (preimage) return { status: 'complete', paymentPreimage: Uint8Array.from(preimage) };
    if (this.carrying.has(key)) return { status: 'unknown', why: 'a payment of it is being carried by the test-network ledger now' };
    if (this.forgotten) return { status: 'unknown', why: `the test-network ledger keeps only the last ${MAX_TRANSFERS} preimages it revealed` };
    return { status: 'failed', failure: 'Not paid: the test-network ledger revealed no preimage for it to this node' };
  }

  /** @internal Carry a payment of `invoice` from `payer`. */
  async carry(payer: Uint8Array | undefined, invoice: Invoice, now: number, signal?: AbortSignal): Promise<PaymentSuccess> {
    const key = payer ? `${toHex(payer)}:${toHex(invoice.invoicePaymentHash)}` : undefined;
    if (key === undefined) return this.carryOnce(payer, invoice, now, signal);
    this.carrying.set(key, (this.carrying.get(key) ?? 0) + 1);
    try {
      const done = await this.carryOnce(payer, invoice, now, signal);
      this.revealed.delete(key);
      this.revealed.set(key, Uint8Array.from(done.paymentPreimage));
      if (this.revealed.size > MAX_TRANSFERS) {
        this.revealed.delete(this.revealed.keys().next().value!);
        this.forgotten = true;
      }
      return done;
    } finally {
      const n = this.carrying.get(key)! - 1;
      if (n === 0) this.carrying.delete(key);
      else this.carrying.set(key, n);
    }
  }

  private async carryOnce(payer: Uint8Array | undefined, invoice: Invoice, now: number, signal?: AbortSignal): Promise<PaymentSuccess> {
    // BOLT 12, reader of an invoice: MUST reject the invoice if `invreq_chain` is not a supported chain.
    if (!bytesEqual(invoice.chain, CHAIN_HASH[this.network])) throw new PaymentError('rejected', `the invoice is not for ${this.network}`);
    if (invoice.isExpired(now)) throw new PaymentError('expired', `the invoice expired at ${invoice.expiresAt}`);
    const refusals: string[] = [];
    // BOLT 12: "SHOULD prefer to use earlier `invoice_paths` over later ones".
    for (const { path, index } of invoice.usablePaths()) {
      if (signal?.aborted) throw new PaymentError('aborted', 'payment aborted');
      if (path.introductionNode.kind !== 'pubkey') {
        refusals.push(`path ${index}: introduction node given by short_channel_id (no channels on a ledger network)`);
        continue;
      }
      const payeeKey = toHex(path.introductionNode.nodeId);
      const receiver = this.receivers.get(payeeKey);
      if (!receiver) {
        refusals.push(`path ${index}: ${payeeKey.slice(0, 16)}… is not on this test network`);
        continue;
      }
      if (path.hops.length !== 1) {
        refusals.push(`path ${index}: ${path.hops.length} hops (the ledger carries one-hop paths only)`);
        continue;
      }
      let got;
      try {
        got = await receiver.receive({ pathKey: path.firstPathKey, encryptedRecipientData: path.hops[0]!.encryptedRecipientData, amountMsat: invoice.invoiceAmount });
      } catch (e) {
        if (e instanceof ReceiveError) {
          refusals.push(`path ${index}: payee refused (${e.reason}: ${e.message})`);
          continue;
        }
        throw e;
      }
      if (!bytesEqual(sha256(got.paymentPreimage), invoice.invoicePaymentHash)) {
        throw new PaymentError('bad_preimage', 'the payee revealed a preimage that does not match the payment hash');
      }
      if (got.newlyPaid) {
        const from = payer ? toHex(payer) : 'unknown';
        this.balances.set(from, this.balance(from) - invoice.invoiceAmount);
        this.balances.set(payeeKey, this.balance(payeeKey) + invoice.invoiceAmount);
        this.log.push({ from, to: payeeKey, paymentHash: toHex(invoice.invoicePaymentHash), amountMsat: invoice.invoiceAmount });
        if (this.log.length > MAX_TRANSFERS) this.log.splice(0, this.log.length - MAX_TRANSFERS);
      }
      return { paymentHash: invoice.invoicePaymentHash, paymentPreimage: got.paymentPreimage, amountSentMsat: invoice.invoiceAmount, feesMsat: 0n };
    }
    const allRefused = refusals.length > 0 && refusals.every((r) => r.includes('payee refused'));
    throw new PaymentError(allRefused ? 'rejected' : 'no_route', `Cannot pay: ${refusals.join('; ') || 'no usable invoice_paths'}`);
  }
}

/** One node's view of the ledger. */
export class LedgerPaymentBackend implements PaymentBackend {
  readonly name = TESTNET_LEDGER;
  readonly canPay = true;
  private nodeId: Uint8Array | undefined;
  private unregister: (() => void) | undefined;
  private closed = false;

  constructor(
    readonly ledger: TestNetworkLedger,
    private readonly clock: Clock,
  ) {}

  pay(invoice: Invoice, opts: { signal?: AbortSignal } = {}): Promise<PaymentSuccess> {
    if (this.closed) return Promise.reject(new PaymentError('aborted', 'payment backend closed'));
    return this.ledger.carry(this.nodeId, invoice, unixSeconds(this.clock), opts.signal);
  }

  lookup(paymentHash: Uint8Array): Promise<PaymentLookup> {
    if (!this.nodeId) return Promise.resolve({ status: 'unknown', why: 'no receiver attached: the ledger does not know which node this is' });
    return Promise.resolve(this.ledger.lookup(this.nodeId, paymentHash));
  }

  attachReceiver(receiver: PaymentReceiver): void {
    this.unregister?.();
    this.nodeId = receiver.nodeId;
    this.unregister = this.ledger.register(receiver);
  }

  close(): void {
    this.closed = true;
    this.unregister?.();
    this.unregister = undefined;
  }
}

function refuseRealNetworks(network: Network): void {
  if (network !== 'regtest') {
    throw new LedgerError(`the test-network ledger moves no real money and refuses to run on ${network}: use it on regtest test networks only`);
  }
}
