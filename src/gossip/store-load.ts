// Rebuild the graph from the gossip store on startup. No signature is checked: every record was
// validated before it was written, and its CRC (checked when the store was opened) says it is
// what was written. channel_announcement and channel_update are read at their fixed BOLT 7 field
// offsets (no full decode: this is the hot path, 240k of them at mainnet scale); node_announcement
// goes through the codec (its addresses are variable). Records the graph refuses (a duplicate, an
// update older than the one kept, anything for a channel or node no longer there) are marked
// deleted, so the next compaction drops them.
import { bytesEqual } from '../util/bytes.ts';
import type { Logger } from '../util/log.ts';
import { GOSSIP_MSG, channelUpdateChecksum, decodeNodeAnnouncement } from '../wire/gossip.ts';
import type { ChannelGraph } from './graph.ts';
import { toGraphAddresses } from './graph-addresses.ts';
import type { GossipStore } from './store.ts';

export interface LoadGraphOptions {
  /** Skip (and mark deleted) messages of another chain; default: keep whatever is there. */
  chainHash?: Uint8Array;
  logger?: Logger;
}

export interface LoadGraphReport {
  channels: number;
  updates: number;
  nodeAnnouncements: number;
  /** Records not applied, by reason (each was marked deleted). */
  skipped: Record<'duplicate' | 'stale' | 'unknown-channel' | 'unknown-node' | 'full' | 'malformed' | 'other-chain' | 'unknown-type', number>;
  /** The newest timestamp of any channel_update or node_announcement loaded (0: none). */
  newestTimestamp: number;
  ms: number;
}

// BOLT 7 field offsets within the framed message (2-byte type first).
// channel_announcement: 4 signatures (256), `len` (2), `features` (len), chain_hash (32),
// short_channel_id (8), node_id_1 (33), node_id_2 (33), bitcoin_key_1 (33), bitcoin_key_2 (33).
const CA_LEN = 2 + 256;
const CA_FIXED_AFTER_FEATURES = 32 + 8 + 4 * 33;
// channel_update: signature (64), chain_hash (32) at 66, short_channel_id (8) at 98, timestamp
// (4) at 106, message_flags at 110, channel_flags at 111, cltv_expiry_delta (2) at 112,
// htlc_minimum_msat (8) at 114, fee_base_msat (4) at 122, fee_proportional_millionths (4) at 126,
// htlc_maximum_msat (8) at 130; 138 bytes in all.
const CU_CHAIN = 66;
const CU_SCID = 98;
const CU_TIMESTAMP = 106;
const CU_BYTES = 138;

/** Fill `graph` (empty, or not: duplicates are skipped) from the store's live records. */
export function loadGraph(store: GossipStore, graph: ChannelGraph, opts: LoadGraphOptions = {}): LoadGraphReport {
  const t0 = performance.now();
  const report: LoadGraphReport = {
    channels: 0,
    updates: 0,
    nodeAnnouncements: 0,
    skipped: { duplicate: 0, stale: 0, 'unknown-channel': 0, 'unknown-node': 0, full: 0, malformed: 0, 'other-chain': 0, 'unknown-type': 0 },
    newestTimestamp: 0,
    ms: 0,
  };
  const chain = opts.chainHash;
  const live = store.openReport.live;
  graph.reserve(graph.channelCount + live.channelAnnouncements, graph.nodeCount + live.nodeAnnouncements);
  const dead: number[] = [];
  const skip = (offset: number, why: keyof LoadGraphReport['skipped']) => {
    report.skipped[why]++;
    dead.push(offset);
  };
  let dvOf: ArrayBufferLike | undefined;
  let whole: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  store.visitRecords((rec) => {
    const m = rec.message;
    // One DataView per read chunk (not per record); `b` is the message's start within it.
    if (m.buffer !== dvOf) {
      dvOf = m.buffer;
      whole = new DataView(m.buffer);
    }
    const b = m.byteOffset;
    const type = (m[0]! << 8) | m[1]!;
    if (type === GOSSIP_MSG.channel_announcement) {
      if (m.length < CA_LEN + 2) {
        skip(rec.offset, 'malformed');
        return;
      }
      const flen = whole.getUint16(b + CA_LEN);
      const f = CA_LEN + 2 + flen; // chain_hash
      if (m.length < f + CA_FIXED_AFTER_FEATURES) {
        skip(rec.offset, 'malformed');
        return;
      }
      if (chain && !bytesEqual(m.subarray(f, f + 32), chain)) {
        skip(rec.offset, 'other-chain');
        return;
      }
      const r = graph.addChannel({
        scid: whole.getBigUint64(b + f + 32),
        nodeId1: m.subarray(f + 40, f + 73),
        nodeId2: m.subarray(f + 73, f + 106),
        features: flen > 0 ? m.subarray(CA_LEN + 2, f) : undefined,
        offset: rec.offset,
        addedAt: rec.timestamp,
      });
      if (r === 'added') report.channels++;
      else skip(rec.offset, r === 'invalid' ? 'malformed' : r);
    } else if (type === GOSSIP_MSG.channel_update) {
      if (m.length < CU_BYTES) {
        skip(rec.offset, 'malformed');
        return;
      }
      if (chain && !bytesEqual(m.subarray(CU_CHAIN, CU_CHAIN + 32), chain)) {
        skip(rec.offset, 'other-chain');
        return;
      }
      const row = graph.channelRowOf(whole.getUint32(b + CU_SCID), whole.getUint32(b + CU_SCID + 4));
      if (row < 0) {
        skip(rec.offset, 'unknown-channel');
        return;
      }
      const timestamp = whole.getUint32(b + CU_TIMESTAMP);
      const r = graph.applyUpdateAt(row, {
        timestamp,
        messageFlags: m[110]!,
        channelFlags: m[111]!,
        cltvExpiryDelta: whole.getUint16(b + 112),
        htlcMinimumMsat: whole.getBigUint64(b + 114),
        feeBaseMsat: whole.getUint32(b + 122),
        feeProportionalMillionths: whole.getUint32(b + 126),
        htlcMaximumMsat: whole.getBigUint64(b + 130),
        offset: rec.offset,
        // BOLT 7: "the CRC32C checksum ... of this `channel_update` without its `signature` and
        // `timestamp` fields": chain_hash and short_channel_id, then all after timestamp.
        checksum: channelUpdateChecksum(m.subarray(2)),
      });
      if (r.status === 'applied') {
        report.updates++;
        if (r.replacedOffset >= 0) dead.push(r.replacedOffset);
        if (timestamp > report.newestTimestamp) report.newestTimestamp = timestamp;
      } else skip(rec.offset, r.status === 'unknown-channel' ? 'unknown-channel' : 'stale');
    } else if (type === GOSSIP_MSG.node_announcement) {
      let n;
      try {
        n = decodeNodeAnnouncement(m.subarray(2));
      } catch {
        skip(rec.offset, 'malformed');
        return;
      }
      const r = graph.setNodeAnnouncement({
        nodeId: n.nodeId,
        timestamp: n.timestamp,
        features: n.features,
        addresses: toGraphAddresses(n.addresses),
        alias: n.alias,
        rgbColor: n.rgbColor,
        offset: rec.offset,
      });
      if (r.status === 'applied') {
        report.nodeAnnouncements++;
        if (r.replacedOffset >= 0) dead.push(r.replacedOffset);
        if (n.timestamp > report.newestTimestamp) report.newestTimestamp = n.timestamp;
      } else skip(rec.offset, r.status);
    } else {
      skip(rec.offset, 'unknown-type');
    }
  });
  for (const o of dead) store.markDeleted(o);
  if (dead.length > 0) store.flush();
  report.ms = performance.now() - t0;
  const sk = Object.entries(report.skipped).filter(([, v]) => v > 0);
  opts.logger?.info(
    `gossip store: loaded ${report.channels} channels, ${report.updates} updates, ${report.nodeAnnouncements} node announcements in ${report.ms.toFixed(0)} ms` +
      (sk.length > 0 ? ` (skipped ${sk.map(([k, v]) => `${v} ${k}`).join(', ')})` : ''),
  );
  return report;
}
