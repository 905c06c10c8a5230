// Seeds for the BOLT 12 fuzzer: valid messages of every kind (the spec's offers and signed
// invoice_request, and messages built here), as TLV bytes with the decoder they belong to.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publicKey, sha256 } from '../../src/crypto/index.ts';
import {
  decodeBolt12StringData,
  InvoiceError,
  InvoiceRequestBuilder,
  OfferBuilder,
  RefundBuilder,
  type BlindedPath,
  type BlindedPayInfo,
} from '../../src/bolt12/index.ts';
import { CHAIN_HASH } from '../../src/wire/chains.ts';
import { featuresFromBits } from '../../src/wire/features.ts';

export type SeedKind = 'offer' | 'invoice_request' | 'refund' | 'invoice' | 'invoice_error';

export interface Seed {
  kind: SeedKind;
  bytes: Uint8Array;
}

const secret = (b: number) => new Uint8Array(32).fill(b);
const pub = (b: number) => publicKey(secret(b));

function path(intro: number, hops: number, scid = false): BlindedPath {
  return {
    introductionNode: scid ? { kind: 'scid', direction: 1, scid: (700000n << 40n) | (12n << 16n) | 1n } : { kind: 'pubkey', nodeId: pub(intro) },
    firstPathKey: pub(intro + 1),
    hops: Array.from({ length: hops }, (_, i) => ({ blindedNodeId: pub(intro + 2 + i), encryptedRecipientData: new Uint8Array(20 + i * 7).fill(i + 0x40) })),
  };
}
const payInfo = (f: number[] = []): BlindedPayInfo => ({
  feeBaseMsat: 1000,
  feeProportionalMillionths: 250,
  cltvExpiryDelta: 80,
  htlcMinimumMsat: 1000n,
  htlcMaximumMsat: 5_000_000_000n,
  features: featuresFromBits(f),
});

/** Build the corpus (deterministic). */
export function buildCorpus(): Seed[] {
  const seeds: Seed[] = [];
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'bolt12');
  const offers: { valid: boolean; bolt12: string }[] = JSON.parse(readFileSync(join(dir, 'offers-test.json'), 'utf8'));
  for (const o of offers) {
    try {
      seeds.push({ kind: 'offer', bytes: decodeBolt12StringData(o.bolt12).bytes });
    } catch {
      /* a string-form defect (padding): skip as a byte seed */
    }
  }
  const sig = JSON.parse(readFileSync(join(dir, 'signature-test.json'), 'utf8'))[3];
  seeds.push({ kind: 'invoice_request', bytes: decodeBolt12StringData(sig.bolt12).bytes });

  const offer = new OfferBuilder({
    issuerId: pub(0x21),
    description: 'fuzz coffee',
    amountMsat: 1500n,
    quantityMax: 10n,
    absoluteExpiry: 2_000_000_000,
    issuer: 'fuzz.example',
    features: featuresFromBits([33]),
    extra: [{ type: 1_000_000_001n, value: new Uint8Array([1, 2, 3]) }],
  }).build();
  const pathOffer = new OfferBuilder({ paths: [path(0x30, 2), path(0x38, 1, true)], description: 'via paths', amount: { value: 999n, currency: 'EUR' }, chains: [CHAIN_HASH.regtest] }).build();
  seeds.push({ kind: 'offer', bytes: offer.bytes }, { kind: 'offer', bytes: pathOffer.bytes });

  const req = new InvoiceRequestBuilder(offer, { payerSecret: secret(0x50), metadata: new Uint8Array(16).fill(9), quantity: 3n, amountMsat: 5000n, payerNote: 'note', bip353Name: { name: 'bob', domain: 'example.com' } }).build();
  const req2 = new InvoiceRequestBuilder(pathOffer, { payerSecret: secret(0x51), metadata: new Uint8Array(8).fill(1), chain: CHAIN_HASH.regtest, paths: [path(0x60, 1)] }).build();
  seeds.push({ kind: 'invoice_request', bytes: req.bytes }, { kind: 'invoice_request', bytes: req2.bytes });

  const random = (n: number) => new Uint8Array(n).fill(0x33);
  const refund = new RefundBuilder({ nodeSecret: secret(0x11), random, amountMsat: 42_000n, description: 'refund', absoluteExpiry: 2_000_000_000, paths: [path(0x11, 2)], payerNote: 'sorry' }).build();
  const signedRefund = new RefundBuilder({ nodeSecret: secret(0x12), random, amountMsat: 1n, description: 'signed', signed: true, chain: CHAIN_HASH.testnet, extra: [{ type: 1_000_000_011n, value: new Uint8Array(2) }] }).build();
  seeds.push({ kind: 'refund', bytes: refund.bytes }, { kind: 'refund', bytes: signedRefund.bytes });

  const ph = sha256(new Uint8Array([7]));
  const inv1 = refund.respondWith({ paymentHash: ph, createdAt: 1_700_000_000, paths: [path(0x70, 3)], blindedPay: [payInfo()], relativeExpiry: 3600, features: featuresFromBits([17]) }).build(secret(0x70));
  const inv2 = req
    .respondWith({
      paymentHash: ph,
      createdAt: 1_700_000_000,
      paths: [path(0x21, 1), path(0x24, 2, true)],
      blindedPay: [payInfo([8]), payInfo([9])],
      fallbacks: [{ version: 0, address: new Uint8Array(20).fill(5) }, { version: 1, address: new Uint8Array(32).fill(6) }],
      extra: [{ type: 3_000_000_001n, value: new Uint8Array([1]) }],
    })
    .build(secret(0x21));
  const inv3 = signedRefund.respondWith({ paymentHash: ph, createdAt: 1_700_000_000, paths: [path(0x72, 1)], blindedPay: [payInfo()] }).build(secret(0x72));
  seeds.push({ kind: 'invoice', bytes: inv1.bytes }, { kind: 'invoice', bytes: inv2.bytes }, { kind: 'invoice', bytes: inv3.bytes });

  const e1 = InvoiceError.create({ error: 'amount too low', erroneousField: 82n, suggestedValue: new Uint8Array([0x13, 0x88]) });
  const e2 = InvoiceError.create({ error: 'RouteNotFound' });
  seeds.push({ kind: 'invoice_error', bytes: e1.bytes }, { kind: 'invoice_error', bytes: e2.toLengthPrefixed() });
  return seeds;
}
