// BOLT 4, "Onion Messages", the writer: an `onion_message_packet` along a blinded route, and the
// joining of clear hops chosen by the sender with a recipient's `blinded_path` ("For consistency,
// all onion messages use Route Blinding": clear hops are blinded by the sender itself).
import type { BlindedHop, BlindedPath } from '../wire/blinded-path.ts';
import type { TlvRecord } from '../wire/tlv.ts';
import { buildBlindedPath, type PathHopSpec } from './route-blinding.ts';
import { encodeOnionMessagePayload, type OnionMessageContents } from './payload.ts';
import { constructOnionPacket, payloadsLength, type SphinxHop } from './sphinx.ts';

/** The `hop_payloads` size of an HTLC onion; onion messages use it whenever the payloads fit. */
export const SMALL_HOP_PAYLOADS_LEN = 1300;
/** The larger fixed size, for payloads that do not fit in 1300 bytes (`len` = 32834). */
export const BIG_HOP_PAYLOADS_LEN = 32768;

/**
 * BOLT 4, the writer: "SHOULD set `onion_message_packet` `len` to 1366 or 32834" and, rationale,
 * "it either looks like an HTLC onion, or if larger, be a fixed size": the smallest that fits.
 */
export function chooseHopPayloadsLength(need: number): number {
  if (need <= SMALL_HOP_PAYLOADS_LEN) return SMALL_HOP_PAYLOADS_LEN;
  if (need <= BIG_HOP_PAYLOADS_LEN) return BIG_HOP_PAYLOADS_LEN;
  throw new RangeError(`onion message payloads need ${need} bytes; the largest packet holds ${BIG_HOP_PAYLOADS_LEN}`);
}

/** What goes in the final hop's `onionmsg_tlv` besides its `encrypted_recipient_data`. */
export interface FinalPayload {
  contents?: OnionMessageContents;
  replyPath?: BlindedPath;
  /** Other odd records (below 64), e.g. the spec vector's type 1 "hello". */
  extra?: TlvRecord[];
}

/**
 * Wrap a complete blinded route (first hop first) into an `onion_message_packet`: every non-final
 * hop's `onionmsg_tlv` holds only its `encrypted_recipient_data` ("For the non-final nodes'
 * `onionmsg_tlv`: MUST NOT set fields other than `encrypted_recipient_data`"), the final one adds
 * the contents and reply path. No associated data ("MUST NOT use any `associated_data`").
 */
export function buildOnionMessagePacket(
  hops: readonly BlindedHop[],
  final: FinalPayload,
  sessionKey: Uint8Array,
  hopPayloadsLength?: number,
): { packet: Uint8Array; hopPayloadsLength: number } {
  if (hops.length === 0) throw new RangeError('onion message: empty route');
  const sphinxHops: SphinxHop[] = hops.map((h, i) => ({
    pubkey: h.blindedNodeId,
    payload:
      i + 1 < hops.length
        ? encodeOnionMessagePayload({ encryptedRecipientData: h.encryptedRecipientData })
        : encodeOnionMessagePayload({
            encryptedRecipientData: h.encryptedRecipientData,
            replyPath: final.replyPath,
            contents: final.contents ? [final.contents] : [],
            unknown: final.extra ?? [],
          }),
  }));
  const L = hopPayloadsLength ?? chooseHopPayloadsLength(payloadsLength(sphinxHops));
  const { packet } = constructOnionPacket({ sessionKey, hops: sphinxHops, hopPayloadsLength: L });
  return { packet, hopPayloadsLength: L };
}

/** A route as the sender sees it: clear hops, then a node id or a recipient's blinded path. */
export interface OnionMessageRoute {
  /** Clear intermediate hops after us, first peer first (excluding the destination / introduction node). */
  via?: readonly Uint8Array[];
  /** The final node, or a blinded path whose introduction node is given as a node id. */
  destination: { nodeId: Uint8Array } | { blindedPath: BlindedPath };
}

export interface BuiltOnionMessage {
  /** The peer to hand the `onion_message` to. */
  firstNodeId: Uint8Array;
  /** `path_key` of the `onion_message`. */
  pathKey: Uint8Array;
  /** `onion_message_packet`. */
  packet: Uint8Array;
  /** Number of hops in the onion. */
  hopCount: number;
  hopPayloadsLength: number;
}

/**
 * Build an onion message along `route`. Clear hops get `encrypted_data_tlv`s written by us (with
 * `next_node_id`); when the destination is a blinded path, BOLT 4's reader of a `blinded_path`
 * applies: "MUST encrypt the first blinded path onion to the first `blinded_node_id`" and "MUST
 * set `next_path_key_override` in the prior onion payload to `first_path_key`" (the path's own
 * `first_path_key` is the `path_key` when there is no prior hop).
 */
export function buildOnionMessage(o: {
  route: OnionMessageRoute;
  final: FinalPayload;
  /** Session key of the Sphinx packet. */
  sessionKey: Uint8Array;
  /** e_0 of the hops we blind ourselves. */
  blindingSecret: Uint8Array;
}): BuiltOnionMessage {
  const via = o.route.via ?? [];
  const dest = o.route.destination;
  let hops: BlindedHop[];
  let pathKey: Uint8Array;
  let firstNodeId: Uint8Array;
  if ('blindedPath' in dest) {
    const bp = dest.blindedPath;
    if (bp.introductionNode.kind !== 'pubkey') throw new RangeError('onion message: resolve the sciddir introduction node first');
    if (bp.hops.length === 0) throw new RangeError('onion message: blinded path has no hops');
    const intro = bp.introductionNode.nodeId;
    if (via.length === 0) {
      hops = bp.hops;
      pathKey = bp.firstPathKey;
      firstNodeId = intro;
    } else {
      const specs: PathHopSpec[] = via.map((id, i) => ({
        nodeId: id,
        data: i + 1 < via.length ? { nextNodeId: via[i + 1]! } : { nextNodeId: intro, nextPathKeyOverride: bp.firstPathKey },
      }));
      const ours = buildBlindedPath({ firstPathSecret: o.blindingSecret, hops: specs });
      hops = [...ours.hops, ...bp.hops];
      pathKey = ours.firstPathKey;
      firstNodeId = via[0]!;
    }
  } else {
    const ids = [...via, dest.nodeId];
    const specs: PathHopSpec[] = ids.map((id, i) => ({ nodeId: id, data: i + 1 < ids.length ? { nextNodeId: ids[i + 1]! } : {} }));
    const ours = buildBlindedPath({ firstPathSecret: o.blindingSecret, hops: specs });
    hops = ours.hops;
    pathKey = ours.firstPathKey;
    firstNodeId = ids[0]!;
  }
  const { packet, hopPayloadsLength } = buildOnionMessagePacket(hops, o.final, o.sessionKey);
  return { firstNodeId, pathKey, packet, hopCount: hops.length, hopPayloadsLength };
}
