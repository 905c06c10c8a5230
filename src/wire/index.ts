// Public API of the wire layer (BOLT 1, 4, 7, 9 codecs).
export * from './errors.ts';
export * from './bigsize.ts';
export * from './codec.ts';
export * from './tlv.ts';
export * from './chains.ts';
export * from './scid.ts';
export * from './blinded-path.ts';
export * from './features.ts';
export * from './messages.ts';
export * from './gossip.ts';
export * from './channel.ts';
