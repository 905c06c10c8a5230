// BOLT 4, "Route Blinding": building a blinded path (path keys E_i, blinded node ids B_i,
// `encrypted_recipient_data` under rho_i) and reading one hop of it with a node's private key.
import { ecdhKnownPoint, isPoint, pointMultiply, pointMultiplyKnown, publicKey } from '../crypto/index.ts';
import type { BlindedHop, BlindedPath, SciddirOrPubkey } from '../wire/blinded-path.ts';
import { WireError } from '../wire/errors.ts';
import {
  decodeEncryptedDataTlv,
  decryptRecipientData,
  encodeEncryptedDataTlv,
  encryptRecipientData,
  padToCommonLength,
  type EncryptedDataTlv,
} from './encrypted-data.ts';
import { blindedNodeIdTweak, blindedPrivateKey, nextEphemeralPublic, nextEphemeralSecret, sharedSecret } from './keys.ts';

/** One hop to blind: its real node id and its already-encoded (and padded) `encrypted_data_tlv`. */
export interface HopToBlind {
  nodeId: Uint8Array;
  plaintext: Uint8Array;
  /** The hop's node secret when the hop is us (a path to ourselves): same result, cheaper. */
  secret?: Uint8Array;
}

/** The creator's view of one blinded hop (the intermediate values the BOLT 4 vectors list). */
export interface BlindingStep {
  /** E_i, the path key this hop receives. */
  pathKey: Uint8Array;
  /** ss_i = SHA256(e_i · N_i). */
  sharedSecret: Uint8Array;
  /** B_i = HMAC256("blinded_node_id", ss_i) · N_i. */
  blindedNodeId: Uint8Array;
  encryptedRecipientData: Uint8Array;
}

/**
 * BOLT 4, the writer of a `blinded_path`: for every node, ss_i = SHA256(e_i · N_i),
 * rho_i = HMAC256("rho", ss_i), B_i = HMAC256("blinded_node_id", ss_i) · N_i,
 * e_{i+1} = SHA256(E_i || ss_i) · e_i, E_{i+1} = e_{i+1} · G; `encrypted_recipient_data[i]` is
 * ChaCha20-Poly1305(rho_i, zero nonce, `encrypted_data_tlv[i]`).
 */
export function blindHops(firstPathSecret: Uint8Array, hops: readonly HopToBlind[]): { firstPathKey: Uint8Array; steps: BlindingStep[] } {
  if (hops.length === 0) throw new RangeError('blindHops: at least one hop');
  const steps: BlindingStep[] = [];
  let e = firstPathSecret;
  let E = publicKey(e);
  const firstPathKey = E;
  for (let i = 0; i < hops.length; i++) {
    const h = hops[i]!;
    // ss(i) = SHA256(e(i) · N(i)), B(i) = HMAC256("blinded_node_id", ss(i)) · N(i); for our own
    // hops (N = k·G, k known) both as multiplications of G (crypto's ecdhKnownPoint).
    const ss = h.secret ? ecdhKnownPoint(e, h.secret) : sharedSecret(e, h.nodeId);
    steps.push({
      pathKey: E,
      sharedSecret: ss,
      blindedNodeId: h.secret ? pointMultiplyKnown(h.secret, blindedNodeIdTweak(ss)) : pointMultiply(h.nodeId, blindedNodeIdTweak(ss)),
      encryptedRecipientData: encryptRecipientData(ss, h.plaintext),
    });
    if (i + 1 < hops.length) {
      e = nextEphemeralSecret(e, E, ss);
      E = publicKey(e);
    }
  }
  return { firstPathKey, steps };
}

/** A hop of a path we build, with its instructions in clear. */
export interface PathHopSpec {
  nodeId: Uint8Array;
  data: EncryptedDataTlv;
  /** Our node secret, on the hops that are us (see HopToBlind). */
  secret?: Uint8Array;
}

export interface BuildPathOptions {
  /** e_0 ("SHOULD be obtained via CSPRNG"). */
  firstPathSecret: Uint8Array;
  hops: readonly PathHopSpec[];
  /** How `first_node_id` is written; defaults to the first hop's node id. */
  introduction?: SciddirOrPubkey;
  /** Pad every hop's `encrypted_data_tlv` to one length, rounded up to this multiple (0: to the longest). */
  paddingRoundOff?: number;
  /** Skip padding (the BOLT 4 vectors pad by hand). */
  noPadding?: boolean;
}

/** Build a `blinded_path` from hops whose instructions are given in clear (padding added here). */
export function buildBlindedPath(o: BuildPathOptions): BlindedPath {
  const plaintexts = o.noPadding
    ? o.hops.map((h) => encodeEncryptedDataTlv(h.data))
    : padToCommonLength(
        o.hops.map((h) => h.data),
        o.paddingRoundOff ?? 0,
      );
  const { firstPathKey, steps } = blindHops(
    o.firstPathSecret,
    o.hops.map((h, i) => ({ nodeId: h.nodeId, plaintext: plaintexts[i]!, ...(h.secret ? { secret: h.secret } : {}) })),
  );
  return {
    introductionNode: o.introduction ?? { kind: 'pubkey', nodeId: o.hops[0]!.nodeId },
    firstPathKey,
    hops: steps.map((s): BlindedHop => ({ blindedNodeId: s.blindedNodeId, encryptedRecipientData: s.encryptedRecipientData })),
  };
}

/** Why a blinded hop could not be read. */
export class UnblindError extends Error {
  readonly code = 'UNBLIND';
  constructor(
    readonly reason: 'bad_path_key' | 'bad_encrypted_data' | 'bad_encrypted_data_tlv',
    message: string,
  ) {
    super(message);
  }
}

/** What a blinded hop learns from its `encrypted_recipient_data`. */
export interface UnblindedHop {
  data: EncryptedDataTlv;
  /** The decrypted `encrypted_data_tlv` bytes. */
  plaintext: Uint8Array;
  /** ss_i = SHA256(k_i · E_i). */
  blindingSs: Uint8Array;
  /** b_i = HMAC256("blinded_node_id", ss_i) · k_i, the key the onion layer is encrypted to. */
  blindedSecret: Uint8Array;
  /** `next_path_key_override` if present, else E_{i+1} = SHA256(E_i || ss_i) · E_i. */
  nextPathKey: Uint8Array;
}

/**
 * BOLT 4, the reader of the `encrypted_recipient_data`: ss_i = SHA256(k_i · E_i),
 * b_i = HMAC256("blinded_node_id", ss_i) · k_i, rho_i = HMAC256("rho", ss_i); decrypt; "If the
 * `encrypted_data_tlv` contains a `next_path_key_override`: MUST use it as the next `path_key`.
 * Otherwise: MUST use E_{i+1} = SHA256(E_i || ss_i) · E_i".
 */
export function unblindHop(nodeSecret: Uint8Array, pathKey: Uint8Array, encryptedRecipientData: Uint8Array): UnblindedHop {
  const keys = unblindKeys(nodeSecret, pathKey);
  return readEncryptedData(keys, pathKey, encryptedRecipientData);
}

/** The key half of {@link unblindHop} (no decryption): what the onion layer needs first. */
export function unblindKeys(nodeSecret: Uint8Array, pathKey: Uint8Array): { blindingSs: Uint8Array; blindedSecret: Uint8Array } {
  if (!isPoint(pathKey)) throw new UnblindError('bad_path_key', 'path_key is not a valid point');
  return blindedPrivateKey(nodeSecret, pathKey);
}

/** Decrypt and decode a hop's data given its keys, and derive the next path key. */
export function readEncryptedData(
  keys: { blindingSs: Uint8Array; blindedSecret: Uint8Array },
  pathKey: Uint8Array,
  encryptedRecipientData: Uint8Array,
  opts: { needNextPathKey?: boolean } = {},
): UnblindedHop {
  const plaintext = decryptRecipientData(keys.blindingSs, encryptedRecipientData);
  if (!plaintext) throw new UnblindError('bad_encrypted_data', 'encrypted_recipient_data does not decrypt');
  let data: EncryptedDataTlv;
  try {
    data = decodeEncryptedDataTlv(plaintext);
  } catch (e) {
    if (e instanceof WireError) throw new UnblindError('bad_encrypted_data_tlv', e.message);
    throw e;
  }
  const nextPathKey =
    data.nextPathKeyOverride ?? (opts.needNextPathKey === false ? new Uint8Array(0) : nextEphemeralPublic(pathKey, keys.blindingSs));
  return { data, plaintext, blindingSs: keys.blindingSs, blindedSecret: keys.blindedSecret, nextPathKey };
}
