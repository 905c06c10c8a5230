// Our keys for one channel, derived from one node-wide 32-byte channel seed and the channel's key
// index (the storage layer hands out indices; the state machine stores only the index and the
// public basepoints, so no secret is ever serialized with a channel). Pure.
//
// Derivation (ours, not a BOLT's: BOLT 3 only fixes what is done with the keys):
//   secret(label) = SHA256("bolt12d channel keys v1" || seed || u64be(index) || label || counter)
// with the first counter (0, 1, …) giving a valid secp256k1 scalar. The shachain seed is
// secret("shachain") used as BOLT 3's `seed`; the shutdown key pays our mutual-close output
// (P2WPKH), so `shutdownScript` is a key we derive and can show.
//
// API:
//   interface ChannelKeys { fundingSecret, revocationBasepointSecret, paymentBasepointSecret,
//     delayedPaymentBasepointSecret, htlcBasepointSecret, shachainSeed, shutdownSecret,
//     basepoints: ChannelBasepoints, shutdownPubkey, shutdownScript, keyIndex }
//   deriveChannelKeys(channelSeed, keyIndex): ChannelKeys
//   ourPerCommitmentSecret(keys, n), ourPerCommitmentPoint(keys, n)
import { isPrivateKey, publicKey, sha256 } from '../crypto/index.ts';
import { utf8 } from '../util/bytes.ts';
import { p2wpkh } from './script.ts';
import { perCommitmentPoint, type ChannelBasepoints } from './keys.ts';
import { perCommitmentSecret } from './shachain.ts';

export interface ChannelKeys {
  keyIndex: bigint;
  fundingSecret: Uint8Array;
  revocationBasepointSecret: Uint8Array;
  paymentBasepointSecret: Uint8Array;
  delayedPaymentBasepointSecret: Uint8Array;
  htlcBasepointSecret: Uint8Array;
  /** BOLT 3 per-commitment secret seed (`perCommitmentSecret(shachainSeed, n)`). */
  shachainSeed: Uint8Array;
  /** The key our mutual-close output pays (P2WPKH). */
  shutdownSecret: Uint8Array;
  basepoints: ChannelBasepoints;
  shutdownPubkey: Uint8Array;
  /** `OP_0 <HASH160(shutdownPubkey)>`: the `scriptpubkey` of our `shutdown`. */
  shutdownScript: Uint8Array;
}

const DOMAIN = utf8.encode('bolt12d channel keys v1');

function derive(seed: Uint8Array, index: bigint, label: string): Uint8Array {
  const idx = new Uint8Array(8);
  new DataView(idx.buffer).setBigUint64(0, index);
  const lab = utf8.encode(label);
  for (let counter = 0; counter < 256; counter++) {
    const s = sha256(DOMAIN, seed, idx, lab, Uint8Array.of(counter));
    if (isPrivateKey(s)) return s;
  }
  // 256 hashes all ≥ n or zero: probability ~2^-32768.
  throw new Error('channel keys: no valid scalar');
}

/** Our keys of the channel with key index `keyIndex` (a u64), from the node's 32-byte channel seed. */
export function deriveChannelKeys(channelSeed: Uint8Array, keyIndex: bigint | number): ChannelKeys {
  if (!(channelSeed instanceof Uint8Array) || channelSeed.length !== 32) throw new RangeError('channel seed must be 32 bytes');
  const index = BigInt(keyIndex);
  if (index < 0n || index > 0xffff_ffff_ffff_ffffn) throw new RangeError('channel key index must be a u64');
  const k = {
    fundingSecret: derive(channelSeed, index, 'funding'),
    revocationBasepointSecret: derive(channelSeed, index, 'revocation'),
    paymentBasepointSecret: derive(channelSeed, index, 'payment'),
    delayedPaymentBasepointSecret: derive(channelSeed, index, 'delayed_payment'),
    htlcBasepointSecret: derive(channelSeed, index, 'htlc'),
    shachainSeed: derive(channelSeed, index, 'shachain'),
    shutdownSecret: derive(channelSeed, index, 'shutdown'),
  };
  const shutdownPubkey = publicKey(k.shutdownSecret);
  return {
    keyIndex: index,
    ...k,
    basepoints: {
      fundingPubkey: publicKey(k.fundingSecret),
      revocationBasepoint: publicKey(k.revocationBasepointSecret),
      paymentBasepoint: publicKey(k.paymentBasepointSecret),
      delayedPaymentBasepoint: publicKey(k.delayedPaymentBasepointSecret),
      htlcBasepoint: publicKey(k.htlcBasepointSecret),
    },
    shutdownPubkey,
    shutdownScript: p2wpkh(shutdownPubkey),
  };
}

/** BOLT 3: our per-commitment secret for commitment number `n`. */
export function ourPerCommitmentSecret(keys: ChannelKeys, n: bigint): Uint8Array {
  return perCommitmentSecret(keys.shachainSeed, n);
}

/** BOLT 3: our per-commitment point for commitment number `n`. */
export function ourPerCommitmentPoint(keys: ChannelKeys, n: bigint): Uint8Array {
  return perCommitmentPoint(ourPerCommitmentSecret(keys, n));
}
