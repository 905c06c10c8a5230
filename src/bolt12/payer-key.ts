// Transient payer keys (`invreq_payer_id`) derived from the node secret and `invreq_metadata`, so a
// node can sign for (or recognise) its own refunds and invoice requests without storing a key per
// request. BOLT 12, Invoice Requests, Rationale: "a valid system might be for a node to maintain a
// base payer key and encode a 128-bit tweak here. The payer_id would be derived by tweaking the base
// key with SHA256(payer_base_pubkey || tweak)."
//
// Here the base key is a tagged hash of the node secret (so the base public key is never published
// and payer ids cannot be linked to the node id), and the tweak is the whole `invreq_metadata`.
import { isPrivateKey, privateAdd, publicKey, sha256, taggedHash, type RandomSource } from '../crypto/index.ts';
import { bytesEqual } from '../util/bytes.ts';
import { fail } from './errors.ts';

/** Length of the `invreq_metadata` our builders draw: 128 bits, as the spec's rationale suggests. */
export const PAYER_METADATA_LENGTH = 16;

const BASE_TAG = 'bolt12d/payer-base-key';

/** A derived payer key pair. */
export interface PayerKey {
  /** The secret that signs for `invreq_payer_id`. */
  secret: Uint8Array;
  /** `invreq_payer_id`: the 33-byte public key. */
  publicKey: Uint8Array;
}

/**
 * The payer key for `metadata`: secret = base + SHA256(base_pubkey || metadata) (mod n), with
 * base = H("bolt12d/payer-base-key", node_secret). Deterministic: the same node secret and
 * metadata always give the same key.
 */
export function derivePayerKey(nodeSecret: Uint8Array, metadata: Uint8Array): PayerKey {
  if (!isPrivateKey(nodeSecret)) fail('INVALID_PARAMETER', 'node_secret', 'not a valid secp256k1 secret key');
  if (!(metadata instanceof Uint8Array) || metadata.length === 0) fail('INVALID_PARAMETER', 'invreq_metadata', 'must be non-empty bytes');
  const base = taggedHash(BASE_TAG, nodeSecret);
  // A tagged hash is a valid scalar except with probability ~2^-128.
  if (!isPrivateKey(base)) fail('INVALID_PARAMETER', 'node_secret', 'derived base key out of range');
  const tweak = sha256(publicKey(base), metadata);
  const secret = privateAdd(base, tweak);
  return { secret, publicKey: publicKey(secret) };
}

/** Whether `payerId` is the key {@link derivePayerKey} gives for this node secret and metadata. */
export function isOwnPayerKey(nodeSecret: Uint8Array, metadata: Uint8Array, payerId: Uint8Array): boolean {
  try {
    return bytesEqual(derivePayerKey(nodeSecret, metadata).publicKey, payerId);
  } catch {
    return false;
  }
}

/** Fresh `invreq_metadata`: "an unpredictable series of bytes", from the injected source. */
export function randomPayerMetadata(random: RandomSource, length = PAYER_METADATA_LENGTH): Uint8Array {
  const m = random(length);
  if (!(m instanceof Uint8Array) || m.length !== length) fail('INVALID_PARAMETER', 'random', `RandomSource returned ${m?.length} bytes, ${length} asked`);
  return m;
}
