/**
 * LDK as an independent Lightning peer for interop tests.
 *
 * This harness starts a full LDK 0.1 node (npm `lightningdevkit`, the Rust library compiled to WASM,
 * driven over real TCP sockets by `lightningdevkit-node-net`) inside the test process, so that our
 * transport, BOLT 12 codec and onion messenger can be checked against an implementation we did not
 * write. See /work/shared/interop/LDK.md for the facts this relies on.
 *
 * Usage:
 * ```ts
 * const ldk = await startLdkNode({ seed: 1 });          // loads the WASM once per process
 * await ldk.connect('127.0.0.1', ourPort, ourNodeId);    // or: we dial ldk.host:ldk.port
 * await ldk.waitForPeer(ourNodeId);
 * const { refund } = ldk.createRefund({ amountMsat: 5000n });   // 'lnr1…', path intro = us
 * const ev = await ldk.waitForEvent(isInvoiceReceived);
 * await ldk.stop();                                      // frees timers and sockets
 * ```
 *
 * What a node is made of (all in this file, nothing from src/): KeysManager from a 32-byte seed;
 * NetworkGraph (regtest); DefaultMessageRouter; a Router that delegates route finding to LDK's
 * DefaultRouter but builds one-hop blinded payment paths itself (LDK's default fails with
 * MissingPaths when it has no channels); ChainMonitor and ChannelManager with stub fee estimator,
 * broadcaster and persister; OnionMessenger with the ChannelManager as offers handler and a custom
 * handler that records every custom onion message; PeerManager; NodeLDKNet listening on 127.0.0.1.
 * A pump (default every 50 ms) processes pending events of ChannelManager, ChainMonitor and
 * OnionMessenger and flushes the PeerManager; without it LDK keeps onion messages queued.
 *
 * What a test gets (see each member's comment):
 * - `initLdk()`, `startLdkNode(opts)` → `LdkNode`: `nodeId`, `host`/`port`, `connect()`, `waitForPeer()`,
 *   `waitForDisconnect()`, `connectedPeers()`, `peerInfo(id)` (LDK's view of a peer's `init`),
 *   `ownInitFeatureBits()`, `disconnect()`, `timerTick()` (LDK pings), `messageCount(peer, kind, dir)`
 *   (wire messages LDK received/queued, from its trace log), `events` + `waitForEvent(guard)`,
 *   `logs`/`logsMatching()`, `createRefund()`, `createOffer()`, `requestRefundPayment()`,
 *   `sendOnionMessage()` (any payload type ≥ 64, to a node id or a blinded path, with or without
 *   reply path), `buildBlindedPathToSelf()`, `customOnionMessages` (+ `customOnionReply` option),
 *   `pump()`, `waitFor()`, `stop()`; the LDK objects themselves (`channelManager`, …) for anything else.
 * - Gossip (issue 10; facts in /work/notes/LDK-gossip.md): option `gossip: true` makes the routing
 *   handler a `P2PGossipSync` over the node's NetworkGraph (no UtxoLookup); `feedGossip(raw[], from?)`
 *   hands framed BOLT 7 messages to it and says what LDK made of each; `graphChannels()`,
 *   `graphChannel(scid)`, `graphNodes()`, `graphNode(id)` read the graph back; `messageCounts(peer)`
 *   and `gossipBroadcastCount(kind)` count what LDK sent; `GOSSIP_MSG`, `scidFromParts`, `frameMessage`.
 * - LDK parsers returning plain field views: `ldkParseOffer`/`ldkReadOffer`, `ldkParseRefund`/
 *   `ldkReadRefund`, `ldkReadInvoiceRequest`, `ldkReadInvoice`, `ldkReadInvoiceError`, and
 *   `ldkWriteInvoiceError` (LDK 0.1's length-prefixed form). They throw `LdkRejected`.
 *
 * LDK's own ping timer (NodeLDKNet calls `PeerManager.timer_tick_occurred()` every 10 s) is switched
 * off: each tick sends a ping, and a tick that finds the previous ping unanswered with no traffic in
 * between disconnects the peer, which would make tests timing-dependent. Call `timerTick()` to make
 * LDK send a ping (one per tick, only once the previous pong came back).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import * as ldk from 'lightningdevkit';
import { NodeLDKNet } from 'lightningdevkit-node-net';

export { ldk };

// ---------------------------------------------------------------------------------------------
// WASM

let wasmReady: Promise<void> | undefined;

/** Loads LDK's WASM module once per process (≈130 ms); every entry point of this file awaits it. */
export function initLdk(): Promise<void> {
  if (wasmReady === undefined) {
    const require = createRequire(import.meta.url);
    const bin = readFileSync(require.resolve('lightningdevkit/liblightningjs.wasm'));
    // The bindings print a banner with console.log; keep test output clean.
    const log = console.log;
    console.log = () => {};
    wasmReady = ldk.initializeWasmFromBinary(bin).finally(() => {
      console.log = log;
    });
  }
  return wasmReady;
}

// ---------------------------------------------------------------------------------------------
// Small helpers (kept local: the harness must not depend on the code it checks)

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * LDK returns feature flags little-endian (byte 0 holds bits 0-7). Returns the set bit numbers,
 * ascending, as BOLT 9 numbers them.
 */
export function featureBitsFromLe(le: Uint8Array): number[] {
  const bits: number[] = [];
  for (let i = 0; i < le.length; i++) {
    for (let b = 0; b < 8; b++) if (le[i]! & (1 << b)) bits.push(i * 8 + b);
  }
  return bits;
}

/** Converts LDK's little-endian flags into the big-endian byte string of the wire (BOLT 9). */
export function featureBytesFromLe(le: Uint8Array): Uint8Array {
  let n = le.length;
  while (n > 0 && le[n - 1] === 0) n--;
  return Uint8Array.from(le.subarray(0, n)).reverse();
}

/** Genesis block hashes as they appear in `chain_hash` fields (internal byte order). */
export const CHAIN_HASH = {
  regtest: unhex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f'),
  bitcoin: unhex('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000'),
} as const;

// ---------------------------------------------------------------------------------------------
// Field views of LDK's BOLT 12 objects (what LDK reports after parsing)

export interface BlindedHopView {
  blindedNodeId: Uint8Array;
  encryptedRecipientData: Uint8Array;
}

export interface BlindedPathView {
  /** `first_node_id` when the introduction node is given by node id. */
  introductionNodeId?: Uint8Array;
  /** `first_scid` (with its direction bit) when the introduction node is a short channel id. */
  introductionScid?: { direction: number; scid: bigint };
  /** `first_path_key` (a.k.a. blinding point). */
  pathKey: Uint8Array;
  hops: BlindedHopView[];
  /** The path as LDK serializes it: the BOLT 4 `blinded_path` struct. */
  bytes: Uint8Array;
}

export interface BlindedPaymentPathView extends Omit<BlindedPathView, 'bytes'> {
  payinfo: {
    feeBaseMsat: number;
    feeProportionalMillionths: number;
    cltvExpiryDelta: number;
    htlcMinimumMsat: bigint;
    htlcMaximumMsat: bigint;
    features: Uint8Array;
  };
}

export type AmountView = { msat: bigint } | { currency: string; amount: bigint };
export type QuantityView = 'one' | 'unbounded' | { max: bigint };

export interface OfferView {
  string: string;
  bytes: Uint8Array;
  chains: Uint8Array[];
  metadata?: Uint8Array;
  amount?: AmountView;
  description?: string;
  features: Uint8Array;
  absoluteExpiry?: bigint;
  issuer?: string;
  paths: BlindedPathView[];
  supportedQuantity: QuantityView;
  issuerId?: Uint8Array;
  /** LDK's offer id: the merkle root of the offer TLVs. */
  id: Uint8Array;
}

export interface RefundView {
  string: string;
  bytes: Uint8Array;
  description?: string;
  absoluteExpiry?: bigint;
  issuer?: string;
  paths: BlindedPathView[];
  payerMetadata: Uint8Array;
  chain: Uint8Array;
  amountMsat: bigint;
  features: Uint8Array;
  quantity?: bigint;
  payerId: Uint8Array;
  payerNote?: string;
}

export interface InvoiceView {
  bytes: Uint8Array;
  paymentPaths: BlindedPaymentPathView[];
  createdAt: bigint;
  relativeExpiry: bigint;
  fallbacks: string[];
  features: Uint8Array;
  /** `invoice_node_id`. */
  nodeId: Uint8Array;
  offerChains?: Uint8Array[];
  chain: Uint8Array;
  offerMetadata?: Uint8Array;
  offerAmount?: AmountView;
  offerFeatures: Uint8Array;
  description?: string;
  absoluteExpiry?: bigint;
  issuer?: string;
  messagePaths: BlindedPathView[];
  supportedQuantity?: QuantityView;
  issuerId?: Uint8Array;
  payerMetadata: Uint8Array;
  invreqFeatures: Uint8Array;
  quantity?: bigint;
  payerId: Uint8Array;
  payerNote?: string;
  paymentHash: Uint8Array;
  amountMsat: bigint;
  signature: Uint8Array;
}

export interface InvoiceRequestView {
  bytes: Uint8Array;
  chains: Uint8Array[];
  offerMetadata?: Uint8Array;
  offerAmount?: AmountView;
  description?: string;
  offerFeatures: Uint8Array;
  absoluteExpiry?: bigint;
  issuer?: string;
  offerPaths: BlindedPathView[];
  supportedQuantity: QuantityView;
  issuerId?: Uint8Array;
  payerMetadata: Uint8Array;
  chain: Uint8Array;
  amountMsat?: bigint;
  features: Uint8Array;
  quantity?: bigint;
  payerId: Uint8Array;
  payerNote?: string;
  signature: Uint8Array;
}

export interface InvoiceErrorView {
  /** `error`. */
  message: string;
  /** `erroneous_field` and `suggested_value`, when present. */
  erroneousField?: { tlvType: bigint; suggestedValue?: Uint8Array };
}

function optU64(o: ldk.Option_u64Z): bigint | undefined {
  return o instanceof ldk.Option_u64Z_Some ? o.some : undefined;
}

function optBytes(o: ldk.Option_CVec_u8ZZ): Uint8Array | undefined {
  return o instanceof ldk.Option_CVec_u8ZZ_Some ? o.some : undefined;
}

function optString(p: ldk.PrintableString | null | undefined): string | undefined {
  // A Rust `None` comes back as a wrapper around a null pointer (whose get_a() would give "").
  return isPresent(p) ? p!.get_a() : undefined;
}

function optPubkey(k: Uint8Array | null | undefined): Uint8Array | undefined {
  // A Rust `None` public key comes back as 33 zero bytes.
  return k === null || k === undefined || k.every((b) => b === 0) ? undefined : k;
}

function amountView(o: ldk.Option_AmountZ): AmountView | undefined {
  if (!(o instanceof ldk.Option_AmountZ_Some)) return undefined;
  const a = o.some;
  if (a instanceof ldk.Amount_Bitcoin) return { msat: a.amount_msats };
  if (a instanceof ldk.Amount_Currency) {
    return { currency: new TextDecoder().decode(a.iso4217_code), amount: a.amount };
  }
  throw new Error('LDK returned an unknown Amount variant');
}

function quantityView(q: ldk.Quantity): QuantityView {
  if (q instanceof ldk.Quantity_One) return 'one';
  if (q instanceof ldk.Quantity_Unbounded) return 'unbounded';
  if (q instanceof ldk.Quantity_Bounded) return { max: q.bounded };
  throw new Error('LDK returned an unknown Quantity variant');
}

function hopsView(hops: ldk.BlindedHop[]): BlindedHopView[] {
  return hops.map((h) => ({
    blindedNodeId: h.get_blinded_node_id(),
    encryptedRecipientData: h.get_encrypted_payload(),
  }));
}

function introView(n: ldk.IntroductionNode): Pick<BlindedPathView, 'introductionNodeId' | 'introductionScid'> {
  if (n instanceof ldk.IntroductionNode_NodeId) return { introductionNodeId: n.node_id };
  if (n instanceof ldk.IntroductionNode_DirectedShortChannelId) {
    return { introductionScid: { direction: n._0 === ldk.Direction.LDKDirection_NodeOne ? 0 : 1, scid: n._1 } };
  }
  throw new Error('LDK returned an unknown IntroductionNode variant');
}

export function messagePathView(p: ldk.BlindedMessagePath): BlindedPathView {
  return {
    ...introView(p.introduction_node()),
    pathKey: p.blinding_point(),
    hops: hopsView(p.blinded_hops()),
    bytes: p.write(),
  };
}

export function paymentPathView(p: ldk.BlindedPaymentPath): BlindedPaymentPathView {
  const pi = p.get_payinfo();
  return {
    ...introView(p.introduction_node()),
    pathKey: p.blinding_point(),
    hops: hopsView(p.blinded_hops()),
    payinfo: {
      feeBaseMsat: pi.get_fee_base_msat(),
      feeProportionalMillionths: pi.get_fee_proportional_millionths(),
      cltvExpiryDelta: pi.get_cltv_expiry_delta(),
      htlcMinimumMsat: pi.get_htlc_minimum_msat(),
      htlcMaximumMsat: pi.get_htlc_maximum_msat(),
      features: featureBytesFromLe(pi.get_features().le_flags()),
    },
  };
}

export function offerView(o: ldk.Offer): OfferView {
  return {
    string: o.to_str(),
    bytes: o.write(),
    chains: o.chains(),
    metadata: optBytes(o.metadata()),
    amount: amountView(o.amount()),
    description: optString(o.description()),
    features: featureBytesFromLe(o.offer_features().le_flags()),
    absoluteExpiry: optU64(o.absolute_expiry()),
    issuer: optString(o.issuer()),
    paths: o.paths().map(messagePathView),
    supportedQuantity: quantityView(o.supported_quantity()),
    issuerId: optPubkey(o.issuer_signing_pubkey()),
    id: o.id().get_a(),
  };
}

export function refundView(r: ldk.Refund): RefundView {
  return {
    string: r.to_str(),
    bytes: r.write(),
    description: optString(r.description()),
    absoluteExpiry: optU64(r.absolute_expiry()),
    issuer: optString(r.issuer()),
    paths: r.paths().map(messagePathView),
    payerMetadata: r.payer_metadata(),
    chain: r.chain(),
    amountMsat: r.amount_msats(),
    features: featureBytesFromLe(r.features().le_flags()),
    quantity: optU64(r.quantity()),
    payerId: r.payer_signing_pubkey(),
    payerNote: optString(r.payer_note()),
  };
}

export function invoiceView(i: ldk.Bolt12Invoice): InvoiceView {
  const chains = i.offer_chains();
  const sq = i.supported_quantity();
  return {
    bytes: i.write(),
    paymentPaths: i.payment_paths().map(paymentPathView),
    createdAt: i.created_at(),
    relativeExpiry: i.relative_expiry(),
    fallbacks: i.fallbacks(),
    features: featureBytesFromLe(i.invoice_features().le_flags()),
    nodeId: i.signing_pubkey(),
    offerChains: chains instanceof ldk.Option_CVec_ThirtyTwoBytesZZ_Some ? chains.some : undefined,
    chain: i.chain(),
    offerMetadata: optBytes(i.metadata()),
    offerAmount: amountView(i.amount()),
    offerFeatures: featureBytesFromLe(i.offer_features().le_flags()),
    description: optString(i.description()),
    absoluteExpiry: optU64(i.absolute_expiry()),
    issuer: optString(i.issuer()),
    messagePaths: i.message_paths().map(messagePathView),
    supportedQuantity: sq instanceof ldk.Option_QuantityZ_Some ? quantityView(sq.some) : undefined,
    issuerId: optPubkey(i.issuer_signing_pubkey()),
    payerMetadata: i.payer_metadata(),
    invreqFeatures: featureBytesFromLe(i.invoice_request_features().le_flags()),
    quantity: optU64(i.quantity()),
    payerId: i.payer_signing_pubkey(),
    payerNote: optString(i.payer_note()),
    paymentHash: i.payment_hash(),
    amountMsat: i.amount_msats(),
    signature: i.signature(),
  };
}

export function invoiceRequestView(r: ldk.InvoiceRequest): InvoiceRequestView {
  const amt = r.amount_msats();
  return {
    bytes: r.write(),
    chains: r.chains(),
    offerMetadata: optBytes(r.metadata()),
    offerAmount: amountView(r.amount()),
    description: optString(r.description()),
    offerFeatures: featureBytesFromLe(r.offer_features().le_flags()),
    absoluteExpiry: optU64(r.absolute_expiry()),
    issuer: optString(r.issuer()),
    offerPaths: r.paths().map(messagePathView),
    supportedQuantity: quantityView(r.supported_quantity()),
    issuerId: optPubkey(r.issuer_signing_pubkey()),
    payerMetadata: r.payer_metadata(),
    chain: r.chain(),
    // LDK 0.1 reports the offer's expected amount here when invreq_amount is absent; see
    // has_amount_msats() for whether the field itself is present.
    amountMsat: r.has_amount_msats() ? optU64(amt) : undefined,
    features: featureBytesFromLe(r.invoice_request_features().le_flags()),
    quantity: optU64(r.quantity()),
    payerId: r.payer_signing_pubkey(),
    payerNote: optString(r.payer_note()),
    signature: r.signature(),
  };
}

/** Thrown when LDK refuses to parse or build something; `reason` is what LDK told us. */
export class LdkRejected extends Error {
  constructor(
    readonly what: string,
    readonly reason: string,
  ) {
    super(`LDK rejected ${what}: ${reason}`);
    this.name = 'LdkRejected';
  }
}

function decodeErrorName(e: ldk.DecodeError): string {
  return e.constructor.name.replace(/^DecodeError_/, '');
}

/** LDK parses an `lno1…` string. Throws LdkRejected if LDK refuses it (LDK gives no reason). */
export async function ldkParseOffer(s: string): Promise<OfferView> {
  await initLdk();
  const r = ldk.Offer.constructor_from_str(s);
  if (!(r instanceof ldk.Result_OfferBolt12ParseErrorZ_OK)) throw new LdkRejected('offer string', 'Bolt12ParseError');
  return offerView(r.res);
}

/** LDK parses an offer's TLV stream. */
export async function ldkReadOffer(bytes: Uint8Array): Promise<OfferView> {
  await initLdk();
  const r = ldk.Offer.constructor_read(bytes);
  if (!(r instanceof ldk.Result_OfferDecodeErrorZ_OK)) {
    throw new LdkRejected('offer bytes', decodeErrorName((r as ldk.Result_OfferDecodeErrorZ_Err).err));
  }
  return offerView(r.res);
}

/** LDK parses an `lnr1…` refund string. Throws LdkRejected if LDK refuses it. */
export async function ldkParseRefund(s: string): Promise<RefundView> {
  await initLdk();
  const r = ldk.Refund.constructor_from_str(s);
  if (!(r instanceof ldk.Result_RefundBolt12ParseErrorZ_OK)) throw new LdkRejected('refund string', 'Bolt12ParseError');
  return refundView(r.res);
}

/** LDK parses a refund's TLV stream. */
export async function ldkReadRefund(bytes: Uint8Array): Promise<RefundView> {
  await initLdk();
  const r = ldk.Refund.constructor_read(bytes);
  if (!(r instanceof ldk.Result_RefundDecodeErrorZ_OK)) {
    throw new LdkRejected('refund bytes', decodeErrorName((r as ldk.Result_RefundDecodeErrorZ_Err).err));
  }
  return refundView(r.res);
}

/**
 * LDK parses an invoice's TLV stream (LDK has no string form for invoices). LDK checks the
 * semantics and the signature against `invoice_node_id` while parsing.
 */
export async function ldkReadInvoice(bytes: Uint8Array): Promise<InvoiceView> {
  await initLdk();
  const r = ldk.Bolt12Invoice.constructor_read(bytes);
  if (!(r instanceof ldk.Result_Bolt12InvoiceDecodeErrorZ_OK)) {
    throw new LdkRejected('invoice bytes', decodeErrorName((r as ldk.Result_Bolt12InvoiceDecodeErrorZ_Err).err));
  }
  return invoiceView(r.res);
}

/** LDK parses an invoice_request's TLV stream (semantics and signature checked). */
export async function ldkReadInvoiceRequest(bytes: Uint8Array): Promise<InvoiceRequestView> {
  await initLdk();
  const r = ldk.InvoiceRequest.constructor_read(bytes);
  if (!(r instanceof ldk.Result_InvoiceRequestDecodeErrorZ_OK)) {
    throw new LdkRejected('invoice_request bytes', decodeErrorName((r as ldk.Result_InvoiceRequestDecodeErrorZ_Err).err));
  }
  return invoiceRequestView(r.res);
}

function invoiceErrorView(e: ldk.InvoiceError): InvoiceErrorView {
  const f = e.get_erroneous_field();
  const view: InvoiceErrorView = { message: e.get_message().get_a() };
  if (isPresent(f)) {
    const sv = optBytes(f.get_suggested_value());
    view.erroneousField = sv === undefined ? { tlvType: f.get_tlv_fieldnum() } : { tlvType: f.get_tlv_fieldnum(), suggestedValue: sv };
  }
  return view;
}

/** LDK reads an invoice_error as it would from an onion message payload (LDK 0.1's own format). */
export async function ldkReadInvoiceError(bytes: Uint8Array): Promise<InvoiceErrorView> {
  await initLdk();
  const r = ldk.InvoiceError.constructor_read(bytes);
  if (!(r instanceof ldk.Result_InvoiceErrorDecodeErrorZ_OK)) {
    throw new LdkRejected('invoice_error bytes', decodeErrorName((r as ldk.Result_InvoiceErrorDecodeErrorZ_Err).err));
  }
  return invoiceErrorView(r.res);
}

/** An invoice_error as LDK 0.1 writes it into an onion message payload. */
export async function ldkWriteInvoiceError(args: { message: string; erroneousField?: bigint; suggestedValue?: Uint8Array }): Promise<Uint8Array> {
  await initLdk();
  const field =
    args.erroneousField === undefined
      ? null
      : ldk.ErroneousField.constructor_new(
          args.erroneousField,
          args.suggestedValue === undefined ? ldk.Option_CVec_u8ZZ.constructor_none() : ldk.Option_CVec_u8ZZ.constructor_some(args.suggestedValue),
        );
  return ldk.InvoiceError.constructor_new(field, ldk.UntrustedString.constructor_new(args.message)).write();
}

// ---------------------------------------------------------------------------------------------
// The node

export interface LdkLogRecord {
  level: ldk.Level;
  module: string;
  message: string;
  peer?: Uint8Array;
}

export interface LdkCustomOnionMessage {
  tlvType: bigint;
  payload: Uint8Array;
  /** The `MessageContext::Custom` bytes of the blinded path it came through, if any. */
  context?: Uint8Array;
  /** Whether the message carried a reply path. */
  hasReplyPath: boolean;
}

// ---------------------------------------------------------------------------------------------
// Gossip: views of LDK's NetworkGraph and results of feeding it messages

/** BOLT 7 gossip message types (BOLT 7 "Channel announcement" … "Query Messages"). */
export const GOSSIP_MSG = {
  channel_announcement: 256,
  node_announcement: 257,
  channel_update: 258,
  announcement_signatures: 259,
  query_short_channel_ids: 261,
  reply_short_channel_ids_end: 262,
  query_channel_range: 263,
  reply_channel_range: 264,
  gossip_timestamp_filter: 265,
} as const;

/** BOLT 7 short_channel_id: block height (3 bytes), transaction index (3), output index (2). */
export function scidFromParts(block: number, txIndex: number, outputIndex: number): bigint {
  return (BigInt(block) << 40n) | (BigInt(txIndex) << 16n) | BigInt(outputIndex);
}

/** A message as sent on the wire (BOLT 1): u16 type, then the payload. */
export function frameMessage(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + payload.length);
  out[0] = type >> 8;
  out[1] = type & 0xff;
  out.set(payload, 2);
  return out;
}

/** One direction of a channel as LDK stores it from a `channel_update`. */
export interface LdkChannelDirectionView {
  /** The update's `timestamp` (LDK's `last_update`). */
  timestamp: number;
  /** `channel_flags` bit 1 (disable) clear. */
  enabled: boolean;
  cltvExpiryDelta: number;
  htlcMinimumMsat: bigint;
  htlcMaximumMsat: bigint;
  feeBaseMsat: number;
  feeProportionalMillionths: number;
  /** The signed `channel_update` LDK keeps for relay, framed (type 258 + payload); absent when not kept. */
  message?: Uint8Array;
}

/** A channel in LDK's NetworkGraph (`ReadOnlyNetworkGraph.channel(scid)`). */
export interface LdkGraphChannelView {
  scid: bigint;
  /** `node_id_1` / `node_id_2` of the announcement, hex. */
  node1: string;
  node2: string;
  /** Channel features, wire (big-endian) bytes. */
  features: Uint8Array;
  /** Set only when a UtxoLookup checked the funding output (never with this harness). */
  capacitySats?: bigint;
  /** The signed `channel_announcement` LDK keeps for relay, framed (type 256 + payload). */
  announcement?: Uint8Array;
  /** Direction 0 (`channel_flags` bit 0 = 0: from node_1) and direction 1 (from node_2). */
  hasUpdate1: boolean;
  hasUpdate2: boolean;
  timestamp1?: number;
  timestamp2?: number;
  update1?: LdkChannelDirectionView;
  update2?: LdkChannelDirectionView;
}

/** What LDK keeps of a `node_announcement`. */
export interface LdkNodeAnnouncementView {
  featureBits: number[];
  /** Node features, wire (big-endian) bytes. */
  features: Uint8Array;
  timestamp: number;
  rgb: Uint8Array;
  /** The 32-byte alias field, and the same as text with trailing zero bytes removed. */
  alias: Uint8Array;
  aliasText: string;
  /** Addresses as LDK prints them (`127.0.0.1:9735`, …) and as LDK serializes them (descriptor type byte + data). */
  addresses: string[];
  addressBytes: Uint8Array[];
  /** The signed `node_announcement` LDK keeps for relay, framed (type 257 + payload). */
  message?: Uint8Array;
}

/** A node in LDK's NetworkGraph (nodes exist there only as ends of announced channels). */
export interface LdkGraphNodeView {
  nodeId: string;
  channels: bigint[];
  announcement?: LdkNodeAnnouncementView;
}

/** What LDK's P2PGossipSync made of one message given to `feedGossip`. */
export interface LdkGossipResult {
  type: number;
  /** Accepted into the graph. */
  ok: boolean;
  /** When accepted: whether LDK would relay it (excess data ≤ 1024 bytes). */
  relay?: boolean;
  /** When refused: LDK's error text ("Invalid signature on channel_announcement message", …), or `decode: <DecodeError>`. */
  error?: string;
  /** When refused by the handler: LDK's ErrorAction (IgnoreError, IgnoreDuplicateGossip, IgnoreAndLog, SendWarningMessage, …). */
  action?: string;
}

function channelDirectionView(u: ldk.ChannelUpdateInfo | null | undefined): LdkChannelDirectionView | undefined {
  if (!isPresent(u)) return undefined;
  const fees = u!.get_fees();
  const msg = u!.get_last_update_message();
  const v: LdkChannelDirectionView = {
    timestamp: u!.get_last_update() >>> 0, // the bindings return this u32 as a signed number
    enabled: !!u!.get_enabled(),
    cltvExpiryDelta: u!.get_cltv_expiry_delta(),
    htlcMinimumMsat: u!.get_htlc_minimum_msat(),
    htlcMaximumMsat: u!.get_htlc_maximum_msat(),
    feeBaseMsat: fees.get_base_msat(),
    feeProportionalMillionths: fees.get_proportional_millionths(),
  };
  if (isPresent(msg)) v.message = frameMessage(GOSSIP_MSG.channel_update, msg.write());
  return v;
}

export function graphChannelView(scid: bigint, c: ldk.ChannelInfo): LdkGraphChannelView {
  const d1 = channelDirectionView(c.get_one_to_two());
  const d2 = channelDirectionView(c.get_two_to_one());
  const ann = c.get_announcement_message();
  const cap = c.get_capacity_sats();
  const v: LdkGraphChannelView = {
    scid,
    node1: hex(c.get_node_one().as_slice()),
    node2: hex(c.get_node_two().as_slice()),
    features: featureBytesFromLe(c.get_features().le_flags()),
    hasUpdate1: d1 !== undefined,
    hasUpdate2: d2 !== undefined,
  };
  if (cap instanceof ldk.Option_u64Z_Some) v.capacitySats = cap.some;
  if (isPresent(ann)) v.announcement = frameMessage(GOSSIP_MSG.channel_announcement, ann.write());
  if (d1) {
    v.update1 = d1;
    v.timestamp1 = d1.timestamp;
  }
  if (d2) {
    v.update2 = d2;
    v.timestamp2 = d2.timestamp;
  }
  return v;
}

export function graphNodeView(nodeId: Uint8Array, n: ldk.NodeInfo): LdkGraphNodeView {
  const v: LdkGraphNodeView = { nodeId: hex(nodeId), channels: n.get_channels() };
  const info = n.get_announcement_info();
  if (info instanceof ldk.Option_NodeAnnouncementInfoZ_Some) {
    const a = info.some;
    const le = a.features().le_flags();
    const alias = a.alias().get_a();
    let end = alias.length;
    while (end > 0 && alias[end - 1] === 0) end--;
    const addrs = a.addresses();
    const view: LdkNodeAnnouncementView = {
      featureBits: featureBitsFromLe(le),
      features: featureBytesFromLe(le),
      timestamp: a.last_update() >>> 0, // u32, returned signed by the bindings
      rgb: a.rgb(),
      alias,
      aliasText: new TextDecoder().decode(alias.subarray(0, end)),
      addresses: addrs.map((x) => x.to_str()),
      addressBytes: addrs.map((x) => x.write()),
    };
    const msg = a.announcement_message();
    if (isPresent(msg)) view.message = frameMessage(GOSSIP_MSG.node_announcement, msg.write());
    v.announcement = view;
  }
  return v;
}

export interface LdkNodeOptions {
  /** The node's 32-byte seed, or a number n for the seed of 32 bytes n (default: a counter). */
  seed?: Uint8Array | number;
  /** Host to listen on (default 127.0.0.1). Set `listen: false` for a node that only dials. */
  host?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  listen?: boolean;
  /** `UserConfig.manually_handle_bolt12_invoices`: emit Event_InvoiceReceived instead of paying. */
  manuallyHandleBolt12Invoices?: boolean;
  /** Event pump period (default 50 ms). */
  pumpIntervalMs?: number;
  /** Custom onion message types LDK reads (others are refused by LDK); default: all types ≥ 64. */
  acceptCustomOnionType?: (tlvType: bigint) => boolean;
  /**
   * Answer to a custom onion message that carried a reply path; return undefined to not answer.
   * Default: no answer.
   */
  customOnionReply?: (msg: LdkCustomOnionMessage) => { tlvType: bigint; payload: Uint8Array } | undefined;
  /** Log records kept (ring buffer, default 5000). `LDK_LOG=1` in the environment prints them. */
  maxLogRecords?: number;
  /** Unix time in seconds given to LDK as "now" (default: the wall clock). */
  nowSecs?: number;
  /**
   * Gossip: the PeerManager's routing handler is a `P2PGossipSync` over this node's NetworkGraph
   * with no UtxoLookup (instead of the IgnoringMessageHandler), so LDK advertises gossip_queries
   * (bit 7), sends `gossip_timestamp_filter` to peers with bit 6/7, answers `query_channel_range`,
   * streams its graph after a peer's filter and relays gossip it accepts. Gossip-level log records
   * are then kept in `logs` too. (`feedGossip` and the graph readers work either way.)
   */
  gossip?: boolean;
}

let seedCounter = 0x40;

/** Starts an LDK node (and, the first time, the WASM module). Call `stop()` when done. */
export async function startLdkNode(opts: LdkNodeOptions = {}): Promise<LdkNode> {
  await initLdk();
  const node = new LdkNode(opts);
  if (opts.listen !== false) await node.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
  return node;
}

export class LdkNode {
  /** LDK's 33-byte node id. */
  readonly nodeId: Uint8Array;
  /** Listening host and port (port 0 when not listening). */
  host = '127.0.0.1';
  port = 0;
  /** Every event LDK emitted, in order. */
  readonly events: ldk.Event[] = [];
  /** The most recent log records (bounded). */
  readonly logs: LdkLogRecord[] = [];
  /** Log records LDK produced so far, including Gossip-level ones and those no longer in `logs`. */
  logCount = 0;
  /** Every custom onion message LDK handed to its custom handler. */
  readonly customOnionMessages: LdkCustomOnionMessage[] = [];
  /** Payment ids of refunds created by `createRefund`, hex → id. */
  readonly paymentIds = new Map<string, Uint8Array>();

  readonly keys: ldk.KeysManager;
  readonly logger: ldk.Logger;
  readonly graph: ldk.NetworkGraph;
  readonly messageRouter: ldk.DefaultMessageRouter;
  readonly router: ldk.Router;
  readonly chainMonitor: ldk.ChainMonitor;
  readonly channelManager: ldk.ChannelManager;
  readonly onionMessenger: ldk.OnionMessenger;
  readonly peerManager: ldk.PeerManager;
  readonly net: NodeLDKNet;
  /**
   * A `P2PGossipSync` over `graph` with no UtxoLookup. It is the PeerManager's routing handler
   * only with `gossip: true`; `feedGossip` always hands messages to it.
   */
  readonly gossipSync: ldk.P2PGossipSync;
  /** Gossip broadcasts LDK logged ("Sending message to all peers except …"), by message kind. */
  private readonly broadcastCounts = new Map<string, number>();

  private readonly pumpTimer: NodeJS.Timeout;
  private readonly eventHandler: ldk.EventHandler;
  private readonly maxLogs: number;
  private readonly printLogs = process.env['LDK_LOG'] === '1';
  private paymentCounter = 0;
  /** An Event_PendingHTLCsForwardable came: the next pump processes the forwards. */
  private forwardsPending = false;
  private readonly msgCounts = new Map<string, number>();
  private stopped = false;
  /** Objects implemented in JS that WASM calls back into; kept referenced for the node's life. */
  private readonly keepAlive: unknown[] = [];

  constructor(private readonly opts: LdkNodeOptions) {
    const now = opts.nowSecs ?? Math.floor(Date.now() / 1000);
    this.maxLogs = opts.maxLogRecords ?? 5000;
    const seed =
      opts.seed instanceof Uint8Array ? opts.seed : new Uint8Array(32).fill(opts.seed ?? seedCounter++ & 0xff);
    if (seed.length !== 32) throw new Error('LDK seed must be 32 bytes');
    const network = ldk.Network.LDKNetwork_Regtest;

    const fee = ldk.FeeEstimator.new_impl({ get_est_sat_per_1000_weight: () => 253 });
    const broadcaster = ldk.BroadcasterInterface.new_impl({ broadcast_transactions: () => {} });
    this.logger = ldk.Logger.new_impl({ log: (r) => this.onLog(r) });
    const persister = ldk.Persist.new_impl({
      persist_new_channel: () => ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed,
      update_persisted_channel: () => ldk.ChannelMonitorUpdateStatus.LDKChannelMonitorUpdateStatus_Completed,
      archive_persisted_channel: () => {},
    });
    this.keys = ldk.KeysManager.constructor_new(seed, BigInt(now), 0);
    const entropy = this.keys.as_EntropySource();
    this.nodeId = (
      this.keys.as_NodeSigner().get_node_id(ldk.Recipient.LDKRecipient_Node) as ldk.Result_PublicKeyNoneZ_OK
    ).res;
    this.graph = ldk.NetworkGraph.constructor_new(network, this.logger);
    this.messageRouter = ldk.DefaultMessageRouter.constructor_new(this.graph, entropy);

    const scorer = ldk.ProbabilisticScorer.constructor_new(
      ldk.ProbabilisticScoringDecayParameters.constructor_default(),
      this.graph,
      this.logger,
    );
    const lockableScore = ldk.MultiThreadedLockableScore.constructor_new(scorer.as_Score());
    const defaultRouter = ldk.DefaultRouter.constructor_new(
      this.graph,
      this.logger,
      entropy,
      lockableScore.as_LockableScore(),
      ldk.ProbabilisticScoringFeeParameters.constructor_default(),
    ).as_Router();
    // LDK.md: the default router's create_blinded_payment_paths fails with MissingPaths without
    // channels, so LDK could not answer a refund. Build a one-hop path to ourselves instead.
    this.router = ldk.Router.new_impl({
      find_route: (payer, params, firstHops, inflight) => defaultRouter.find_route(payer, params, firstHops, inflight),
      find_route_with_id: (payer, params, firstHops, inflight, hash, id) =>
        defaultRouter.find_route_with_id(payer, params, firstHops, inflight, hash, id),
      create_blinded_payment_paths: (recipient, _firstHops, tlvs) => {
        const path = ldk.BlindedPaymentPath.constructor_one_hop(recipient, tlvs, 40, entropy);
        if (!(path instanceof ldk.Result_BlindedPaymentPathNoneZ_OK)) {
          return ldk.Result_CVec_BlindedPaymentPathZNoneZ.constructor_err();
        }
        return ldk.Result_CVec_BlindedPaymentPathZNoneZ.constructor_ok([path.res]);
      },
    });

    this.chainMonitor = ldk.ChainMonitor.constructor_new(
      ldk.Option_FilterZ.constructor_none(),
      broadcaster,
      this.logger,
      fee,
      persister,
    );
    const config = ldk.UserConfig.constructor_default();
    config.set_manually_handle_bolt12_invoices(opts.manuallyHandleBolt12Invoices ?? false);
    const params = ldk.ChainParameters.constructor_new(network, ldk.BestBlock.constructor_from_network(network));
    this.channelManager = ldk.ChannelManager.constructor_new(
      fee,
      this.chainMonitor.as_Watch(),
      broadcaster,
      this.router,
      this.messageRouter.as_MessageRouter(),
      this.logger,
      entropy,
      this.keys.as_NodeSigner(),
      this.keys.as_SignerProvider(),
      config,
      params,
      now,
    );
    const cm = this.channelManager;

    const accept = opts.acceptCustomOnionType ?? ((t: bigint) => t >= 64n);
    const customHandler = ldk.CustomOnionMessageHandler.new_impl({
      read_custom_message: (type, buffer) => {
        if (!accept(type)) {
          return ldk.Result_COption_OnionMessageContentsZDecodeErrorZ.constructor_ok(
            ldk.Option_OnionMessageContentsZ.constructor_none(),
          );
        }
        return ldk.Result_COption_OnionMessageContentsZDecodeErrorZ.constructor_ok(
          ldk.Option_OnionMessageContentsZ.constructor_some(rawContents(type, Uint8Array.from(buffer))),
        );
      },
      handle_custom_message: (message, context, responder) => {
        const msg: LdkCustomOnionMessage = {
          tlvType: message.tlv_type(),
          payload: message.write(),
          context: optBytes(context),
          hasReplyPath: isPresent(responder),
        };
        this.customOnionMessages.push(msg);
        const reply = msg.hasReplyPath ? this.opts.customOnionReply?.(msg) : undefined;
        if (reply === undefined) return ldk.Option_C2Tuple_OnionMessageContentsResponseInstructionZZ.constructor_none();
        return ldk.Option_C2Tuple_OnionMessageContentsResponseInstructionZZ.constructor_some(
          ldk.TwoTuple_OnionMessageContentsResponseInstructionZ.constructor_new(
            rawContents(reply.tlvType, reply.payload),
            responder.respond(),
          ),
        );
      },
      release_pending_custom_messages: () => [],
    });
    this.onionMessenger = ldk.OnionMessenger.constructor_new(
      entropy,
      this.keys.as_NodeSigner(),
      this.logger,
      cm.as_NodeIdLookUp(),
      this.messageRouter.as_MessageRouter(),
      cm.as_OffersMessageHandler(),
      cm.as_AsyncPaymentsMessageHandler(),
      cm.as_DNSResolverMessageHandler(),
      customHandler,
    );
    const ignoring = ldk.IgnoringMessageHandler.constructor_new();
    this.gossipSync = ldk.P2PGossipSync.constructor_new(this.graph, ldk.Option_UtxoLookupZ.constructor_none(), this.logger);
    this.peerManager = ldk.PeerManager.constructor_new(
      cm.as_ChannelMessageHandler(),
      opts.gossip ? this.gossipSync.as_RoutingMessageHandler() : ignoring.as_RoutingMessageHandler(),
      this.onionMessenger.as_OnionMessageHandler(),
      ignoring.as_CustomMessageHandler(),
      now,
      entropy.get_secure_random_bytes(),
      this.logger,
      this.keys.as_NodeSigner(),
    );
    this.net = new NodeLDKNet(this.peerManager);
    // Switch off NodeLDKNet's 10 s ping/timeout timer (see the module comment).
    clearInterval((this.net as unknown as { ping_timer: NodeJS.Timeout }).ping_timer);

    this.eventHandler = ldk.EventHandler.new_impl({
      handle_event: (e) => {
        this.events.push(e);
        if (e instanceof ldk.Event_PendingHTLCsForwardable) this.forwardsPending = true;
        return ldk.Result_NoneReplayEventZ.constructor_ok();
      },
    });
    this.keepAlive.push(fee, broadcaster, persister, scorer, lockableScore, defaultRouter, customHandler, ignoring);
    this.pumpTimer = setInterval(() => this.pump(), opts.pumpIntervalMs ?? 50);
    this.pumpTimer.unref();
  }

  /** Binds the TCP listener (done by startLdkNode unless `listen: false`). */
  async listen(host: string, port: number): Promise<void> {
    await this.net.bind_listener(host, port);
    const servers = (this.net as unknown as { servers: Server[] }).servers;
    const addr = servers[servers.length - 1]!.address();
    if (addr === null || typeof addr === 'string') throw new Error('LDK listener has no TCP address');
    this.host = host;
    this.port = addr.port;
  }

  /** Processes pending events of every LDK component and flushes queued messages to sockets. */
  pump(): void {
    if (this.stopped) return;
    this.channelManager.as_EventsProvider().process_pending_events(this.eventHandler);
    this.chainMonitor.as_EventsProvider().process_pending_events(this.eventHandler);
    this.onionMessenger.as_EventsProvider().process_pending_events(this.eventHandler);
    // LDK.md: on Event_PendingHTLCsForwardable, process_pending_htlc_forwards() outside the handler.
    if (this.forwardsPending) {
      this.forwardsPending = false;
      this.channelManager.process_pending_htlc_forwards();
    }
    this.peerManager.process_events();
  }

  /**
   * One `PeerManager.timer_tick_occurred()`: LDK sends each peer a ping (`num_pong_bytes` 0,
   * `byteslen` 64) if the previous one was answered; a peer that neither answered nor sent
   * anything since the previous tick is disconnected, as is a peer still in its handshake
   * after two ticks.
   */
  timerTick(): void {
    this.peerManager.timer_tick_occurred();
    this.peerManager.process_events();
  }

  /** Dials a peer; resolves once the TCP connection is up (the handshake follows: see waitForPeer). */
  async connect(host: string, port: number, nodeId: Uint8Array): Promise<void> {
    await this.net.connect_peer(host, port, nodeId);
  }

  /** Node ids of peers whose handshake and `init` exchange completed. */
  connectedPeers(): Uint8Array[] {
    return this.peerManager.list_peers().map((p) => p.get_counterparty_node_id());
  }

  isConnected(nodeId: Uint8Array): boolean {
    return this.connectedPeers().some((p) => sameBytes(p, nodeId));
  }

  /** What LDK knows of a connected peer: its `init` features (bits and wire bytes) and direction. */
  peerInfo(nodeId: Uint8Array): { featureBits: number[]; features: Uint8Array; inbound: boolean } | undefined {
    const p = this.peerManager.list_peers().find((d) => sameBytes(d.get_counterparty_node_id(), nodeId));
    if (p === undefined) return undefined;
    const le = p.get_init_features().le_flags();
    return { featureBits: featureBitsFromLe(le), features: featureBytesFromLe(le), inbound: !!p.get_is_inbound_connection() };
  }

  /**
   * The feature bits LDK puts in its own `init` to `peer`: the union of what its message handlers
   * provide (the ChannelManager's bits, and bit 39 from the OnionMessenger).
   */
  ownInitFeatureBits(peer: Uint8Array = this.nodeId): number[] {
    const cm = featureBitsFromLe(this.channelManager.as_ChannelMessageHandler().provided_init_features(peer).le_flags());
    const om = featureBitsFromLe(this.onionMessenger.as_OnionMessageHandler().provided_init_features(peer).le_flags());
    // With `gossip: true` the routing handler adds gossip_queries (7); the IgnoringMessageHandler adds nothing.
    const rt = this.opts.gossip
      ? featureBitsFromLe(this.gossipSync.as_RoutingMessageHandler().provided_init_features(peer).le_flags())
      : [];
    return [...new Set([...cm, ...om, ...rt])].sort((x, y) => x - y);
  }

  /**
   * How many messages of a kind (LDK's Rust name: 'Ping', 'Pong', 'Init', 'OnionMessage', …) LDK
   * received from (`dir` 'in') or queued for (`dir` 'out') a peer, counted from LDK's own trace log
   * lines ("Received message Pong(…) from <id>", "Enqueueing message Ping {…} to <id>").
   */
  messageCount(peer: Uint8Array, kind: string, dir: 'in' | 'out'): number {
    return this.msgCounts.get(`${dir} ${kind} ${hex(peer)}`) ?? 0;
  }

  disconnect(nodeId: Uint8Array): void {
    this.peerManager.disconnect_by_node_id(nodeId);
  }

  /**
   * Polls `pred` every `pollMs` (pumping LDK before each check) until it returns a value other than
   * undefined/false/null; throws after `timeoutMs`.
   */
  async waitFor<T>(pred: () => T | undefined | false | null, what: string, timeoutMs = 10_000, pollMs = 5): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.pump();
      const v = pred();
      if (v !== undefined && v !== false && v !== null) return v;
      if (this.stopped) throw new Error(`LDK: node stopped while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`LDK: timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(pollMs);
    }
  }

  waitForPeer(nodeId: Uint8Array, timeoutMs = 10_000): Promise<true> {
    return this.waitFor(() => this.isConnected(nodeId), `peer ${hex(nodeId)}`, timeoutMs);
  }

  waitForDisconnect(nodeId: Uint8Array, timeoutMs = 10_000): Promise<true> {
    return this.waitFor(() => !this.isConnected(nodeId), `disconnect of ${hex(nodeId)}`, timeoutMs);
  }

  /** Waits for an event (already emitted or future) matching the type guard. */
  waitForEvent<E extends ldk.Event>(guard: (e: ldk.Event) => e is E, timeoutMs = 10_000, from = 0): Promise<E> {
    return this.waitFor(
      () => this.events.slice(from).find(guard) as E | undefined,
      `an event (${guard.name || 'predicate'})`,
      timeoutMs,
    );
  }

  /**
   * A refund (LDK pays): `ChannelManager.create_refund_builder`. With exactly one connected onion
   * message peer and an empty graph its blinded path starts at that peer (2 hops). The bindings
   * ignore the builder's description/chain/expiry/payer_note setters, so none are offered here.
   */
  createRefund(args: { amountMsat: bigint; absoluteExpiry?: bigint; paymentId?: Uint8Array }): {
    refund: string;
    paymentId: Uint8Array;
    view: RefundView;
  } {
    const paymentId = args.paymentId ?? this.nextPaymentId();
    // LDK.md: keep the expiry more than 24 h ahead.
    const expiry = args.absoluteExpiry ?? BigInt(Math.floor(Date.now() / 1000) + 2 * 86400);
    const b = this.channelManager.create_refund_builder(
      args.amountMsat,
      expiry,
      paymentId,
      ldk.Retry.constructor_attempts(1),
      ldk.Option_u64Z.constructor_none(),
    );
    if (!(b instanceof ldk.Result_RefundMaybeWithDerivedMetadataBuilderBolt12SemanticErrorZ_OK)) {
      throw new LdkRejected('create_refund_builder', semanticErrorName((b as unknown as { err: ldk.Bolt12SemanticError }).err));
    }
    const r = b.res.build();
    if (!(r instanceof ldk.Result_RefundBolt12SemanticErrorZ_OK)) {
      throw new LdkRejected('refund build', semanticErrorName((r as ldk.Result_RefundBolt12SemanticErrorZ_Err).err));
    }
    this.paymentIds.set(hex(paymentId), paymentId);
    return { refund: r.res.to_str(), paymentId, view: refundView(r.res) };
  }

  /**
   * An offer (LDK is paid): `ChannelManager.create_offer_builder`. Like refunds, LDK needs exactly
   * one onion message peer to build the offer's blinded path. Only the expiry can be chosen: the
   * bindings' builder setters (amount_msats, description, issuer, …) act on a copy and are lost, so
   * LDK's offers carry chain, metadata, issuer id, paths and (optionally) expiry only.
   */
  createOffer(args: { absoluteExpiry?: bigint } = {}): { offer: string; view: OfferView } {
    const b = this.channelManager.create_offer_builder(
      args.absoluteExpiry === undefined ? ldk.Option_u64Z.constructor_none() : ldk.Option_u64Z.constructor_some(args.absoluteExpiry),
    );
    if (!(b instanceof ldk.Result_OfferWithDerivedMetadataBuilderBolt12SemanticErrorZ_OK)) {
      throw new LdkRejected('create_offer_builder', semanticErrorName((b as unknown as { err: ldk.Bolt12SemanticError }).err));
    }
    const r = b.res.build();
    if (!(r instanceof ldk.Result_OfferBolt12SemanticErrorZ_OK)) {
      throw new LdkRejected('offer build', semanticErrorName((r as ldk.Result_OfferBolt12SemanticErrorZ_Err).err));
    }
    return { offer: r.res.to_str(), view: offerView(r.res) };
  }

  /**
   * LDK answers a refund with an invoice (`ChannelManager.request_refund_payment`) and sends it on
   * the next pump: into the refund's paths, or to `invreq_payer_id` as a node id when it has none
   * (that key must then be a connected peer). Returns the invoice LDK made.
   */
  requestRefundPayment(lnr: string): InvoiceView {
    const parsed = ldk.Refund.constructor_from_str(lnr);
    if (!(parsed instanceof ldk.Result_RefundBolt12ParseErrorZ_OK)) throw new LdkRejected('refund string', 'Bolt12ParseError');
    const r = this.channelManager.request_refund_payment(parsed.res);
    if (!(r instanceof ldk.Result_Bolt12InvoiceBolt12SemanticErrorZ_OK)) {
      throw new LdkRejected('request_refund_payment', semanticErrorName((r as ldk.Result_Bolt12InvoiceBolt12SemanticErrorZ_Err).err));
    }
    this.pump();
    return invoiceView(r.res);
  }

  /**
   * Sends an onion message with one payload of type `tlvType` (≥ 64) and the given bytes, to a node
   * id or into a blinded path (the BOLT 4 `blinded_path` bytes). `replyPath`: 'ldk' makes LDK attach
   * a reply path to itself (context = Custom(replyContext)); bytes attach that path as is.
   * LDK needs the first hop to be a connected peer with onion message support.
   */
  sendOnionMessage(args: {
    tlvType: bigint;
    payload: Uint8Array;
    to: { nodeId: Uint8Array } | { blindedPath: Uint8Array };
    replyPath?: 'ldk' | Uint8Array;
    replyContext?: Uint8Array;
  }): void {
    const dest =
      'nodeId' in args.to
        ? ldk.Destination.constructor_node(args.to.nodeId)
        : ldk.Destination.constructor_blinded_path(readMessagePath(args.to.blindedPath));
    let instr: ldk.MessageSendInstructions;
    if (args.replyPath === undefined) instr = ldk.MessageSendInstructions.constructor_without_reply_path(dest);
    else if (args.replyPath === 'ldk') {
      instr = ldk.MessageSendInstructions.constructor_with_reply_path(
        dest,
        ldk.MessageContext.constructor_custom(args.replyContext ?? new Uint8Array(0)),
      );
    } else {
      instr = ldk.MessageSendInstructions.constructor_with_specified_reply_path(dest, readMessagePath(args.replyPath));
    }
    const r = this.onionMessenger.send_onion_message(rawContents(args.tlvType, args.payload), instr);
    if (!(r instanceof ldk.Result_SendSuccessSendErrorZ_OK)) {
      const err = (r as ldk.Result_SendSuccessSendErrorZ_Err).err;
      throw new LdkRejected('send_onion_message', err.constructor.name.replace(/^SendError_/, ''));
    }
    this.pump();
  }

  /**
   * A blinded path to this LDK node for onion messages, with context `Custom(context)`, so that
   * custom messages arriving through it are reported with that context. `via` lists node ids of
   * hops before LDK (the first is the introduction node: e.g. our node, so the path starts at us).
   */
  buildBlindedPathToSelf(args: { via?: Uint8Array[]; context?: Uint8Array } = {}): BlindedPathView {
    const ctx = ldk.MessageContext.constructor_custom(args.context ?? new Uint8Array(0));
    const hops = (args.via ?? []).map((id) => ldk.MessageForwardNode.constructor_new(id, ldk.Option_u64Z.constructor_none()));
    const r = ldk.BlindedMessagePath.constructor_new(hops, this.nodeId, ctx, this.keys.as_EntropySource());
    if (!(r instanceof ldk.Result_BlindedMessagePathNoneZ_OK)) throw new LdkRejected('blinded path', 'BlindedMessagePath::new');
    return messagePathView(r.res);
  }

  // -------------------------------------------------------------------------------------------
  // Gossip

  /**
   * Runs `f` on `NetworkGraph.read_only()`. That view holds the graph's read locks until freed;
   * one left to the garbage collector makes LDK's next graph write panic (WASM "unreachable"),
   * so it is freed here whatever happens.
   */
  private withGraph<T>(f: (g: ldk.ReadOnlyNetworkGraph) => T): T {
    const g = this.graph.read_only();
    try {
      return f(g);
    } finally {
      g.free();
    }
  }

  /** Every channel in LDK's NetworkGraph, by ascending scid. */
  graphChannels(): LdkGraphChannelView[] {
    const out = this.withGraph((g) => {
      const list: LdkGraphChannelView[] = [];
      for (const scid of g.list_channels()) {
        const c = g.channel(scid);
        if (isPresent(c)) list.push(graphChannelView(scid, c));
      }
      return list;
    });
    return out.sort((a, b) => (a.scid < b.scid ? -1 : a.scid > b.scid ? 1 : 0));
  }

  /** One channel of LDK's NetworkGraph, or undefined. */
  graphChannel(scid: bigint): LdkGraphChannelView | undefined {
    return this.withGraph((g) => {
      const c = g.channel(scid);
      return isPresent(c) ? graphChannelView(scid, c) : undefined;
    });
  }

  /** Every node in LDK's NetworkGraph (each an end of some channel), by ascending node id. */
  graphNodes(): LdkGraphNodeView[] {
    const out = this.withGraph((g) => {
      const list: LdkGraphNodeView[] = [];
      for (const id of g.list_nodes()) {
        const n = g.node(id);
        if (isPresent(n)) list.push(graphNodeView(id.as_slice(), n));
      }
      return list;
    });
    return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  /** One node of LDK's NetworkGraph, or undefined. */
  graphNode(nodeId: Uint8Array): LdkGraphNodeView | undefined {
    return this.withGraph((g) => {
      const n = g.node(ldk.NodeId.constructor_from_pubkey(nodeId));
      return isPresent(n) ? graphNodeView(nodeId, n) : undefined;
    });
  }

  /**
   * Hands raw BOLT 7 messages (u16 type + payload: 256 channel_announcement, 257 node_announcement,
   * 258 channel_update) to LDK's P2PGossipSync as if they came from peer `from` (default: no peer),
   * in order, and reports per message what LDK said. LDK parses each with its own reader (a decode
   * failure is reported as `decode: <DecodeError>`), then `handle_channel_announcement` /
   * `handle_node_announcement` / `handle_channel_update` check and store it. Messages accepted this
   * way are not relayed to connected peers; LDK serves them in its graph sync and in
   * `reply_channel_range`.
   */
  feedGossip(rawMessages: Uint8Array[], from?: Uint8Array): LdkGossipResult[] {
    const rh = this.gossipSync.as_RoutingMessageHandler();
    const peer = from ?? null;
    const results = rawMessages.map((raw): LdkGossipResult => {
      if (raw.length < 2) return { type: -1, ok: false, error: 'decode: message shorter than its type' };
      const type = (raw[0]! << 8) | raw[1]!;
      const payload = raw.subarray(2);
      let r: ldk.Result_boolLightningErrorZ;
      if (type === GOSSIP_MSG.channel_announcement) {
        const m = ldk.ChannelAnnouncement.constructor_read(payload);
        if (!(m instanceof ldk.Result_ChannelAnnouncementDecodeErrorZ_OK)) {
          return { type, ok: false, error: `decode: ${decodeErrorName((m as ldk.Result_ChannelAnnouncementDecodeErrorZ_Err).err)}` };
        }
        r = rh.handle_channel_announcement(peer, m.res);
      } else if (type === GOSSIP_MSG.node_announcement) {
        const m = ldk.NodeAnnouncement.constructor_read(payload);
        if (!(m instanceof ldk.Result_NodeAnnouncementDecodeErrorZ_OK)) {
          return { type, ok: false, error: `decode: ${decodeErrorName((m as ldk.Result_NodeAnnouncementDecodeErrorZ_Err).err)}` };
        }
        r = rh.handle_node_announcement(peer, m.res);
      } else if (type === GOSSIP_MSG.channel_update) {
        const m = ldk.ChannelUpdate.constructor_read(payload);
        if (!(m instanceof ldk.Result_ChannelUpdateDecodeErrorZ_OK)) {
          return { type, ok: false, error: `decode: ${decodeErrorName((m as ldk.Result_ChannelUpdateDecodeErrorZ_Err).err)}` };
        }
        r = rh.handle_channel_update(peer, m.res);
      } else {
        return { type, ok: false, error: `not a gossip announcement/update type: ${type}` };
      }
      if (r instanceof ldk.Result_boolLightningErrorZ_OK) return { type, ok: true, relay: !!r.res };
      const e = (r as ldk.Result_boolLightningErrorZ_Err).err;
      return { type, ok: false, error: e.get_err(), action: e.get_action().constructor.name.replace(/^ErrorAction_/, '') };
    });
    this.pump();
    return results;
  }

  /**
   * Every message kind LDK received from / queued for `peer`, with counts (see messageCount). Gossip
   * counts come from LDK's Gossip-level trace lines. Not counted by LDK 0.1's logs: a received
   * `gossip_timestamp_filter` (handled before the "Received message" line) and gossip LDK relays
   * from other peers (queued without a per-peer line: see gossipBroadcastCount).
   */
  messageCounts(peer: Uint8Array): { in: Record<string, number>; out: Record<string, number> } {
    const res = { in: {} as Record<string, number>, out: {} as Record<string, number> };
    const suffix = ` ${hex(peer)}`;
    for (const [k, n] of this.msgCounts) {
      if (!k.endsWith(suffix)) continue;
      const [dir, kind] = k.split(' ') as ['in' | 'out', string];
      res[dir][kind] = n;
    }
    return res;
  }

  /**
   * How many gossip messages of a kind ('ChannelAnnouncement', 'NodeAnnouncement', 'ChannelUpdate')
   * LDK relayed to its peers (one count per relayed message, whatever the number of peers; LDK skips
   * the sender, a channel's own nodes for its announcement, the node itself for its announcement,
   * and peers with gossip_queries that have not sent a gossip_timestamp_filter).
   */
  gossipBroadcastCount(kind: string): number {
    return this.broadcastCounts.get(kind) ?? 0;
  }

  // -------------------------------------------------------------------------------------------
  // Channels (issue 13): LDK opens, funds (no chain: a made-up segwit funding transaction LDK
  // trusts for zero-conf), pays over it, closes. Facts in /work/shared/interop/LDK.md.

  /**
   * `create_channel` to `peer`, then, on Event_FundingGenerationReady, `funding_transaction_generated`
   * with a version-2 segwit transaction spending a made-up outpoint (non-empty witness) into exactly
   * the event's output. Resolves with LDK's channel id once LDK has handed the funding over
   * (funding_created sent); wait for Event_ChannelReady after.
   */
  async openChannel(peer: Uint8Array, fundingSatoshis: bigint, pushMsat = 0n, timeoutMs = 10_000): Promise<{ temporaryChannelId: ldk.ChannelId; fundingTx: Uint8Array }> {
    const from = this.events.length;
    const r = this.channelManager.create_channel(peer, fundingSatoshis, pushMsat, BigInt(++this.paymentCounter), null, null);
    if (!(r instanceof ldk.Result_ChannelIdAPIErrorZ_OK)) throw new LdkRejected('create_channel', apiErrorText((r as ldk.Result_ChannelIdAPIErrorZ_Err).err));
    const ev = await this.waitForEvent(isFundingGenerationReady, timeoutMs, from);
    const fundingTx = fakeFundingTx(ev.output_script, ev.channel_value_satoshis, this.paymentCounter);
    const f = this.channelManager.funding_transaction_generated(ev.temporary_channel_id, ev.counterparty_node_id, fundingTx);
    if (!(f instanceof ldk.Result_NoneAPIErrorZ_OK)) throw new LdkRejected('funding_transaction_generated', apiErrorText((f as ldk.Result_NoneAPIErrorZ_Err).err));
    this.pump();
    return { temporaryChannelId: ev.temporary_channel_id, fundingTx };
  }

  /** LDK's channels (ChannelDetails) as plain fields. */
  channels(): LdkChannelView[] {
    return this.channelManager.list_channels().map((c) => {
      const scid = c.get_short_channel_id();
      const inScid = c.get_inbound_scid_alias();
      return {
        channelId: c.get_channel_id().write(),
        channelIdObject: c.get_channel_id(),
        counterparty: c.get_counterparty().get_node_id(),
        ready: !!c.get_is_channel_ready(),
        usable: !!c.get_is_usable(),
        outboundCapacityMsat: c.get_outbound_capacity_msat(),
        inboundCapacityMsat: c.get_inbound_capacity_msat(),
        balanceMsat: c.get_outbound_capacity_msat(),
        valueSatoshis: c.get_channel_value_satoshis(),
        ...(scid instanceof ldk.Option_u64Z_Some ? { shortChannelId: scid.some } : {}),
        ...(inScid instanceof ldk.Option_u64Z_Some ? { inboundScidAlias: inScid.some } : {}),
      };
    });
  }

  /** `close_channel`: LDK starts a mutual close (shutdown, then closing_signed as funder). */
  closeChannel(channelId: ldk.ChannelId, counterparty: Uint8Array): void {
    const r = this.channelManager.close_channel(channelId, counterparty);
    if (!(r instanceof ldk.Result_NoneAPIErrorZ_OK)) throw new LdkRejected('close_channel', apiErrorText((r as ldk.Result_NoneAPIErrorZ_Err).err));
    this.pump();
  }

  /** Events of a given class emitted so far. */
  eventsOf<E extends ldk.Event>(guard: (e: ldk.Event) => e is E): E[] {
    return this.events.filter(guard);
  }

  /** Log lines whose message matches. */
  logsMatching(re: RegExp): LdkLogRecord[] {
    return this.logs.filter((l) => re.test(l.message));
  }

  /** Stops the pump, disconnects every peer and closes the listener, so the process can exit. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pumpTimer);
    const servers = [...(this.net as unknown as { servers: Server[] }).servers];
    this.net.stop(); // closes listeners and calls disconnect_all_peers → socket.destroy()
    await Promise.all(
      servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))),
    );
  }

  private nextPaymentId(): Uint8Array {
    const id = new Uint8Array(32);
    id.set(this.nodeId.subarray(1, 29));
    new DataView(id.buffer).setUint32(28, ++this.paymentCounter);
    return id;
  }

  private onLog(r: ldk.Record): void {
    const level = r.get_level();
    const message = r.get_args();
    // Count wire messages from the peer handler's trace lines (see messageCount).
    const m = /^(Received|Enqueueing) message (\w+)[ ({].* (?:from|to) ([0-9a-f]{66})$/s.exec(message);
    if (m) {
      const key = `${m[1] === 'Received' ? 'in' : 'out'} ${m[2]} ${m[3]}`;
      this.msgCounts.set(key, (this.msgCounts.get(key) ?? 0) + 1);
    }
    // Relayed gossip is queued for each peer without a per-peer log line; count the broadcasts.
    const b = /^Sending message to all peers except .*?: (\w+) \{/s.exec(message);
    if (b) this.broadcastCounts.set(b[1]!, (this.broadcastCounts.get(b[1]!) ?? 0) + 1);
    this.logCount++;
    // Gossip-level records are chatty and useless here (unless the node gossips): count them, do not keep them.
    if (level === ldk.Level.LDKLevel_Gossip && !this.printLogs && !this.opts.gossip) return;
    const rec: LdkLogRecord = { level, module: r.get_module_path(), message };
    const peer = r.get_peer_id();
    if (peer && peer.length === 33 && peer.some((b) => b !== 0)) rec.peer = peer;
    this.logs.push(rec);
    if (this.logs.length > this.maxLogs) this.logs.splice(0, this.logs.length - this.maxLogs);
    if (this.printLogs) {
      // eslint-disable-next-line no-console
      console.error(`[ldk ${hex(this.nodeId).slice(0, 8)} ${ldk.Level[rec.level]}] ${rec.module}: ${rec.message}`);
    }
  }
}

/**
 * The bindings hand JS callbacks a wrapper object even for a Rust `None` (e.g. the `Responder` of a
 * message without reply path); the wrapper's pointer is then 0.
 */
function isPresent(o: object | null | undefined): boolean {
  return o !== null && o !== undefined && (o as unknown as { ptr: bigint }).ptr !== 0n;
}

/** An OnionMessageContents carrying `bytes` under payload type `tlvType`, written as is. */
function rawContents(tlvType: bigint, bytes: Uint8Array): ldk.OnionMessageContents {
  const copy = Uint8Array.from(bytes);
  return ldk.OnionMessageContents.new_impl({
    tlv_type: () => tlvType,
    msg_type: () => `raw-${tlvType}`,
    write: () => copy,
    debug_str: () => `raw onion message payload type ${tlvType}, ${copy.length} bytes`,
  });
}

function readMessagePath(bytes: Uint8Array): ldk.BlindedMessagePath {
  const r = ldk.BlindedMessagePath.constructor_read(bytes);
  if (!(r instanceof ldk.Result_BlindedMessagePathDecodeErrorZ_OK)) {
    throw new LdkRejected('blinded path bytes', decodeErrorName((r as ldk.Result_BlindedMessagePathDecodeErrorZ_Err).err));
  }
  return r.res;
}

function semanticErrorName(e: ldk.Bolt12SemanticError): string {
  return (ldk.Bolt12SemanticError[e] ?? String(e)).replace(/^LDKBolt12SemanticError_/, '');
}

// Type guards for the events tests wait for.
export const isInvoiceReceived = (e: ldk.Event): e is ldk.Event_InvoiceReceived => e instanceof ldk.Event_InvoiceReceived;
export const isPaymentFailed = (e: ldk.Event): e is ldk.Event_PaymentFailed => e instanceof ldk.Event_PaymentFailed;
export const isConnectionNeeded = (e: ldk.Event): e is ldk.Event_ConnectionNeeded => e instanceof ldk.Event_ConnectionNeeded;

export const isFundingGenerationReady = (e: ldk.Event): e is ldk.Event_FundingGenerationReady => e instanceof ldk.Event_FundingGenerationReady;
export const isChannelReady = (e: ldk.Event): e is ldk.Event_ChannelReady => e instanceof ldk.Event_ChannelReady;
export const isChannelClosed = (e: ldk.Event): e is ldk.Event_ChannelClosed => e instanceof ldk.Event_ChannelClosed;
export const isPaymentSent = (e: ldk.Event): e is ldk.Event_PaymentSent => e instanceof ldk.Event_PaymentSent;

/** A channel as LDK lists it (ChannelDetails). */
export interface LdkChannelView {
  /** The 32-byte channel_id. */
  channelId: Uint8Array;
  channelIdObject: ldk.ChannelId;
  counterparty: Uint8Array;
  ready: boolean;
  usable: boolean;
  outboundCapacityMsat: bigint;
  inboundCapacityMsat: bigint;
  balanceMsat: bigint;
  valueSatoshis: bigint;
  shortChannelId?: bigint;
  inboundScidAlias?: bigint;
}

function apiErrorText(e: ldk.APIError): string {
  const err = (e as unknown as { err?: string }).err;
  return `${e.constructor.name.replace(/^APIError_/, '')}${err ? `: ${err}` : ''}`;
}

/**
 * A funding transaction LDK accepts without a chain (LDK.md): version 2, segwit, one input spending
 * a made-up outpoint with a one-item witness, exactly one output (the event's script and value),
 * locktime 0. Written by hand here so the harness depends on nothing in src/.
 */
export function fakeFundingTx(script: Uint8Array, valueSat: bigint, n: number): Uint8Array {
  const out: number[] = [];
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const u64 = (v: bigint) => {
    for (let i = 0n; i < 8n; i++) out.push(Number((v >> (8n * i)) & 0xffn));
  };
  const varint = (v: number) => {
    if (v < 0xfd) out.push(v);
    else out.push(0xfd, v & 0xff, v >> 8);
  };
  u32(2);
  out.push(0x00, 0x01); // segwit marker and flag
  varint(1);
  for (let i = 0; i < 32; i++) out.push((n * 31 + i * 7 + 1) & 0xff); // prevout txid
  u32(0);
  varint(0); // empty scriptSig
  u32(0xffffffff);
  varint(1);
  u64(valueSat);
  varint(script.length);
  out.push(...script);
  varint(1); // witness: one item
  varint(1);
  out.push(0x01);
  u32(0); // locktime
  return Uint8Array.from(out);
}
