import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChannelGraph, NODE_ONION_MESSAGES } from '../../src/gossip/graph.ts';
import {
  GOSSIP_STORE_HEADER_BYTES,
  RECORD_HEADER_BYTES,
  compactGossipStore,
  loadGraph,
  openGossipStore,
  type GossipStoreOptions,
} from '../../src/gossip/store.ts';
import { crc32, crc32Js } from '../../src/gossip/store-crc.ts';
import { toGraphAddresses, ipv6Text, base32Lower } from '../../src/gossip/graph-addresses.ts';
import { CHAIN_HASH, channelUpdateChecksum } from '../../src/wire/index.ts';
import { bytesEqual } from '../../src/util/bytes.ts';
import { tempDir } from '../tmp.ts';
import { NO_ONION, ONION, nid, scid } from '../pathfinding/helpers.ts';
import { chanAnn, chanUpd, nodeAnn } from './store-helpers.ts';

const T = 1_700_000_000;
const QUIET: GossipStoreOptions = { flushIntervalMs: 0 };

function file(dir: string) {
  return join(dir, 'gossip_store');
}

describe('gossip store: records', () => {
  it('round-trips messages through the buffer, the file and a reopen', () => {
    const dir = tempDir('gs-rt-');
    const s = openGossipStore(dir, QUIET);
    expect(s.openReport).toMatchObject({ created: true, records: 0, truncatedBytes: 0, corrupt: false });
    const msgs = [chanAnn(scid(1), 1, 2), chanUpd(scid(1), 0, T), nodeAnn(1, T, ONION), Uint8Array.of(1, 2)];
    const offs = msgs.map((m, i) => s.append(m, T + i));
    expect(offs[0]).toBe(GOSSIP_STORE_HEADER_BYTES);
    expect(offs[1]).toBe(offs[0]! + RECORD_HEADER_BYTES + msgs[0]!.length);
    msgs.forEach((m, i) => expect(s.read(offs[i]!)).toEqual(m)); // from the buffer
    s.flush();
    msgs.forEach((m, i) => expect(s.read(offs[i]!)).toEqual(m)); // from the file
    expect(() => s.read(3)).toThrow(RangeError);
    expect(() => s.read(s.endOffset)).toThrow(RangeError);
    expect(() => s.append(new Uint8Array(1), T)).toThrow(RangeError);
    expect(() => s.append(new Uint8Array(65536), T)).toThrow(RangeError);
    const big = new Uint8Array(65535).fill(7); // the largest BOLT 1 message
    const bigOff = s.append(big, T);
    s.close();
    expect(() => s.append(msgs[0]!, T)).toThrow(/closed/);
    const r = openGossipStore(dir, QUIET);
    expect(r.openReport).toMatchObject({ created: false, records: 5, deletedRecords: 0, truncatedBytes: 0 });
    const recs = [...r.records()];
    expect(recs.map((x) => x.offset)).toEqual([...offs, bigOff]);
    expect(recs.map((x) => x.timestamp)).toEqual([T, T + 1, T + 2, T + 3, T]);
    recs.slice(0, 4).forEach((x, i) => expect(x.message).toEqual(msgs[i]));
    expect(r.read(bigOff)).toEqual(big);
    r.close();
  });

  it('marks records deleted in the buffer and in the file; they survive a reopen as deleted', () => {
    const dir = tempDir('gs-del-');
    const s = openGossipStore(dir, QUIET);
    const a = s.append(chanUpd(scid(1), 0, T), T);
    s.flush();
    const b = s.append(chanUpd(scid(1), 0, T + 1), T + 1);
    s.markDeleted(a); // in the file: batched until the next write
    s.markDeleted(b); // still buffered
    s.markDeleted(12345678); // unknown offsets are ignored
    const c = s.append(chanUpd(scid(1), 0, T + 2), T + 2);
    expect(s.counts()).toMatchObject({ live: 1, deleted: 2 });
    s.close();
    const r = openGossipStore(dir, { ...QUIET, compactMinBytes: 1e9 });
    expect(r.openReport).toMatchObject({ records: 3, deletedRecords: 2, compacted: false });
    expect([...r.records()].map((x) => x.offset)).toEqual([c]);
    expect([...r.records({ includeDeleted: true })].map((x) => [x.offset, x.deleted])).toEqual([[a, true], [b, true], [c, false]]);
    r.close();
  });

  it('reads records across its 4 MiB read chunks (scan, records, compaction)', () => {
    const dir = tempDir('gs-chunks-');
    const s = openGossipStore(dir, QUIET);
    let x = 7;
    const sizes: number[] = [];
    let total = 0;
    while (total < 9.5 * 2 ** 20) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const n = sizes.length % 97 === 0 ? 65535 : 2 + (x % 3000);
      sizes.push(n);
      total += n + RECORD_HEADER_BYTES;
    }
    const msg = (i: number) => new Uint8Array(sizes[i]!).fill(i & 0xff).map((v, k) => (k < 4 ? (i >>> (8 * k)) & 0xff : v));
    const offs = sizes.map((_, i) => s.append(msg(i), i));
    offs.forEach((o, i) => i % 3 === 0 && s.markDeleted(o));
    s.close();
    const r = openGossipStore(dir, { ...QUIET, compactMinBytes: 1e12 });
    expect(r.openReport).toMatchObject({ records: sizes.length, corrupt: false, truncatedBytes: 0 });
    let k = 0;
    let seen = 0;
    r.visitRecords((rec) => {
      while (k % 3 === 0) k++;
      expect(rec.offset).toBe(offs[k]);
      expect(rec.timestamp).toBe(k);
      expect(bytesEqual(rec.message, msg(k))).toBe(true);
      k++;
      seen++;
    });
    expect(seen).toBe(sizes.filter((_, i) => i % 3 !== 0).length);
    const remap = r.compact();
    expect(remap(offs[1]!)).toBe(GOSSIP_STORE_HEADER_BYTES);
    expect(remap(offs[0]!)).toBe(-1);
    expect(r.read(remap(offs[sizes.length - 1]!))).toEqual(msg(sizes.length - 1));
    r.close();
  });

  it('cuts a torn last record after a crash, keeping everything before it', () => {
    const dir = tempDir('gs-torn-');
    const s = openGossipStore(dir, QUIET);
    const msgs = [chanAnn(scid(1), 1, 2), chanUpd(scid(1), 0, T), chanUpd(scid(1), 1, T)];
    const offs = msgs.map((m) => s.append(m, T));
    s.close();
    const full = statSync(file(dir)).size;
    for (const cut of [1, 5, RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + msgs[2]!.length - 1]) {
      truncateSync(file(dir), full - cut);
      const r = openGossipStore(dir, QUIET);
      expect(r.openReport).toMatchObject({ records: 2, corrupt: false, truncatedBytes: RECORD_HEADER_BYTES + msgs[2]!.length - cut });
      expect(statSync(file(dir)).size).toBe(offs[2]);
      expect([...r.records()].map((x) => x.message)).toEqual(msgs.slice(0, 2));
      // appends continue where the good records end
      expect(r.append(msgs[2]!, T)).toBe(offs[2]);
      r.close();
      expect(statSync(file(dir)).size).toBe(full);
    }
  });

  it('detects a corrupted record by its CRC and cuts the store there', () => {
    const dir = tempDir('gs-crc-');
    const s = openGossipStore(dir, QUIET);
    const msgs = [chanAnn(scid(1), 1, 2), chanUpd(scid(1), 0, T), chanUpd(scid(1), 1, T)];
    const offs = msgs.map((m) => s.append(m, T));
    s.close();
    for (const [at, what] of [
      [offs[1]! + RECORD_HEADER_BYTES + 70, 'a payload byte'],
      [offs[1]! + 9, 'the timestamp'],
      [offs[1]! + 5, 'the crc'],
    ] as const) {
      const img = readFileSync(file(dir));
      const copy = Buffer.from(img);
      copy[at] ^= 0x40;
      writeFileSync(file(dir), copy);
      const r = openGossipStore(dir, QUIET);
      expect(r.openReport.corrupt, what).toBe(true);
      expect(r.openReport.records).toBe(1);
      expect(r.openReport.truncatedBytes).toBe(img.length - offs[1]!);
      expect([...r.records()].map((x) => x.message)).toEqual([msgs[0]]);
      r.append(msgs[1]!, T);
      r.append(msgs[2]!, T);
      r.close();
    }
  });

  it('moves a file of another format aside and starts empty', () => {
    const dir = tempDir('gs-bad-');
    writeFileSync(file(dir), Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9, 9, 9));
    const s = openGossipStore(dir, QUIET);
    expect(s.openReport).toMatchObject({ badHeader: true, created: true, records: 0 });
    expect(existsSync(`${file(dir)}.corrupt`)).toBe(true);
    s.close();
  });

  it('compacts on open when deleted records dominate, atomically, with offsets renumbered', () => {
    const dir = tempDir('gs-compact-');
    const s = openGossipStore(dir, QUIET);
    const keep: { off: number; m: Uint8Array }[] = [];
    for (let i = 0; i < 200; i++) {
      const m = chanUpd(scid(1), 0, T + i);
      const off = s.append(m, T + i);
      if (i % 4 === 0) keep.push({ off, m });
      else s.markDeleted(off);
    }
    s.close();
    const before = statSync(file(dir)).size;
    // below the minimum size: left alone
    const r0 = openGossipStore(dir, QUIET);
    expect(r0.openReport.compacted).toBe(false);
    r0.close();
    const r = openGossipStore(dir, { ...QUIET, compactMinBytes: 1000, compactRatio: 0.5 });
    expect(r.openReport).toMatchObject({ compacted: true, records: 50, deletedRecords: 0 });
    expect(statSync(file(dir)).size).toBeLessThan(before / 3);
    expect(existsSync(`${file(dir)}.tmp`)).toBe(false);
    const recs = [...r.records()];
    expect(recs.map((x) => x.message)).toEqual(keep.map((k) => k.m));
    expect(recs.map((x) => x.timestamp)).toEqual(keep.map((_, i) => T + 4 * i));
    r.close();
    const again = openGossipStore(dir, QUIET);
    expect(again.openReport).toMatchObject({ records: 50, deletedRecords: 0, corrupt: false, truncatedBytes: 0 });
    again.close();
  });

  it('flushes on its timer', async () => {
    const dir = tempDir('gs-timer-');
    const s = openGossipStore(dir, { flushIntervalMs: 20 });
    s.append(chanUpd(scid(1), 0, T), T);
    expect(statSync(file(dir)).size).toBe(GOSSIP_STORE_HEADER_BYTES);
    await new Promise((r) => setTimeout(r, 80));
    expect(statSync(file(dir)).size).toBeGreaterThan(GOSSIP_STORE_HEADER_BYTES);
    s.close();
  });

  it('CRC-32 matches the check value, natively and in JS', () => {
    const check = new TextEncoder().encode('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Js(check)).toBe(0xcbf43926);
    expect(crc32Js(check.subarray(4), crc32Js(check.subarray(0, 4)))).toBe(0xcbf43926);
  });
});

describe('gossip store: loading the graph', () => {
  function populate(dir: string) {
    const s = openGossipStore(dir, QUIET);
    const g = new ChannelGraph();
    const put = (m: Uint8Array, ts: number) => s.append(m, ts);
    // channels 1-2, 2-3, 3-4, and an update history
    for (const [k, a, b] of [[1, 1, 2], [2, 2, 3], [3, 3, 4]] as const) {
      const m = chanAnn(scid(600_000 + k, k, 0), a, b, { features: k === 2 ? Uint8Array.of(0x02) : undefined });
      g.addChannel({ scid: scid(600_000 + k, k, 0), nodeId1: nid(a), nodeId2: nid(b), features: k === 2 ? Uint8Array.of(2) : undefined, offset: put(m, T), addedAt: T });
    }
    const upd = (k: number, dir: 0 | 1, ts: number, disable = false) => {
      const m = chanUpd(scid(600_000 + k, k, 0), dir, ts, { disable });
      const r = g.applyUpdate({
        scid: scid(600_000 + k, k, 0), timestamp: ts, messageFlags: 1, channelFlags: dir | (disable ? 2 : 0), cltvExpiryDelta: 144,
        htlcMinimumMsat: 1000n, htlcMaximumMsat: 5_000_000_000n, feeBaseMsat: 1000, feeProportionalMillionths: 10,
        offset: put(m, ts), checksum: channelUpdateChecksum(m.subarray(2)),
      });
      if (r.status === 'applied' && r.replacedOffset >= 0) s.markDeleted(r.replacedOffset);
    };
    upd(1, 0, T + 1);
    upd(1, 0, T + 5, true);
    upd(1, 1, T + 2);
    upd(2, 1, T + 3);
    const ann = (n: number, ts: number, f: Uint8Array) => {
      const m = nodeAnn(n, ts, f, n === 1 ? [{ type: 'ipv4', addr: Uint8Array.of(203, 0, 113, 9), port: 9735 }, { type: 'dns', hostname: 'a.example', port: 9736 }] : []);
      const r = g.setNodeAnnouncement({ nodeId: nid(n), timestamp: ts, features: f, addresses: [], alias: new Uint8Array(32), rgbColor: new Uint8Array(3), offset: put(m, ts) });
      if (r.status === 'applied' && r.replacedOffset >= 0) s.markDeleted(r.replacedOffset);
    };
    ann(1, T, NO_ONION);
    ann(1, T + 9, ONION);
    ann(3, T, ONION);
    // channel 3-4 closes: its records go, and node 4 with it
    for (const o of g.deleteChannel(scid(600_003, 3, 0)).offsets) s.markDeleted(o);
    s.close();
    return g;
  }

  it('rebuilds the same graph after a restart, without re-validation', () => {
    const dir = tempDir('gs-load-');
    const want = populate(dir);
    const s = openGossipStore(dir, QUIET);
    const g = new ChannelGraph();
    const rep = loadGraph(s, g, { chainHash: CHAIN_HASH.mainnet });
    expect(rep).toMatchObject({ channels: 2, updates: 3, nodeAnnouncements: 2, newestTimestamp: T + 9 });
    expect(Object.values(rep.skipped).every((v) => v === 0)).toBe(true);
    expect([g.channelCount, g.nodeCount, g.announcedNodeCount]).toEqual([want.channelCount, want.nodeCount, want.announcedNodeCount]);
    expect(g.nodeIndex(nid(4))).toBe(-1);
    for (const k of [1, 2]) {
      const sc = scid(600_000 + k, k, 0);
      const [r1, r2] = [g.channelRow(sc), want.channelRow(sc)];
      expect(g.announcementOffset(r1)).toBe(want.announcementOffset(r2));
      expect(g.channelFeatures(r1)).toEqual(want.channelFeatures(r2));
      expect(g.channelAddedAt(r1)).toBe(T);
      for (const d of [0, 1] as const) expect(g.half(r1, d)).toEqual(want.half(r2, d));
    }
    const n1 = g.nodeAnnouncement(g.nodeIndex(nid(1)))!;
    expect(n1.timestamp).toBe(T + 9);
    expect(n1.addresses).toEqual([{ type: 'ipv4', host: '203.0.113.9', port: 9735 }, { type: 'dns', host: 'a.example', port: 9736 }]);
    expect(new TextDecoder().decode(n1.alias.subarray(0, 6))).toBe('node-1');
    expect(g.nodeFlags[g.nodeIndex(nid(1))]! & NODE_ONION_MESSAGES).toBeTruthy();
    // the offsets answer queries with the stored bytes
    expect(s.read(g.updateOffset(g.channelRow(scid(600_001, 1, 0)), 0))).toEqual(chanUpd(scid(600_001, 1, 0), 0, T + 5, { disable: true }));
    s.close();
  });

  it('marks what the graph refuses deleted (stale, orphaned, duplicate, other chain) and skips unknown types', () => {
    const dir = tempDir('gs-refuse-');
    const s = openGossipStore(dir, QUIET);
    s.append(chanAnn(scid(10), 1, 2), T);
    s.append(chanAnn(scid(10), 1, 2), T); // duplicate
    s.append(chanUpd(scid(10), 0, T + 5), T + 5);
    s.append(chanUpd(scid(10), 0, T + 1), T + 1); // stale (a lost deletion mark)
    s.append(chanUpd(scid(99), 0, T), T); // no such channel
    s.append(nodeAnn(7, T, ONION), T); // no such node
    s.append(chanAnn(scid(11), 1, 3, { chainHash: CHAIN_HASH.testnet }), T);
    s.append(Uint8Array.of(0x01, 0x10, 0xaa), T); // some other type
    s.append(Uint8Array.of(0x01, 0x00, 0xaa), T); // a channel_announcement cut short
    s.close();
    const r = openGossipStore(dir, { ...QUIET, compactMinBytes: 1e9 });
    const g = new ChannelGraph();
    const rep = loadGraph(r, g, { chainHash: CHAIN_HASH.mainnet });
    expect(rep.skipped).toEqual({ duplicate: 1, stale: 1, 'unknown-channel': 1, 'unknown-node': 1, full: 0, malformed: 1, 'other-chain': 1, 'unknown-type': 1 });
    expect([rep.channels, rep.updates]).toEqual([1, 1]);
    expect(r.counts()).toMatchObject({ live: 2, deleted: 7 });
    r.close();
    const again = openGossipStore(dir, { ...QUIET, compactMinBytes: 1e9 });
    expect(again.openReport).toMatchObject({ records: 9, deletedRecords: 7 });
    expect(loadGraph(again, new ChannelGraph()).skipped).toMatchObject({ duplicate: 0, stale: 0 });
    again.close();
  });

  it('compacts at run time and moves the graph\'s offsets with the file', () => {
    const dir = tempDir('gs-runtime-');
    populate(dir);
    const s = openGossipStore(dir, { ...QUIET, compactMinBytes: 1e9 });
    const g = new ChannelGraph();
    loadGraph(s, g);
    const before = { size: s.endOffset, deleted: s.counts().deleted };
    expect(before.deleted).toBeGreaterThan(0);
    const rows = [scid(600_001, 1, 0), scid(600_002, 2, 0)].map((x) => g.channelRow(x));
    const wantBytes = rows.map((r) => [s.read(g.announcementOffset(r)), g.updateOffset(r, 0) >= 0 ? s.read(g.updateOffset(r, 0)) : null]);
    const node1 = s.read(g.nodeAnnouncement(g.nodeIndex(nid(1)))!.offset);
    compactGossipStore(s, g);
    expect(s.endOffset).toBeLessThan(before.size);
    expect(s.counts().deleted).toBe(0);
    rows.forEach((r, i) => {
      expect(s.read(g.announcementOffset(r))).toEqual(wantBytes[i]![0]);
      if (wantBytes[i]![1]) expect(s.read(g.updateOffset(r, 0))).toEqual(wantBytes[i]![1]);
    });
    expect(s.read(g.nodeAnnouncement(g.nodeIndex(nid(1)))!.offset)).toEqual(node1);
    // appends continue after the compacted records, and a reload sees the same graph
    s.append(chanAnn(scid(700_000), 8, 9), T);
    s.close();
    const r = openGossipStore(dir, QUIET);
    const g2 = new ChannelGraph();
    expect(loadGraph(r, g2)).toMatchObject({ channels: 3, updates: 3, nodeAnnouncements: 2 });
    r.close();
  });
});

describe('graph addresses', () => {
  it('converts every descriptor type and drops Tor v2', () => {
    const onion = new Uint8Array(35).map((_, i) => i * 7);
    expect(
      toGraphAddresses([
        { type: 'ipv4', addr: Uint8Array.of(1, 2, 3, 4), port: 1 },
        { type: 'ipv6', addr: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), port: 2 },
        { type: 'torv2', addr: new Uint8Array(10), port: 3 },
        { type: 'torv3', addr: onion, port: 4 },
        { type: 'dns', hostname: 'x.example', port: 5 },
        { type: 'websocket', port: 6 },
      ]),
    ).toEqual([
      { type: 'ipv4', host: '1.2.3.4', port: 1 },
      { type: 'ipv6', host: '2001:db8::1', port: 2 },
      { type: 'torv3', host: `${base32Lower(onion)}.onion`, port: 4 },
      { type: 'dns', host: 'x.example', port: 5 },
      { type: 'websocket', port: 6 },
    ]);
    expect(base32Lower(onion)).toHaveLength(56);
    expect(base32Lower(new TextEncoder().encode('foobar'))).toBe('mzxw6ytboi'); // RFC 4648 vector, unpadded
    expect(ipv6Text(new Uint8Array(16))).toBe('::');
    expect(ipv6Text(Uint8Array.of(0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3))).toBe('1:0:0:2::3');
    expect(ipv6Text(Uint8Array.of(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8))).toBe('1:2:3:4:5:6:7:8');
    expect(ipv6Text(Uint8Array.of(0, 1, 0, 0, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8))).toBe('1:0:3:4:5:6:7:8');
  });
});

