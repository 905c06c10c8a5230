// Bitcoin scripts of BOLT 3: the funding 2-of-2, `to_local`, `to_remote` (P2WPKH, or the
// `option_anchors` CSV form), the anchors, offered and received HTLC outputs, the HTLC-success and
// HTLC-timeout outputs, and the P2WSH/P2WPKH wrappers. Pure.
//
// API:
//   OP (opcodes), pushData(bytes), pushNumber(n), script(...chunks)
//   p2wsh(witnessScript), p2wpkh(pubkey), isP2wsh / isP2wpkh
//   fundingScript(pubkeyA, pubkeyB), fundingOutputScript(pubkeyA, pubkeyB)
//   toLocalScript(revocationPubkey, toSelfDelay, localDelayedPubkey)   (also the HTLC tx output)
//   toRemoteAnchorsScript(remotePubkey), anchorScript(fundingPubkey)
//   offeredHtlcScript({ revocationPubkey, localHtlcPubkey, remoteHtlcPubkey, paymentHash, anchors })
//   receivedHtlcScript({ ..., cltvExpiry })
import { hash160, ripemd160, sha256 } from '../crypto/index.ts';
import { compareBytes, concatBytes } from '../util/bytes.ts';
import { TxError } from './errors.ts';

/** The opcodes BOLT 3's scripts use. */
export const OP = {
  _0: 0x00,
  PUSHDATA1: 0x4c,
  PUSHDATA2: 0x4d,
  _1NEGATE: 0x4f,
  _1: 0x51,
  _2: 0x52,
  _16: 0x60,
  IF: 0x63,
  NOTIF: 0x64,
  ELSE: 0x67,
  ENDIF: 0x68,
  RETURN: 0x6a,
  IFDUP: 0x73,
  DROP: 0x75,
  DUP: 0x76,
  SWAP: 0x7c,
  SIZE: 0x82,
  EQUAL: 0x87,
  EQUALVERIFY: 0x88,
  HASH160: 0xa9,
  CHECKSIG: 0xac,
  CHECKSIGVERIFY: 0xad,
  CHECKMULTISIG: 0xae,
  CHECKLOCKTIMEVERIFY: 0xb1,
  CHECKSEQUENCEVERIFY: 0xb2,
} as const;

/** A data push in its shortest form for the length (BOLT 3 pushes only keys and hashes). */
export function pushData(data: Uint8Array): Uint8Array {
  const n = data.length;
  if (n < OP.PUSHDATA1) return concatBytes(Uint8Array.of(n), data);
  if (n <= 0xff) return concatBytes(Uint8Array.of(OP.PUSHDATA1, n), data);
  if (n <= 0xffff) return concatBytes(Uint8Array.of(OP.PUSHDATA2, n & 0xff, n >> 8), data);
  throw new TxError('script push', `${n} bytes is too long`);
}

/**
 * A number push as Bitcoin Core's `CScript << n` writes it: OP_0, OP_1NEGATE, OP_1..OP_16, else the
 * minimal little-endian sign-magnitude encoding (so 144 is `02 9000`, 500 is `02 f401`).
 */
export function pushNumber(n: number): Uint8Array {
  if (!Number.isSafeInteger(n)) throw new TxError('script number', `${n} is not an integer`);
  if (n === 0) return Uint8Array.of(OP._0);
  if (n === -1) return Uint8Array.of(OP._1NEGATE);
  if (n >= 1 && n <= 16) return Uint8Array.of(OP._1 + n - 1);
  const out: number[] = [];
  let abs = Math.abs(n);
  while (abs > 0) {
    out.push(abs & 0xff);
    abs = Math.floor(abs / 256);
  }
  if (out[out.length - 1]! & 0x80) out.push(n < 0 ? 0x80 : 0x00);
  else if (n < 0) out[out.length - 1]! |= 0x80;
  return pushData(Uint8Array.from(out));
}

/** Concatenate script pieces: opcodes as numbers, pushes as the bytes `pushData`/`pushNumber` give. */
export function script(...chunks: (number | Uint8Array)[]): Uint8Array {
  return concatBytes(...chunks.map((c) => (typeof c === 'number' ? Uint8Array.of(c) : c)));
}

function need33(p: Uint8Array, what: string): void {
  if (!(p instanceof Uint8Array) || p.length !== 33 || (p[0] !== 0x02 && p[0] !== 0x03)) throw new TxError(what, 'must be a 33-byte compressed public key');
}

/** Version-0 P2WSH output script: `OP_0 <SHA256(witnessScript)>`. */
export function p2wsh(witnessScript: Uint8Array): Uint8Array {
  return script(OP._0, pushData(sha256(witnessScript)));
}

/** Version-0 P2WPKH output script: `OP_0 <HASH160(pubkey)>`. */
export function p2wpkh(pubkey: Uint8Array): Uint8Array {
  need33(pubkey, 'p2wpkh pubkey');
  return script(OP._0, pushData(hash160(pubkey)));
}

export function isP2wsh(s: Uint8Array): boolean {
  return s.length === 34 && s[0] === OP._0 && s[1] === 32;
}
export function isP2wpkh(s: Uint8Array): boolean {
  return s.length === 22 && s[0] === OP._0 && s[1] === 20;
}

/** The two funding pubkeys in script order: BOLT 3, "pubkey1 is the lexicographically lesser". */
export function sortedFundingPubkeys(a: Uint8Array, b: Uint8Array): [Uint8Array, Uint8Array] {
  return compareBytes(a, b) <= 0 ? [a, b] : [b, a];
}

/** BOLT 3, Funding Transaction Output: `2 <pubkey1> <pubkey2> 2 OP_CHECKMULTISIG` (witness script). */
export function fundingScript(pubkeyA: Uint8Array, pubkeyB: Uint8Array): Uint8Array {
  need33(pubkeyA, 'funding_pubkey');
  need33(pubkeyB, 'funding_pubkey');
  const [p1, p2] = sortedFundingPubkeys(pubkeyA, pubkeyB);
  return script(OP._2, pushData(p1), pushData(p2), OP._2, OP.CHECKMULTISIG);
}

/** The funding output's scriptPubKey: P2WSH of {@link fundingScript}. */
export function fundingOutputScript(pubkeyA: Uint8Array, pubkeyB: Uint8Array): Uint8Array {
  return p2wsh(fundingScript(pubkeyA, pubkeyB));
}

/**
 * BOLT 3, `to_local` Output (and the output of HTLC-success/HTLC-timeout transactions):
 *
 *     OP_IF <revocationpubkey> OP_ELSE `to_self_delay` OP_CHECKSEQUENCEVERIFY OP_DROP
 *     <local_delayedpubkey> OP_ENDIF OP_CHECKSIG
 */
export function toLocalScript(revocationPubkey: Uint8Array, toSelfDelay: number, localDelayedPubkey: Uint8Array): Uint8Array {
  need33(revocationPubkey, 'revocationpubkey');
  need33(localDelayedPubkey, 'local_delayedpubkey');
  if (!Number.isInteger(toSelfDelay) || toSelfDelay < 0 || toSelfDelay > 0xffff) throw new TxError('to_self_delay', 'must be a u16');
  return script(
    OP.IF,
    pushData(revocationPubkey),
    OP.ELSE,
    pushNumber(toSelfDelay),
    OP.CHECKSEQUENCEVERIFY,
    OP.DROP,
    pushData(localDelayedPubkey),
    OP.ENDIF,
    OP.CHECKSIG,
  );
}

/** BOLT 3, `to_remote` Output with `option_anchors`: `<remotepubkey> OP_CHECKSIGVERIFY 1 OP_CHECKSEQUENCEVERIFY`. */
export function toRemoteAnchorsScript(remotePubkey: Uint8Array): Uint8Array {
  need33(remotePubkey, 'remotepubkey');
  return script(pushData(remotePubkey), OP.CHECKSIGVERIFY, OP._1, OP.CHECKSEQUENCEVERIFY);
}

/**
 * BOLT 3, `to_local_anchor` and `to_remote_anchor` Output:
 * `<funding_pubkey> OP_CHECKSIG OP_IFDUP OP_NOTIF OP_16 OP_CHECKSEQUENCEVERIFY OP_ENDIF`.
 */
export function anchorScript(fundingPubkey: Uint8Array): Uint8Array {
  need33(fundingPubkey, 'funding_pubkey');
  return script(pushData(fundingPubkey), OP.CHECKSIG, OP.IFDUP, OP.NOTIF, OP._16, OP.CHECKSEQUENCEVERIFY, OP.ENDIF);
}

export interface HtlcScriptKeys {
  revocationPubkey: Uint8Array;
  localHtlcPubkey: Uint8Array;
  remoteHtlcPubkey: Uint8Array;
  /** SHA256 of the preimage (32 bytes). */
  paymentHash: Uint8Array;
  /** `option_anchors`: the `1 OP_CHECKSEQUENCEVERIFY OP_DROP` before the last OP_ENDIF. */
  anchors?: boolean;
}

function htlcKeys(k: HtlcScriptKeys): void {
  need33(k.revocationPubkey, 'revocationpubkey');
  need33(k.localHtlcPubkey, 'local_htlcpubkey');
  need33(k.remoteHtlcPubkey, 'remote_htlcpubkey');
  if (!(k.paymentHash instanceof Uint8Array) || k.paymentHash.length !== 32) throw new TxError('payment_hash', 'must be 32 bytes');
}

/**
 * BOLT 3, Offered HTLC Outputs:
 *
 *     OP_DUP OP_HASH160 <RIPEMD160(SHA256(revocationpubkey))> OP_EQUAL
 *     OP_IF OP_CHECKSIG
 *     OP_ELSE <remote_htlcpubkey> OP_SWAP OP_SIZE 32 OP_EQUAL
 *         OP_NOTIF OP_DROP 2 OP_SWAP <local_htlcpubkey> 2 OP_CHECKMULTISIG
 *         OP_ELSE OP_HASH160 <RIPEMD160(payment_hash)> OP_EQUALVERIFY OP_CHECKSIG
 *         OP_ENDIF
 *         [option_anchors: 1 OP_CHECKSEQUENCEVERIFY OP_DROP]
 *     OP_ENDIF
 */
export function offeredHtlcScript(k: HtlcScriptKeys): Uint8Array {
  htlcKeys(k);
  return script(
    OP.DUP,
    OP.HASH160,
    pushData(hash160(k.revocationPubkey)),
    OP.EQUAL,
    OP.IF,
    OP.CHECKSIG,
    OP.ELSE,
    pushData(k.remoteHtlcPubkey),
    OP.SWAP,
    OP.SIZE,
    pushNumber(32),
    OP.EQUAL,
    OP.NOTIF,
    OP.DROP,
    OP._2,
    OP.SWAP,
    pushData(k.localHtlcPubkey),
    OP._2,
    OP.CHECKMULTISIG,
    OP.ELSE,
    OP.HASH160,
    pushData(ripemd160(k.paymentHash)),
    OP.EQUALVERIFY,
    OP.CHECKSIG,
    OP.ENDIF,
    ...(k.anchors ? [OP._1, OP.CHECKSEQUENCEVERIFY, OP.DROP] : []),
    OP.ENDIF,
  );
}

/**
 * BOLT 3, Received HTLC Outputs:
 *
 *     OP_DUP OP_HASH160 <RIPEMD160(SHA256(revocationpubkey))> OP_EQUAL
 *     OP_IF OP_CHECKSIG
 *     OP_ELSE <remote_htlcpubkey> OP_SWAP OP_SIZE 32 OP_EQUAL
 *         OP_IF OP_HASH160 <RIPEMD160(payment_hash)> OP_EQUALVERIFY
 *             2 OP_SWAP <local_htlcpubkey> 2 OP_CHECKMULTISIG
 *         OP_ELSE OP_DROP <cltv_expiry> OP_CHECKLOCKTIMEVERIFY OP_DROP OP_CHECKSIG
 *         OP_ENDIF
 *         [option_anchors: 1 OP_CHECKSEQUENCEVERIFY OP_DROP]
 *     OP_ENDIF
 */
export function receivedHtlcScript(k: HtlcScriptKeys & { cltvExpiry: number }): Uint8Array {
  htlcKeys(k);
  if (!Number.isInteger(k.cltvExpiry) || k.cltvExpiry < 0 || k.cltvExpiry > 0xffff_ffff) throw new TxError('cltv_expiry', 'must be a u32');
  return script(
    OP.DUP,
    OP.HASH160,
    pushData(hash160(k.revocationPubkey)),
    OP.EQUAL,
    OP.IF,
    OP.CHECKSIG,
    OP.ELSE,
    pushData(k.remoteHtlcPubkey),
    OP.SWAP,
    OP.SIZE,
    pushNumber(32),
    OP.EQUAL,
    OP.IF,
    OP.HASH160,
    pushData(ripemd160(k.paymentHash)),
    OP.EQUALVERIFY,
    OP._2,
    OP.SWAP,
    pushData(k.localHtlcPubkey),
    OP._2,
    OP.CHECKMULTISIG,
    OP.ELSE,
    OP.DROP,
    pushNumber(k.cltvExpiry),
    OP.CHECKLOCKTIMEVERIFY,
    OP.DROP,
    OP.CHECKSIG,
    OP.ENDIF,
    ...(k.anchors ? [OP._1, OP.CHECKSEQUENCEVERIFY, OP.DROP] : []),
    OP.ENDIF,
  );
}
