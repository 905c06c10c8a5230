// BOLT 4, Route Blinding, the writer of a `blinded_path` to itself: real hops from the
// introduction node to us, then "dummy" hops at our end ("MAY add additional 'dummy' hops at the
// end of the path (which it will ignore on receipt) to obscure the path length"), every hop's
// `encrypted_data_tlv` padded to one length ("SHOULD add padding data to ensure all
// `encrypted_data_tlv[i]` have the same length").
//
// A dummy hop is laid out exactly like a real forwarding hop: `padding` + `next_node_id`, the next
// node being ourselves; the final hop is `padding` + `path_id`. All hops' ciphertexts have the
// same length and every blinded node id is a fresh-looking point, so a sender cannot tell where the
// dummies start. On receipt, a hop whose next node is us is peeled locally (messenger.ts).
import type { BlindedPath, SciddirOrPubkey } from '../wire/blinded-path.ts';
import type { EncryptedDataTlv } from './encrypted-data.ts';
import { buildBlindedPath, type PathHopSpec } from './route-blinding.ts';

/** LDK's DUMMY_HOPS_PATH_LENGTH: paths are padded with dummy hops to at least this many hops. */
export const DEFAULT_MIN_PATH_LENGTH = 4;
/** Upper bound on dummy hops (LDK's MAX_DUMMY_HOPS_COUNT); each costs the recipient one local peel. */
export const MAX_DUMMY_HOPS = 10;
/**
 * Every hop's `encrypted_data_tlv` is padded to the longest one, rounded up to this many bytes, so
 * small differences in the context length do not show in the path.
 */
export const DEFAULT_PADDING_ROUND_OFF = 16;

/** A hop before us in a path we build: its node id and, optionally, the channel to the next hop. */
export interface ForwardNode {
  nodeId: Uint8Array;
  /** When set, the hop's data names this channel (`short_channel_id`) instead of the next node id. */
  shortChannelId?: bigint;
}

export interface ReceivePathOptions {
  ourNodeId: Uint8Array;
  /** Our node secret (optional): blinds our own hops with multiplications of G, which is cheaper. */
  ourSecret?: Uint8Array;
  /** e_0 for the path (from the CSPRNG). */
  firstPathSecret: Uint8Array;
  /** Hops before us, introduction node first; empty (default) makes us the introduction node. */
  via?: readonly ForwardNode[];
  /** The final hop's `path_id`. */
  pathId?: Uint8Array;
  /** Exact number of dummy hops; default: enough for `minPathLength` hops in all. */
  dummyHops?: number;
  /** Default {@link DEFAULT_MIN_PATH_LENGTH}. */
  minPathLength?: number;
  /** Default {@link DEFAULT_PADDING_ROUND_OFF}. */
  paddingRoundOff?: number;
  /** How to write `first_node_id` (e.g. a sciddir); default the first hop's node id. */
  introduction?: SciddirOrPubkey;
}

/** Number of dummy hops a path gets. */
export function dummyHopCount(realHops: number, o: { dummyHops?: number; minPathLength?: number }): number {
  const n = o.dummyHops ?? Math.max(0, (o.minPathLength ?? DEFAULT_MIN_PATH_LENGTH) - realHops);
  if (!Number.isInteger(n) || n < 0) throw new RangeError('dummyHops must be a non-negative integer');
  return Math.min(n, MAX_DUMMY_HOPS);
}

/** Build a blinded path that ends at us (for reply paths, offers, refunds). */
export function buildReceivePath(o: ReceivePathOptions): BlindedPath {
  const via = o.via ?? [];
  const dummies = dummyHopCount(via.length + 1, o);
  const hops: PathHopSpec[] = [];
  for (let i = 0; i < via.length; i++) {
    const next = i + 1 < via.length ? via[i + 1]!.nodeId : o.ourNodeId;
    const sc = via[i]!.shortChannelId;
    const data: EncryptedDataTlv = sc !== undefined ? { shortChannelId: sc } : { nextNodeId: next };
    hops.push({ nodeId: via[i]!.nodeId, data });
  }
  const us = o.ourSecret ? { secret: o.ourSecret } : {};
  for (let i = 0; i < dummies; i++) hops.push({ nodeId: o.ourNodeId, data: { nextNodeId: o.ourNodeId }, ...us });
  hops.push({ nodeId: o.ourNodeId, data: o.pathId ? { pathId: o.pathId } : {}, ...us });
  return buildBlindedPath({
    firstPathSecret: o.firstPathSecret,
    hops,
    introduction: o.introduction,
    paddingRoundOff: o.paddingRoundOff ?? DEFAULT_PADDING_ROUND_OFF,
  });
}
