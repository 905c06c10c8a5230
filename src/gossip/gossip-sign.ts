// Signing BOLT 7 gossip: our node announcing itself and its channels, and the tests and benchmark
// generator building validly signed sets. Each helper checks the origin node's requirements
// first (a RangeError names the one broken: these are our own values, not peer input), encodes
// the message with zero signatures, hashes the signed part (double-SHA256), signs with each
// secret key (low-S, RFC 6979) and returns the payload (without the 2-byte type; frame it with
// `frameMessage(GOSSIP_MSG.…, payload)`).
//
// The secret keys are not checked against the public keys in the message (deriving four points
// per channel would double the cost of generating a mainnet-size set); a mismatch yields a
// message whose signatures do not verify.
import { sha256, signEcdsa } from '../crypto/index.ts';
import {
  CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET,
  NODE_ANNOUNCEMENT_SIGNED_OFFSET,
  CHANNEL_UPDATE_SIGNED_OFFSET,
  MESSAGE_FLAG_MUST_BE_ONE,
  MESSAGE_FLAG_DONT_FORWARD,
  CHANNEL_FLAG_DIRECTION,
  CHANNEL_FLAG_DISABLE,
  encodeChannelAnnouncement,
  encodeNodeAnnouncement,
  encodeChannelUpdate,
  nodeAddressIssues,
  type ChannelAnnouncement,
  type NodeAnnouncement,
  type ChannelUpdate,
} from '../wire/index.ts';
import { compareBytes, utf8 } from '../util/bytes.ts';

const ZERO_SIG = new Uint8Array(64);
const EMPTY = new Uint8Array(0);

export type UnsignedChannelAnnouncement = Omit<ChannelAnnouncement, 'nodeSignature1' | 'nodeSignature2' | 'bitcoinSignature1' | 'bitcoinSignature2' | 'extra'> & {
  extra?: Uint8Array;
};
export type UnsignedNodeAnnouncement = Omit<NodeAnnouncement, 'signature' | 'unknownAddressBytes' | 'extra'> & {
  unknownAddressBytes?: Uint8Array;
  extra?: Uint8Array;
};
export type UnsignedChannelUpdate = Omit<ChannelUpdate, 'signature' | 'extra'> & { extra?: Uint8Array };

export interface ChannelAnnouncementSecrets {
  nodeSecret1: Uint8Array;
  nodeSecret2: Uint8Array;
  bitcoinSecret1: Uint8Array;
  bitcoinSecret2: Uint8Array;
}

function dsha(b: Uint8Array): Uint8Array {
  return sha256(sha256(b));
}

function minimalFeatures(f: Uint8Array, field: string): void {
  // BOLT 7: "MUST set `len` to the minimum length required to hold the `features` bits it sets"
  // (channel_announcement); node_announcement: "SHOULD set `flen` to the minimum length".
  if (f.length > 0 && f[0] === 0) throw new RangeError(`${field}: features must use the minimum length (leading zero byte)`);
}

/**
 * BOLT 7 `h` of a channel_announcement: "the double-SHA256 hash `h` of the message, beginning at
 * offset 256" (the payload after its four signatures). What `announcement_signatures` signs too.
 */
export function channelAnnouncementHash(u: UnsignedChannelAnnouncement): Uint8Array {
  return dsha(unsignedChannelAnnouncementPayload(u).subarray(CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET));
}

function unsignedChannelAnnouncementPayload(u: UnsignedChannelAnnouncement): Uint8Array {
  if (compareBytes(u.nodeId1, u.nodeId2) >= 0) {
    throw new RangeError('channel_announcement: node_id_1 MUST be the lexicographically-lesser of the two node ids');
  }
  minimalFeatures(u.features, 'channel_announcement');
  return encodeChannelAnnouncement({
    ...u,
    nodeSignature1: ZERO_SIG,
    nodeSignature2: ZERO_SIG,
    bitcoinSignature1: ZERO_SIG,
    bitcoinSignature2: ZERO_SIG,
    extra: u.extra ?? EMPTY,
  });
}

/**
 * A channel_announcement signed by all four keys. BOLT 7: "MUST set `node_signature_1` and
 * `node_signature_2` to valid signatures of the hash `h` (using `node_id_1` and `node_id_2`'s
 * respective secrets)" and the bitcoin signatures likewise with the funding keys' secrets.
 */
export function signChannelAnnouncement(u: UnsignedChannelAnnouncement, secrets: ChannelAnnouncementSecrets): Uint8Array {
  const payload = unsignedChannelAnnouncementPayload(u);
  const h = dsha(payload.subarray(CHANNEL_ANNOUNCEMENT_SIGNED_OFFSET));
  payload.set(signEcdsa(h, secrets.nodeSecret1), 0);
  payload.set(signEcdsa(h, secrets.nodeSecret2), 64);
  payload.set(signEcdsa(h, secrets.bitcoinSecret1), 128);
  payload.set(signEcdsa(h, secrets.bitcoinSecret2), 192);
  return payload;
}

/**
 * A node_announcement signed by `nodeSecret`. BOLT 7: "MUST set `signature` to the signature of the
 * double-SHA256 of the entire remaining packet after `signature` (using the key given by
 * `node_id`)"; checked first: `alias` "a valid UTF-8 string, with any `alias` trailing-bytes equal
 * to 0"; address descriptors "in ascending order", no port 0 for types 1, 2, 5, not more than one
 * DNS hostname, no Tor v2 ("SHOULD not announce"), no duplicates.
 */
export function signNodeAnnouncement(u: UnsignedNodeAnnouncement, nodeSecret: Uint8Array): Uint8Array {
  if (u.alias.length !== 32) throw new RangeError('node_announcement.alias must be 32 bytes');
  let end = 32;
  while (end > 0 && u.alias[end - 1] === 0) end--;
  try {
    utf8.decode(u.alias.subarray(0, end));
  } catch {
    throw new RangeError('node_announcement.alias MUST be a valid UTF-8 string');
  }
  if (u.alias.subarray(0, end).includes(0)) throw new RangeError('node_announcement.alias: only trailing bytes may be 0');
  const issue = nodeAddressIssues(u.addresses)[0];
  if (issue) throw new RangeError(`node_announcement.addresses[${issue.index}]: ${issue.rule}`);
  minimalFeatures(u.features, 'node_announcement');
  const payload = encodeNodeAnnouncement({ ...u, signature: ZERO_SIG, unknownAddressBytes: u.unknownAddressBytes ?? EMPTY, extra: u.extra ?? EMPTY });
  payload.set(signEcdsa(dsha(payload.subarray(NODE_ANNOUNCEMENT_SIGNED_OFFSET)), nodeSecret), 0);
  return payload;
}

/**
 * A channel_update signed by `nodeSecret` (the secret of node_id_1 when the direction bit is 0,
 * of node_id_2 when it is 1). Checked first, BOLT 7's origin rules: "MUST set `must_be_one` in
 * `message_flags` to 1", "MUST set bits in `channel_flags` and `message_flags` that are not
 * assigned a meaning to 0", "MUST set `timestamp` to greater than 0", "MUST set
 * `htlc_minimum_msat` to less than or equal to `htlc_maximum_msat`".
 */
export function signChannelUpdate(u: UnsignedChannelUpdate, nodeSecret: Uint8Array): Uint8Array {
  if ((u.messageFlags & MESSAGE_FLAG_MUST_BE_ONE) === 0) throw new RangeError('channel_update: must_be_one in message_flags MUST be 1');
  if (u.messageFlags & ~(MESSAGE_FLAG_MUST_BE_ONE | MESSAGE_FLAG_DONT_FORWARD)) throw new RangeError('channel_update: unassigned message_flags bits MUST be 0');
  if (u.channelFlags & ~(CHANNEL_FLAG_DIRECTION | CHANNEL_FLAG_DISABLE)) throw new RangeError('channel_update: unassigned channel_flags bits MUST be 0');
  if (!(u.timestamp > 0)) throw new RangeError('channel_update: timestamp MUST be greater than 0');
  if (u.htlcMinimumMsat > u.htlcMaximumMsat) throw new RangeError('channel_update: htlc_minimum_msat MUST be less than or equal to htlc_maximum_msat');
  const payload = encodeChannelUpdate({ ...u, signature: ZERO_SIG, extra: u.extra ?? EMPTY });
  payload.set(signEcdsa(dsha(payload.subarray(CHANNEL_UPDATE_SIGNED_OFFSET)), nodeSecret), 0);
  return payload;
}
