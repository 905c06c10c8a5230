// BOLT 1, "Lightning Message Format" and "Setup Messages"/"Control Messages": framing (2-byte type
// then payload) and the codecs of `init`, `error`, `warning`, `ping`, `pong`; and BOLT 4's
// `onion_message` envelope (the Sphinx packet inside is the onion-message layer's business).
//
// Payloads here exclude the 2-byte type. Decoders throw only `WireError`; encoders throw
// `RangeError` for values a correct caller never passes (a writer bug, not peer input).
//
// Trailing bytes: BOLT 1 says a message is `type || payload || extension`, where `extension` is an
// optional TLV stream, and a receiving node "upon receiving a message with an `extension`: MAY
// ignore the `extension`. Otherwise, if the `extension` is invalid: MUST close the connection."
// `init` defines its extension (`init_tlvs`) and Appendix C requires an invalid one to be refused,
// so `decodeInit` parses it strictly. `error`, `warning`, `ping`, `pong` and `onion_message` define
// none: their decoders ignore whatever follows the defined fields, as allowed.
import { WireError } from './errors.ts';
import { Reader, Writer } from './codec.ts';
import { decodeTlvStream, encodeTlvStream, sortTlvRecords, type TlvRecord } from './tlv.ts';
import { mergeFeatures } from './features.ts';

/** Message types (BOLT 1; `onion_message` from BOLT 4). */
export const MSG = {
  warning: 1,
  init: 16,
  error: 17,
  ping: 18,
  pong: 19,
  onion_message: 513,
} as const;

/** BOLT 1: "the maximum possible size is 65535 bytes" (type included). */
export const MAX_MESSAGE_SIZE = 65535;

/**
 * BOLT 1, ping: a receiver answers only when `num_pong_bytes` is less than 65532 ("otherwise ...
 * MUST ignore the `ping`").
 */
export const PING_NO_REPLY_THRESHOLD = 65532;

// ---------------------------------------------------------------------------------------------
// Framing

/** `u16 type || payload`. RangeError when the type is not a u16 or the result exceeds 65535 bytes. */
export function frameMessage(type: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw new RangeError(`message type out of u16 range: ${type}`);
  if (2 + payload.length > MAX_MESSAGE_SIZE) {
    throw new RangeError(`message of type ${type} is ${2 + payload.length} bytes, over the ${MAX_MESSAGE_SIZE}-byte limit`);
  }
  const out = new Uint8Array(2 + payload.length);
  out[0] = type >> 8;
  out[1] = type & 0xff;
  out.set(payload, 2);
  return out;
}

/** Split a decrypted message into its 2-byte big-endian type and payload (a view, not a copy). */
export function splitMessage(msg: Uint8Array): { type: number; payload: Uint8Array } {
  if (msg.length < 2) throw new WireError('message.type', `unexpected EOF (a message needs a 2-byte type, got ${msg.length} bytes)`);
  return { type: (msg[0]! << 8) | msg[1]!, payload: msg.subarray(2) };
}

// ---------------------------------------------------------------------------------------------
// init (type 16)

/** `init_tlvs` type 1: `networks`. */
export const INIT_TLV_NETWORKS = 1n;
/** `init_tlvs` type 3: `remote_addr`. */
export const INIT_TLV_REMOTE_ADDR = 3n;
const INIT_KNOWN_TLVS: ReadonlySet<bigint> = new Set([INIT_TLV_NETWORKS, INIT_TLV_REMOTE_ADDR]);

export interface InitMessage {
  /** `globalfeatures`: legacy bitmap; BOLT 1: senders "SHOULD NOT set features greater than 13". */
  globalFeatures: Uint8Array;
  /** `features`: the node's feature bits (BOLT 9). */
  features: Uint8Array;
  /** `networks`: chain hashes (32 bytes each) the node is interested in. Absent: not sent. */
  networks?: Uint8Array[];
  /**
   * `remote_addr`: the sender's view of our address, an `address descriptor` (BOLT 7: 1 byte type
   * and data), kept as raw bytes. Absent: not sent.
   */
  remoteAddr?: Uint8Array;
  /** Unknown odd `init_tlvs` records, in order (BOLT 1: "MUST discard"; kept for inspection). */
  unknownTlvs: TlvRecord[];
}

export function encodeInit(m: InitMessage): Uint8Array {
  const w = new Writer(64);
  w.u16(m.globalFeatures.length).bytes(m.globalFeatures);
  w.u16(m.features.length).bytes(m.features);
  const recs: TlvRecord[] = [];
  if (m.networks !== undefined) {
    const v = new Uint8Array(32 * m.networks.length);
    m.networks.forEach((h, i) => {
      if (h.length !== 32) throw new RangeError(`init.networks[${i}]: chain_hash must be 32 bytes`);
      v.set(h, 32 * i);
    });
    recs.push({ type: INIT_TLV_NETWORKS, value: v });
  }
  if (m.remoteAddr !== undefined) recs.push({ type: INIT_TLV_REMOTE_ADDR, value: m.remoteAddr });
  for (const r of m.unknownTlvs) {
    // BOLT 1: "MUST NOT send evenly-typed TLV records in the `extension` without prior negotiation."
    if (r.type % 2n === 0n) throw new RangeError(`init_tlvs: refusing to send unknown even type ${r.type}`);
    recs.push(r);
  }
  w.bytes(encodeTlvStream(sortTlvRecords(recs)));
  return w.finish();
}

/**
 * Decode an `init` payload. Fails (WireError) on a short payload, an invalid `init_tlvs` stream
 * (BOLT 1 TLV rules, unknown even type) or a `networks` value that is not a whole number of
 * 32-byte chain hashes.
 */
export function decodeInit(payload: Uint8Array): InitMessage {
  const r = new Reader(payload);
  const gflen = r.u16('init.gflen');
  const globalFeatures = r.bytes(gflen, 'init.globalfeatures').slice();
  const flen = r.u16('init.flen');
  const features = r.bytes(flen, 'init.features').slice();
  const recs = decodeTlvStream(r.rest(), { field: 'init_tlvs', known: INIT_KNOWN_TLVS });
  const m: InitMessage = { globalFeatures, features, unknownTlvs: [] };
  for (const rec of recs) {
    if (rec.type === INIT_TLV_NETWORKS) {
      if (rec.value.length % 32 !== 0) {
        throw new WireError('init_tlvs.networks', `length ${rec.value.length} is not a multiple of 32 (chain_hash)`);
      }
      const nets: Uint8Array[] = [];
      for (let o = 0; o < rec.value.length; o += 32) nets.push(rec.value.slice(o, o + 32));
      m.networks = nets;
    } else if (rec.type === INIT_TLV_REMOTE_ADDR) {
      m.remoteAddr = rec.value.slice();
    } else {
      // decodeTlvStream already refused unknown even types.
      m.unknownTlvs.push({ type: rec.type, value: rec.value.slice() });
    }
  }
  return m;
}

/**
 * BOLT 1, the receiving node: "MUST combine (bitwise OR) the two feature bitmaps into one logical
 * `features` map." Minimal length.
 */
export function combinedInitFeatures(m: Pick<InitMessage, 'globalFeatures' | 'features'>): Uint8Array {
  return mergeFeatures(m.globalFeatures, m.features);
}

// ---------------------------------------------------------------------------------------------
// error (type 17) and warning (type 1)

export interface ErrorMessage {
  /** 32 bytes; all zero refers to all channels. */
  channelId: Uint8Array;
  /** Free-form; BOLT 1: print it verbatim only when it is printable ASCII (32..126). */
  data: Uint8Array;
}
export type WarningMessage = ErrorMessage;

function encodeChannelIdData(name: string, m: ErrorMessage): Uint8Array {
  if (m.channelId.length !== 32) throw new RangeError(`${name}.channel_id must be 32 bytes`);
  return new Writer(34 + m.data.length).bytes(m.channelId).u16(m.data.length).bytes(m.data).finish();
}

function decodeChannelIdData(name: string, payload: Uint8Array): ErrorMessage {
  const r = new Reader(payload);
  const channelId = r.bytes(32, `${name}.channel_id`).slice();
  const len = r.u16(`${name}.len`);
  const data = r.bytes(len, `${name}.data`).slice();
  // Any further bytes are an `extension` this message does not define: ignored (BOLT 1 MAY).
  return { channelId, data };
}

export function encodeError(m: ErrorMessage): Uint8Array {
  return encodeChannelIdData('error', m);
}
export function decodeError(payload: Uint8Array): ErrorMessage {
  return decodeChannelIdData('error', payload);
}
export function encodeWarning(m: WarningMessage): Uint8Array {
  return encodeChannelIdData('warning', m);
}
export function decodeWarning(payload: Uint8Array): WarningMessage {
  return decodeChannelIdData('warning', payload);
}

/** Whether `data` is printable ASCII (BOLT 1: otherwise "SHOULD NOT print out `data` verbatim"). */
export function isPrintableAscii(data: Uint8Array): boolean {
  for (const b of data) if (b < 32 || b > 126) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// ping (type 18) and pong (type 19)

export interface PingMessage {
  /** `num_pong_bytes`: the `byteslen` the peer asks for in the pong; ≥ 65532 means "no reply". */
  numPongBytes: number;
  /** `ignored`: padding; BOLT 1: senders "SHOULD set `ignored` to 0s". */
  ignored: Uint8Array;
}

export interface PongMessage {
  /** `ignored`: `byteslen` bytes of padding. */
  ignored: Uint8Array;
}

export function encodePing(m: PingMessage): Uint8Array {
  return new Writer(4 + m.ignored.length).u16(m.numPongBytes).u16(m.ignored.length).bytes(m.ignored).finish();
}

export function decodePing(payload: Uint8Array): PingMessage {
  const r = new Reader(payload);
  const numPongBytes = r.u16('ping.num_pong_bytes');
  const len = r.u16('ping.byteslen');
  const ignored = r.bytes(len, 'ping.ignored').slice();
  return { numPongBytes, ignored };
}

export function encodePong(m: PongMessage): Uint8Array {
  return new Writer(2 + m.ignored.length).u16(m.ignored.length).bytes(m.ignored).finish();
}

export function decodePong(payload: Uint8Array): PongMessage {
  const r = new Reader(payload);
  const len = r.u16('pong.byteslen');
  const ignored = r.bytes(len, 'pong.ignored').slice();
  return { ignored };
}

// ---------------------------------------------------------------------------------------------
// onion_message (type 513), BOLT 4

export interface OnionMessage {
  /** `path_key`: 33-byte point E(i) for the receiving hop (prefix 02/03 checked here only). */
  pathKey: Uint8Array;
  /** `onion_message_packet`: version, public key, payloads, hmac — opaque at this layer. */
  onionPacket: Uint8Array;
}

export function encodeOnionMessage(m: OnionMessage): Uint8Array {
  if (m.pathKey.length !== 33) throw new RangeError('onion_message.path_key must be 33 bytes');
  return new Writer(35 + m.onionPacket.length).bytes(m.pathKey).u16(m.onionPacket.length).bytes(m.onionPacket).finish();
}

/** BOLT 4: `[point:path_key] [u16:len] [len*byte:onion_message_packet]`. */
export function decodeOnionMessage(payload: Uint8Array): OnionMessage {
  const r = new Reader(payload);
  const pathKey = r.point('onion_message.path_key').slice();
  const len = r.u16('onion_message.len');
  const onionPacket = r.bytes(len, 'onion_message.onion_message_packet').slice();
  return { pathKey, onionPacket };
}
