/**
 * Issue 4 interop: our BOLT 12 codec (src/bolt12) against LDK 0.1's, field for field.
 *
 * - LDK parses what we build: offers, refunds, an invoice_request, invoices (answering our refund,
 *   our invoice_request and an LDK refund), and reports the same fields; LDK re-encodes each to the
 *   same bytes/string (so unknown odd fields survive), and LDK's offer id (a tagged merkle root)
 *   equals the one computed from our merkle root.
 * - We parse what LDK builds: its offer, refund and invoice, and report the same fields as LDK.
 * - invoice_error in both directions, including LDK 0.1's length-prefixed form.
 *
 * LDK's offers and refunds come from a real LDK node (ChannelManager.create_offer_builder /
 * create_refund_builder) connected to a second LDK node, which gives them their blinded path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicRandom, publicKey, sha256, taggedHash } from '../../src/crypto/index.ts';
import {
  BITCOIN_CHAIN,
  Bolt12Error,
  decodeInvoice,
  decodeOffer,
  decodeRefund,
  encodeBolt12String,
  invoiceErrorFromBytes,
  invoiceFromBytes,
  InvoiceError,
  InvoiceRequestBuilder,
  joinRecords,
  makeRecord,
  merkleRoot,
  OfferBuilder,
  RefundBuilder,
  signRecords,
  TLV,
  type BlindedPath,
  type BlindedPayInfo,
  type Invoice,
  type InvoiceRequest,
  type Offer,
  type Refund,
} from '../../src/bolt12/index.ts';
import { CHAIN_HASH, decodeBlindedPath, encodeBlindedPath } from '../../src/wire/index.ts';
import {
  hex,
  initLdk,
  ldkParseOffer,
  ldkParseRefund,
  ldkReadInvoice,
  ldkReadInvoiceError,
  ldkReadInvoiceRequest,
  ldkReadOffer,
  ldkReadRefund,
  LdkRejected,
  ldkWriteInvoiceError,
  startLdkNode,
  type BlindedPathView,
  type InvoiceRequestView,
  type InvoiceView,
  type LdkNode,
  type OfferView,
  type RefundView,
} from './ldk-harness.ts';

const NOW = Math.floor(Date.now() / 1000);
const random = deterministicRandom('ldk-bolt12 interop');
const nodeSecret = random(32);
const nodeId = publicKey(nodeSecret);
const point = () => publicKey(random(32));

/** Deep copy with bytes as hex and undefined properties dropped, so that diffs are readable. */
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, norm(x)]));
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Our objects in the shape of the harness's LDK views

/** Feature bytes without leading zero bytes (LDK reports minimal vectors). */
function minimal(f: Uint8Array | undefined): Uint8Array {
  if (f === undefined) return new Uint8Array(0);
  let i = 0;
  while (i < f.length && f[i] === 0) i++;
  return Uint8Array.from(f.subarray(i));
}

const big = (n: number | undefined) => (n === undefined ? undefined : BigInt(n));

function pathView(p: BlindedPath): BlindedPathView {
  const intro = p.introductionNode;
  return {
    ...(intro.kind === 'pubkey' ? { introductionNodeId: intro.nodeId } : { introductionScid: { direction: intro.direction, scid: intro.scid } }),
    pathKey: p.firstPathKey,
    hops: p.hops.map((h) => ({ blindedNodeId: h.blindedNodeId, encryptedRecipientData: h.encryptedRecipientData })),
    bytes: encodeBlindedPath(p),
  };
}

function amountView(amount: bigint | undefined, currency: string | undefined): OfferView['amount'] {
  if (amount === undefined) return undefined;
  return currency === undefined ? { msat: amount } : { currency, amount };
}

function quantityView(max: bigint | undefined): OfferView['supportedQuantity'] {
  return max === undefined ? 'one' : max === 0n ? 'unbounded' : { max };
}

/** LDK's offer id: TaggedHash("LDK Offer ID", merkle root of the offer's TLV stream). */
function ldkOfferId(o: { records: Offer['records'] }): Uint8Array {
  return taggedHash('LDK Offer ID', merkleRoot(o.records));
}

function ourOfferView(o: Offer): OfferView {
  return {
    string: o.toString(),
    bytes: o.bytes,
    chains: o.chains,
    metadata: o.offerMetadata,
    amount: amountView(o.offerAmount, o.offerCurrency),
    description: o.offerDescription,
    features: minimal(o.offerFeatures),
    absoluteExpiry: big(o.offerAbsoluteExpiry),
    issuer: o.offerIssuer,
    paths: (o.offerPaths ?? []).map(pathView),
    supportedQuantity: quantityView(o.offerQuantityMax),
    issuerId: o.offerIssuerId,
    id: ldkOfferId(o),
  };
}

function ourRefundView(r: Refund): RefundView {
  return {
    string: r.toString(),
    bytes: r.bytes,
    description: r.offerDescription,
    absoluteExpiry: big(r.offerAbsoluteExpiry),
    issuer: r.offerIssuer,
    paths: (r.invreqPaths ?? []).map(pathView),
    payerMetadata: r.invreqMetadata,
    chain: r.chain,
    amountMsat: r.invreqAmount,
    features: minimal(r.invreqFeatures),
    quantity: r.invreqQuantity,
    payerId: r.invreqPayerId,
    payerNote: r.invreqPayerNote,
  };
}

function ourInvoiceRequestView(r: InvoiceRequest): InvoiceRequestView {
  return {
    bytes: r.bytes,
    chains: r.offerChains ?? [BITCOIN_CHAIN],
    offerMetadata: r.offerMetadata,
    offerAmount: amountView(r.offerAmount, r.offerCurrency),
    description: r.offerDescription,
    offerFeatures: minimal(r.offerFeatures),
    absoluteExpiry: big(r.offerAbsoluteExpiry),
    issuer: r.offerIssuer,
    offerPaths: (r.offerPaths ?? []).map(pathView),
    supportedQuantity: quantityView(r.offerQuantityMax),
    issuerId: r.offerIssuerId,
    payerMetadata: r.invreqMetadata,
    chain: r.invreqChain ?? BITCOIN_CHAIN,
    amountMsat: r.invreqAmount,
    features: minimal(r.invreqFeatures),
    quantity: r.invreqQuantity,
    payerId: r.invreqPayerId,
    payerNote: r.invreqPayerNote,
    signature: r.signature!,
  };
}

/** Our invoice as LDK would report it (LDK's `fallbacks` are addresses: compared by count). */
function ourInvoiceView(i: Invoice): Omit<InvoiceView, 'fallbacks'> {
  const forRefund = i.isForRefund;
  return {
    bytes: i.bytes,
    paymentPaths: i.invoicePaths.map((p, k) => {
      const { bytes: _ignored, ...v } = pathView(p);
      const pi = i.invoiceBlindedpay[k]!;
      return { ...v, payinfo: { ...pi, features: minimal(pi.features) } };
    }),
    createdAt: BigInt(i.invoiceCreatedAt),
    relativeExpiry: BigInt(i.invoiceRelativeExpiry ?? 7200),
    features: minimal(i.invoiceFeatures),
    nodeId: i.invoiceNodeId,
    // LDK reports the offer part only for invoices answering an offer.
    offerChains: forRefund ? undefined : (i.offerChains ?? [BITCOIN_CHAIN]),
    chain: i.chain,
    offerMetadata: i.offerMetadata,
    offerAmount: amountView(i.offerAmount, i.offerCurrency),
    offerFeatures: minimal(i.offerFeatures),
    description: i.offerDescription,
    absoluteExpiry: big(i.offerAbsoluteExpiry),
    issuer: i.offerIssuer,
    // LDK's message_paths(): the offer's paths, or the refund's (invreq_paths).
    messagePaths: ((forRefund ? i.invreqPaths : i.offerPaths) ?? []).map(pathView),
    supportedQuantity: forRefund ? undefined : quantityView(i.offerQuantityMax),
    issuerId: i.offerIssuerId,
    payerMetadata: i.invreqMetadata,
    invreqFeatures: minimal(i.invreqFeatures),
    quantity: i.invreqQuantity,
    payerId: i.invreqPayerId,
    payerNote: i.invreqPayerNote,
    paymentHash: i.invoicePaymentHash,
    amountMsat: i.invoiceAmount,
    signature: i.signature,
  };
}

function withoutFallbacks(v: InvoiceView): Omit<InvoiceView, 'fallbacks'> {
  const { fallbacks: _f, ...rest } = v;
  return rest;
}

/** A blinded path with valid points (LDK parses but does not decrypt it). */
function syntheticPath(hops: number, intro: BlindedPath['introductionNode'] = { kind: 'pubkey', nodeId }): BlindedPath {
  return {
    introductionNode: intro,
    firstPathKey: point(),
    hops: Array.from({ length: hops }, (_, k) => ({ blindedNodeId: point(), encryptedRecipientData: random(20 + 7 * k) })),
  };
}

const PAYINFO: BlindedPayInfo = {
  feeBaseMsat: 1000,
  feeProportionalMillionths: 250,
  cltvExpiryDelta: 144,
  htlcMinimumMsat: 1n,
  htlcMaximumMsat: 10_000_000_000n,
  features: new Uint8Array(0),
};

// ---------------------------------------------------------------------------------------------

describe('LDK interop: BOLT 12 codec (issue 4)', () => {
  let a: LdkNode; // makes offers and refunds (its only peer, b, is their introduction node)
  let b: LdkNode; // answers refunds with invoices
  /** A real blinded path LDK built (to b, through a), decoded by our wire codec. */
  let ldkPath: BlindedPath;

  beforeAll(async () => {
    await initLdk();
    a = await startLdkNode({ seed: 0x41, manuallyHandleBolt12Invoices: true });
    b = await startLdkNode({ seed: 0x42, manuallyHandleBolt12Invoices: true });
    await a.connect(b.host, b.port, b.nodeId);
    await a.waitForPeer(b.nodeId);
    await b.waitForPeer(a.nodeId);
    const view = b.buildBlindedPathToSelf({ via: [a.nodeId], context: Uint8Array.of(1, 2, 3) });
    ldkPath = decodeBlindedPath(view.bytes);
    expect(norm(pathView(ldkPath))).toEqual(norm(view));
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  describe('LDK parses what we build', () => {
    const offers: [string, () => Offer][] = [
      ['minimal (issuer id, description)', () => new OfferBuilder({ issuerId: nodeId, description: 'coffee' }).build()],
      [
        'every field',
        () =>
          new OfferBuilder({
            issuerId: nodeId,
            description: 'Café ☕ — 2 shots',
            amountMsat: 3_000_000n,
            chains: [CHAIN_HASH.regtest],
            metadata: random(24),
            features: Uint8Array.of(0x02, 0x00, 0x00), // bit 17 (odd, unknown: allowed)
            absoluteExpiry: NOW + 86_400,
            paths: [ldkPath, syntheticPath(3), syntheticPath(1, { kind: 'scid', direction: 1, scid: 0x0001c8_000005_0001n })],
            issuer: 'bolt12d.example',
            quantityMax: 5n,
          }).build(),
      ],
      ['fiat amount', () => new OfferBuilder({ issuerId: nodeId, description: 'a pizza', amount: { value: 1_250n, currency: 'EUR' } }).build()],
      [
        'paths only, unlimited quantity, unknown odd fields',
        () =>
          new OfferBuilder({
            description: 'stickers',
            amountMsat: 1_000n,
            paths: [ldkPath],
            quantityMax: 0n,
            extra: [
              { type: 33n, value: Uint8Array.of(0xde, 0xad) },
              { type: 1_000_000_001n, value: utf8('experimental') },
            ],
          }).build(),
      ],
    ];
    for (const [name, make] of offers) {
      it(`offer, ${name}: same fields, bytes, string and offer id`, async () => {
        const offer = make();
        const ldkView = await ldkParseOffer(offer.toString());
        expect(norm(ldkView)).toEqual(norm(ourOfferView(offer)));
        expect(await ldkReadOffer(offer.bytes)).toEqual(ldkView);
        // Upper case and `+` continuations are the same offer to LDK too.
        const s = offer.toString(true);
        expect((await ldkParseOffer(`${s.slice(0, 40)}+\n  ${s.slice(40)}`)).bytes).toEqual(offer.bytes);
      });
    }

    const refunds: [string, () => Refund][] = [
      ['minimal (bitcoin)', () => new RefundBuilder({ nodeSecret, random, amountMsat: 50_000n, description: 'refund #1' }).build()],
      [
        'every field (regtest)',
        () =>
          new RefundBuilder({
            nodeSecret,
            random,
            amountMsat: 123_456_789n,
            description: 'refund for order 42 — sorry!',
            absoluteExpiry: NOW + 3 * 86_400,
            issuer: 'shop.example',
            chain: CHAIN_HASH.regtest,
            quantity: 3n,
            payerNote: 'thanks ✓',
            paths: [ldkPath, syntheticPath(2)],
            features: Uint8Array.of(0x80), // bit 7 (odd)
            extra: [{ type: 2_000_000_001n, value: Uint8Array.of(1, 2, 3) }],
          }).build(),
      ],
    ];
    for (const [name, make] of refunds) {
      it(`refund, ${name}: same fields, bytes and string`, async () => {
        const refund = make();
        expect(refund.isSigned).toBe(false);
        expect(refund.isOwn(nodeSecret)).toBe(true);
        const ldkView = await ldkParseRefund(refund.toString());
        expect(norm(ldkView)).toEqual(norm(ourRefundView(refund)));
        expect(await ldkReadRefund(refund.bytes)).toEqual(ldkView);
      });
    }

    it('refund signed Core Lightning style: LDK 0.1 refuses it (so we send LDK unsigned ones)', async () => {
      const signed = new RefundBuilder({ nodeSecret, random, amountMsat: 1_000n, description: 'signed', signed: true }).build();
      expect(signed.isSigned).toBe(true);
      await expect(ldkParseRefund(signed.toString())).rejects.toBeInstanceOf(LdkRejected);
      // The same refund unsigned is fine.
      expect((await ldkParseRefund(signed.withoutSignature().toString())).payerId).toEqual(signed.invreqPayerId);
    });

    it('invoice_request for our offer: LDK verifies our signature and reports the same fields', async () => {
      const offer = offers[1]![1]();
      const req = new InvoiceRequestBuilder(offer, {
        nodeSecret,
        random,
        chain: CHAIN_HASH.regtest,
        amountMsat: 9_000_000n,
        quantity: 3n,
        payerNote: 'three please',
        features: Uint8Array.of(0x02), // bit 1 (odd)
      }).build();
      const ldkView = await ldkReadInvoiceRequest(req.bytes);
      expect(norm(ldkView)).toEqual(norm(ourInvoiceRequestView(req)));
      // A signature over other bytes is refused.
      const bad = Uint8Array.from(req.bytes);
      bad[bad.length - 1]! ^= 1;
      await expect(ldkReadInvoiceRequest(bad)).rejects.toBeInstanceOf(LdkRejected);
    });

    it('invoice answering our refund: LDK verifies it and reports the same fields', async () => {
      const refund = refunds[1]![1]();
      const signer = random(32);
      const invoice = refund
        .respondWith({
          paymentHash: sha256(utf8('preimage 1')),
          createdAt: NOW,
          relativeExpiry: 3_600,
          paths: [syntheticPath(1), syntheticPath(3)],
          blindedPay: [PAYINFO, { ...PAYINFO, feeBaseMsat: 0, cltvExpiryDelta: 40, features: Uint8Array.of(0x02) }],
          features: Uint8Array.of(0x02, 0x00, 0x00), // bit 17: MPP optional
          fallbacks: [{ version: 0, address: random(20) }],
        })
        .build(signer);
      const ldkView = await ldkReadInvoice(invoice.bytes);
      expect(norm(withoutFallbacks(ldkView))).toEqual(norm(ourInvoiceView(invoice)));
      expect(hex(ldkView.nodeId)).toBe(hex(publicKey(signer)));
      expect(ldkView.fallbacks.length).toBe(1);
      expect(ldkView.fallbacks[0]).toMatch(/^bcrt1q[a-z0-9]{38}$/); // regtest P2WPKH
      // A flipped bit anywhere in the signed part is refused.
      const bad = Uint8Array.from(invoice.bytes);
      bad[20]! ^= 0x01;
      await expect(ldkReadInvoice(bad)).rejects.toBeInstanceOf(LdkRejected);
    });

    it('invoice answering our invoice_request, signed by the offer issuer', async () => {
      const offer = offers[1]![1]();
      const req = new InvoiceRequestBuilder(offer, { nodeSecret, random, chain: CHAIN_HASH.regtest, quantity: 2n }).build();
      const invoice = req
        .respondWith({ paymentHash: sha256(utf8('preimage 2')), createdAt: NOW, paths: [syntheticPath(2)], blindedPay: [PAYINFO] })
        .build(nodeSecret);
      expect(invoice.invoiceAmount).toBe(6_000_000n);
      const ldkView = await ldkReadInvoice(invoice.bytes);
      expect(norm(withoutFallbacks(ldkView))).toEqual(norm(ourInvoiceView(invoice)));
      expect(ldkView.fallbacks).toEqual([]);
      // LDK also checks invoice_node_id against offer_issuer_id: the same invoice signed by another
      // key (validly, over its own invoice_node_id) is refused by LDK, and by us.
      const other = random(32);
      const recs = invoice.records.filter((r) => r.type !== TLV.signature && r.type !== TLV.invoice_node_id);
      const unsigned = [...recs, makeRecord(TLV.invoice_node_id, publicKey(other))].sort((x, y) => (x.type < y.type ? -1 : 1));
      const forged = joinRecords([...unsigned, makeRecord(TLV.signature, signRecords('invoice', unsigned, other))]);
      await expect(ldkReadInvoice(forged)).rejects.toBeInstanceOf(LdkRejected);
      expect(() => invoiceFromBytes(forged)).toThrow(Bolt12Error);
    });

    it('invoice answering an LDK refund: LDK reports the refund fields mirrored', async () => {
      const { refund: lnr } = a.createRefund({ amountMsat: 42_000n });
      const refund = decodeRefund(lnr, { now: NOW, chains: [CHAIN_HASH.regtest] });
      const invoice = refund
        .respondWith({ paymentHash: sha256(utf8('preimage 3')), createdAt: NOW, paths: [syntheticPath(1)], blindedPay: [PAYINFO] })
        .build(random(32));
      const ldkView = await ldkReadInvoice(invoice.bytes);
      expect(norm(withoutFallbacks(ldkView))).toEqual(norm(ourInvoiceView(invoice)));
      expect(ldkView.amountMsat).toBe(42_000n);
    });
  });

  describe('we parse what LDK builds', () => {
    it('LDK offer: same fields, bytes and offer id', async () => {
      const expiry = BigInt(NOW + 5 * 86_400);
      const { offer: lno, view } = a.createOffer({ absoluteExpiry: expiry });
      const offer = decodeOffer(lno, { now: NOW, chains: [CHAIN_HASH.regtest] });
      expect(norm(ourOfferView(offer))).toEqual(norm(view));
      expect(offer.toString()).toBe(lno);
      // What LDK puts in an offer from ChannelManager: regtest chain, metadata, issuer id, one
      // blinded path whose introduction node is its only peer, and the expiry we asked for.
      expect(offer.offerChains?.map(hex)).toEqual([hex(CHAIN_HASH.regtest)]);
      expect(offer.offerIssuerId?.length).toBe(33);
      expect(offer.offerPaths?.length).toBe(1);
      expect(offer.offerPaths![0]!.introductionNode).toEqual({ kind: 'pubkey', nodeId: b.nodeId });
      expect(offer.offerAbsoluteExpiry).toBe(Number(expiry));
    });

    it('LDK refund: same fields, bytes and string', async () => {
      const { refund: lnr, view } = a.createRefund({ amountMsat: 777_000n });
      const refund = decodeRefund(lnr, { now: NOW, chains: [CHAIN_HASH.regtest] });
      expect(norm(ourRefundView(refund))).toEqual(norm(view));
      expect(refund.isSigned).toBe(false);
      expect(refund.invreqAmount).toBe(777_000n);
      expect(refund.invreqChain).toEqual(CHAIN_HASH.regtest);
      expect(refund.invreqPaths?.[0]!.introductionNode).toEqual({ kind: 'pubkey', nodeId: b.nodeId });
      expect(refund.isOwn(nodeSecret)).toBe(false);
    });

    it('LDK invoice answering our refund: same fields; it mirrors our refund; signature verifies', async () => {
      const refund = new RefundBuilder({
        nodeSecret,
        random,
        amountMsat: 31_337n,
        description: 'please pay me back',
        chain: CHAIN_HASH.regtest,
        absoluteExpiry: NOW + 2 * 86_400,
        payerNote: 'note',
        paths: [ldkPath],
      }).build();
      const ldkView = b.requestRefundPayment(refund.toString());
      const invoice = invoiceFromBytes(ldkView.bytes, { now: NOW, chains: [CHAIN_HASH.regtest] });
      expect(norm(ourInvoiceView(invoice))).toEqual(norm(withoutFallbacks(ldkView)));
      invoice.checkRespondsTo(refund);
      expect(invoice.isForRefund).toBe(true);
      expect(invoice.invoiceAmount).toBe(31_337n);
      // LDK signs with a derived key, not its node id; its one payment path is ours (one hop).
      expect(hex(invoice.invoiceNodeId)).not.toBe(hex(b.nodeId));
      expect(invoice.invoicePaths.length).toBe(1);
      expect(invoice.invoicePaths[0]!.introductionNode).toEqual({ kind: 'pubkey', nodeId: b.nodeId });
      // The lni1 string form round-trips through our decoder too.
      expect(decodeInvoice(encodeBolt12String('lni', ldkView.bytes)).bytes).toEqual(ldkView.bytes);
    });
  });

  describe('invoice_error', () => {
    it('LDK 0.1 writes a length-prefixed stream; we read it', async () => {
      const ldkBytes = await ldkWriteInvoiceError({ message: 'RouteNotFound', erroneousField: 82n, suggestedValue: Uint8Array.of(0x01, 0x00) });
      const e = invoiceErrorFromBytes(ldkBytes);
      expect(e.lengthPrefixed).toBe(true);
      expect(e.error).toBe('RouteNotFound');
      expect(e.erroneousField).toBe(82n);
      expect(e.suggestedValue).toEqual(Uint8Array.of(0x01, 0x00));
      expect(e.toLengthPrefixed()).toEqual(ldkBytes);
    });

    it('LDK 0.1 reads our length-prefixed form, not the spec form', async () => {
      const ours = InvoiceError.create({ error: 'amount too low', erroneousField: 170n, suggestedValue: Uint8Array.of(0x27, 0x10) });
      expect(await ldkReadInvoiceError(ours.toLengthPrefixed())).toEqual({
        message: 'amount too low',
        erroneousField: { tlvType: 170n, suggestedValue: Uint8Array.of(0x27, 0x10) },
      });
      await expect(ldkReadInvoiceError(ours.bytes)).rejects.toBeInstanceOf(LdkRejected);
      const plain = InvoiceError.create({ error: 'no' });
      expect(await ldkReadInvoiceError(plain.toLengthPrefixed())).toEqual({ message: 'no' });
    });
  });
});

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
