// BOLT 9 feature vectors: bit layout, "it's OK to be odd" for unknown bits, the dependency table.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FEATURE,
  FEATURE_DEPENDENCIES,
  LEGACY_FEATURE_DEPENDENCIES,
  checkFeatureDependencies,
  featureBits,
  featureName,
  featuresEqual,
  featuresFromBits,
  featuresToHex,
  hasFeature,
  mergeFeatures,
  minimalFeatures,
  requiresFeature,
  supportsFeature,
  unknownRequiredBits,
} from '../../src/wire/features.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';

describe('feature bit layout', () => {
  it('bit 0 is the least-significant bit of the last byte; vectors are minimal', () => {
    expect(toHex(featuresFromBits([]))).toBe('');
    expect(toHex(featuresFromBits([0]))).toBe('01');
    expect(toHex(featuresFromBits([1]))).toBe('02');
    expect(toHex(featuresFromBits([8]))).toBe('0100');
    expect(toHex(featuresFromBits([9, 15, 25, 39]))).toBe('8002008200');
    expect(featuresToHex(featuresFromBits([FEATURE.option_onion_messages + 1, FEATURE.option_route_blinding + 1]))).toBe('8002000000');
  });

  it('featureBits is the inverse of featuresFromBits, ascending and de-duplicated', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 30 }), (bits) => {
        const v = featuresFromBits(bits);
        expect(featureBits(v)).toEqual([...new Set(bits)].sort((a, b) => a - b));
        for (const b of bits) expect(hasFeature(v, b)).toBe(true);
        if (v.length > 0) expect(v[0]).not.toBe(0);
      }),
    );
  });

  it('leading zero padding changes nothing', () => {
    const v = fromHex('00000102');
    expect(featureBits(v)).toEqual([1, 8]);
    expect(toHex(minimalFeatures(v))).toBe('0102');
    expect(featuresEqual(v, fromHex('0102'))).toBe(true);
    expect(featuresEqual(v, fromHex('0103'))).toBe(false);
    expect(hasFeature(v, 400)).toBe(false);
    expect(hasFeature(v, -1)).toBe(false);
  });

  it('refuses bad bit numbers', () => {
    expect(() => featuresFromBits([-1])).toThrow(RangeError);
    expect(() => featuresFromBits([1.5])).toThrow(RangeError);
  });

  it('names match BOLT 9', () => {
    expect(FEATURE).toMatchObject({
      option_data_loss_protect: 0,
      option_upfront_shutdown_script: 4,
      gossip_queries: 6,
      var_onion_optin: 8,
      gossip_queries_ex: 10,
      option_static_remotekey: 12,
      payment_secret: 14,
      basic_mpp: 16,
      option_support_large_channel: 18,
      option_anchors: 22,
      option_route_blinding: 24,
      option_shutdown_anysegwit: 26,
      option_dual_fund: 28,
      option_quiesce: 34,
      option_attribution_data: 36,
      option_onion_messages: 38,
      option_provide_storage: 42,
      option_channel_type: 44,
      option_scid_alias: 46,
      option_payment_metadata: 48,
      option_zeroconf: 50,
      option_simple_close: 60,
      option_splice: 62,
    });
    for (const b of Object.values(FEATURE)) expect(b % 2).toBe(0);
    expect(featureName(39)).toBe('option_onion_messages');
    expect(featureName(38)).toBe('option_onion_messages');
    expect(featureName(100)).toBe('bit 100');
  });
});

describe('supported / required', () => {
  it('supportsFeature accepts either bit of the pair; requiresFeature only the even one', () => {
    const opt = featuresFromBits([FEATURE.option_onion_messages + 1]);
    const req = featuresFromBits([FEATURE.option_onion_messages]);
    expect(supportsFeature(opt, FEATURE.option_onion_messages)).toBe(true);
    expect(supportsFeature(req, FEATURE.option_onion_messages)).toBe(true);
    expect(supportsFeature(opt, FEATURE.option_onion_messages + 1)).toBe(true);
    expect(supportsFeature(opt, FEATURE.option_route_blinding)).toBe(false);
    expect(requiresFeature(opt, FEATURE.option_onion_messages)).toBe(false);
    expect(requiresFeature(req, FEATURE.option_onion_messages)).toBe(true);
    // BOLT 9: "if both the optional and the mandatory feature bits in a pair are set, the feature
    // should be treated as mandatory."
    expect(requiresFeature(featuresFromBits([38, 39]), 38)).toBe(true);
  });

  it('unknownRequiredBits: unknown even bits only (BOLT 1 "it\'s OK to be odd")', () => {
    const known = new Set<number>([FEATURE.var_onion_optin, FEATURE.option_onion_messages + 1]);
    const v = featuresFromBits([8, 39, 38, 101, 102, 200, 3]);
    // 8 known, 38 known through its odd partner 39, odd bits never count.
    expect(unknownRequiredBits(v, known)).toEqual([102, 200]);
    expect(unknownRequiredBits(featuresFromBits([1, 3, 5, 77]), new Set())).toEqual([]);
    expect(unknownRequiredBits(featuresFromBits([0]), new Set())).toEqual([0]);
  });

  it('mergeFeatures ORs right-aligned vectors of different lengths (minimal result)', () => {
    expect(toHex(mergeFeatures(fromHex('02'), fromHex('0100')))).toBe('0102');
    expect(toHex(mergeFeatures(fromHex('000001'), fromHex('')))).toBe('01');
    fc.assert(
      fc.property(fc.array(fc.nat(200)), fc.array(fc.nat(200)), (a, b) => {
        expect(featureBits(mergeFeatures(featuresFromBits(a), featuresFromBits(b)))).toEqual([...new Set([...a, ...b])].sort((x, y) => x - y));
      }),
    );
  });
});

describe('dependencies (BOLT 9 table)', () => {
  it('an empty vector and independent features pass', () => {
    expect(checkFeatureDependencies(new Uint8Array(0))).toBeNull();
    expect(checkFeatureDependencies(featuresFromBits([25, 39]))).toBeNull();
    // option_route_blinding has no dependencies.
    expect(checkFeatureDependencies(featuresFromBits([FEATURE.option_route_blinding]))).toBeNull();
  });

  it('basic_mpp requires payment_secret (either bit)', () => {
    const msg = checkFeatureDependencies(featuresFromBits([17]));
    expect(msg).toMatch(/basic_mpp.*requires payment_secret/);
    expect(checkFeatureDependencies(featuresFromBits([16]))).toMatch(/payment_secret/);
    expect(checkFeatureDependencies(featuresFromBits([17, 15]))).toBeNull();
    expect(checkFeatureDependencies(featuresFromBits([16, 14]))).toBeNull();
  });

  it('option_zeroconf requires option_scid_alias; option_simple_close requires option_shutdown_anysegwit', () => {
    expect(checkFeatureDependencies(featuresFromBits([51]))).toMatch(/option_zeroconf.*option_scid_alias/);
    expect(checkFeatureDependencies(featuresFromBits([51, 47]))).toBeNull();
    expect(checkFeatureDependencies(featuresFromBits([61]))).toMatch(/option_simple_close.*option_shutdown_anysegwit/);
    expect(checkFeatureDependencies(featuresFromBits([60, 27]))).toBeNull();
  });

  it('only the current table is enforced by default; the legacy one is available', () => {
    expect([...FEATURE_DEPENDENCIES.keys()].sort((a, b) => a - b)).toEqual([16, 50, 60]);
    const v = featuresFromBits([15, 11, 23]); // payment_secret, gossip_queries_ex, option_anchors alone
    expect(checkFeatureDependencies(v)).toBeNull();
    expect(checkFeatureDependencies(featuresFromBits([15]), LEGACY_FEATURE_DEPENDENCIES)).toMatch(/payment_secret.*var_onion_optin/);
    expect(checkFeatureDependencies(featuresFromBits([11]), LEGACY_FEATURE_DEPENDENCIES)).toMatch(/gossip_queries_ex.*gossip_queries/);
    expect(checkFeatureDependencies(featuresFromBits([23]), LEGACY_FEATURE_DEPENDENCIES)).toMatch(/option_anchors.*option_static_remotekey/);
    expect(checkFeatureDependencies(featuresFromBits([23, 13, 15, 9, 11, 7]), LEGACY_FEATURE_DEPENDENCIES)).toBeNull();
  });

  it('what CLN and LDK send today passes', () => {
    // A typical modern init: data_loss_protect, upfront_shutdown, gossip_queries, var_onion,
    // gossip_queries_ex, static_remotekey, payment_secret, basic_mpp, large_channel, anchors,
    // route_blinding, anysegwit, onion_messages, channel_type, scid_alias, zeroconf.
    const v = featuresFromBits([1, 5, 7, 9, 11, 13, 14, 17, 19, 23, 25, 27, 39, 45, 47, 51]);
    expect(checkFeatureDependencies(v)).toBeNull();
    expect(checkFeatureDependencies(v, LEGACY_FEATURE_DEPENDENCIES)).toBeNull();
  });
});
