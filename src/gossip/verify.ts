// BOLT 7 validation of the three gossip messages that carry signatures — `channel_announcement`,
// `node_announcement`, `channel_update` — in two steps, so a caller does the cheap work first:
//
//   1. decodeAndPrecheck(raw, ctx): decode, then the rules that need neither the graph nor a
//      signature (chain hash, node id order, timestamps against `ctx.now`, low-S form of the
//      signatures), and the double-SHA256 the signatures sign. Microseconds per message.
//   2. the caller's own cheap checks against its graph (already known scid, a timestamp that is not
//      newer, an update for an unknown channel), then the signatures: verifyPrechecked() here
//      (synchronous), or a GossipSignatureVerifier pool (gossip-verify-pool.ts) that spreads
//      batches over worker threads — ~60 µs per ECDSA verification even natively, four per
//      channel_announcement: the cost of ingest.
//
//   const p = decodeAndPrecheck(raw, { chainHash: CHAIN_HASH.mainnet, now: clock.now() });
//   if (!p.ok) return count(p.reason);
//   if (p.kind === 'channel_update' && !graph.hasChannel(p.msg.shortChannelId)) return count('unknown_channel');
//   const signer = p.kind === 'channel_update' ? graph.nodeIdOf(p.msg.shortChannelId, p.direction) : undefined;
//   if (!verifyPrechecked(p, signer)) return count('bad_signature');
//
// Rejections carry a GossipRejectReason, a fixed set of names the caller counts (getinfo shows
// the counts). Signing our own announcements: gossip-sign.ts (re-exported here).
import { sha256, verifyEcdsa, CURVE_ORDER } from '../crypto/index.ts';
import {
  WireError,
  GOSSIP_MSG,
  CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET,
  NODE_ANNOUNCEMENT_SIGNED_OFFSET,
  CHANNEL_UPDATE_SIGNED_OFFSET,
  decodeChannelAnnouncement,
  decodeNodeAnnouncement,
  decodeChannelUpdate,
  channelUpdateDirection,
  channelUpdateDisabled,
  channelUpdateDontForward,
  nodeAddressIssues,
  featureBits,
  FEATURE,
  type ChannelAnnouncement,
  type NodeAnnouncement,
  type ChannelUpdate,
  type NodeAddressIssue,
} from '../wire/index.ts';
import { bytesEqual, compareBytes } from '../util/bytes.ts';

export * from './gossip-sign.ts';

/**
 * Why a gossip message was not taken. The first group is decided here; the rest by the caller
 * (graph, sync and store code), listed here so that one enumeration names every counter.
 */
export const GOSSIP_REJECT_REASONS = [
  /** The payload does not decode (WireError): truncated, a point without 02/03, a cut-off address descriptor, a non-ASCII hostname; or not a signed gossip type. */
  'malformed',
  /** A signature not in low-S form: libsecp256k1 (so Core Lightning and LDK) refuses those, and BOLT 7 notes that `s` → `-s` lets anyone re-sign a message. */
  'non_canonical',
  /** BOLT 7: "if the specified `chain_hash` is unknown to the receiver: MUST ignore the message". */
  'wrong_chain',
  /** BOLT 7: `node_id_1` "is the lexicographically-lesser of the two compressed keys" — equal or reversed ids. */
  'node_ids_not_ordered',
  /** A signature that does not verify (or a key that is not on the curve). */
  'bad_signature',
  /** A timestamp more than `maxFutureSeconds` ahead of now (BOLT 7: "unreasonably far in the future: MAY discard"). */
  'future_timestamp',
  /** A channel_update older than `staleSeconds` (BOLT 7, pruning: "older than two weeks (1209600 seconds) ... MAY ignore"). */
  'stale',
  // --- decided by the caller:
  /** A channel_update whose `short_channel_id` matches no `channel_announcement` ("MUST ignore"). */
  'unknown_channel',
  /** A node_announcement for a node "NOT previously known from a `channel_announcement`" ("SHOULD ignore"). */
  'unknown_node',
  /** The same message again (same scid announced; same update timestamp and fields). */
  'duplicate',
  /** A timestamp not greater than the last one received for the same node / channel direction. */
  'outdated',
  /** The funding output could not be confirmed (UtxoLookup), once a chain backend exists. */
  'no_utxo',
  /** Over a per-peer gossip rate limit. */
  'rate_limited',
  /** Over the bound of what one peer may make us store. */
  'store_full',
] as const;

export type GossipRejectReason = (typeof GOSSIP_REJECT_REASONS)[number];

/** A zero count for every reason, for the caller's counters. */
export function emptyRejectCounts(): Record<GossipRejectReason, number> {
  return Object.fromEntries(GOSSIP_REJECT_REASONS.map((r) => [r, 0])) as Record<GossipRejectReason, number>;
}

/** One day: Core Lightning (`timestamp_reasonable`) and LDK both refuse updates further ahead. */
export const DEFAULT_MAX_FUTURE_SECONDS = 24 * 60 * 60;
/** BOLT 7, "Recommendation on Pruning Stale Entries": two weeks (1209600 seconds). */
export const STALE_SECONDS = 1_209_600;

export interface GossipContext {
  /** Our chain (`CHAIN_HASH[network]`). */
  chainHash: Uint8Array;
  /** Seconds since the epoch, from the node's Clock. */
  now: number;
  /** Reject timestamps later than now + this (default {@link DEFAULT_MAX_FUTURE_SECONDS}). */
  maxFutureSeconds?: number;
  /**
   * Reject channel_updates older than now − this (default {@link STALE_SECONDS}); `Infinity` turns
   * the check off (e.g. loading our own store, as Core Lightning skips it for its gossip_store).
   */
  staleSeconds?: number;
}

interface PrecheckedBase {
  /** The framed message as received (type + payload). */
  raw: Uint8Array;
  /** The payload (a view of `raw` without its type). */
  payload: Uint8Array;
  /** Double-SHA256 of the signed part: what every signature of the message signs. */
  signedHash: Uint8Array;
}

export interface PrecheckedChannelAnnouncement extends PrecheckedBase {
  kind: 'channel_announcement';
  msg: ChannelAnnouncement;
  /**
   * Even feature bits we do not know (BOLT 9 assigns none to channel_announcement, so: every even
   * bit). BOLT 7: "if there is an unknown even bit in the `features` field: MUST NOT attempt to
   * route messages through the channel" — the channel may be stored, never used.
   */
  unknownEvenFeatures: number[];
}

export interface PrecheckedNodeAnnouncement extends PrecheckedBase {
  kind: 'node_announcement';
  msg: NodeAnnouncement;
  /** BOLT 7: unknown even bits → "SHOULD NOT connect to the node", "MUST NOT route a payment _through_ the node". */
  unknownEvenFeatures: number[];
  /** Address list rules broken (see nodeAddressIssues); the offending descriptors are to be ignored. */
  addressIssues: NodeAddressIssue[];
  /** False when BOLT 7 forbids relaying it ("if more than one `type 5` address is announced: ... MUST not forward"). */
  forwardable: boolean;
}

export interface PrecheckedChannelUpdate extends PrecheckedBase {
  kind: 'channel_update';
  msg: ChannelUpdate;
  /** `channel_flags` bit 0: 0 → signed by `node_id_1`, 1 → by `node_id_2`. */
  direction: 0 | 1;
  disabled: boolean;
  /** False when `dont_forward` is set (an update for an unannounced channel: never relayed). */
  forwardable: boolean;
  /**
   * False when BOLT 7 says to leave the channel out of route considerations: "if
   * `htlc_maximum_msat` < `htlc_minimum_msat`: SHOULD ignore this channel during route
   * considerations". (The capacity bound needs the funding output: no chain backend yet.)
   */
  routable: boolean;
}

export type Prechecked = PrecheckedChannelAnnouncement | PrecheckedNodeAnnouncement | PrecheckedChannelUpdate;

export interface GossipReject {
  ok: false;
  reason: GossipRejectReason;
  /** Human-readable, for logs (the WireError text for `malformed`). */
  detail: string;
  /** The message type, when it could be read. */
  type?: number;
}

export type PrecheckResult = ({ ok: true } & Prechecked) | GossipReject;

const reject = (reason: GossipRejectReason, detail: string, type?: number): GossipReject => ({ ok: false, reason, detail, type });

/** Feature bits this implementation knows in node_announcement (BOLT 9's assigned pairs, both bits). */
const KNOWN_NODE_FEATURES: ReadonlySet<number> = new Set(Object.values(FEATURE).flatMap((b) => [b, b + 1]));

function unknownEven(features: Uint8Array, known: ReadonlySet<number> | null): number[] {
  if (features.length === 0) return [];
  return featureBits(features).filter((b) => b % 2 === 0 && !(known?.has(b) ?? false));
}

const HALF_N = CURVE_ORDER >> 1n;
const HALF_N_BYTES = (() => {
  const out = new Uint8Array(32);
  let x = HALF_N;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
})();

/**
 * Whether the 64-byte compact signature's `s` is in low-S form (s ≤ n/2), compared byte by byte.
 * libsecp256k1's verification "only accepts lower-S" signatures, as BOLT 2 requires of
 * transaction signatures (the LOW-S-standard rule); BOLT 7 inherits it through the
 * implementations (Core Lightning and LDK both verify with libsecp256k1).
 */
export function isLowS(sig: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const x = sig[32 + i]!;
    const h = HALF_N_BYTES[i]!;
    if (x !== h) return x < h;
  }
  return true;
}

function doubleSha256(b: Uint8Array): Uint8Array {
  return sha256(sha256(b));
}

/** Double-SHA256 of a gossip payload's signed part (BOLT 7's `h`), by message type. */
export function gossipSignedHash(type: number, payload: Uint8Array): Uint8Array {
  switch (type) {
    case GOSSIP_MSG.channel_announcement:
      return doubleSha256(payload.subarray(CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET));
    case GOSSIP_MSG.node_announcement:
      return doubleSha256(payload.subarray(NODE_ANNOUNCEMENT_SIGNED_OFFSET));
    case GOSSIP_MSG.channel_update:
      return doubleSha256(payload.subarray(CHANNEL_UPDATE_SIGNED_OFFSET));
    default:
      throw new RangeError(`message type ${type} carries no gossip signature`);
  }
}

/**
 * Step 1 of validation (see the file comment): decode `raw` (a framed message: 2-byte type, then
 * the payload) and apply the rules that need neither graph nor signature. Never throws for peer
 * input: a message it cannot take comes back as `{ ok: false, reason }`. On success the message's
 * fields are views into `raw`.
 */
export function decodeAndPrecheck(raw: Uint8Array, ctx: GossipContext): PrecheckResult {
  if (raw.length < 2) return reject('malformed', 'message shorter than its 2-byte type');
  const type = (raw[0]! << 8) | raw[1]!;
  const payload = raw.subarray(2);
  const maxFuture = ctx.maxFutureSeconds ?? DEFAULT_MAX_FUTURE_SECONDS;
  try {
    switch (type) {
      case GOSSIP_MSG.channel_announcement: {
        const msg = decodeChannelAnnouncement(payload);
        if (!bytesEqual(msg.chainHash, ctx.chainHash)) return reject('wrong_chain', 'channel_announcement.chain_hash is not our chain', type);
        // BOLT 7: "MUST set `node_id_1` and `node_id_2` ... such that `node_id_1` is the
        // lexicographically-lesser of the two compressed keys sorted in ascending lexicographic order."
        if (compareBytes(msg.nodeId1, msg.nodeId2) >= 0) {
          return reject('node_ids_not_ordered', 'channel_announcement: node_id_1 is not lexicographically less than node_id_2', type);
        }
        if (!isLowS(msg.nodeSignature1) || !isLowS(msg.nodeSignature2) || !isLowS(msg.bitcoinSignature1) || !isLowS(msg.bitcoinSignature2)) {
          return reject('non_canonical', 'channel_announcement: a signature is not in low-S form', type);
        }
        const signedHash = doubleSha256(payload.subarray(CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET));
        return { ok: true, kind: 'channel_announcement', raw, payload, signedHash, msg, unknownEvenFeatures: unknownEven(msg.features, null) };
      }
      case GOSSIP_MSG.node_announcement: {
        const msg = decodeNodeAnnouncement(payload);
        if (msg.timestamp > ctx.now + maxFuture) return reject('future_timestamp', `node_announcement.timestamp ${msg.timestamp} is more than ${maxFuture} s ahead`, type);
        if (!isLowS(msg.signature)) return reject('non_canonical', 'node_announcement.signature is not in low-S form', type);
        const addressIssues = nodeAddressIssues(msg.addresses);
        const signedHash = doubleSha256(payload.subarray(NODE_ANNOUNCEMENT_SIGNED_OFFSET));
        return {
          ok: true,
          kind: 'node_announcement',
          raw,
          payload,
          signedHash,
          msg,
          unknownEvenFeatures: unknownEven(msg.features, KNOWN_NODE_FEATURES),
          addressIssues,
          forwardable: !addressIssues.some((i) => i.rule === 'extra_dns'),
        };
      }
      case GOSSIP_MSG.channel_update: {
        const msg = decodeChannelUpdate(payload);
        // BOLT 7: "if the specified `chain_hash` value is unknown ...: MUST ignore the channel update."
        if (!bytesEqual(msg.chainHash, ctx.chainHash)) return reject('wrong_chain', 'channel_update.chain_hash is not our chain', type);
        // BOLT 7: "if the `timestamp` is unreasonably far in the future: MAY discard the `channel_update`."
        if (msg.timestamp > ctx.now + maxFuture) return reject('future_timestamp', `channel_update.timestamp ${msg.timestamp} is more than ${maxFuture} s ahead`, type);
        const staleSeconds = ctx.staleSeconds ?? STALE_SECONDS;
        if (msg.timestamp < ctx.now - staleSeconds) return reject('stale', `channel_update.timestamp ${msg.timestamp} is older than ${staleSeconds} s`, type);
        if (!isLowS(msg.signature)) return reject('non_canonical', 'channel_update.signature is not in low-S form', type);
        const signedHash = doubleSha256(payload.subarray(CHANNEL_UPDATE_SIGNED_OFFSET));
        return {
          ok: true,
          kind: 'channel_update',
          raw,
          payload,
          signedHash,
          msg,
          direction: channelUpdateDirection(msg),
          disabled: channelUpdateDisabled(msg),
          forwardable: !channelUpdateDontForward(msg),
          routable: msg.htlcMinimumMsat <= msg.htlcMaximumMsat,
        };
      }
      default:
        return reject('malformed', `type ${type} is not a signed gossip message (256, 257, 258)`, type);
    }
  } catch (e) {
    if (e instanceof WireError) return reject('malformed', e.message, type);
    throw e;
  }
}

/** One ECDSA verification: `signature` of `digest` by `pubkey`. */
export interface SignatureCheck {
  digest: Uint8Array;
  pubkey: Uint8Array;
  signature: Uint8Array;
}

/**
 * The node id that signs a channel_update. BOLT 7: "The `node_id` for the signature verification is
 * taken from the corresponding `channel_announcement`: `node_id_1` if the least-significant bit of
 * flags is 0 or `node_id_2` otherwise."
 */
export function channelUpdateSigner(announcement: Pick<ChannelAnnouncement, 'nodeId1' | 'nodeId2'>, update: Pick<ChannelUpdate, 'channelFlags'>): Uint8Array {
  return channelUpdateDirection(update) === 0 ? announcement.nodeId1 : announcement.nodeId2;
}

/**
 * The signature checks a prechecked message needs: four for a channel_announcement (BOLT 7: "MUST
 * verify the integrity AND authenticity of the message by verifying the signatures" — node 1,
 * node 2, bitcoin key 1, bitcoin key 2, all over `h`), one for a node_announcement (by its
 * `node_id`), one for a channel_update (by `signer`, which the caller takes from the channel's
 * announcement: see {@link channelUpdateSigner}; required for updates).
 */
export function signatureChecks(p: Prechecked, signer?: Uint8Array): SignatureCheck[] {
  const digest = p.signedHash;
  switch (p.kind) {
    case 'channel_announcement': {
      const m = p.msg;
      return [
        { digest, pubkey: m.nodeId1, signature: m.nodeSignature1 },
        { digest, pubkey: m.nodeId2, signature: m.nodeSignature2 },
        { digest, pubkey: m.bitcoinKey1, signature: m.bitcoinSignature1 },
        { digest, pubkey: m.bitcoinKey2, signature: m.bitcoinSignature2 },
      ];
    }
    case 'node_announcement':
      return [{ digest, pubkey: p.msg.nodeId, signature: p.msg.signature }];
    case 'channel_update':
      if (!signer) throw new RangeError('channel_update: the signer (node_id_1 or node_id_2 of its channel_announcement) is required');
      return [{ digest, pubkey: signer, signature: p.msg.signature }];
  }
}

/** Whether every check verifies (synchronously, on this thread). */
export function verifySignatureChecks(checks: readonly SignatureCheck[]): boolean {
  for (const c of checks) if (!verifyEcdsa(c.digest, c.pubkey, c.signature)) return false;
  return true;
}

/** Step 2, synchronous: all the message's signatures verify (`signer` for channel_updates). */
export function verifyPrechecked(p: Prechecked, signer?: Uint8Array): boolean {
  return verifySignatureChecks(signatureChecks(p, signer));
}
