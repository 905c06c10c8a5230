// Received bytes not yet consumed: a queue of socket chunks, read back in exact-size pieces
// (BOLT 8 reads exactly 50/66 bytes per act, 18 per length prefix, l+16 per body).

export class InputBuffer {
  private chunks: Uint8Array[] = [];
  /** Offset into chunks[0] of the first unread byte. */
  private head = 0;
  private total = 0;
  private peak = 0;

  /** Unread bytes. */
  get length(): number {
    return this.total;
  }

  /** The largest `length` ever reached (for tests and stats). */
  get highWater(): number {
    return this.peak;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
    if (this.total > this.peak) this.peak = this.total;
  }

  /**
   * Remove and return exactly `n` bytes (n ≤ length). A view into the socket's chunk when the
   * bytes are contiguous (the common case), else one copy.
   */
  take(n: number): Uint8Array {
    if (n > this.total) throw new RangeError(`take(${n}) with ${this.total} bytes buffered`);
    const first = this.chunks[0]!;
    const avail = first.length - this.head;
    let out: Uint8Array;
    if (avail >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
    } else {
      out = new Uint8Array(n);
      let o = 0;
      while (o < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length - this.head, n - o);
        out.set(c.subarray(this.head, this.head + k), o);
        o += k;
        this.head += k;
        if (this.head === c.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    this.total -= n;
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.total = 0;
  }
}
