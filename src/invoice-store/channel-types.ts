// The channel half of the storage layer (issue 13): receive-only channels live in the same
// database as the invoices, so that one transaction covers an HTLC's fulfilment (the channel state
// holding the preimage) and its invoice's paid mark. Storage-agnostic like types.ts: the channel
// state is an opaque byte string here (src/channel serializes it); the store only keys it.
import type { MarkPaidResult } from './types.ts';

/** One channel as the store holds it. */
export interface StoredChannel {
  /** BOLT 2 `channel_id` (32 bytes), unique. */
  channelId: Uint8Array;
  /** The peer's node id (33 bytes). */
  peerId: Uint8Array;
  /** The key index our channel keys were derived for (unique, from {@link ChannelStore.allocateChannelKeyIndex}). */
  keyIndex: bigint;
  /** The channel layer's phase name, for listings (`normal`, `closed`, …). */
  phase: string;
  /** The channel layer's serialized state, opaque to the store. */
  state: Uint8Array;
}

/** An invoice to mark paid in the same transaction as a channel save. */
export interface ChannelPaidMark {
  paymentHash: Uint8Array;
  amountReceivedMsat: bigint;
  /**
   * Refuse (reason `status_mismatch`, nothing saved) when the invoice is already paid: a second
   * HTLC for a paid invoice must not be fulfilled.
   */
  requireUnpaid?: boolean;
}

export interface SaveChannelResult {
  /** One per mark asked for, in order. */
  paid: MarkPaidResult[];
}

/** Durable channel state. Every mutating call resolves once its change is durable (fsync). */
export interface ChannelStore {
  /**
   * A key index never handed out before (durable before it resolves), for a channel we are about to
   * accept: our basepoints leave in accept_channel, so an index must never serve two channels.
   */
  allocateChannelKeyIndex(): Promise<bigint>;
  /**
   * Insert or replace the channel (by `channelId`) and, in the same transaction, mark the invoices
   * in `paid` paid. Rejects with the invoice's InvoiceStoreError (`expired`, `not_found`,
   * `status_mismatch`) and saves nothing when a mark cannot be made.
   */
  saveChannel(channel: StoredChannel, opts?: { paid?: readonly ChannelPaidMark[] }): Promise<SaveChannelResult>;
  /** Every stored channel, in the order they were first saved. */
  listChannels(): StoredChannel[];
  getChannel(channelId: Uint8Array): StoredChannel | undefined;
}
