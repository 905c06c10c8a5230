// Shared fixtures for the BOLT 12 tests: keys, blinded paths, pay infos, and a way to sign an
// arbitrary (even invalid) invoice so each reader rule can be tested alone.
import { deterministicRandom, publicKey, sha256, type RandomSource } from '../../src/crypto/index.ts';
import {
  encodeFields,
  joinRecords,
  makeRecord,
  signRecords,
  SIGNATURE_TYPE,
  type BlindedPath,
  type BlindedPayInfo,
  type Bolt12Fields,
  type Bolt12Record,
} from '../../src/bolt12/index.ts';

/** A secret key made of one repeated byte (0x01…0x7f are all valid scalars). */
export function key(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}
export function pub(byte: number): Uint8Array {
  return publicKey(key(byte));
}

/** A blinded path with `hops` hops through node `intro` (keys made from small bytes). */
export function blindedPath(intro: number, hops = 2, seed = 0): BlindedPath {
  return {
    introductionNode: { kind: 'pubkey', nodeId: pub(intro) },
    firstPathKey: pub(0x20 + (seed % 16)),
    hops: Array.from({ length: hops }, (_, i) => ({
      blindedNodeId: pub(0x30 + ((i + seed) % 16)),
      encryptedRecipientData: new Uint8Array(16 + i).fill(i + 1),
    })),
  };
}

export function payInfo(features: Uint8Array = new Uint8Array(0)): BlindedPayInfo {
  return {
    feeBaseMsat: 1000,
    feeProportionalMillionths: 100,
    cltvExpiryDelta: 144,
    htlcMinimumMsat: 1n,
    htlcMaximumMsat: 1_000_000_000n,
    features,
  };
}

export const NODE_SECRET = key(0x11);
export const NODE_ID = pub(0x11);
export const PAYMENT_HASH = sha256(new Uint8Array([1, 2, 3]));
export const NOW = 1_750_000_000;

export function rng(seed = 'bolt12-test'): RandomSource {
  return deterministicRandom(seed);
}

/**
 * Sign a stream made of `fields` plus `extra` records with `secret` (as `invoice` or
 * `invoice_request`), whatever the fields say: for testing readers on messages no builder makes.
 */
export function signedStream(
  message: 'invoice' | 'invoice_request',
  fields: Bolt12Fields,
  secret: Uint8Array,
  extra: Bolt12Record[] = [],
): Uint8Array {
  const records = [...encodeFields(fields), ...extra].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  const sig = signRecords(message, records, secret);
  return joinRecords([...records, makeRecord(SIGNATURE_TYPE, sig)].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0)));
}

/** The fields of a minimal valid invoice answering a refund, signed by key(0x55). */
export function refundInvoiceFields(): Bolt12Fields {
  return {
    invreqMetadata: new Uint8Array(16).fill(7),
    offerDescription: 'refund',
    invreqAmount: 5000n,
    invreqPayerId: pub(0x44),
    invoicePaths: [blindedPath(0x55, 1)],
    invoiceBlindedpay: [payInfo()],
    invoiceCreatedAt: NOW,
    invoicePaymentHash: PAYMENT_HASH,
    invoiceAmount: 5000n,
    invoiceNodeId: pub(0x55),
  };
}
