// BOLT 1, Appendix A: BigSize, a big-endian variable-length unsigned integer that MUST be minimally
// encoded.
import { WireError } from './errors.ts';

export const MAX_U64 = 0xffff_ffff_ffff_ffffn;

/** Encoded length of `v` as BigSize. */
export function bigSizeLength(v: bigint | number): number {
  const x = BigInt(v);
  if (x < 0xfdn) return 1;
  if (x <= 0xffffn) return 3;
  if (x <= 0xffff_ffffn) return 5;
  return 9;
}

/** Write `v` as BigSize into `out` at `off`; returns the new offset. */
export function writeBigSize(out: Uint8Array, off: number, v: bigint | number): number {
  const x = BigInt(v);
  if (x < 0n || x > MAX_U64) throw new RangeError(`bigsize: ${x} out of u64 range`);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (x < 0xfdn) {
    out[off] = Number(x);
    return off + 1;
  }
  if (x <= 0xffffn) {
    out[off] = 0xfd;
    dv.setUint16(off + 1, Number(x));
    return off + 3;
  }
  if (x <= 0xffff_ffffn) {
    out[off] = 0xfe;
    dv.setUint32(off + 1, Number(x));
    return off + 5;
  }
  out[off] = 0xff;
  dv.setBigUint64(off + 1, x);
  return off + 9;
}

export function encodeBigSize(v: bigint | number): Uint8Array {
  const out = new Uint8Array(bigSizeLength(v));
  writeBigSize(out, 0, v);
  return out;
}

/**
 * Read a BigSize at `off`. BOLT 1, Appendix A: "All values decoded with BigSize should be checked
 * to ensure they are minimally encoded" (else "decoded bigsize is not canonical"). Running out of
 * bytes is "EOF" when no byte at all is left and "unexpected EOF" inside the value (the error texts
 * of the spec's vectors). `field` names the value in errors; a function is called only on failure.
 */
export function readBigSize(buf: Uint8Array, off: number, field: string | (() => string) = 'bigsize'): { value: bigint; next: number } {
  if (off >= buf.length) throw bigSizeError(field, 'EOF');
  const first = buf[off]!;
  if (first < 0xfd) return { value: BigInt(first), next: off + 1 };
  // Big-endian integers read byte by byte: a DataView per call would cost more than the read.
  if (first === 0xfd) {
    if (off + 3 > buf.length) throw bigSizeError(field, 'unexpected EOF');
    const v = (buf[off + 1]! << 8) | buf[off + 2]!;
    if (v < 0xfd) throw bigSizeError(field, 'decoded bigsize is not canonical');
    return { value: BigInt(v), next: off + 3 };
  }
  if (first === 0xfe) {
    if (off + 5 > buf.length) throw bigSizeError(field, 'unexpected EOF');
    const v = be32(buf, off + 1);
    if (v <= 0xffff) throw bigSizeError(field, 'decoded bigsize is not canonical');
    return { value: BigInt(v), next: off + 5 };
  }
  if (off + 9 > buf.length) throw bigSizeError(field, 'unexpected EOF');
  const v = (BigInt(be32(buf, off + 1)) << 32n) | BigInt(be32(buf, off + 5));
  if (v <= 0xffff_ffffn) throw bigSizeError(field, 'decoded bigsize is not canonical');
  return { value: v, next: off + 9 };
}

/** `field` may be given as a function, so that a stream reader builds a record's name only on failure. */
function bigSizeError(field: string | (() => string), rule: string): WireError {
  return new WireError(typeof field === 'function' ? field() : field, rule);
}

function be32(buf: Uint8Array, o: number): number {
  return ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
}

export function decodeBigSize(buf: Uint8Array, field = 'bigsize'): bigint {
  const { value, next } = readBigSize(buf, 0, field);
  if (next !== buf.length) throw new WireError(field, 'trailing bytes after bigsize');
  return value;
}
