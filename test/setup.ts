// Property tests are deterministic by default (as the rest of the suite: injected clock and
// randomness); set FC_SEED to explore other inputs, e.g. `FC_SEED=$RANDOM npm test`.
import fc from 'fast-check';

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x5eed;
fc.configureGlobal({ seed });
