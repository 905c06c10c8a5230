// short_channel_id (BOLT 7): block height (3 bytes), transaction index (3), output index (2).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { scidFromString, scidToString } from '../../src/wire/scid.ts';

describe('short_channel_id', () => {
  it('BLOCKxTXxOUT text form', () => {
    // BOLT 1 Appendix B: 0x0000000000000226 is "0x0x550".
    expect(scidToString(0x226n)).toBe('0x0x550');
    expect(scidToString((539268n << 40n) | (845n << 16n) | 1n)).toBe('539268x845x1');
    expect(scidFromString('539268x845x1')).toBe((539268n << 40n) | (845n << 16n) | 1n);
    for (const bad of ['', '1x2', '1x2x3x4', '16777216x0x0', '0x16777216x0', '0x0x65536', '-1x0x0', '1 x2x3']) {
      expect(scidFromString(bad)).toBeUndefined();
    }
  });

  it('round-trips every u64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (s) => {
        expect(scidFromString(scidToString(s))).toBe(s);
      }),
    );
  });
});
