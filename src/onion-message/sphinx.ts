// BOLT 4, "Packet Structure", "Packet Construction", "Filler Generation" and "Onion Decryption":
// the Sphinx packet shared by payment onions (fixed 1300-byte `hop_payloads`) and onion messages
// (variable length, 1300 or 32768 bytes by our choice). Pure functions: keys in, bytes out.
import { chacha20Stream, hmacSha256, isPoint, publicKey } from '../crypto/index.ts';
import { bigSizeLength, readBigSize, writeBigSize } from '../wire/bigsize.ts';
import { WireError } from '../wire/errors.ts';
import { generateKey, nextEphemeralPublic, nextEphemeralSecret, sharedSecret } from './keys.ts';

/** BOLT 4: `version` (1) + `public_key` (33) + `hmac` (32) around the `hop_payloads`. */
export const ONION_HEADER_OVERHEAD = 66;
export const HMAC_LEN = 32;
/** BOLT 4, "Packet Structure": the payment onion's `hop_payloads` size. */
export const PAYMENT_HOP_PAYLOADS_LEN = 1300;

/** A parsed `onion_packet` / `onion_message_packet`. */
export interface OnionPacket {
  version: number;
  /** The ephemeral public key of this hop. */
  publicKey: Uint8Array;
  hopPayloads: Uint8Array;
  hmac: Uint8Array;
}

/** One hop of a route as the packet sees it: the key the layer is encrypted to and its payload. */
export interface SphinxHop {
  /** The (possibly blinded) public key the hop decrypts with. */
  pubkey: Uint8Array;
  /** The hop's payload (a TLV stream), without the BigSize length prefix. */
  payload: Uint8Array;
}

/** Raised when a packet cannot be parsed or peeled; `reason` says which BOLT 4 check failed. */
export class SphinxError extends Error {
  readonly code = 'SPHINX';
  constructor(
    readonly reason: 'bad_version' | 'bad_public_key' | 'bad_size' | 'bad_hmac' | 'bad_payload_length',
    message: string,
  ) {
    super(message);
  }
}

/** The bytes a hop occupies in `hop_payloads`: BigSize(len) || payload || hmac. */
export function hopFrameLength(payloadLength: number): number {
  return bigSizeLength(payloadLength) + payloadLength + HMAC_LEN;
}

/** Total `hop_payloads` bytes the hops need (the packet must be at least this large). */
export function payloadsLength(hops: readonly { payload: Uint8Array }[]): number {
  let n = 0;
  for (const h of hops) n += hopFrameLength(h.payload.length);
  return n;
}

export function serializeOnionPacket(p: OnionPacket): Uint8Array {
  const out = new Uint8Array(ONION_HEADER_OVERHEAD + p.hopPayloads.length);
  out[0] = p.version;
  out.set(p.publicKey, 1);
  out.set(p.hopPayloads, 34);
  out.set(p.hmac, 34 + p.hopPayloads.length);
  return out;
}

/**
 * Parse a packet. BOLT 4, "Onion Decryption": "if `version` is not 0: MUST abort"; "if
 * `public_key` is not a valid pubkey: MUST abort". `hop_payloads` is whatever lies between the key
 * and the trailing HMAC (onion messages: "the payload length is implied by the total length
 * (minus 66 bytes for the header and trailing bytes)").
 */
export function parseOnionPacket(b: Uint8Array): OnionPacket {
  if (b.length <= ONION_HEADER_OVERHEAD) throw new SphinxError('bad_size', `onion packet of ${b.length} bytes is too short`);
  const version = b[0]!;
  if (version !== 0) throw new SphinxError('bad_version', `onion packet version ${version} is not 0`);
  const pk = b.slice(1, 34);
  if (!isPoint(pk)) throw new SphinxError('bad_public_key', 'onion packet public_key is not a valid point');
  return { version, publicKey: pk, hopPayloads: b.slice(34, b.length - HMAC_LEN), hmac: b.slice(b.length - HMAC_LEN) };
}

function xorInto(dst: Uint8Array, src: Uint8Array, srcOffset = 0): void {
  for (let i = 0; i < dst.length; i++) dst[i]! ^= src[srcOffset + i]!;
}

/** Constant-time comparison (BOLT 4: "MUST use a constant time comparison of the computed HMAC"). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Per-hop secrets of a route, computed by the origin (BOLT 4, "Packet Construction"). */
export interface HopSecrets {
  /** ss(k): shared secret with hop k. */
  sharedSecrets: Uint8Array[];
  /** epk(k): the ephemeral public key hop k sees in its packet. */
  ephemeralKeys: Uint8Array[];
}

/**
 * BOLT 4, "Packet Construction": "the sender initializes the ephemeral private key for the first
 * hop ek_1 to the sessionkey"; for each hop: ss_k = SHA256(ECDH(ek_k, hop pubkey)), blinding
 * factor = SHA256(epk_k || ss_k), ek_{k+1} = ek_k · blinding factor, epk_{k+1} = ek_{k+1} · G.
 */
export function computeHopSecrets(sessionKey: Uint8Array, pubkeys: readonly Uint8Array[]): HopSecrets {
  const sharedSecrets: Uint8Array[] = [];
  const ephemeralKeys: Uint8Array[] = [];
  let ek = sessionKey;
  for (let i = 0; i < pubkeys.length; i++) {
    const epk = publicKey(ek);
    const ss = sharedSecret(ek, pubkeys[i]!);
    sharedSecrets.push(ss);
    ephemeralKeys.push(epk);
    if (i + 1 < pubkeys.length) ek = nextEphemeralSecret(ek, epk, ss);
  }
  return { sharedSecrets, ephemeralKeys };
}

/**
 * BOLT 4, "Filler Generation": the tail each hop appends while peeling (its rho stream over the
 * zero padding), pre-computed so the origin's HMACs cover it. Length = sum of the frames of all
 * hops but the last.
 */
export function generateFiller(sharedSecrets: readonly Uint8Array[], frameLengths: readonly number[], hopPayloadsLength: number): Uint8Array {
  const n = frameLengths.length;
  let total = 0;
  for (let i = 0; i < n - 1; i++) total += frameLengths[i]!;
  const filler = new Uint8Array(total);
  let len = 0;
  // F(k+1) = (F(k) || 0^f(k)) XOR stream_k[L - |F(k)| .. L + f(k)]
  for (let k = 0; k < n - 1; k++) {
    const f = frameLengths[k]!;
    const stream = chacha20Stream(generateKey('rho', sharedSecrets[k]!), hopPayloadsLength + f);
    const start = hopPayloadsLength - len;
    len += f;
    xorInto(filler.subarray(0, len), stream, start);
  }
  return filler;
}

export interface ConstructOptions {
  /** The 32-byte session key (BOLT 4: "generates a random 32-byte sessionkey"). */
  sessionKey: Uint8Array;
  hops: readonly SphinxHop[];
  /** `hop_payloads` size: 1300 for payments; 1300 or 32768 for onion messages. */
  hopPayloadsLength: number;
  /** BOLT 4: associated data the HMACs commit to. Onion messages: "MUST NOT use any `associated_data`". */
  associatedData?: Uint8Array;
}

/**
 * Build a Sphinx packet (BOLT 4, "Packet Construction"): start from the pad-key stream, then for
 * each hop in reverse order right-shift, write the frame, XOR the rho stream, lay the filler
 * after the last hop, and HMAC with mu.
 */
export function constructOnionPacket(o: ConstructOptions): { packet: Uint8Array; secrets: HopSecrets } {
  const L = o.hopPayloadsLength;
  const n = o.hops.length;
  if (n === 0) throw new RangeError('sphinx: a route needs at least one hop');
  const frames = o.hops.map((h) => hopFrameLength(h.payload.length));
  const need = frames.reduce((a, b) => a + b, 0);
  if (need > L) throw new RangeError(`sphinx: hop payloads need ${need} bytes, packet holds ${L}`);
  const ad = o.associatedData ?? new Uint8Array(0);
  const secrets = computeHopSecrets(
    o.sessionKey,
    o.hops.map((h) => h.pubkey),
  );
  const filler = generateFiller(secrets.sharedSecrets, frames, L);
  // "The packet is initialized with 1300 random bytes derived from a CSPRNG (ChaCha20). The pad key
  // ... is used to extract additional random bytes from a ChaCha20 stream".
  let payloads = chacha20Stream(generateKey('pad', o.sessionKey), L);
  let nextHmac: Uint8Array = new Uint8Array(HMAC_LEN);
  for (let i = n - 1; i >= 0; i--) {
    const hop = o.hops[i]!;
    const shift = frames[i]!;
    // Right-shift by shift_size, discarding the bytes beyond L; then the frame in front.
    const shifted = new Uint8Array(L);
    shifted.set(payloads.subarray(0, L - shift), shift);
    let off = writeBigSize(shifted, 0, hop.payload.length);
    shifted.set(hop.payload, off);
    off += hop.payload.length;
    shifted.set(nextHmac, off);
    // XOR with rho's stream.
    xorInto(shifted, chacha20Stream(generateKey('rho', secrets.sharedSecrets[i]!), L));
    // "If this is the last hop, i.e. the first iteration, then the tail of the hop_payloads field
    // is overwritten with the routing information filler."
    if (i === n - 1 && filler.length > 0) shifted.set(filler, L - filler.length);
    payloads = shifted;
    nextHmac = hmacSha256(generateKey('mu', secrets.sharedSecrets[i]!), payloads, ad);
  }
  const packet = serializeOnionPacket({ version: 0, publicKey: secrets.ephemeralKeys[0]!, hopPayloads: payloads, hmac: nextHmac });
  return { packet, secrets };
}

/** What one hop learns by peeling its layer. */
export interface PeeledHop {
  /** This hop's payload (the TLV stream, without its length prefix). */
  payload: Uint8Array;
  /** The shared secret ss used for this layer. */
  sharedSecret: Uint8Array;
  /** Undefined when `next_hmac` is all zero: "This is the final destination of the onion." */
  next?: { packet: Uint8Array; publicKey: Uint8Array };
}

/**
 * Peel one layer (BOLT 4, "Onion Decryption") with the hop's (possibly blinded) private key.
 * `minPayloadLength`: "If the payload_length is less than two: MUST abort processing the packet".
 */
export function peelOnionPacket(
  packet: OnionPacket,
  hopSecret: Uint8Array,
  opts: { associatedData?: Uint8Array; minPayloadLength?: number } = {},
): PeeledHop {
  const ss = sharedSecret(hopSecret, packet.publicKey);
  return peelWithSharedSecret(packet, ss, opts);
}

/** As {@link peelOnionPacket}, when the shared secret is already known. */
export function peelWithSharedSecret(
  packet: OnionPacket,
  ss: Uint8Array,
  opts: { associatedData?: Uint8Array; minPayloadLength?: number } = {},
): PeeledHop {
  const L = packet.hopPayloads.length;
  // "Derive the HMAC as HMAC256(mu, hop_payloads || associated_data)" and compare in constant time.
  const mac = hmacSha256(generateKey('mu', ss), packet.hopPayloads, opts.associatedData ?? new Uint8Array(0));
  if (!constantTimeEqual(mac, packet.hmac)) throw new SphinxError('bad_hmac', 'onion HMAC does not match');
  // "Derive bytestream of twice the length of hop_payloads using rho"; XOR over hop_payloads || 0^L.
  const unwrapped = chacha20Stream(generateKey('rho', ss), 2 * L);
  xorInto(unwrapped.subarray(0, L), packet.hopPayloads);
  let len: bigint;
  let off: number;
  try {
    const r = readBigSize(unwrapped, 0, 'hop_payload.length');
    len = r.value;
    off = r.next;
  } catch (e) {
    if (e instanceof WireError) throw new SphinxError('bad_payload_length', `hop payload length: ${e.rule}`);
    throw e;
  }
  if (len < BigInt(opts.minPayloadLength ?? 2)) throw new SphinxError('bad_payload_length', `hop payload length ${len} is below the minimum`);
  // "If there are fewer than payload_length bytes remaining ... fewer than 32 bytes remaining ...
  // If unwrapped_payloads is smaller than hop_payloads: MUST abort."
  if (len > BigInt(L)) throw new SphinxError('bad_payload_length', `hop payload length ${len} exceeds the packet`);
  const frame = off + Number(len) + HMAC_LEN;
  if (frame > L) throw new SphinxError('bad_payload_length', `hop frame of ${frame} bytes exceeds the ${L}-byte packet`);
  const payload = unwrapped.slice(off, off + Number(len));
  const nextHmac = unwrapped.subarray(off + Number(len), frame);
  let zero = true;
  for (const b of nextHmac) if (b !== 0) zero = false;
  if (zero) return { payload, sharedSecret: ss };
  // "public_key set to the incoming public_key multiplied by blinding_tweak"; "hop_payloads set
  // to the unwrapped_payloads, truncated to the incoming hop_payloads size"; "hmac set to next_hmac".
  const nextPub = nextEphemeralPublic(packet.publicKey, ss);
  const next = serializeOnionPacket({ version: 0, publicKey: nextPub, hopPayloads: unwrapped.subarray(frame, frame + L), hmac: nextHmac });
  return { payload, sharedSecret: ss, next: { packet: next, publicKey: nextPub } };
}

