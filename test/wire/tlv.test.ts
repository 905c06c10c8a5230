// BOLT 1, "Type-Length-Value Format" and Appendix B: every vector, decoded in the test namespaces
// n1 and n2 implemented here with their field rules.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { decodeTlvStream, encodeTlvStream, parseTlvValue, sortTlvRecords, tlvMap, tlvStreamLength, type TlvRecord } from '../../src/wire/tlv.ts';
import { WireError } from '../../src/wire/errors.ts';
import { scidToString } from '../../src/wire/scid.ts';
import { concatBytes, fromHex, toHex } from '../../src/util/bytes.ts';
import { fuzzDecoder } from './fuzz-helpers.ts';

interface TlvCase {
  section: string;
  namespaces: ('n1' | 'n2')[];
  valid: boolean;
  stream: string;
  reason?: string;
  explanation?: string;
  values?: Record<string, Record<string, string>>;
}
const V = JSON.parse(readFileSync(new URL('../vectors/bolt01/tlv.json', import.meta.url), 'utf8')) as { cases: TlvCase[] };

type Values = Record<string, Record<string, string>>;

/**
 * BOLT 1 Appendix B, namespace n1:
 *   type 1 (tlv1): [tu64:amount_msat]; type 2 (tlv2): [short_channel_id:scid];
 *   type 3 (tlv3): [point:node_id] [u64:amount_msat_1] [u64:amount_msat_2]; type 254 (tlv4): [u16:cltv_delta]
 */
function decodeN1(stream: Uint8Array): Values {
  const out: Values = {};
  for (const rec of decodeTlvStream(stream, { field: 'n1', known: new Set([1n, 2n, 3n, 254n]) })) {
    const f = `n1[${rec.type}]`;
    switch (rec.type) {
      case 1n:
        out.tlv1 = { amount_msat: parseTlvValue(rec.value, f, (r) => r.tu(`${f}.amount_msat`, rec.value.length, 8)).toString() };
        break;
      case 2n:
        out.tlv2 = { scid: scidToString(parseTlvValue(rec.value, f, (r) => r.u64(`${f}.scid`))) };
        break;
      case 3n:
        out.tlv3 = parseTlvValue(rec.value, f, (r) => ({
          node_id: toHex(r.point(`${f}.node_id`)),
          amount_msat_1: r.u64(`${f}.amount_msat_1`).toString(),
          amount_msat_2: r.u64(`${f}.amount_msat_2`).toString(),
        }));
        break;
      case 254n:
        out.tlv4 = { cltv_delta: String(parseTlvValue(rec.value, f, (r) => r.u16(`${f}.cltv_delta`))) };
        break;
      default:
        // Unknown odd: BOLT 1 "MUST discard the next `length` bytes".
        expect(rec.type % 2n).toBe(1n);
    }
  }
  return out;
}

/** BOLT 1 Appendix B, namespace n2: type 0 (tlv1): [tu64:amount_msat]; type 11 (tlv2): [tu32:cltv_expiry]. */
function decodeN2(stream: Uint8Array): Values {
  const out: Values = {};
  for (const rec of decodeTlvStream(stream, { field: 'n2', known: new Set([0n, 11n]) })) {
    const f = `n2[${rec.type}]`;
    if (rec.type === 0n) out.tlv1 = { amount_msat: parseTlvValue(rec.value, f, (r) => r.tu(f, rec.value.length, 8)).toString() };
    else if (rec.type === 11n) out.tlv2 = { cltv_expiry: parseTlvValue(rec.value, f, (r) => r.tu(f, rec.value.length, 4)).toString() };
  }
  return out;
}

const DECODERS = { n1: decodeN1, n2: decodeN2 };

/** The rule each failure must report, by the spec's stated reason. */
function expectedRule(reason: string): RegExp {
  if (/type truncated|missing length/.test(reason)) return /EOF/;
  if (/length truncated/.test(reason)) return /unexpected EOF/;
  if (/not minimally encoded (type|length)/.test(reason)) return /not canonical/;
  if (/missing value|value truncated/.test(reason)) return /length exceeds the bytes remaining/;
  if (/unknown even/.test(reason)) return /unknown even type/;
  if (/is not minimal/.test(reason)) return /not minimal/;
  if (/greater than encoding length for `n1`s `tlv1`/.test(reason)) return /longer than 8 bytes/;
  if (/greater than encoding length/.test(reason)) return /unexpected trailing bytes/;
  if (/less than encoding length/.test(reason)) return /unexpected EOF/;
  if (/not a valid point/.test(reason)) return /0x02 or 0x03/;
  if (/duplicate/.test(reason)) return /duplicate type/;
  if (/invalid ordering/.test(reason)) return /not strictly increasing/;
  throw new Error(`no expectation for reason ${reason}`);
}

function decodeError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error('expected a decoding failure');
}

describe('TLV vectors (BOLT 1 Appendix B)', () => {
  it('has 57 cases: 38 must fail, 19 must decode', () => {
    expect(V.cases).toHaveLength(57);
    expect(V.cases.filter((c) => !c.valid)).toHaveLength(38);
    expect(V.cases.filter((c) => c.valid)).toHaveLength(19);
  });

  V.cases.forEach((c, i) => {
    for (const ns of c.namespaces) {
      const label = `#${i} ${ns} ${c.valid ? 'decodes' : 'fails'}: ${c.stream || '(empty)'} — ${c.reason ?? c.explanation}`;
      it(label, () => {
        const stream = fromHex(c.stream);
        if (c.valid) {
          expect(DECODERS[ns](stream)).toEqual(c.values ?? {});
        } else {
          const err = decodeError(() => DECODERS[ns](stream));
          expect(err.rule).toMatch(expectedRule(c.reason!));
        }
      });
    }
  });

  // "Any appending of an invalid stream to a valid stream should trigger a decoding failure."
  it('a valid stream followed by an invalid one fails', () => {
    let n = 0;
    for (const good of V.cases.filter((c) => c.valid)) {
      for (const bad of V.cases.filter((c) => !c.valid)) {
        for (const ns of good.namespaces.filter((x) => bad.namespaces.includes(x))) {
          decodeError(() => DECODERS[ns](fromHex(good.stream + bad.stream)));
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(500);
  });

  // "Any appending of a higher-numbered valid stream to a lower-numbered valid stream should not
  // trigger a decoding failure."
  it('a valid stream followed by a higher-numbered valid one decodes both', () => {
    const typeOf = (hex: string): bigint => decodeTlvStream(fromHex(hex))[0]!.type;
    const single = V.cases.filter((c) => c.valid && c.stream !== '' && c.namespaces.includes('n1'));
    let n = 0;
    for (const a of single) {
      for (const b of single) {
        if (typeOf(a.stream) >= typeOf(b.stream)) continue;
        expect(decodeN1(fromHex(a.stream + b.stream))).toEqual({ ...(a.values ?? {}), ...(b.values ?? {}) });
        n++;
      }
    }
    expect(n).toBeGreaterThan(20);
  });
});

describe('TLV stream codec', () => {
  const record = fc.record({
    type: fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
    value: fc.uint8Array({ maxLength: 300 }),
  });

  it('round-trips any sorted, unique record list', () => {
    fc.assert(
      fc.property(fc.uniqueArray(record, { selector: (r) => r.type, maxLength: 8 }), (recs) => {
        const sorted = sortTlvRecords(recs);
        const bytes = encodeTlvStream(sorted);
        expect(bytes.length).toBe(tlvStreamLength(sorted));
        const back = decodeTlvStream(bytes);
        expect(back.map((r) => [r.type, toHex(r.value)])).toEqual(sorted.map((r) => [r.type, toHex(r.value)]));
      }),
      { numRuns: 500 },
    );
  });

  it('known: unknown even fails, unknown odd and known even are returned', () => {
    const bytes = encodeTlvStream([
      { type: 2n, value: fromHex('aa') },
      { type: 5n, value: fromHex('bb') },
    ]);
    expect(decodeTlvStream(bytes, { known: new Set([2n]) }).map((r) => r.type)).toEqual([2n, 5n]);
    expect(decodeTlvStream(bytes, { known: (t) => t === 2n })).toHaveLength(2);
    const e = decodeError(() => decodeTlvStream(bytes, { field: 's', known: new Set() }));
    expect(e.field).toBe('s[2]');
    expect(e.rule).toBe('unknown even type');
    // Without `known`, everything is returned for the caller to judge.
    expect(decodeTlvStream(bytes)).toHaveLength(2);
  });

  it('the writer refuses unsorted or duplicate records', () => {
    const a: TlvRecord = { type: 3n, value: new Uint8Array(0) };
    const b: TlvRecord = { type: 1n, value: new Uint8Array(0) };
    expect(() => encodeTlvStream([a, b])).toThrow(RangeError);
    expect(() => encodeTlvStream([a, a])).toThrow(RangeError);
    expect(() => sortTlvRecords([a, b, a])).toThrow(RangeError);
    expect(toHex(encodeTlvStream(sortTlvRecords([a, b])))).toBe('01000300');
  });

  it('tlvMap maps type to value; values are views of the input', () => {
    const bytes = fromHex('0102aabb0300');
    const m = tlvMap(decodeTlvStream(bytes));
    expect(toHex(m.get(1n)!)).toBe('aabb');
    expect(m.get(3n)!.length).toBe(0);
  });

  it('a length near 2^64 fails cleanly', () => {
    const e = decodeError(() => decodeTlvStream(fromHex('01ffffffffffffffffff00')));
    expect(e.rule).toMatch(/length exceeds/);
  });

  it('fuzz: only WireError from the raw stream and from n1/n2', () => {
    const samples = V.cases.map((c) => fromHex(c.stream));
    samples.push(concatBytes(...V.cases.filter((c) => c.valid && c.namespaces.includes('n1') && c.values?.tlv3).map((c) => fromHex(c.stream))));
    const raw = fuzzDecoder((b) => decodeTlvStream(b), samples, 0x71f);
    expect(raw.ok).toBeGreaterThan(1000);
    const n1 = fuzzDecoder(decodeN1, samples, 0x711);
    expect(n1.ok).toBeGreaterThan(500);
    fuzzDecoder(decodeN2, samples, 0x712);
  });
});
