// BOLT 1, "Fundamental Types": a bounds-checked reader and a growable writer. Every read names the
// field it reads so errors say what was wrong.
import { bigIntFromBytes } from '../util/bytes.ts';
import { WireError } from './errors.ts';
import { readBigSize, writeBigSize, bigSizeLength } from './bigsize.ts';

export class Reader {
  private off = 0;
  private readonly dv: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  get offset(): number {
    return this.off;
  }
  get remaining(): number {
    return this.buf.length - this.off;
  }
  get eof(): boolean {
    return this.off >= this.buf.length;
  }
  private need(n: number, field: string): void {
    if (n < 0 || this.off + n > this.buf.length) throw new WireError(field, `unexpected EOF (need ${n} bytes, have ${this.remaining})`);
  }
  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.off++]!;
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.dv.getUint16(this.off);
    this.off += 2;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.dv.getUint32(this.off);
    this.off += 4;
    return v;
  }
  u64(field: string): bigint {
    this.need(8, field);
    const v = this.dv.getBigUint64(this.off);
    this.off += 8;
    return v;
  }
  s8(field: string): number {
    this.need(1, field);
    return this.dv.getInt8(this.off++);
  }
  s16(field: string): number {
    this.need(2, field);
    const v = this.dv.getInt16(this.off);
    this.off += 2;
    return v;
  }
  s32(field: string): number {
    this.need(4, field);
    const v = this.dv.getInt32(this.off);
    this.off += 4;
    return v;
  }
  s64(field: string): bigint {
    this.need(8, field);
    const v = this.dv.getBigInt64(this.off);
    this.off += 8;
    return v;
  }
  /**
   * BOLT 1: tu16/tu32/tu64 are truncated unsigned integers that occupy the rest of a TLV value
   * (`len` bytes, at most 2/4/8) and MUST be minimal: no leading zero byte.
   */
  tu(field: string, len: number, maxBytes: 2 | 4 | 8): bigint {
    if (len > maxBytes) throw new WireError(field, `truncated integer longer than ${maxBytes} bytes`);
    this.need(len, field);
    if (len > 0 && this.buf[this.off] === 0) throw new WireError(field, 'truncated integer is not minimal (leading zero)');
    const v = bigIntFromBytes(this.buf.subarray(this.off, this.off + len));
    this.off += len;
    return v;
  }
  bigsize(field: string): bigint {
    const { value, next } = readBigSize(this.buf, this.off, field);
    this.off = next;
    return value;
  }
  /** A view of the next `n` bytes (no copy). */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  /** A 33-byte compressed point; only its form (02/03 prefix) is checked here, not curve membership. */
  point(field: string): Uint8Array {
    const p = this.bytes(33, field);
    if (p[0] !== 0x02 && p[0] !== 0x03) throw new WireError(field, 'point must start with 0x02 or 0x03');
    return p;
  }
  /** All remaining bytes. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.off);
    this.off = this.buf.length;
    return v;
  }
  /** Throws when bytes remain (for messages/fields that must be consumed exactly). */
  end(field: string): void {
    if (this.off !== this.buf.length) throw new WireError(field, `${this.remaining} unexpected trailing bytes`);
  }
}

export class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  private off = 0;
  constructor(initial = 64) {
    this.buf = new Uint8Array(Math.max(16, Math.floor(initial) || 0));
    this.dv = new DataView(this.buf.buffer);
  }
  get length(): number {
    return this.off;
  }
  private grow(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.off));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`u8 out of range: ${v}`);
    this.grow(1);
    this.dv.setUint8(this.off, v);
    this.off += 1;
    return this;
  }
  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`u16 out of range: ${v}`);
    this.grow(2);
    this.dv.setUint16(this.off, v);
    this.off += 2;
    return this;
  }
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`u32 out of range: ${v}`);
    this.grow(4);
    this.dv.setUint32(this.off, v);
    this.off += 4;
    return this;
  }
  u64(v: bigint): this {
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64 out of range: ${v}`);
    this.grow(8);
    this.dv.setBigUint64(this.off, v);
    this.off += 8;
    return this;
  }
  s8(v: number): this {
    if (!Number.isInteger(v) || v < -0x80 || v > 0x7f) throw new RangeError(`s8 out of range: ${v}`);
    this.grow(1);
    this.dv.setInt8(this.off, v);
    this.off += 1;
    return this;
  }
  s16(v: number): this {
    if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) throw new RangeError(`s16 out of range: ${v}`);
    this.grow(2);
    this.dv.setInt16(this.off, v);
    this.off += 2;
    return this;
  }
  s32(v: number): this {
    if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0x7fff_ffff) throw new RangeError(`s32 out of range: ${v}`);
    this.grow(4);
    this.dv.setInt32(this.off, v);
    this.off += 4;
    return this;
  }
  s64(v: bigint): this {
    if (v < -0x8000_0000_0000_0000n || v > 0x7fff_ffff_ffff_ffffn) throw new RangeError(`s64 out of range: ${v}`);
    this.grow(8);
    this.dv.setBigInt64(this.off, v);
    this.off += 8;
    return this;
  }
  /** Truncated unsigned integer (tu16/tu32/tu64): minimal big-endian, zero is zero bytes. */
  tu(v: bigint | number): this {
    let x = BigInt(v);
    if (x < 0n || x > 0xffff_ffff_ffff_ffffn) throw new RangeError(`tu: ${x} out of tu64 range`);
    const bytes: number[] = [];
    while (x > 0n) {
      bytes.unshift(Number(x & 0xffn));
      x >>= 8n;
    }
    return this.bytes(Uint8Array.from(bytes));
  }
  bigsize(v: bigint | number): this {
    this.grow(bigSizeLength(v));
    this.off = writeBigSize(this.buf, this.off, v);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.off);
  }
}

/** Minimal big-endian encoding of a truncated integer (tu16/tu32/tu64). */
export function encodeTu(v: bigint | number): Uint8Array {
  return new Writer(8).tu(v).finish();
}
