// BOLT 4, "Onion Messages", the reader: what one node does with an `onion_message` addressed to
// it — unblind with `path_key`, peel the Sphinx layer, read `onionmsg_tlv` and
// `encrypted_data_tlv`, and decide between "forward to the next peer" and "it is for us".
// Pure: no I/O; the messenger acts on the result.
import type { BlindedPath } from '../wire/blinded-path.ts';
import { WireError } from '../wire/errors.ts';
import { BIG_HOP_PAYLOADS_LEN } from './build.ts';
import type { EncryptedDataTlv } from './encrypted-data.ts';
import { OnionMessageDropError } from './errors.ts';
import {
  checkFinalPayload,
  checkForwardPayload,
  decodeOnionMessagePayload,
  PayloadRuleError,
  type OnionMessageContents,
  type OnionMessagePayload,
} from './payload.ts';
import { readEncryptedData, UnblindError, unblindKeys } from './route-blinding.ts';
import { parseOnionPacket, peelOnionPacket, SphinxError, type OnionPacket } from './sphinx.ts';

/** The next hop named by a forwarding hop's `encrypted_data_tlv`. */
export type NextHop = { kind: 'node'; nodeId: Uint8Array } | { kind: 'scid'; shortChannelId: bigint };

export interface ForwardResult {
  kind: 'forward';
  next: NextHop;
  /** `path_key` for the forwarded `onion_message` (override or computed). */
  nextPathKey: Uint8Array;
  /** The `onion_message_packet` to forward. */
  packet: Uint8Array;
  data: EncryptedDataTlv;
}

export interface ReceiveResult {
  kind: 'receive';
  /** The single payload field (type ≥ 64). */
  contents: OnionMessageContents;
  replyPath?: BlindedPath;
  /** The final hop's decrypted `encrypted_data_tlv` (empty when the sender sent none). */
  data: EncryptedDataTlv;
  /** `encrypted_data_tlv.path_id`, if any. */
  pathId?: Uint8Array;
  /** The whole decoded payload (unknown odd records included). */
  payload: OnionMessagePayload;
}

export type PeelResult = ForwardResult | ReceiveResult;

export interface PeelOptions {
  /** Largest `hop_payloads` accepted (default 32768: the spec's larger size). */
  maxHopPayloadsLength?: number;
}

function drop(reason: ConstructorParameters<typeof OnionMessageDropError>[0], msg: string): never {
  throw new OnionMessageDropError(reason, msg);
}

/**
 * Process an `onion_message` addressed to the node whose secret is `nodeSecret`. BOLT 4: "MUST
 * decrypt `onion_message_packet` using an empty `associated_data`, and `path_key`, as described in
 * Onion Decryption to extract an `onionmsg_tlv`". Throws {@link OnionMessageDropError} naming the
 * rule broken; the caller ignores the message and counts the reason.
 */
export function peelOnionMessage(nodeSecret: Uint8Array, pathKey: Uint8Array, packetBytes: Uint8Array, opts: PeelOptions = {}): PeelResult {
  const max = opts.maxHopPayloadsLength ?? BIG_HOP_PAYLOADS_LEN;
  // Size first (cheapest): hop_payloads = total - 66.
  if (packetBytes.length > max + 66) drop('bad_size', `hop_payloads of ${packetBytes.length - 66} bytes exceeds ${max}`);
  let packet: OnionPacket;
  try {
    packet = parseOnionPacket(packetBytes);
  } catch (e) {
    if (e instanceof SphinxError) drop(e.reason, e.message);
    throw e;
  }

  // "if `path_key` is specified: Calculate the `blinding_ss` as ECDH(`path_key`, `node_privkey`)
  // ... Tweak its own `node_privkey` below by multiplying by HMAC256("blinded_node_id", blinding_ss)".
  let keys: { blindingSs: Uint8Array; blindedSecret: Uint8Array };
  try {
    keys = unblindKeys(nodeSecret, pathKey);
  } catch (e) {
    if (e instanceof UnblindError) drop(e.reason, e.message);
    throw e;
  }

  let peeled;
  try {
    // Onion messages: "there is no 'legacy' length: a 0 length would mean an empty onionmsg_payload".
    peeled = peelOnionPacket(packet, keys.blindedSecret, { minPayloadLength: 0 });
  } catch (e) {
    if (e instanceof SphinxError) drop(e.reason, e.message);
    throw e;
  }

  let payload: OnionMessagePayload;
  try {
    payload = decodeOnionMessagePayload(peeled.payload);
  } catch (e) {
    if (e instanceof WireError) drop(e.rule === 'unknown even type' ? 'unknown_even_type' : 'bad_payload', e.message);
    throw e;
  }

  const readData = (enc: Uint8Array, needNext: boolean) => {
    try {
      return readEncryptedData(keys, pathKey, enc, { needNextPathKey: needNext });
    } catch (e) {
      if (e instanceof UnblindError) drop(e.reason === 'bad_path_key' ? 'bad_path_key' : e.reason, e.message);
      throw e;
    }
  };
  const checkAllowedFeatures = (d: EncryptedDataTlv) => {
    // "if `encrypted_data_tlv` contains `allowed_features`: MUST ignore the message if ...
    // contains an unknown feature bit (even if it is odd)": onion messages define none.
    if (d.allowedFeatures && d.allowedFeatures.some((b) => b !== 0)) drop('allowed_features', 'allowed_features names a feature we do not know');
  };

  if (peeled.next) {
    let enc: Uint8Array;
    try {
      enc = checkForwardPayload(payload);
    } catch (e) {
      if (e instanceof PayloadRuleError) drop(e.reason === 'missing_encrypted_data' ? 'missing_encrypted_data' : 'non_final_extra_fields', e.message);
      throw e;
    }
    const hop = readData(enc, true);
    // "if the `encrypted_data_tlv` contains `path_id`: MUST ignore the message."
    if (hop.data.pathId !== undefined) drop('path_id_in_forward', 'a forwarding hop has a path_id');
    checkAllowedFeatures(hop.data);
    let next: NextHop;
    if (hop.data.nextNodeId) next = { kind: 'node', nodeId: hop.data.nextNodeId };
    else if (hop.data.shortChannelId !== undefined) next = { kind: 'scid', shortChannelId: hop.data.shortChannelId };
    else drop('no_next_hop', 'encrypted_data_tlv has neither next_node_id nor short_channel_id');
    return { kind: 'forward', next, nextPathKey: hop.nextPathKey, packet: peeled.next.packet, data: hop.data };
  }

  let contents: OnionMessageContents;
  try {
    contents = checkFinalPayload(payload);
  } catch (e) {
    if (e instanceof PayloadRuleError) drop(e.reason === 'multiple_payloads' ? 'multiple_payloads' : 'no_payload', e.message);
    throw e;
  }
  let data: EncryptedDataTlv = {};
  if (payload.encryptedRecipientData) {
    data = readData(payload.encryptedRecipientData, false).data;
    checkAllowedFeatures(data);
    // A hop written to forward (a real or dummy hop of a path, our introduction hop) used as the
    // onion's final hop: a sender cutting one of our paths short to probe where it ends. The
    // writer of a final hop never names a next hop (BOLT 4: `next_node_id` / `short_channel_id`
    // are "for each non-final node").
    if (data.nextNodeId !== undefined || data.shortChannelId !== undefined) {
      drop('final_has_next_hop', 'the final hop\'s encrypted_data_tlv names a next hop');
    }
  }
  const r: ReceiveResult = { kind: 'receive', contents, data, payload };
  if (payload.replyPath) r.replyPath = payload.replyPath;
  if (data.pathId) r.pathId = data.pathId;
  return r;
}
