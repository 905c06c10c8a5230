// JSON with bigint: amounts are bigint msat inside, plain JSON integers outside (as Core Lightning
// prints them), without losing precision above 2^53.

const MARK = '\u0000bigint:';
/** Put before a string value that starts with NUL, so that no string can pass for a marked bigint. */
const ESC = '\u0000str:';

/** JSON.stringify that writes bigint as an exact JSON integer and Uint8Array as hex. */
export function stringifyJson(value: unknown, indent?: number): string {
  const s = JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'bigint') return `${MARK}${v.toString()}`;
      if (typeof v === 'string' && v.charCodeAt(0) === 0) return ESC + v;
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
      return v;
    },
    indent,
  );
  return s === undefined ? 'null' : s.replace(/"\\u0000bigint:(-?[0-9]+)"/g, '$1').replace(/"\\u0000str:/g, '"');
}

const SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d;
const QUOTE = 0x22, BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d;
/** A run of stray bytes between texts is handed over as one text of at most this many characters (it only earns a parse error). */
const GARBAGE_KEPT = 64;
/** Pieces of an unfinished text shorter than this are copied together into blocks of SMALL_BLOCK bytes. */
const SMALL_PIECE = 8 * 1024;
const SMALL_BLOCK = 64 * 1024;

/**
 * Splits a byte stream into complete top-level JSON texts (objects or arrays), as Core
 * Lightning's RPC socket does: no delimiter is needed between requests. Bounded: a text longer
 * than `maxBytes` is an error.
 *
 * Linear: every byte is looked at once (a small state machine: depth, inside a string, after a
 * backslash), on the raw UTF-8 bytes, where every structural character is ASCII and never part of
 * a multi-byte sequence. An unfinished text is copied into a list of blocks (never a string that
 * is appended to and re-read: V8 flattens such a string on every read, which made a 15 MB request
 * cost O(n²) and froze the daemon), and decoded once when it completes. `held` is what the
 * splitter keeps allocated, for the server's budget; `clear()` lets it all go.
 */
export class JsonStreamSplitter {
  private blocks: Buffer[] = [];
  /** Bytes used in the last block, and whether it is a block of ours that small pieces are copied into. */
  private lastUsed = 0;
  private lastOpen = false;
  /** Bytes of the unfinished text kept in `blocks`. */
  private kept = 0;
  /** Bytes allocated in `blocks`. */
  private allocated = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  /** Bytes of memory held for the unfinished text. */
  get held(): number {
    return this.allocated;
  }

  /** Bytes of an unfinished text read so far (0 between texts). */
  get pending(): number {
    return this.kept;
  }

  /** Forget any unfinished text and release its memory. */
  clear(): void {
    this.blocks = [];
    this.lastUsed = this.kept = this.allocated = 0;
    this.lastOpen = false;
    this.depth = 0;
    this.inString = this.escape = false;
  }

  /** Feed a chunk; returns the complete texts found. Throws RangeError when the bound is passed. */
  push(input: Uint8Array | string): string[] {
    const chunk = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const out: string[] = [];
    // Where the text being read starts in this chunk (0 when it began in an earlier one).
    let start = 0;
    let garbageAt = -2;
    let depth = this.depth;
    let inString = this.inString;
    let escape = this.escape;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk[i]!;
      if (inString) {
        if (escape) escape = false;
        else if (c === BACKSLASH) escape = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (depth === 0) {
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          start = i;
          depth = 1;
        } else if (c !== SPACE && c !== LF && c !== CR && c !== TAB) {
          // Garbage between texts: hand it over as its own text so the caller answers a parse error
          // (one text, and one error, per run of stray bytes, not per byte).
          if (garbageAt === i - 1) {
            const last = out[out.length - 1]!;
            if (last.length < GARBAGE_KEPT) out[out.length - 1] = last + String.fromCharCode(c);
          } else out.push(String.fromCharCode(c));
          garbageAt = i;
        }
        continue;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          if (this.kept + i + 1 - start > this.maxBytes) throw this.tooLarge();
          out.push(this.take(chunk, start, i + 1));
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
    if (depth > 0) {
      if (this.kept + n - start > this.maxBytes) throw this.tooLarge();
      this.keep(chunk, start, n);
    }
    return out;
  }

  private tooLarge(): RangeError {
    this.clear();
    return new RangeError(`JSON request larger than ${this.maxBytes} bytes`);
  }

  /**
   * Keep `chunk[from, to)` behind the unfinished text: a large piece as it is (a view, no copy:
   * socket reads are sized to what was read), small ones copied together into a block, so a
   * client trickling bytes costs a block per SMALL_PIECE bytes, not an object per read.
   */
  private keep(chunk: Buffer, from: number, to: number): void {
    const len = to - from;
    if (len >= SMALL_PIECE) {
      this.sealLast();
      this.blocks.push(chunk.subarray(from, to));
      // a view keeps its whole backing store alive: count that
      this.allocated += chunk.buffer.byteLength;
      this.kept += len;
      this.lastUsed = len;
      this.lastOpen = false;
      return;
    }
    let last = this.blocks[this.blocks.length - 1];
    if (!last || !this.lastOpen || last.length - this.lastUsed < len) {
      this.sealLast();
      last = Buffer.allocUnsafeSlow(SMALL_BLOCK);
      this.blocks.push(last);
      this.allocated += SMALL_BLOCK;
      this.lastUsed = 0;
      this.lastOpen = true;
    }
    chunk.copy(last, this.lastUsed, from, to);
    this.lastUsed += len;
    this.kept += len;
  }

  /** The last block takes no more bytes: trim it to what it holds. */
  private sealLast(): void {
    if (!this.lastOpen) return;
    const i = this.blocks.length - 1;
    this.blocks[i] = this.blocks[i]!.subarray(0, this.lastUsed);
    this.lastOpen = false;
  }

  /** The completed text: what is kept, then `chunk[from, to)`, decoded once; the blocks are released. */
  private take(chunk: Buffer, from: number, to: number): string {
    if (this.blocks.length === 0) return chunk.toString('utf8', from, to);
    this.sealLast();
    const parts = this.blocks;
    parts.push(chunk.subarray(from, to));
    const text = Buffer.concat(parts, this.kept + to - from).toString('utf8');
    this.blocks = [];
    this.lastUsed = this.kept = this.allocated = 0;
    this.lastOpen = false;
    return text;
  }
}
