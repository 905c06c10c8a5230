// The gossip store: an append-only file of the raw gossip messages we accepted, so a restart
// rebuilds the graph from disk instead of syncing from peers again (the idea of Core Lightning's
// gossip_store, our own format). Messages are kept as received (framed: u16 type + payload), so
// peers' queries are answered with the signed bytes.
//
//   const store = openGossipStore(join(datadir, network));     // recovers, compacts if worth it
//   const graph = new ChannelGraph();
//   const loaded = loadGraph(store, graph);                    // no signature checks: CRC-guarded
//   const off = store.append(framed, timestamp);               // → offset kept in the graph
//   store.read(off);                                           // → the framed message
//   store.markDeleted(replacedOffset);                         // replaced or pruned
//   store.close();
//
// File `gossip_store`: an 8-byte header (`b12dgs`, version 1, 0), then records:
//
//   [u16 flags][u16 len][u32 crc][u32 timestamp][len bytes: the framed message]
//
// `flags` bit 15: deleted. `crc`: CRC-32 of `timestamp || message` (the header's last 4 bytes and
// the message are contiguous). `len` fits the message: BOLT 1 messages are at most 65535 bytes,
// type included. Offsets are the record's position in the file (≥ 8), stable until compaction.
//
// Durability: appends are buffered and written when the buffer fills (`bufferBytes`), on a timer
// (`flushIntervalMs`) and on flush/close; the file is fdatasync'ed after a write at most every
// `fsyncIntervalMs` (asynchronously, off the event loop) and on close. A crash loses at most the
// last unsynced writes, which peers send again. Deletions set the flag in place (batched with the
// next write). On open, a torn last record (shorter than its header says) is cut off, and so is
// everything from the first record whose CRC fails (it was written in the same unsynced window, or
// the disk is damaged: what follows cannot be trusted to be framed right). When deleted records
// make up more than `compactRatio` of the file, it is rewritten without them (a new file, fsync,
// atomic rename, fsync of the directory); `compactGossipStore` does the same at run time and
// moves the graph's offsets with it.
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../util/log.ts';
import type { ChannelGraph } from './graph.ts';
import { crc32 } from './store-crc.ts';
import type { GossipMessageStore } from './sync.ts';

export const GOSSIP_STORE_FILE = 'gossip_store';
/** `b12dgs`, version, reserved. */
export const GOSSIP_STORE_MAGIC = Uint8Array.of(0x62, 0x31, 0x32, 0x64, 0x67, 0x73, 1, 0);
export const GOSSIP_STORE_HEADER_BYTES = GOSSIP_STORE_MAGIC.length;
/** Bytes of a record's header. */
export const RECORD_HEADER_BYTES = 12;
export const RECORD_DELETED = 0x8000;
/** BOLT 1: a message (type included) is at most 65535 bytes. */
export const MAX_MESSAGE_BYTES = 0xffff;

export interface GossipStoreOptions {
  /** Write buffered appends at least this often, ms (default 1000; 0: only when full or on flush). */
  flushIntervalMs?: number;
  /** fdatasync after writes at most this often, ms (default 5000). */
  fsyncIntervalMs?: number;
  /** Buffered bytes that trigger a write (default 256 KiB). */
  bufferBytes?: number;
  /** On open, compact when deleted bytes exceed this fraction of the records (default 0.25) … */
  compactRatio?: number;
  /** … and at least this many bytes are deleted (default 1 MiB). */
  compactMinBytes?: number;
  logger?: Logger;
}

/** What opening found and did. */
export interface GossipStoreOpenReport {
  path: string;
  /** No file was there (or it had another format: then `badHeader`). */
  created: boolean;
  badHeader: boolean;
  records: number;
  deletedRecords: number;
  /** Bytes cut off the end: a torn last record or everything from a corrupt one on. */
  truncatedBytes: number;
  /** A record failed its CRC (the store was cut there). */
  corrupt: boolean;
  compacted: boolean;
  /** File size after recovery and compaction. */
  bytes: number;
  ms: number;
}

export interface StoreRecord {
  offset: number;
  deleted: boolean;
  timestamp: number;
  /** The framed message (type + payload): a view, valid during the iteration step. */
  message: Uint8Array;
}

export class GossipStoreError extends Error {
  readonly code = 'GOSSIP_STORE';
}

const be16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
const be32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
function put16(b: Uint8Array, o: number, x: number) {
  b[o] = x >>> 8;
  b[o + 1] = x & 0xff;
}
function put32(b: Uint8Array, o: number, x: number) {
  b[o] = x >>> 24;
  b[o + 1] = (x >>> 16) & 0xff;
  b[o + 2] = (x >>> 8) & 0xff;
  b[o + 3] = x & 0xff;
}

interface Scan {
  end: number;
  records: number;
  deletedRecords: number;
  deletedBytes: number;
  corrupt: boolean;
}

/** Walk the records of a file image from the header on; stops at a torn or corrupt record. */
function scan(img: Uint8Array): Scan {
  const s: Scan = { end: GOSSIP_STORE_HEADER_BYTES, records: 0, deletedRecords: 0, deletedBytes: 0, corrupt: false };
  let off = GOSSIP_STORE_HEADER_BYTES;
  while (off + RECORD_HEADER_BYTES <= img.length) {
    const len = be16(img, off + 2);
    const next = off + RECORD_HEADER_BYTES + len;
    if (next > img.length) break; // torn: the record's bytes did not all reach the disk
    if (crc32(img.subarray(off + 8, next)) !== be32(img, off + 4) || len < 2) {
      s.corrupt = true;
      break;
    }
    s.records++;
    if (be16(img, off) & RECORD_DELETED) {
      s.deletedRecords++;
      s.deletedBytes += next - off;
    }
    off = next;
  }
  s.end = off;
  return s;
}

function hasMagic(img: Uint8Array): boolean {
  if (img.length < GOSSIP_STORE_HEADER_BYTES) return false;
  for (let i = 0; i < GOSSIP_STORE_HEADER_BYTES; i++) if (img[i] !== GOSSIP_STORE_MAGIC[i]) return false;
  return true;
}

/** Sorted old offsets → new offsets, from a compaction. */
export type OffsetRemap = (oldOffset: number) => number;

/** Write `img`'s live records to a fresh image; returns it with the offset map. */
function compactImage(img: Uint8Array, end: number): { image: Uint8Array; remap: OffsetRemap; moved: number } {
  let liveBytes = 0;
  let live = 0;
  for (let off = GOSSIP_STORE_HEADER_BYTES; off < end; ) {
    const n = RECORD_HEADER_BYTES + be16(img, off + 2);
    if (!(be16(img, off) & RECORD_DELETED)) (liveBytes += n), live++;
    off += n;
  }
  const out = new Uint8Array(GOSSIP_STORE_HEADER_BYTES + liveBytes);
  out.set(GOSSIP_STORE_MAGIC, 0);
  const olds = new Float64Array(live);
  const news = new Float64Array(live);
  let w = GOSSIP_STORE_HEADER_BYTES;
  let k = 0;
  for (let off = GOSSIP_STORE_HEADER_BYTES; off < end; ) {
    const n = RECORD_HEADER_BYTES + be16(img, off + 2);
    if (!(be16(img, off) & RECORD_DELETED)) {
      out.set(img.subarray(off, off + n), w);
      olds[k] = off;
      news[k++] = w;
      w += n;
    }
    off += n;
  }
  const remap: OffsetRemap = (o) => {
    let lo = 0;
    let hi = live - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = olds[mid]!;
      if (v === o) return news[mid]!;
      if (v < o) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  return { image: out, remap, moved: live };
}

/** Replace the file at `path` by `img` atomically: temp file, fsync, rename, fsync the directory. */
function writeAtomically(dir: string, path: string, img: Uint8Array): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let o = 0;
    while (o < img.length) o += writeSync(fd, img, o, img.length - o, o);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dir);
}

function syncDir(dir: string): void {
  try {
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  }
}

export class GossipStore implements GossipMessageStore {
  readonly path: string;
  readonly openReport: GossipStoreOpenReport;
  private fd: number;
  private readonly dir: string;
  private readonly log: Logger | undefined;
  private readonly flushMs: number;
  private readonly fsyncMs: number;
  private readonly bufCap: number;
  // the file holds [0, bufStart); the buffer holds [bufStart, bufStart + bufLen)
  private buf: Uint8Array;
  private bufLen = 0;
  private bufStart: number;
  private pendingDeletes: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSync = 0;
  private unsynced = false;
  private syncing = false;
  private closed = false;
  /** The file as read on open, for the first `records()` pass (dropped after it). */
  private image: Uint8Array | undefined;
  private liveRecords: number;
  private deletedRecords: number;
  private readonly scratch = new Uint8Array(1024);

  /** Use `openGossipStore`. */
  constructor(dir: string, opts: GossipStoreOptions = {}) {
    const t0 = performance.now();
    this.dir = dir;
    this.path = join(dir, GOSSIP_STORE_FILE);
    this.log = opts.logger;
    this.flushMs = opts.flushIntervalMs ?? 1000;
    this.fsyncMs = opts.fsyncIntervalMs ?? 5000;
    this.bufCap = Math.max(opts.bufferBytes ?? 256 * 1024, RECORD_HEADER_BYTES + MAX_MESSAGE_BYTES);
    this.buf = new Uint8Array(this.bufCap);
    mkdirSync(dir, { recursive: true });
    const report: GossipStoreOpenReport = {
      path: this.path, created: false, badHeader: false, records: 0, deletedRecords: 0, truncatedBytes: 0,
      corrupt: false, compacted: false, bytes: 0, ms: 0,
    };
    let img: Uint8Array | undefined = existsSync(this.path) ? new Uint8Array(readFileSync(this.path)) : undefined;
    if (img && !hasMagic(img)) {
      report.badHeader = true;
      const aside = `${this.path}.corrupt`;
      renameSync(this.path, aside);
      this.log?.warn(`gossip store ${this.path}: not a gossip store of this format; moved to ${aside}, starting empty`);
      img = undefined;
    }
    if (!img) {
      report.created = true;
      img = GOSSIP_STORE_MAGIC.slice();
      writeAtomically(dir, this.path, img);
    }
    const s = scan(img);
    report.records = s.records;
    report.deletedRecords = s.deletedRecords;
    report.corrupt = s.corrupt;
    if (s.end < img.length) {
      report.truncatedBytes = img.length - s.end;
      const fd = openSync(this.path, 'r+');
      try {
        ftruncateSync(fd, s.end);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      img = img.subarray(0, s.end);
      this.log?.warn(
        `gossip store ${this.path}: ${s.corrupt ? 'a record failed its checksum' : 'torn last record'}; cut ${report.truncatedBytes} bytes at offset ${s.end}`,
      );
    }
    const ratio = opts.compactRatio ?? 0.25;
    const minBytes = opts.compactMinBytes ?? 1024 * 1024;
    if (s.deletedBytes > 0 && s.deletedBytes >= minBytes && s.deletedBytes > ratio * (img.length - GOSSIP_STORE_HEADER_BYTES)) {
      const c = compactImage(img, img.length);
      writeAtomically(dir, this.path, c.image);
      this.log?.info(`gossip store: compacted ${img.length} → ${c.image.length} bytes (${s.deletedRecords} deleted records dropped)`);
      img = c.image;
      report.compacted = true;
      report.records = c.moved;
      report.deletedRecords = 0;
    }
    this.liveRecords = report.records - report.deletedRecords;
    this.deletedRecords = report.deletedRecords;
    this.fd = openSync(this.path, 'r+');
    this.bufStart = img.length;
    this.image = img;
    report.bytes = img.length;
    report.ms = performance.now() - t0;
    this.openReport = report;
  }

  /** Offset the next append gets. */
  get endOffset(): number {
    return this.bufStart + this.bufLen;
  }

  /** Live and deleted record counts (deleted: marked since the last compaction). */
  counts(): { live: number; deleted: number; bytes: number } {
    return { live: this.liveRecords, deleted: this.deletedRecords, bytes: this.endOffset };
  }

  /** Append a framed message (type + payload) with its timestamp; returns its offset. */
  append(framed: Uint8Array, timestamp: number): number {
    this.checkOpen();
    if (framed.length < 2 || framed.length > MAX_MESSAGE_BYTES) throw new RangeError(`gossip store: a message is 2..65535 bytes, got ${framed.length}`);
    const n = RECORD_HEADER_BYTES + framed.length;
    if (this.bufLen + n > this.bufCap) this.writeBuffer();
    this.image = undefined; // records() must see this one
    const p = this.bufLen;
    const b = this.buf;
    put16(b, p, 0);
    put16(b, p + 2, framed.length);
    put32(b, p + 8, timestamp >>> 0);
    b.set(framed, p + RECORD_HEADER_BYTES);
    put32(b, p + 4, crc32(b.subarray(p + 8, p + n)));
    this.bufLen += n;
    this.liveRecords++;
    this.schedule();
    return this.bufStart + p;
  }

  /** The framed message at `offset` (a copy). */
  read(offset: number): Uint8Array {
    this.checkOpen();
    if (!Number.isInteger(offset) || offset < GOSSIP_STORE_HEADER_BYTES || offset + RECORD_HEADER_BYTES > this.endOffset) {
      throw new RangeError(`gossip store: no record at ${offset}`);
    }
    if (offset >= this.bufStart) {
      const p = offset - this.bufStart;
      const len = be16(this.buf, p + 2);
      return this.buf.slice(p + RECORD_HEADER_BYTES, p + RECORD_HEADER_BYTES + len);
    }
    // One read for most messages (channel_announcement ≈ 430 bytes), a second for longer ones.
    const s = this.scratch;
    const got = readSync(this.fd, s, 0, Math.min(s.length, this.bufStart - offset), offset);
    if (got < RECORD_HEADER_BYTES) throw new GossipStoreError(`gossip store: short read at ${offset}`);
    const len = be16(s, 2);
    const out = new Uint8Array(len);
    const inFirst = Math.min(len, got - RECORD_HEADER_BYTES);
    out.set(s.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + inFirst));
    let have = inFirst;
    while (have < len) {
      const r = readSync(this.fd, out, have, len - have, offset + RECORD_HEADER_BYTES + have);
      if (r <= 0) throw new GossipStoreError(`gossip store: short read at ${offset}`);
      have += r;
    }
    return out;
  }

  /** Mark the record at `offset` deleted (replaced or pruned). Unknown offsets are ignored. */
  markDeleted(offset: number): void {
    this.checkOpen();
    if (!Number.isInteger(offset) || offset < GOSSIP_STORE_HEADER_BYTES || offset >= this.endOffset) return;
    this.image = undefined;
    if (offset >= this.bufStart) {
      const p = offset - this.bufStart;
      const f = be16(this.buf, p);
      if (f & RECORD_DELETED) return;
      put16(this.buf, p, f | RECORD_DELETED);
    } else {
      this.pendingDeletes.push(offset);
      this.schedule();
    }
    this.liveRecords--;
    this.deletedRecords++;
  }

  /** Write everything buffered (appends and deletion marks) to the file (no fsync). */
  flush(): void {
    this.checkOpen();
    this.writeBuffer();
    this.writeDeletes();
    this.maybeSync();
  }

  /** flush() and fdatasync now. */
  sync(): void {
    this.flush();
    fdatasyncSync(this.fd);
    this.unsynced = false;
    this.lastSync = Date.now();
  }

  close(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writeBuffer();
    this.writeDeletes();
    fdatasyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
    this.image = undefined;
  }

  /**
   * Every record in file order (deleted ones only with `includeDeleted`). The first pass after
   * opening reads the image taken at open; later ones flush and read the file again.
   */
  *records(opts: { includeDeleted?: boolean } = {}): IterableIterator<StoreRecord> {
    this.checkOpen();
    let img = this.image;
    if (!img) {
      this.flush();
      img = new Uint8Array(readFileSync(this.path));
    }
    const end = Math.min(img.length, this.bufStart);
    for (let off = GOSSIP_STORE_HEADER_BYTES; off + RECORD_HEADER_BYTES <= end; ) {
      const len = be16(img, off + 2);
      const deleted = (be16(img, off) & RECORD_DELETED) !== 0;
      if (!deleted || opts.includeDeleted) {
        yield { offset: off, deleted, timestamp: be32(img, off + 8), message: img.subarray(off + RECORD_HEADER_BYTES, off + RECORD_HEADER_BYTES + len) };
      }
      off += RECORD_HEADER_BYTES + len;
    }
  }

  /** Drop the image read at open (loadGraph does, once the graph is built). */
  releaseImage(): void {
    this.image = undefined;
  }

  /**
   * Rewrite the file without its deleted records now; returns the map from old offsets to new
   * ones (-1: the record was deleted). Offsets held elsewhere must be moved with it: use
   * `compactGossipStore(store, graph)`, which moves the graph's.
   */
  compact(): OffsetRemap {
    this.checkOpen();
    this.flush();
    const img = new Uint8Array(readFileSync(this.path));
    const c = compactImage(img, this.bufStart);
    closeSync(this.fd);
    writeAtomically(this.dir, this.path, c.image);
    this.fd = openSync(this.path, 'r+');
    this.bufStart = c.image.length;
    this.deletedRecords = 0;
    this.liveRecords = c.moved;
    this.image = undefined;
    this.unsynced = false;
    return c.remap;
  }

  private checkOpen(): void {
    if (this.closed) throw new GossipStoreError('gossip store is closed');
  }

  private writeBuffer(): void {
    let o = 0;
    while (o < this.bufLen) o += writeSync(this.fd, this.buf, o, this.bufLen - o, this.bufStart + o);
    if (this.bufLen > 0) this.unsynced = true;
    this.bufStart += this.bufLen;
    this.bufLen = 0;
  }

  private writeDeletes(): void {
    if (this.pendingDeletes.length === 0) return;
    // The deleted bit is the only flag: write the flags word whole.
    const flag = Uint8Array.of(RECORD_DELETED >>> 8, RECORD_DELETED & 0xff);
    for (const off of this.pendingDeletes) writeSync(this.fd, flag, 0, 2, off);
    this.pendingDeletes = [];
    this.unsynced = true;
  }

  private schedule(): void {
    if (this.timer || this.flushMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      try {
        this.flush();
      } catch (e) {
        this.log?.error(`gossip store: write failed: ${(e as Error).message}`);
      }
    }, this.flushMs);
    this.timer.unref?.();
  }

  private maybeSync(): void {
    if (!this.unsynced || this.syncing) return;
    const now = Date.now();
    if (now - this.lastSync < this.fsyncMs) {
      this.schedule(); // come back for it
      return;
    }
    this.syncing = true;
    this.unsynced = false;
    this.lastSync = now;
    const fd = this.fd;
    fdatasync(fd, (err) => {
      this.syncing = false;
      if (err && !this.closed) this.log?.warn(`gossip store: fdatasync failed: ${err.message}`);
    });
  }
}

/** Open (or create) the gossip store in `dir` (the daemon's `<datadir>/<network>`). */
export function openGossipStore(dir: string, opts: GossipStoreOptions = {}): GossipStore {
  return new GossipStore(dir, opts);
}

/** Compact the store now and move the graph's offsets to the new file. */
export function compactGossipStore(store: GossipStore, graph: ChannelGraph): void {
  const remap = store.compact();
  graph.remapOffsets(remap);
}

export { loadGraph, type LoadGraphOptions, type LoadGraphReport } from './store-load.ts';
