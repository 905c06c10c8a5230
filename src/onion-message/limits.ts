// The messenger's configuration: rate and memory limits with their defaults (and why), path
// defaults, and the constructor options.
import type { RandomSource } from '../crypto/index.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import type { OnionPeers, ScidResolver } from './types.ts';

/**
 * Rate and memory limits. Defaults, and why:
 *
 * - Inbound, per peer: 10 messages/s sustained, burst 20. Eclair allows 10/s; Core Lightning
 *   4/s burst 4 (connectd: 250 ms of credit per message, at most 1000 ms banked). We police at
 *   Eclair's rate and a deeper burst because honest senders (CLN, LDK) do not pace their own
 *   messages: a relay or a `sendinvoice` retry loop arrives in bursts, and dropping those would
 *   lose real invoices. A flooder still costs us at most 10 peels/s (≈ 4 ECDH each, ≈ 1 ms of CPU
 *   per second) and messages beyond the bucket are dropped before any cryptography.
 * - Outbound, per peer: one message per 300 ms (3.33/s), burst 2. This stays below Core
 *   Lightning's 4/s even when TCP delivers two of our messages back to back (its bucket starts
 *   with 4 credits and gains 1.2 per 300 ms while we spend 1). Messages beyond the pace wait in
 *   the queue; they are not dropped.
 * - A `warning` containing "Ratelimited onion_message" halves that peer's outbound rate (floor
 *   1/s) and removes its burst; the rate doubles back every 60 s without a new warning.
 * - Forward queue: 4 MiB in all, 512 KiB per next peer (≈ 3000 / 380 small onion messages), and
 *   10 s at most in the queue: forwarding is best effort (BOLT 4: "Onion messages are
 *   unreliable") and a stale forward is worth less than memory.
 * - Our own queue: 256 messages per peer; beyond, `send` throws `queue_full` (never a silent drop).
 * - At most 16 local peels per incoming message (dummy hops, intro-node hops: 10 dummies + 1
 *   introduction + final fit), and `hop_payloads` at most 32768 bytes (the spec's larger size).
 */
export interface OnionMessageLimits {
  inboundRatePerSec: number;
  inboundBurst: number;
  outboundRatePerSec: number;
  outboundBurst: number;
  minOutboundRatePerSec: number;
  outboundRecoverySec: number;
  maxOwnQueuedPerPeer: number;
  maxForwardQueueBytes: number;
  maxForwardQueueBytesPerPeer: number;
  maxForwardAgeSec: number;
  maxLocalPeels: number;
  maxHopPayloadsLength: number;
  /** Seconds between two "Ratelimited onion_message" warnings to the same peer. */
  warnIntervalSec: number;
  /** Peers whose inbound bucket we remember (including recently disconnected ones). */
  maxTrackedPeers: number;
}

export const DEFAULT_ONION_MESSAGE_LIMITS: Readonly<OnionMessageLimits> = Object.freeze({
  inboundRatePerSec: 10,
  inboundBurst: 20,
  outboundRatePerSec: 1 / 0.3,
  outboundBurst: 2,
  minOutboundRatePerSec: 1,
  outboundRecoverySec: 60,
  maxOwnQueuedPerPeer: 256,
  maxForwardQueueBytes: 4 * 1024 * 1024,
  maxForwardQueueBytesPerPeer: 512 * 1024,
  maxForwardAgeSec: 10,
  maxLocalPeels: 16,
  maxHopPayloadsLength: 32768,
  warnIntervalSec: 60,
  maxTrackedPeers: 4096,
});

/** How we build paths to ourselves. */
export interface PathDefaults {
  /** Dummy hops are added until a path has this many hops (default 4, as LDK). */
  minPathLength: number;
  /** `encrypted_data_tlv` padding granularity (default 16 bytes). */
  paddingRoundOff: number;
}

export interface OnionMessengerOptions {
  /** Our node's private key (33-byte id derived from it). */
  nodeSecret: Uint8Array;
  peers: OnionPeers;
  logger: Logger;
  random: RandomSource;
  clock: Clock;
  limits?: Partial<OnionMessageLimits>;
  paths?: Partial<PathDefaults>;
  /** Channel lookups for `short_channel_id` forwarding and sciddir introduction nodes. */
  scidResolver?: ScidResolver;
  /** Timer hooks (tests); default setTimeout/clearTimeout, unref'd. */
  timers?: { set(fn: () => void, ms: number): unknown; clear(handle: unknown): void };
}

