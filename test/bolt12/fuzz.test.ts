// 100,000 mutated strings and TLV streams (bit flips, truncations, huge lengths, non-minimal
// BigSizes, duplicated / reordered / inserted / spliced records, string-form damage) into every
// BOLT 12 decoder and the `decode` RPC: only typed errors, never another exception, no slow call,
// and whatever decodes re-encodes to itself. `npm run fuzz` runs the same engine for 10^6 inputs.
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../fuzz/engine.ts';

describe('BOLT 12 fuzzing', () => {
  it('100,000 mutated inputs: typed errors only, no hang', () => {
    const rep = runFuzz(100_000, 0x5eed);
    if (rep.failures.length) console.error(rep.failures.join('\n'));
    expect(rep.inputs).toBe(100_000);
    expect(rep.otherExceptions).toBe(0);
    expect(rep.roundTripFailures).toBe(0);
    // A hang or a super-linear path would show here (a normal call takes well under 1 ms).
    expect(rep.maxCallMs).toBeLessThan(1000);
    // The mutations reach deep: both acceptances and many different reasons.
    expect(rep.accepted).toBeGreaterThan(1000);
    expect(Object.keys(rep.byCode).length).toBeGreaterThan(30);
  }, 120_000);
});
