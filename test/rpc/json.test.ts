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
});
