// src/channel: receive-only channels. This much is BOLT 3 (transactions, scripts, keys, secrets),
// pure; the BOLT 2 state machine and persistence build on it.
export * from './errors.ts';
export * from './tx.ts';
export * from './script.ts';
export * from './keys.ts';
export * from './shachain.ts';
export * from './fees.ts';
export * from './commitment.ts';
export * from './sign.ts';
export * from './closing.ts';
