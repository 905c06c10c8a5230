// The fundee's BOLT 2 state machine as a pure reducer (types in state.ts, arithmetic in htlcs.ts,
// mutual close in mutual-close.ts):
//
//   acceptOpenChannel(ctx, { peerId, msg, keyIndex, ourAlias, localFeatures, remoteFeatures })
//     → { state?: PendingOpen, outbound: [accept_channel] | [error], effects, refused? }
//   fundeeStep(ctx, state, event) → { state, outbound, effects }
//
// No I/O, no clock, no randomness (signatures are RFC 6979). The I/O layer, for each result:
// if `effects` holds a `persist`, writes `state` durably first; then sends `outbound` in order; then
// acts on the other effects (`disconnect` after sending). A loaded channel is disconnected: feed it
// `connected` once the transport is up, then the peer's messages.
//
// How peer faults are answered (BOLT 2 lets most be "send a `warning` and close the connection, or
// send an `error` and fail the channel"): faults in updates that are not committed yet (an
// update_add_htlc or update_fee out of bounds, a bad commitment_signed, a bad shutdown or
// closing_signed) get a warning and a disconnect: the uncommitted updates are reversed and the
// channel survives. Faults that break what is committed (a revoke_and_ack whose secret is wrong,
// a channel_reestablish that does not match) get an error and the channel fails.
import { isPoint, sha256 } from '../crypto/index.ts';
import { bytesEqual, utf8 } from '../util/bytes.ts';
import { CHANNEL_FLAG_ANNOUNCE, channelIdFromFunding, type AcceptChannel, type ChannelWireMessage, type ChannelWireOf } from '../wire/channel.ts';
import { FEATURE, featureBits, supportsFeature } from '../wire/features.ts';
import { commitmentObscuringFactor, perCommitmentPoint } from './keys.ts';
import { commitmentFeeSat, isHtlcTrimmed } from './fees.ts';
import { signFundingSpend, verifyFundingSpend, withFundingWitness } from './sign.ts';
import { serializeTx, txid as txidOf } from './tx.ts';
import { ShachainStore } from './shachain.ts';
import { ShachainError, TxError } from './errors.ts';
import { ourPerCommitmentPoint, ourPerCommitmentSecret } from './channel-keys.ts';
import {
  buildLocalCommitment,
  buildRemoteCommitment,
  checkLocalSignatures,
  funderAvailableSat,
  reduceSpec,
  signRemoteCommitment,
  trimmedExposureMsat,
} from './htlcs.ts';
import { closingCandidates, closingFloorSat, ourClosingTx, scriptDustLimitSat, shutdownScriptProblem } from './mutual-close.ts';
import type { ClosingTx } from './closing.ts';
import type {
  ChannelEffect,
  ChannelEvent,
  ChannelState,
  CommitSpec,
  FundeeConfig,
  FundeeContext,
  FundeeState,
  IncomingHtlc,
  LocalUpdate,
  MustFailReason,
  OpenResult,
  PendingOpen,
  PersistReason,
  RemoteUpdate,
  StepResult,
} from './state.ts';

/** BOLT 2: "`max_accepted_htlcs` is limited to 483". */
export const MAX_ACCEPTED_HTLCS_LIMIT = 483;
/** BOLT 2, update_add_htlc: "MUST set `cltv_expiry` less than 500000000". */
export const CLTV_EXPIRY_LIMIT = 500_000_000;
/** BOLT 2, open_channel: `dust_limit_satoshis` "smaller than 354 satoshis" MUST fail. */
export const MIN_DUST_LIMIT_SATOSHIS = 354n;
/** BOLT 4: failure codes of update_fail_malformed_htlc must have BADONION. */
export const BADONION = 0x8000;

const ZERO32 = new Uint8Array(32);
/** The channel types we accept (BOLT 2, Defined Channel Types): static_remotekey, with scid_alias and zeroconf. */
const ACCEPTED_TYPE_BITS: ReadonlySet<number> = new Set([FEATURE.option_static_remotekey, FEATURE.option_scid_alias, FEATURE.option_zeroconf]);

const text = (s: string) => utf8.encode(s);

// ---------------------------------------------------------------------------------------------
// open_channel → accept_channel

export interface OpenChannelInput {
  peerId: Uint8Array;
  msg: ChannelWireOf<'open_channel'> | Omit<ChannelWireOf<'open_channel'>, 'type'>;
  /** The key index `ctx.keys` was derived for (stored with the channel). */
  keyIndex: bigint;
  /** Our alias for this channel (unique on this node; BOLT 2: "MUST NOT send the same alias for multiple peers"). */
  ourAlias: bigint;
  /** Our and the peer's `init` features (for option_upfront_shutdown_script, option_shutdown_anysegwit, option_dual_fund). */
  localFeatures: Uint8Array;
  remoteFeatures: Uint8Array;
}

export function isTrustedFunder(config: FundeeConfig, peerId: Uint8Array): boolean {
  return config.trustedFunders === 'all' || config.trustedFunders.some((t) => bytesEqual(t, peerId));
}

/** Why a channel_type is not one we accept, or undefined. */
export function channelTypeProblem(ct: Uint8Array): string | undefined {
  const bits = featureBits(ct);
  if (bits.some((b) => b % 2 === 1)) return 'channel_type sets an odd bit (channel types use even bits only)';
  if (bits.includes(FEATURE.option_anchors)) {
    return 'option_anchors channels are not accepted (a fundee without coins could not get zero-fee HTLC transactions confirmed): open an option_static_remotekey channel';
  }
  if (!bits.includes(FEATURE.option_static_remotekey)) return 'channel_type must be option_static_remotekey (bit 12), optionally with option_scid_alias and option_zeroconf';
  const other = bits.filter((b) => !ACCEPTED_TYPE_BITS.has(b));
  if (other.length > 0) return `channel_type has bits we do not support: ${other.join(', ')}`;
  return undefined;
}

/**
 * BOLT 2, open_channel, the receiving node, and accept_channel, the sender. Refusals are `error`s
 * on the temporary_channel_id, nothing kept.
 */
export function acceptOpenChannel(ctx: FundeeContext, input: OpenChannelInput): OpenResult {
  const { config, keys } = ctx;
  const m = input.msg;
  const refuse = (reason: string): OpenResult => ({
    outbound: [{ type: 'error', channelId: m.temporaryChannelId, data: text(reason) }],
    effects: [{ kind: 'forget', reason }],
    refused: reason,
  });
  const both = (bit: number) => supportsFeature(input.localFeatures, bit) && supportsFeature(input.remoteFeatures, bit);

  if (keys.keyIndex !== input.keyIndex) throw new RangeError('acceptOpenChannel: ctx.keys were derived for another key index');
  // MUST fail the channel if the chain_hash is unknown to the receiver.
  if (!bytesEqual(m.chainHash, config.chainHash)) return refuse('open_channel: chain_hash is not the chain this node runs on');
  // MUST fail the channel if option_dual_fund has been negotiated.
  if (both(FEATURE.option_dual_fund)) return refuse('open_channel: option_dual_fund was negotiated; use open_channel2');
  // if the message doesn't include a channel_type: fail the channel; the channel_type is not suitable.
  if (m.channelType === undefined) return refuse('open_channel: no channel_type');
  const typeProblem = channelTypeProblem(m.channelType);
  if (typeProblem !== undefined) return refuse(`open_channel: ${typeProblem}`);
  // MAY fail if announce_channel is … : we accept private channels only, for now.
  if ((m.channelFlags & CHANNEL_FLAG_ANNOUNCE) !== 0) {
    return refuse('open_channel: public channels (announce_channel) are not accepted yet: open a private channel');
  }
  // Zero-conf only: no chain backend to see the funding transaction confirm. BOLT 2: MUST fail if
  // the channel_type includes option_zeroconf and it does not trust the sender.
  if (!isTrustedFunder(config, input.peerId)) {
    return refuse('open_channel: this node accepts channels only from funders it trusts (--trust-funder) until it has a chain backend to watch the funding transaction');
  }
  for (const [field, p] of [
    ['funding_pubkey', m.fundingPubkey],
    ['revocation_basepoint', m.revocationBasepoint],
    ['payment_basepoint', m.paymentBasepoint],
    ['delayed_payment_basepoint', m.delayedPaymentBasepoint],
    ['htlc_basepoint', m.htlcBasepoint],
    ['first_per_commitment_point', m.firstPerCommitmentPoint],
  ] as const) {
    if (!isPoint(p)) return refuse(`open_channel: ${field} is not a valid secp256k1 point`);
  }
  if (m.fundingSatoshis < config.minFundingSatoshis) return refuse(`open_channel: funding_satoshis ${m.fundingSatoshis} is below our minimum ${config.minFundingSatoshis}`);
  if (m.fundingSatoshis >= 1n << 24n && !config.largeChannels) return refuse('open_channel: funding_satoshis ≥ 2^24 needs option_support_large_channel');
  if (m.pushMsat > m.fundingSatoshis * 1000n) return refuse('open_channel: push_msat is greater than funding_satoshis * 1000');
  if (m.toSelfDelay > config.maxFunderToSelfDelay) return refuse(`open_channel: to_self_delay ${m.toSelfDelay} is above ${config.maxFunderToSelfDelay}`);
  if (m.maxAcceptedHtlcs > MAX_ACCEPTED_HTLCS_LIMIT) return refuse(`open_channel: max_accepted_htlcs ${m.maxAcceptedHtlcs} is greater than 483`);
  if (m.maxAcceptedHtlcs < 1) return refuse('open_channel: max_accepted_htlcs is 0');
  if (m.feeratePerKw < config.minFeeratePerKw || m.feeratePerKw > config.maxFeeratePerKw) {
    return refuse(`open_channel: feerate_per_kw ${m.feeratePerKw} is outside ${config.minFeeratePerKw}..${config.maxFeeratePerKw}`);
  }
  if (m.dustLimitSatoshis > m.channelReserveSatoshis) return refuse('open_channel: dust_limit_satoshis is greater than channel_reserve_satoshis');
  if (m.dustLimitSatoshis < config.minFunderDustLimitSatoshis || m.dustLimitSatoshis < MIN_DUST_LIMIT_SATOSHIS) {
    return refuse(`open_channel: dust_limit_satoshis ${m.dustLimitSatoshis} is smaller than ${config.minFunderDustLimitSatoshis} satoshis`);
  }
  if (m.dustLimitSatoshis > config.maxFunderDustLimitSatoshis) return refuse(`open_channel: dust_limit_satoshis ${m.dustLimitSatoshis} is above ${config.maxFunderDustLimitSatoshis} satoshis`);
  // MUST fail if the funder's amount for the initial commitment transaction is not sufficient for full fee payment.
  const funderSat = (m.fundingSatoshis * 1000n - m.pushMsat) / 1000n;
  const fee = commitmentFeeSat(m.feeratePerKw, 0);
  if (funderSat < fee) return refuse('open_channel: the funder cannot pay the fee of the first commitment transaction');
  // MUST fail if both to_local and to_remote are ≤ channel_reserve_satoshis.
  if (funderSat - fee <= m.channelReserveSatoshis && m.pushMsat / 1000n <= m.channelReserveSatoshis) {
    return refuse('open_channel: both outputs of the first commitment transaction are at most channel_reserve_satoshis');
  }
  if (m.channelReserveSatoshis >= m.fundingSatoshis) return refuse('open_channel: channel_reserve_satoshis is not below funding_satoshis');
  const negotiated = { upfrontShutdownScript: both(FEATURE.option_upfront_shutdown_script), shutdownAnySegwit: both(FEATURE.option_shutdown_anysegwit) };
  if (m.upfrontShutdownScript !== undefined && m.upfrontShutdownScript.length > 0) {
    const p = shutdownScriptProblem(m.upfrontShutdownScript, negotiated.shutdownAnySegwit);
    if (p !== undefined) return refuse(`open_channel: upfront_shutdown_script: ${p}`);
  }

  // accept_channel, the sender: dust_limit_satoshis ≤ their channel_reserve_satoshis; our reserve ≥ their dust limit.
  const dust = config.dustLimitSatoshis < m.channelReserveSatoshis ? config.dustLimitSatoshis : m.channelReserveSatoshis;
  if (dust < MIN_DUST_LIMIT_SATOSHIS) return refuse(`open_channel: channel_reserve_satoshis ${m.channelReserveSatoshis} is below the smallest dust limit we may use (354)`);
  let reserve = (m.fundingSatoshis * BigInt(config.reserveMillionths)) / 1_000_000n;
  if (reserve < m.dustLimitSatoshis) reserve = m.dustLimitSatoshis;
  if (reserve < dust) reserve = dust;
  const accept: AcceptChannel = {
    temporaryChannelId: m.temporaryChannelId,
    dustLimitSatoshis: dust,
    maxHtlcValueInFlightMsat: config.maxHtlcValueInFlightMsat ?? m.fundingSatoshis * 1000n,
    channelReserveSatoshis: reserve,
    htlcMinimumMsat: config.htlcMinimumMsat > 0n ? config.htlcMinimumMsat : 1n,
    // Trusted funders only (above): zero-conf. BOLT 2: with option_zeroconf MUST set minimum_depth to zero.
    minimumDepth: 0,
    toSelfDelay: config.toSelfDelay,
    maxAcceptedHtlcs: Math.min(config.maxAcceptedHtlcs, MAX_ACCEPTED_HTLCS_LIMIT),
    fundingPubkey: keys.basepoints.fundingPubkey,
    revocationBasepoint: keys.basepoints.revocationBasepoint,
    paymentBasepoint: keys.basepoints.paymentBasepoint,
    delayedPaymentBasepoint: keys.basepoints.delayedPaymentBasepoint,
    htlcBasepoint: keys.basepoints.htlcBasepoint,
    firstPerCommitmentPoint: ourPerCommitmentPoint(keys, 0n),
    // "if it includes open_channel_tlvs: MUST include upfront_shutdown_script" (zero-length: none).
    upfrontShutdownScript: config.upfrontShutdownScript && negotiated.upfrontShutdownScript ? keys.shutdownScript : new Uint8Array(0),
    // MUST set channel_type to the channel_type from open_channel.
    channelType: m.channelType.slice(),
  };
  const { type: _t, ...open } = m as ChannelWireOf<'open_channel'>;
  const state: PendingOpen = { phase: 'awaiting_funding_created', peerId: input.peerId.slice(), keyIndex: input.keyIndex, open, accept, ourAlias: input.ourAlias, negotiated };
  return { state, outbound: [{ type: 'accept_channel', ...accept }], effects: [] };
}

// ---------------------------------------------------------------------------------------------
// The step machinery

/** A peer fault found while handling an event: answered from the state before the event. */
class Violation extends Error {
  constructor(
    readonly severity: 'warning' | 'error',
    readonly reason: string,
  ) {
    super(reason);
  }
}

class Step {
  readonly outbound: ChannelWireMessage[] = [];
  readonly effects: ChannelEffect[] = [];
  readonly persist = new Set<PersistReason>();
  constructor(
    public s: ChannelState,
    readonly ctx: FundeeContext,
  ) {}
  /** Queue a message; channel messages leave only on an active (reestablished) connection. */
  send(m: ChannelWireMessage): void {
    if (this.s.session.conn === 'active' || m.type === 'channel_reestablish' || m.type === 'error' || m.type === 'warning') this.outbound.push(m);
  }
  effect(e: ChannelEffect): void {
    this.effects.push(e);
  }
  result(): StepResult {
    const effects = this.persist.size > 0 ? [{ kind: 'persist' as const, reasons: [...this.persist] }, ...this.effects] : this.effects;
    return { state: this.s, outbound: this.outbound, effects };
  }
}

function cloneChannel(s: ChannelState): ChannelState {
  return {
    ...s,
    ours: { ...s.ours },
    theirs: { ...s.theirs },
    localChanges: { proposed: [...s.localChanges.proposed], signed: [...s.localChanges.signed], acked: [...s.localChanges.acked] },
    remoteChanges: { proposed: [...s.remoteChanges.proposed], acked: [...s.remoteChanges.acked], signed: [...s.remoteChanges.signed] },
    htlcs: s.htlcs.map((h) => ({ ...h })),
    channelReady: { ...s.channelReady },
    shutdown: { ...s.shutdown },
    session: { ...s.session },
  };
}

/**
 * BOLT 2, Message Retransmission: "upon disconnection: MUST reverse any uncommitted updates sent by
 * the other side (i.e. all messages beginning with `update_` for which no `commitment_signed` has
 * been received)". Our own uncommitted updates stay and are sent again after channel_reestablish
 * (the peer reversed them); closing_signed negotiation restarts.
 */
export function applyDisconnect(state: ChannelState): ChannelState {
  const s = cloneChannel(state);
  const dropped = s.remoteChanges.proposed.filter((u) => u.kind === 'add').length;
  s.nextRemoteHtlcId -= BigInt(dropped);
  s.remoteChanges.proposed = [];
  s.session = { conn: 'disconnected' };
  return s;
}

/** BOLT 2: our per-commitment secrets and points. */
const secretOf = (ctx: FundeeContext, n: bigint) => ourPerCommitmentSecret(ctx.keys, n);
const pointOf = (ctx: FundeeContext, n: bigint) => ourPerCommitmentPoint(ctx.keys, n);

/** Every HTLC gone, nothing owed: BOLT 2, "no HTLCs remain in either commitment transaction … and neither side has a pending revoke_and_ack". */
export function isQuiescent(s: ChannelState): boolean {
  return (
    s.localCommit.spec.htlcs.length === 0 &&
    s.remoteCommit.spec.htlcs.length === 0 &&
    s.nextRemote === undefined &&
    s.localChanges.proposed.length + s.localChanges.signed.length + s.localChanges.acked.length === 0 &&
    s.remoteChanges.proposed.length + s.remoteChanges.acked.length + s.remoteChanges.signed.length === 0
  );
}

function refreshPhase(st: Step): void {
  const s = st.s;
  if (s.phase === 'failed' || s.phase === 'closed') return;
  const before = s.phase;
  if (s.shutdown.sent || s.shutdown.theirScript !== undefined) {
    s.phase = s.shutdown.sent && s.shutdown.theirScript !== undefined && isQuiescent(s) ? 'negotiating_closing' : 'shutdown';
  } else {
    s.phase = s.channelReady.sent && s.channelReady.received ? 'normal' : 'awaiting_channel_ready';
  }
  if (before === 'awaiting_channel_ready' && s.channelReady.sent && s.channelReady.received) {
    st.effect({ kind: 'channel_ready', ourAlias: s.ours.alias, ...(s.theirs.alias !== undefined ? { theirAlias: s.theirs.alias } : {}) });
  }
}

function failChannel(st: Step, reason: string): void {
  const s = st.s;
  const broadcast = s.phase !== 'closed';
  s.phase = 'failed';
  const errorData = text(reason);
  s.failure = { reason, errorData, broadcastLatestCommitment: broadcast };
  st.send({ type: 'error', channelId: s.channelId, data: errorData });
  st.persist.add('failed');
  st.effect({ kind: 'channel_failed', reason, broadcastLatestCommitment: broadcast });
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** One event on a pending open or a channel. */
export function fundeeStep(ctx: FundeeContext, state: FundeeState, ev: ChannelEvent): StepResult<FundeeState> {
  if (state.phase === 'awaiting_funding_created') return pendingStep(ctx, state, ev);
  return channelStep(ctx, state, ev);
}

function pendingStep(ctx: FundeeContext, p: PendingOpen, ev: ChannelEvent): StepResult<FundeeState> {
  const same = (effects: ChannelEffect[], outbound: ChannelWireMessage[] = []): StepResult<FundeeState> => ({ state: p, outbound, effects });
  if (ev.kind === 'disconnected' || ev.kind === 'connected') {
    // A non-funding node: "if it has sent the funding_signed message: MUST remember … otherwise: SHOULD NOT remember".
    return same([{ kind: 'forget', reason: 'disconnected before funding_created' }]);
  }
  if (ev.kind !== 'message') return same([{ kind: 'command_refused', reason: 'the channel is not funded yet' }]);
  const m = ev.msg;
  if (m.type === 'error') return same([{ kind: 'forget', reason: `peer error: ${printable(m.data)}` }]);
  if (m.type === 'warning') return same([{ kind: 'log', level: 'warn', message: `peer warning: ${printable(m.data)}` }]);
  if (m.type === 'shutdown') {
    // A receiving node: "if it hasn't received … a funding_created (if it is a fundee): SHOULD send an error and fail the channel".
    const reason = 'shutdown before funding_created';
    return same([{ kind: 'forget', reason }], [{ type: 'error', channelId: p.open.temporaryChannelId, data: text(reason) }]);
  }
  if (m.type !== 'funding_created') return same([{ kind: 'log', level: 'warn', message: `ignored ${m.type} before funding_created` }]);
  if (!bytesEqual(m.temporaryChannelId, p.open.temporaryChannelId)) return same([{ kind: 'log', level: 'warn', message: 'ignored funding_created for another temporary_channel_id' }]);
  if (ctx.keys.keyIndex !== p.keyIndex) throw new RangeError('fundeeStep: ctx.keys were derived for another key index');
  return fundingCreated(ctx, p, m);
}

function fundingCreated(ctx: FundeeContext, p: PendingOpen, m: ChannelWireOf<'funding_created'>): StepResult<FundeeState> {
  const { keys } = ctx;
  const o = p.open;
  const a = p.accept;
  const fail = (reason: string): StepResult<FundeeState> => ({
    state: p,
    outbound: [{ type: 'error', channelId: o.temporaryChannelId, data: text(reason) }],
    effects: [{ kind: 'forget', reason }],
  });
  const fundingOutpoint = { txid: m.fundingTxid.slice(), vout: m.fundingOutputIndex };
  const spec: CommitSpec = { htlcs: [], toUsMsat: o.pushMsat, toThemMsat: o.fundingSatoshis * 1000n - o.pushMsat, feeratePerKw: o.feeratePerKw };
  const side = (x: typeof o | typeof a) => ({
    dustLimitSatoshis: x.dustLimitSatoshis,
    maxHtlcValueInFlightMsat: x.maxHtlcValueInFlightMsat,
    channelReserveSatoshis: x.channelReserveSatoshis,
    htlcMinimumMsat: x.htlcMinimumMsat,
    toSelfDelay: x.toSelfDelay,
    maxAcceptedHtlcs: x.maxAcceptedHtlcs,
  });
  const theirBasepoints = {
    fundingPubkey: o.fundingPubkey,
    revocationBasepoint: o.revocationBasepoint,
    paymentBasepoint: o.paymentBasepoint,
    delayedPaymentBasepoint: o.delayedPaymentBasepoint,
    htlcBasepoint: o.htlcBasepoint,
  };
  const channelId = channelIdFromFunding(m.fundingTxid, m.fundingOutputIndex);
  const base = {
    fundingOutpoint,
    fundingSatoshis: o.fundingSatoshis,
    obscuringFactor: commitmentObscuringFactor(o.paymentBasepoint, keys.basepoints.paymentBasepoint),
    ours: {
      params: side(a),
      basepoints: keys.basepoints,
      minimumDepth: a.minimumDepth,
      alias: p.ourAlias,
      shutdownScript: keys.shutdownScript,
      upfrontShutdownScript: a.upfrontShutdownScript ?? new Uint8Array(0),
    },
    theirs: {
      params: side(o),
      basepoints: theirBasepoints,
      ...(o.upfrontShutdownScript !== undefined && o.upfrontShutdownScript.length > 0 ? { upfrontShutdownScript: o.upfrontShutdownScript } : {}),
    },
  };
  let local, remote;
  try {
    local = buildLocalCommitment(base, keys, 0n, spec);
    remote = buildRemoteCommitment(base, 0n, spec, o.firstPerCommitmentPoint);
  } catch (e) {
    if (e instanceof TxError) return fail(`funding_created: cannot build the first commitment: ${e.message}`);
    throw e;
  }
  // BOLT 2, funding_created, the recipient: "if signature is incorrect OR non-compliant with
  // LOW-S-standard rule: MUST send a warning and close the connection, or send an error and fail
  // the channel" — nothing is kept yet, so an error.
  if (!verifyFundingSpend(local, m.signature, o.fundingPubkey)) return fail('funding_created: signature is not valid for our first commitment transaction');
  const s: ChannelState = {
    phase: 'awaiting_channel_ready',
    peerId: p.peerId,
    keyIndex: p.keyIndex,
    chainHash: o.chainHash,
    temporaryChannelId: o.temporaryChannelId,
    channelId,
    pushMsat: o.pushMsat,
    channelType: a.channelType!,
    channelFlags: o.channelFlags,
    negotiated: p.negotiated,
    ...base,
    localCommit: { index: 0n, spec, txid: local.txid, theirSignature: m.signature.slice(), theirHtlcSignatures: [] },
    remoteCommit: { index: 0n, spec, txid: remote.txid, point: o.firstPerCommitmentPoint },
    localChanges: { proposed: [], signed: [], acked: [] },
    remoteChanges: { proposed: [], acked: [], signed: [] },
    htlcs: [],
    nextRemoteHtlcId: 0n,
    theirSecrets: new ShachainStore().toBytes(),
    lastSentOrder: 'commit_then_revoke',
    channelReady: { sent: false, received: false },
    shutdown: { wanted: false, sent: false },
    session: { conn: 'active' },
  };
  const st = new Step(s, ctx);
  // BOLT 2, funding_signed: the signature of the funder's first commitment transaction.
  st.send({ type: 'funding_signed', channelId, signature: signFundingSpend(remote, keys.fundingSecret) });
  // Issue 13 / BOLT 2: "if it has sent the funding_signed message: MUST remember the channel" —
  // the whole channel is stored before funding_signed leaves.
  st.persist.add('channel_funded');
  // Zero-conf (minimum_depth 0, trusted funder): channel_ready at once, with our alias. BOLT 2 says
  // the sender "MUST NOT send channel_ready unless [the funding outpoint] pays exactly
  // funding_satoshis to the scriptpubkey": without a chain backend we cannot look, and take the
  // trusted funder's word for it (the chain layer will check before trusting anyone else).
  // BOLT 2: the sender with option_scid_alias "MUST set short_channel_id alias"; we always do.
  if (s.ours.minimumDepth === 0) sendChannelReady(st);
  return st.result();
}

function sendChannelReady(st: Step): void {
  const s = st.s;
  st.send({ type: 'channel_ready', channelId: s.channelId, secondPerCommitmentPoint: pointOf(st.ctx, 1n), shortChannelIdAlias: s.ours.alias });
  if (!s.channelReady.sent) {
    s.channelReady.sent = true;
    st.persist.add('channel_ready');
  }
  refreshPhase(st);
}

/** One event on an established (funded) channel. */
export function channelStep(ctx: FundeeContext, state: ChannelState, ev: ChannelEvent): StepResult {
  if (!bytesEqual(ctx.keys.basepoints.fundingPubkey, state.ours.basepoints.fundingPubkey)) throw new RangeError('channelStep: ctx.keys are not this channel\'s keys');
  const st = new Step(cloneChannel(state), ctx);
  try {
    handle(st, ev);
  } catch (e) {
    if (!(e instanceof Violation)) throw e;
    const back = new Step(cloneChannel(state), ctx);
    if (e.severity === 'warning') {
      // "send a warning and close the connection": uncommitted updates are reversed.
      back.send({ type: 'warning', channelId: state.channelId, data: text(e.reason) });
      back.s = applyDisconnect(back.s);
      back.effect({ kind: 'disconnect', reason: e.reason });
      return back.result();
    }
    failChannel(back, e.reason);
    return back.result();
  }
  return st.result();
}

function handle(st: Step, ev: ChannelEvent): void {
  const s = st.s;
  switch (ev.kind) {
    case 'disconnected':
      st.s = applyDisconnect(s);
      return;
    case 'connected':
      return onConnected(st);
    case 'message':
      return onMessage(st, ev.msg);
    case 'fulfill':
    case 'fail':
    case 'fail_malformed':
      return onResolve(st, ev);
    case 'shutdown':
      return onOurShutdown(st);
    case 'funding_confirmed':
      s.realShortChannelId = ev.shortChannelId;
      st.persist.add('channel_ready');
      if (!s.channelReady.sent && s.session.conn === 'active') sendChannelReady(st);
      return;
  }
}

function printable(b: Uint8Array): string {
  let out = '';
  for (const c of b.subarray(0, 200)) out += c >= 32 && c <= 126 ? String.fromCharCode(c) : '?';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Connection: channel_reestablish

function onConnected(st: Step): void {
  if (st.s.session.conn !== 'disconnected') st.s = applyDisconnect(st.s);
  const s = st.s;
  if (s.phase === 'failed') {
    // "if a channel is in an error state: SHOULD retransmit the error packet and ignore any other packets".
    s.session.conn = 'active';
    st.send({ type: 'error', channelId: s.channelId, data: s.failure!.errorData });
    return;
  }
  s.session.conn = 'awaiting_reestablish';
  // A closed channel waits for the peer's channel_reestablish (a peer that finished closing forgot the channel).
  if (s.phase === 'closed') return;
  st.send(ourReestablish(st));
}

function ourReestablish(st: Step): ChannelWireOf<'channel_reestablish'> {
  const s = st.s;
  const store = ShachainStore.fromBytes(s.theirSecrets);
  const last = s.remoteCommit.index > 0n ? store.getCommitment(s.remoteCommit.index - 1n) : undefined;
  return {
    type: 'channel_reestablish',
    channelId: s.channelId,
    // "MUST set next_commitment_number to the commitment number of the next commitment_signed it expects to receive."
    nextCommitmentNumber: s.localCommit.index + 1n,
    // "MUST set next_revocation_number to the commitment number of the next revoke_and_ack message it expects to receive."
    nextRevocationNumber: s.remoteCommit.index,
    // "if next_revocation_number equals 0: MUST set your_last_per_commitment_secret to all zeroes; otherwise … the last per_commitment_secret it received".
    yourLastPerCommitmentSecret: last ?? ZERO32,
    myCurrentPerCommitmentPoint: pointOf(st.ctx, s.localCommit.index),
  };
}

function onReestablish(st: Step, m: ChannelWireOf<'channel_reestablish'>): void {
  const s = st.s;
  const ctx = st.ctx;
  const L = s.localCommit.index;
  if (s.phase === 'closed') {
    // They did not see our last closing_signed: reestablish, shutdown again, let them renegotiate.
    s.session.conn = 'active';
    st.send(ourReestablish(st));
    st.send({ type: 'shutdown', channelId: s.channelId, scriptPubkey: s.ours.shutdownScript });
    return;
  }
  // "if next_commitment_number is zero: MUST immediately fail the channel".
  if (m.nextCommitmentNumber === 0n) throw new Violation('error', 'channel_reestablish: next_commitment_number is 0');
  // option_data_loss_protect: "if next_revocation_number is greater than expected above, AND
  // your_last_per_commitment_secret is correct for that next_revocation_number minus 1: MUST NOT
  // broadcast its commitment transaction; SHOULD send an error to request the peer to fail the channel."
  if (m.nextRevocationNumber > L) {
    const proves = m.nextRevocationNumber - 1n <= 0xffff_ffff_ffffn && bytesEqual(m.yourLastPerCommitmentSecret, secretOf(ctx, m.nextRevocationNumber - 1n));
    if (proves) {
      const reason = `channel_reestablish: we have lost channel state (they expect revocation ${m.nextRevocationNumber}, we are at commitment ${L}); we must not broadcast our commitment: please fail the channel`;
      s.phase = 'failed';
      s.failure = { reason, errorData: text(reason), broadcastLatestCommitment: false };
      st.send({ type: 'error', channelId: s.channelId, data: s.failure.errorData });
      st.persist.add('failed');
      st.effect({ kind: 'channel_failed', reason, broadcastLatestCommitment: false });
      return;
    }
    throw new Violation('error', `channel_reestablish: next_revocation_number ${m.nextRevocationNumber} is ahead of our commitment ${L} and your_last_per_commitment_secret does not prove it`);
  }
  // "otherwise: if your_last_per_commitment_secret does not match the expected values: SHOULD send an error and fail the channel."
  const expected = m.nextRevocationNumber === 0n ? ZERO32 : secretOf(ctx, m.nextRevocationNumber - 1n);
  if (!bytesEqual(m.yourLastPerCommitmentSecret, expected)) throw new Violation('error', 'channel_reestablish: your_last_per_commitment_secret is not the last secret we revealed');

  // Our revoke_and_ack: "if next_revocation_number is equal to the commitment number of the last
  // revoke_and_ack the receiving node sent … MUST re-send the revoke_and_ack".
  let resendRevoke = false;
  if (m.nextRevocationNumber === L - 1n && L > 0n) resendRevoke = true;
  else if (m.nextRevocationNumber !== L) throw new Violation('error', `channel_reestablish: next_revocation_number ${m.nextRevocationNumber}, expected ${L}`);

  // Our commitment_signed: "if next_commitment_number is equal to the commitment number of the last
  // commitment_signed message the receiving node has sent: MUST reuse the same commitment number".
  let resendCommit = false;
  if (s.nextRemote !== undefined) {
    if (m.nextCommitmentNumber === s.nextRemote.index) resendCommit = true;
    else if (m.nextCommitmentNumber !== s.nextRemote.index + 1n) throw new Violation('error', `channel_reestablish: next_commitment_number ${m.nextCommitmentNumber}, expected ${s.nextRemote.index} or ${s.nextRemote.index + 1n}`);
  } else if (m.nextCommitmentNumber !== s.remoteCommit.index + 1n) {
    throw new Violation('error', `channel_reestablish: next_commitment_number ${m.nextCommitmentNumber}, expected ${s.remoteCommit.index + 1n}`);
  }

  s.session.conn = 'active';
  // "if next_commitment_number is 1 in both the channel_reestablish it sent and received … MUST retransmit channel_ready".
  if (s.channelReady.sent && m.nextCommitmentNumber === 1n && L === 0n) sendChannelReady(st);
  else if (!s.channelReady.sent && s.realShortChannelId !== undefined) sendChannelReady(st);
  const revoke = () => st.send({ type: 'revoke_and_ack', channelId: s.channelId, perCommitmentSecret: secretOf(ctx, L - 1n), nextPerCommitmentPoint: pointOf(ctx, L + 1n) });
  const commit = () => {
    for (const u of s.localChanges.signed) st.send(updateMessage(s, u));
    const nr = s.nextRemote!;
    const c = buildRemoteCommitment(s, nr.index, nr.spec, nr.point);
    const sigs = signRemoteCommitment(ctx.keys, c, nr.point);
    st.send({ type: 'commitment_signed', channelId: s.channelId, signature: sigs.signature, htlcSignatures: sigs.htlcSignatures });
  };
  if (resendRevoke && resendCommit) {
    if (s.lastSentOrder === 'revoke_then_commit') {
      revoke();
      commit();
    } else {
      commit();
      revoke();
    }
  } else if (resendRevoke) revoke();
  else if (resendCommit) commit();
  // "upon reconnection: if it has sent a previous shutdown: MUST retransmit shutdown."
  if (s.shutdown.sent) st.send({ type: 'shutdown', channelId: s.channelId, scriptPubkey: s.ours.shutdownScript });
  // Our updates the peer reversed on disconnection, again.
  for (const u of s.localChanges.proposed) st.send(updateMessage(s, u));
  afterChange(st);
}

function updateMessage(s: ChannelState, u: LocalUpdate): ChannelWireMessage {
  switch (u.kind) {
    case 'fulfill':
      return { type: 'update_fulfill_htlc', channelId: s.channelId, id: u.id, paymentPreimage: u.preimage };
    case 'fail':
      return { type: 'update_fail_htlc', channelId: s.channelId, id: u.id, reason: u.reason };
    case 'fail_malformed':
      return { type: 'update_fail_malformed_htlc', channelId: s.channelId, id: u.id, sha256OfOnion: u.sha256OfOnion, failureCode: u.failureCode };
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function onMessage(st: Step, m: ChannelWireMessage): void {
  const s = st.s;
  if (m.type === 'warning') {
    st.effect({ kind: 'log', level: 'warn', message: `peer warning: ${printable(m.data)}` });
    return;
  }
  if (m.type === 'error') {
    // BOLT 1: an all-zero channel_id refers to all channels; another channel's error is not ours.
    if (!bytesEqual(m.channelId, s.channelId) && !bytesEqual(m.channelId, ZERO32)) {
      st.effect({ kind: 'log', level: 'warn', message: 'ignored an error for another channel_id' });
      return;
    }
    if (s.phase === 'failed') return;
    if (s.phase === 'closed') {
      st.effect({ kind: 'log', level: 'warn', message: `peer error after the mutual close: ${printable(m.data)}` });
      return;
    }
    // BOLT 1: the receiver of an error "MUST fail the channel referred to by the error message".
    const reason = `peer error: ${printable(m.data)}`;
    s.phase = 'failed';
    s.failure = { reason, errorData: text(reason), broadcastLatestCommitment: true };
    st.persist.add('failed');
    st.effect({ kind: 'channel_failed', reason, broadcastLatestCommitment: true });
    return;
  }
  if (s.phase === 'failed') {
    st.effect({ kind: 'log', level: 'info', message: `ignored ${m.type} on a failed channel` });
    return;
  }
  if ('channelId' in m && !bytesEqual(m.channelId, s.channelId)) {
    st.effect({ kind: 'log', level: 'warn', message: `ignored ${m.type} for another channel_id` });
    return;
  }
  if (s.session.conn !== 'active') {
    if (s.session.conn === 'awaiting_reestablish' && m.type === 'channel_reestablish') return onReestablish(st, m);
    // "MUST wait to receive the other node's channel_reestablish message before sending any other messages".
    st.effect({ kind: 'log', level: 'warn', message: `ignored ${m.type} before channel_reestablish` });
    return;
  }
  switch (m.type) {
    case 'channel_ready':
      return onChannelReady(st, m);
    case 'update_add_htlc':
      return onAdd(st, m);
    case 'update_fee':
      return onFee(st, m);
    case 'commitment_signed':
      return onCommitmentSigned(st, m);
    case 'revoke_and_ack':
      return onRevokeAndAck(st, m);
    case 'update_fulfill_htlc':
    case 'update_fail_htlc':
    case 'update_fail_malformed_htlc':
      // "if the id does not correspond to an HTLC in its current commitment transaction: MUST send a
      // warning and close the connection" — we never offer HTLCs.
      throw new Violation('warning', `${m.type}: id ${m.id} is not an HTLC we offered (we offer none)`);
    case 'shutdown':
      return onShutdown(st, m);
    case 'closing_signed':
      return onClosingSigned(st, m);
    case 'channel_reestablish':
      st.effect({ kind: 'log', level: 'warn', message: 'ignored a second channel_reestablish' });
      return;
    default:
      st.effect({ kind: 'log', level: 'warn', message: `ignored ${m.type} on a funded channel` });
  }
}

function onChannelReady(st: Step, m: ChannelWireOf<'channel_ready'>): void {
  const s = st.s;
  if (m.shortChannelIdAlias !== undefined && m.shortChannelIdAlias !== s.theirs.alias) {
    // MAY send multiple channel_ready messages with different alias values; the receiver keeps one.
    s.theirs.alias = m.shortChannelIdAlias;
    st.persist.add('channel_ready');
  }
  // "upon reconnection: MUST ignore any redundant channel_ready it receives."
  if (s.channelReady.received) return;
  if (!isPoint(m.secondPerCommitmentPoint)) throw new Violation('error', 'channel_ready: second_per_commitment_point is not a valid point');
  s.channelReady.received = true;
  s.theirNextPoint = m.secondPerCommitmentPoint;
  st.persist.add('channel_ready');
  refreshPhase(st);
}

function canUpdate(s: ChannelState): boolean {
  return s.phase === 'normal' || s.phase === 'shutdown';
}

/** Our commitment as their next commitment_signed would make it, with `extra` of theirs added. */
function pendingLocalSpec(s: ChannelState, extra: RemoteUpdate[] = []): CommitSpec {
  return reduceSpec(s.localCommit.spec, [...s.remoteChanges.proposed, ...extra], s.localChanges.acked);
}

function onAdd(st: Step, m: ChannelWireOf<'update_add_htlc'>): void {
  const s = st.s;
  const ours = s.ours.params;
  // "MUST NOT send an update_add_htlc after a shutdown."
  if (s.shutdown.theirScript !== undefined) throw new Violation('warning', 'update_add_htlc after their shutdown');
  if (!canUpdate(s) || !s.channelReady.received) throw new Violation('warning', `update_add_htlc while the channel is ${s.phase}`);
  if (m.id !== s.nextRemoteHtlcId) {
    // "if the sender did not previously acknowledge the commitment of that HTLC: MUST ignore a repeated id value after a reconnection."
    const known = s.htlcs.find((h) => h.id === m.id);
    if (m.id < s.nextRemoteHtlcId && known !== undefined && known.amountMsat === m.amountMsat && bytesEqual(known.paymentHash, m.paymentHash)) {
      st.effect({ kind: 'log', level: 'info', message: `ignored repeated update_add_htlc ${m.id}` });
      return;
    }
    throw new Violation('warning', `update_add_htlc: id ${m.id}, expected ${s.nextRemoteHtlcId}`);
  }
  // "receiving an amount_msat equal to 0, OR less than its own htlc_minimum_msat: SHOULD send a warning and close the connection".
  if (m.amountMsat === 0n || m.amountMsat < ours.htlcMinimumMsat) throw new Violation('warning', `update_add_htlc: amount_msat ${m.amountMsat} is below our htlc_minimum_msat ${ours.htlcMinimumMsat}`);
  // "if sending node sets cltv_expiry to greater or equal to 500000000".
  if (m.cltvExpiry >= CLTV_EXPIRY_LIMIT) throw new Violation('warning', `update_add_htlc: cltv_expiry ${m.cltvExpiry} is not below 500000000`);
  const current = pendingLocalSpec(s);
  // "receiving an amount_msat that the sending node cannot afford at the current feerate_per_kw (while maintaining its channel reserve …)".
  if (m.amountMsat > current.toThemMsat) throw new Violation('warning', `update_add_htlc: amount_msat ${m.amountMsat} is more than the sender's balance`);
  const htlc: IncomingHtlc = {
    id: m.id,
    amountMsat: m.amountMsat,
    paymentHash: m.paymentHash,
    cltvExpiry: m.cltvExpiry,
    onionRoutingPacket: m.onionRoutingPacket,
    ...(m.pathKey !== undefined ? { pathKey: m.pathKey } : {}),
  };
  const update: RemoteUpdate = { kind: 'add', htlc };
  const spec = pendingLocalSpec(s, [update]);
  // "if a sending node adds more than receiver max_accepted_htlcs HTLCs … OR more than receiver max_htlc_value_in_flight_msat".
  if (spec.htlcs.length > ours.maxAcceptedHtlcs) throw new Violation('warning', `update_add_htlc: more than our max_accepted_htlcs ${ours.maxAcceptedHtlcs} HTLCs`);
  let inFlight = 0n;
  for (const h of spec.htlcs) inFlight += h.amountMsat;
  if (inFlight > ours.maxHtlcValueInFlightMsat) throw new Violation('warning', `update_add_htlc: ${inFlight} msat in flight is more than our max_htlc_value_in_flight_msat ${ours.maxHtlcValueInFlightMsat}`);
  const available = funderAvailableSat(s, spec);
  if (available < 0n) throw new Violation('warning', `update_add_htlc: the funder cannot afford it: ${-available} sat short of the fee and its channel reserve`);
  let mustFail: MustFailReason | undefined;
  if (s.shutdown.sent) mustFail = 'after_shutdown';
  else {
    const trimmed =
      isHtlcTrimmed({ offered: false, amountMsat: m.amountMsat }, spec.feeratePerKw, s.ours.params.dustLimitSatoshis) ||
      isHtlcTrimmed({ offered: true, amountMsat: m.amountMsat }, spec.feeratePerKw, s.theirs.params.dustLimitSatoshis);
    if (trimmed && trimmedExposureMsat(s, spec) > st.ctx.config.maxDustHtlcExposureMsat) mustFail = 'dust_exposure';
  }
  s.remoteChanges.proposed.push(mustFail !== undefined ? { ...update, mustFail } : update);
  s.nextRemoteHtlcId += 1n;
}

function onFee(st: Step, m: ChannelWireOf<'update_fee'>): void {
  const s = st.s;
  const cfg = st.ctx.config;
  if (!canUpdate(s)) throw new Violation('warning', `update_fee while the channel is ${s.phase}`);
  // "if the update_fee is too low for timely processing, OR is unreasonably large: MUST send a warning and close the connection".
  if (m.feeratePerKw < cfg.minFeeratePerKw || m.feeratePerKw > cfg.maxFeeratePerKw) {
    throw new Violation('warning', `update_fee: feerate_per_kw ${m.feeratePerKw} is outside ${cfg.minFeeratePerKw}..${cfg.maxFeeratePerKw}`);
  }
  // (The sender is the funder: they opened the channel, so "responsible for paying the Bitcoin fee".)
  const update: RemoteUpdate = { kind: 'fee', feeratePerKw: m.feeratePerKw };
  const spec = pendingLocalSpec(s, [update]);
  // "if the sender cannot afford the new fee rate on the receiving node's current commitment transaction: SHOULD send a warning and close the connection".
  const available = funderAvailableSat(s, spec);
  if (available < 0n) throw new Violation('warning', `update_fee: the funder cannot afford feerate_per_kw ${m.feeratePerKw}: ${-available} sat short of the fee and its channel reserve`);
  // "Unlike an HTLC, update_fee is never closed but simply replaced": only the last one counts, so
  // only the last one is kept (a peer sending update_fee after update_fee cannot grow the state).
  s.remoteChanges.proposed = s.remoteChanges.proposed.filter((u) => u.kind !== 'fee');
  s.remoteChanges.proposed.push(update);
}

function onCommitmentSigned(st: Step, m: ChannelWireOf<'commitment_signed'>): void {
  const s = st.s;
  const ctx = st.ctx;
  if (!canUpdate(s) || !s.channelReady.received) throw new Violation('warning', `commitment_signed while the channel is ${s.phase}`);
  const index = s.localCommit.index + 1n;
  const spec = pendingLocalSpec(s);
  let c;
  try {
    c = buildLocalCommitment(s, ctx.keys, index, spec);
  } catch (e) {
    if (e instanceof TxError) throw new Violation('warning', `commitment_signed: cannot build our commitment: ${e.message}`);
    throw e;
  }
  const problem = checkLocalSignatures(s, c, m.signature, m.htlcSignatures);
  // "MUST send a warning and close the connection, or send an error and fail the channel."
  if (problem !== undefined) throw new Violation('warning', `commitment_signed: ${problem}`);
  // Their adds are now on our commitment.
  for (const u of s.remoteChanges.proposed) {
    if (u.kind === 'add') s.htlcs.push({ ...u.htlc, irrevocable: false, ...(u.mustFail !== undefined ? { mustFail: u.mustFail } : {}) });
  }
  // Our removals leave our commitment: with our revocation below, their removal is irrevocable.
  for (const u of s.localChanges.acked) {
    const i = s.htlcs.findIndex((h) => h.id === u.id);
    const h = s.htlcs[i]!;
    s.htlcs.splice(i, 1);
    st.effect({ kind: 'htlc_settled', htlcId: h.id, paymentHash: h.paymentHash, amountMsat: h.amountMsat, outcome: u.kind === 'fulfill' ? 'fulfilled' : 'failed' });
  }
  const old = s.localCommit.index;
  s.localCommit = { index, spec, txid: c.txid, theirSignature: m.signature, theirHtlcSignatures: m.htlcSignatures };
  // Acked updates wait for our next commitment_signed; a newer update_fee replaces an older one.
  if (s.remoteChanges.proposed.some((u) => u.kind === 'fee')) s.remoteChanges.acked = s.remoteChanges.acked.filter((u) => u.kind !== 'fee');
  s.remoteChanges.acked.push(...s.remoteChanges.proposed);
  s.remoteChanges.proposed = [];
  s.localChanges.acked = [];
  // BOLT 2, revoke_and_ack: the secret of the previous commitment, the point of the one after the new one.
  st.send({ type: 'revoke_and_ack', channelId: s.channelId, perCommitmentSecret: secretOf(ctx, old), nextPerCommitmentPoint: pointOf(ctx, index + 1n) });
  s.lastSentOrder = 'commit_then_revoke';
  // The new commitment and its signatures, before our revoke_and_ack.
  st.persist.add('commitment_received');
  afterChange(st);
}

function onRevokeAndAck(st: Step, m: ChannelWireOf<'revoke_and_ack'>): void {
  const s = st.s;
  const nr = s.nextRemote;
  if (nr === undefined) throw new Violation('error', 'revoke_and_ack without a commitment_signed of ours to acknowledge');
  // "if per_commitment_secret is not a valid secret key or does not generate the previous per_commitment_point: MUST send an error and fail the channel."
  let point: Uint8Array | undefined;
  try {
    // perCommitmentPoint is secret·G; it throws for a secret that is not a valid scalar.
    point = perCommitmentPoint(m.perCommitmentSecret);
  } catch {
    point = undefined;
  }
  if (point === undefined || !bytesEqual(point, s.remoteCommit.point)) {
    throw new Violation('error', `revoke_and_ack: per_commitment_secret does not generate the per_commitment_point of commitment ${s.remoteCommit.index}`);
  }
  // "if the per_commitment_secret was not generated by the protocol in BOLT 3: MAY send a warning … or an error" (a reused or foreign secret).
  const store = ShachainStore.fromBytes(s.theirSecrets);
  try {
    store.insertCommitment(s.remoteCommit.index, m.perCommitmentSecret);
  } catch (e) {
    if (e instanceof ShachainError) throw new Violation('error', `revoke_and_ack: ${e.message}`);
    throw e;
  }
  if (!isPoint(m.nextPerCommitmentPoint)) throw new Violation('error', 'revoke_and_ack: next_per_commitment_point is not a valid point');
  s.theirSecrets = store.toBytes();
  s.remoteCommit = nr;
  s.nextRemote = undefined;
  s.theirNextPoint = m.nextPerCommitmentPoint;
  s.localChanges.acked.push(...s.localChanges.signed);
  s.localChanges.signed = [];
  // BOLT 2, Forwarding HTLCs: their adds are now in both commitments and the older ones revoked.
  for (const u of s.remoteChanges.signed) {
    if (u.kind !== 'add') continue;
    const h = s.htlcs.find((x) => x.id === u.htlc.id)!;
    h.irrevocable = true;
    const { irrevocable: _i, mustFail, resolution: _r, ...htlc } = h;
    st.effect({ kind: 'htlc_irrevocably_committed', htlc, ...(mustFail !== undefined ? { mustFail } : {}) });
  }
  s.remoteChanges.signed = [];
  // Their revealed secret, on their revoke_and_ack.
  st.persist.add('revocation_received');
  afterChange(st);
}

/** After any change: sign what is pending, send a wanted shutdown, move the phase. */
function afterChange(st: Step): void {
  maybeSign(st);
  trySendShutdown(st);
  refreshPhase(st);
}

function maybeSign(st: Step): void {
  const s = st.s;
  if (s.session.conn !== 'active' || s.theirNextPoint === undefined) return;
  if (s.phase !== 'normal' && s.phase !== 'shutdown') return;
  if (s.localChanges.proposed.length === 0 && s.remoteChanges.acked.length === 0) return;
  const index = s.remoteCommit.index + 1n;
  const point = s.theirNextPoint;
  const spec = reduceSpec(s.remoteCommit.spec, s.remoteChanges.acked, s.localChanges.proposed);
  const c = buildRemoteCommitment(s, index, spec, point);
  const sigs = signRemoteCommitment(st.ctx.keys, c, point);
  s.nextRemote = { index, spec, txid: c.txid, point };
  s.theirNextPoint = undefined;
  s.localChanges.signed = s.localChanges.proposed;
  s.localChanges.proposed = [];
  s.remoteChanges.signed = s.remoteChanges.acked;
  s.remoteChanges.acked = [];
  st.send({ type: 'commitment_signed', channelId: s.channelId, signature: sigs.signature, htlcSignatures: sigs.htlcSignatures });
  s.lastSentOrder = 'revoke_then_commit';
  // The HTLC set, before our commitment_signed.
  st.persist.add('commitment_sent');
}

// ---------------------------------------------------------------------------------------------
// Our decisions

function onResolve(st: Step, ev: Extract<ChannelEvent, { kind: 'fulfill' | 'fail' | 'fail_malformed' }>): void {
  const s = st.s;
  const refuse = (reason: string) => st.effect({ kind: 'command_refused', reason });
  if (s.phase === 'closed' || s.phase === 'negotiating_closing' || s.phase === 'awaiting_channel_ready') return refuse(`${ev.kind}: the channel is ${s.phase}`);
  const h = s.htlcs.find((x) => x.id === ev.htlcId);
  if (h === undefined) return refuse(`${ev.kind}: no HTLC ${ev.htlcId} on this channel`);
  // "until the corresponding HTLC is irrevocably committed in both sides' commitment transactions: MUST NOT send an update_fulfill_htlc …".
  if (!h.irrevocable) return refuse(`${ev.kind}: HTLC ${ev.htlcId} is not irrevocably committed yet`);
  if (h.resolution !== undefined) return refuse(`${ev.kind}: HTLC ${ev.htlcId} is already being ${h.resolution.kind === 'fulfill' ? 'fulfilled' : 'failed'}`);
  let u: LocalUpdate;
  if (ev.kind === 'fulfill') {
    if (!(ev.preimage instanceof Uint8Array) || ev.preimage.length !== 32 || !bytesEqual(sha256(ev.preimage), h.paymentHash)) return refuse(`fulfill: the preimage does not hash to HTLC ${ev.htlcId}'s payment_hash`);
    if (h.mustFail !== undefined) return refuse(`fulfill: HTLC ${ev.htlcId} must be failed (${h.mustFail})`);
    u = { kind: 'fulfill', id: h.id, preimage: ev.preimage.slice() };
  } else if (ev.kind === 'fail') {
    if (ev.reason.length > 0xffff) return refuse('fail: reason longer than 65535 bytes');
    u = { kind: 'fail', id: h.id, reason: ev.reason.slice() };
  } else {
    // BOLT 2: the receiver fails the connection "if the BADONION bit in failure_code is not set".
    if ((ev.failureCode & BADONION) === 0) return refuse('fail_malformed: failure_code must have the BADONION bit (0x8000)');
    if (ev.sha256OfOnion.length !== 32) return refuse('fail_malformed: sha256_of_onion must be 32 bytes');
    u = { kind: 'fail_malformed', id: h.id, sha256OfOnion: ev.sha256OfOnion.slice(), failureCode: ev.failureCode };
  }
  h.resolution = u;
  // The preimage (with the invoice's paid mark, in the same transaction) before update_fulfill_htlc.
  st.persist.add(u.kind === 'fulfill' ? 'preimage' : 'htlc_failed');
  // A failed channel keeps the decision for the chain layer (an on-chain HTLC-success needs the preimage).
  if (s.phase === 'failed') return;
  s.localChanges.proposed.push(u);
  st.send(updateMessage(s, u));
  afterChange(st);
}

function onOurShutdown(st: Step): void {
  const s = st.s;
  if (s.phase === 'failed' || s.phase === 'closed') return st.effect({ kind: 'command_refused', reason: `shutdown: the channel is ${s.phase}` });
  if (s.shutdown.wanted) return st.effect({ kind: 'command_refused', reason: 'shutdown: already closing' });
  s.shutdown.wanted = true;
  st.persist.add('shutdown');
  afterChange(st);
}

function trySendShutdown(st: Step): void {
  const s = st.s;
  if (!s.shutdown.wanted || s.shutdown.sent || s.session.conn !== 'active') return;
  // "if there are updates pending on the receiving node's commitment transaction: MUST NOT send a shutdown."
  if (s.localChanges.proposed.length > 0) return;
  st.send({ type: 'shutdown', channelId: s.channelId, scriptPubkey: s.ours.shutdownScript });
  s.shutdown.sent = true;
  st.persist.add('shutdown');
}

// ---------------------------------------------------------------------------------------------
// Mutual close

function onShutdown(st: Step, m: ChannelWireOf<'shutdown'>): void {
  const s = st.s;
  // "if the scriptpubkey is not in one of the above forms: SHOULD send a warning."
  const problem = shutdownScriptProblem(m.scriptPubkey, s.negotiated.shutdownAnySegwit);
  if (problem !== undefined) throw new Violation('warning', `shutdown: ${problem}`);
  // Upfront script: "if … that shutdown_scriptpubkey is not equal to scriptpubkey: MAY send a warning; MUST fail the connection."
  const upfront = s.theirs.upfrontShutdownScript;
  if (s.negotiated.upfrontShutdownScript && upfront !== undefined && upfront.length > 0 && !bytesEqual(upfront, m.scriptPubkey)) {
    throw new Violation('warning', 'shutdown: scriptpubkey is not the upfront_shutdown_script of open_channel');
  }
  if (s.shutdown.theirScript !== undefined) {
    // Retransmitted after reconnection ("MUST retransmit shutdown"); a different script is not allowed.
    if (!bytesEqual(s.shutdown.theirScript, m.scriptPubkey)) throw new Violation('warning', 'shutdown: a second shutdown with another scriptpubkey');
    afterChange(st);
    return;
  }
  // "if there are updates pending on the receiving node's commitment transaction: MUST NOT send a shutdown."
  if (s.remoteChanges.proposed.length > 0) throw new Violation('warning', 'shutdown with updates not yet committed to our commitment');
  s.shutdown.theirScript = m.scriptPubkey;
  // "once there are no outstanding updates on the peer, UNLESS it has already sent a shutdown: MUST reply to a shutdown message with a shutdown".
  s.shutdown.wanted = true;
  st.persist.add('shutdown');
  afterChange(st);
}

function onClosingSigned(st: Step, m: ChannelWireOf<'closing_signed'>): void {
  const s = st.s;
  const cfg = st.ctx.config;
  if (s.phase === 'closed') {
    // Our final closing_signed was lost: the same fee again gets the same answer.
    if (s.closing !== undefined && m.feeSatoshis === s.closing.feeSatoshis) {
      const c = findSigned(s, m);
      if (c !== undefined) st.send({ type: 'closing_signed', channelId: s.channelId, feeSatoshis: m.feeSatoshis, signature: signFundingSpend(c, st.ctx.keys.fundingSecret), ...(m.feeRange ? { feeRange: m.feeRange } : {}) });
    }
    return;
  }
  if (s.phase !== 'negotiating_closing') throw new Violation('warning', 'closing_signed before both shutdowns and all HTLCs resolved');
  // "if the signature is not valid for either variant of closing transaction … MUST send a warning and close the connection, or send an error".
  const signed = findSigned(s, m);
  if (signed === undefined) throw new Violation('warning', `closing_signed: signature is not valid for a closing transaction with fee_satoshis ${m.feeSatoshis}`);
  // "if one of the outputs in the closing transaction is below the dust limit for its scriptpubkey: MUST fail the channel".
  for (const o of signed.tx.outputs) {
    if (o.valueSat < scriptDustLimitSat(o.script)) throw new Violation('error', `closing_signed: an output of ${o.valueSat} sat is below the dust limit of its scriptpubkey`);
  }
  const floor = closingFloorSat(s, cfg.closingMinFeeratePerKw);
  const last = s.session.lastSentClosingFee;
  let fee: bigint;
  let ourRange: { minFeeSatoshis: bigint; maxFeeSatoshis: bigint } | undefined;
  if (m.feeRange !== undefined) {
    const { minFeeSatoshis: min, maxFeeSatoshis: max } = m.feeRange;
    // We are not the funder: "SHOULD set max_fee_satoshis to at least the max_fee_satoshis received; SHOULD set min_fee_satoshis to a fairly low value".
    ourRange = { minFeeSatoshis: floor < min ? floor : min, maxFeeSatoshis: max };
    if (last !== undefined && m.feeSatoshis !== last) {
      // "if it has already sent a closing_signed: if fee_satoshis is not the same as the value it sent: MUST fail the channel".
      throw new Violation('error', `closing_signed: fee_satoshis ${m.feeSatoshis} is not the ${last} we agreed within the fee ranges`);
    }
    const lo = floor > min ? floor : min;
    if (max < lo) {
      // "if there is no overlap between that and its own fee_range: SHOULD send a warning".
      st.send({ type: 'warning', channelId: s.channelId, data: text(`closing_signed: fee_range ${min}..${max} is below our minimum ${floor} sat`) });
      return;
    }
    // "MUST propose a fee_satoshis in the overlap": theirs when it is in it.
    fee = m.feeSatoshis < lo ? lo : m.feeSatoshis > max ? max : m.feeSatoshis;
  } else if (last !== undefined && m.feeSatoshis === last) {
    fee = last;
  } else if (m.feeSatoshis >= floor) {
    // "otherwise, if the receiver agrees with the fee: SHOULD reply with a closing_signed with the same fee_satoshis".
    fee = m.feeSatoshis;
  } else if (last === undefined) {
    fee = floor;
  } else {
    // "MUST propose a value strictly between the received fee_satoshis and its previously-sent fee_satoshis."
    const mid = (m.feeSatoshis + last + 1n) / 2n;
    fee = mid > m.feeSatoshis && mid < last ? mid : m.feeSatoshis;
  }
  if (fee === m.feeSatoshis) {
    // Agreed: sign the variant they signed; the transaction is complete.
    const ourSig = signFundingSpend(signed, st.ctx.keys.fundingSecret);
    const tx = withFundingWitness(signed, ourSig, m.signature);
    const ourOutputSat = signed.localOutputIndex === undefined ? 0n : signed.localSat;
    s.closing = { feeSatoshis: fee, tx: serializeTx(tx), txid: txidOf(tx), ourOutputSat };
    s.phase = 'closed';
    // "if fee_satoshis is equal to its previously sent fee_satoshis: SHOULD sign and broadcast" (no reply); else reply with the same value.
    if (last !== fee) st.send({ type: 'closing_signed', channelId: s.channelId, feeSatoshis: fee, signature: ourSig, ...(ourRange ? { feeRange: ourRange } : {}) });
    st.persist.add('closing');
    st.effect({ kind: 'mutual_close', tx, feeSatoshis: fee, ourOutputSat });
    return;
  }
  const ours = ourClosingTx(s, fee);
  st.send({ type: 'closing_signed', channelId: s.channelId, feeSatoshis: fee, signature: signFundingSpend(ours, st.ctx.keys.fundingSecret), ...(ourRange ? { feeRange: ourRange } : {}) });
  s.session.lastSentClosingFee = fee;
}

function findSigned(s: ChannelState, m: ChannelWireOf<'closing_signed'>): ClosingTx | undefined {
  return closingCandidates(s, m.feeSatoshis).find((c) => verifyFundingSpend(c, m.signature, s.theirs.basepoints.fundingPubkey));
}

// ---------------------------------------------------------------------------------------------
// Queries for the I/O layer

/** Irrevocably committed HTLCs still waiting for our decision (ask the payment layer again after a restart). */
export function pendingHtlcDecisions(s: ChannelState): { htlc: IncomingHtlc; mustFail?: MustFailReason }[] {
  return s.htlcs
    .filter((h) => h.irrevocable && h.resolution === undefined)
    .map(({ irrevocable: _i, resolution: _r, mustFail, ...htlc }) => ({ htlc, ...(mustFail !== undefined ? { mustFail } : {}) }));
}

/** Our balance on our current commitment, in msat (before any fee: the funder pays it). */
export function ourBalanceMsat(s: ChannelState): bigint {
  return s.localCommit.spec.toUsMsat;
}
