// BOLT 12 reader and writer requirements, message by message: offers, invoice requests, refunds
// (signed and unsigned), invoices answering each, invoice errors (both wire forms), and the
// string dispatcher. Each refused message names its reason.
import { describe, expect, it } from 'vitest';
import {
  Bolt12Error,
  decodeBolt12String,
  decodeInvoice,
  decodeInvoiceRequest,
  decodeOffer,
  decodeRefund,
  derivePayerKey,
  encodeBolt12String,
  invoiceErrorFromBytes,
  InvoiceError,
  invoiceFromBytes,
  invoiceRequestFromBytes,
  InvoiceRequestBuilder,
  isOwnPayerKey,
  makeRecord,
  OfferBuilder,
  offerFromBytes,
  RefundBuilder,
  refundFromBytes,
  inspectBolt12String,
  joinRecords,
  parseRecords,
  type Bolt12ErrorCode,
  type Bolt12Fields,
  type InvoiceRequestParams,
  type Offer,
} from '../../src/bolt12/index.ts';
import { CHAIN_HASH } from '../../src/wire/chains.ts';
import { featuresFromBits } from '../../src/wire/features.ts';
import { publicKey, sha256 } from '../../src/crypto/index.ts';
import { bytesEqual, toHex } from '../../src/util/bytes.ts';
import { blindedPath, key, NODE_ID, NODE_SECRET, NOW, PAYMENT_HASH, payInfo, pub, refundInvoiceFields, rng, signedStream } from './helpers.ts';

function code(fn: () => unknown): Bolt12ErrorCode {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Bolt12Error);
    return (e as Bolt12Error).code;
  }
  throw new Error('expected a Bolt12Error');
}
function err(fn: () => unknown): Bolt12Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Bolt12Error);
    return e as Bolt12Error;
  }
  throw new Error('expected a Bolt12Error');
}

const ISSUER_SECRET = key(0x22);
const ISSUER_ID = pub(0x22);

function offer(extra: Partial<ConstructorParameters<typeof OfferBuilder>[0]> = {}): Offer {
  return new OfferBuilder({ issuerId: ISSUER_ID, description: 'coffee', amountMsat: 3000n, ...extra }).build();
}

describe('offers', () => {
  it('builds, encodes and decodes field for field', () => {
    const o = offer({ issuer: 'bolt12d.example', quantityMax: 5n, absoluteExpiry: NOW + 3600, metadata: new Uint8Array([1, 2]) });
    const back = decodeOffer(o.toString(), { now: NOW });
    expect(back.bytes).toEqual(o.bytes);
    expect([back.offerDescription, back.offerAmount, back.offerIssuer, back.offerQuantityMax]).toEqual(['coffee', 3000n, 'bolt12d.example', 5n]);
    expect(back.offerAbsoluteExpiry).toBe(NOW + 3600);
    expect(toHex(back.offerIssuerId!)).toBe(toHex(ISSUER_ID));
    expect(back.offerId).toEqual(sha256(o.bytes));
    expect(back.expectedAmountMsat(3n)).toBe(9000n);
    // Uppercase for QR codes reads back the same.
    expect(decodeOffer(o.toString(true)).bytes).toEqual(o.bytes);
  });

  it('refuses what a reader must not respond to', () => {
    expect(code(() => offer({ amountMsat: 0n }))).toBe('INVALID_AMOUNT');
    expect(code(() => new OfferBuilder({ issuerId: ISSUER_ID, amountMsat: 5n }).build())).toBe('MISSING_DESCRIPTION');
    expect(code(() => new OfferBuilder({ description: 'x' }).build())).toBe('MISSING_ISSUER_ID');
    expect(code(() => offer({ amountMsat: undefined, amount: { value: 100n, currency: 'usd' } }))).toBe('INVALID_CURRENCY');
    expect(code(() => offer({ chains: [] }))).toBe('EMPTY_CHAINS');
    expect(code(() => offer({ features: featuresFromBits([20]) }))).toBe('UNKNOWN_REQUIRED_FEATURE');
    expect(code(() => offer({ extra: [{ type: 40n, value: new Uint8Array(1) }] }))).toBe('UNKNOWN_EVEN_TYPE');
    expect(code(() => offer({ extra: [{ type: 81n, value: new Uint8Array(1) }] }))).toBe('TYPE_OUT_OF_RANGE');
    // Expired, chain not accepted: context the reader passes in.
    const o = offer({ absoluteExpiry: NOW });
    expect(code(() => decodeOffer(o.toString(), { now: NOW + 1 }))).toBe('EXPIRED');
    expect(decodeOffer(o.toString(), { now: NOW }).isExpired(NOW)).toBe(false);
    expect(code(() => decodeOffer(o.toString(), { chains: [CHAIN_HASH.regtest] }))).toBe('UNSUPPORTED_CHAIN');
    expect(decodeOffer(offer({ chains: [CHAIN_HASH.regtest] }).toString(), { chains: [CHAIN_HASH.regtest] }).chains).toEqual([CHAIN_HASH.regtest]);
  });

  it('offers with paths and no issuer id, fiat amounts and odd features are fine', () => {
    const o = new OfferBuilder({ paths: [blindedPath(0x33)], amount: { value: 250n, currency: 'EUR' }, description: 'book', features: featuresFromBits([21]) }).build();
    const back = decodeOffer(o.toString());
    expect(back.offerIssuerId).toBeUndefined();
    expect([back.offerCurrency, back.offerAmount]).toEqual(['EUR', 250n]);
    expect(back.expectedAmountMsat()).toBeUndefined();
  });

  it('rejects a string of the wrong kind', () => {
    expect(code(() => decodeOffer('lnr1qqqq'))).toBe('UNKNOWN_PREFIX');
  });
});

describe('invoice requests answering an offer', () => {
  const o = offer({ quantityMax: 10n });

  it('are built signed, copy the offer and verify', () => {
    const req = new InvoiceRequestBuilder(o, { nodeSecret: NODE_SECRET, random: rng(), quantity: 2n, payerNote: 'hi' }).build();
    const back = decodeInvoiceRequest(req.toString(), { now: NOW });
    expect(back.bytes).toEqual(req.bytes);
    expect(back.matchesOffer(o)).toBe(true);
    expect(back.offer.bytes).toEqual(o.bytes);
    expect(back.offerId).toEqual(o.offerId);
    expect(back.invreqPayerNote).toBe('hi');
    expect(isOwnPayerKey(NODE_SECRET, back.invreqMetadata, back.invreqPayerId)).toBe(true);
    expect(back.invreqPayerId).not.toEqual(NODE_ID);
    // A different offer does not match.
    expect(back.matchesOffer(offer({ quantityMax: 9n }))).toBe(false);
    expect(decodeBolt12String(req.toString()).type).toBe('invoice_request');
  });

  it('refuse quantity and amount violations', () => {
    const mk = (p: Partial<InvoiceRequestParams>, off = o) =>
      new InvoiceRequestBuilder(off, { payerSecret: key(0x66), metadata: new Uint8Array(8), ...p }).build();
    expect(code(() => mk({}))).toBe('MISSING_QUANTITY');
    expect(code(() => mk({ quantity: 11n }))).toBe('INVALID_QUANTITY');
    expect(code(() => mk({ quantity: 0n }))).toBe('INVALID_QUANTITY');
    expect(code(() => mk({ quantity: 2n, amountMsat: 5999n }))).toBe('INSUFFICIENT_AMOUNT');
    expect(mk({ quantity: 2n, amountMsat: 6000n }).invreqAmount).toBe(6000n);
    const single = offer();
    expect(code(() => mk({ quantity: 1n }, single))).toBe('UNEXPECTED_QUANTITY');
    const noAmount = new OfferBuilder({ issuerId: ISSUER_ID, description: 'tip jar' }).build();
    expect(code(() => mk({}, noAmount))).toBe('MISSING_AMOUNT');
    expect(code(() => mk({ chain: CHAIN_HASH.testnet }, single))).toBe('UNSUPPORTED_CHAIN');
  });

  it('must be signed by invreq_payer_id', () => {
    const req = new InvoiceRequestBuilder(o, { payerSecret: key(0x66), metadata: new Uint8Array(8), quantity: 1n }).build();
    const unsigned = req.records.filter((r) => r.type !== 240n);
    const bytes = Uint8Array.from(unsigned.flatMap((r) => [...r.raw]));
    expect(code(() => invoiceRequestFromBytes(bytes))).toBe('MISSING_SIGNATURE');
    // Signed by another key.
    const f: Bolt12Fields = { ...inspectBolt12String(req.toString()).parsed.fields };
    delete f.signature;
    expect(code(() => invoiceRequestFromBytes(signedStream('invoice_request', f, key(0x67), unknownOf(o))))).toBe('INVALID_SIGNATURE');
    expect(code(() => decodeRefund(req.toString()))).toBe('NOT_A_REFUND');
  });

  it('require invreq_metadata and invreq_payer_id', () => {
    const base = inspectBolt12String(new InvoiceRequestBuilder(o, { payerSecret: key(0x66), metadata: new Uint8Array(8), quantity: 1n }).build().toString()).parsed.fields;
    const noMeta: Bolt12Fields = { ...base, signature: undefined, invreqMetadata: undefined };
    expect(code(() => invoiceRequestFromBytes(signedStream('invoice_request', noMeta, key(0x66))))).toBe('MISSING_PAYER_METADATA');
    const noPayer: Bolt12Fields = { ...base, signature: undefined, invreqPayerId: undefined };
    expect(code(() => invoiceRequestFromBytes(signedStream('invoice_request', noPayer, key(0x66))))).toBe('MISSING_PAYER_ID');
  });

  it('refuse a bad BIP 353 name', () => {
    const req = (name: string) =>
      new InvoiceRequestBuilder(o, { payerSecret: key(0x66), metadata: new Uint8Array(8), quantity: 1n, bip353Name: { name, domain: 'example.com' } }).build();
    expect(req('satoshi_n-1.x').invreqBip353Name).toEqual({ name: 'satoshi_n-1.x', domain: 'example.com' });
    expect(err(() => req('sa toshi')).field).toBe('invreq_bip_353_name.name');
  });
});

function unknownOf(o: Offer) {
  return o.unknownRecords.map((r) => makeRecord(r.type, r.value));
}

describe('refunds', () => {
  const params = { nodeSecret: NODE_SECRET, random: rng('refund'), amountMsat: 50_000n, description: 'refund #42', absoluteExpiry: NOW + 86400 };

  it('are unsigned by default, with a fresh derived payer key and random metadata', () => {
    const r1 = new RefundBuilder({ ...params, random: rng('a') }).build();
    const r2 = new RefundBuilder({ ...params, random: rng('b') }).build();
    expect(r1.isSigned).toBe(false);
    expect(r1.invreqMetadata).toHaveLength(16);
    expect(r1.invreqMetadata).not.toEqual(r2.invreqMetadata);
    expect(r1.invreqPayerId).not.toEqual(r2.invreqPayerId);
    expect(r1.isOwn(NODE_SECRET)).toBe(true);
    expect(r1.isOwn(key(0x12))).toBe(false);
    expect(publicKey(r1.payerSecret(NODE_SECRET))).toEqual(r1.invreqPayerId);
    expect(derivePayerKey(NODE_SECRET, r1.invreqMetadata).publicKey).toEqual(r1.invreqPayerId);
    expect(code(() => r1.payerSecret(key(0x12)))).toBe('INVALID_PARAMETER');
    const back = decodeRefund(r1.toString(), { now: NOW });
    expect(back.bytes).toEqual(r1.bytes);
    expect([back.invreqAmount, back.offerDescription, back.offerAbsoluteExpiry]).toEqual([50_000n, 'refund #42', NOW + 86400]);
    expect(decodeBolt12String(r1.toString()).type).toBe('refund');
    expect(code(() => decodeInvoiceRequest(r1.toString()))).toBe('NOT_AN_OFFER_RESPONSE');
  });

  it('are signed on request (Core Lightning style), and the signature is checked', () => {
    const signed = new RefundBuilder({ ...params, signed: true }).build();
    expect(signed.isSigned).toBe(true);
    expect(decodeRefund(signed.toString()).signature).toEqual(signed.signature);
    // Sign later, from the node secret alone; strip again for LDK.
    const later = new RefundBuilder(params).build().withSignature(NODE_SECRET);
    expect(later.isSigned).toBe(true);
    expect(later.withoutSignature().isSigned).toBe(false);
    // A corrupted signature is refused.
    const bytes = Uint8Array.from(signed.bytes);
    bytes[bytes.length - 1]! ^= 0x80;
    expect(code(() => refundFromBytes(bytes))).toBe('INVALID_SIGNATURE');
  });

  it('refuse what a refund must not be', () => {
    expect(code(() => new RefundBuilder({ ...params, amountMsat: 0n }).build())).toBe('INVALID_AMOUNT');
    expect(code(() => decodeRefund(new RefundBuilder(params).build().toString(), { now: NOW + 86401 }))).toBe('EXPIRED');
    const f: Bolt12Fields = { invreqMetadata: new Uint8Array(4), offerDescription: 'x', invreqPayerId: pub(0x44) };
    const unsignedBytes = (g: Bolt12Fields) => signedStream('invoice_request', g, key(0x44)).subarray(0);
    expect(code(() => refundFromBytes(unsignedBytes(f)))).toBe('MISSING_AMOUNT');
    expect(err(() => refundFromBytes(unsignedBytes({ ...f, invreqAmount: 1n, offerChains: [CHAIN_HASH.mainnet] }))).field).toBe('offer_chains');
    expect(code(() => refundFromBytes(unsignedBytes({ ...f, invreqAmount: 1n, offerQuantityMax: 1n })))).toBe('UNEXPECTED_FIELD');
    expect(code(() => refundFromBytes(unsignedBytes({ ...f, invreqAmount: 1n, offerFeatures: new Uint8Array(1) })))).toBe('UNEXPECTED_FIELD');
    // invreq_payer_id off the curve, unsigned and signed.
    const offCurve = Uint8Array.from([3, ...new Uint8Array(32).fill(3)]);
    const noPayer: Bolt12Fields = { ...f, invreqAmount: 1n, invreqPayerId: undefined };
    const signedBad = signedStream('invoice_request', noPayer, key(0x44), [makeRecord(88n, offCurve)]);
    const unsigned = joinRecords(parseRecords(signedBad, 'invoice_request').filter((r) => r.type !== 240n));
    expect(err(() => refundFromBytes(unsigned))).toMatchObject({ code: 'INVALID_POINT', field: 'invreq_payer_id' });
    expect(err(() => refundFromBytes(signedStream('invoice_request', noPayer, key(0x44), [makeRecord(88n, offCurve)])))).toMatchObject({ code: 'INVALID_POINT', field: 'invreq_payer_id' });
  });
});

describe('invoices answering a refund', () => {
  const refund = new RefundBuilder({ nodeSecret: NODE_SECRET, random: rng('r'), amountMsat: 7000n, description: 'give back', paths: [blindedPath(0x11, 2)] }).build();
  const invoiceSecret = key(0x55);
  const build = (extra: object = {}) =>
    refund.respondWith({ paymentHash: PAYMENT_HASH, createdAt: NOW, paths: [blindedPath(0x55, 1)], blindedPay: [payInfo()], ...extra }).build(invoiceSecret);

  it('mirror the refund, carry its amount and verify', () => {
    const inv = build({ relativeExpiry: 600, features: featuresFromBits([17]) });
    const back = decodeInvoice(inv.toString(), { now: NOW + 600 });
    expect(back.bytes).toEqual(inv.bytes);
    expect(back.invoiceAmount).toBe(7000n);
    expect(back.invoiceNodeId).toEqual(pub(0x55));
    expect(back.expiresAt).toBe(NOW + 600);
    expect(back.isForRefund).toBe(true);
    expect(back.offerId).toBeUndefined();
    expect(back.respondsTo(refund)).toBe(true);
    back.checkRespondsTo(refund);
    expect(back.usablePaths().map((u) => u.index)).toEqual([0]);
    expect(code(() => decodeInvoice(inv.toString(), { now: NOW + 601 }))).toBe('EXPIRED');
    const other = new RefundBuilder({ nodeSecret: NODE_SECRET, random: rng('s'), amountMsat: 7000n, description: 'give back' }).build();
    expect(err(() => back.checkRespondsTo(other))).toMatchObject({ code: 'FIELD_MISMATCH', field: 'invreq_metadata' });
    expect(decodeBolt12String(inv.toString()).type).toBe('invoice');
  });

  it('default expiry is 7200 seconds', () => {
    const inv = build();
    expect(inv.invoiceRelativeExpiry).toBeUndefined();
    expect(inv.expiresAt).toBe(NOW + 7200);
    expect(inv.isExpired(NOW + 7200)).toBe(false);
    expect(inv.isExpired(NOW + 7201)).toBe(true);
  });

  it('the builder refuses a wrong amount, no paths, mismatched payinfo', () => {
    expect(code(() => build({ amountMsat: 7001n }))).toBe('AMOUNT_MISMATCH');
    expect(code(() => build({ paths: [] }))).toBe('MISSING_PATHS');
    expect(code(() => build({ blindedPay: [payInfo(), payInfo()] }))).toBe('BLINDEDPAY_MISMATCH');
    expect(code(() => build({ extra: [{ type: 178n, value: new Uint8Array(1) }] }))).toBe('UNKNOWN_EVEN_TYPE');
    expect(err(() => build({ fallbacks: [{ version: 0, address: new Uint8Array(21) }] }))).toMatchObject({ code: 'INVALID_PARAMETER', field: 'invoice_fallbacks[0]' });
    expect(build({ fallbacks: [{ version: 1, address: new Uint8Array(32).fill(1) }] }).invoiceFallbacks).toHaveLength(1);
    expect(build({ extra: [{ type: 3_000_000_001n, value: new Uint8Array([9]) }] }).unknownRecords.map((r) => r.type)).toEqual([3_000_000_001n]);
  });

  it('the reader refuses each missing or inconsistent field', () => {
    const f = refundInvoiceFields();
    const s = key(0x55);
    const without = (k: keyof Bolt12Fields): Bolt12Fields => ({ ...f, [k]: undefined });
    expect(invoiceFromBytes(signedStream('invoice', f, s)).invoiceAmount).toBe(5000n);
    expect(err(() => invoiceFromBytes(signedStream('invoice', without('invoiceAmount'), s)))).toMatchObject({ code: 'MISSING_AMOUNT', field: 'invoice_amount' });
    expect(code(() => invoiceFromBytes(signedStream('invoice', without('invoiceCreatedAt'), s)))).toBe('MISSING_CREATED_AT');
    expect(code(() => invoiceFromBytes(signedStream('invoice', without('invoicePaymentHash'), s)))).toBe('MISSING_PAYMENT_HASH');
    expect(code(() => invoiceFromBytes(signedStream('invoice', without('invoiceNodeId'), s)))).toBe('MISSING_NODE_ID');
    expect(code(() => invoiceFromBytes(signedStream('invoice', without('invoicePaths'), s)))).toBe('MISSING_PATHS');
    expect(code(() => invoiceFromBytes(signedStream('invoice', { ...f, invoicePaths: [] }, s)))).toBe('MISSING_PATHS');
    expect(code(() => invoiceFromBytes(signedStream('invoice', without('invoiceBlindedpay'), s)))).toBe('MISSING_BLINDEDPAY');
    expect(code(() => invoiceFromBytes(signedStream('invoice', { ...f, invoiceBlindedpay: [payInfo(), payInfo()] }, s)))).toBe('BLINDEDPAY_MISMATCH');
    expect(code(() => invoiceFromBytes(signedStream('invoice', { ...f, invoiceBlindedpay: [payInfo(featuresFromBits([8]))] }, s)))).toBe('NO_USABLE_PATHS');
    // One unusable path among two: fine, the other is used.
    const two = invoiceFromBytes(signedStream('invoice', { ...f, invoicePaths: [blindedPath(1, 1), blindedPath(2, 1)], invoiceBlindedpay: [payInfo(featuresFromBits([8])), payInfo(featuresFromBits([9]))] }, s));
    expect(two.usablePaths().map((u) => u.index)).toEqual([1]);
    expect(code(() => invoiceFromBytes(signedStream('invoice', { ...f, invoiceFeatures: featuresFromBits([18]) }, s)))).toBe('UNKNOWN_REQUIRED_FEATURE');
    expect(invoiceFromBytes(signedStream('invoice', { ...f, invoiceFeatures: featuresFromBits([16]) }, s)).invoiceFeatures).toEqual(featuresFromBits([16]));
    expect(code(() => invoiceFromBytes(signedStream('invoice', { ...f, invoiceAmount: 5001n }, s)))).toBe('AMOUNT_MISMATCH');
    expect(code(() => invoiceFromBytes(signedStream('invoice', without('invreqMetadata'), s)))).toBe('MISSING_PAYER_METADATA');
    expect(code(() => invoiceFromBytes(signedStream('invoice', without('invreqPayerId'), s)))).toBe('MISSING_PAYER_ID');
    expect(code(() => invoiceFromBytes(signedStream('invoice', f, key(0x56))))).toBe('INVALID_SIGNATURE');
    // A node id off the curve (the offers vector's 03 03…03): named as such, signed or not.
    const offCurve = Uint8Array.from([3, ...new Uint8Array(32).fill(3)]);
    const bad = signedStream('invoice', { ...f, invoiceNodeId: undefined }, s, [makeRecord(176n, offCurve)]);
    expect(err(() => invoiceFromBytes(bad))).toMatchObject({ code: 'INVALID_POINT', field: 'invoice_node_id' });
    const badPayer = signedStream('invoice', { ...f, invreqPayerId: undefined }, s, [makeRecord(88n, offCurve)]);
    expect(err(() => invoiceFromBytes(badPayer))).toMatchObject({ code: 'INVALID_POINT', field: 'invreq_payer_id' });
    const unsigned = signedStream('invoice', f, s).subarray(0);
    const noSig = Uint8Array.from(invoiceFromBytes(unsigned).records.filter((r) => r.type !== 240n).flatMap((r) => [...r.raw]));
    expect(code(() => invoiceFromBytes(noSig))).toBe('MISSING_SIGNATURE');
    expect(code(() => invoiceFromBytes(signedStream('invoice', f, s), { chains: [CHAIN_HASH.regtest] }))).toBe('UNSUPPORTED_CHAIN');
    expect(invoiceFromBytes(signedStream('invoice', { ...f, invreqChain: CHAIN_HASH.regtest }, s), { chains: [CHAIN_HASH.regtest] }).chain).toEqual(CHAIN_HASH.regtest);
  });
});

describe('invoices answering an invoice request', () => {
  const o = offer({ quantityMax: 0n });
  const req = new InvoiceRequestBuilder(o, { nodeSecret: NODE_SECRET, random: rng('q'), quantity: 4n }).build();
  const respond = (extra: object = {}, secret = ISSUER_SECRET) =>
    req.respondWith({ paymentHash: PAYMENT_HASH, createdAt: NOW, paths: [blindedPath(0x22, 2)], blindedPay: [payInfo()], ...extra }).build(secret);

  it('carry the expected amount (offer_amount × quantity) and the issuer id', () => {
    const inv = respond();
    expect(inv.invoiceAmount).toBe(12_000n);
    expect(inv.invoiceNodeId).toEqual(ISSUER_ID);
    expect(inv.offerId).toEqual(o.offerId);
    expect(inv.isForRefund).toBe(false);
    inv.checkRespondsTo(req);
    expect(decodeInvoice(inv.toString()).bytes).toEqual(inv.bytes);
  });

  it('must be signed by offer_issuer_id', () => {
    expect(code(() => respond({}, key(0x23)))).toBe('INVALID_NODE_ID');
  });

  it('offers with only paths: invoice_node_id is a final blinded_node_id', () => {
    const path = blindedPath(0x33, 2);
    const po = new OfferBuilder({ paths: [path], description: 'd', amountMsat: 10n }).build();
    const preq = new InvoiceRequestBuilder(po, { payerSecret: key(0x66), metadata: new Uint8Array(8) }).build();
    const finalSecret = key(0x30 + 1); // blindedPath's last hop id is pub(0x30 + 1)
    const ok = preq.respondWith({ paymentHash: PAYMENT_HASH, createdAt: NOW, paths: [path], blindedPay: [payInfo()] }).build(finalSecret);
    expect(ok.invoiceNodeId).toEqual(path.hops[1]!.blindedNodeId);
    expect(code(() => preq.respondWith({ paymentHash: PAYMENT_HASH, createdAt: NOW, paths: [path], blindedPay: [payInfo()] }).build(key(0x77)))).toBe('INVALID_NODE_ID');
  });

  it('a fiat offer needs the converted amount', () => {
    const fiat = new OfferBuilder({ issuerId: ISSUER_ID, description: 'd', amount: { value: 100n, currency: 'USD' } }).build();
    const freq = new InvoiceRequestBuilder(fiat, { payerSecret: key(0x66), metadata: new Uint8Array(8) }).build();
    const mk = (amountMsat?: bigint) => freq.respondWith({ paymentHash: PAYMENT_HASH, createdAt: NOW, paths: [blindedPath(0x22, 1)], blindedPay: [payInfo()], amountMsat }).build(ISSUER_SECRET);
    expect(code(() => mk())).toBe('MISSING_AMOUNT');
    expect(mk(123_456n).invoiceAmount).toBe(123_456n);
  });

  it('the request amount wins when present', () => {
    const r2 = new InvoiceRequestBuilder(o, { payerSecret: key(0x66), metadata: new Uint8Array(8), quantity: 1n, amountMsat: 3500n }).build();
    const inv = r2.respondWith({ paymentHash: PAYMENT_HASH, createdAt: NOW, paths: [blindedPath(0x22, 1)], blindedPay: [payInfo()] }).build(ISSUER_SECRET);
    expect(inv.invoiceAmount).toBe(3500n);
  });

  it('unknown odd fields of offer and request are mirrored and signed over', () => {
    const xo = offer({ extra: [{ type: 33n, value: new Uint8Array([1]) }, { type: 1_000_000_033n, value: new Uint8Array([2]) }] });
    const xr = new InvoiceRequestBuilder(xo, { payerSecret: key(0x66), metadata: new Uint8Array(8), extra: [{ type: 2_000_000_001n, value: new Uint8Array([3]) }] , amountMsat: 3000n}).build();
    const inv = xr.respondWith({ paymentHash: PAYMENT_HASH, createdAt: NOW, paths: [blindedPath(0x22, 1)], blindedPay: [payInfo()] }).build(ISSUER_SECRET);
    expect(inv.unknownRecords.map((r) => r.type)).toEqual([33n, 1_000_000_033n, 2_000_000_001n]);
    inv.checkRespondsTo(xr);
    expect(inv.offerId).toEqual(xo.offerId);
  });
});

describe('invoice errors', () => {
  it('round trip in the spec form', () => {
    const e = InvoiceError.create({ error: 'amount too low', erroneousField: 82n, suggestedValue: new Uint8Array([0x13, 0x88]) });
    expect(toHex(e.bytes)).toBe('01015203021388050e' + Buffer.from('amount too low').toString('hex'));
    const back = invoiceErrorFromBytes(e.bytes);
    expect([back.error, back.erroneousField, toHex(back.suggestedValue!), back.lengthPrefixed]).toEqual(['amount too low', 82n, '1388', false]);
  });

  it("read LDK 0.1's length-prefixed form too", () => {
    const e = InvoiceError.create({ error: 'RouteNotFound' });
    const ldk = e.toLengthPrefixed();
    expect(ldk[0]).toBe(e.bytes.length);
    const back = invoiceErrorFromBytes(ldk);
    expect(back.error).toBe('RouteNotFound');
    expect(back.lengthPrefixed).toBe(true);
    expect(back.bytes).toEqual(e.bytes);
  });

  it('refuse what the writer must not write', () => {
    expect(code(() => InvoiceError.create({ error: 'x', suggestedValue: new Uint8Array(1) }))).toBe('SUGGESTED_VALUE_WITHOUT_FIELD');
    expect(code(() => invoiceErrorFromBytes(Uint8Array.from([1, 1, 5])))).toBe('MISSING_ERROR_MESSAGE');
    expect(code(() => invoiceErrorFromBytes(Uint8Array.from([5, 1, 0x41, 6, 0])))).toBe('UNKNOWN_EVEN_TYPE');
    expect(invoiceErrorFromBytes(Uint8Array.from([5, 1, 0x41, 7, 1, 9])).unknownRecords.map((r) => r.type)).toEqual([7n]);
    expect(code(() => invoiceErrorFromBytes(Uint8Array.from([5, 1, 0xff])))).toBe('INVALID_UTF8');
  });
});

describe('string form', () => {
  it('encodes the prefixes CLN and LDK print', () => {
    expect(encodeBolt12String('lni', new Uint8Array([0]))).toBe('lni1qq');
    expect(code(() => decodeBolt12String('lnx1qq'))).toBe('UNKNOWN_PREFIX');
    expect(code(() => decodeBolt12String('qqqq'))).toBe('MISSING_SEPARATOR');
    expect(code(() => decodeBolt12String('lno1qb'))).toBe('INVALID_CHARACTER');
    expect(code(() => decodeBolt12String('lno1 qq'))).toBe('INVALID_CHARACTER');
    expect(code(() => offerFromBytes(Uint8Array.from([0x16, 0x21, 2])))).toBe('TRUNCATED');
  });
  it('offer ids are equal for an offer and what is built from it', () => {
    const o = offer();
    const req = new InvoiceRequestBuilder(o, { payerSecret: key(0x66), metadata: new Uint8Array(8) }).build();
    expect(bytesEqual(req.offerId, o.offerId)).toBe(true);
  });
});

describe('chains', () => {
  it('a request for a regtest-only offer is for regtest by default; bitcoin is left implicit', () => {
    const o = new OfferBuilder({ issuerId: ISSUER_ID, description: 'r', amountMsat: 1n, chains: [CHAIN_HASH.regtest] }).build();
    const req = new InvoiceRequestBuilder(o, { payerSecret: key(0x66), metadata: new Uint8Array(8) }).build();
    expect(req.invreqChain).toEqual(CHAIN_HASH.regtest);
    expect(req.chain).toEqual(CHAIN_HASH.regtest);
    expect(code(() => decodeInvoiceRequest(req.toString(), { chains: [CHAIN_HASH.mainnet] }))).toBe('UNSUPPORTED_CHAIN');
    const both = new OfferBuilder({ issuerId: ISSUER_ID, description: 'r', amountMsat: 1n, chains: [CHAIN_HASH.regtest, CHAIN_HASH.mainnet] }).build();
    const r2 = new InvoiceRequestBuilder(both, { payerSecret: key(0x66), metadata: new Uint8Array(8), chain: CHAIN_HASH.mainnet }).build();
    expect(r2.invreqChain).toBeUndefined();
  });
});
