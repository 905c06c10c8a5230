// BOLT 3, Keys: per-commitment key derivation, revocation keys, the obscured commitment number, and
// the set of keys one commitment transaction uses. Pure; the curve arithmetic is src/crypto's.
//
// API:
//   perCommitmentPoint(perCommitmentSecret): Uint8Array
//   derivePublicKey(basepoint, perCommitmentPoint)            localpubkey, *_htlcpubkey, *_delayedpubkey
//   derivePrivateKey(basepointSecret, perCommitmentPoint)     their private keys
//   deriveRevocationPublicKey(revocationBasepoint, perCommitmentPoint)
//   deriveRevocationPrivateKey(revocationBasepointSecret, perCommitmentSecret)
//   commitmentObscuringFactor(openerPaymentBasepoint, accepterPaymentBasepoint): bigint (48 bits)
//   obscureCommitmentNumber(n, factor), commitmentLocktimeSequence(n, factor), commitmentNumberFromTx(tx, factor)
//   interface ChannelBasepoints, CommitmentKeys;  deriveCommitmentKeys(owner, counterparty, ownerPoint)
import { pointAdd, pointMultiply, privateAdd, privateMultiply, publicKey, sha256 } from '../crypto/index.ts';
import { bigIntFromBytes } from '../util/bytes.ts';
import { TxError } from './errors.ts';
import type { Tx } from './tx.ts';

/** BOLT 3: `per_commitment_point = per_commitment_secret * G`. */
export function perCommitmentPoint(perCommitmentSecret: Uint8Array): Uint8Array {
  return publicKey(perCommitmentSecret);
}

/** BOLT 3: `pubkey = basepoint + SHA256(per_commitment_point || basepoint) * G`. */
export function derivePublicKey(basepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  return pointAdd(basepoint, publicKey(sha256(perCommitmentPoint, basepoint)));
}

/** BOLT 3: `privkey = basepoint_secret + SHA256(per_commitment_point || basepoint)`. */
export function derivePrivateKey(basepointSecret: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  return privateAdd(basepointSecret, sha256(perCommitmentPoint, publicKey(basepointSecret)));
}

/**
 * BOLT 3, `revocationpubkey` Derivation: `revocation_basepoint * SHA256(revocation_basepoint ||
 * per_commitment_point) + per_commitment_point * SHA256(per_commitment_point || revocation_basepoint)`.
 */
export function deriveRevocationPublicKey(revocationBasepoint: Uint8Array, perCommitmentPoint: Uint8Array): Uint8Array {
  const a = pointMultiply(revocationBasepoint, sha256(revocationBasepoint, perCommitmentPoint));
  const b = pointMultiply(perCommitmentPoint, sha256(perCommitmentPoint, revocationBasepoint));
  return pointAdd(a, b);
}

/**
 * BOLT 3: `revocationprivkey = revocation_basepoint_secret * SHA256(revocation_basepoint ||
 * per_commitment_point) + per_commitment_secret * SHA256(per_commitment_point || revocation_basepoint)`.
 */
export function deriveRevocationPrivateKey(revocationBasepointSecret: Uint8Array, perCommitmentSecret: Uint8Array): Uint8Array {
  const rb = publicKey(revocationBasepointSecret);
  const pcp = publicKey(perCommitmentSecret);
  const a = privateMultiply(revocationBasepointSecret, sha256(rb, pcp));
  const b = privateMultiply(perCommitmentSecret, sha256(pcp, rb));
  return privateAdd(a, b);
}

const MASK48 = (1n << 48n) - 1n;

/**
 * BOLT 3, Commitment Transaction: the lower 48 bits of `SHA256(payment_basepoint from open_channel
 * || payment_basepoint from accept_channel)`. The opener's basepoint comes first whoever builds.
 */
export function commitmentObscuringFactor(openerPaymentBasepoint: Uint8Array, accepterPaymentBasepoint: Uint8Array): bigint {
  return bigIntFromBytes(sha256(openerPaymentBasepoint, accepterPaymentBasepoint).subarray(26));
}

function need48(n: bigint, what: string): void {
  if (typeof n !== 'bigint' || n < 0n || n > MASK48) throw new TxError(what, 'must be a 48-bit unsigned integer');
}

/** The 48-bit commitment number XOR the obscuring factor. */
export function obscureCommitmentNumber(commitmentNumber: bigint, obscuringFactor: bigint): bigint {
  need48(commitmentNumber, 'commitment_number');
  need48(obscuringFactor, 'obscuring factor');
  return commitmentNumber ^ obscuringFactor;
}

/**
 * BOLT 3, Commitment Transaction: locktime = 0x20 in the upper 8 bits and the lower 24 bits of the
 * obscured commitment number; `txin[0]` sequence = 0x80 in the upper 8 bits and its upper 24 bits.
 */
export function commitmentLocktimeSequence(commitmentNumber: bigint, obscuringFactor: bigint): { locktime: number; sequence: number } {
  const o = obscureCommitmentNumber(commitmentNumber, obscuringFactor);
  return {
    locktime: (0x20 * 2 ** 24 + Number(o & 0xff_ffffn)) >>> 0,
    sequence: (0x80 * 2 ** 24 + Number(o >> 24n)) >>> 0,
  };
}

/**
 * The commitment number a commitment transaction encodes (for the chain layer: which state was
 * broadcast), or undefined when its locktime/sequence do not have the 0x20/0x80 marks.
 */
export function commitmentNumberFromTx(tx: Tx, obscuringFactor: bigint): bigint | undefined {
  const seq = tx.inputs[0]?.sequence;
  if (tx.inputs.length !== 1 || seq === undefined) return undefined;
  if (tx.locktime >>> 24 !== 0x20 || seq >>> 24 !== 0x80) return undefined;
  const obscured = (BigInt(seq & 0xff_ffff) << 24n) | BigInt(tx.locktime & 0xff_ffff);
  return obscured ^ obscuringFactor;
}

/** One side's basepoints, as its `open_channel` or `accept_channel` gave them. */
export interface ChannelBasepoints {
  fundingPubkey: Uint8Array;
  revocationBasepoint: Uint8Array;
  paymentBasepoint: Uint8Array;
  delayedPaymentBasepoint: Uint8Array;
  htlcBasepoint: Uint8Array;
}

/**
 * The keys of one commitment transaction, named from the view of its owner ("local": the side that
 * can broadcast it, whose outputs are delayed) as BOLT 3 names them.
 */
export interface CommitmentKeys {
  localFundingPubkey: Uint8Array;
  remoteFundingPubkey: Uint8Array;
  /** From the counterparty's revocation_basepoint and the owner's per_commitment_point. */
  revocationPubkey: Uint8Array;
  localDelayedPubkey: Uint8Array;
  localHtlcPubkey: Uint8Array;
  remoteHtlcPubkey: Uint8Array;
  /** BOLT 3, `remotepubkey` Derivation (option_static_remotekey): the counterparty's payment_basepoint. */
  remotePaymentPubkey: Uint8Array;
}

/**
 * The keys of the commitment transaction owned by `owner`, for the owner's per-commitment point of
 * that commitment. Our commitment: deriveCommitmentKeys(ours, theirs, ourPoint(n)); theirs:
 * deriveCommitmentKeys(theirs, ours, theirPoint(n)). Our HTLC signing key on their commitment is
 * derivePrivateKey(our htlc_basepoint_secret, theirPoint(n)) (its `remoteHtlcPubkey`).
 */
export function deriveCommitmentKeys(owner: ChannelBasepoints, counterparty: ChannelBasepoints, ownerPerCommitmentPoint: Uint8Array): CommitmentKeys {
  return {
    localFundingPubkey: owner.fundingPubkey,
    remoteFundingPubkey: counterparty.fundingPubkey,
    revocationPubkey: deriveRevocationPublicKey(counterparty.revocationBasepoint, ownerPerCommitmentPoint),
    localDelayedPubkey: derivePublicKey(owner.delayedPaymentBasepoint, ownerPerCommitmentPoint),
    localHtlcPubkey: derivePublicKey(owner.htlcBasepoint, ownerPerCommitmentPoint),
    remoteHtlcPubkey: derivePublicKey(counterparty.htlcBasepoint, ownerPerCommitmentPoint),
    remotePaymentPubkey: counterparty.paymentBasepoint,
  };
}
