// src/crypto: the only module that imports a crypto library. Everything else imports from here.
export * from './hash.ts';
export * from './cipher.ts';
export * from './random.ts';
export * from './secp256k1.ts';
