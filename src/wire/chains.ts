// BOLT 0/1: `chain_hash` is the genesis block hash of the chain, in the byte order used on the
// wire (Bitcoin's internal order: the displayed hash reversed).
import { fromHex } from '../util/bytes.ts';

export type Network = 'regtest' | 'testnet' | 'signet' | 'mainnet';
export const NETWORKS: readonly Network[] = ['regtest', 'testnet', 'signet', 'mainnet'];

export function isNetwork(s: unknown): s is Network {
  return typeof s === 'string' && (NETWORKS as readonly string[]).includes(s);
}

export const CHAIN_HASH: Readonly<Record<Network, Uint8Array>> = {
  mainnet: fromHex('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000'),
  testnet: fromHex('43497fd7f826957108f4a30fd9cec3aeba79972084e90ead01ea330900000000'),
  signet: fromHex('f61eee3b63a380a477a063af32b2bbc97c9ff9f01f2c4225e973988108000000'),
  regtest: fromHex('06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f'),
};

/** The network whose chain hash is `h`, if any. */
export function networkOfChainHash(h: Uint8Array): Network | undefined {
  for (const n of NETWORKS) {
    const c = CHAIN_HASH[n];
    if (c.length === h.length && c.every((b, i) => b === h[i])) return n;
  }
  return undefined;
}
