// BOLT 4, "Route Blinding" / BOLT 12: the `blinded_path` struct, shared by onion messages
// (reply paths) and BOLT 12 (offer_paths, invreq_paths, invoice_paths).
//
//   blinded_path:       [sciddir_or_pubkey:first_node_id] [point:first_path_key]
//                       [byte:num_hops] [num_hops*blinded_path_hop:path]
//   blinded_path_hop:   [point:blinded_node_id] [u16:enclen] [enclen*byte:encrypted_recipient_data]
//   sciddir_or_pubkey:  either a 33-byte point (first byte 2 or 3), or
//                       [byte:direction (0 or 1)] [short_channel_id:scid]
import { WireError } from './errors.ts';
import { Reader, Writer } from './codec.ts';

export type SciddirOrPubkey = { kind: 'pubkey'; nodeId: Uint8Array } | { kind: 'scid'; direction: 0 | 1; scid: bigint };

export interface BlindedHop {
  /** The hop's blinded node id B(i). */
  blindedNodeId: Uint8Array;
  /** Encrypted for the hop: its `encrypted_data_tlv`. */
  encryptedRecipientData: Uint8Array;
}

export interface BlindedPath {
  /** The introduction node (unblinded). */
  introductionNode: SciddirOrPubkey;
  /** E(0), the path key the introduction node needs. */
  firstPathKey: Uint8Array;
  /** At least one hop; the first is the introduction node's blinded id. */
  hops: BlindedHop[];
}

export function readSciddirOrPubkey(r: Reader, field: string): SciddirOrPubkey {
  const first = r.u8(field);
  if (first === 0 || first === 1) {
    return { kind: 'scid', direction: first, scid: r.u64(`${field}.short_channel_id`) };
  }
  if (first === 2 || first === 3) {
    const rest = r.bytes(32, field);
    const nodeId = new Uint8Array(33);
    nodeId[0] = first;
    nodeId.set(rest, 1);
    return { kind: 'pubkey', nodeId };
  }
  throw new WireError(field, 'sciddir_or_pubkey must start with 0, 1 (sciddir) or 2, 3 (point)');
}

export function writeSciddirOrPubkey(w: Writer, v: SciddirOrPubkey): void {
  if (v.kind === 'scid') {
    if (v.direction !== 0 && v.direction !== 1) throw new RangeError('sciddir_or_pubkey: direction must be 0 or 1');
    w.u8(v.direction);
    w.u64(v.scid);
  } else {
    if (v.nodeId.length !== 33 || (v.nodeId[0] !== 2 && v.nodeId[0] !== 3)) {
      throw new RangeError('sciddir_or_pubkey: node id must be a 33-byte compressed point');
    }
    w.bytes(v.nodeId);
  }
}

/** Read one `blinded_path`. A path with `num_hops` = 0 is refused (BOLT 12: MUST NOT be empty). */
export function readBlindedPath(r: Reader, field = 'blinded_path'): BlindedPath {
  const introductionNode = readSciddirOrPubkey(r, `${field}.first_node_id`);
  const firstPathKey = r.point(`${field}.first_path_key`);
  const n = r.u8(`${field}.num_hops`);
  if (n === 0) throw new WireError(`${field}.num_hops`, 'a blinded path must have at least one hop');
  const hops: BlindedHop[] = [];
  for (let i = 0; i < n; i++) {
    const blindedNodeId = r.point(`${field}.path[${i}].blinded_node_id`);
    const len = r.u16(`${field}.path[${i}].enclen`);
    const encryptedRecipientData = r.bytes(len, `${field}.path[${i}].encrypted_recipient_data`);
    hops.push({ blindedNodeId, encryptedRecipientData });
  }
  return { introductionNode, firstPathKey, hops };
}

export function writeBlindedPath(w: Writer, p: BlindedPath): void {
  if (p.hops.length === 0 || p.hops.length > 255) throw new RangeError('blinded_path: 1 to 255 hops');
  if (p.firstPathKey.length !== 33) throw new RangeError('blinded_path: first_path_key must be 33 bytes');
  writeSciddirOrPubkey(w, p.introductionNode);
  w.bytes(p.firstPathKey);
  w.u8(p.hops.length);
  for (const h of p.hops) {
    if (h.blindedNodeId.length !== 33) throw new RangeError('blinded_path: blinded_node_id must be 33 bytes');
    w.bytes(h.blindedNodeId);
    w.u16(h.encryptedRecipientData.length);
    w.bytes(h.encryptedRecipientData);
  }
}

export function encodeBlindedPath(p: BlindedPath): Uint8Array {
  const w = new Writer(128);
  writeBlindedPath(w, p);
  return w.finish();
}

export function decodeBlindedPath(b: Uint8Array, field = 'blinded_path'): BlindedPath {
  const r = new Reader(b);
  const p = readBlindedPath(r, field);
  r.end(field);
  return p;
}
