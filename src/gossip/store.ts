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
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
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

/** Live records by BOLT 7 type (256, 258, 257). */
export interface LiveCounts {
  channelAnnouncements: number;
  channelUpdates: number;
  nodeAnnouncements: number;
}

/** What opening found and did. */
export interface GossipStoreOpenReport {
  path: string;
  /** No file was there (or it had another format: then `badHeader`). */
  created: boolean;
  badHeader: boolean;
  records: number;
  deletedRecords: number;
  /** Live records by type (what a load will find, give or take what the graph refuses). */
  live: LiveCounts;
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
  /** The framed message (type + payload). */
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

/** Chunk size for reading and rewriting the file (a record is at most 12 + 65535 bytes). */
const CHUNK_BYTES = 4 << 20;

/** Where a walk over the file is: the record at `pos` of `chunk`, at file offset `offset`. */
interface Cursor {
  chunk: Uint8Array;
  pos: number;
  offset: number;
  len: number;
}

/**
 * The complete records of the file from its header up to `limit`, read in chunks into one reused
 * buffer (reading a file of tens of MB whole costs more in fresh pages than in reading). Yields the
 * same cursor each step; views into `cursor.chunk` are valid until the next step. Stops before a
 * record the file holds only part of; `cursor.offset` is then where the complete records end.
 */
function* walkRecords(fd: number, limit: number, cursor: Cursor): Generator<Cursor, void, undefined> {
  const chunk = cursor.chunk;
  let base = GOSSIP_STORE_HEADER_BYTES; // file offset of chunk[0]
  let have = 0;
  let pos = 0;
  let eof = false;
  for (;;) {
    const avail = have - pos;
    if (avail < RECORD_HEADER_BYTES || avail < RECORD_HEADER_BYTES + be16(chunk, pos + 2)) {
      if (eof) {
        cursor.offset = base + pos;
        return;
      }
      chunk.copyWithin(0, pos, have);
      base += pos;
      have -= pos;
      pos = 0;
      const want = Math.min(chunk.length - have, limit - (base + have));
      const n = want > 0 ? readSync(fd, chunk, have, want, base + have) : 0;
      if (n <= 0) eof = true;
      else have += n;
      continue;
    }
    const len = be16(chunk, pos + 2);
    cursor.pos = pos;
    cursor.offset = base + pos;
    cursor.len = len;
    yield cursor;
    pos += RECORD_HEADER_BYTES + len;
  }
}

function newCursor(): Cursor {
  return { chunk: new Uint8Array(CHUNK_BYTES), pos: 0, offset: GOSSIP_STORE_HEADER_BYTES, len: 0 };
}

interface Scan {
  end: number;
  records: number;
  live: LiveCounts;
  deletedRecords: number;
  deletedBytes: number;
  corrupt: boolean;
}

/** Walk the file's records checking each CRC; stops at a torn or corrupt record. */
function scan(fd: number, size: number): Scan {
  const s: Scan = {
    end: GOSSIP_STORE_HEADER_BYTES, records: 0, deletedRecords: 0, deletedBytes: 0, corrupt: false,
    live: { channelAnnouncements: 0, channelUpdates: 0, nodeAnnouncements: 0 },
  };
  const c = newCursor();
  for (const r of walkRecords(fd, size, c)) {
    const n = RECORD_HEADER_BYTES + r.len;
    if (r.len < 2 || crc32(r.chunk.subarray(r.pos + 8, r.pos + n)) !== be32(r.chunk, r.pos + 4)) {
      s.corrupt = true;
      s.end = r.offset;
      return s;
    }
    s.records++;
    if (be16(r.chunk, r.pos) & RECORD_DELETED) {
      s.deletedRecords++;
      s.deletedBytes += n;
    } else {
      const type = be16(r.chunk, r.pos + RECORD_HEADER_BYTES);
      if (type === 256) s.live.channelAnnouncements++;
      else if (type === 257) s.live.nodeAnnouncements++;
      else if (type === 258) s.live.channelUpdates++;
    }
  }
  s.end = c.offset;
  return s;
}

function readMagic(fd: number): boolean {
  const b = new Uint8Array(GOSSIP_STORE_HEADER_BYTES);
  if (readSync(fd, b, 0, b.length, 0) !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (b[i] !== GOSSIP_STORE_MAGIC[i]) return false;
  return true;
}

/** Map from old offsets to new ones after a compaction; -1 for a record that was dropped. */
export type OffsetRemap = (oldOffset: number) => number;

/**
 * Copy the live records of `fd` (up to `limit`) into a new file at `path` + `.tmp`, fsync it and
 * rename it over `path`; returns the offset map and the new size.
 */
function compactFile(dir: string, path: string, fd: number, limit: number): { remap: OffsetRemap; size: number; moved: number } {
  const tmp = `${path}.tmp`;
  const out = openSync(tmp, 'w');
  const olds: number[] = [];
  const news: number[] = [];
  let size = 0;
  try {
    const wbuf = new Uint8Array(CHUNK_BYTES);
    wbuf.set(GOSSIP_STORE_MAGIC, 0);
    let w = GOSSIP_STORE_HEADER_BYTES;
    const drain = () => {
      let o = 0;
      while (o < w) o += writeSync(out, wbuf, o, w - o, size + o);
      size += w;
      w = 0;
    };
    for (const r of walkRecords(fd, limit, newCursor())) {
      if (be16(r.chunk, r.pos) & RECORD_DELETED) continue;
      const n = RECORD_HEADER_BYTES + r.len;
      if (w + n > wbuf.length) drain();
      olds.push(r.offset);
      news.push(size + w);
      wbuf.set(r.chunk.subarray(r.pos, r.pos + n), w);
      w += n;
    }
    drain();
    fsyncSync(out);
  } finally {
    closeSync(out);
  }
  renameSync(tmp, path);
  syncDir(dir);
  const remap: OffsetRemap = (o) => {
    let lo = 0;
    let hi = olds.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = olds[mid]!;
      if (v === o) return news[mid]!;
      if (v < o) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  return { remap, size, moved: olds.length };
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
      path: this.path, created: false, badHeader: false, records: 0, deletedRecords: 0,
      live: { channelAnnouncements: 0, channelUpdates: 0, nodeAnnouncements: 0 }, truncatedBytes: 0,
      corrupt: false, compacted: false, bytes: 0, ms: 0,
    };
    let fd = existsSync(this.path) ? openSync(this.path, 'r+') : -1;
    if (fd >= 0 && !readMagic(fd)) {
      closeSync(fd);
      fd = -1;
      report.badHeader = true;
      const aside = `${this.path}.corrupt`;
      renameSync(this.path, aside);
      this.log?.warn(`gossip store ${this.path}: not a gossip store of this format; moved to ${aside}, starting empty`);
    }
    if (fd < 0) {
      report.created = true;
      writeAtomically(dir, this.path, GOSSIP_STORE_MAGIC);
      fd = openSync(this.path, 'r+');
    }
    const size = fstatSync(fd).size;
    const sc = scan(fd, size);
    report.records = sc.records;
    report.deletedRecords = sc.deletedRecords;
    report.live = sc.live;
    report.corrupt = sc.corrupt;
    let end = sc.end;
    if (end < size) {
      report.truncatedBytes = size - end;
      ftruncateSync(fd, end);
      fsyncSync(fd);
      this.log?.warn(
        `gossip store ${this.path}: ${sc.corrupt ? 'a record failed its checksum' : 'torn last record'}; cut ${report.truncatedBytes} bytes at offset ${end}`,
      );
    }
    const ratio = opts.compactRatio ?? 0.25;
    const minBytes = opts.compactMinBytes ?? 1024 * 1024;
    if (sc.deletedBytes > 0 && sc.deletedBytes >= minBytes && sc.deletedBytes > ratio * (end - GOSSIP_STORE_HEADER_BYTES)) {
      const c = compactFile(dir, this.path, fd, end);
      closeSync(fd);
      fd = openSync(this.path, 'r+');
      this.log?.info(`gossip store: compacted ${end} → ${c.size} bytes (${sc.deletedRecords} deleted records dropped)`);
      end = c.size;
      report.compacted = true;
      report.records = c.moved;
      report.deletedRecords = 0;
    }
    this.liveRecords = report.records - report.deletedRecords;
    this.deletedRecords = report.deletedRecords;
    this.fd = fd;
    this.bufStart = end;
    report.bytes = end;
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
  }

  /**
   * Every record in file order (deleted ones only with `includeDeleted`), after writing out what
   * is buffered; each `message` is a copy.
   */
  *records(opts: { includeDeleted?: boolean } = {}): IterableIterator<StoreRecord> {
    const out: StoreRecord[] = [];
    // Collected per chunk: the chunk buffer is reused as the walk moves on.
    for (const r of this.walk(opts.includeDeleted === true)) {
      out.push({ ...r, message: r.message.slice() });
      if (out.length >= 4096) yield* out.splice(0);
    }
    yield* out;
  }

  /**
   * `records()` without copies, for loading: `visit` gets each record with `message` a view into
   * the read buffer, valid only during the call (copy what you keep).
   */
  visitRecords(visit: (rec: Readonly<StoreRecord>) => void, opts: { includeDeleted?: boolean } = {}): void {
    for (const r of this.walk(opts.includeDeleted === true)) visit(r);
  }

  private *walk(includeDeleted: boolean): Generator<StoreRecord, void, undefined> {
    this.checkOpen();
    this.writeBuffer();
    const rec: StoreRecord = { offset: 0, deleted: false, timestamp: 0, message: new Uint8Array(0) };
    for (const r of walkRecords(this.fd, this.bufStart, newCursor())) {
      const deleted = (be16(r.chunk, r.pos) & RECORD_DELETED) !== 0;
      if (deleted && !includeDeleted) continue;
      rec.offset = r.offset;
      rec.deleted = deleted;
      rec.timestamp = be32(r.chunk, r.pos + 8);
      rec.message = r.chunk.subarray(r.pos + RECORD_HEADER_BYTES, r.pos + RECORD_HEADER_BYTES + r.len);
      yield rec;
    }
  }

  /**
   * Rewrite the file without its deleted records now; returns the map from old offsets to new
   * ones (-1: the record was deleted). Offsets held elsewhere must be moved with it: use
   * `compactGossipStore(store, graph)`, which moves the graph's.
   */
  compact(): OffsetRemap {
    this.checkOpen();
    this.writeBuffer();
    this.writeDeletes();
    const c = compactFile(this.dir, this.path, this.fd, this.bufStart);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'r+');
    this.bufStart = c.size;
    this.deletedRecords = 0;
    this.liveRecords = c.moved;
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
