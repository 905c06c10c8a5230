// A minimal BOLT 2 FUNDER, test-only: the other side of our fundee state machine, built from the
// BOLT 3 functions of src/channel (which the spec's vectors check) and nothing of fundee.ts. It
// opens the channel, funds it (a made-up funding txid: no chain), offers HTLCs, sends update_fee,
// signs and revokes, reestablishes, and closes; tests drive it message by message, and can make
// it misbehave (bad signatures, reused or foreign secrets, amounts it cannot afford, …).
//
// Its view is the funder's: "local" = the funder. Updates follow the same three lists per side as
// BOLT 2's five steps (its adds and fees: proposed → signed → acked; the fundee's removals:
// proposed → acked → signed).
import {
  acceptOpenChannel,
  deserializeChannelState,
  fundeeConfig,
  fundeeStep,
  serializeChannelState,
  type ChannelEffect,
  type ChannelEvent,
  type ChannelState,
  type FundeeConfig,
  type FundeeContext,
  type FundeeState,
  type PersistReason,
  type StepResult,
  buildClosingTx,
  buildCommitmentTx,
  buildHtlcTxs,
  commitmentObscuringFactor,
  deriveChannelKeys,
  deriveCommitmentKeys,
  derivePrivateKey,
  perCommitmentPoint,
  perCommitmentSecret,
  ShachainStore,
  signFundingSpend,
  signHtlcTx,
  verifyFundingSpend,
  verifyHtlcTx,
  withFundingWitness,
  p2wpkh,
  type ChannelBasepoints,
  type ChannelKeys,
  type ClosingTx,
} from '../../src/channel/index.ts';
import { channelIdFromFunding, CHAIN_HASH, decodeChannelMessage, encodeChannelMessage, featuresFromBits, FEATURE, type ChannelWireMessage, type ChannelWireOf } from '../../src/wire/index.ts';
import { deterministicRandom, publicKey, sha256 } from '../../src/crypto/index.ts';
import { bytesEqual } from '../../src/util/bytes.ts';

export const REGTEST = CHAIN_HASH.regtest;
export const STATIC_REMOTEKEY_TYPE = featuresFromBits([FEATURE.option_static_remotekey]);
export const ZEROCONF_TYPE = featuresFromBits([FEATURE.option_static_remotekey, FEATURE.option_scid_alias, FEATURE.option_zeroconf]);

export interface FunderOptions {
  seed?: string;
  fundingSatoshis?: bigint;
  pushMsat?: bigint;
  feeratePerKw?: number;
  channelType?: Uint8Array | null;
  channelFlags?: number;
  dustLimitSatoshis?: bigint;
  channelReserveSatoshis?: bigint;
  toSelfDelay?: number;
  maxAcceptedHtlcs?: number;
  htlcMinimumMsat?: bigint;
  chainHash?: Uint8Array;
  upfrontShutdownScript?: Uint8Array;
  /** 'random': per-commitment secrets not from one shachain seed (BOLT 3 forbids it). */
  secrets?: 'shachain' | 'random';
  alias?: bigint;
}

interface Htlc {
  id: bigint;
  amountMsat: bigint;
  paymentHash: Uint8Array;
  cltvExpiry: number;
}
/** From the funder's view: its balance, the fundee's, the HTLCs it offered. */
interface Spec {
  htlcs: Htlc[];
  funderMsat: bigint;
  fundeeMsat: bigint;
  feeratePerKw: number;
}
type Ours = { kind: 'add'; htlc: Htlc & { onion: Uint8Array; pathKey?: Uint8Array } } | { kind: 'fee'; feeratePerKw: number };
type Theirs = { kind: 'fulfill'; id: bigint; preimage: Uint8Array } | { kind: 'fail'; id: bigint };

function reduce(spec: Spec, ours: readonly Ours[], theirs: readonly Theirs[]): Spec {
  const htlcs = [...spec.htlcs];
  let funder = spec.funderMsat;
  let fundee = spec.fundeeMsat;
  let feerate = spec.feeratePerKw;
  for (const u of ours) {
    if (u.kind === 'fee') feerate = u.feeratePerKw;
    else {
      htlcs.push({ id: u.htlc.id, amountMsat: u.htlc.amountMsat, paymentHash: u.htlc.paymentHash, cltvExpiry: u.htlc.cltvExpiry });
      funder -= u.htlc.amountMsat;
    }
  }
  for (const u of theirs) {
    const i = htlcs.findIndex((h) => h.id === u.id);
    if (i < 0) throw new Error(`funder model: removal of unknown HTLC ${u.id}`);
    const [h] = htlcs.splice(i, 1);
    if (u.kind === 'fulfill') fundee += h!.amountMsat;
    else funder += h!.amountMsat;
  }
  return { htlcs, funderMsat: funder, fundeeMsat: fundee, feeratePerKw: feerate };
}

export class FunderModel {
  readonly keys: ChannelKeys;
  readonly nodeId: Uint8Array;
  readonly opts: Required<Omit<FunderOptions, 'channelType' | 'upfrontShutdownScript' | 'seed'>> & { channelType: Uint8Array | null; upfrontShutdownScript?: Uint8Array };
  readonly temporaryChannelId: Uint8Array;
  private readonly rnd: (n: number) => Uint8Array;

  // Set by accept_channel.
  accept?: ChannelWireOf<'accept_channel'>;
  fundee?: ChannelBasepoints;
  fundeeFirstPoint?: Uint8Array;
  // Set by funding.
  channelId: Uint8Array = new Uint8Array(32);
  fundingTxid: Uint8Array = new Uint8Array(32);
  fundingVout = 0;
  obscuring = 0n;

  funderCommit!: { index: bigint; spec: Spec };
  fundeeCommit!: { index: bigint; spec: Spec; point: Uint8Array };
  nextFundee?: { index: bigint; spec: Spec; point: Uint8Array };
  theirNextPoint?: Uint8Array;
  local = { proposed: [] as Ours[], signed: [] as Ours[], acked: [] as Ours[] };
  remote = { proposed: [] as Theirs[], acked: [] as Theirs[], signed: [] as Theirs[] };
  nextHtlcId = 0n;
  secrets = new ShachainStore();
  lastSentOrder: 'revoke_then_commit' | 'commit_then_revoke' = 'commit_then_revoke';
  channelReadySent = false;
  theirAlias?: bigint;
  /** Preimages the fundee revealed, by payment hash hex. */
  readonly preimages = new Map<string, Uint8Array>();
  readonly failed = new Set<bigint>();
  /** Automatic answers: revoke_and_ack to commitment_signed, commitment_signed when something is pending. */
  autoSign = true;
  // Close.
  fundeeShutdownScript?: Uint8Array;
  shutdownSent = false;
  readonly shutdownScript: Uint8Array;
  closingTx?: ClosingTx & { signed: ReturnType<typeof withFundingWitness> };
  lastClosingFee?: bigint;
  /** The error the model sent (reestablish mismatch). */
  sentError?: string;

  constructor(o: FunderOptions = {}) {
    const seed = o.seed ?? 'funder';
    this.rnd = deterministicRandom(seed);
    this.keys = deriveChannelKeys(sha256(new TextEncoder().encode(seed)), 0n);
    this.nodeId = publicKey(sha256(new TextEncoder().encode(`${seed} node`)));
    this.temporaryChannelId = this.rnd(32);
    this.shutdownScript = p2wpkh(publicKey(sha256(new TextEncoder().encode(`${seed} shutdown`))));
    this.opts = {
      fundingSatoshis: o.fundingSatoshis ?? 1_000_000n,
      pushMsat: o.pushMsat ?? 0n,
      feeratePerKw: o.feeratePerKw ?? 2500,
      channelType: o.channelType === undefined ? ZEROCONF_TYPE : o.channelType,
      channelFlags: o.channelFlags ?? 0,
      dustLimitSatoshis: o.dustLimitSatoshis ?? 546n,
      channelReserveSatoshis: o.channelReserveSatoshis ?? 10_000n,
      toSelfDelay: o.toSelfDelay ?? 720,
      maxAcceptedHtlcs: o.maxAcceptedHtlcs ?? 483,
      htlcMinimumMsat: o.htlcMinimumMsat ?? 1n,
      chainHash: o.chainHash ?? REGTEST,
      secrets: o.secrets ?? 'shachain',
      alias: o.alias ?? 0x0102_0304_0506n,
      ...(o.upfrontShutdownScript !== undefined ? { upfrontShutdownScript: o.upfrontShutdownScript } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Keys

  secret(n: bigint): Uint8Array {
    if (this.opts.secrets === 'random') return sha256(this.keys.shachainSeed, new Uint8Array(new BigUint64Array([n]).buffer));
    return perCommitmentSecret(this.keys.shachainSeed, n);
  }
  point(n: bigint): Uint8Array {
    return perCommitmentPoint(this.secret(n));
  }

  // -------------------------------------------------------------------------------------------
  // Establishment

  openChannel(): ChannelWireOf<'open_channel'> {
    const bp = this.keys.basepoints;
    return {
      type: 'open_channel',
      chainHash: this.opts.chainHash,
      temporaryChannelId: this.temporaryChannelId,
      fundingSatoshis: this.opts.fundingSatoshis,
      pushMsat: this.opts.pushMsat,
      dustLimitSatoshis: this.opts.dustLimitSatoshis,
      maxHtlcValueInFlightMsat: this.opts.fundingSatoshis * 1000n,
      channelReserveSatoshis: this.opts.channelReserveSatoshis,
      htlcMinimumMsat: this.opts.htlcMinimumMsat,
      feeratePerKw: this.opts.feeratePerKw,
      toSelfDelay: this.opts.toSelfDelay,
      maxAcceptedHtlcs: this.opts.maxAcceptedHtlcs,
      fundingPubkey: bp.fundingPubkey,
      revocationBasepoint: bp.revocationBasepoint,
      paymentBasepoint: bp.paymentBasepoint,
      delayedPaymentBasepoint: bp.delayedPaymentBasepoint,
      htlcBasepoint: bp.htlcBasepoint,
      firstPerCommitmentPoint: this.point(0n),
      channelFlags: this.opts.channelFlags,
      upfrontShutdownScript: this.opts.upfrontShutdownScript ?? new Uint8Array(0),
      ...(this.opts.channelType !== null ? { channelType: this.opts.channelType } : {}),
    };
  }

  onAcceptChannel(a: ChannelWireOf<'accept_channel'>): void {
    if (!bytesEqual(a.temporaryChannelId, this.temporaryChannelId)) throw new Error('funder model: accept_channel for another channel');
    // accept_channel, the receiver: MUST fail if the channel_type does not match.
    if (this.opts.channelType !== null && (a.channelType === undefined || !bytesEqual(a.channelType, this.opts.channelType))) throw new Error('funder model: channel_type not echoed');
    if (a.channelReserveSatoshis < this.opts.dustLimitSatoshis) throw new Error('funder model: accept_channel reserve below our dust limit');
    if (this.opts.channelReserveSatoshis < a.dustLimitSatoshis) throw new Error('funder model: our reserve below their dust limit');
    this.accept = a;
    this.fundee = {
      fundingPubkey: a.fundingPubkey,
      revocationBasepoint: a.revocationBasepoint,
      paymentBasepoint: a.paymentBasepoint,
      delayedPaymentBasepoint: a.delayedPaymentBasepoint,
      htlcBasepoint: a.htlcBasepoint,
    };
    this.fundeeFirstPoint = a.firstPerCommitmentPoint;
  }

  /** The funder's commitment (it is local): the delay the fundee asked, its own dust limit. */
  funderCommitment(index: bigint, spec: Spec) {
    return buildCommitmentTx({
      fundingOutpoint: { txid: this.fundingTxid, vout: this.fundingVout },
      fundingSatoshis: this.opts.fundingSatoshis,
      localIsFunder: true,
      commitmentNumber: index,
      obscuringFactor: this.obscuring,
      toSelfDelay: this.accept!.toSelfDelay,
      dustLimitSatoshis: this.opts.dustLimitSatoshis,
      feeratePerKw: spec.feeratePerKw,
      localAmountMsat: spec.funderMsat,
      remoteAmountMsat: spec.fundeeMsat,
      htlcs: spec.htlcs.map((h) => ({ ...h, offered: true })),
      keys: deriveCommitmentKeys(this.keys.basepoints, this.fundee!, this.point(index)),
    });
  }

  /** The fundee's commitment: it is local, its dust limit, the delay we asked. */
  fundeeCommitment(index: bigint, spec: Spec, point: Uint8Array) {
    return buildCommitmentTx({
      fundingOutpoint: { txid: this.fundingTxid, vout: this.fundingVout },
      fundingSatoshis: this.opts.fundingSatoshis,
      localIsFunder: false,
      commitmentNumber: index,
      obscuringFactor: this.obscuring,
      toSelfDelay: this.opts.toSelfDelay,
      dustLimitSatoshis: this.accept!.dustLimitSatoshis,
      feeratePerKw: spec.feeratePerKw,
      localAmountMsat: spec.fundeeMsat,
      remoteAmountMsat: spec.funderMsat,
      htlcs: spec.htlcs.map((h) => ({ ...h, offered: false })),
      keys: deriveCommitmentKeys(this.fundee!, this.keys.basepoints, point),
    });
  }

  fundingCreated(opts: { badSignature?: boolean } = {}): ChannelWireOf<'funding_created'> {
    this.fundingTxid = sha256(this.temporaryChannelId, Uint8Array.of(1));
    this.fundingVout = 1;
    this.channelId = channelIdFromFunding(this.fundingTxid, this.fundingVout);
    this.obscuring = commitmentObscuringFactor(this.keys.basepoints.paymentBasepoint, this.fundee!.paymentBasepoint);
    const spec: Spec = { htlcs: [], funderMsat: this.opts.fundingSatoshis * 1000n - this.opts.pushMsat, fundeeMsat: this.opts.pushMsat, feeratePerKw: this.opts.feeratePerKw };
    this.funderCommit = { index: 0n, spec };
    this.fundeeCommit = { index: 0n, spec, point: this.fundeeFirstPoint! };
    const c = this.fundeeCommitment(0n, spec, this.fundeeFirstPoint!);
    let signature = signFundingSpend(c, this.keys.fundingSecret);
    if (opts.badSignature) signature = signFundingSpend(this.funderCommitment(0n, spec), this.keys.fundingSecret);
    return { type: 'funding_created', temporaryChannelId: this.temporaryChannelId, fundingTxid: this.fundingTxid, fundingOutputIndex: this.fundingVout, signature };
  }

  onFundingSigned(m: ChannelWireOf<'funding_signed'>): void {
    if (!bytesEqual(m.channelId, this.channelId)) throw new Error('funder model: funding_signed channel_id');
    const c = this.funderCommitment(0n, this.funderCommit.spec);
    if (!verifyFundingSpend(c, m.signature, this.fundee!.fundingPubkey)) throw new Error('funder model: funding_signed signature does not verify');
  }

  channelReady(): ChannelWireOf<'channel_ready'> {
    this.channelReadySent = true;
    return { type: 'channel_ready', channelId: this.channelId, secondPerCommitmentPoint: this.point(1n), shortChannelIdAlias: this.opts.alias };
  }

  // -------------------------------------------------------------------------------------------
  // Updates

  addHtlc(amountMsat: bigint, paymentHash: Uint8Array, cltvExpiry = 800_000, extra: { pathKey?: Uint8Array; id?: bigint; onion?: Uint8Array } = {}): ChannelWireOf<'update_add_htlc'> {
    const id = extra.id ?? this.nextHtlcId;
    if (extra.id === undefined) this.nextHtlcId += 1n;
    const onion = sha256(paymentHash, Uint8Array.of(1)).subarray(0, 1);
    let packet = new Uint8Array(1366);
    packet.set(onion, 0);
    packet.set(paymentHash, 1);
    // A real onion (the channel manager's tests peel it), when given.
    if (extra.onion !== undefined) packet = extra.onion.slice();
    this.local.proposed.push({ kind: 'add', htlc: { id, amountMsat, paymentHash, cltvExpiry, onion: packet, ...(extra.pathKey ? { pathKey: extra.pathKey } : {}) } });
    return this.addMessage(this.local.proposed[this.local.proposed.length - 1] as Extract<Ours, { kind: 'add' }>);
  }

  private addMessage(u: Extract<Ours, { kind: 'add' }>): ChannelWireOf<'update_add_htlc'> {
    const h = u.htlc;
    return { type: 'update_add_htlc', channelId: this.channelId, id: h.id, amountMsat: h.amountMsat, paymentHash: h.paymentHash, cltvExpiry: h.cltvExpiry, onionRoutingPacket: h.onion, ...(h.pathKey ? { pathKey: h.pathKey } : {}) };
  }

  updateFee(feeratePerKw: number): ChannelWireOf<'update_fee'> {
    this.local.proposed.push({ kind: 'fee', feeratePerKw });
    return { type: 'update_fee', channelId: this.channelId, feeratePerKw };
  }

  private updateMessage(u: Ours): ChannelWireMessage {
    return u.kind === 'add' ? this.addMessage(u) : { type: 'update_fee', channelId: this.channelId, feeratePerKw: u.feeratePerKw };
  }

  hasPending(): boolean {
    return this.local.proposed.length > 0 || this.remote.acked.length > 0;
  }

  /** commitment_signed for the fundee's next commitment. `tamper` corrupts it for bad-peer tests. */
  sign(tamper?: 'signature' | 'htlc_signature' | 'htlc_count'): ChannelWireOf<'commitment_signed'> {
    if (this.theirNextPoint === undefined) throw new Error('funder model: cannot sign while awaiting revoke_and_ack');
    const index = this.fundeeCommit.index + 1n;
    const point = this.theirNextPoint;
    const spec = reduce(this.fundeeCommit.spec, this.local.proposed, this.remote.acked);
    const c = this.fundeeCommitment(index, spec, point);
    const htlcKey = derivePrivateKey(this.keys.htlcBasepointSecret, point);
    let signature = signFundingSpend(c, this.keys.fundingSecret);
    let htlcSignatures = buildHtlcTxs(c).map((h) => signHtlcTx(h, htlcKey));
    if (tamper === 'signature') signature = signFundingSpend(c, this.keys.htlcBasepointSecret);
    if (tamper === 'htlc_signature' && htlcSignatures.length > 0) htlcSignatures = [signHtlcTx(buildHtlcTxs(c)[0]!, this.keys.fundingSecret), ...htlcSignatures.slice(1)];
    if (tamper === 'htlc_count') htlcSignatures = htlcSignatures.slice(1);
    if (tamper === undefined) {
      this.nextFundee = { index, spec, point };
      this.theirNextPoint = undefined;
      this.local.signed = this.local.proposed;
      this.local.proposed = [];
      this.remote.signed = this.remote.acked;
      this.remote.acked = [];
      this.lastSentOrder = 'revoke_then_commit';
    }
    return { type: 'commitment_signed', channelId: this.channelId, signature, htlcSignatures };
  }

  /** What the funder answers to a message from the fundee (revoke_and_ack to commitment_signed; commitment_signed when pending, if autoSign). */
  receive(m: ChannelWireMessage): ChannelWireMessage[] {
    switch (m.type) {
      case 'accept_channel':
        this.onAcceptChannel(m);
        return [];
      case 'funding_signed':
        this.onFundingSigned(m);
        return [];
      case 'channel_ready':
        if (m.shortChannelIdAlias !== undefined) this.theirAlias = m.shortChannelIdAlias;
        if (this.theirNextPoint === undefined && this.nextFundee === undefined && this.fundeeCommit.index === 0n) this.theirNextPoint = m.secondPerCommitmentPoint;
        return [];
      case 'update_fulfill_htlc': {
        const h = this.findOffered(m.id);
        if (!bytesEqual(sha256(m.paymentPreimage), h.paymentHash)) throw new Error('funder model: preimage does not match');
        this.remote.proposed.push({ kind: 'fulfill', id: m.id, preimage: m.paymentPreimage });
        this.preimages.set(Buffer.from(h.paymentHash).toString('hex'), m.paymentPreimage);
        return [];
      }
      case 'update_fail_htlc':
      case 'update_fail_malformed_htlc':
        this.findOffered(m.id);
        this.remote.proposed.push({ kind: 'fail', id: m.id });
        this.failed.add(m.id);
        return [];
      case 'commitment_signed':
        return this.onCommitmentSigned(m);
      case 'revoke_and_ack':
        this.onRevokeAndAck(m);
        return this.autoSign && this.hasPending() && this.theirNextPoint ? [this.sign()] : [];
      case 'shutdown':
        this.fundeeShutdownScript = m.scriptPubkey;
        if (!this.shutdownSent) return [this.shutdown()];
        return [];
      case 'closing_signed':
        return this.onClosingSigned(m);
      case 'channel_reestablish':
        return this.onReestablish(m);
      case 'error':
      case 'warning':
        return [];
      default:
        throw new Error(`funder model: unexpected ${m.type}`);
    }
  }

  private findOffered(id: bigint): Htlc {
    const h = this.funderCommit.spec.htlcs.find((x) => x.id === id) ?? this.fundeeCommit.spec.htlcs.find((x) => x.id === id);
    if (h === undefined) throw new Error(`funder model: removal of HTLC ${id} not on a commitment`);
    return h;
  }

  private onCommitmentSigned(m: ChannelWireOf<'commitment_signed'>): ChannelWireMessage[] {
    const index = this.funderCommit.index + 1n;
    const spec = reduce(this.funderCommit.spec, this.local.acked, this.remote.proposed);
    const c = this.funderCommitment(index, spec);
    if (!verifyFundingSpend(c, m.signature, this.fundee!.fundingPubkey)) throw new Error('funder model: commitment_signed signature does not verify');
    const txs = buildHtlcTxs(c);
    if (txs.length !== m.htlcSignatures.length) throw new Error('funder model: wrong number of htlc signatures');
    txs.forEach((h, i) => {
      if (!verifyHtlcTx(h, m.htlcSignatures[i]!, c.keys.remoteHtlcPubkey)) throw new Error(`funder model: htlc signature ${i} does not verify`);
    });
    this.funderCommit = { index, spec };
    this.remote.acked.push(...this.remote.proposed);
    this.remote.proposed = [];
    this.local.acked = [];
    const out: ChannelWireMessage[] = [this.revoke(index - 1n)];
    this.lastSentOrder = 'commit_then_revoke';
    if (this.autoSign && this.hasPending() && this.theirNextPoint) out.push(this.sign());
    return out;
  }

  revoke(old: bigint, secret = this.secret(old)): ChannelWireOf<'revoke_and_ack'> {
    return { type: 'revoke_and_ack', channelId: this.channelId, perCommitmentSecret: secret, nextPerCommitmentPoint: this.point(old + 2n) };
  }

  private onRevokeAndAck(m: ChannelWireOf<'revoke_and_ack'>): void {
    const nf = this.nextFundee;
    if (nf === undefined) throw new Error('funder model: unexpected revoke_and_ack');
    if (!bytesEqual(perCommitmentPoint(m.perCommitmentSecret), this.fundeeCommit.point)) throw new Error('funder model: revocation secret does not match');
    this.secrets.insertCommitment(this.fundeeCommit.index, m.perCommitmentSecret);
    this.fundeeCommit = nf;
    this.nextFundee = undefined;
    this.theirNextPoint = m.nextPerCommitmentPoint;
    this.local.acked.push(...this.local.signed);
    this.local.signed = [];
    this.remote.signed = [];
  }

  // -------------------------------------------------------------------------------------------
  // Reconnection

  disconnect(): void {
    // BOLT 2: reverse the fundee's uncommitted updates; ours are sent again after reestablish.
    this.remote.proposed = [];
    this.lastClosingFee = undefined;
  }

  reestablish(opts: { lie?: 'behind' | 'ahead' | 'bad_secret' } = {}): ChannelWireOf<'channel_reestablish'> {
    const last = this.fundeeCommit.index > 0n ? this.secrets.getCommitment(this.fundeeCommit.index - 1n)! : new Uint8Array(32);
    const m: ChannelWireOf<'channel_reestablish'> = {
      type: 'channel_reestablish',
      channelId: this.channelId,
      nextCommitmentNumber: this.funderCommit.index + 1n,
      nextRevocationNumber: this.fundeeCommit.index,
      yourLastPerCommitmentSecret: last,
      myCurrentPerCommitmentPoint: this.point(this.funderCommit.index),
    };
    if (opts.lie === 'bad_secret') m.yourLastPerCommitmentSecret = new Uint8Array(32).fill(7);
    return m;
  }

  /** The funder's answer to the fundee's channel_reestablish: retransmissions, then its own pending updates. */
  private onReestablish(m: ChannelWireOf<'channel_reestablish'>): ChannelWireMessage[] {
    const out: ChannelWireMessage[] = [];
    const L = this.funderCommit.index;
    const fail = (reason: string): ChannelWireMessage[] => {
      this.sentError = reason;
      return [{ type: 'error', channelId: this.channelId, data: new TextEncoder().encode(reason) }];
    };
    const resendRevoke = m.nextRevocationNumber === L - 1n && L > 0n;
    if (!resendRevoke && m.nextRevocationNumber !== L) return fail(`fundee's next_revocation_number ${m.nextRevocationNumber}, we are at ${L}`);
    let resendCommit = false;
    if (this.nextFundee !== undefined) {
      if (m.nextCommitmentNumber === this.nextFundee.index) resendCommit = true;
      else if (m.nextCommitmentNumber !== this.nextFundee.index + 1n) return fail('bad next_commitment_number');
    } else if (m.nextCommitmentNumber !== this.fundeeCommit.index + 1n) return fail(`bad next_commitment_number ${m.nextCommitmentNumber}`);
    if (this.channelReadySent && m.nextCommitmentNumber === 1n && L === 0n) out.push({ type: 'channel_ready', channelId: this.channelId, secondPerCommitmentPoint: this.point(1n), shortChannelIdAlias: this.opts.alias });
    const revoke = () => out.push(this.revoke(L - 1n));
    const commit = () => {
      for (const u of this.local.signed) out.push(this.updateMessage(u));
      const nf = this.nextFundee!;
      const c = this.fundeeCommitment(nf.index, nf.spec, nf.point);
      const htlcKey = derivePrivateKey(this.keys.htlcBasepointSecret, nf.point);
      out.push({ type: 'commitment_signed', channelId: this.channelId, signature: signFundingSpend(c, this.keys.fundingSecret), htlcSignatures: buildHtlcTxs(c).map((h) => signHtlcTx(h, htlcKey)) });
    };
    if (resendRevoke && resendCommit) {
      if (this.lastSentOrder === 'revoke_then_commit') {
        revoke();
        commit();
      } else {
        commit();
        revoke();
      }
    } else if (resendRevoke) revoke();
    else if (resendCommit) commit();
    if (this.shutdownSent) out.push({ type: 'shutdown', channelId: this.channelId, scriptPubkey: this.shutdownScript });
    for (const u of this.local.proposed) out.push(this.updateMessage(u));
    if (this.autoSign && this.hasPending() && this.theirNextPoint) out.push(this.sign());
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Close

  shutdown(script = this.shutdownScript): ChannelWireOf<'shutdown'> {
    this.shutdownSent = true;
    return { type: 'shutdown', channelId: this.channelId, scriptPubkey: script };
  }

  closingTxFor(feeSatoshis: bigint, dustLimitSatoshis = this.opts.dustLimitSatoshis, omitLocalOutput = false): ClosingTx {
    return buildClosingTx({
      fundingOutpoint: { txid: this.fundingTxid, vout: this.fundingVout },
      fundingSatoshis: this.opts.fundingSatoshis,
      localFundingPubkey: this.keys.basepoints.fundingPubkey,
      remoteFundingPubkey: this.fundee!.fundingPubkey,
      localIsFunder: true,
      localAmountMsat: this.funderCommit.spec.funderMsat,
      remoteAmountMsat: this.funderCommit.spec.fundeeMsat,
      localScriptPubkey: this.shutdownScript,
      remoteScriptPubkey: this.fundeeShutdownScript!,
      feeSatoshis,
      dustLimitSatoshis,
      omitLocalOutput,
    });
  }

  closingSigned(feeSatoshis: bigint, range?: { minFeeSatoshis: bigint; maxFeeSatoshis: bigint }, opts: { omitOwnOutput?: boolean; badSignature?: boolean } = {}): ChannelWireOf<'closing_signed'> {
    const c = this.closingTxFor(feeSatoshis, this.opts.dustLimitSatoshis, opts.omitOwnOutput ?? false);
    this.lastClosingFee = feeSatoshis;
    const signature = opts.badSignature ? signFundingSpend(c, this.keys.htlcBasepointSecret) : signFundingSpend(c, this.keys.fundingSecret);
    return { type: 'closing_signed', channelId: this.channelId, feeSatoshis, signature, ...(range ? { feeRange: range } : {}) };
  }

  /** Funder: the fundee answered; agree when it is our fee (done), else meet it (done after its echo). */
  private onClosingSigned(m: ChannelWireOf<'closing_signed'>): ChannelWireMessage[] {
    for (const omit of [false, true]) {
      for (const dust of [this.opts.dustLimitSatoshis, this.accept!.dustLimitSatoshis]) {
        let c: ClosingTx;
        try {
          c = this.closingTxFor(m.feeSatoshis, dust, omit);
        } catch {
          continue;
        }
        if (verifyFundingSpend(c, m.signature, this.fundee!.fundingPubkey)) {
          const ours = signFundingSpend(c, this.keys.fundingSecret);
          this.closingTx = { ...c, signed: withFundingWitness(c, ours, m.signature) };
          if (m.feeSatoshis === this.lastClosingFee) return [];
          this.lastClosingFee = m.feeSatoshis;
          return [{ type: 'closing_signed', channelId: this.channelId, feeSatoshis: m.feeSatoshis, signature: ours }];
        }
      }
    }
    throw new Error('funder model: closing_signed signature does not verify');
  }
}

// ---------------------------------------------------------------------------------------------
// A link between our fundee (the pure reducer, with a "disk") and the funder model


/** A message through the real codecs (so every flow also checks the wire format). */
export function viaWire<M extends ChannelWireMessage>(m: M): M {
  return decodeChannelMessage(encodeChannelMessage(m)) as M;
}

export const FUNDEE_SEED = sha256(new TextEncoder().encode('fundee channel seed'));
export const FUNDEE_NODE_ID = publicKey(sha256(new TextEncoder().encode('fundee node')));
/** Both advertise option_upfront_shutdown_script, option_shutdown_anysegwit, option_scid_alias, option_zeroconf. */
export const INIT_FEATURES = featuresFromBits([13, 5, 27, 47, 51]);

export interface StepRecord {
  event: ChannelEvent | { kind: 'open_channel' };
  result: StepResult<FundeeState> | { outbound: ChannelWireMessage[]; effects: ChannelEffect[] };
  /** The persist reasons of the step (empty: nothing stored). */
  persisted: PersistReason[];
}

export interface LinkOptions {
  funder?: FunderOptions;
  config?: Partial<FundeeConfig>;
  /** Trust the funder (zero-conf). Default true. */
  trust?: boolean;
  keyIndex?: bigint;
  alias?: bigint;
}

export class Link {
  readonly funder: FunderModel;
  readonly config: FundeeConfig;
  ctx: FundeeContext;
  state?: FundeeState;
  /** What the "disk" holds: the bytes of the last persisted state. */
  disk?: Uint8Array;
  readonly log: StepRecord[] = [];
  readonly effects: ChannelEffect[] = [];
  /** In flight, in order. */
  toFunder: ChannelWireMessage[] = [];
  toFundee: ChannelWireMessage[] = [];
  /** Our invoices: payment hash hex → preimage. */
  readonly invoices = new Map<string, Uint8Array>();
  /** Answer htlc_irrevocably_committed at once (fulfil known hashes, fail others). */
  autoDecide = true;
  private decisions: ChannelEvent[] = [];
  /** The fundee closed the connection (a `disconnect` effect) and nothing flows until reconnect(). */
  down = false;

  constructor(o: LinkOptions = {}) {
    this.funder = new FunderModel(o.funder);
    this.config = fundeeConfig({ chainHash: REGTEST, trustedFunders: o.trust === false ? [] : [this.funder.nodeId], ...o.config });
    this.ctx = { config: this.config, keys: deriveChannelKeys(FUNDEE_SEED, o.keyIndex ?? 7n) };
    this.alias = o.alias ?? 0xaa_0000_0001n;
  }
  readonly alias: bigint;

  get channel(): ChannelState {
    if (this.state === undefined || this.state.phase === 'awaiting_funding_created') throw new Error('link: no funded channel');
    return this.state;
  }

  /** open_channel → accept_channel (or refusal). */
  open(): ReturnType<typeof acceptOpenChannel> {
    const msg = viaWire(this.funder.openChannel());
    const r = acceptOpenChannel(this.ctx, { peerId: this.funder.nodeId, msg, keyIndex: this.ctx.keys.keyIndex, ourAlias: this.alias, localFeatures: INIT_FEATURES, remoteFeatures: INIT_FEATURES });
    this.log.push({ event: { kind: 'open_channel' }, result: r, persisted: [] });
    this.effects.push(...r.effects);
    if (r.state !== undefined) this.state = r.state;
    for (const m of r.outbound) this.toFunder.push(viaWire(m));
    return r;
  }

  /** One event into the fundee: persist (serialize) before the outbound is queued. */
  step(ev: ChannelEvent): StepResult<FundeeState> {
    if (this.state === undefined) throw new Error('link: no state');
    const r = fundeeStep(this.ctx, this.state, ev);
    const persisted: PersistReason[] = [];
    for (const e of r.effects) if (e.kind === 'persist') persisted.push(...e.reasons);
    if (persisted.length > 0) {
      if (r.state.phase === 'awaiting_funding_created') throw new Error('link: persist of a pending open');
      this.disk = serializeChannelState(r.state);
    }
    this.state = r.state;
    this.log.push({ event: ev, result: r, persisted });
    this.effects.push(...r.effects);
    if (!this.down) for (const m of r.outbound) this.toFunder.push(viaWire(m));
    for (const e of r.effects) {
      if (e.kind === 'disconnect') this.down = true;
      if (e.kind === 'htlc_irrevocably_committed' && this.autoDecide) this.decisions.push(this.decide(e.htlc.paymentHash, e.htlc.id, e.mustFail !== undefined));
    }
    return r;
  }

  decide(paymentHash: Uint8Array, htlcId: bigint, mustFail: boolean): ChannelEvent {
    const pre = this.invoices.get(Buffer.from(paymentHash).toString('hex'));
    if (pre !== undefined && !mustFail) return { kind: 'fulfill', htlcId, preimage: pre };
    return { kind: 'fail', htlcId, reason: new Uint8Array([0x40, 0x0f]) };
  }

  /** Deliver up to `n` messages funder → fundee. */
  deliverToFundee(n = Infinity): number {
    let k = 0;
    while (k < n && this.toFundee.length > 0 && !this.down) {
      const m = this.toFundee.shift()!;
      this.step({ kind: 'message', msg: m });
      k++;
      this.flushDecisions();
    }
    return k;
  }

  flushDecisions(): void {
    while (this.decisions.length > 0 && !this.down) this.step(this.decisions.shift()!);
  }

  /** Deliver up to `n` messages fundee → funder (its answers queue towards us). */
  deliverToFunder(n = Infinity): number {
    let k = 0;
    while (k < n && this.toFunder.length > 0 && !this.down) {
      const m = this.toFunder.shift()!;
      for (const a of this.funder.receive(m)) this.toFundee.push(viaWire(a));
      k++;
    }
    return k;
  }

  /** Funder → fundee, through the wire codec. */
  send(...ms: ChannelWireMessage[]): void {
    for (const m of ms) this.toFundee.push(viaWire(m));
  }

  /** Until nothing is in flight (or the connection went down). */
  run(maxRounds = 1000): void {
    for (let i = 0; i < maxRounds; i++) {
      this.flushDecisions();
      const a = this.deliverToFundee();
      const b = this.deliverToFunder();
      if (a + b === 0) return;
    }
    throw new Error('link: still busy after many rounds');
  }

  /** open → accept → funding_created → funding_signed (+ channel_ready) → their channel_ready. */
  establish(): void {
    const r = this.open();
    if (r.refused !== undefined) throw new Error(`link: refused: ${r.refused}`);
    this.deliverToFunder();
    this.send(this.funder.fundingCreated());
    this.deliverToFundee();
    this.deliverToFunder();
    this.send(this.funder.channelReady());
    this.run();
  }

  /** Register an invoice, add its HTLC and sign it. */
  offer(amountMsat: bigint, opts: { sign?: boolean; cltvExpiry?: number; known?: boolean } = {}): { preimage: Uint8Array; paymentHash: Uint8Array; id: bigint } {
    const preimage = sha256(new TextEncoder().encode(`preimage ${this.funder.nextHtlcId} ${amountMsat} ${this.invoices.size}`));
    const paymentHash = sha256(preimage);
    if (opts.known !== false) this.invoices.set(Buffer.from(paymentHash).toString('hex'), preimage);
    const add = this.funder.addHtlc(amountMsat, paymentHash, opts.cltvExpiry ?? 800_000);
    this.send(add);
    if (opts.sign !== false) this.send(this.funder.sign());
    return { preimage, paymentHash, id: add.id };
  }

  /** The transport dropped: whatever was in flight is lost. */
  disconnect(): void {
    this.toFundee = [];
    this.toFunder = [];
    this.funder.disconnect();
    if (this.state !== undefined) this.step({ kind: 'disconnected' });
    this.down = true;
  }

  /** A new transport: both send channel_reestablish, then the funder answers ours. */
  reconnect(opts: { funderReestablish?: ChannelWireOf<'channel_reestablish'> } = {}): void {
    this.down = false;
    this.toFundee = [];
    this.toFunder = [];
    this.step({ kind: 'connected' });
    this.send(opts.funderReestablish ?? this.funder.reestablish());
    this.run();
  }

  /** kill -9: the fundee comes back from its disk; in-flight messages and unsaved changes are gone. */
  restart(): void {
    this.toFundee = [];
    this.toFunder = [];
    this.funder.disconnect();
    this.decisions = [];
    this.state = deserializeChannelState(this.disk!);
    this.down = true;
  }

  effectsOf<K extends ChannelEffect['kind']>(kind: K): Extract<ChannelEffect, { kind: K }>[] {
    return this.effects.filter((e): e is Extract<ChannelEffect, { kind: K }> => e.kind === kind);
  }
}
