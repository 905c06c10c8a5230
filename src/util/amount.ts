// Amounts as Core Lightning reads them from JSON-RPC parameters (common/amount.c
// `parse_amount_msat`, reached through `param_msat` / `json_to_msat`): the raw token text is one of
//
//   [0-9]+               millisatoshis             4000
//   [0-9]+msat           millisatoshis             "4000msat"
//   [0-9]+sat            × 1000                    "4sat"
//   [0-9]+btc            × 100 000 000 000         "1btc"
//   [0-9]+.[0-9]{0,11}btc  whole and fraction      "0.00004btc", "1.btc"
//
// with every step checked for u64 overflow. A JSON number reaches CLN as its token text, so `4e3`,
// `1.5` or `-1` are refused; here a JS number must be a safe non-negative integer (a larger one has
// lost its digits in JSON.parse already: pass a string).
//
// Differences from CLN, on purpose: CLN compares the unit with a prefix test (`memstarts_str`), so it
// also takes "4sats" or "4000msatoshi"; here the unit must be exactly `msat`, `sat` or `btc`, so a
// typo is an error rather than a guess. Pure: no I/O.

/** Why an amount was refused: the field and the rule, like every parser here. */
export class AmountError extends Error {
  override readonly name = 'AmountError';
  constructor(
    /** The parameter or field that held the amount. */
    readonly field: string,
    /** What is wrong with it, for people. */
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

/** 2^64 − 1: Core Lightning keeps msat in a u64 and refuses anything that overflows it. */
export const MAX_U64_MSAT = 0xffff_ffff_ffff_ffffn;
/** 21 million bitcoin in millisatoshis. */
export const MAX_MONEY_MSAT = 2_100_000_000_000_000_000n;

const MSAT_PER_SAT = 1000n;
const MSAT_PER_BTC = 100_000_000_000n;

const HINT = 'should be a millisatoshi amount: an integer, or a string such as "4000msat", "4sat" or "0.00004btc"';

/**
 * An amount in millisatoshis from a JSON-RPC parameter value: a bigint, a safe non-negative
 * integer, or a string in Core Lightning's grammar (above). Throws {@link AmountError}.
 */
export function parseAmountMsat(v: unknown, field = 'amount_msat'): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n) throw new AmountError(field, 'should not be negative');
    if (v > MAX_U64_MSAT) throw new AmountError(field, 'does not fit in 64 bits of millisatoshis');
    return v;
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new AmountError(field, `${HINT} (${v} is not a whole number of millisatoshis)`);
    if (v < 0) throw new AmountError(field, 'should not be negative');
    if (!Number.isSafeInteger(v)) throw new AmountError(field, 'integer too large to be exact in JSON: pass it as a string, e.g. "12345678901234567890msat"');
    return BigInt(v);
  }
  if (typeof v !== 'string') throw new AmountError(field, HINT);
  return parseAmountString(v, field);
}

/** The string grammar alone (CLN `breakup` + `parse_amount_msat`). */
export function parseAmountString(s: string, field = 'amount_msat'): bigint {
  // breakup(): a run of digits, optionally '.' and a run of digits, then the unit (the rest).
  let i = 0;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  const whole = s.slice(0, i);
  if (whole.length === 0) throw new AmountError(field, `${HINT} (no digits before the unit)`);
  let fraction: string | undefined;
  if (s[i] === '.') {
    let j = i + 1;
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    fraction = s.slice(i + 1, j);
    // CLN: "1." with nothing after it is not an amount.
    if (j === s.length) throw new AmountError(field, `${HINT} (a decimal point needs the btc unit)`);
    i = j;
  }
  const unit = s.slice(i);
  if (fraction === undefined && (unit === '' || unit === 'msat')) return fromNumber(whole, 0n, field);
  if (fraction === undefined && unit === 'sat') return fromNumber(whole, MSAT_PER_SAT, field);
  if (unit === 'btc') {
    const w = fromNumber(whole, MSAT_PER_BTC, field);
    if (fraction === undefined || fraction.length === 0) return w;
    // from_numbers(): at most 11 decimals, the 11th being millisatoshis.
    if (fraction.length > 11) throw new AmountError(field, `${s} has more than 11 decimals: 1 msat is 0.00000000001btc`);
    return checkU64(w + BigInt(fraction.padEnd(11, '0')), field);
  }
  if (fraction !== undefined && (unit === 'sat' || unit === 'msat' || unit === '')) {
    throw new AmountError(field, `${s}: only a btc amount may have decimals (1 msat is the smallest unit)`);
  }
  throw new AmountError(field, `${HINT} (unknown unit '${unit}')`);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function fromNumber(digits: string, factor: bigint, field: string): bigint {
  // At most 20 digits fit a u64; anything longer overflows (CLN: mul_overflows_u64).
  if (digits.replace(/^0+/, '').length > 20) throw new AmountError(field, 'does not fit in 64 bits of millisatoshis');
  return checkU64(BigInt(digits) * (factor === 0n ? 1n : factor), field);
}

function checkU64(v: bigint, field: string): bigint {
  if (v > MAX_U64_MSAT) throw new AmountError(field, 'does not fit in 64 bits of millisatoshis');
  return v;
}

/** Core Lightning's `fmt_amount_msat`: "<n>msat". */
export function formatMsat(msat: bigint): string {
  return `${msat}msat`;
}

/** Core Lightning's `fmt_amount_msat_btc`: "<whole>.<11 digits>btc" ("0btc" for zero). */
export function formatMsatBtc(msat: bigint): string {
  if (msat === 0n) return '0btc';
  return `${msat / MSAT_PER_BTC}.${(msat % MSAT_PER_BTC).toString().padStart(11, '0')}btc`;
}
