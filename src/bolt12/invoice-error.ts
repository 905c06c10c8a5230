// BOLT 12 invoice errors: the onion message `invoice_error` field, sent back along the reply path
// when an invoice_request or invoice is refused, saying why and (optionally) which field and what
// value would do.
//
// LDK 0.1 writes (and reads) the field as a BigSize length followed by the TLV stream; later LDK
// and the spec write the bare stream. `invoiceErrorFromBytes` reads both; `InvoiceError.create`
// writes the spec's form.
//
//   const err = InvoiceError.create({ error: 'amount too low', erroneousField: 82n, suggestedValue: tu64(5000n) });
//   send(err.bytes);
//   const got = invoiceErrorFromBytes(bytes);   // got.error === 'amount too low'
import { readBigSize } from '../wire/bigsize.ts';
import { utf8 } from '../util/bytes.ts';
import { Bolt12Error, fail } from './errors.ts';
import { readTu } from './fields.ts';
import { joinRecords, makeRecord, parseRecords, sortRecords, type Bolt12Record } from './records.ts';
import { Writer } from '../wire/codec.ts';

/** TLV types of `invoice_error`. */
export const INVOICE_ERROR_TLV = {
  erroneous_field: 1n,
  suggested_value: 3n,
  error: 5n,
} as const;

/** What an invoice_error says. */
export interface InvoiceErrorParams {
  /** `error`: "an explanatory string". */
  error: string;
  /** `erroneous_field`: the TLV type, in the invoice or invoice_request, that had a problem. */
  erroneousField?: bigint;
  /** `suggested_value`: "a valid field for that `tlv_fieldnum`" (only with `erroneousField`). */
  suggestedValue?: Uint8Array;
}

/** A BOLT 12 invoice_error, with the bytes it came from. */
export class InvoiceError {
  /** Use {@link InvoiceError.create} or {@link invoiceErrorFromBytes}. */
  constructor(
    /** The TLV stream (without LDK 0.1's length prefix). */
    readonly bytes: Uint8Array,
    readonly records: readonly Bolt12Record[],
    /** `error`. */
    readonly error: string,
    /** `erroneous_field`, if any. */
    readonly erroneousField: bigint | undefined,
    /** `suggested_value`, if any. */
    readonly suggestedValue: Uint8Array | undefined,
    /** Records of unknown (odd) types. */
    readonly unknownRecords: readonly Bolt12Record[],
    /** Whether it arrived in LDK 0.1's length-prefixed form. */
    readonly lengthPrefixed: boolean,
  ) {}

  /**
   * Build an invoice_error (BOLT 12, a writer of an invoice_error): `error` is required;
   * `suggestedValue` only with `erroneousField`.
   */
  static create(p: InvoiceErrorParams): InvoiceError {
    // - MUST set `error` to an explanatory string.
    if (typeof p.error !== 'string') fail('MISSING_ERROR_MESSAGE', 'error', 'an invoice_error needs an error string');
    // - if it sets `erroneous_field`: MAY set `suggested_value`; otherwise: MUST NOT set `suggested_value`.
    if (p.suggestedValue !== undefined && p.erroneousField === undefined) {
      fail('SUGGESTED_VALUE_WITHOUT_FIELD', 'suggested_value', 'suggested_value needs erroneous_field');
    }
    const records: Bolt12Record[] = [];
    if (p.erroneousField !== undefined) {
      if (typeof p.erroneousField !== 'bigint' || p.erroneousField < 0n || p.erroneousField > 0xffff_ffff_ffff_ffffn) {
        fail('INVALID_PARAMETER', 'erroneous_field', 'must be a u64 TLV type');
      }
      records.push(makeRecord(INVOICE_ERROR_TLV.erroneous_field, new Writer(8).tu(p.erroneousField).finish()));
    }
    if (p.suggestedValue !== undefined) records.push(makeRecord(INVOICE_ERROR_TLV.suggested_value, p.suggestedValue));
    records.push(makeRecord(INVOICE_ERROR_TLV.error, utf8.encode(p.error)));
    return invoiceErrorFromBytes(joinRecords(sortRecords(records)), { allowLengthPrefix: false });
  }

  /** The bytes in LDK 0.1's form: BigSize length, then the stream (to talk to LDK 0.1 peers only). */
  toLengthPrefixed(): Uint8Array {
    const w = new Writer(this.bytes.length + 9);
    return w.bigsize(this.bytes.length).bytes(this.bytes).finish();
  }
}

function parseStream(bytes: Uint8Array, lengthPrefixed: boolean): InvoiceError {
  const records = parseRecords(bytes, 'invoice_error');
  let error: string | undefined;
  let erroneousField: bigint | undefined;
  let suggestedValue: Uint8Array | undefined;
  const unknown: Bolt12Record[] = [];
  for (const r of records) {
    if (r.type === INVOICE_ERROR_TLV.erroneous_field) erroneousField = readTu(r.value, 'erroneous_field', 8);
    else if (r.type === INVOICE_ERROR_TLV.suggested_value) suggestedValue = r.value;
    else if (r.type === INVOICE_ERROR_TLV.error) {
      try {
        error = utf8.decode(r.value);
      } catch {
        fail('INVALID_UTF8', 'error', 'not valid UTF-8');
      }
    } else if (r.type % 2n === 0n) fail('UNKNOWN_EVEN_TYPE', `invoice_error[${r.type}]`, `unknown even TLV type ${r.type}`);
    else unknown.push(r);
  }
  // The reader's requirements are a FIXME in BOLT 12; the writer's are enforced (as LDK does).
  if (error === undefined) fail('MISSING_ERROR_MESSAGE', 'error', 'error is not present');
  if (suggestedValue !== undefined && erroneousField === undefined) fail('SUGGESTED_VALUE_WITHOUT_FIELD', 'suggested_value', 'suggested_value without erroneous_field');
  return new InvoiceError(bytes, records, error, erroneousField, suggestedValue, unknown, lengthPrefixed);
}

/**
 * Read an invoice_error: the spec's bare TLV stream, or LDK 0.1's BigSize-length-prefixed one
 * (tried when the bare stream does not parse and the length prefix covers exactly the rest).
 * Throws `Bolt12Error` (that of the bare form when neither parses).
 */
export function invoiceErrorFromBytes(bytes: Uint8Array, opts: { allowLengthPrefix?: boolean } = {}): InvoiceError {
  if (!(bytes instanceof Uint8Array)) throw new Bolt12Error('MALFORMED', 'invoice_error', 'not bytes');
  try {
    return parseStream(bytes, false);
  } catch (bare) {
    if (opts.allowLengthPrefix === false || !(bare instanceof Bolt12Error)) throw bare;
    let len: { value: bigint; next: number };
    try {
      len = readBigSize(bytes, 0, 'invoice_error.length');
    } catch {
      throw bare;
    }
    if (len.value !== BigInt(bytes.length - len.next)) throw bare;
    try {
      return parseStream(bytes.subarray(len.next), true);
    } catch {
      throw bare;
    }
  }
}

/** Alias of {@link invoiceErrorFromBytes}, named like the other decoders. */
export const decodeInvoiceError = invoiceErrorFromBytes;
