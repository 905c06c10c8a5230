// Blinded payment paths to us (BOLT 4 "Route Blinding", BOLT 12 `invoice_paths` +
// `invoice_blindedpay`): what our invoices carry so that a payer can pay us without learning
// where we are, built so a channel layer can receive over them later.
//
// A path is the hops before us (`via`: our channel peers, each with its `payment_relay`, the
// channel to the next hop and its HTLC limits) and then us, the final hop, whose
// `encrypted_data_tlv` holds:
//   - `path_id`: an authenticated token naming the invoice (its payment hash), so a payment that
//     reaches us over a path we did not build for that invoice is refused (BOLT 4: "The final
//     recipient must verify that the blinded route is used in the right context");
//   - `payment_constraints`: the last block height the path may be used at, and the smallest HTLC;
//   - no `allowed_features` (readers treat it as empty; BOLT 12: payinfo `features` then empty).
// `blinded_payinfo` aggregates the via hops' fees and CLTV deltas with BOLT 4's formulas.
//
// Without channels (today) `via` is empty: we are the introduction node, the path has one hop.
import { hmacSha256, type RandomSource, isPrivateKey } from '../crypto/index.ts';
import { concatBytes, utf8 } from '../util/bytes.ts';
import type { BlindedPath } from '../wire/blinded-path.ts';
import type { BlindedPayInfo } from '../bolt12/index.ts';
import { buildBlindedPath, type EncryptedDataTlv, type PathHopSpec } from '../onion-message/index.ts';

/** A hop before us on a payment path: a channel peer and the terms of its channel towards us. */
export interface PaymentForwardNode {
  nodeId: Uint8Array;
  /** The channel from this hop to the next one (BOLT 4: exactly one of short_channel_id / next_node_id). */
  shortChannelId: bigint;
  /** BOLT 4 `payment_relay`: what this hop charges and the CLTV delta it needs. */
  relay: { cltvExpiryDelta: number; feeProportionalMillionths: number; feeBaseMsat: number };
  htlcMinimumMsat: bigint;
  htlcMaximumMsat: bigint;
}

export interface PaymentPathParams {
  ourNodeId: Uint8Array;
  /** Our node secret (optional): our own hop is then blinded with multiplications of G, cheaper. */
  ourSecret?: Uint8Array;
  /** Randomness for e_0 (BOLT 4: "SHOULD be obtained via CSPRNG"). */
  random: RandomSource;
  via?: readonly PaymentForwardNode[];
  /** Our final hop's `path_id`. */
  pathId: Uint8Array;
  /** The last block height a payment over the path may expire at, at our node (before adding our delta). */
  maxCltvExpiry: number;
  /** Our `min_final_cltv_expiry_delta`. */
  minFinalCltvExpiryDelta: number;
  /** The smallest HTLC we take. */
  htlcMinimumMsat: bigint;
  /** The largest HTLC the path carries (before the via hops' limits). */
  htlcMaximumMsat: bigint;
}

/** Default `min_final_cltv_expiry_delta`, as Core Lightning's cltv-final and LDK's MIN_FINAL_CLTV_EXPIRY_DELTA. */
export const MIN_FINAL_CLTV_EXPIRY_DELTA = 18;
const U32_MAX = 0xffff_ffff;
const MILLION = 1_000_000n;

/**
 * Build the path and its `blinded_payinfo`. BOLT 4, the creator of `encrypted_recipient_data`:
 * "MUST include `payment_relay` for each non-final node", "exactly one of short_channel_id or
 * next_node_id for each non-final node", "MUST set `payment_constraints` for each non-final node
 * and MAY set it for the final node" (we set it everywhere), and the aggregate fee/CLTV formulas.
 */
export function buildBlindedPaymentPath(p: PaymentPathParams): { path: BlindedPath; payInfo: BlindedPayInfo } {
  const via = p.via ?? [];
  const hops: PathHopSpec[] = [];
  // max_cltv_expiry: "starting from the final node's chosen max_cltv_expiry height ..., adding
  // the final node's min_final_cltv_expiry_delta and then adding payment_relay.cltv_expiry_delta
  // at each hop" (walking back from us towards the introduction node).
  const finalMax = Math.min(U32_MAX, p.maxCltvExpiry + p.minFinalCltvExpiryDelta);
  const maxAt: number[] = new Array(via.length);
  let acc = finalMax;
  for (let i = via.length - 1; i >= 0; i--) {
    acc = Math.min(U32_MAX, acc + via[i]!.relay.cltvExpiryDelta);
    maxAt[i] = acc;
  }
  // "htlc_minimum_msat to the largest minimum HTLC value the nodes will allow".
  let htlcMin = p.htlcMinimumMsat;
  let htlcMax = p.htlcMaximumMsat;
  for (const v of via) {
    if (v.htlcMinimumMsat > htlcMin) htlcMin = v.htlcMinimumMsat;
    if (v.htlcMaximumMsat < htlcMax) htlcMax = v.htlcMaximumMsat;
  }
  for (let i = 0; i < via.length; i++) {
    const v = via[i]!;
    const data: EncryptedDataTlv = {
      shortChannelId: v.shortChannelId,
      paymentRelay: { cltvExpiryDelta: v.relay.cltvExpiryDelta, feeProportionalMillionths: v.relay.feeProportionalMillionths, feeBaseMsat: BigInt(v.relay.feeBaseMsat) },
      paymentConstraints: { maxCltvExpiry: maxAt[i]!, htlcMinimumMsat: htlcMin },
    };
    hops.push({ nodeId: v.nodeId, data });
  }
  hops.push({ nodeId: p.ourNodeId, data: { pathId: p.pathId, paymentConstraints: { maxCltvExpiry: finalMax, htlcMinimumMsat: p.htlcMinimumMsat } }, ...(p.ourSecret ? { secret: p.ourSecret } : {}) });
  const path = buildBlindedPath({ firstPathSecret: randomScalar(p.random), hops, paddingRoundOff: 16 });

  return { path, payInfo: aggregatePayInfo(via, p.minFinalCltvExpiryDelta, htlcMin, htlcMax) };
}

/**
 * The `blinded_payinfo` of a path through `via` to us (BOLT 4: "MUST compute the total fees and
 * CLTV delta of the route as follows and communicate them to the sender"). `htlcMin`/`htlcMax`:
 * the path's limits, already combined with the via hops'.
 */
export function aggregatePayInfo(via: readonly PaymentForwardNode[], minFinalCltvExpiryDelta: number, htlcMin: bigint, htlcMax: bigint): BlindedPayInfo {
  // Aggregates, hop nearest to us first (each new hop is in front of the previous total).
  let base = 0n;
  let prop = 0n;
  let cltv = minFinalCltvExpiryDelta;
  for (let i = via.length - 1; i >= 0; i--) {
    const r = via[i]!.relay;
    const fb = BigInt(r.feeBaseMsat);
    const fp = BigInt(r.feeProportionalMillionths);
    // total_fee_base_msat(n+1) = (fee_base_msat(n+1) * 1000000 + total_fee_base_msat(n) * (1000000 + fee_proportional_millionths(n+1)) + 1000000 - 1) / 1000000
    base = (fb * MILLION + base * (MILLION + fp) + MILLION - 1n) / MILLION;
    // total_fee_proportional_millionths(n+1) = ((total(n) + fp(n+1)) * 1000000 + total(n) * fp(n+1) + 1000000 - 1) / 1000000
    prop = ((prop + fp) * MILLION + prop * fp + MILLION - 1n) / MILLION;
    cltv += r.cltvExpiryDelta;
  }
  if (base > BigInt(U32_MAX) || prop > BigInt(U32_MAX) || cltv > 0xffff) throw new RangeError('payment path: aggregate fees or CLTV delta do not fit blinded_payinfo');
  return {
    feeBaseMsat: Number(base),
    feeProportionalMillionths: Number(prop),
    cltvExpiryDelta: cltv,
    htlcMinimumMsat: htlcMin,
    htlcMaximumMsat: htlcMax,
    // BOLT 12: "MUST set `features` in each `blinded_payinfo` to match `allowed_features` (or empty)".
    features: new Uint8Array(0),
  };
}

/** What the sender pays at the introduction node so that `amountMsat` reaches us (BOLT 12 payinfo). */
export function amountWithFees(amountMsat: bigint, payInfo: BlindedPayInfo): bigint {
  return amountMsat + BigInt(payInfo.feeBaseMsat) + (amountMsat * BigInt(payInfo.feeProportionalMillionths) + MILLION - 1n) / MILLION;
}

function randomScalar(random: RandomSource): Uint8Array {
  for (;;) {
    const k = random(32);
    if (isPrivateKey(k)) return k;
  }
}

// ---------------------------------------------------------------------------------------------
// path_id: which invoice a payment path belongs to.
//
//   [u8 version = 1] [32 payment_hash] [16 mac], mac = HMAC-SHA256(K, version ‖ payment_hash)[0..16],
//   K = HMAC-SHA256(node_secret, "bolt12d/payments/path_id/v1")
//
// It sits inside our own encrypted hop, so only we read it; the MAC makes a path built for one
// invoice useless for another, and keeps us from keeping a table of paths.

const PATH_ID_VERSION = 1;
const PATH_ID_LABEL = utf8.encode('bolt12d/payments/path_id/v1');

export class PaymentPathIds {
  private readonly key: Uint8Array;
  constructor(nodeSecret: Uint8Array) {
    this.key = hmacSha256(nodeSecret, PATH_ID_LABEL);
  }

  create(paymentHash: Uint8Array): Uint8Array {
    if (paymentHash.length !== 32) throw new RangeError('path_id: payment hash must be 32 bytes');
    const body = concatBytes(Uint8Array.of(PATH_ID_VERSION), paymentHash);
    return concatBytes(body, hmacSha256(this.key, body).subarray(0, 16));
  }

  /** The payment hash the path was built for, or undefined if it is not one of ours. */
  verify(pathId: Uint8Array): Uint8Array | undefined {
    if (pathId.length !== 1 + 32 + 16 || pathId[0] !== PATH_ID_VERSION) return undefined;
    const body = pathId.subarray(0, 33);
    if (!constantTimeEqual(hmacSha256(this.key, body).subarray(0, 16), pathId.subarray(33))) return undefined;
    return pathId.slice(1, 33);
  }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
