// BOLT 4, "Key Generation", "Shared Secret" and "Blinding Ephemeral Onion Keys": the small key
// schedule shared by the Sphinx packet and by route blinding.
import { ecdh, hmacSha256, pointMultiply, privateMultiply, sha256 } from '../crypto/index.ts';
import { utf8 } from '../util/bytes.ts';

const RHO = utf8.encode('rho');
const MU = utf8.encode('mu');
const UM = utf8.encode('um');
const PAD = utf8.encode('pad');
const BLINDED_NODE_ID = utf8.encode('blinded_node_id');

/**
 * BOLT 4, "Key Generation": "computing an HMAC (with SHA256 as hashing algorithm) using the
 * appropriate key-type (i.e. rho, mu, um, or pad) as HMAC-key and the 32-byte shared secret as the
 * message". The key-type has no C-style terminating zero.
 */
export function generateKey(keyType: 'rho' | 'mu' | 'um' | 'pad', secret: Uint8Array): Uint8Array {
  const k = keyType === 'rho' ? RHO : keyType === 'mu' ? MU : keyType === 'um' ? UM : PAD;
  return hmacSha256(k, secret);
}

/** BOLT 4, "Route Blinding": HMAC256("blinded_node_id", ss), the factor that blinds a node id. */
export function blindedNodeIdTweak(ss: Uint8Array): Uint8Array {
  return hmacSha256(BLINDED_NODE_ID, ss);
}

/**
 * BOLT 4, "Blinding Ephemeral Onion Keys": the blinding factor is SHA256 of the compressed
 * ephemeral public key concatenated with the shared secret. The same formula gives route
 * blinding's H(E_i || ss_i).
 */
export function blindingFactor(ephemeralPub: Uint8Array, ss: Uint8Array): Uint8Array {
  return sha256(ephemeralPub, ss);
}

/** E(i+1) = SHA256(E(i) || ss(i)) · E(i): the next path key / next onion ephemeral key. */
export function nextEphemeralPublic(ephemeralPub: Uint8Array, ss: Uint8Array): Uint8Array {
  return pointMultiply(ephemeralPub, blindingFactor(ephemeralPub, ss));
}

/** e(i+1) = SHA256(E(i) || ss(i)) · e(i) mod n. */
export function nextEphemeralSecret(ephemeralSecret: Uint8Array, ephemeralPub: Uint8Array, ss: Uint8Array): Uint8Array {
  return privateMultiply(ephemeralSecret, blindingFactor(ephemeralPub, ss));
}

/** Shared secret as the creator computes it: SHA256(e · N). */
export function sharedSecret(secret: Uint8Array, point: Uint8Array): Uint8Array {
  return ecdh(secret, point);
}

/**
 * BOLT 4, "Onion Decryption", reader with a `path_key`: the blinded private key
 * b(i) = HMAC256("blinded_node_id", ECDH(path_key, k)) · k, together with the blinding shared
 * secret. Tweaking the private key (a scalar product) instead of the packet's public key saves a
 * point multiplication; the spec allows either ("or (equivalently)").
 */
export function blindedPrivateKey(nodeSecret: Uint8Array, pathKey: Uint8Array): { blindingSs: Uint8Array; blindedSecret: Uint8Array } {
  const blindingSs = ecdh(nodeSecret, pathKey);
  const blindedSecret = privateMultiply(nodeSecret, blindedNodeIdTweak(blindingSs));
  return { blindingSs, blindedSecret };
}

