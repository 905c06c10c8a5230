// Property tests (fast-check): for every message type, build with random field values (unknown odd
// fields included) → encode → decode gives the same fields and the same bytes, and re-encoding the
// decoded fields reproduces the bytes exactly.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeBolt12String,
  decodeInvoice,
  decodeInvoiceRequest,
  decodeOffer,
  decodeRefund,
  encodeFields,
  invoiceErrorFromBytes,
  InvoiceError,
  InvoiceRequestBuilder,
  joinRecords,
  OfferBuilder,
  RefundBuilder,
  type BlindedPath,
  type BlindedPayInfo,
  type Bolt12Record,
  type ExtraRecord,
  type FallbackAddress,
  type Invoice,
  type Offer,
  type OfferParams,
} from '../../src/bolt12/index.ts';
import { CHAIN_HASH } from '../../src/wire/chains.ts';
import { featuresFromBits } from '../../src/wire/features.ts';
import { publicKey, sha256 } from '../../src/crypto/index.ts';
import { NOW } from './helpers.ts';

const RUNS = 60;

// Keys from small secrets, computed once.
const PUBS = Array.from({ length: 40 }, (_, i) => publicKey(new Uint8Array(32).fill(i + 1)));
const SECRETS = Array.from({ length: 40 }, (_, i) => new Uint8Array(32).fill(i + 1));
const point = fc.integer({ min: 0, max: PUBS.length - 1 }).map((i) => PUBS[i]!);

const text = fc.string({ unit: 'grapheme', maxLength: 30 });
const bytes = (max = 40) => fc.uint8Array({ maxLength: max });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
const positiveU64 = fc.bigInt({ min: 1n, max: 0xffff_ffff_ffff_ffffn });
const time = fc.integer({ min: 0, max: 2 ** 40 });
const oddFeatures = fc.uniqueArray(fc.integer({ min: 0, max: 120 }).map((b) => b | 1), { maxLength: 4 }).map(featuresFromBits);
const chains = fc.subarray([CHAIN_HASH.mainnet, CHAIN_HASH.testnet, CHAIN_HASH.signet, CHAIN_HASH.regtest], { minLength: 1 });

const blindedPath: fc.Arbitrary<BlindedPath> = fc.record({
  introductionNode: fc.oneof(
    point.map((nodeId) => ({ kind: 'pubkey' as const, nodeId })),
    fc.record({ kind: fc.constant('scid' as const), direction: fc.constantFrom(0 as const, 1 as const), scid: u64 }),
  ),
  firstPathKey: point,
  hops: fc.array(fc.record({ blindedNodeId: point, encryptedRecipientData: bytes(60) }), { minLength: 1, maxLength: 3 }),
});
const paths = fc.array(blindedPath, { minLength: 1, maxLength: 3 });

/** Unknown odd records with distinct types drawn from `ranges`, avoiding `known`. */
function extra(ranges: [bigint, bigint][], known: (t: bigint) => boolean): fc.Arbitrary<ExtraRecord[]> {
  const type = fc.oneof(...ranges.map(([lo, hi]) => fc.bigInt({ min: lo, max: hi }))).map((t) => t | 1n).filter((t) => !known(t) && ranges.some(([lo, hi]) => t >= lo && t <= hi));
  return fc.uniqueArray(fc.record({ type, value: bytes(20) }), { maxLength: 3, selector: (r) => r.type });
}
const INVREQ_KNOWN = (t: bigint) => t === 89n || t === 91n;

const offerParams: fc.Arbitrary<OfferParams> = fc
  .record(
    {
      description: text,
      amount: fc.oneof(
        fc.constant(undefined),
        positiveU64.map((v) => ({ msat: v })),
        fc.record({ value: positiveU64, currency: fc.constantFrom('USD', 'EUR', 'JPY', 'XYZ') }),
      ),
      chains,
      metadata: bytes(),
      features: oddFeatures,
      absoluteExpiry: time,
      issuer: text,
      quantityMax: u64,
      issuerId: point,
      paths,
      extra: extra([[1n, 79n], [1_000_000_000n, 1_999_999_999n]], () => false),
    },
    { requiredKeys: ['amount'] },
  )
  .filter((p) => p.issuerId !== undefined || p.paths !== undefined)
  .map((p) => {
    const { amount, ...rest } = p;
    const out: OfferParams = { ...rest };
    if (amount && 'msat' in amount) out.amountMsat = amount.msat;
    else if (amount) out.amount = amount;
    if (amount && out.description === undefined) out.description = 'needed with an amount';
    return out;
  });

/** Encode a parsed message's decoded fields plus its unknown records: must give its bytes. */
function reencode(m: { records: readonly Bolt12Record[]; unknownRecords: readonly Bolt12Record[] } & object): Uint8Array {
  const known = encodeFields(m as never);
  const all = [...known, ...m.unknownRecords].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return joinRecords(all);
}

function checkOffer(p: OfferParams, o: Offer): void {
  expect(o.offerDescription).toBe(p.description);
  expect(o.offerAmount).toBe(p.amountMsat ?? p.amount?.value);
  expect(o.offerCurrency).toBe(p.amount?.currency);
  expect(o.offerChains).toEqual(p.chains);
  expect(o.offerMetadata).toEqual(p.metadata);
  expect(o.offerAbsoluteExpiry).toBe(p.absoluteExpiry);
  expect(o.offerIssuer).toBe(p.issuer);
  expect(o.offerQuantityMax).toBe(p.quantityMax);
  expect(o.offerIssuerId).toEqual(p.issuerId);
  expect(o.offerPaths).toEqual(p.paths);
  expect(o.unknownRecords.map((r) => ({ type: r.type, value: r.value }))).toEqual([...(p.extra ?? [])].sort((a, b) => (a.type < b.type ? -1 : 1)));
}

describe('round trips (build → encode → decode → equal)', () => {
  it('offers', () => {
    fc.assert(
      fc.property(offerParams, (p) => {
        const o = new OfferBuilder(p).build();
        const back = decodeOffer(o.toString());
        expect(back.bytes).toEqual(o.bytes);
        checkOffer(p, back);
        expect(reencode(back)).toEqual(back.bytes);
        expect(decodeOffer(o.toString(true)).bytes).toEqual(o.bytes);
        expect(back.offerId).toEqual(sha256(o.bytes));
      }),
      { numRuns: RUNS },
    );
  });

  const refundParams = fc.record(
    {
      amountMsat: positiveU64,
      description: text,
      absoluteExpiry: time,
      issuer: text,
      chain: fc.constantFrom(CHAIN_HASH.mainnet, CHAIN_HASH.testnet, CHAIN_HASH.regtest),
      quantity: u64,
      payerNote: text,
      paths,
      features: oddFeatures,
      bip353Name: fc.record({ name: fc.stringMatching(/^[0-9a-zA-Z._-]{0,20}$/), domain: fc.stringMatching(/^[0-9a-zA-Z._-]{1,30}$/) }),
      metadata: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      signed: fc.boolean(),
      extra: extra([[1n, 159n], [1_000_000_000n, 2_999_999_999n]], INVREQ_KNOWN),
      seed: fc.integer({ min: 0, max: 39 }),
    },
    { requiredKeys: ['amountMsat', 'description', 'seed'] },
  );

  it('refunds (signed and unsigned)', () => {
    fc.assert(
      fc.property(refundParams, (p) => {
        const { seed, ...rest } = p;
        const r = new RefundBuilder({ ...rest, nodeSecret: SECRETS[seed]!, random: (n: number) => new Uint8Array(n).fill(seed + 1) }).build();
        const back = decodeRefund(r.toString());
        expect(back.bytes).toEqual(r.bytes);
        expect([back.invreqAmount, back.offerDescription, back.offerIssuer, back.invreqQuantity, back.invreqPayerNote]).toEqual([
          p.amountMsat,
          p.description,
          p.issuer,
          p.quantity,
          p.payerNote,
        ]);
        expect(back.offerAbsoluteExpiry).toBe(p.absoluteExpiry);
        expect(back.invreqPaths).toEqual(p.paths);
        expect(back.invreqBip353Name).toEqual(p.bip353Name);
        expect(back.isSigned).toBe(!!p.signed);
        expect(back.isOwn(SECRETS[seed]!)).toBe(true);
        expect(back.unknownRecords.map((x) => x.type)).toEqual((p.extra ?? []).map((x) => x.type).sort((a, b) => (a < b ? -1 : 1)));
        expect(reencode(back)).toEqual(back.bytes);
        expect(decodeBolt12String(r.toString()).type).toBe('refund');
      }),
      { numRuns: RUNS },
    );
  });

  /** An offer and request parameters that satisfy it. */
  const requestCase = offerParams.chain((op) => {
    const o = new OfferBuilder(op).build();
    const qty = o.offerQuantityMax === undefined ? fc.constant(undefined) : fc.bigInt({ min: 1n, max: o.offerQuantityMax === 0n ? 1000n : o.offerQuantityMax });
    return fc.record({
      offer: fc.constant(o),
      quantity: qty,
      extraAmount: fc.bigInt({ min: 0n, max: 1000n }),
      setAmount: fc.boolean(),
      chain: fc.constantFrom(...o.chains),
      payerNote: fc.option(text, { nil: undefined }),
      features: fc.option(oddFeatures, { nil: undefined }),
      paths: fc.option(paths, { nil: undefined }),
      extra: extra([[81n, 159n], [2_000_000_000n, 2_999_999_999n]], INVREQ_KNOWN),
      payer: fc.integer({ min: 0, max: 39 }),
      metadata: fc.uint8Array({ minLength: 1, maxLength: 32 }),
    });
  });

  function buildRequest(c: fc.Arbitrary<unknown> extends never ? never : any) {
    const o: Offer = c.offer;
    const expected = o.expectedAmountMsat(c.quantity);
    let amountMsat: bigint | undefined;
    if (o.offerAmount === undefined || c.setAmount) amountMsat = (expected ?? 1n) + c.extraAmount;
    if (amountMsat !== undefined && amountMsat > 0xffff_ffff_ffff_ffffn) amountMsat = undefined;
    if (amountMsat === undefined && o.offerAmount === undefined) amountMsat = 1n;
    return new InvoiceRequestBuilder(o, {
      payerSecret: SECRETS[c.payer]!,
      metadata: c.metadata,
      quantity: c.quantity,
      amountMsat,
      chain: c.chain,
      payerNote: c.payerNote,
      features: c.features,
      paths: c.paths,
      extra: c.extra,
    }).build();
  }

  it('invoice requests', () => {
    fc.assert(
      fc.property(requestCase, (c) => {
        const req = (() => {
          try {
            return buildRequest(c);
          } catch (e) {
            // Only when the expected amount overflows u64 (a huge offer_amount × quantity).
            expect((e as { code?: string }).code).toMatch(/INVALID_AMOUNT|INVALID_PARAMETER/);
            return undefined;
          }
        })();
        if (!req) return;
        const back = decodeInvoiceRequest(req.toString());
        expect(back.bytes).toEqual(req.bytes);
        expect(back.matchesOffer(c.offer)).toBe(true);
        expect(back.invreqQuantity).toBe(c.quantity);
        expect(back.invreqPayerNote).toBe(c.payerNote);
        expect(back.invreqPaths).toEqual(c.paths);
        expect(back.invreqPayerId).toEqual(PUBS[c.payer]);
        expect(back.unknownRecords.map((x) => x.type)).toEqual(
          [...c.offer.unknownRecords.map((x: Bolt12Record) => x.type), ...c.extra.map((x: ExtraRecord) => x.type)].sort((a, b) => (a < b ? -1 : 1)),
        );
        expect(reencode(back)).toEqual(back.bytes);
      }),
      { numRuns: RUNS },
    );
  });

  const payInfo: fc.Arbitrary<BlindedPayInfo> = fc.record({
    feeBaseMsat: fc.integer({ min: 0, max: 0xffff_ffff }),
    feeProportionalMillionths: fc.integer({ min: 0, max: 0xffff_ffff }),
    cltvExpiryDelta: fc.integer({ min: 0, max: 0xffff }),
    htlcMinimumMsat: u64,
    htlcMaximumMsat: u64,
    features: oddFeatures,
  });
  // Writers "MUST set each `fallback_address` with `version` as a valid witness version and
  // `address` as a valid witness program" (readers ignore others: tested in decode-rpc.test.ts).
  const fallback: fc.Arbitrary<FallbackAddress> = fc.oneof(
    fc.record({ version: fc.constant(0), address: fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ minLength: 32, maxLength: 32 })) }),
    fc.record({ version: fc.integer({ min: 1, max: 16 }), address: fc.uint8Array({ minLength: 2, maxLength: 40 }) }),
  );
  const invoiceParams = fc.array(fc.tuple(blindedPath, payInfo), { minLength: 1, maxLength: 3 }).chain((pp) =>
    fc.record(
      {
        paths: fc.constant(pp.map((x) => x[0])),
        blindedPay: fc.constant(pp.map((x) => x[1])),
        paymentHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
        createdAt: time,
        relativeExpiry: fc.integer({ min: 0, max: 0xffff_ffff }),
        features: fc.oneof(oddFeatures, fc.constant(featuresFromBits([16]))),
        fallbacks: fc.array(fallback, { maxLength: 2 }),
        extra: extra([[161n, 239n], [3_000_000_000n, 3_999_999_999n]], () => false),
      },
      { requiredKeys: ['paths', 'blindedPay', 'paymentHash', 'createdAt'] },
    ),
  );

  function checkInvoice(inv: Invoice, p: any): void {
    const back = decodeInvoice(inv.toString());
    expect(back.bytes).toEqual(inv.bytes);
    expect(back.invoicePaths).toEqual(p.paths);
    expect(back.invoiceBlindedpay).toEqual(p.blindedPay);
    expect(back.invoicePaymentHash).toEqual(p.paymentHash);
    expect(back.invoiceCreatedAt).toBe(p.createdAt);
    expect(back.invoiceRelativeExpiry).toBe(p.relativeExpiry);
    expect(back.invoiceFallbacks).toEqual(p.fallbacks);
    expect(reencode(back)).toEqual(back.bytes);
    expect(decodeBolt12String(inv.toString(true)).type).toBe('invoice');
  }

  it('invoices answering refunds', () => {
    fc.assert(
      fc.property(refundParams, invoiceParams, fc.integer({ min: 0, max: 39 }), (rp, ip, signer) => {
        const { seed, ...rest } = rp;
        const refund = new RefundBuilder({ ...rest, nodeSecret: SECRETS[seed]!, random: (n: number) => new Uint8Array(n).fill(seed + 1) }).build();
        const inv = refund.respondWith(ip).build(SECRETS[signer]!);
        checkInvoice(inv, ip);
        expect(inv.invoiceAmount).toBe(rp.amountMsat);
        expect(inv.invoiceNodeId).toEqual(PUBS[signer]);
        inv.checkRespondsTo(refund);
        expect(inv.unknownRecords.map((x) => x.type)).toEqual(
          [...refund.unknownRecords.map((x) => x.type), ...(ip.extra ?? []).map((x) => x.type)].sort((a, b) => (a < b ? -1 : 1)),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('invoices answering invoice requests', () => {
    fc.assert(
      fc.property(requestCase, invoiceParams, fc.bigInt({ min: 1n, max: 1n << 50n }), (c, ip, fiatMsat) => {
        let req;
        try {
          req = buildRequest(c);
        } catch {
          return;
        }
        const o: Offer = c.offer;
        // Signed by the issuer id, or by a final blinded node id of the offer's paths.
        let secret: Uint8Array;
        if (o.offerIssuerId) secret = SECRETS[PUBS.findIndex((k) => k.every((b, i) => b === o.offerIssuerId![i]))]!;
        else {
          const fin = o.offerPaths![0]!.hops.at(-1)!.blindedNodeId;
          secret = SECRETS[PUBS.findIndex((k) => k.every((b, i) => b === fin[i]))]!;
        }
        const needsAmount = req.invreqAmount === undefined && o.offerCurrency !== undefined;
        const inv = req.respondWith({ ...ip, amountMsat: needsAmount ? fiatMsat : undefined }).build(secret);
        checkInvoice(inv, ip);
        inv.checkRespondsTo(req);
        expect(inv.offerId).toEqual(o.offerId);
        expect(inv.invoiceAmount).toBe(req.invreqAmount ?? o.expectedAmountMsat(req.invreqQuantity) ?? fiatMsat);
      }),
      { numRuns: RUNS },
    );
  });

  it('invoice errors (both wire forms)', () => {
    fc.assert(
      fc.property(
        text,
        fc.option(u64, { nil: undefined }),
        fc.option(bytes(), { nil: undefined }),
        (error, erroneousField, suggested) => {
          const suggestedValue = erroneousField === undefined ? undefined : suggested;
          const e = InvoiceError.create({ error, erroneousField, suggestedValue });
          for (const wire of [e.bytes, e.toLengthPrefixed()]) {
            const back = invoiceErrorFromBytes(wire);
            expect([back.error, back.erroneousField, back.suggestedValue]).toEqual([error, erroneousField, suggestedValue]);
            expect(back.bytes).toEqual(e.bytes);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('expiry is relative to the `now` passed in', () => {
  it('offers, refunds and invoices', () => {
    const o = new OfferBuilder({ issuerId: PUBS[0], absoluteExpiry: NOW }).build();
    expect(() => decodeOffer(o.toString(), { now: NOW })).not.toThrow();
    expect(() => decodeOffer(o.toString(), { now: NOW + 1 })).toThrow(/EXPIRED/);
  });
});
