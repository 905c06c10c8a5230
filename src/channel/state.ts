// The fundee's BOLT 2 channel state, the events that drive it and the effects it asks of the I/O
// layer: the types of the pure reducer in fundee.ts (`acceptOpenChannel`, `fundeeStep`). No
// behaviour here beyond defaults.
//
// The model (BOLT 2, Normal Operation: "each update traverses through the following states"):
// each side's current commitment is a `CommitSpec` (HTLCs, balances, feerate), and updates move
// through three lists per side, as in the spec's five steps:
//   theirs (update_add_htlc, update_fee):  proposed → (their commitment_signed) acked
//                                          → (our commitment_signed) signed → (their revoke_and_ack) gone
//   ours (update_fulfill/fail/fail_malformed): proposed → (our commitment_signed) signed
//                                          → (their revoke_and_ack) acked → (their commitment_signed) gone
// Our commitment is reduce(localCommit, their proposed, our acked); theirs reduce(remoteCommit,
// their acked, our proposed). An HTLC they added is irrevocably committed when their
// revoke_and_ack arrives for the commitment we signed with it (BOLT 2, Forwarding HTLCs).
//
// We are always the fundee: they pay every fee, only they add HTLCs and send update_fee, only we
// remove HTLCs. Everything about one commitment is named from its owner's view (README.md).
import type { ChannelWireMessage, OpenChannel, AcceptChannel } from '../wire/channel.ts';
import type { ChannelBasepoints } from './keys.ts';
import type { OutPoint } from './commitment.ts';
import type { Tx } from './tx.ts';
import type { ChannelKeys } from './channel-keys.ts';

// ---------------------------------------------------------------------------------------------
// Configuration

export interface FundeeConfig {
  /** The chain we accept channels on (BOLT 2: "MUST fail the channel if the chain_hash … is unknown"). */
  chainHash: Uint8Array;
  /**
   * Funders whose unconfirmed (zero-conf, `minimum_depth` 0) channels we accept: node ids, or
   * `'all'` (regtest). Until a chain backend exists every other funder is refused.
   */
  trustedFunders: 'all' | readonly Uint8Array[];
  /** Our `dust_limit_satoshis` (lowered to their reserve when that is smaller, never below 354). */
  dustLimitSatoshis: bigint;
  /** Bounds on the funder's `dust_limit_satoshis` (the issue's: 354–546, as CLN and LDK accept). */
  minFunderDustLimitSatoshis: bigint;
  maxFunderDustLimitSatoshis: bigint;
  /** BOLT 2: "MUST fail the channel if `to_self_delay` is unreasonably large" (2016). */
  maxFunderToSelfDelay: number;
  /** The `to_self_delay` we ask of the funder. */
  toSelfDelay: number;
  /** Our `max_accepted_htlcs` (≤ 483). */
  maxAcceptedHtlcs: number;
  /** Our `htlc_minimum_msat` (≥ 1: BOLT 2 forbids 0-amount HTLCs anyway). */
  htlcMinimumMsat: bigint;
  /** Our `max_htlc_value_in_flight_msat`; undefined: the whole channel. */
  maxHtlcValueInFlightMsat?: bigint;
  /** The reserve we ask the funder to keep, in millionths of the channel (1% = 10 000). */
  reserveMillionths: number;
  minFundingSatoshis: bigint;
  /** option_support_large_channel: accept `funding_satoshis` ≥ 2^24. */
  largeChannels: boolean;
  /** Accepted `feerate_per_kw` range (open_channel and update_fee). */
  minFeeratePerKw: number;
  maxFeeratePerKw: number;
  /** BOLT 2, max_dust_htlc_exposure_msat: trimmed HTLCs above this are marked to be failed. */
  maxDustHtlcExposureMsat: bigint;
  /** The lowest closing feerate we agree to (closing_signed). */
  closingMinFeeratePerKw: number;
  /** Send our shutdown script in accept_channel's `upfront_shutdown_script` (else zero-length). */
  upfrontShutdownScript: boolean;
}

export const DEFAULT_FUNDEE_CONFIG: Omit<FundeeConfig, 'chainHash'> = {
  trustedFunders: [],
  dustLimitSatoshis: 546n,
  minFunderDustLimitSatoshis: 354n,
  maxFunderDustLimitSatoshis: 546n,
  maxFunderToSelfDelay: 2016,
  toSelfDelay: 144,
  maxAcceptedHtlcs: 30,
  htlcMinimumMsat: 1n,
  reserveMillionths: 10_000,
  minFundingSatoshis: 10_000n,
  largeChannels: false,
  minFeeratePerKw: 253,
  maxFeeratePerKw: 100_000,
  maxDustHtlcExposureMsat: 5_000_000n,
  closingMinFeeratePerKw: 253,
  upfrontShutdownScript: false,
};

export function fundeeConfig(c: Partial<FundeeConfig> & { chainHash: Uint8Array }): FundeeConfig {
  return { ...DEFAULT_FUNDEE_CONFIG, ...c };
}

/** What every step needs besides the state: the node's policy and this channel's keys. */
export interface FundeeContext {
  config: FundeeConfig;
  /** Derived for the state's `keyIndex` (deriveChannelKeys(seed, state.keyIndex)). */
  keys: ChannelKeys;
}

// ---------------------------------------------------------------------------------------------
// HTLCs and updates

/** An HTLC as a commitment holds it (always offered by them: we never add HTLCs). */
export interface SpecHtlc {
  id: bigint;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  cltvExpiry: number;
}

/** An HTLC they offered us, with what the payment layer needs to decide on it. */
export interface IncomingHtlc extends SpecHtlc {
  /** BOLT 4 onion, peeled by the payment layer with our node key. */
  onionRoutingPacket: Uint8Array;
  /** `update_add_htlc` TLV `blinded_path.path_key`. */
  pathKey?: Uint8Array;
}

/** Why an HTLC must be failed whatever it pays for. */
export type MustFailReason =
  /** BOLT 2, max_dust_htlc_exposure_msat: "SHOULD fail this HTLC once it's committed; SHOULD NOT reveal a preimage". */
  | 'dust_exposure'
  /** BOLT 2, shutdown: "SHOULD fail to route any HTLC added after it has sent `shutdown`". */
  | 'after_shutdown';

export type RemoteUpdate = { kind: 'add'; htlc: IncomingHtlc; mustFail?: MustFailReason } | { kind: 'fee'; feeratePerKw: number };

export type LocalUpdate =
  | { kind: 'fulfill'; id: bigint; preimage: Uint8Array }
  | { kind: 'fail'; id: bigint; reason: Uint8Array }
  | { kind: 'fail_malformed'; id: bigint; sha256OfOnion: Uint8Array; failureCode: number };

/** An HTLC in at least one of the commitments (from their commitment_signed on, until its removal is irrevocable). */
export interface HtlcRecord extends IncomingHtlc {
  /** Their revoke_and_ack came for the commitment we signed with it: BOLT 2's "irrevocably committed". */
  irrevocable: boolean;
  mustFail?: MustFailReason;
  /** Our decision, once made (kept until the removal is irrevocable; the preimage survives a force close). */
  resolution?: LocalUpdate;
}

/** One commitment: the HTLCs on it and the balances before the fee (which the funder, they, pays). */
export interface CommitSpec {
  htlcs: SpecHtlc[];
  toUsMsat: bigint;
  toThemMsat: bigint;
  feeratePerKw: number;
}

export interface LocalCommit {
  index: bigint;
  spec: CommitSpec;
  txid: Uint8Array;
  /** Their signatures: what the chain layer needs to broadcast this commitment. */
  theirSignature: Uint8Array;
  theirHtlcSignatures: Uint8Array[];
}

export interface RemoteCommit {
  index: bigint;
  spec: CommitSpec;
  txid: Uint8Array;
  /** Their per-commitment point for this commitment. */
  point: Uint8Array;
}

/** One side's channel parameters (as its open_channel or accept_channel set them). */
export interface SideParams {
  dustLimitSatoshis: bigint;
  maxHtlcValueInFlightMsat: bigint;
  channelReserveSatoshis: bigint;
  htlcMinimumMsat: bigint;
  toSelfDelay: number;
  maxAcceptedHtlcs: number;
}

// ---------------------------------------------------------------------------------------------
// States

/** Between our accept_channel and their funding_created: nothing is stored (BOLT 2: SHOULD NOT remember). */
export interface PendingOpen {
  phase: 'awaiting_funding_created';
  peerId: Uint8Array;
  keyIndex: bigint;
  open: OpenChannel;
  accept: AcceptChannel;
  ourAlias: bigint;
  negotiated: NegotiatedFeatures;
}

export interface NegotiatedFeatures {
  /** option_upfront_shutdown_script advertised by both. */
  upfrontShutdownScript: boolean;
  /** option_shutdown_anysegwit advertised by both. */
  shutdownAnySegwit: boolean;
}

export type ChannelPhase = 'awaiting_channel_ready' | 'normal' | 'shutdown' | 'negotiating_closing' | 'closed' | 'failed';

/** The connection, as the channel sees it; never stored (a loaded channel starts disconnected). */
export type ConnectionState = 'disconnected' | 'awaiting_reestablish' | 'active';

export interface ChannelState {
  phase: ChannelPhase;
  peerId: Uint8Array;
  keyIndex: bigint;
  chainHash: Uint8Array;
  temporaryChannelId: Uint8Array;
  channelId: Uint8Array;
  fundingOutpoint: OutPoint;
  fundingSatoshis: bigint;
  pushMsat: bigint;
  /** Echoed exactly from open_channel. */
  channelType: Uint8Array;
  channelFlags: number;
  obscuringFactor: bigint;
  negotiated: NegotiatedFeatures;
  ours: {
    /** What we asked of them in accept_channel (limits on their HTLCs and commitment). */
    params: SideParams;
    basepoints: ChannelBasepoints;
    minimumDepth: number;
    /** Our option_scid_alias alias (sent in channel_ready). */
    alias: bigint;
    /** Our `shutdown` scriptpubkey (P2WPKH of our derived shutdown key). */
    shutdownScript: Uint8Array;
    /** What we sent as `upfront_shutdown_script` (zero-length: none). */
    upfrontShutdownScript: Uint8Array;
  };
  theirs: {
    /** What they asked of us in open_channel. */
    params: SideParams;
    basepoints: ChannelBasepoints;
    upfrontShutdownScript?: Uint8Array;
    /** Their alias from channel_ready: the short_channel_id our payment paths name for this channel. */
    alias?: bigint;
  };
  localCommit: LocalCommit;
  remoteCommit: RemoteCommit;
  /** The commitment we signed for them and whose revocation we await. */
  nextRemote?: RemoteCommit;
  /** Their point for commitment remoteCommit.index + 1; absent while awaiting their revoke_and_ack. */
  theirNextPoint?: Uint8Array;
  localChanges: { proposed: LocalUpdate[]; signed: LocalUpdate[]; acked: LocalUpdate[] };
  remoteChanges: { proposed: RemoteUpdate[]; acked: RemoteUpdate[]; signed: RemoteUpdate[] };
  /** HTLCs on a commitment (from their commitment_signed on), by id. */
  htlcs: HtlcRecord[];
  /** The `id` their next update_add_htlc must carry. */
  nextRemoteHtlcId: bigint;
  /** ShachainStore.toBytes() of the per-commitment secrets they revealed. */
  theirSecrets: Uint8Array;
  /**
   * The relative order of our last commitment_signed and our last revoke_and_ack (BOLT 2: "MUST
   * retransmit revoke_and_ack and commitment_signed in the same relative order as initially transmitted").
   */
  lastSentOrder: 'revoke_then_commit' | 'commit_then_revoke';
  channelReady: { sent: boolean; received: boolean };
  /** The funding output's real short_channel_id, once the chain layer knows it. */
  realShortChannelId?: bigint;
  shutdown: { wanted: boolean; sent: boolean; theirScript?: Uint8Array };
  /** The agreed mutual close, both signatures in. */
  closing?: { feeSatoshis: bigint; tx: Uint8Array; txid: Uint8Array; ourOutputSat: bigint };
  failure?: { reason: string; errorData: Uint8Array; broadcastLatestCommitment: boolean };
  /** Never stored: reset when loaded. */
  session: {
    conn: ConnectionState;
    /** closing_signed negotiation, which restarts on reconnection (BOLT 2). */
    lastSentClosingFee?: bigint;
  };
}

export type FundeeState = PendingOpen | ChannelState;

// ---------------------------------------------------------------------------------------------
// Events and effects

export type ChannelEvent =
  /** A decoded BOLT 2 message (or error/warning) from the peer for this channel. */
  | { kind: 'message'; msg: ChannelWireMessage }
  /** Our decision: fulfil an irrevocably committed HTLC (commit the invoice's paid mark with the persist this asks for). */
  | { kind: 'fulfill'; htlcId: bigint; preimage: Uint8Array }
  /** Our decision: fail it with a BOLT 4 failure onion (`reason`), for update_fail_htlc. */
  | { kind: 'fail'; htlcId: bigint; reason: Uint8Array }
  /** Our decision: fail it with update_fail_malformed_htlc (failure_code must have BADONION). */
  | { kind: 'fail_malformed'; htlcId: bigint; sha256OfOnion: Uint8Array; failureCode: number }
  /** Start a mutual close (`close` RPC). */
  | { kind: 'shutdown' }
  /** The transport to the peer closed (also implied for a channel loaded from storage). */
  | { kind: 'disconnected' }
  /** A transport to the peer is up (after init): send channel_reestablish. */
  | { kind: 'connected' }
  /** The chain layer (later): the funding transaction reached minimum_depth. */
  | { kind: 'funding_confirmed'; shortChannelId: bigint };

export type PersistReason =
  /** BOLT 2 / issue 13: the whole channel before funding_signed. */
  | 'channel_funded'
  /** The new commitment and its signatures before our revoke_and_ack. */
  | 'commitment_received'
  /** The HTLC set before our commitment_signed. */
  | 'commitment_sent'
  /** Their revealed per-commitment secret, on their revoke_and_ack. */
  | 'revocation_received'
  /** The preimage before update_fulfill_htlc (commit the invoice's paid mark in the same transaction). */
  | 'preimage'
  | 'htlc_failed'
  | 'channel_ready'
  | 'shutdown'
  | 'closing'
  | 'failed';

export type ChannelEffect =
  /** Write `state` durably (fsync) BEFORE any of this step's `outbound` leaves. */
  | { kind: 'persist'; reasons: PersistReason[] }
  /** Drop this channel: nothing was stored or nothing is at stake. */
  | { kind: 'forget'; reason: string }
  /** Both channel_ready exchanged: the channel can carry HTLCs. */
  | { kind: 'channel_ready'; ourAlias: bigint; theirAlias?: bigint }
  /** Ask the payment layer: fulfil or fail this HTLC (answer with a `fulfill`/`fail`/`fail_malformed` event). */
  | { kind: 'htlc_irrevocably_committed'; htlc: IncomingHtlc; mustFail?: MustFailReason }
  /** The removal of an HTLC is irrevocably committed (both commitments without it, older ones revoked). */
  | { kind: 'htlc_settled'; htlcId: bigint; paymentHash: Uint8Array; amountMsat: bigint; outcome: 'fulfilled' | 'failed' }
  /** Close the transport (after sending `outbound`); uncommitted updates are reversed on reconnection. */
  | { kind: 'disconnect'; reason: string }
  /** We failed the channel (or the peer did). The chain layer (later) broadcasts our latest commitment when told to. */
  | { kind: 'channel_failed'; reason: string; broadcastLatestCommitment: boolean }
  /** The mutual close is agreed and signed by both: broadcast `tx` (the chain layer, later). */
  | { kind: 'mutual_close'; tx: Tx; feeSatoshis: bigint; ourOutputSat: bigint }
  /** One of our commands (fulfill, fail, shutdown) could not be applied; the state is unchanged. */
  | { kind: 'command_refused'; reason: string }
  /** The peer sent a warning, or something worth a log line. */
  | { kind: 'log'; level: 'info' | 'warn'; message: string };

export interface StepResult<S = ChannelState> {
  state: S;
  /** To the peer, in order, after any `persist` effect of the same step has committed. */
  outbound: ChannelWireMessage[];
  effects: ChannelEffect[];
}

/** The result of `acceptOpenChannel`: a pending channel, or a refusal (an `error` to send). */
export interface OpenResult {
  state?: PendingOpen;
  outbound: ChannelWireMessage[];
  effects: ChannelEffect[];
  /** Set when refused: why, in the words sent to the peer. */
  refused?: string;
}
