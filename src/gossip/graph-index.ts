// Hash indexes for the graph in typed arrays: short_channel_id → channel row and node id → node
// index, open addressing with linear probing. Hashes are keyed with a random seed so that a peer
// who picks the keys (scids and node ids are the announcer's choice while funding outputs go
// unchecked) cannot aim them at one bucket: JavaScript Maps hash numbers and BigInts unseeded.
// No key object is kept per entry (a Map<bigint> costs a BigInt and an entry per channel).

/** A 32-bit finaliser (murmur3-style mixing): every input bit affects every output bit. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const EMPTY = -1;
const TOMB = -2;
const MAX_LOAD = 0.6;

/** Map from a u64 key given as (hi, lo) u32 halves to a non-negative integer. */
export class U64Index {
  private cap = 0;
  private mask = 0;
  private hi = new Uint32Array(0);
  private lo = new Uint32Array(0);
  private val = new Int32Array(0);
  private live = 0;
  private used = 0; // live + tombstones

  constructor(private readonly seed: number, initial = 1024) {
    this.alloc(initial);
  }

  get size(): number {
    return this.live;
  }
  get byteLength(): number {
    return this.hi.byteLength + this.lo.byteLength + this.val.byteLength;
  }

  private alloc(n: number): void {
    let cap = 16;
    while (cap < n) cap *= 2;
    this.cap = cap;
    this.mask = cap - 1;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Int32Array(cap).fill(EMPTY);
    this.live = 0;
    this.used = 0;
  }

  private slot(hi: number, lo: number): number {
    return (mix32(hi ^ mix32(lo ^ this.seed)) ^ this.seed) & this.mask;
  }

  /** The value for the key, or -1. */
  get(hi: number, lo: number): number {
    const val = this.val;
    for (let i = this.slot(hi, lo); ; i = (i + 1) & this.mask) {
      const v = val[i]!;
      if (v === EMPTY) return -1;
      if (v !== TOMB && this.hi[i] === hi && this.lo[i] === lo) return v;
    }
  }

  /** Insert or overwrite (`v` >= 0). */
  set(hi: number, lo: number, v: number): void {
    if (this.used + 1 > this.cap * MAX_LOAD) this.rehash(this.live + 1 > (this.cap * MAX_LOAD) / 2 ? this.cap * 2 : this.cap);
    const val = this.val;
    let tomb = -1;
    for (let i = this.slot(hi, lo); ; i = (i + 1) & this.mask) {
      const x = val[i]!;
      if (x === EMPTY) {
        const at = tomb >= 0 ? tomb : i;
        if (tomb < 0) this.used++;
        this.hi[at] = hi;
        this.lo[at] = lo;
        val[at] = v;
        this.live++;
        return;
      }
      if (x === TOMB) {
        if (tomb < 0) tomb = i;
      } else if (this.hi[i] === hi && this.lo[i] === lo) {
        val[i] = v;
        return;
      }
    }
  }

  /** Remove the key; whether it was there. */
  delete(hi: number, lo: number): boolean {
    const val = this.val;
    for (let i = this.slot(hi, lo); ; i = (i + 1) & this.mask) {
      const v = val[i]!;
      if (v === EMPTY) return false;
      if (v !== TOMB && this.hi[i] === hi && this.lo[i] === lo) {
        val[i] = TOMB;
        this.live--;
        return true;
      }
    }
  }

  private rehash(cap: number): void {
    const { hi, lo, val } = this;
    this.alloc(cap);
    for (let i = 0; i < val.length; i++) if (val[i]! >= 0) this.set(hi[i]!, lo[i]!, val[i]!);
  }
}

/**
 * Map from 33-byte node ids to node indexes, the ids themselves kept by the caller (`ids`, 33
 * bytes per index): the table holds only indexes, and lookups compare bytes.
 */
export class NodeIdIndex {
  private cap = 0;
  private mask = 0;
  private val = new Int32Array(0);
  private live = 0;
  private used = 0;

  constructor(
    private readonly seed: number,
    /** The id bytes of index i at `ids()[33 i ..]`. */
    private readonly ids: () => Uint8Array,
    initial = 1024,
  ) {
    this.alloc(initial);
  }

  get byteLength(): number {
    return this.val.byteLength;
  }

  private alloc(n: number): void {
    let cap = 16;
    while (cap < n) cap *= 2;
    this.cap = cap;
    this.mask = cap - 1;
    this.val = new Int32Array(cap).fill(EMPTY);
    this.live = 0;
    this.used = 0;
  }

  /** Hash of the 33 bytes at `b[o..]` (all of them: ids differing anywhere spread). */
  private hash(b: Uint8Array, o: number): number {
    let h = this.seed ^ b[o]!;
    for (let k = o + 1; k + 4 <= o + 33; k += 4) h = mix32(h ^ ((b[k]! << 24) | (b[k + 1]! << 16) | (b[k + 2]! << 8) | b[k + 3]!));
    return h & this.mask;
  }

  private same(idx: number, b: Uint8Array, o: number): boolean {
    const ids = this.ids();
    const p = idx * 33;
    for (let k = 0; k < 33; k++) if (ids[p + k] !== b[o + k]) return false;
    return true;
  }

  /** The index of the id at `b[o .. o+33)`, or -1. */
  get(b: Uint8Array, o = 0): number {
    const val = this.val;
    for (let i = this.hash(b, o); ; i = (i + 1) & this.mask) {
      const v = val[i]!;
      if (v === EMPTY) return -1;
      if (v !== TOMB && this.same(v, b, o)) return v;
    }
  }

  /** Add index `idx`, whose id is already written in `ids()` (it must not be in the table). */
  add(idx: number): void {
    if (this.used + 1 > this.cap * MAX_LOAD) this.rehash(this.live + 1 > (this.cap * MAX_LOAD) / 2 ? this.cap * 2 : this.cap);
    const val = this.val;
    for (let i = this.hash(this.ids(), idx * 33); ; i = (i + 1) & this.mask) {
      const x = val[i]!;
      if (x === EMPTY || x === TOMB) {
        if (x === EMPTY) this.used++;
        val[i] = idx;
        this.live++;
        return;
      }
    }
  }

  /** Remove index `idx` (its id still in `ids()`). */
  remove(idx: number): void {
    const val = this.val;
    for (let i = this.hash(this.ids(), idx * 33); ; i = (i + 1) & this.mask) {
      const v = val[i]!;
      if (v === EMPTY) return;
      if (v === idx) {
        val[i] = TOMB;
        this.live--;
        return;
      }
    }
  }

  private rehash(cap: number): void {
    const old = this.val;
    this.alloc(cap);
    for (let i = 0; i < old.length; i++) if (old[i]! >= 0) this.add(old[i]!);
  }
}
