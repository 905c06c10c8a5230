// BOLT 3, Commitment Transaction and HTLC-Timeout/HTLC-Success Transactions: build either side's
// commitment transaction (option_static_remotekey; option_anchors too, for the spec's vectors) with
// its trimming, fee and BIP69+CLTV output order, and the second-stage HTLC transactions that spend
// its HTLC outputs. Pure: the transactions come back unsigned; sign.ts signs and completes them.
//
// Everything is named from the view of the commitment's owner ("local", the side that can broadcast
// it and whose own outputs are delayed), as BOLT 3 names it. For our commitment local is us; for
// theirs, local is them: pass their dust limit, the delay we asked of them, and HTLCs flipped
// (an HTLC they offered us is `offered: true` on their commitment, `offered: false` on ours).
//
// API:
//   interface CommitmentHtlc { offered; amountMsat; paymentHash; cltvExpiry }
//   buildCommitmentTx<H extends CommitmentHtlc>({ fundingOutpoint, fundingSatoshis, localIsFunder,
//     commitmentNumber, obscuringFactor, toSelfDelay, dustLimitSatoshis, feeratePerKw,
//     localAmountMsat, remoteAmountMsat, htlcs, keys, anchors? }): Commitment<H>
//       → { tx, fundingScript, fundingSatoshis, outputs, htlcOutputs, trimmedHtlcs, baseFeeSat,
//           feeSat, toLocalSat, toRemoteSat, ... }
//   buildHtlcTx(commitment, htlcOutput): HtlcTx<H>      buildHtlcTxs(commitment): HtlcTx<H>[]
import { txid as txidOf, type Tx, type TxOut } from './tx.ts';
import { anchorScript, fundingScript, offeredHtlcScript, p2wpkh, p2wsh, receivedHtlcScript, toLocalScript, toRemoteAnchorsScript } from './script.ts';
import { commitmentLocktimeSequence, type CommitmentKeys } from './keys.ts';
import { ANCHOR_OUTPUT_SAT, commitmentFeeSat, htlcSuccessFeeSat, htlcTimeoutFeeSat, isHtlcTrimmed } from './fees.ts';
import { TxError } from './errors.ts';
import { compareBytes } from '../util/bytes.ts';

export interface OutPoint {
  /** Internal byte order (as in the transaction and in `funding_created`), not the display order. */
  txid: Uint8Array;
  vout: number;
}

/** An HTLC as one commitment transaction sees it. */
export interface CommitmentHtlc {
  /** Offered by the commitment's owner (an offered HTLC output); false: received by the owner. */
  offered: boolean;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  cltvExpiry: number;
}

export interface CommitmentParams<H extends CommitmentHtlc = CommitmentHtlc> {
  fundingOutpoint: OutPoint;
  fundingSatoshis: bigint;
  /** The owner of this commitment opened the channel: the base fee (and anchors) come from `to_local`. */
  localIsFunder: boolean;
  /** 48-bit commitment number (0 for the first commitment). */
  commitmentNumber: bigint;
  /** {@link commitmentObscuringFactor} of the two payment basepoints. */
  obscuringFactor: bigint;
  /** The delay on the owner's outputs: the `to_self_delay` the counterparty asked for. */
  toSelfDelay: number;
  /** The owner's `dust_limit_satoshis`. */
  dustLimitSatoshis: bigint;
  feeratePerKw: number;
  /** The owner's balance, without HTLCs and before the fee. */
  localAmountMsat: bigint;
  /** The counterparty's balance, without HTLCs and before the fee. */
  remoteAmountMsat: bigint;
  htlcs: readonly H[];
  keys: CommitmentKeys;
  /** `option_anchors` (not offered by this node; here so the spec's Appendix F can be checked). */
  anchors?: boolean;
}

export type CommitmentOutputKind = 'to_local' | 'to_remote' | 'htlc' | 'to_local_anchor' | 'to_remote_anchor';

export interface CommitmentOutput<H> {
  kind: CommitmentOutputKind;
  valueSat: bigint;
  /** The output's scriptPubKey. */
  script: Uint8Array;
  /** For P2WSH outputs, the witness script (for HTLC outputs the sighash's scriptCode). */
  witnessScript?: Uint8Array;
  htlc?: H;
}

export interface HtlcOutput<H> {
  /** Output index in the commitment transaction. */
  index: number;
  htlc: H;
  valueSat: bigint;
  witnessScript: Uint8Array;
}

export interface Commitment<H extends CommitmentHtlc = CommitmentHtlc> {
  /** The unsigned commitment transaction (empty witness); see sign.ts. */
  tx: Tx;
  txid: Uint8Array;
  fundingScript: Uint8Array;
  fundingSatoshis: bigint;
  localFundingPubkey: Uint8Array;
  remoteFundingPubkey: Uint8Array;
  /** outputs[i] describes tx.outputs[i]. */
  outputs: CommitmentOutput<H>[];
  /** The untrimmed HTLCs in output order: the order of `htlc_signatures` (BOLT 2). */
  htlcOutputs: HtlcOutput<H>[];
  trimmedHtlcs: H[];
  /** BOLT 3's base fee, which the funder pays. */
  baseFeeSat: bigint;
  /** What the transaction pays: funding amount minus its outputs (base fee plus everything trimmed). */
  feeSat: bigint;
  /** The owner's amount after fee and anchors (before the dust check; 0 when the fee took it all). */
  toLocalSat: bigint;
  toRemoteSat: bigint;
  /** The funder could not pay the whole base fee (and anchors): its output is gone and the fee is lower. */
  funderShortfallSat: bigint;
  feeratePerKw: number;
  toSelfDelay: number;
  keys: CommitmentKeys;
  anchors: boolean;
}

function needAmount(v: bigint, what: string): void {
  if (typeof v !== 'bigint' || v < 0n) throw new TxError(what, 'must be a non-negative bigint');
}

/**
 * BOLT 3, Commitment Transaction Construction, steps 1-9. Throws {@link TxError} when the amounts do
 * not add up to the funding amount (balances plus HTLCs, in msat) or a parameter is out of range.
 */
export function buildCommitmentTx<H extends CommitmentHtlc>(p: CommitmentParams<H>): Commitment<H> {
  const anchors = p.anchors === true;
  needAmount(p.fundingSatoshis, 'funding_satoshis');
  needAmount(p.localAmountMsat, 'to_local_msat');
  needAmount(p.remoteAmountMsat, 'to_remote_msat');
  needAmount(p.dustLimitSatoshis, 'dust_limit_satoshis');
  if (!Number.isInteger(p.fundingOutpoint.vout) || p.fundingOutpoint.vout < 0 || p.fundingOutpoint.vout > 0xffff) {
    throw new TxError('funding_output_index', 'must be a u16');
  }
  let total = p.localAmountMsat + p.remoteAmountMsat;
  for (const h of p.htlcs) {
    needAmount(h.amountMsat, 'htlc amount_msat');
    total += h.amountMsat;
  }
  if (total !== p.fundingSatoshis * 1000n) {
    throw new TxError('commitment amounts', `balances and HTLCs make ${total} msat, the funding output holds ${p.fundingSatoshis * 1000n}`);
  }
  const k = p.keys;

  // Step 1: input and locktime (BOLT 3, Commitment Transaction).
  const { locktime, sequence } = commitmentLocktimeSequence(p.commitmentNumber, p.obscuringFactor);

  // Step 2: which HTLCs are trimmed (BOLT 3, Trimmed Outputs).
  const untrimmed: H[] = [];
  const trimmedHtlcs: H[] = [];
  for (const h of p.htlcs) (isHtlcTrimmed(h, p.feeratePerKw, p.dustLimitSatoshis, anchors) ? trimmedHtlcs : untrimmed).push(h);

  // Step 3: the base fee, and with option_anchors two anchors, come from the funder.
  const baseFeeSat = commitmentFeeSat(p.feeratePerKw, untrimmed.length, anchors);
  const funderCost = baseFeeSat + (anchors ? 2n * ANCHOR_OUTPUT_SAT : 0n);
  let toLocalSat = p.localAmountMsat / 1000n;
  let toRemoteSat = p.remoteAmountMsat / 1000n;
  let funderShortfallSat = 0n;
  // The amounts are rounded down to whole satoshis; the fee being whole satoshis, subtracting it
  // before or after rounding gives the same output. A funder short of the fee pays what it has.
  if (p.localIsFunder) {
    funderShortfallSat = funderCost > toLocalSat ? funderCost - toLocalSat : 0n;
    toLocalSat = toLocalSat > funderCost ? toLocalSat - funderCost : 0n;
  } else {
    funderShortfallSat = funderCost > toRemoteSat ? funderCost - toRemoteSat : 0n;
    toRemoteSat = toRemoteSat > funderCost ? toRemoteSat - funderCost : 0n;
  }

  const outs: { out: CommitmentOutput<H>; cltv: number }[] = [];
  // Steps 4 and 5: offered and received HTLC outputs.
  for (const h of untrimmed) {
    const ks = { revocationPubkey: k.revocationPubkey, localHtlcPubkey: k.localHtlcPubkey, remoteHtlcPubkey: k.remoteHtlcPubkey, paymentHash: h.paymentHash, anchors };
    const ws = h.offered ? offeredHtlcScript(ks) : receivedHtlcScript({ ...ks, cltvExpiry: h.cltvExpiry });
    // BOLT 3, Transaction Output Ordering: "for HTLC outputs, the millisatoshi part must be ignored".
    outs.push({ out: { kind: 'htlc', valueSat: h.amountMsat / 1000n, script: p2wsh(ws), witnessScript: ws, htlc: h }, cltv: h.cltvExpiry });
  }
  // Step 6: to_local if at least dust_limit_satoshis.
  const hasLocal = toLocalSat >= p.dustLimitSatoshis && toLocalSat > 0n;
  if (hasLocal) {
    const ws = toLocalScript(k.revocationPubkey, p.toSelfDelay, k.localDelayedPubkey);
    outs.push({ out: { kind: 'to_local', valueSat: toLocalSat, script: p2wsh(ws), witnessScript: ws }, cltv: 0 });
  }
  // Step 7: to_remote: P2WPKH to remotepubkey, or the 1-block CSV script with option_anchors.
  const hasRemote = toRemoteSat >= p.dustLimitSatoshis && toRemoteSat > 0n;
  if (hasRemote) {
    if (anchors) {
      const ws = toRemoteAnchorsScript(k.remotePaymentPubkey);
      outs.push({ out: { kind: 'to_remote', valueSat: toRemoteSat, script: p2wsh(ws), witnessScript: ws }, cltv: 0 });
    } else {
      outs.push({ out: { kind: 'to_remote', valueSat: toRemoteSat, script: p2wpkh(k.remotePaymentPubkey) }, cltv: 0 });
    }
  }
  // Step 8: anchors for each side whose output exists, both when HTLCs are untrimmed.
  if (anchors) {
    if (hasLocal || untrimmed.length > 0) {
      const ws = anchorScript(k.localFundingPubkey);
      outs.push({ out: { kind: 'to_local_anchor', valueSat: ANCHOR_OUTPUT_SAT, script: p2wsh(ws), witnessScript: ws }, cltv: 0 });
    }
    if (hasRemote || untrimmed.length > 0) {
      const ws = anchorScript(k.remoteFundingPubkey);
      outs.push({ out: { kind: 'to_remote_anchor', valueSat: ANCHOR_OUTPUT_SAT, script: p2wsh(ws), witnessScript: ws }, cltv: 0 });
    }
  }
  // Step 9: BIP69 + CLTV order (stable: identical outputs keep their input order).
  outs.sort((a, b) => cmpBig(a.out.valueSat, b.out.valueSat) || compareBytes(a.out.script, b.out.script) || a.cltv - b.cltv);

  const outputs = outs.map((o) => o.out);
  const tx: Tx = {
    version: 2,
    inputs: [{ txid: p.fundingOutpoint.txid.slice(), vout: p.fundingOutpoint.vout, scriptSig: new Uint8Array(0), sequence, witness: [] }],
    outputs: outputs.map((o): TxOut => ({ valueSat: o.valueSat, script: o.script })),
    locktime,
  };
  const htlcOutputs: HtlcOutput<H>[] = [];
  outputs.forEach((o, index) => {
    if (o.kind === 'htlc') htlcOutputs.push({ index, htlc: o.htlc!, valueSat: o.valueSat, witnessScript: o.witnessScript! });
  });
  let paid = 0n;
  for (const o of outputs) paid += o.valueSat;
  return {
    tx,
    txid: txidOf(tx),
    fundingScript: fundingScript(k.localFundingPubkey, k.remoteFundingPubkey),
    fundingSatoshis: p.fundingSatoshis,
    localFundingPubkey: k.localFundingPubkey,
    remoteFundingPubkey: k.remoteFundingPubkey,
    outputs,
    htlcOutputs,
    trimmedHtlcs,
    baseFeeSat,
    feeSat: p.fundingSatoshis - paid,
    toLocalSat,
    toRemoteSat,
    funderShortfallSat,
    feeratePerKw: p.feeratePerKw,
    toSelfDelay: p.toSelfDelay,
    keys: k,
    anchors,
  };
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A second-stage HTLC transaction, unsigned. */
export interface HtlcTx<H extends CommitmentHtlc = CommitmentHtlc> {
  kind: 'htlc-success' | 'htlc-timeout';
  tx: Tx;
  htlc: H;
  /** The spent commitment output's witness script: the scriptCode both signatures commit to. */
  witnessScript: Uint8Array;
  /** The spent commitment output's amount. */
  inputValueSat: bigint;
  anchors: boolean;
}

/**
 * BOLT 3, HTLC-Timeout and HTLC-Success Transactions, for one HTLC output of `commitment`: version
 * 2; locktime 0 (success) or `cltv_expiry` (timeout); sequence 0 (1 with option_anchors); one output
 * of the HTLC amount minus its fee (0 with option_anchors) to the `to_local`-shaped script with the
 * commitment's revocation and delayed keys.
 */
export function buildHtlcTx<H extends CommitmentHtlc>(commitment: Commitment<H>, output: HtlcOutput<H>): HtlcTx<H> {
  const { htlc } = output;
  const anchors = commitment.anchors;
  const success = !htlc.offered;
  const fee = success ? htlcSuccessFeeSat(commitment.feeratePerKw, anchors) : htlcTimeoutFeeSat(commitment.feeratePerKw, anchors);
  const amount = htlc.amountMsat / 1000n - fee;
  if (amount < 0n) throw new TxError('htlc amount', 'below the HTLC transaction fee (the output should have been trimmed)');
  const ws = toLocalScript(commitment.keys.revocationPubkey, commitment.toSelfDelay, commitment.keys.localDelayedPubkey);
  const tx: Tx = {
    version: 2,
    inputs: [{ txid: commitment.txid.slice(), vout: output.index, scriptSig: new Uint8Array(0), sequence: anchors ? 1 : 0, witness: [] }],
    outputs: [{ valueSat: amount, script: p2wsh(ws) }],
    locktime: success ? 0 : htlc.cltvExpiry,
  };
  return { kind: success ? 'htlc-success' : 'htlc-timeout', tx, htlc, witnessScript: output.witnessScript, inputValueSat: output.valueSat, anchors };
}

/** The HTLC transactions of every untrimmed HTLC, in output order (the order of `htlc_signatures`). */
export function buildHtlcTxs<H extends CommitmentHtlc>(commitment: Commitment<H>): HtlcTx<H>[] {
  return commitment.htlcOutputs.map((o) => buildHtlcTx(commitment, o));
}
