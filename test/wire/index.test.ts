// The wire layer's public API: the names other layers import from src/wire/index.ts.
import { describe, expect, it } from 'vitest';
import * as wire from '../../src/wire/index.ts';

describe('src/wire/index.ts', () => {
  it('re-exports every module', () => {
    const names = [
      'WireError',
      'readBigSize', 'writeBigSize', 'encodeBigSize', 'decodeBigSize', 'bigSizeLength',
      'Reader', 'Writer', 'encodeTu',
      'decodeTlvStream', 'encodeTlvStream', 'sortTlvRecords', 'tlvMap', 'tlvStreamLength', 'parseTlvValue',
      'CHAIN_HASH', 'NETWORKS', 'isNetwork', 'networkOfChainHash',
      'scidToString', 'scidFromString',
      'readBlindedPath', 'writeBlindedPath', 'encodeBlindedPath', 'decodeBlindedPath', 'readSciddirOrPubkey', 'writeSciddirOrPubkey',
      'FEATURE', 'featuresFromBits', 'featureBits', 'hasFeature', 'supportsFeature', 'requiresFeature', 'unknownRequiredBits',
      'checkFeatureDependencies', 'mergeFeatures', 'featuresToHex', 'featureName', 'FEATURE_DEPENDENCIES',
      'MSG', 'encodeInit', 'decodeInit', 'combinedInitFeatures', 'encodeError', 'decodeError', 'encodeWarning', 'decodeWarning',
      'encodePing', 'decodePing', 'encodePong', 'decodePong', 'encodeOnionMessage', 'decodeOnionMessage', 'frameMessage', 'splitMessage',
    ];
    for (const n of names) expect(wire, n).toHaveProperty(n);
  });
});
