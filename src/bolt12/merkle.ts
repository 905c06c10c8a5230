// BOLT 12, "Signature Calculation": the Merkle tree over a message's TLV records and the BIP340
// signature of its root. Each form is signed with *signature TLV elements* (types 240 to 1000
// inclusive); every other record is a leaf:
//   1. H("LnLeaf", tlv)
//   2. H("LnNonce"||first-tlv, tlv-type)   — first-tlv: the numerically-first record, tlv-type: its BigSize type
// paired as H("LnBranch", lesser||greater); pairs are then joined the same way, adjacent nodes first,
// an unpaired node carried up ("the deepest tree on the lowest-order leaves").
// The signature is SIG("lightning"||messagename||fieldname, root, key), with H(tag,msg) =
// SHA256(SHA256(tag)||SHA256(tag)||msg).
import { signSchnorr, taggedSha256, verifySchnorr } from '../crypto/index.ts';
import { utf8, compareBytes, concatBytes } from '../util/bytes.ts';
import { fail } from './errors.ts';
import type { Bolt12Record } from './records.ts';

/** BOLT 12: "signature TLV elements: TLV types 240 through 1000 (inclusive)". */
export const SIGNATURE_TYPE_MIN = 240n;
export const SIGNATURE_TYPE_MAX = 1000n;
/** The `signature` field, in invoice_request and invoice. */
export const SIGNATURE_TYPE = 240n;

export function isSignatureType(t: bigint): boolean {
  return t >= SIGNATURE_TYPE_MIN && t <= SIGNATURE_TYPE_MAX;
}

// Constant tags, computed once; each hash resumes from the state after its 64-byte tag prefix.
const leafSha = taggedSha256(utf8.encode('LnLeaf'));
const branchSha = taggedSha256(utf8.encode('LnBranch'));
const NONCE_TAG = utf8.encode('LnNonce');

/** Length of the BigSize at the start of `raw`. */
function bigSizeLen(first: number): number {
  return first < 0xfd ? 1 : first === 0xfd ? 3 : first === 0xfe ? 5 : 9;
}

/** H("LnBranch", lesser||greater). */
export function branchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareBytes(a, b) <= 0 ? branchSha(a, b) : branchSha(b, a);
}

/** H("LnLeaf", tlv). */
export function leafHash(raw: Uint8Array): Uint8Array {
  return leafSha(raw);
}

/**
 * The nonce leaves of one message: given its first TLV, a function from a record's encoding to
 * H("LnNonce"||first-tlv, tlv-type) (the tag is set up once per message).
 */
export function nonceHasher(firstRaw: Uint8Array): (raw: Uint8Array) => Uint8Array {
  const h = taggedSha256(concatBytes(NONCE_TAG, firstRaw));
  return (raw) => h(raw.subarray(0, bigSizeLen(raw[0]!)));
}

/**
 * The Merkle root of a message's records (signature elements, types 240–1000, left out).
 * Records must be in stream order. A stream without non-signature records has no root: throws.
 */
export function merkleRoot(records: readonly Bolt12Record[]): Uint8Array {
  const nodes: Uint8Array[] = [];
  let nonceHash: ((raw: Uint8Array) => Uint8Array) | undefined;
  for (const r of records) {
    if (r.type >= SIGNATURE_TYPE_MIN && r.type <= SIGNATURE_TYPE_MAX) continue;
    nonceHash ??= nonceHasher(r.raw);
    nodes.push(branchHash(leafHash(r.raw), nonceHash(r.raw)));
  }
  if (nodes.length === 0) fail('MALFORMED', 'tlv_stream', 'no records to sign');
  // Join adjacent nodes level by level: at each level, node i absorbs node i+step.
  for (let step = 1; step < nodes.length; step *= 2) {
    for (let i = 0; i + step < nodes.length; i += 2 * step) {
      nodes[i] = branchHash(nodes[i]!, nodes[i + step]!);
    }
  }
  return nodes[0]!;
}

const sigTagCache = new Map<string, (root: Uint8Array) => Uint8Array>();

/** H("lightning"||messagename||fieldname, root): the 32-byte message BIP340 signs. */
export function signatureDigest(messageName: string, fieldName: string, root: Uint8Array): Uint8Array {
  const tag = `lightning${messageName}${fieldName}`;
  let h = sigTagCache.get(tag);
  if (!h) {
    h = taggedSha256(utf8.encode(tag));
    // Only the module's few constant names reach here; bounded anyway.
    if (sigTagCache.size < 16) sigTagCache.set(tag, h);
  }
  return h(root);
}

/** The signature of a message's records with `secret` (BIP340; `aux` is the auxiliary randomness). */
export function signRecords(
  messageName: 'invoice_request' | 'invoice',
  records: readonly Bolt12Record[],
  secret: Uint8Array,
  aux?: Uint8Array,
): Uint8Array {
  return signSchnorr(signatureDigest(messageName, 'signature', merkleRoot(records)), secret, aux);
}

/** Whether `sig` is a valid signature of the records by `key` (33-byte point or 32-byte x-only). */
export function verifyRecords(
  messageName: 'invoice_request' | 'invoice',
  records: readonly Bolt12Record[],
  key: Uint8Array,
  sig: Uint8Array,
): boolean {
  return verifySchnorr(signatureDigest(messageName, 'signature', merkleRoot(records)), key, sig);
}
