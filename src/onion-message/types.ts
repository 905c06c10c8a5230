// The messenger's public types: what it needs from the transport (src/transport's PeerRegistry
// and Peer fit structurally), what it takes and what it hands to handlers and to `stats()`.
import type { BlindedPath } from '../wire/blinded-path.ts';
import type { TlvRecord } from '../wire/tlv.ts';
import type { OnionMessageContents } from './payload.ts';
import type { DropReason } from './errors.ts';
import type { ForwardNode } from './receive-path.ts';

// ---------------------------------------------------------------------------------------------
// What the messenger needs from the transport (src/transport's PeerRegistry and Peer fit).

/** A connected peer, as the messenger uses it. */
export interface OnionPeer {
  readonly nodeId: Uint8Array;
  /** The peer's `init`; `features` is the combined feature vector. */
  readonly remoteInit?: { features: Uint8Array } | undefined;
  /** Queue a message; false when the connection refused it. */
  send(type: number, payload: Uint8Array): boolean;
}

/** The peer registry, as the messenger uses it. */
export interface OnionPeers {
  /** Our `init` features; when given without `option_onion_messages`, incoming onion messages are ignored. */
  readonly localFeatures?: Uint8Array;
  get(nodeId: Uint8Array): OnionPeer | undefined;
  onMessage(type: number, handler: (peer: OnionPeer, payload: Uint8Array) => void): () => void;
  on(event: 'disconnect', listener: (peer: OnionPeer, ...rest: unknown[]) => void): unknown;
  off?(event: 'disconnect', listener: (peer: OnionPeer, ...rest: unknown[]) => void): unknown;
}

/** Resolves channels to nodes, when a channel graph exists (gossip / our channels). */
export interface ScidResolver {
  /**
   * BOLT 4: "if `short_channel_id` is present and corresponds to an announced short_channel_id or
   * a local alias for a channel: the *next peer* is the peer at the other end of that channel".
   */
  peerOfChannel(shortChannelId: bigint): Uint8Array | undefined;
  /**
   * `sciddir_or_pubkey` as an introduction node: the channel's `node_id_1` (direction 0) or
   * `node_id_2` (direction 1).
   */
  nodeOfDirection(shortChannelId: bigint, direction: 0 | 1): Uint8Array | undefined;
}

// ---------------------------------------------------------------------------------------------
// Public data types

/** Where to send. */
export type OnionMessageDestination = { nodeId: Uint8Array } | { blindedPath: BlindedPath };

export interface SendOptions {
  /** `reply_path` for the final node (BOLT 4: only "if the final node is permitted to reply"). */
  replyPath?: BlindedPath;
  /**
   * Clear intermediate hops chosen by a pathfinder: node ids after us, before the destination (or
   * before the blinded path's introduction node). The first must be a connected peer.
   */
  via?: readonly Uint8Array[];
}

export interface SendResult {
  /** The peer the message was queued for (our own node id when it was delivered locally). */
  firstHop: Uint8Array;
  /** `onion_message_packet` length (1366 or 32834). */
  packetLength: number;
  /** Hops in the onion, including any we peeled ourselves. */
  hopCount: number;
  /** True when the destination was us and the message is delivered to our own handlers. */
  local: boolean;
}

/** A message built by `OnionMessenger.prepare`, not yet sent. */
export interface PreparedOnionMessage {
  /** The peer it will be queued for (our own node id when it is for us). */
  firstHop: Uint8Array;
  packetLength: number;
  hopCount: number;
  /** Queue it (or deliver it to us) now; once only. Throws OnionMessageSendError. */
  transmit(): SendResult;
}

/** A message delivered to a handler. */
export interface ReceivedOnionMessage {
  /** The payload field (type ≥ 64) and its value, opaque. */
  contents: OnionMessageContents;
  /** Where the sender allows a reply; answer with {@link OnionMessenger.reply}. */
  replyPath?: BlindedPath;
  /** The raw `path_id` of our final hop, if any. */
  pathId?: Uint8Array;
  /** True when the message came over a path we built (its `path_id` verified). */
  authenticated: boolean;
  /** The purpose we built the path for (authenticated messages only). */
  purpose?: string;
  /** The context we bound to the path in {@link OnionMessenger.createReplyPath}. */
  context?: Uint8Array;
  /** The peer that handed us the message; undefined when we sent it to ourselves. */
  from?: Uint8Array;
  /** Unknown odd `onionmsg_tlv` records (types below 64), kept. */
  unknownFields: TlvRecord[];
}

export type OnionMessageHandler = (msg: ReceivedOnionMessage) => void | Promise<void>;

export interface ReplyPathOptions {
  /** Why we build it (default "reply"): only handlers registered with this purpose receive what arrives. */
  purpose?: string;
  /** Hops before us, introduction node first (default none: we are the introduction node). */
  via?: readonly ForwardNode[];
  /** Exact dummy hop count (default: up to `paths.minPathLength` hops in all). */
  dummyHops?: number;
  /** Unix seconds after which messages on this path are dropped (`path_expired`). */
  expiresAt?: number;
}

export interface PeerOnionStats {
  nodeId: string;
  received: number;
  rateLimited: number;
  dropped: number;
  sent: number;
  forwarded: number;
  queuedOwn: number;
  queuedForward: number;
  outboundRatePerSec: number;
  warningsReceived: number;
}

export interface OnionMessageStats {
  /** `onion_message`s received from peers. */
  received: number;
  /** Messages handed to a handler. */
  delivered: number;
  /** Forwards handed to the transport. */
  forwarded: number;
  /** Our own messages handed to the transport. */
  sent: number;
  /** Dropped messages by reason (every reason counted, including rate limits). */
  dropped: Partial<Record<DropReason, number>>;
  droppedTotal: number;
  queued: { own: number; forward: number; forwardBytes: number };
  warningsReceived: number;
  warningsSent: number;
  /** Connected peers that exchanged onion messages with us. */
  peers: PeerOnionStats[];
}

