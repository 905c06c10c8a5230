// Core Lightning's channel commands over the receive-only channels (issue 13): listpeerchannels,
// listfunds (its channel part: we hold no on-chain outputs) and close (mutual only: without a chain
// backend there is no unilateral close). Shapes follow doc/schemas/listpeerchannels.json,
// listfunds.json and close.json; states are CLN's channel_state names.
import type { ChannelSummary } from '../../channel/index.ts';
import { scidToString } from '../../wire/scid.ts';
import { toHex } from '../../util/bytes.ts';
import { featureBits } from '../../wire/features.ts';
import { optional, paramHex, paramInteger, paramString } from '../params.ts';
import { INVALID_PARAMS, RpcError, type RpcMethod } from '../types.ts';
import type { RpcContext } from '../context.ts';

/** CLN's channel_state for our phases (lightningd/channel_state.h). */
export function clnChannelState(phase: ChannelSummary['phase']): string {
  switch (phase) {
    case 'awaiting_channel_ready':
      return 'CHANNELD_AWAITING_LOCKIN';
    case 'normal':
      return 'CHANNELD_NORMAL';
    case 'shutdown':
      return 'CHANNELD_SHUTTING_DOWN';
    case 'negotiating_closing':
      return 'CLOSINGD_SIGEXCHANGE';
    case 'closed':
      return 'CLOSINGD_COMPLETE';
    case 'failed':
      return 'AWAITING_UNILATERAL';
  }
}

/** Txids are shown in display order (reversed), as bitcoind and CLN print them. */
const txidHex = (t: Uint8Array) => toHex(Uint8Array.from(t).reverse());

const CHANNEL_TYPE_NAMES: Record<number, string> = { 12: 'static_remotekey/even', 46: 'scid_alias/even', 50: 'zeroconf/even' };

/** One entry of listpeerchannels' `channels`. */
export function peerChannelJson(c: ChannelSummary): Record<string, unknown> {
  const s = c.state;
  const bits = featureBits(s.channelType);
  // What they could still send us: their balance less their reserve (the fee they pay is not counted).
  const theirReserveMsat = c.ourReserveSat * 1000n;
  const receivable = c.toThemMsat > theirReserveMsat ? c.toThemMsat - theirReserveMsat : 0n;
  return {
    peer_id: toHex(c.peerId),
    peer_connected: c.connected,
    state: clnChannelState(c.phase),
    channel_type: { bits, names: bits.map((b) => CHANNEL_TYPE_NAMES[b] ?? `unknown/${b}`) },
    opener: 'remote',
    private: true,
    ...(c.shortChannelId !== undefined ? { short_channel_id: scidToString(c.shortChannelId) } : {}),
    alias: { local: scidToString(c.ourAlias), ...(c.theirAlias !== undefined ? { remote: scidToString(c.theirAlias) } : {}) },
    channel_id: toHex(c.channelId),
    funding_txid: txidHex(c.fundingTxid),
    funding_outnum: c.fundingOutnum,
    total_msat: c.fundingSatoshis * 1000n,
    to_us_msat: c.toUsMsat,
    // Receive only: we never offer HTLCs, so nothing is spendable.
    spendable_msat: 0n,
    receivable_msat: receivable,
    our_reserve_msat: c.ourReserveSat * 1000n,
    their_reserve_msat: c.theirReserveSat * 1000n,
    dust_limit_msat: s.ours.params.dustLimitSatoshis * 1000n,
    their_to_self_delay: s.theirs.params.toSelfDelay,
    our_to_self_delay: s.ours.params.toSelfDelay,
    max_accepted_htlcs: s.ours.params.maxAcceptedHtlcs,
    minimum_htlc_in_msat: s.ours.params.htlcMinimumMsat,
    feerate: { perkw: c.feeratePerKw, perkb: c.feeratePerKw * 4 },
    close_to: toHex(s.ours.shutdownScript),
    status: [
      'receive-only channel: no chain backend, the funder is trusted (zero-conf); nothing watches the funding output',
      ...(c.failure !== undefined ? [c.failure] : []),
    ],
    htlcs: c.htlcs.map((h) => ({ direction: 'in', id: Number(h.id), amount_msat: h.amountMsat, expiry: h.cltvExpiry, payment_hash: toHex(h.paymentHash), state: h.state })),
    ...(c.closing ? { closer: 'unknown', last_tx_fee_msat: c.closing.feeSatoshis * 1000n } : {}),
  };
}

/** Find a channel by peer id (its only open one), channel id, or short channel id / alias. */
function findChannel(ctx: RpcContext, id: string): ChannelSummary {
  const all = ctx.node.channels.channels();
  let found: ChannelSummary[] = [];
  if (/^[0-9a-fA-F]{66}$/.test(id)) {
    found = all.filter((c) => toHex(c.peerId) === id.toLowerCase() && c.phase !== 'closed' && c.phase !== 'failed');
    if (found.length > 1) throw new RpcError(-1, 'Peer has multiple channels: use channel_id or short_channel_id');
  } else if (/^[0-9a-fA-F]{64}$/.test(id)) {
    found = all.filter((c) => toHex(c.channelId) === id.toLowerCase());
  } else if (/^[0-9]+x[0-9]+x[0-9]+$/.test(id)) {
    found = all.filter((c) => [c.ourAlias, c.theirAlias, c.shortChannelId].some((v) => v !== undefined && scidToString(v) === id));
  } else throw new RpcError(INVALID_PARAMS, "id: should be a peer id, a channel id or a short channel id", { param: 'id' });
  // CLN json_close(): "Short channel ID not found", "Channel ID not found", "Peer has no active channel".
  if (found.length === 0) throw new RpcError(-1, 'Peer has no active channel');
  return found[0]!;
}

const listpeerchannels: RpcMethod<RpcContext> = {
  name: 'listpeerchannels',
  params: ['id?'],
  description: 'Show our channels (all of them, or those with peer id); receive-only channels, see getinfo warning_channels.',
  handler(p, ctx) {
    const id = optional(p, 'id', (q, n) => toHex(paramHex(q, n, 33)));
    const chans = ctx.node.channels.channels().filter((c) => id === undefined || toHex(c.peerId) === id);
    return { channels: chans.map(peerChannelJson) };
  },
};

const listfunds: RpcMethod<RpcContext> = {
  name: 'listfunds',
  params: ['spent?'],
  description: 'Show our funds: no on-chain outputs (no wallet yet), and our balance in each channel.',
  handler(_p, ctx) {
    return {
      outputs: [],
      channels: ctx.node.channels.channels().map((c) => ({
        peer_id: toHex(c.peerId),
        connected: c.connected,
        state: clnChannelState(c.phase),
        channel_id: toHex(c.channelId),
        ...(c.shortChannelId !== undefined ? { short_channel_id: scidToString(c.shortChannelId) } : {}),
        our_amount_msat: c.toUsMsat,
        amount_msat: c.fundingSatoshis * 1000n,
        funding_txid: txidHex(c.fundingTxid),
        funding_output: c.fundingOutnum,
      })),
    };
  },
};

/** CLN's default `unilateraltimeout`: 48 hours. */
const DEFAULT_UNILATERAL_TIMEOUT = 172_800;

const close: RpcMethod<RpcContext> = {
  name: 'close',
  params: ['id', 'unilateraltimeout?'],
  description: 'Close a channel cooperatively (shutdown, closing_signed) and return the closing transaction. Mutual only: without a chain backend there is no unilateral close (and nothing is broadcast).',
  async handler(p, ctx, signal) {
    const id = paramString(p, 'id');
    const timeout = optional(p, 'unilateraltimeout', (q, n) => paramInteger(q, n, { min: 0 })) ?? DEFAULT_UNILATERAL_TIMEOUT;
    const c = findChannel(ctx, id);
    const closing = ctx.node.channels.close(c.channelId);
    let timer: NodeJS.Timeout | undefined;
    const waits: Promise<ChannelSummary>[] = [closing];
    if (timeout > 0) {
      waits.push(
        new Promise((_r, reject) => {
          timer = setTimeout(
            () => reject(new RpcError(-1, `the peer did not agree a mutual close within ${timeout} seconds; no unilateral close without a chain backend (the close goes on when the peer answers)`)),
            timeout * 1000,
          );
          timer.unref?.();
        }),
      );
    }
    if (signal) waits.push(new Promise((_r, reject) => signal.addEventListener('abort', () => reject(new RpcError(-1, 'caller went away')), { once: true })));
    try {
      const done = await Promise.race(waits);
      return { type: 'mutual', tx: toHex(done.closing!.tx), txid: txidHex(done.closing!.txid) };
    } catch (e) {
      if (e instanceof RpcError) throw e;
      throw new RpcError(-1, (e as Error).message);
    } finally {
      if (timer) clearTimeout(timer);
    }
  },
};

export const channelMethods: RpcMethod<RpcContext>[] = [listpeerchannels, listfunds, close];
export const channelMethodsByName = { listpeerchannels, listfunds, close } as const;
