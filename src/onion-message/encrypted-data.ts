// BOLT 4, "Inside `encrypted_recipient_data`: `encrypted_data_tlv`": the instructions a blinded
// hop decrypts (next hop, path_id, path key override, padding; the payment fields are decoded so
// the route-blinding vectors round-trip, though onion messages never set them), and the
// ChaCha20-Poly1305 encryption under rho with an all-zero nonce.
import { AeadError, chacha20poly1305Decrypt, chacha20poly1305Encrypt } from '../crypto/index.ts';
import { Reader, Writer } from '../wire/codec.ts';
import { WireError } from '../wire/errors.ts';
import { bigSizeLength } from '../wire/bigsize.ts';
import { decodeTlvStream, encodeTlvStream, type TlvRecord } from '../wire/tlv.ts';
import { generateKey } from './keys.ts';

export const ENC_TLV = {
  padding: 1n,
  short_channel_id: 2n,
  next_node_id: 4n,
  path_id: 6n,
  next_path_key_override: 8n,
  payment_relay: 10n,
  payment_constraints: 12n,
  allowed_features: 14n,
} as const;

const KNOWN = new Set<bigint>(Object.values(ENC_TLV));

/** BOLT 4 `payment_relay` (payments only). */
export interface PaymentRelay {
  cltvExpiryDelta: number;
  feeProportionalMillionths: number;
  feeBaseMsat: bigint;
}
/** BOLT 4 `payment_constraints` (payments only). */
export interface PaymentConstraints {
  maxCltvExpiry: number;
  htlcMinimumMsat: bigint;
}

/** A decoded `encrypted_data_tlv`. Absent fields are undefined. */
export interface EncryptedDataTlv {
  /** Type 1: filler so all hops' data have the same length (content ignored on read). */
  padding?: Uint8Array;
  /** Type 2: the channel to the next hop (alternative to `nextNodeId`). */
  shortChannelId?: bigint;
  /** Type 4: the next hop's node id. */
  nextNodeId?: Uint8Array;
  /** Type 6: data for the final recipient to recognize its own path. */
  pathId?: Uint8Array;
  /** Type 8: the path key to hand to the next hop instead of the computed one. */
  nextPathKeyOverride?: Uint8Array;
  /** Type 10 (payments). */
  paymentRelay?: PaymentRelay;
  /** Type 12 (payments). */
  paymentConstraints?: PaymentConstraints;
  /** Type 14: features the path allows (MUST be empty when set by a writer). */
  allowedFeatures?: Uint8Array;
  /** Unknown odd records, kept in order ("it's OK to be odd"). */
  unknown?: TlvRecord[];
}

/** Encode to a TLV stream (records sorted by type; padding first since type 1 is lowest). */
export function encodeEncryptedDataTlv(d: EncryptedDataTlv): Uint8Array {
  return encodeTlvStream(encryptedDataRecords(d));
}

export function encryptedDataRecords(d: EncryptedDataTlv): TlvRecord[] {
  const recs: TlvRecord[] = [];
  if (d.padding !== undefined) recs.push({ type: ENC_TLV.padding, value: d.padding });
  if (d.shortChannelId !== undefined) recs.push({ type: ENC_TLV.short_channel_id, value: new Writer(8).u64(d.shortChannelId).finish() });
  if (d.nextNodeId !== undefined) {
    if (d.nextNodeId.length !== 33) throw new RangeError('encrypted_data_tlv.next_node_id must be 33 bytes');
    recs.push({ type: ENC_TLV.next_node_id, value: d.nextNodeId });
  }
  if (d.pathId !== undefined) recs.push({ type: ENC_TLV.path_id, value: d.pathId });
  if (d.nextPathKeyOverride !== undefined) {
    if (d.nextPathKeyOverride.length !== 33) throw new RangeError('encrypted_data_tlv.next_path_key_override must be 33 bytes');
    recs.push({ type: ENC_TLV.next_path_key_override, value: d.nextPathKeyOverride });
  }
  if (d.paymentRelay !== undefined) {
    const r = d.paymentRelay;
    recs.push({ type: ENC_TLV.payment_relay, value: new Writer(10).u16(r.cltvExpiryDelta).u32(r.feeProportionalMillionths).tu(r.feeBaseMsat).finish() });
  }
  if (d.paymentConstraints !== undefined) {
    const c = d.paymentConstraints;
    recs.push({ type: ENC_TLV.payment_constraints, value: new Writer(12).u32(c.maxCltvExpiry).tu(c.htlcMinimumMsat).finish() });
  }
  if (d.allowedFeatures !== undefined) recs.push({ type: ENC_TLV.allowed_features, value: d.allowedFeatures });
  for (const u of d.unknown ?? []) {
    if (KNOWN.has(u.type)) throw new RangeError(`encrypted_data_tlv: unknown record uses known type ${u.type}`);
    recs.push(u);
  }
  recs.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return recs;
}

/**
 * Decode. BOLT 4, reader of `encrypted_recipient_data`: "cannot be decrypted into an
 * `encrypted_data_tlv` or contains unknown even fields: MUST return an error"; "MUST return an
 * error if ... contains both `short_channel_id` and `next_node_id`".
 */
export function decodeEncryptedDataTlv(b: Uint8Array): EncryptedDataTlv {
  const field = 'encrypted_data_tlv';
  const recs = decodeTlvStream(b, { field, known: KNOWN });
  const d: EncryptedDataTlv = {};
  for (const { type, value } of recs) {
    const r = new Reader(value);
    switch (type) {
      case ENC_TLV.padding:
        d.padding = value;
        break;
      case ENC_TLV.short_channel_id:
        d.shortChannelId = r.u64(`${field}.short_channel_id`);
        r.end(`${field}.short_channel_id`);
        break;
      case ENC_TLV.next_node_id:
        d.nextNodeId = r.point(`${field}.next_node_id`);
        r.end(`${field}.next_node_id`);
        break;
      case ENC_TLV.path_id:
        d.pathId = value;
        break;
      case ENC_TLV.next_path_key_override:
        d.nextPathKeyOverride = r.point(`${field}.next_path_key_override`);
        r.end(`${field}.next_path_key_override`);
        break;
      case ENC_TLV.payment_relay:
        d.paymentRelay = {
          cltvExpiryDelta: r.u16(`${field}.payment_relay.cltv_expiry_delta`),
          feeProportionalMillionths: r.u32(`${field}.payment_relay.fee_proportional_millionths`),
          feeBaseMsat: r.tu(`${field}.payment_relay.fee_base_msat`, r.remaining, 4),
        };
        break;
      case ENC_TLV.payment_constraints:
        d.paymentConstraints = {
          maxCltvExpiry: r.u32(`${field}.payment_constraints.max_cltv_expiry`),
          htlcMinimumMsat: r.tu(`${field}.payment_constraints.htlc_minimum_msat`, r.remaining, 8),
        };
        break;
      case ENC_TLV.allowed_features:
        d.allowedFeatures = value;
        break;
      default:
        (d.unknown ??= []).push({ type, value });
    }
  }
  if (d.shortChannelId !== undefined && d.nextNodeId !== undefined) {
    throw new WireError(field, 'contains both short_channel_id and next_node_id');
  }
  return d;
}

const ZERO_NONCE = new Uint8Array(12);
const EMPTY = new Uint8Array(0);

/**
 * BOLT 4: "MUST encrypt each `encrypted_data_tlv[i]` with ChaCha20-Poly1305 using the
 * corresponding rho_i key and an all-zero nonce to produce `encrypted_recipient_data[i]`".
 */
export function encryptRecipientData(ss: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305Encrypt(generateKey('rho', ss), ZERO_NONCE, EMPTY, plaintext);
}

/** Decrypt with rho(ss); returns undefined when the tag does not verify. */
export function decryptRecipientData(ss: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  try {
    return chacha20poly1305Decrypt(generateKey('rho', ss), ZERO_NONCE, EMPTY, ciphertext);
  } catch (e) {
    if (e instanceof AeadError) return undefined;
    throw e;
  }
}

/** Size in bytes of a padding record carrying `n` value bytes. */
function paddingRecordSize(n: number): number {
  return 1 + bigSizeLength(n) + n;
}

/** The padding value length that grows a stream by exactly `grow` bytes, or undefined if impossible. */
export function paddingFor(grow: number): number | undefined {
  if (grow === 0) return undefined;
  for (const header of [2, 4, 6]) {
    const v = grow - header;
    if (v >= 0 && paddingRecordSize(v) === grow) return v;
  }
  return undefined;
}

/**
 * BOLT 4: "SHOULD add padding data to ensure all `encrypted_data_tlv[i]` have the same length".
 * Returns each hop's stream padded to one common length: the longest unpadded stream, rounded up to
 * a multiple of `roundOff` (0 = no rounding), then grown until every hop can reach it (a padding
 * record costs at least 2 bytes, so a 1-byte gap is impossible). Hops must not carry padding yet.
 */
export function padToCommonLength(hops: readonly EncryptedDataTlv[], roundOff = 0): Uint8Array[] {
  for (const h of hops) if (h.padding !== undefined) throw new RangeError('padToCommonLength: hop already padded');
  const plain = hops.map((h) => encodeEncryptedDataTlv(h));
  let target = Math.max(0, ...plain.map((p) => p.length));
  if (roundOff > 0) target = Math.ceil(target / roundOff) * roundOff;
  const step = roundOff > 0 ? roundOff : 1;
  const feasible = (t: number) => plain.every((p) => p.length === t || paddingFor(t - p.length) !== undefined);
  while (!feasible(target)) target += step;
  return hops.map((h, i) => {
    const grow = target - plain[i]!.length;
    if (grow === 0) return plain[i]!;
    const out = encodeEncryptedDataTlv({ ...h, padding: new Uint8Array(paddingFor(grow)!) });
    if (out.length !== target) throw new Error('padToCommonLength: internal size mismatch');
    return out;
  });
}
