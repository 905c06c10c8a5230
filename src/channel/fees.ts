// BOLT 3, Fees and Trimmed Outputs: expected weights, HTLC transaction fees, the commitment base
// fee, and which HTLCs are trimmed at a feerate and dust limit. Pure; amounts are bigint
// (satoshis where the name says Sat, millisatoshis where it says Msat), feerates `feerate_per_kw`.
//
// API:
//   COMMITMENT_WEIGHT, COMMITMENT_WEIGHT_ANCHORS, HTLC_OUTPUT_WEIGHT, HTLC_TIMEOUT_WEIGHT,
//   HTLC_SUCCESS_WEIGHT, ANCHOR_OUTPUT_SAT
//   htlcTimeoutFeeSat(feeratePerKw, anchors?), htlcSuccessFeeSat(feeratePerKw, anchors?)
//   commitmentFeeSat(feeratePerKw, untrimmedHtlcs, anchors?)
//   isHtlcTrimmed({ offered, amountMsat }, feeratePerKw, dustLimitSat, anchors?)
import { TxError } from './errors.ts';

/** BOLT 3, Fee Calculation: "Commitment weight (no option_anchors): 724 + 172 * num-untrimmed-htlc-outputs". */
export const COMMITMENT_WEIGHT = 724n;
/** "Commitment weight (option_anchors): 1124 + 172 * num-untrimmed-htlc-outputs". */
export const COMMITMENT_WEIGHT_ANCHORS = 1124n;
export const HTLC_OUTPUT_WEIGHT = 172n;
/** "HTLC-timeout weight (no option_anchors): 663" (the anchors weight, 666, pays no fee). */
export const HTLC_TIMEOUT_WEIGHT = 663n;
/** "HTLC-success weight (no option_anchors): 703" (the anchors weight, 706, pays no fee). */
export const HTLC_SUCCESS_WEIGHT = 703n;
/** BOLT 3, `to_local_anchor` and `to_remote_anchor` Output: "fixed at 330 sats". */
export const ANCHOR_OUTPUT_SAT = 330n;

function feerate(f: number | bigint): bigint {
  if (typeof f === 'number' && !Number.isInteger(f)) throw new TxError('feerate_per_kw', `must be a u32, got ${f}`);
  const v = BigInt(f);
  if (v < 0n || v > 0xffff_ffffn) throw new TxError('feerate_per_kw', `must be a u32, got ${f}`);
  return v;
}

/** BOLT 3: "Multiply feerate_per_kw by 663 and divide by 1000 (rounding down)"; 0 with option_anchors. */
export function htlcTimeoutFeeSat(feeratePerKw: number | bigint, anchors = false): bigint {
  return anchors ? 0n : (feerate(feeratePerKw) * HTLC_TIMEOUT_WEIGHT) / 1000n;
}

/** BOLT 3: "Multiply feerate_per_kw by 703 and divide by 1000 (rounding down)"; 0 with option_anchors. */
export function htlcSuccessFeeSat(feeratePerKw: number | bigint, anchors = false): bigint {
  return anchors ? 0n : (feerate(feeratePerKw) * HTLC_SUCCESS_WEIGHT) / 1000n;
}

/**
 * BOLT 3, the base fee for a commitment transaction: weight 724 (1124 with option_anchors) plus 172
 * per untrimmed HTLC, times `feerate_per_kw`, divided by 1000 (rounding down).
 */
export function commitmentFeeSat(feeratePerKw: number | bigint, untrimmedHtlcs: number, anchors = false): bigint {
  const weight = (anchors ? COMMITMENT_WEIGHT_ANCHORS : COMMITMENT_WEIGHT) + HTLC_OUTPUT_WEIGHT * BigInt(untrimmedHtlcs);
  return (feerate(feeratePerKw) * weight) / 1000n;
}

/**
 * BOLT 3, Trimmed Outputs: an offered HTLC is trimmed when its amount (rounded down to satoshis)
 * minus the HTLC-timeout fee is below the commitment owner's `dust_limit_satoshis`; a received one
 * likewise with the HTLC-success fee. `offered` is from the commitment owner's view.
 */
export function isHtlcTrimmed(htlc: { offered: boolean; amountMsat: bigint }, feeratePerKw: number | bigint, dustLimitSat: bigint, anchors = false): boolean {
  const fee = htlc.offered ? htlcTimeoutFeeSat(feeratePerKw, anchors) : htlcSuccessFeeSat(feeratePerKw, anchors);
  return htlc.amountMsat / 1000n - fee < dustLimitSat;
}
