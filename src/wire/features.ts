// BOLT 9, "Assigned Feature Flags": feature bit vectors as carried in `init` (BOLT 1),
// `node_announcement`/`channel_announcement` (BOLT 7), BOLT 12 `*_features` and blinded paths.
//
// A feature vector is big-endian: bit 0 is the least-significant bit of the LAST byte. Features come
// in pairs: the even bit means "required" (compulsory), the odd bit "supported" (optional).
// BOLT 1: "The least-significant bit is numbered 0, which is _even_, and the next most significant
// bit is numbered 1, which is _odd_."
import { toHex } from '../util/bytes.ts';

/**
 * Even (compulsory) bit of each feature assigned in BOLT 9 (commit a3772650). The optional bit is
 * the even bit + 1.
 */
export const FEATURE = {
  /** 0/1: ASSUMED. */
  option_data_loss_protect: 0,
  /** 4/5: commits to a shutdown scriptpubkey when opening a channel. */
  option_upfront_shutdown_script: 4,
  /** 6/7: peer has useful gossip to share. */
  gossip_queries: 6,
  /** 8/9: ASSUMED; BOLT 9: every node "MUST support var_onion_optin". */
  var_onion_optin: 8,
  /** 10/11: gossip queries can include additional information. */
  gossip_queries_ex: 10,
  /** 12/13: ASSUMED. */
  option_static_remotekey: 12,
  /** 14/15: ASSUMED. */
  payment_secret: 14,
  /** 16/17: can receive basic multi-part payments; depends on `payment_secret`. */
  basic_mpp: 16,
  /** 18/19: can create large channels. */
  option_support_large_channel: 18,
  /** 22/23: anchor commitment type with zero fee HTLC transactions. */
  option_anchors: 22,
  /** 24/25: node supports blinded paths. */
  option_route_blinding: 24,
  /** 26/27: future segwit versions allowed in `shutdown`. */
  option_shutdown_anysegwit: 26,
  /** 28/29: v2 channel open (dual funding). */
  option_dual_fund: 28,
  /** 34/35: support for `stfu`. */
  option_quiesce: 34,
  /** 36/37: attribution data in `update_fail_htlc`/`update_fulfill_htlc`. */
  option_attribution_data: 36,
  /** 38/39: can forward onion messages. */
  option_onion_messages: 38,
  /** 42/43: can store other nodes' encrypted backup data. */
  option_provide_storage: 42,
  /** 44/45: ASSUMED. */
  option_channel_type: 44,
  /** 46/47: supply channel aliases for routing. */
  option_scid_alias: 46,
  /** 48/49: payment metadata in tlv record (BOLT 11). */
  option_payment_metadata: 48,
  /** 50/51: understands zeroconf channel types; depends on `option_scid_alias`. */
  option_zeroconf: 50,
  /** 60/61: simplified closing negotiation; depends on `option_shutdown_anysegwit`. */
  option_simple_close: 60,
  /** 62/63: splicing. */
  option_splice: 62,
} as const;

export type FeatureName = keyof typeof FEATURE;

/**
 * BOLT 9's "Dependencies" column (commit a3772650), as even bits: feature → features it depends on.
 * A dependency is satisfied when either bit of its pair is set.
 *
 * Note: older revisions of BOLT 9 also listed payment_secret → var_onion_optin,
 * gossip_queries_ex → gossip_queries and option_anchors_zero_fee_htlc_tx → option_static_remotekey;
 * the current table has no such entries, so they are not enforced here (pass
 * `LEGACY_FEATURE_DEPENDENCIES` to `checkFeatureDependencies` to enforce them too).
 */
export const FEATURE_DEPENDENCIES: ReadonlyMap<number, readonly number[]> = new Map([
  [FEATURE.basic_mpp, [FEATURE.payment_secret]],
  [FEATURE.option_zeroconf, [FEATURE.option_scid_alias]],
  [FEATURE.option_simple_close, [FEATURE.option_shutdown_anysegwit]],
]);

/** The current dependencies plus those of earlier BOLT 9 revisions (see `FEATURE_DEPENDENCIES`). */
export const LEGACY_FEATURE_DEPENDENCIES: ReadonlyMap<number, readonly number[]> = new Map([
  ...FEATURE_DEPENDENCIES,
  [FEATURE.payment_secret, [FEATURE.var_onion_optin]],
  [FEATURE.gossip_queries_ex, [FEATURE.gossip_queries]],
  [FEATURE.option_anchors, [FEATURE.option_static_remotekey]],
]);

const NAME_OF_EVEN_BIT: ReadonlyMap<number, FeatureName> = new Map(
  (Object.entries(FEATURE) as [FeatureName, number][]).map(([n, b]) => [b, n]),
);

/** The BOLT 9 name of `bit`'s pair (either bit), or `bit <n>` when unassigned. */
export function featureName(bit: number): string {
  return NAME_OF_EVEN_BIT.get(bit & ~1) ?? `bit ${bit}`;
}

function checkBit(bit: number): void {
  if (!Number.isSafeInteger(bit) || bit < 0) throw new RangeError(`feature bit must be a non-negative integer: ${bit}`);
}

/**
 * A minimal feature vector with exactly `bits` set (BOLT 1: "SHOULD use the minimum length
 * required to represent the `features` field"). No bits → zero bytes.
 */
export function featuresFromBits(bits: readonly number[]): Uint8Array {
  let max = -1;
  for (const b of bits) {
    checkBit(b);
    if (b > max) max = b;
  }
  const len = max < 0 ? 0 : (max >> 3) + 1;
  if (len > 0xffff) throw new RangeError(`feature bit ${max} too large for a u16-length vector`);
  const out = new Uint8Array(len);
  for (const b of bits) out[len - 1 - (b >> 3)]! |= 1 << (b & 7);
  return out;
}

/** Whether `bit` is set in `vec` (bits beyond the vector are unset). */
export function hasFeature(vec: Uint8Array, bit: number): boolean {
  if (!Number.isSafeInteger(bit) || bit < 0) return false;
  const idx = vec.length - 1 - Math.floor(bit / 8);
  if (idx < 0) return false;
  return (vec[idx]! & (1 << (bit & 7))) !== 0;
}

/** All bits set in `vec`, ascending. */
export function featureBits(vec: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = vec.length - 1; i >= 0; i--) {
    const byte = vec[i]!;
    if (byte === 0) continue;
    const base = (vec.length - 1 - i) * 8;
    for (let j = 0; j < 8; j++) if (byte & (1 << j)) out.push(base + j);
  }
  return out;
}

/** Whether the feature whose pair contains `bit` is offered (either its even or its odd bit set). */
export function supportsFeature(vec: Uint8Array, evenBit: number): boolean {
  const even = evenBit - (evenBit & 1);
  return hasFeature(vec, even) || hasFeature(vec, even + 1);
}

/** Whether the feature is required: its even bit is set (BOLT 9: both set → treated as mandatory). */
export function requiresFeature(vec: Uint8Array, evenBit: number): boolean {
  return hasFeature(vec, evenBit - (evenBit & 1));
}

/**
 * Even bits set in `vec` whose feature is not in `known` (BOLT 1: "upon receiving unknown _even_
 * feature bits that are non-zero: MUST close the connection"). A feature is known when either bit
 * of its pair is in `known`.
 */
export function unknownRequiredBits(vec: Uint8Array, known: ReadonlySet<number>): number[] {
  return featureBits(vec).filter((b) => b % 2 === 0 && !known.has(b) && !known.has(b + 1));
}

/**
 * BOLT 1, the receiving node: "if the feature vector does not set all known, transitive
 * dependencies: MUST close the connection"; BOLT 9: the origin "MUST set all transitive feature
 * dependencies". Returns null when every set feature has its dependencies set (either bit), else a
 * message naming the first feature and the dependency it lacks. Checking each set feature's direct
 * dependencies covers the transitive ones, since a dependency must itself be set.
 */
export function checkFeatureDependencies(
  vec: Uint8Array,
  deps: ReadonlyMap<number, readonly number[]> = FEATURE_DEPENDENCIES,
): string | null {
  for (const [feature, needs] of deps) {
    if (!supportsFeature(vec, feature)) continue;
    for (const need of needs) {
      if (!supportsFeature(vec, need)) {
        return `feature ${featureName(feature)} (${feature}/${feature + 1}) requires ${featureName(need)} (${need}/${need + 1}), which is not set`;
      }
    }
  }
  return null;
}

/** Bitwise OR of two feature vectors (right-aligned, as bit 0 is in the last byte); minimal length. */
export function mergeFeatures(a: Uint8Array, b: Uint8Array): Uint8Array {
  const n = Math.max(a.length, b.length);
  const out = new Uint8Array(n);
  for (let i = 1; i <= n; i++) {
    out[n - i] = (a.length - i >= 0 ? a[a.length - i]! : 0) | (b.length - i >= 0 ? b[b.length - i]! : 0);
  }
  return minimalFeatures(out);
}

/** The vector without leading zero bytes (same bits). */
export function minimalFeatures(vec: Uint8Array): Uint8Array {
  let i = 0;
  while (i < vec.length && vec[i] === 0) i++;
  return vec.slice(i);
}

/** Whether two vectors have the same bits set (ignoring leading zero padding). */
export function featuresEqual(a: Uint8Array, b: Uint8Array): boolean {
  const x = minimalFeatures(a);
  const y = minimalFeatures(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Lowercase hex of the vector as given (e.g. for logs, `getinfo`, `listpeers`). */
export function featuresToHex(vec: Uint8Array): string {
  return toHex(vec);
}
