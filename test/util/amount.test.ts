// Amounts as Core Lightning's parse_amount_msat reads them (common/amount.c), with typed errors.
import { describe, expect, it } from 'vitest';
import { AmountError, formatMsat, formatMsatBtc, MAX_U64_MSAT, parseAmountMsat } from '../../src/util/amount.ts';

describe('parseAmountMsat', () => {
  it.each([
    [4000, 4000n],
    [0, 0n],
    ['bigint 4000n' as unknown as string, 4000n],
    ['4000', 4000n],
    ['4000msat', 4000n],
    ['4sat', 4000n],
    ['0.00004btc', 4_000_000n],
    ['0.00000004btc', 4000n],
    ['1btc', 100_000_000_000n],
    ['1.btc', 100_000_000_000n],
    ['0.00000000001btc', 1n],
    ['21000000btc', 2_100_000_000_000_000_000n],
    ['007sat', 7000n],
    ['18446744073709551615msat', MAX_U64_MSAT],
    ['18446744073709551615', MAX_U64_MSAT],
  ])('%s → %s msat', (input, want) => {
    expect(parseAmountMsat(input === ('bigint 4000n' as unknown) ? 4000n : input)).toBe(want);
  });

  it.each([
    ['', /no digits/],
    ['msat', /no digits/],
    ['.5btc', /no digits/],
    ['1.', /decimal point/],
    ['1.5', /decimal point/],
    ['1.5sat', /only a btc amount may have decimals/],
    ['1.5msat', /only a btc amount may have decimals/],
    ['0.000000000001btc', /more than 11 decimals/],
    ['4sats', /unknown unit 'sats'/],
    ['4 sat', /unknown unit ' sat'/],
    ['-4sat', /no digits/],
    ['4e3', /unknown unit 'e3'/],
    ['18446744073709551616msat', /64 bits/],
    ['18446744073709552sat', /64 bits/],
    ['184467440737.09551616btc', /64 bits/],
    ['184467440.73709551615btc', MAX_U64_MSAT],
    ['184467440.73709551616btc', /64 bits/],
    ['184467440738btc', /64 bits/],
    ['000000000000000000000000000001', 1n],
  ])('%s is refused naming the field and the rule', (input, want) => {
    if (typeof want === 'bigint') {
      expect(parseAmountMsat(input)).toBe(want);
      return;
    }
    let err: unknown;
    try {
      parseAmountMsat(input, 'amount');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AmountError);
    expect((err as AmountError).field).toBe('amount');
    expect((err as AmountError).message).toMatch(want);
  });

  it('refuses numbers that are not exact non-negative integers, and non-amounts', () => {
    expect(() => parseAmountMsat(1.5)).toThrow(/whole number/);
    expect(() => parseAmountMsat(-1)).toThrow(/negative/);
    expect(() => parseAmountMsat(-1n)).toThrow(/negative/);
    expect(() => parseAmountMsat(2 ** 60)).toThrow(/pass it as a string/);
    expect(() => parseAmountMsat(2n ** 64n)).toThrow(/64 bits/);
    for (const v of [null, undefined, true, {}, [], NaN, Infinity]) expect(() => parseAmountMsat(v)).toThrow(AmountError);
  });

  it('formats as Core Lightning does', () => {
    expect(formatMsat(4000n)).toBe('4000msat');
    expect(formatMsatBtc(0n)).toBe('0btc');
    expect(formatMsatBtc(4000n)).toBe('0.00000004000btc');
    expect(formatMsatBtc(123_456_789_012n)).toBe('1.23456789012btc');
    // round trip through the btc form
    for (const v of [1n, 999n, 100_000_000_000n, 123_456_789_012n]) expect(parseAmountMsat(formatMsatBtc(v))).toBe(v);
  });
});
