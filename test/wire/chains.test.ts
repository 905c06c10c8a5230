// chain_hash constants: the genesis block hashes in wire (internal) byte order.
import { describe, expect, it } from 'vitest';
import { CHAIN_HASH, NETWORKS, isNetwork, networkOfChainHash } from '../../src/wire/chains.ts';
import { toHex } from '../../src/util/bytes.ts';

describe('chains', () => {
  it('chain hashes are the genesis hashes as displayed, reversed', () => {
    const displayed = {
      mainnet: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
      testnet: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
      signet: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
      regtest: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
    };
    for (const n of NETWORKS) {
      expect(toHex(CHAIN_HASH[n].slice().reverse())).toBe(displayed[n]);
      expect(networkOfChainHash(CHAIN_HASH[n])).toBe(n);
    }
    expect(networkOfChainHash(new Uint8Array(32))).toBeUndefined();
    expect(networkOfChainHash(new Uint8Array(0))).toBeUndefined();
  });

  it('isNetwork', () => {
    expect(isNetwork('regtest')).toBe(true);
    expect(isNetwork('bitcoin')).toBe(false);
    expect(isNetwork(1)).toBe(false);
  });
});
