// The BOLT 12 fuzzer: mutates valid seeds (bit flips, byte changes, truncations, huge lengths,
// non-minimal BigSizes, duplicated / reordered / deleted / inserted / spliced records, string-form
// damage: case, `+` and whitespace, bad characters, wrong prefixes) and feeds every result to every
// decoder. The oracle: each decoder returns or throws a `Bolt12Error` (the RPC `decode` an
// `RpcError`) — never another exception — within a time bound, and whatever decodes re-encodes to
// itself. Deterministic for a given seed.
import {
  Bolt12Error,
  decodeBolt12String,
  decodeInvoice,
  decodeInvoiceRequest,
  decodeOffer,
  decodeRefund,
  encodeBolt12String,
  inspectBolt12String,
  invoiceErrorFromBytes,
  invoiceFromBytes,
  invoiceRequestFromBytes,
  offerFromBytes,
  refundFromBytes,
} from '../../src/bolt12/index.ts';
import { decodeMethod } from '../../src/rpc/methods/decode.ts';
import { RpcError } from '../../src/rpc/types.ts';
import { buildCorpus, type Seed } from './corpus.ts';

/** mulberry32: a small deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

function bigsize(v: bigint): number[] {
  if (v < 0xfdn) return [Number(v)];
  if (v <= 0xffffn) return [0xfd, Number(v >> 8n), Number(v & 0xffn)];
  if (v <= 0xffff_ffffn) return [0xfe, ...[24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn))];
  return [0xff, ...[56n, 48n, 40n, 32n, 24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn))];
}

interface Rec {
  type: bigint;
  raw: number[];
  value: number[];
}

/** Split bytes into TLV records, loosely (stops at the first thing it cannot read). */
function splitRecords(b: Uint8Array): Rec[] | undefined {
  const out: Rec[] = [];
  let o = 0;
  const read = (): bigint | undefined => {
    if (o >= b.length) return undefined;
    const f = b[o]!;
    const n = f < 0xfd ? 0 : f === 0xfd ? 2 : f === 0xfe ? 4 : 8;
    if (o + 1 + n > b.length) return undefined;
    let v = n === 0 ? BigInt(f) : 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[o + 1 + i]!);
    o += 1 + n;
    return v;
  };
  while (o < b.length) {
    const start = o;
    const t = read();
    const l = read();
    if (t === undefined || l === undefined || BigInt(b.length - o) < l) return out.length ? out : undefined;
    const vs = o;
    o += Number(l);
    out.push({ type: t, raw: [...b.subarray(start, o)], value: [...b.subarray(vs, o)] });
  }
  return out;
}
const join = (rs: Rec[]) => Uint8Array.from(rs.flatMap((r) => r.raw));
const mkRec = (type: bigint, value: number[]): Rec => ({ type, value, raw: [...bigsize(type), ...bigsize(BigInt(value.length)), ...value] });
const randomBytes = (r: Rand, n: number) => Array.from({ length: n }, () => int(r, 256));

const INTERESTING_TYPES = [0n, 1n, 2n, 10n, 16n, 22n, 23n, 78n, 79n, 80n, 88n, 89n, 90n, 91n, 159n, 160n, 162n, 168n, 170n, 176n, 177n, 239n, 240n, 241n, 242n, 1000n, 1001n, 999_999_999n, 1_000_000_000n, 1_000_000_001n, 1_999_999_999n, 2_000_000_000n, 2_999_999_999n, 3_000_000_001n, 4_000_000_000n, 0xffff_ffff_ffff_ffffn];
const HUGE = [0xfdn, 0xffffn, 0x1_0000n, 0xffff_ffffn, 0x1_0000_0000n, 0xffff_ffff_ffff_ffffn];

/** One byte-level mutation of `b`, using `others` for splicing. */
export function mutateBytes(r: Rand, b: Uint8Array, others: readonly Seed[]): Uint8Array {
  const recs = splitRecords(b);
  const op = int(r, 15);
  const copy = Uint8Array.from(b);
  switch (op) {
    case 0: // bit flips
    case 1: {
      if (copy.length === 0) return Uint8Array.from([int(r, 256)]);
      for (let k = 1 + int(r, 4); k > 0; k--) copy[int(r, copy.length)]! ^= 1 << int(r, 8);
      return copy;
    }
    case 2: // byte set
      if (copy.length) copy[int(r, copy.length)] = pick(r, [0, 1, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff, int(r, 256)]);
      return copy;
    case 3: // truncate
      return copy.subarray(0, int(r, copy.length + 1));
    case 4: // extend with junk
      return Uint8Array.from([...copy, ...randomBytes(r, 1 + int(r, 40))]);
  }
  if (!recs || recs.length === 0) return Uint8Array.from([...copy, ...randomBytes(r, 1 + int(r, 8))]);
  const i = int(r, recs.length);
  const rec = recs[i]!;
  switch (op) {
    case 5: {
      // huge length, rest unchanged
      recs[i] = { type: rec.type, value: rec.value, raw: [...bigsize(rec.type), ...bigsize(pick(r, HUGE)), ...rec.value] };
      return join(recs);
    }
    case 6: // duplicate a record
      recs.splice(i, 0, rec);
      return join(recs);
    case 7: {
      // swap two records
      const j = int(r, recs.length);
      [recs[i], recs[j]] = [recs[j]!, recs[i]!];
      return join(recs);
    }
    case 8: // delete
      recs.splice(i, 1);
      return join(recs);
    case 9: {
      // insert a record of an interesting or random type, in order or not
      const type = r() < 0.7 ? pick(r, INTERESTING_TYPES) : BigInt(int(r, 300));
      const rr = mkRec(type, randomBytes(r, int(r, 48)));
      if (r() < 0.8) {
        let k = 0;
        while (k < recs.length && recs[k]!.type < type) k++;
        recs.splice(k, 0, rr);
      } else recs.splice(int(r, recs.length + 1), 0, rr);
      return join(recs);
    }
    case 10: {
      // splice a record from another seed, in type order
      const other = splitRecords(pick(r, others).bytes);
      if (!other || !other.length) return join(recs);
      const x = pick(r, other);
      const rest = recs.filter((y) => y.type !== x.type);
      let k = 0;
      while (k < rest.length && rest[k]!.type < x.type) k++;
      rest.splice(k, 0, x);
      return join(rest);
    }
    case 11: {
      // new value for a record: random, empty, shorter, longer
      const v = pick(r, [[], randomBytes(r, int(r, 70)), rec.value.slice(0, int(r, rec.value.length + 1)), [...rec.value, ...randomBytes(r, 1 + int(r, 5))]]);
      recs[i] = mkRec(rec.type, v);
      return join(recs);
    }
    case 12: {
      // non-minimal BigSize for type or length
      const widen = (v: bigint) => (v < 0xfdn ? [0xfd, 0, Number(v)] : [0xff, ...[56n, 48n, 40n, 32n, 24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn))]);
      const t = r() < 0.5 ? widen(rec.type) : bigsize(rec.type);
      const l = r() < 0.5 ? bigsize(BigInt(rec.value.length)) : widen(BigInt(rec.value.length));
      recs[i] = { type: rec.type, value: rec.value, raw: [...t, ...l, ...rec.value] };
      return join(recs);
    }
    case 13: {
      // flip bits inside one value only (nested structures: paths, payinfo, fallbacks)
      if (rec.value.length === 0) return join(recs);
      const v = [...rec.value];
      for (let k = 1 + int(r, 3); k > 0; k--) v[int(r, v.length)]! ^= 1 << int(r, 8);
      recs[i] = mkRec(rec.type, v);
      return join(recs);
    }
    default: {
      // change a record's type (keeps its value)
      recs[i] = mkRec(r() < 0.5 ? pick(r, INTERESTING_TYPES) : rec.type ^ BigInt(1 << int(r, 8)), rec.value);
      return join(recs);
    }
  }
}

const PREFIX_OF: Record<string, 'lno' | 'lnr' | 'lni'> = { offer: 'lno', invoice_request: 'lnr', refund: 'lnr', invoice: 'lni', invoice_error: 'lni' };

/** One string-level mutation. */
export function mutateString(r: Rand, s: string): string {
  const op = int(r, 9);
  const at = int(r, s.length + 1);
  switch (op) {
    case 0:
      return s.toUpperCase();
    case 1: {
      // flip the case of one character (mixed case)
      const c = s[at] ?? '';
      return s.slice(0, at) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + s.slice(at + 1);
    }
    case 2:
      return s.slice(0, at) + pick(r, ['+', '+ ', '+\n', '+\r\n  ', '++', ' +', '+\t']) + s.slice(at);
    case 3:
      return s.slice(0, at) + pick(r, [' ', '\n', '1', 'b', 'i', 'o', '\u00e9', '\u0000', '\ud800', '💥', 'Q']) + s.slice(at);
    case 4:
      return s.slice(0, at);
    case 5:
      return s.slice(0, at) + s.slice(at + 1 + int(r, 5));
    case 6:
      return pick(r, ['lno1', 'lnr1', 'lni1', 'lnbc1', 'LNO1', 'lightning:', '', '1', 'lno']) + s.slice(4);
    case 7:
      return s + pick(r, ['q', 'qq', 'qqqqq', 'l', '+', ' ']);
    default:
      return s.slice(0, at) + s.slice(at).replace(/[a-z]/, 'x');
  }
}

export interface FuzzReport {
  inputs: number;
  decoderCalls: number;
  accepted: number;
  rejected: number;
  /** Exceptions other than Bolt12Error / RpcError: must be 0. */
  otherExceptions: number;
  /** Decoded messages whose re-encoding did not decode to the same bytes: must be 0. */
  roundTripFailures: number;
  /** Slowest single decoder call, in milliseconds. */
  maxCallMs: number;
  byCode: Record<string, number>;
  /** First few unexpected exceptions, for diagnosis. */
  failures: string[];
  seconds: number;
}

type Target = { name: string; run: (input: Uint8Array | string) => { bytes: Uint8Array; again: () => Uint8Array } | undefined };

const bytesTargets: Target[] = [
  { name: 'offerFromBytes', run: (b) => { const o = offerFromBytes(b as Uint8Array); return { bytes: o.bytes, again: () => decodeOffer(o.toString()).bytes }; } },
  { name: 'invoiceRequestFromBytes', run: (b) => { const o = invoiceRequestFromBytes(b as Uint8Array); return { bytes: o.bytes, again: () => decodeInvoiceRequest(o.toString()).bytes }; } },
  { name: 'refundFromBytes', run: (b) => { const o = refundFromBytes(b as Uint8Array); return { bytes: o.bytes, again: () => decodeRefund(o.toString()).bytes }; } },
  { name: 'invoiceFromBytes', run: (b) => { const o = invoiceFromBytes(b as Uint8Array, { now: 1_700_000_100 }); return { bytes: o.bytes, again: () => decodeInvoice(o.toString()).bytes }; } },
  { name: 'invoiceErrorFromBytes', run: (b) => { const o = invoiceErrorFromBytes(b as Uint8Array); return { bytes: o.bytes, again: () => invoiceErrorFromBytes(o.bytes).bytes }; } },
];
const stringTargets: Target[] = [
  {
    name: 'decodeBolt12String',
    run: (s) => {
      const d = decodeBolt12String(s as string);
      const m = d.type === 'offer' ? d.offer : d.type === 'invoice' ? d.invoice : d.type === 'refund' ? d.refund : d.invoiceRequest;
      return { bytes: m.bytes, again: () => inspectBolt12String(m.toString()).parsed.bytes };
    },
  },
  { name: 'inspectBolt12String', run: (s) => { inspectBolt12String(s as string); return undefined; } },
];

/** Run `iterations` mutated inputs through every decoder. */
export function runFuzz(iterations: number, seed = 12, onProgress?: (done: number, r: FuzzReport) => void): FuzzReport {
  const t0 = performance.now();
  const corpus = buildCorpus();
  const r = prng(seed);
  const rep: FuzzReport = { inputs: 0, decoderCalls: 0, accepted: 0, rejected: 0, otherExceptions: 0, roundTripFailures: 0, maxCallMs: 0, byCode: {}, failures: [], seconds: 0 };

  const call = (t: Target, input: Uint8Array | string, rpc = false) => {
    rep.decoderCalls++;
    const s = performance.now();
    try {
      if (rpc) decodeMethod.handler({ string: input }, undefined);
      else {
        const ok = t.run(input);
        if (ok) {
          const again = ok.again();
          if (again.length !== ok.bytes.length || again.some((x, i) => x !== ok.bytes[i])) {
            rep.roundTripFailures++;
            if (rep.failures.length < 10) rep.failures.push(`${t.name}: round trip differs for ${describe(input)}`);
          }
        }
      }
      rep.accepted++;
    } catch (e) {
      if (e instanceof Bolt12Error) {
        rep.rejected++;
        rep.byCode[e.code] = (rep.byCode[e.code] ?? 0) + 1;
      } else if (rpc && e instanceof RpcError) {
        rep.rejected++;
        rep.byCode['RPC ' + e.code] = (rep.byCode['RPC ' + e.code] ?? 0) + 1;
      } else {
        rep.otherExceptions++;
        if (rep.failures.length < 10) rep.failures.push(`${rpc ? 'decode RPC' : t.name}: ${(e as Error)?.stack ?? String(e)} for ${describe(input)}`);
      }
    }
    const ms = performance.now() - s;
    if (ms > rep.maxCallMs) rep.maxCallMs = ms;
  };

  for (let n = 0; n < iterations; n++) {
    rep.inputs++;
    const sd = pick(r, corpus);
    // Stack 1–3 byte mutations.
    let b = sd.bytes;
    for (let k = 1 + int(r, 3); k > 0; k--) b = mutateBytes(r, b, corpus);
    if (n % 4 === 3) {
      // A string input: mutated bytes in the string form, then string damage half the time.
      let s = encodeBolt12String(PREFIX_OF[sd.kind]!, b, r() < 0.2);
      if (r() < 0.5) s = mutateString(r, s);
      for (const t of stringTargets) call(t, s);
      if (n % 16 === 15) call(stringTargets[0]!, s, true);
    } else {
      // Bytes: the decoder of the seed's kind, and half the time every decoder.
      if (r() < 0.5) for (const t of bytesTargets) call(t, b);
      else call(bytesTargets[{ offer: 0, invoice_request: 1, refund: 2, invoice: 3, invoice_error: 4 }[sd.kind]]!, b);
    }
    if (onProgress && (n + 1) % 100_000 === 0) onProgress(n + 1, rep);
  }
  rep.seconds = (performance.now() - t0) / 1000;
  return rep;
}

function describe(x: Uint8Array | string): string {
  return typeof x === 'string' ? JSON.stringify(x.slice(0, 200)) : Buffer.from(x).toString('hex').slice(0, 400);
}
