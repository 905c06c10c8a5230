// BOLT 4 for an HTLC that reaches us: peel the payment onion of `update_add_htlc` with our node
// key (blinded when the HTLC carries a `path_key`), decode our hop's `payload`, and build what we
// answer with when we fail it: a `failuremsg` wrapped in an encrypted return packet
// (`update_fail_htlc.reason`) or, for onions we cannot read and for HTLCs inside a blinded route,
// the code of `update_fail_malformed_htlc`. Pure: keys and bytes in, values out.
//
//   const r = peelPaymentOnion(nodeSecret, { onionRoutingPacket, paymentHash, pathKey });
//   if (r.kind === 'malformed') → update_fail_malformed_htlc(r.failureCode, r.sha256OfOnion)
//   if (r.kind === 'fail')      → update_fail_htlc(failurePacket(r.sharedSecret, r.failure))
//   else r.payload (amt_to_forward, encrypted_recipient_data, …), r.final, r.pathKey
//
// Sphinx itself (HMAC, rho stream, payload framing) is src/onion-message/sphinx.ts, shared with
// onion messages and tested there against onion-test.json and blinded-payment-onion-test.json.
import { chacha20Stream, hmacSha256, sha256 } from '../crypto/index.ts';
import { parseOnionPacket, peelOnionPacket, SphinxError, type OnionPacket } from '../onion-message/sphinx.ts';
import { generateKey } from '../onion-message/keys.ts';
import { unblindKeys, UnblindError } from '../onion-message/route-blinding.ts';
import { Reader, Writer } from '../wire/codec.ts';
import { WireError } from '../wire/errors.ts';
import { decodeTlvStream, encodeTlvStream } from '../wire/tlv.ts';
import { utf8 } from '../util/bytes.ts';

/** BOLT 4, Failure Messages: the flags of the top byte of `failure_code`. */
const BADONION = 0x8000;
export const PERM = 0x4000;
export const NODE = 0x2000;
export const UPDATE = 0x1000;

/** BOLT 4 failure codes a recipient (and a node that cannot read the onion) uses. */
export const FAILURE_CODE = {
  temporary_node_failure: NODE | 2,
  permanent_node_failure: PERM | NODE | 2,
  invalid_onion_version: BADONION | PERM | 4,
  invalid_onion_hmac: BADONION | PERM | 5,
  invalid_onion_key: BADONION | PERM | 6,
  unknown_next_peer: PERM | 10,
  incorrect_or_unknown_payment_details: PERM | 15,
  final_incorrect_cltv_expiry: 18,
  final_incorrect_htlc_amount: 19,
  invalid_onion_payload: PERM | 22,
  mpp_timeout: 23,
  invalid_onion_blinding: BADONION | PERM | 24,
} as const;

export type FailureCodeName = keyof typeof FAILURE_CODE;

/** A `failuremsg`: `failure_code` and its data (BOLT 4: "an identical format as a normal message"). */
export interface FailureMessage {
  code: number;
  data: Uint8Array;
}

/** BOLT 4, `payload` TLV types. */
export const PAYLOAD_TLV = {
  amt_to_forward: 2n,
  outgoing_cltv_value: 4n,
  short_channel_id: 6n,
  payment_data: 8n,
  encrypted_recipient_data: 10n,
  current_path_key: 12n,
  payment_metadata: 16n,
  total_amount_msat: 18n,
} as const;

const KNOWN_PAYLOAD_TYPES: ReadonlySet<bigint> = new Set(Object.values(PAYLOAD_TLV));

/** Our hop's `payload` (BOLT 4, "`payload` format"). */
export interface PaymentPayload {
  amtToForward?: bigint;
  outgoingCltvValue?: number;
  shortChannelId?: bigint;
  paymentData?: { paymentSecret: Uint8Array; totalMsat: bigint };
  encryptedRecipientData?: Uint8Array;
  currentPathKey?: Uint8Array;
  paymentMetadata?: Uint8Array;
  totalAmountMsat?: bigint;
  /** Every TLV type present (known or odd unknown), ascending: the reader's "no other tlv field" checks. */
  types: bigint[];
}

/** Where a payload could not be read: for `invalid_onion_payload` (type and byte offset). */
export class PayloadError extends Error {
  constructor(
    readonly tlvType: bigint,
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Decode a hop `payload`. BOLT 2, update_add_htlc: "If … the result is not a valid `payload` TLV,
 * or it contains unknown even types: MUST respond with an error". Throws {@link PayloadError}.
 */
export function decodePaymentPayload(b: Uint8Array): PaymentPayload {
  let recs;
  try {
    recs = decodeTlvStream(b, { field: 'payload', known: KNOWN_PAYLOAD_TYPES });
  } catch (e) {
    if (e instanceof WireError) throw new PayloadError(0n, 0, `payload: ${e.field}: ${e.rule}`);
    throw e;
  }
  const p: PaymentPayload = { types: recs.map((r) => r.type) };
  for (const r of recs) {
    const offset = r.value.byteOffset - b.byteOffset;
    const read = <T>(f: (rd: Reader) => T, name: string): T => {
      try {
        const rd = new Reader(r.value);
        const v = f(rd);
        rd.end(name);
        return v;
      } catch (e) {
        if (e instanceof WireError) throw new PayloadError(r.type, offset, `payload.${name}: ${e.rule}`);
        throw e;
      }
    };
    switch (r.type) {
      case PAYLOAD_TLV.amt_to_forward:
        p.amtToForward = read((rd) => rd.tu('amt_to_forward', r.value.length, 8), 'amt_to_forward');
        break;
      case PAYLOAD_TLV.outgoing_cltv_value:
        p.outgoingCltvValue = Number(read((rd) => rd.tu('outgoing_cltv_value', r.value.length, 4), 'outgoing_cltv_value'));
        break;
      case PAYLOAD_TLV.short_channel_id:
        p.shortChannelId = read((rd) => rd.u64('short_channel_id'), 'short_channel_id');
        break;
      case PAYLOAD_TLV.payment_data:
        p.paymentData = read((rd) => ({ paymentSecret: rd.bytes(32, 'payment_secret').slice(), totalMsat: rd.tu('total_msat', r.value.length - 32, 8) }), 'payment_data');
        break;
      case PAYLOAD_TLV.encrypted_recipient_data:
        p.encryptedRecipientData = r.value.slice();
        break;
      case PAYLOAD_TLV.current_path_key:
        p.currentPathKey = read((rd) => rd.point('current_path_key').slice(), 'current_path_key');
        break;
      case PAYLOAD_TLV.payment_metadata:
        p.paymentMetadata = r.value.slice();
        break;
      case PAYLOAD_TLV.total_amount_msat:
        p.totalAmountMsat = read((rd) => rd.tu('total_amount_msat', r.value.length, 8), 'total_amount_msat');
        break;
    }
  }
  return p;
}

/** What peeling the onion of an incoming HTLC gave. */
export type PeelPaymentResult =
  /** The onion (or the `path_key`) could not be used: answer with update_fail_malformed_htlc. */
  | { kind: 'malformed'; failureCode: number; sha256OfOnion: Uint8Array; reason: string }
  /** The layer is ours but its payload is unusable: answer with update_fail_htlc (or malformed inside a blinded route). */
  | { kind: 'fail'; sharedSecret: Uint8Array; failure: FailureMessage; reason: string; sha256OfOnion: Uint8Array; inBlindedRoute: boolean }
  | {
      kind: 'peeled';
      payload: PaymentPayload;
      /** The layer's shared secret: the key of our return packet. */
      sharedSecret: Uint8Array;
      /** `next_hmac` all zero: "This is the final destination of the onion." */
      final: boolean;
      /** The `path_key` for our `encrypted_recipient_data` (update_add_htlc's, else `current_path_key`). */
      pathKey?: Uint8Array;
      /** update_add_htlc carried `path_key`: we are inside a blinded route (not its introduction node). */
      pathKeyFromUpdate: boolean;
      sha256OfOnion: Uint8Array;
    };

/**
 * BOLT 2, update_add_htlc, the receiver: "MUST decrypt `onion_routing_packet` as described in
 * Onion Decryption to extract a `payload`; MUST use `path_key` (if specified); MUST use
 * `payment_hash` as `associated_data`."
 */
export function peelPaymentOnion(nodeSecret: Uint8Array, htlc: { onionRoutingPacket: Uint8Array; paymentHash: Uint8Array; pathKey?: Uint8Array }): PeelPaymentResult {
  const sha256OfOnion = sha256(htlc.onionRoutingPacket);
  const inBlindedRoute = htlc.pathKey !== undefined;
  const malformed = (code: number, reason: string): PeelPaymentResult => ({
    kind: 'malformed',
    // BOLT 2: "If `path_key` is set in the incoming `update_add_htlc`: MUST send an
    // `update_fail_malformed_htlc` error using the `invalid_onion_blinding` failure code".
    failureCode: inBlindedRoute ? FAILURE_CODE.invalid_onion_blinding : code,
    sha256OfOnion,
    reason,
  });
  let packet: OnionPacket;
  try {
    packet = parseOnionPacket(htlc.onionRoutingPacket);
  } catch (e) {
    if (!(e instanceof SphinxError)) throw e;
    // BOLT 4, Onion Decryption: "if `version` is not 0 … if `public_key` is not a valid pubkey: MUST abort processing the packet and fail."
    return malformed(e.reason === 'bad_version' ? FAILURE_CODE.invalid_onion_version : FAILURE_CODE.invalid_onion_key, e.message);
  }
  if (packet.hopPayloads.length !== 1300) return malformed(FAILURE_CODE.invalid_onion_key, `hop_payloads of ${packet.hopPayloads.length} bytes, not 1300`);
  // "if `path_key` is specified: … Tweak its own `node_privkey` below by multiplying by HMAC256("blinded_node_id", blinding_ss)."
  let key = nodeSecret;
  if (htlc.pathKey !== undefined) {
    try {
      key = unblindKeys(nodeSecret, htlc.pathKey).blindedSecret;
    } catch (e) {
      if (e instanceof UnblindError) return malformed(FAILURE_CODE.invalid_onion_blinding, e.message);
      throw e;
    }
  }
  let peeled;
  try {
    peeled = peelOnionPacket(packet, key, { associatedData: htlc.paymentHash });
  } catch (e) {
    if (!(e instanceof SphinxError)) throw e;
    if (e.reason === 'bad_hmac') return malformed(FAILURE_CODE.invalid_onion_hmac, e.message);
    // The HMAC was right, so the layer is ours: a bad length is a payload we cannot read.
    return malformed(FAILURE_CODE.invalid_onion_hmac, e.message);
  }
  const ss = peeled.sharedSecret;
  let payload: PaymentPayload;
  try {
    payload = decodePaymentPayload(peeled.payload);
  } catch (e) {
    if (!(e instanceof PayloadError)) throw e;
    return { kind: 'fail', sharedSecret: ss, failure: invalidOnionPayload(e.tlvType, e.offset), reason: e.message, sha256OfOnion, inBlindedRoute };
  }
  // BOLT 4, the reader: "If `path_key` is set in the incoming `update_add_htlc`: MUST return an
  // error if `current_path_key` is present … Otherwise: MUST return an error if `current_path_key`
  // is not present" (when `encrypted_recipient_data` is).
  let pathKey: Uint8Array | undefined;
  if (htlc.pathKey !== undefined) {
    if (payload.currentPathKey !== undefined) {
      return { kind: 'fail', sharedSecret: ss, failure: invalidOnionBlinding(sha256OfOnion), reason: 'current_path_key in a blinded route HTLC that carries path_key', sha256OfOnion, inBlindedRoute };
    }
    pathKey = htlc.pathKey;
  } else pathKey = payload.currentPathKey;
  return { kind: 'peeled', payload, sharedSecret: ss, final: peeled.next === undefined, ...(pathKey ? { pathKey } : {}), pathKeyFromUpdate: inBlindedRoute, sha256OfOnion };
}

// ---------------------------------------------------------------------------------------------
// Failure messages and the return packet

function failure(code: number, data: Uint8Array = new Uint8Array(0)): FailureMessage {
  return { code, data };
}

/** `incorrect_or_unknown_payment_details` (PERM|15): `[u64:htlc_msat][u32:height]`. */
export function incorrectPaymentDetails(htlcMsat: bigint, height: number): FailureMessage {
  return failure(FAILURE_CODE.incorrect_or_unknown_payment_details, new Writer(12).u64(htlcMsat).u32(height).finish());
}

/** `final_incorrect_cltv_expiry` (18): `[u32:cltv_expiry]`. */
export function finalIncorrectCltvExpiry(cltvExpiry: number): FailureMessage {
  return failure(FAILURE_CODE.final_incorrect_cltv_expiry, new Writer(4).u32(cltvExpiry).finish());
}

/** `final_incorrect_htlc_amount` (19): `[u64:incoming_htlc_amt]`. */
export function finalIncorrectHtlcAmount(amountMsat: bigint): FailureMessage {
  return failure(FAILURE_CODE.final_incorrect_htlc_amount, new Writer(8).u64(amountMsat).finish());
}

/** `invalid_onion_payload` (PERM|22): `[bigsize:type][u16:offset]`. */
export function invalidOnionPayload(tlvType: bigint, offset: number): FailureMessage {
  return failure(FAILURE_CODE.invalid_onion_payload, new Writer(11).bigsize(tlvType).u16(Math.min(offset, 0xffff)).finish());
}

/** `invalid_onion_blinding` (BADONION|PERM|24): `[sha256:sha256_of_onion]`. */
export function invalidOnionBlinding(sha256OfOnion: Uint8Array): FailureMessage {
  return failure(FAILURE_CODE.invalid_onion_blinding, sha256OfOnion.slice());
}

/** `unknown_next_peer` (PERM|10): we forward nothing. */
export function unknownNextPeer(): FailureMessage {
  return failure(FAILURE_CODE.unknown_next_peer);
}

export function temporaryNodeFailure(): FailureMessage {
  return failure(FAILURE_CODE.temporary_node_failure);
}

/** `failure_code || data`, as BOLT 4 frames a `failuremsg`. */
export function encodeFailureMessage(f: FailureMessage): Uint8Array {
  return new Writer(2 + f.data.length).u16(f.code).bytes(f.data).finish();
}

const AMMAG = utf8.encode('ammag');

/** BOLT 4, Returning Errors: the `ammag` key that obfuscates the return packet. */
export function ammagKey(sharedSecret: Uint8Array): Uint8Array {
  return hmacSha256(AMMAG, sharedSecret);
}

/** The smallest `failure_len + pad_len` (BOLT 4: "MUST set `pad` such that … is at least 256"; "SHOULD … equal to 256"). */
export const FAILURE_PAD_TO = 256;

/**
 * BOLT 4, Returning Errors, the erring node: `hmac || failure_len || failuremsg || pad_len || pad`,
 * the HMAC keyed with `um` over the rest, then XORed with the `ammag` stream: the `reason` of
 * update_fail_htlc.
 */
export function failurePacket(sharedSecret: Uint8Array, f: FailureMessage): Uint8Array {
  const msg = encodeFailureMessage(f);
  const padLen = Math.max(0, FAILURE_PAD_TO - msg.length);
  const body = new Writer(4 + msg.length + padLen).u16(msg.length).bytes(msg).u16(padLen).bytes(new Uint8Array(padLen)).finish();
  const raw = new Uint8Array(32 + body.length);
  raw.set(hmacSha256(generateKey('um', sharedSecret), body), 0);
  raw.set(body, 32);
  return obfuscateFailurePacket(sharedSecret, raw);
}

/** XOR with the `ammag` stream of `sharedSecret` (what each hop on the way back does, too). */
export function obfuscateFailurePacket(sharedSecret: Uint8Array, packet: Uint8Array): Uint8Array {
  const stream = chacha20Stream(ammagKey(sharedSecret), packet.length);
  const out = new Uint8Array(packet.length);
  for (let i = 0; i < packet.length; i++) out[i] = packet[i]! ^ stream[i]!;
  return out;
}

/** Encode a hop `payload` (the sender's side; tests and tools build onions to us with it). */
export function encodePaymentPayload(p: Omit<PaymentPayload, 'types'>): Uint8Array {
  const recs: { type: bigint; value: Uint8Array }[] = [];
  const tu = (v: bigint | number) => new Writer(8).tu(v).finish();
  if (p.amtToForward !== undefined) recs.push({ type: PAYLOAD_TLV.amt_to_forward, value: tu(p.amtToForward) });
  if (p.outgoingCltvValue !== undefined) recs.push({ type: PAYLOAD_TLV.outgoing_cltv_value, value: tu(p.outgoingCltvValue) });
  if (p.shortChannelId !== undefined) recs.push({ type: PAYLOAD_TLV.short_channel_id, value: new Writer(8).u64(p.shortChannelId).finish() });
  if (p.paymentData !== undefined) recs.push({ type: PAYLOAD_TLV.payment_data, value: new Writer(40).bytes(p.paymentData.paymentSecret).tu(p.paymentData.totalMsat).finish() });
  if (p.encryptedRecipientData !== undefined) recs.push({ type: PAYLOAD_TLV.encrypted_recipient_data, value: p.encryptedRecipientData });
  if (p.currentPathKey !== undefined) recs.push({ type: PAYLOAD_TLV.current_path_key, value: p.currentPathKey });
  if (p.paymentMetadata !== undefined) recs.push({ type: PAYLOAD_TLV.payment_metadata, value: p.paymentMetadata });
  if (p.totalAmountMsat !== undefined) recs.push({ type: PAYLOAD_TLV.total_amount_msat, value: tu(p.totalAmountMsat) });
  return encodeTlvStream(recs);
}
