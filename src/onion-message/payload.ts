// BOLT 4, "The `onion_message` Message": the `onionmsg_tlv` each hop finds in its layer, and the
// rules for what a final and a non-final hop's payload may contain.
import { decodeBlindedPath, encodeBlindedPath, type BlindedPath } from '../wire/blinded-path.ts';
import { WireError } from '../wire/errors.ts';
import { decodeTlvStream, encodeTlvStream, type TlvRecord } from '../wire/tlv.ts';

export const ONIONMSG_TLV = {
  reply_path: 2n,
  encrypted_recipient_data: 4n,
  invoice_request: 64n,
  invoice: 66n,
  invoice_error: 68n,
} as const;

/** "Field numbers 64 and above are reserved for payloads for the final hop." */
export const FIRST_PAYLOAD_TYPE = 64n;

const KNOWN_EVEN = new Set<bigint>([ONIONMSG_TLV.reply_path, ONIONMSG_TLV.encrypted_recipient_data, ONIONMSG_TLV.invoice_request, ONIONMSG_TLV.invoice, ONIONMSG_TLV.invoice_error]);

/** The message a final hop carries: one TLV of type ≥ 64 (BOLT 12's 64/66/68, or a custom odd type). */
export interface OnionMessageContents {
  type: bigint;
  /** The TLV value, opaque here (`tlv_invoice_request`, `tlv_invoice`, `tlv_invoice_error`, ...). */
  value: Uint8Array;
}

/** A decoded `onionmsg_tlv`. */
export interface OnionMessagePayload {
  /** Type 2: where the final node may reply. */
  replyPath?: BlindedPath;
  /** Type 4: the hop's `encrypted_recipient_data`. */
  encryptedRecipientData?: Uint8Array;
  /** Records of type ≥ 64 (payloads for the final hop), in order. */
  contents: OnionMessageContents[];
  /** Unknown odd records below 64, kept in order. */
  unknown: TlvRecord[];
}

/** True for a type a sender may use for contents: BOLT 12's 64/66/68, or any odd type ≥ 64. */
export function isSendableContentsType(type: bigint): boolean {
  return type >= FIRST_PAYLOAD_TYPE && (type % 2n === 1n || KNOWN_EVEN.has(type));
}

/**
 * Decode an `onionmsg_tlv`. BOLT 4, the reader: "If decryption fails, the result is not a valid
 * `onionmsg_tlv`, or it contains unknown even types: MUST ignore the message" — so an unknown even
 * type throws here, as does a malformed `reply_path`.
 */
export function decodeOnionMessagePayload(b: Uint8Array): OnionMessagePayload {
  const field = 'onionmsg_tlv';
  const recs = decodeTlvStream(b, { field, known: KNOWN_EVEN });
  const p: OnionMessagePayload = { contents: [], unknown: [] };
  for (const r of recs) {
    if (r.type === ONIONMSG_TLV.reply_path) p.replyPath = decodeBlindedPath(r.value, `${field}.reply_path`);
    else if (r.type === ONIONMSG_TLV.encrypted_recipient_data) p.encryptedRecipientData = r.value;
    else if (r.type >= FIRST_PAYLOAD_TYPE) p.contents.push({ type: r.type, value: r.value });
    else p.unknown.push(r);
  }
  return p;
}

/** Encode an `onionmsg_tlv` (records in increasing type order). */
export function encodeOnionMessagePayload(p: Partial<OnionMessagePayload>): Uint8Array {
  const recs: TlvRecord[] = [];
  if (p.replyPath) recs.push({ type: ONIONMSG_TLV.reply_path, value: encodeBlindedPath(p.replyPath) });
  if (p.encryptedRecipientData) recs.push({ type: ONIONMSG_TLV.encrypted_recipient_data, value: p.encryptedRecipientData });
  for (const u of p.unknown ?? []) recs.push(u);
  for (const c of p.contents ?? []) recs.push({ type: c.type, value: c.value });
  recs.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return encodeTlvStream(recs);
}

/** Which rule a hop's payload broke. */
export class PayloadRuleError extends WireError {
  constructor(
    readonly reason: 'non_final_extra_fields' | 'missing_encrypted_data' | 'multiple_payloads' | 'no_payload',
    rule: string,
  ) {
    super('onionmsg_tlv', rule);
  }
}

/**
 * BOLT 4, the reader, "if it is not the final node according to the onion encryption: if the
 * `onionmsg_tlv` contains other tlv fields than `encrypted_recipient_data`: MUST ignore the message".
 */
export function checkForwardPayload(p: OnionMessagePayload): Uint8Array {
  if (p.replyPath || p.contents.length > 0 || p.unknown.length > 0) {
    throw new PayloadRuleError('non_final_extra_fields', 'a non-final hop payload contains fields other than encrypted_recipient_data');
  }
  if (!p.encryptedRecipientData) throw new PayloadRuleError('missing_encrypted_data', 'a non-final hop payload lacks encrypted_recipient_data');
  return p.encryptedRecipientData;
}

/**
 * BOLT 4, the final node: "if the `onionmsg_tlv` contains more than one payload field: MUST
 * ignore the message". A payload with none carries nothing to deliver.
 */
export function checkFinalPayload(p: OnionMessagePayload): OnionMessageContents {
  if (p.contents.length > 1) throw new PayloadRuleError('multiple_payloads', 'the final payload contains more than one payload field');
  if (p.contents.length === 0) throw new PayloadRuleError('no_payload', 'the final payload contains no payload field');
  return p.contents[0]!;
}
