// JSON with bigint: amounts are bigint msat inside, plain JSON integers outside (as Core Lightning
// prints them), without losing precision above 2^53.

const MARK = '\u0000bigint:';

/** JSON.stringify that writes bigint as an exact JSON integer and Uint8Array as hex. */
export function stringifyJson(value: unknown, indent?: number): string {
  const s = JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'bigint') return `${MARK}${v.toString()}`;
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
      return v;
    },
    indent,
  );
  return s === undefined ? 'null' : s.replace(/"\\u0000bigint:(-?[0-9]+)"/g, '$1');
}

/**
 * Splits a byte stream into complete top-level JSON texts (objects or arrays), as Core
 * Lightning's RPC socket does: no delimiter is needed between requests. Bounded: a text longer
 * than `maxBytes` is an error.
 */
export class JsonStreamSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escape = false;
  private scanned = 0;
  private start = -1;
  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  /** Feed a chunk; returns the complete texts found. Throws RangeError when the bound is passed. */
  push(chunk: string): string[] {
    this.buf += chunk;
    const out: string[] = [];
    let garbageAt = -2;
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i]!;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === '\\') this.escape = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (c === '{' || c === '[') {
          this.start = i;
          this.depth = 1;
        } else if (!/\s/.test(c)) {
          // Garbage between texts: hand it over as its own text so the caller answers a parse error
          // (one text, and one error, per run of stray characters, not per character).
          if (garbageAt === i - 1) out[out.length - 1] += c;
          else out.push(c);
          garbageAt = i;
        }
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          out.push(this.buf.slice(this.start, i + 1));
          this.start = -1;
        }
      }
    }
    if (this.depth === 0) {
      this.buf = '';
      this.scanned = 0;
    } else {
      // keep only the incomplete text
      this.buf = this.buf.slice(this.start);
      this.scanned = this.buf.length;
      this.start = 0;
      if (this.buf.length > this.maxBytes) throw new RangeError(`JSON request larger than ${this.maxBytes} bytes`);
    }
    return out;
  }
}
