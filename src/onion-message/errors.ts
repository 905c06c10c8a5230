// Why an onion message was dropped, and why a send was refused. Reasons are stable strings: they
// are the keys of the counters in `OnionMessenger.stats()`.

/** Reasons the per-hop processing (pure, see peel.ts) refuses a packet. */
export type PeelDropReason =
  /** The packet is shorter than its header or longer than the largest size we accept. */
  | 'bad_size'
  /** BOLT 4: "if `version` is not 0: MUST abort". */
  | 'bad_version'
  /** BOLT 4: "if `public_key` is not a valid pubkey: MUST abort". */
  | 'bad_public_key'
  /** The `path_key` is not a valid point. */
  | 'bad_path_key'
  /** BOLT 4: "If the computed HMAC and `hmac` differ: MUST abort". */
  | 'bad_hmac'
  /** The hop's BigSize length is malformed or runs past the packet. */
  | 'bad_payload_length'
  /** The `onionmsg_tlv` is not a valid TLV stream or its `reply_path` is malformed. */
  | 'bad_payload'
  /** BOLT 4: "it contains unknown even types: MUST ignore the message". */
  | 'unknown_even_type'
  /** BOLT 4: a non-final `onionmsg_tlv` "contains other tlv fields than `encrypted_recipient_data`". */
  | 'non_final_extra_fields'
  /** A non-final hop without `encrypted_recipient_data`. */
  | 'missing_encrypted_data'
  /** `encrypted_recipient_data` does not decrypt under rho. */
  | 'bad_encrypted_data'
  /** The decrypted `encrypted_data_tlv` is malformed, has unknown even fields, or both scid and node id. */
  | 'bad_encrypted_data_tlv'
  /** BOLT 4: non-final "if the `encrypted_data_tlv` contains `path_id`: MUST ignore the message". */
  | 'path_id_in_forward'
  /** BOLT 4: `allowed_features` "contains an unknown feature bit (even if it is odd)". */
  | 'allowed_features'
  /** BOLT 4: neither `next_node_id` nor `short_channel_id`: "MUST ignore the message". */
  | 'no_next_hop'
  /** BOLT 4, final node: "contains more than one payload field: MUST ignore the message". */
  | 'multiple_payloads'
  /** Final node, no payload field at all: nothing to deliver. */
  | 'no_payload'
  /** The onion ends at a hop whose `encrypted_data_tlv` names a next hop (a path cut short). */
  | 'final_has_next_hop';

/** Every reason the messenger counts a dropped message under. */
export type DropReason =
  | PeelDropReason
  /** The `onion_message` envelope itself does not parse (`path_key`, `len`). */
  | 'malformed'
  /** The sending peer exceeded its inbound token bucket. */
  | 'rate_limited'
  /** We do not advertise `option_onion_messages` (38/39), so we ignore them (as Core Lightning). */
  | 'not_offered'
  /** `short_channel_id` (or a sciddir) that no channel of ours resolves. */
  | 'unknown_scid'
  /** The next peer is not connected. */
  | 'next_peer_not_connected'
  /** The next peer did not advertise `option_onion_messages`. */
  | 'next_peer_no_support'
  /** Forwarding back to the peer it came from, or too many hops peeled locally. */
  | 'loop'
  /** A `path_id` that we did not write (forged, foreign, or tampered). */
  | 'bad_path_id'
  /** A `path_id` of ours whose expiry has passed. */
  | 'path_expired'
  /** A reply on one of our paths, but no handler registered for that type and purpose. */
  | 'wrong_purpose'
  /** No handler registered for the payload type. */
  | 'no_handler'
  /** A handler threw or rejected (the message was delivered; counted here to surface the bug). */
  | 'handler_error'
  /** The global bound on bytes queued for forwarding evicted the message (oldest first). */
  | 'forward_queue_full'
  /** A queued forward waited longer than `maxForwardAgeSec`. */
  | 'forward_expired'
  /** The transport refused the message. */
  | 'send_failed'
  /** The peer disconnected with the message still queued. */
  | 'peer_disconnected';

/** Why `OnionMessenger.send` refused a message. */
export type SendErrorReason =
  /** The first hop (or the introduction node) is not a connected peer. */
  | 'first_hop_not_connected'
  /** The first hop did not advertise `option_onion_messages`. */
  | 'first_hop_no_support'
  /** A sciddir introduction node and no resolver or no such channel. */
  | 'unresolved_introduction_node'
  /** The payloads do not fit in the largest (32768-byte) packet. */
  | 'too_large'
  /** The contents type is not 64/66/68 nor an odd type ≥ 64. */
  | 'bad_contents_type'
  /** The blinded path we must send into does not decode or loops on us. */
  | 'bad_blinded_path'
  /** The destination node id or a `via` hop is not a valid point. */
  | 'bad_destination'
  /** The `replyPath` given cannot be encoded (no hops, more than 255, wrong key sizes). */
  | 'bad_reply_path'
  /** The outbound queue for the first hop is full (our own messages are queued, never dropped). */
  | 'queue_full'
  /** `reply()` on a message that carried no `reply_path`. */
  | 'no_reply_path'
  /** The messenger is closed. */
  | 'closed';

export class OnionMessageSendError extends Error {
  readonly code = 'ONION_MESSAGE_SEND';
  constructor(
    readonly reason: SendErrorReason,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}

/** Raised by the pure per-hop processing; the messenger counts `reason` and drops the message. */
export class OnionMessageDropError extends Error {
  readonly code = 'ONION_MESSAGE_DROP';
  constructor(
    readonly reason: DropReason,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}
