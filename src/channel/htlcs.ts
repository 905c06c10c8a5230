// The commitment arithmetic of the fundee's state machine: applying updates to a commitment
// (`reduceSpec`), building our and their commitment transactions from a spec, signing theirs and
// checking their signatures on ours, and the BOLT 2 checks on what the funder can afford. Pure.
//
// API:
//   reduceSpec(spec, theirUpdates, ourUpdates): CommitSpec
//   buildLocalCommitment(ch, keys, index, spec), buildRemoteCommitment(ch, index, spec, theirPoint)
//   signRemoteCommitment(ch, keys, commitment, theirPoint): { signature, htlcSignatures }
//   checkLocalSignatures(ch, commitment, signature, htlcSignatures): string | undefined
//   funderAvailableSat(ch, spec): bigint     (their balance after the fee and our reserve, on our commitment)
//   trimmedExposureMsat(ch, spec): bigint    (the dust on both commitments, BOLT 2 max_dust_htlc_exposure_msat)
import { buildCommitmentTx, buildHtlcTxs, type Commitment, type CommitmentHtlc } from './commitment.ts';
import { deriveCommitmentKeys, derivePrivateKey } from './keys.ts';
import { commitmentFeeSat, isHtlcTrimmed } from './fees.ts';
import { signFundingSpend, signHtlcTx, verifyFundingSpend, verifyHtlcTx, remoteHtlcSighashType } from './sign.ts';
import { ourPerCommitmentPoint, type ChannelKeys } from './channel-keys.ts';
import type { ChannelState, CommitSpec, LocalUpdate, RemoteUpdate, SpecHtlc } from './state.ts';

/** An internal inconsistency (a bug), never peer input: peer input is checked before it is applied. */
export class ChannelInvariantError extends Error {
  override readonly name = 'ChannelInvariantError';
}

/**
 * Apply updates to a commitment: their adds (from their balance) and fee updates, then our removals
 * (a fulfil pays us, a fail returns the amount to them).
 */
export function reduceSpec(spec: CommitSpec, theirs: readonly RemoteUpdate[], ours: readonly LocalUpdate[]): CommitSpec {
  const htlcs = [...spec.htlcs];
  let toUs = spec.toUsMsat;
  let toThem = spec.toThemMsat;
  let feerate = spec.feeratePerKw;
  for (const u of theirs) {
    if (u.kind === 'fee') {
      feerate = u.feeratePerKw;
    } else {
      const { id, amountMsat, paymentHash, cltvExpiry } = u.htlc;
      htlcs.push({ id, amountMsat, paymentHash, cltvExpiry });
      toThem -= amountMsat;
    }
  }
  for (const u of ours) {
    const i = htlcs.findIndex((h) => h.id === u.id);
    if (i < 0) throw new ChannelInvariantError(`reduce: our ${u.kind} of HTLC ${u.id}, which is not on the commitment`);
    const [h] = htlcs.splice(i, 1);
    if (u.kind === 'fulfill') toUs += h!.amountMsat;
    else toThem += h!.amountMsat;
  }
  if (toThem < 0n) throw new ChannelInvariantError('reduce: the funder balance went negative');
  return { htlcs, toUsMsat: toUs, toThemMsat: toThem, feeratePerKw: feerate };
}

type Ch = Pick<ChannelState, 'fundingOutpoint' | 'fundingSatoshis' | 'obscuringFactor' | 'ours' | 'theirs'>;

function common(ch: Ch, index: bigint, spec: CommitSpec) {
  return { fundingOutpoint: ch.fundingOutpoint, fundingSatoshis: ch.fundingSatoshis, commitmentNumber: index, obscuringFactor: ch.obscuringFactor, feeratePerKw: spec.feeratePerKw };
}

/**
 * Our commitment number `index`: we are local; the delay is the one they asked of us, the dust limit
 * ours, their HTLCs received (`offered: false`), they (the funder) pay the fee from to_remote.
 */
export function buildLocalCommitment(ch: Ch, keys: ChannelKeys, index: bigint, spec: CommitSpec): Commitment<CommitmentHtlc & SpecHtlc> {
  return buildCommitmentTx({
    ...common(ch, index, spec),
    localIsFunder: false,
    toSelfDelay: ch.theirs.params.toSelfDelay,
    dustLimitSatoshis: ch.ours.params.dustLimitSatoshis,
    localAmountMsat: spec.toUsMsat,
    remoteAmountMsat: spec.toThemMsat,
    htlcs: spec.htlcs.map((h) => ({ ...h, offered: false })),
    keys: deriveCommitmentKeys(ch.ours.basepoints, ch.theirs.basepoints, ourPerCommitmentPoint(keys, index)),
  });
}

/** Their commitment number `index` for their per-commitment point `theirPoint`: they are local and the funder. */
export function buildRemoteCommitment(ch: Ch, index: bigint, spec: CommitSpec, theirPoint: Uint8Array): Commitment<CommitmentHtlc & SpecHtlc> {
  return buildCommitmentTx({
    ...common(ch, index, spec),
    localIsFunder: true,
    toSelfDelay: ch.ours.params.toSelfDelay,
    dustLimitSatoshis: ch.theirs.params.dustLimitSatoshis,
    localAmountMsat: spec.toThemMsat,
    remoteAmountMsat: spec.toUsMsat,
    htlcs: spec.htlcs.map((h) => ({ ...h, offered: true })),
    keys: deriveCommitmentKeys(ch.theirs.basepoints, ch.ours.basepoints, theirPoint),
  });
}

/**
 * BOLT 2, commitment_signed (sending): our signature of their commitment and one `htlc_signature`
 * per HTLC transaction in the commitment's output order, with our HTLC key for their point
 * (README.md: `derivePrivateKey(htlc_basepoint_secret, theirPoint)`).
 */
export function signRemoteCommitment(keys: ChannelKeys, c: Commitment<CommitmentHtlc>, theirPoint: Uint8Array): { signature: Uint8Array; htlcSignatures: Uint8Array[] } {
  const htlcKey = derivePrivateKey(keys.htlcBasepointSecret, theirPoint);
  return {
    signature: signFundingSpend(c, keys.fundingSecret),
    htlcSignatures: buildHtlcTxs(c).map((h) => signHtlcTx(h, htlcKey, remoteHtlcSighashType(false))),
  };
}

/**
 * BOLT 2, commitment_signed (receiving): "if `signature` is not valid for its local commitment
 * transaction … if `num_htlcs` is not equal to the number of HTLC outputs … if any `htlc_signature`
 * is not valid for the corresponding HTLC transaction". The reason, or undefined when all hold.
 */
export function checkLocalSignatures(ch: Ch, c: Commitment<CommitmentHtlc>, signature: Uint8Array, htlcSignatures: readonly Uint8Array[]): string | undefined {
  if (!verifyFundingSpend(c, signature, ch.theirs.basepoints.fundingPubkey)) return 'signature is not valid for our commitment transaction';
  const txs = buildHtlcTxs(c);
  if (htlcSignatures.length !== txs.length) return `num_htlcs ${htlcSignatures.length} is not the ${txs.length} HTLC outputs of our commitment transaction`;
  for (let i = 0; i < txs.length; i++) {
    if (!verifyHtlcTx(txs[i]!, htlcSignatures[i]!, c.keys.remoteHtlcPubkey, remoteHtlcSighashType(false))) return `htlc_signature ${i} is not valid for its HTLC transaction`;
  }
  return undefined;
}

/** Untrimmed HTLCs of `spec` on our commitment (received, our dust limit). */
function untrimmedOnLocal(ch: Ch, spec: CommitSpec): number {
  let n = 0;
  for (const h of spec.htlcs) if (!isHtlcTrimmed({ offered: false, amountMsat: h.amountMsat }, spec.feeratePerKw, ch.ours.params.dustLimitSatoshis)) n++;
  return n;
}

/**
 * What the funder keeps on our commitment after BOLT 3's fee and the reserve we asked of it, in
 * satoshis (negative: it cannot afford this commitment). BOLT 2, update_add_htlc: the receiver
 * refuses "an `amount_msat` that the sending node cannot afford at the current `feerate_per_kw`
 * (while maintaining its channel reserve)"; update_fee likewise.
 */
export function funderAvailableSat(ch: Ch, spec: CommitSpec): bigint {
  const fee = commitmentFeeSat(spec.feeratePerKw, untrimmedOnLocal(ch, spec));
  return spec.toThemMsat / 1000n - fee - ch.ours.params.channelReserveSatoshis;
}

/**
 * BOLT 2, Bounding exposure to trimmed in-flight HTLCs: the larger of the trimmed HTLC amounts on
 * our commitment (our dust limit, HTLC-success fee) and on theirs (their dust limit, HTLC-timeout fee).
 */
export function trimmedExposureMsat(ch: Ch, spec: CommitSpec): bigint {
  let local = 0n;
  let remote = 0n;
  for (const h of spec.htlcs) {
    if (isHtlcTrimmed({ offered: false, amountMsat: h.amountMsat }, spec.feeratePerKw, ch.ours.params.dustLimitSatoshis)) local += h.amountMsat;
    if (isHtlcTrimmed({ offered: true, amountMsat: h.amountMsat }, spec.feeratePerKw, ch.theirs.params.dustLimitSatoshis)) remote += h.amountMsat;
  }
  return local > remote ? local : remote;
}
