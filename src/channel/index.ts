// src/channel: receive-only channels. BOLT 3 (transactions, scripts, keys, secrets), pure; the
// fundee's BOLT 2 state machine (a pure reducer) and its state's stored form; persistence and the
// transport glue build on these.
export * from './errors.ts';
export * from './tx.ts';
export * from './script.ts';
export * from './keys.ts';
export * from './shachain.ts';
export * from './fees.ts';
export * from './commitment.ts';
export * from './sign.ts';
export * from './closing.ts';
export * from './channel-keys.ts';
export * from './state.ts';
export * from './htlcs.ts';
export * from './mutual-close.ts';
export * from './fundee.ts';
export * from './state-codec.ts';
export * from './payment-onion.ts';
export * from './manager.ts';
