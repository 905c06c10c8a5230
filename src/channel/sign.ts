// Signatures on BOLT 3 transactions: the 2-of-2 funding spend (commitment and closing
// transactions) and the HTLC-success/HTLC-timeout transactions. Signatures travel as 64-byte compact
// `r || s` (BOLT 2 `signature` fields, low-S, RFC 6979 through src/crypto) and go into witnesses as
// DER plus the sighash byte. Pure.
//
// API:
//   interface FundingSpend { tx; fundingScript; fundingSatoshis; localFundingPubkey; remoteFundingPubkey }
//   fundingSighash(spend), signFundingSpend(spend, fundingSecret), verifyFundingSpend(spend, sig, pubkey)
//   withFundingWitness(spend, localSig, remoteSig): Tx     witness `0 <sig1> <sig2> <fundingScript>`
//   htlcSighash(htlcTx, sighashType), remoteHtlcSighashType(anchors)
//   signHtlcTx(htlcTx, htlcSecret, sighashType?), verifyHtlcTx(htlcTx, sig, pubkey, sighashType?)
//   withHtlcWitness(htlcTx, remoteSig, localSig, preimage?): Tx
//   witnessSignature(sig64, sighashType): Uint8Array      DER || sighash byte
import { sha256, signatureToDer, signEcdsa, verifyEcdsa } from '../crypto/index.ts';
import { bytesEqual, compareBytes } from '../util/bytes.ts';
import { TxError } from './errors.ts';
import { segwitV0Sighash, SIGHASH_ALL, SIGHASH_ANYONECANPAY, SIGHASH_SINGLE, type Tx } from './tx.ts';
import type { CommitmentHtlc, HtlcTx } from './commitment.ts';

/** A transaction whose only input spends the funding output: a commitment or a closing transaction. */
export interface FundingSpend {
  tx: Tx;
  fundingScript: Uint8Array;
  fundingSatoshis: bigint;
  localFundingPubkey: Uint8Array;
  remoteFundingPubkey: Uint8Array;
}

/** BIP143 SIGHASH_ALL hash of input 0 against the funding witness script and amount. */
export function fundingSighash(spend: FundingSpend): Uint8Array {
  return segwitV0Sighash(spend.tx, 0, spend.fundingScript, spend.fundingSatoshis, SIGHASH_ALL);
}

/** Our signature (compact 64 bytes) of a funding spend, with our funding private key. */
export function signFundingSpend(spend: FundingSpend, fundingSecret: Uint8Array): Uint8Array {
  return signEcdsa(fundingSighash(spend), fundingSecret);
}

/** Does `sig64` sign this funding spend for `pubkey` (normally the peer's funding_pubkey)? */
export function verifyFundingSpend(spend: FundingSpend, sig64: Uint8Array, pubkey: Uint8Array): boolean {
  return verifyEcdsa(fundingSighash(spend), pubkey, sig64);
}

/** A signature as a witness item: DER followed by the sighash type byte. */
export function witnessSignature(sig64: Uint8Array, sighashType: number = SIGHASH_ALL): Uint8Array {
  const der = signatureToDer(sig64);
  const out = new Uint8Array(der.length + 1);
  out.set(der);
  out[der.length] = sighashType;
  return out;
}

/**
 * The signed transaction: BOLT 3, `txin[0]` witness `0 <signature_for_pubkey1>
 * <signature_for_pubkey2>` (pubkey1 the lexicographically lesser funding pubkey), then the script.
 */
export function withFundingWitness(spend: FundingSpend, localSig64: Uint8Array, remoteSig64: Uint8Array): Tx {
  const localFirst = compareBytes(spend.localFundingPubkey, spend.remoteFundingPubkey) <= 0;
  const [s1, s2] = localFirst ? [localSig64, remoteSig64] : [remoteSig64, localSig64];
  const witness = [new Uint8Array(0), witnessSignature(s1), witnessSignature(s2), spend.fundingScript];
  return { ...spend.tx, inputs: [{ ...spend.tx.inputs[0]!, witness }] };
}

/**
 * The sighash type of the counterparty's HTLC signatures (`htlc_signatures`): BOLT 3 / BOLT 5,
 * SIGHASH_SINGLE|SIGHASH_ANYONECANPAY with option_anchors, else SIGHASH_ALL. The owner's own
 * signature is always SIGHASH_ALL.
 */
export function remoteHtlcSighashType(anchors: boolean): number {
  return anchors ? SIGHASH_SINGLE | SIGHASH_ANYONECANPAY : SIGHASH_ALL;
}

/** BIP143 hash of an HTLC transaction's input against the commitment's HTLC output script. */
export function htlcSighash(h: HtlcTx<CommitmentHtlc>, sighashType: number): Uint8Array {
  return segwitV0Sighash(h.tx, 0, h.witnessScript, h.inputValueSat, sighashType);
}

/**
 * Sign an HTLC transaction with an HTLC private key. On the counterparty's commitment we sign as
 * its "remote" (sighash {@link remoteHtlcSighashType}); on our own we sign as "local" (SIGHASH_ALL).
 */
export function signHtlcTx(h: HtlcTx<CommitmentHtlc>, htlcSecret: Uint8Array, sighashType: number = SIGHASH_ALL): Uint8Array {
  return signEcdsa(htlcSighash(h, sighashType), htlcSecret);
}

export function verifyHtlcTx(h: HtlcTx<CommitmentHtlc>, sig64: Uint8Array, pubkey: Uint8Array, sighashType: number = SIGHASH_ALL): boolean {
  return verifyEcdsa(htlcSighash(h, sighashType), pubkey, sig64);
}

/**
 * The signed HTLC transaction. BOLT 3: witness `0 <remotehtlcsig> <localhtlcsig> <payment_preimage>`
 * for HTLC-success, `0 <remotehtlcsig> <localhtlcsig> <>` for HTLC-timeout, then the witness script.
 */
export function withHtlcWitness(h: HtlcTx<CommitmentHtlc>, remoteSig64: Uint8Array, localSig64: Uint8Array, preimage?: Uint8Array): Tx {
  let last: Uint8Array;
  if (h.kind === 'htlc-success') {
    if (!(preimage instanceof Uint8Array) || preimage.length !== 32) throw new TxError('payment_preimage', 'an HTLC-success transaction needs the 32-byte preimage');
    if (!bytesEqual(sha256(preimage), h.htlc.paymentHash)) throw new TxError('payment_preimage', 'does not hash to the payment_hash');
    last = preimage;
  } else {
    if (preimage !== undefined) throw new TxError('payment_preimage', 'an HTLC-timeout transaction takes none');
    last = new Uint8Array(0);
  }
  const witness = [new Uint8Array(0), witnessSignature(remoteSig64, remoteHtlcSighashType(h.anchors)), witnessSignature(localSig64), last, h.witnessScript];
  return { ...h.tx, inputs: [{ ...h.tx.inputs[0]!, witness }] };
}
