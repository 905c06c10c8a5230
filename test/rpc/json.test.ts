import { describe, expect, it } from 'vitest';
import { JsonStreamSplitter, stringifyJson } from '../../src/rpc/json.ts';

describe('stringifyJson', () => {
  it('writes bigint as exact JSON integers and bytes as hex', () => {
    expect(stringifyJson({ a: 2n ** 64n - 1n, b: new Uint8Array([1, 255]), c: 's' })).toBe('{"a":18446744073709551615,"b":"01ff","c":"s"}');
    expect(stringifyJson(undefined)).toBe('null');
  });
});

describe('JsonStreamSplitter', () => {
  it('splits concatenated objects across arbitrary chunk boundaries, strings with braces included', () => {
    const text = '{"a":"}{\\"","b":[1,{"c":2}]}  {"x":1}[1,2]';
    for (let cut = 0; cut <= text.length; cut++) {
      const s = new JsonStreamSplitter();
      const got = [...s.push(text.slice(0, cut)), ...s.push(text.slice(cut))];
      expect(got).toEqual(['{"a":"}{\\"","b":[1,{"c":2}]}', '{"x":1}', '[1,2]']);
    }
  });
  it('hands stray garbage out as its own text and bounds an endless object', () => {
    expect(new JsonStreamSplitter().push('x{"a":1}')).toEqual(['x', '{"a":1}']);
    const s = new JsonStreamSplitter(100);
    expect(() => s.push('{"a":"' + 'y'.repeat(200))).toThrow(RangeError);
  });
  it('splits in linear time: a large text in small chunks costs about what it costs in one piece', () => {
    // Before: each chunk was appended to a string that was then re-read, so V8 flattened the
    // whole buffer per chunk: an 8 MiB request in 16 KiB reads cost O(n²) (seconds; minutes at 15 MB).
    const text = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"decode","params":["' + 'a\\"{['.repeat(8 * 2 ** 20 / 6) + '"]}');
    const time = (chunk: number): number => {
      const t0 = performance.now();
      const s = new JsonStreamSplitter();
      const got: string[] = [];
      for (let i = 0; i < text.length; i += chunk) got.push(...s.push(text.subarray(i, i + chunk)));
      expect(got).toHaveLength(1);
      expect(got[0]!.length).toBe(text.length);
      expect(s.held).toBe(0);
      return performance.now() - t0;
    };
    time(text.length); // warm up
    const whole = Math.min(time(text.length), time(text.length));
    const small = Math.min(time(16 * 1024), time(16 * 1024));
    expect(small / Math.max(whole, 5)).toBeLessThan(4);
  });
  it('decodes UTF-8 split anywhere, holds what it keeps and releases it', () => {
    const text = Buffer.from('{"s":"é€😀"}{"t":"ü"}');
    for (let cut = 0; cut <= text.length; cut++) {
      const s = new JsonStreamSplitter();
      const got = [...s.push(text.subarray(0, cut)), ...s.push(text.subarray(cut))];
      expect(got).toEqual(['{"s":"é€😀"}', '{"t":"ü"}']);
    }
    const s = new JsonStreamSplitter();
    s.push('{"a":"' + 'x'.repeat(100_000));
    expect(s.held).toBeGreaterThanOrEqual(100_000);
    expect(s.pending).toBe(100_006);
    // a trickle of one-byte reads is copied together, not kept as one object per read
    for (let i = 0; i < 10_000; i++) s.push('y');
    expect(s.held).toBeLessThan(100_006 + 10_000 + 128 * 1024);
    s.clear();
    expect(s.held).toBe(0);
    expect(s.push('{"b":1}')).toEqual(['{"b":1}']);
  });
});

describe('stringifyJson: no string passes for a bigint', () => {
  it('a string value that looks like the internal bigint mark stays a string', () => {
    const v = { amount: 5n, label: '\u0000bigint:123', other: '\u0000str:x', nul: '\u0000', big: 2n ** 70n };
    const s = stringifyJson(v);
    expect(JSON.parse(s)).toEqual({ amount: 5, label: '\u0000bigint:123', other: '\u0000str:x', nul: '\u0000', big: 2 ** 70 });
    expect(s).toContain('"big":1180591620717411303424');
  });
});
