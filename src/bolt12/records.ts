// BOLT 1, "Type-Length-Value Format", as BOLT 12 messages use it: the stream is kept as records that
// point into the original bytes (`raw` is the whole type‖length‖value encoding), so the merkle
// leaves, the offer id and the fields an invoice mirrors are hashed or copied without re-encoding.
import { readBigSize, bigSizeLength, writeBigSize } from '../wire/bigsize.ts';
import { WireError } from '../wire/errors.ts';
import { Bolt12Error, fail } from './errors.ts';

/** One TLV record of a BOLT 12 message. */
export interface Bolt12Record {
  readonly type: bigint;
  /** The value bytes. */
  readonly value: Uint8Array;
  /** The full encoding: BigSize type, BigSize length, value. */
  readonly raw: Uint8Array;
}

/** Map a wire-layer error (BigSize, blinded_path, Reader) to a typed BOLT 12 error. */
export function fromWireError(e: unknown, field?: string): Bolt12Error {
  if (e instanceof Bolt12Error) return e;
  if (e instanceof WireError) {
    const rule = e.rule;
    const f = field ?? e.field;
    if (/EOF/.test(rule)) return new Bolt12Error('TRUNCATED', e.field, rule);
    if (/canonical|minimal/.test(rule)) return new Bolt12Error('NOT_MINIMAL', e.field, rule);
    if (/at least one hop/.test(rule)) return new Bolt12Error('EMPTY_BLINDED_PATH', e.field, rule);
    if (/point/.test(rule)) return new Bolt12Error('INVALID_POINT', e.field, rule);
    return new Bolt12Error('MALFORMED', f, rule);
  }
  return new Bolt12Error('MALFORMED', field ?? 'tlv_stream', e instanceof Error ? e.message : String(e));
}

/**
 * Parse a whole buffer as a TLV stream (BOLT 1, the receiving node): types and lengths minimally
 * encoded, lengths within the buffer, types strictly increasing. Whether a type is known, allowed or
 * even is the message's business (`checkType`, called as each type is read, throws to refuse it).
 * The records are views into `bytes` (no copy).
 */
export function parseRecords(bytes: Uint8Array, stream: string, checkType?: (type: bigint) => void): Bolt12Record[] {
  const out: Bolt12Record[] = [];
  let off = 0;
  let last = -1n;
  try {
    while (off < bytes.length) {
      const start = off;
      // Field names are built only on failure (a BigInt in a template string costs more than the read).
      const t = readBigSize(bytes, off, () => `${stream}.type`);
      const type = t.value;
      // Checks on the type come as soon as it is read (before its length): a stream fails for
      // the first thing wrong in it.
      if (type <= last) {
        if (type === last) fail('DUPLICATE_TYPE', `${stream}[${type}]`, 'duplicate TLV type');
        fail('OUT_OF_ORDER', `${stream}[${type}]`, `TLV type ${type} after ${last}: types not strictly increasing`);
      }
      if (checkType) checkType(type);
      const l = readBigSize(bytes, t.next, () => `${stream}[${type}].length`);
      off = l.next;
      if (l.value > BigInt(bytes.length - off)) {
        fail('TRUNCATED', `${stream}[${type}]`, `length ${l.value} exceeds the ${bytes.length - off} bytes remaining`);
      }
      const end = off + Number(l.value);
      out.push({ type, value: bytes.subarray(off, end), raw: bytes.subarray(start, end) });
      off = end;
      last = type;
    }
  } catch (e) {
    throw fromWireError(e);
  }
  return out;
}

/** Make a record (writers). */
export function makeRecord(type: bigint, value: Uint8Array): Bolt12Record {
  const raw = new Uint8Array(bigSizeLength(type) + bigSizeLength(value.length) + value.length);
  let o = writeBigSize(raw, 0, type);
  o = writeBigSize(raw, o, value.length);
  raw.set(value, o);
  return { type, value: raw.subarray(o), raw };
}

/** Concatenate records (already in increasing type order) into a stream. */
export function joinRecords(records: readonly Bolt12Record[]): Uint8Array {
  let n = 0;
  for (const r of records) n += r.raw.length;
  const out = new Uint8Array(n);
  let o = 0;
  let last = -1n;
  for (const r of records) {
    if (r.type <= last) throw new Bolt12Error('OUT_OF_ORDER', `tlv_stream[${r.type}]`, 'records not in strictly increasing type order');
    out.set(r.raw, o);
    o += r.raw.length;
    last = r.type;
  }
  return out;
}

/** Sort records by type, refusing duplicates (writers assembling a stream from parts). */
export function sortRecords(records: Bolt12Record[]): Bolt12Record[] {
  const s = [...records].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  for (let i = 1; i < s.length; i++) {
    if (s[i]!.type === s[i - 1]!.type) fail('DUPLICATE_TYPE', `tlv_stream[${s[i]!.type}]`, 'duplicate TLV type');
  }
  return s;
}

/** Inclusive range test. */
export function inRange(type: bigint, lo: bigint, hi: bigint): boolean {
  return type >= lo && type <= hi;
}
