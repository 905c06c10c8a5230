// BOLT 1, "Type-Length-Value Format": a tlv_stream is a series of (BigSize type, BigSize length,
// value) records.
import { WireError } from './errors.ts';
import { readBigSize, writeBigSize, bigSizeLength } from './bigsize.ts';
import { Reader } from './codec.ts';

export interface TlvRecord {
  type: bigint;
  value: Uint8Array;
}

export interface DecodeTlvOptions {
  /** Name of the stream, for errors (e.g. `init_tlvs`). */
  field?: string;
  /**
   * Which types the reader knows. When given, BOLT 1 "it's OK to be odd" applies here: an unknown
   * even type MUST fail the stream, an unknown odd type is kept (the caller may ignore it).
   * When absent, every type is returned and the caller applies its own rules.
   */
  known?: ReadonlySet<bigint> | ((type: bigint) => boolean);
}

/**
 * Decode a whole buffer as a TLV stream. BOLT 1, the receiving node:
 * - if zero bytes remain before parsing a `type`: MUST stop parsing the tlv_stream.
 * - if a `type` or `length` is not minimally encoded: MUST fail to parse the tlv_stream.
 * - if `length` exceeds the number of bytes remaining in the message: MUST fail.
 * - if decoded `type`s are not strictly-increasing (including situations where two or more
 *   occurrences of the same `type` are met): MUST fail to parse the tlv_stream.
 * - if `type` is even and not known: MUST fail to parse the tlv_stream.
 */
export function decodeTlvStream(buf: Uint8Array, opts: DecodeTlvOptions = {}): TlvRecord[] {
  const field = opts.field ?? 'tlv_stream';
  const known = opts.known;
  const isKnown = known === undefined ? undefined : typeof known === 'function' ? known : (t: bigint) => known.has(t);
  const out: TlvRecord[] = [];
  let off = 0;
  let last = -1n;
  while (off < buf.length) {
    const t = readBigSize(buf, off, () => `${field}.type`);
    const type = t.value;
    const l = readBigSize(buf, t.next, () => `${field}[${type}].length`);
    off = l.next;
    if (l.value > BigInt(buf.length - off)) throw new WireError(`${field}[${type}].length`, 'length exceeds the bytes remaining');
    const len = Number(l.value);
    if (type <= last) {
      throw new WireError(`${field}[${type}]`, type === last ? 'duplicate type' : 'types not strictly increasing');
    }
    if (isKnown && !isKnown(type) && type % 2n === 0n) {
      throw new WireError(`${field}[${type}]`, 'unknown even type');
    }
    out.push({ type, value: buf.subarray(off, off + len) });
    off += len;
    last = type;
  }
  return out;
}

/** Encoded size of a record list as a TLV stream. */
export function tlvStreamLength(records: readonly TlvRecord[]): number {
  let n = 0;
  for (const r of records) n += bigSizeLength(r.type) + bigSizeLength(r.value.length) + r.value.length;
  return n;
}

/**
 * Encode records as a TLV stream. BOLT 1, the sending node: MUST order tlv_records in a
 * tlv_stream by strictly-increasing type; MUST minimally encode type and length. Records must
 * be given in order; duplicates are refused (a writer bug, so a RangeError).
 */
export function encodeTlvStream(records: readonly TlvRecord[]): Uint8Array {
  const out = new Uint8Array(tlvStreamLength(records));
  let off = 0;
  let last = -1n;
  for (const r of records) {
    if (r.type <= last) throw new RangeError(`tlv: type ${r.type} not strictly increasing after ${last}`);
    off = writeBigSize(out, off, r.type);
    off = writeBigSize(out, off, r.value.length);
    out.set(r.value, off);
    off += r.value.length;
    last = r.type;
  }
  return out;
}

/** Sort records by type (for writers assembling from unordered parts). Refuses duplicates. */
export function sortTlvRecords(records: TlvRecord[]): TlvRecord[] {
  const s = [...records].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  for (let i = 1; i < s.length; i++) if (s[i]!.type === s[i - 1]!.type) throw new RangeError(`tlv: duplicate type ${s[i]!.type}`);
  return s;
}

/** The records as a map from type to value. */
export function tlvMap(records: readonly TlvRecord[]): Map<bigint, Uint8Array> {
  const m = new Map<bigint, Uint8Array>();
  for (const r of records) m.set(r.type, r.value);
  return m;
}

/**
 * Decode a known record's value with `read`, which must consume it exactly. BOLT 1, the receiving
 * node, if `type` is known: "if `length` is not exactly equal to that required for the known
 * encoding for `type`: MUST fail to parse the `tlv_stream`" — too few bytes fail inside `read`
 * (EOF), too many fail here.
 */
export function parseTlvValue<T>(value: Uint8Array, field: string, read: (r: Reader) => T): T {
  const r = new Reader(value);
  const v = read(r);
  r.end(field);
  return v;
}
