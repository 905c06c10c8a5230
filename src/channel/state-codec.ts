// A funded channel's state to bytes and back, for the storage layer (which stores the bytes; no SQL
// here). The form is JSON (UTF-8) with bytes as hex and bigints as decimal strings, tagged with a
// version: readable in a database shell, checked field by field when read. The session (the
// connection) is not stored: a loaded channel is disconnected, with the peer's uncommitted updates
// reversed (BOLT 2: the receiving node "only needs to store updates upon receipt of commitment_signed").
//
// API:
//   CHANNEL_STATE_VERSION
//   channelStateToJson(s): ChannelStateJson           channelStateFromJson(j): ChannelState
//   serializeChannelState(s): Uint8Array             deserializeChannelState(bytes): ChannelState
//   class ChannelStateError { path, rule }
import { fromHex, toHex, utf8 } from '../util/bytes.ts';
import { applyDisconnect } from './fundee.ts';
import type { ChannelState, CommitSpec, HtlcRecord, LocalUpdate, RemoteCommit, RemoteUpdate, SideParams } from './state.ts';

export const CHANNEL_STATE_VERSION = 1;

/** A stored channel that cannot be read: `path` names the field, `rule` what is wrong. */
export class ChannelStateError extends Error {
  readonly code = 'CHANNEL_STATE';
  constructor(
    readonly path: string,
    readonly rule: string,
  ) {
    super(`${path}: ${rule}`);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type ChannelStateJson = { [k: string]: Json };

interface Codec<T> {
  enc(v: T): Json;
  dec(j: unknown, path: string): T;
}

const bytes: Codec<Uint8Array> = {
  enc: (v) => toHex(v),
  dec: (j, path) => {
    if (typeof j !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(j)) throw new ChannelStateError(path, 'must be lowercase hex bytes');
    return fromHex(j, path);
  },
};
function fixedBytes(n: number): Codec<Uint8Array> {
  return {
    enc: bytes.enc,
    dec: (j, path) => {
      const b = bytes.dec(j, path);
      if (b.length !== n) throw new ChannelStateError(path, `must be ${n} bytes`);
      return b;
    },
  };
}
const b32 = fixedBytes(32);
const b33 = fixedBytes(33);
const b64 = fixedBytes(64);
const big: Codec<bigint> = {
  enc: (v) => v.toString(),
  dec: (j, path) => {
    if (typeof j !== 'string' || !/^-?(0|[1-9][0-9]{0,30})$/.test(j)) throw new ChannelStateError(path, 'must be a decimal integer string');
    return BigInt(j);
  },
};
const ubig: Codec<bigint> = {
  enc: big.enc,
  dec: (j, path) => {
    const v = big.dec(j, path);
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new ChannelStateError(path, 'must be a u64');
    return v;
  },
};
const int: Codec<number> = {
  enc: (v) => v,
  dec: (j, path) => {
    if (typeof j !== 'number' || !Number.isInteger(j) || j < 0 || j > 0xffff_ffff) throw new ChannelStateError(path, 'must be an integer 0..2^32-1');
    return j;
  },
};
const bool: Codec<boolean> = {
  enc: (v) => v,
  dec: (j, path) => {
    if (typeof j !== 'boolean') throw new ChannelStateError(path, 'must be a boolean');
    return j;
  },
};
function str<T extends string>(...allowed: T[]): Codec<T> {
  return {
    enc: (v) => v,
    dec: (j, path) => {
      if (typeof j !== 'string' || (allowed.length > 0 && !allowed.includes(j as T))) throw new ChannelStateError(path, allowed.length > 0 ? `must be one of ${allowed.join(', ')}` : 'must be a string');
      return j as T;
    },
  };
}
function arr<T>(c: Codec<T>, max = 100_000): Codec<T[]> {
  return {
    enc: (v) => v.map((x) => c.enc(x)),
    dec: (j, path) => {
      if (!Array.isArray(j)) throw new ChannelStateError(path, 'must be an array');
      if (j.length > max) throw new ChannelStateError(path, `more than ${max} entries`);
      return j.map((x, i) => c.dec(x, `${path}[${i}]`));
    },
  };
}
/** An optional field: omitted when undefined. */
interface Opt<T> extends Codec<T | undefined> {
  optional: true;
}
function opt<T>(c: Codec<T>): Opt<T> {
  return { optional: true, enc: (v) => (v === undefined ? null : c.enc(v)), dec: (j, path) => (j === undefined ? undefined : c.dec(j, path)) };
}
type Fields<T> = { [K in keyof T]-?: Codec<T[K]> };
function obj<T>(fields: Fields<T>): Codec<T> {
  return {
    enc: (v) => {
      const o: { [k: string]: Json } = {};
      for (const k of Object.keys(fields) as (keyof T & string)[]) {
        const val = v[k];
        if (val === undefined && (fields[k] as Partial<Opt<unknown>>).optional) continue;
        o[k] = fields[k].enc(val);
      }
      return o;
    },
    dec: (j, path) => {
      if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new ChannelStateError(path, 'must be an object');
      const src = j as Record<string, unknown>;
      const out: Partial<T> = {};
      for (const k of Object.keys(fields) as (keyof T & string)[]) {
        const c = fields[k];
        if (!(k in src) && !(c as Partial<Opt<unknown>>).optional) throw new ChannelStateError(`${path}.${k}`, 'missing');
        const v = c.dec(src[k], `${path}.${k}`);
        if (v !== undefined) out[k] = v;
      }
      return out as T;
    },
  };
}
/** A union tagged by `kind`. */
function tagged<T extends { kind: string }>(cases: { [K in T['kind']]: Fields<Extract<T, { kind: K }>> }): Codec<T> {
  const codecs = Object.fromEntries(Object.entries(cases).map(([k, f]) => [k, obj(f as Fields<T>)])) as Record<string, Codec<T>>;
  return {
    enc: (v) => codecs[v.kind]!.enc(v),
    dec: (j, path) => {
      const kind = (j as { kind?: unknown } | null)?.kind;
      if (typeof kind !== 'string' || !(kind in codecs)) throw new ChannelStateError(`${path}.kind`, `must be one of ${Object.keys(codecs).join(', ')}`);
      return codecs[kind]!.dec(j, path);
    },
  };
}

const specHtlc = { id: ubig, amountMsat: ubig, paymentHash: b32, cltvExpiry: int };
const onion = fixedBytes(1366);
const mustFail = opt(str('dust_exposure', 'after_shutdown'));
const incoming = { ...specHtlc, onionRoutingPacket: onion, pathKey: opt(b33) };
const localUpdate = tagged<LocalUpdate>({
  fulfill: { kind: str('fulfill'), id: ubig, preimage: b32 },
  fail: { kind: str('fail'), id: ubig, reason: bytes },
  fail_malformed: { kind: str('fail_malformed'), id: ubig, sha256OfOnion: b32, failureCode: int },
});
const remoteUpdate = tagged<RemoteUpdate>({
  add: { kind: str('add'), htlc: obj(incoming), mustFail },
  fee: { kind: str('fee'), feeratePerKw: int },
});
const commitSpec = obj<CommitSpec>({ htlcs: arr(obj(specHtlc), 1000), toUsMsat: ubig, toThemMsat: ubig, feeratePerKw: int });
const remoteCommit = obj<RemoteCommit>({ index: ubig, spec: commitSpec, txid: b32, point: b33 });
const sideParams = obj<SideParams>({
  dustLimitSatoshis: ubig,
  maxHtlcValueInFlightMsat: ubig,
  channelReserveSatoshis: ubig,
  htlcMinimumMsat: ubig,
  toSelfDelay: int,
  maxAcceptedHtlcs: int,
});
const basepoints = obj({ fundingPubkey: b33, revocationBasepoint: b33, paymentBasepoint: b33, delayedPaymentBasepoint: b33, htlcBasepoint: b33 });
const htlcRecord = obj<HtlcRecord>({ ...incoming, irrevocable: bool, mustFail, resolution: opt(localUpdate) });

type Stored = Omit<ChannelState, 'session'>;
const channel = obj<Stored>({
  phase: str('awaiting_channel_ready', 'normal', 'shutdown', 'negotiating_closing', 'closed', 'failed'),
  peerId: b33,
  keyIndex: ubig,
  chainHash: b32,
  temporaryChannelId: b32,
  channelId: b32,
  fundingOutpoint: obj({ txid: b32, vout: int }),
  fundingSatoshis: ubig,
  pushMsat: ubig,
  channelType: bytes,
  channelFlags: int,
  obscuringFactor: ubig,
  negotiated: obj({ upfrontShutdownScript: bool, shutdownAnySegwit: bool }),
  ours: obj({ params: sideParams, basepoints, minimumDepth: int, alias: ubig, shutdownScript: bytes, upfrontShutdownScript: bytes }),
  theirs: obj({ params: sideParams, basepoints, upfrontShutdownScript: opt(bytes), alias: opt(ubig) }),
  localCommit: obj({ index: ubig, spec: commitSpec, txid: b32, theirSignature: b64, theirHtlcSignatures: arr(b64, 1000) }),
  remoteCommit,
  nextRemote: opt(remoteCommit),
  theirNextPoint: opt(b33),
  localChanges: obj({ proposed: arr(localUpdate, 1000), signed: arr(localUpdate, 1000), acked: arr(localUpdate, 1000) }),
  remoteChanges: obj({ proposed: arr(remoteUpdate, 1000), acked: arr(remoteUpdate, 1000), signed: arr(remoteUpdate, 1000) }),
  htlcs: arr(htlcRecord, 1000),
  nextRemoteHtlcId: ubig,
  theirSecrets: bytes,
  lastSentOrder: str('revoke_then_commit', 'commit_then_revoke'),
  channelReady: obj({ sent: bool, received: bool }),
  realShortChannelId: opt(ubig),
  shutdown: obj({ wanted: bool, sent: bool, theirScript: opt(bytes) }),
  closing: opt(obj({ feeSatoshis: ubig, tx: bytes, txid: b32, ourOutputSat: ubig })),
  failure: opt(obj({ reason: str(), errorData: bytes, broadcastLatestCommitment: bool })),
});

/** The stored form of a channel (JSON-safe; the session is left out). */
export function channelStateToJson(s: ChannelState): ChannelStateJson {
  const { session: _session, ...stored } = s;
  return { version: CHANNEL_STATE_VERSION, channel: channel.enc(stored) };
}

/** Read {@link channelStateToJson}'s form: a disconnected channel. Throws {@link ChannelStateError}. */
export function channelStateFromJson(j: unknown): ChannelState {
  if (typeof j !== 'object' || j === null) throw new ChannelStateError('channel state', 'must be an object');
  const v = (j as { version?: unknown }).version;
  if (v !== CHANNEL_STATE_VERSION) throw new ChannelStateError('version', `must be ${CHANNEL_STATE_VERSION}, got ${String(v)}`);
  const stored = channel.dec((j as { channel?: unknown }).channel, 'channel');
  return applyDisconnect({ ...stored, session: { conn: 'disconnected' } });
}

export function serializeChannelState(s: ChannelState): Uint8Array {
  return utf8.encode(JSON.stringify(channelStateToJson(s)));
}

export function deserializeChannelState(b: Uint8Array): ChannelState {
  let j: unknown;
  try {
    j = JSON.parse(utf8.decode(b));
  } catch (e) {
    throw new ChannelStateError('channel state', `not UTF-8 JSON (${(e as Error).message})`);
  }
  return channelStateFromJson(j);
}
