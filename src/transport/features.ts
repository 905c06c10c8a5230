// Our `init` and the checks on the peer's `init` (BOLT 1 "The init Message", BOLT 9).
import {
  CHAIN_HASH,
  FEATURE,
  checkFeatureDependencies,
  combinedInitFeatures,
  featureBits,
  featuresFromBits,
  unknownRequiredBits,
  type InitMessage,
  type Network,
} from '../wire/index.ts';
import { bytesEqual, toHex } from '../util/bytes.ts';

/**
 * The feature bits our `init` advertises by default, all OPTIONAL (odd): we require nothing of a
 * peer beyond BOLT 8/1, so we set no even bit.
 *
 * - 25 `option_route_blinding` and 39 `option_onion_messages`: what this node is for (BOLT 4 blinded
 *   paths and onion messages). LDK uses a peer for onion messages only when it sets 38/39
 *   (lightning/src/onion_message/messenger.rs, `peer_connected`).
 * - 1 `option_data_loss_protect`, 9 `var_onion_optin`, 13 `option_static_remotekey`,
 *   15 `payment_secret`: BOLT 9 marks these ASSUMED (every node has them; we open no channels, so
 *   supporting them is vacuous). A full LDK node REQUIRES them: LDK 0.1 sets 0, 8, 12, 14 even
 *   (lightning/src/ln/channelmanager.rs `provided_init_features`) and drops a peer that sets
 *   neither bit of a pair LDK requires (lightning/src/ln/peer_handler.rs, v0.1 line ~1693:
 *   `our_features.requires_unknown_bits_from(&msg.features)`); its ChannelManager additionally
 *   disconnects a peer without 12/13 (`peer_connected`: "does not support static remote key").
 * - 45 `option_channel_type`: also ASSUMED; Core Lightning sets it compulsory (44) since 24.x and
 *   Eclair requires it, so advertising it costs nothing and avoids a future "requires" check.
 *
 * Core Lightning (connectd/connectd.c `peer_connected`, lightningd/lightningd.c
 * `default_features`) requires nothing of a peer: it disconnects only when the peer sets an even
 * bit CLN does not offer (`features_unsupported`), when a BOLT 9 dependency is missing
 * (`feature_check_depends`: basic_mpp → payment_secret), or when `networks` shares no chain with it
 * (connectd/peer_exchange_initmsg.c). We set no even bit and no feature with a dependency, and send
 * `networks` = our chain, so both CLN and LDK keep us.
 *
 * Layers above may add bits through `PeerRegistryOptions.localFeatures` (e.g. gossip_queries 7
 * once the gossip layer syncs); the bits we *know* are exactly the pairs we advertise.
 */
export const DEFAULT_INIT_FEATURE_BITS: readonly number[] = Object.freeze([
  FEATURE.option_data_loss_protect + 1, // 1
  FEATURE.var_onion_optin + 1, // 9
  FEATURE.option_static_remotekey + 1, // 13
  FEATURE.payment_secret + 1, // 15
  FEATURE.option_route_blinding + 1, // 25
  FEATURE.option_onion_messages + 1, // 39
  FEATURE.option_channel_type + 1, // 45
]);

/** Our default `features` vector (minimal length). */
export function defaultInitFeatures(): Uint8Array {
  return featuresFromBits(DEFAULT_INIT_FEATURE_BITS as number[]);
}

/** Both bits of every pair set in `local`: the features we "know" when the peer sets an even bit. */
export function knownFeatureBits(local: Uint8Array): Set<number> {
  const known = new Set<number>();
  for (const b of featureBits(local)) {
    known.add(b & ~1);
    known.add(b | 1);
  }
  return known;
}

/** Our `init` (BOLT 1): features, `networks` = our chain, `remote_addr` when we have a public one. */
export function buildInit(local: Uint8Array, network: Network, remoteAddr?: Uint8Array): InitMessage {
  const m: InitMessage = {
    // BOLT 1: "SHOULD NOT set features greater than 13 in globalfeatures": we put all in `features`.
    globalFeatures: new Uint8Array(0),
    features: local,
    // "SHOULD set `networks` to all chains it will gossip or open channels for."
    networks: [CHAIN_HASH[network]],
    unknownTlvs: [],
  };
  if (remoteAddr) m.remoteAddr = remoteAddr;
  return m;
}

export type InitCheck =
  | { ok: true; features: Uint8Array }
  /** `warning`: text to send in a `warning` before closing (CLN does so for these cases). */
  | { ok: false; reason: string; warning: string };

/** The receiving node's checks on the peer's `init` (BOLT 1, "The receiving node"). */
export function checkRemoteInit(remote: InitMessage, local: Uint8Array, network: Network): InitCheck {
  // "MUST combine (bitwise OR) the two feature bitmaps into one logical `features` map."
  const features = combinedInitFeatures(remote);
  // "upon receiving unknown _even_ feature bits that are non-zero: MUST close the connection."
  const unknown = unknownRequiredBits(features, knownFeatureBits(local));
  if (unknown.length > 0) {
    return {
      ok: false,
      reason: `peer requires unknown feature bits ${unknown.join(',')} (features ${toHex(features)})`,
      warning: `Unsupported feature ${unknown[0]}`,
    };
  }
  // "if the feature vector does not set all known, transitive dependencies: MUST close the connection."
  const dep = checkFeatureDependencies(features);
  if (dep !== null) return { ok: false, reason: `bad feature dependencies: ${dep}`, warning: dep };
  // "upon receiving `networks` containing no common chains: MAY close the connection." We do, as
  // CLN and LDK do: we only speak for one chain.
  if (remote.networks !== undefined && !remote.networks.some((h) => bytesEqual(h, CHAIN_HASH[network]))) {
    return {
      ok: false,
      reason: `no common network: peer's networks [${remote.networks.map(toHex).join(',')}] lack ${network}`,
      warning: 'No common network',
    };
  }
  return { ok: true, features };
}
