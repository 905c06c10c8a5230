// Randomness is injected everywhere (tests pass a seeded source); this is the default, secure one.
import { randomBytes as nodeRandomBytes } from 'node:crypto';

/** A source of random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** The operating system's CSPRNG. */
export const secureRandom: RandomSource = (length) => new Uint8Array(nodeRandomBytes(length));

/**
 * A deterministic source for tests: a SHA256-counter stream seeded by `seed`.
 * Never use for keys that guard money.
 */
export function deterministicRandom(seed: string | Uint8Array): RandomSource {
  let counter = 0;
  const seedBytes = typeof seed === 'string' ? new TextEncoder().encode(seed) : seed;
  return (length: number) => {
    const out = new Uint8Array(length);
    let off = 0;
    while (off < length) {
      const ctr = new Uint8Array(8);
      new DataView(ctr.buffer).setUint32(4, counter++);
      const block = sha256Block(seedBytes, ctr);
      const n = Math.min(32, length - off);
      out.set(block.subarray(0, n), off);
      off += n;
    }
    return out;
  };
}

import { createHash } from 'node:crypto';
function sha256Block(a: Uint8Array, b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(a).update(b).digest());
}
