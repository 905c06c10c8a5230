// BOLT 12, "Encoding": the human-readable string form of offers (`lno`), invoice requests and
// refunds (`lnr`) and invoices (`lni`, as Core Lightning and LDK print them): the prefix, a `1`,
// then the TLV bytes in bech32 characters (5 bits each), with no checksum, optionally broken up by
// `+` continuations.
import { Bolt12Error, fail } from './errors.ts';

/** The human-readable prefixes BOLT 12 strings use. */
export type Bolt12Prefix = 'lno' | 'lnr' | 'lni';
export const BOLT12_PREFIXES: readonly Bolt12Prefix[] = ['lno', 'lnr', 'lni'];

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
/** ASCII code → 5-bit value, or -1. Upper and lower case map alike (the case rule is checked apart). */
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < CHARSET.length; i++) {
  VALUE[CHARSET.charCodeAt(i)] = i;
  VALUE[CHARSET.toUpperCase().charCodeAt(i)] = i;
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
// JavaScript's \s: what a user may paste after a `+` (space, tab, CR, LF, and Unicode spaces).
const WHITESPACE = /\s/;
function isWhitespace(c: number): boolean {
  // ASCII fast path; the regular expression decides the rest (Unicode spaces, U+FEFF…).
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return true;
  return c > 0x7f && WHITESPACE.test(String.fromCharCode(c));
}

/**
 * Remove `+` continuations. BOLT 12, readers: "if it encounters a `+` followed by zero or more
 * whitespace characters between two bech32 characters: MUST remove the `+` and whitespace." Any
 * other `+` or whitespace is an error.
 */
export function removeContinuations(s: string): string {
  let plus = s.indexOf('+');
  if (plus < 0) return s;
  // Linear: the kept runs between continuations are sliced from the input and joined once. (The
  // old loop appended a character at a time and read the last one back, which made V8 flatten the
  // growing rope at every `+`: quadratic, 46 s for 120k continuations.)
  const parts: string[] = [];
  let start = 0;
  while (plus >= 0) {
    // The character before must be a bech32 character (hrp letters and the `1` count). The run
    // before this `+` is never empty except at offset 0, since a `+` is always followed by one.
    if (plus === 0 || !isAlnum(s.charCodeAt(plus - 1))) {
      fail('INVALID_CONTINUATION', 'string', `'+' at offset ${plus} does not follow a bech32 character`);
    }
    parts.push(s.slice(start, plus));
    let j = plus + 1;
    while (j < s.length && isWhitespace(s.charCodeAt(j))) j++;
    if (j >= s.length || !isAlnum(s.charCodeAt(j))) {
      fail('INVALID_CONTINUATION', 'string', `'+' at offset ${plus} is not followed by a bech32 character`);
    }
    start = j;
    plus = s.indexOf('+', j);
  }
  parts.push(s.slice(start));
  return parts.join('');
}

/** A decoded string: its prefix (lowercase) and the TLV bytes. */
export interface Bolt12StringData {
  prefix: string;
  bytes: Uint8Array;
}

/**
 * Decode the string form into its prefix and TLV bytes, without looking at the bytes. When
 * `expected` is given, any other prefix is refused (`UNKNOWN_PREFIX`).
 */
export function decodeBolt12StringData(s: string, expected?: Bolt12Prefix | readonly Bolt12Prefix[]): Bolt12StringData {
  if (typeof s !== 'string') throw new Bolt12Error('INVALID_CHARACTER', 'string', 'not a string');
  const str = removeContinuations(s);
  // Case: "MUST handle strings which are all lowercase, or all uppercase" — and nothing else.
  let lower = false;
  let upper = false;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) lower = true;
    else if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  if (lower && upper) fail('MIXED_CASE', 'string', 'mixes lowercase and UPPERCASE');
  const sep = str.lastIndexOf('1');
  if (sep < 1) fail('MISSING_SEPARATOR', 'string', "no human-readable prefix followed by '1'");
  const prefix = str.slice(0, sep).toLowerCase();
  for (let i = 0; i < sep; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) fail('INVALID_CHARACTER', 'string', `invalid character in prefix at offset ${i}`);
  }
  if (expected !== undefined) {
    const ok = typeof expected === 'string' ? prefix === expected : (expected as readonly string[]).includes(prefix);
    if (!ok) {
      fail('UNKNOWN_PREFIX', 'string', `prefix '${prefix}' is not ${typeof expected === 'string' ? `'${expected}'` : expected.map((e) => `'${e}'`).join(' or ')}`);
    }
  }
  // 5-bit groups to bytes (big-endian bit order, as bech32).
  const n = str.length - sep - 1;
  const bytes = new Uint8Array(Math.floor((n * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = sep + 1; i < str.length; i++) {
    const c = str.charCodeAt(i);
    const v = c < 128 ? VALUE[c]! : -1;
    if (v < 0) fail('INVALID_CHARACTER', 'string', `'${str[i]}' at offset ${i} is not a bech32 character`);
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[o++] = (acc >> bits) & 0xff;
    }
  }
  // BIP 173 conversion without padding: fewer than 5 leftover bits, all zero.
  if (bits >= 5) fail('INVALID_PADDING', 'string', `${bits} bits of padding (at most 4)`);
  if ((acc & ((1 << bits) - 1)) !== 0) fail('INVALID_PADDING', 'string', 'non-zero padding bits');
  return { prefix, bytes };
}

/**
 * Encode TLV bytes in the string form: lowercase (BOLT 12 writers "SHOULD use lower case
 * otherwise"; pass `uppercase` for QR codes), no continuations.
 */
export function encodeBolt12String(prefix: Bolt12Prefix, bytes: Uint8Array, uppercase = false): string {
  const out: string[] = [prefix, '1'];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | bytes[i]!) & 0x1fff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push(CHARSET[(acc >> bits) & 31]!);
    }
  }
  if (bits > 0) out.push(CHARSET[(acc << (5 - bits)) & 31]!);
  const s = out.join('');
  return uppercase ? s.toUpperCase() : s;
}
