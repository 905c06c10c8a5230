// Our init features and the checks on a peer's init; remote_addr descriptors; limits.
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/util/bytes.ts';
import { CHAIN_HASH, featuresFromBits, featureBits, type InitMessage } from '../../src/wire/index.ts';
import {
  DEFAULT_INIT_FEATURE_BITS,
  buildInit,
  checkRemoteInit,
  defaultInitFeatures,
  knownFeatureBits,
  remoteAddrDescriptor,
  resolveLimits,
  DEFAULT_PEER_LIMITS,
} from '../../src/transport/index.ts';

const local = defaultInitFeatures();
const init = (bits: number[], networks?: Uint8Array[], global: number[] = []): InitMessage => ({
  globalFeatures: featuresFromBits(global),
  features: featuresFromBits(bits),
  networks,
  unknownTlvs: [],
});

describe('init features', () => {
  it('advertises only odd bits: 1, 9, 13, 15, 25, 39, 45', () => {
    expect(featureBits(local)).toEqual([1, 9, 13, 15, 25, 39, 45]);
    expect([...DEFAULT_INIT_FEATURE_BITS]).toEqual([1, 9, 13, 15, 25, 39, 45]);
    expect(featureBits(local).every((b) => b % 2 === 1)).toBe(true);
  });

  it("accepts LDK 0.1's init (0, 5, 8, 12, 14, 17, 19, 25, 27, 39, 45, 47, 51 + networks)", () => {
    const r = checkRemoteInit(init([0, 5, 8, 12, 14, 17, 19, 25, 27, 39, 45, 47, 51], [CHAIN_HASH.regtest]), local, 'regtest');
    expect(r).toMatchObject({ ok: true });
  });

  it("accepts Core Lightning's init (compulsory 0, 8, 12, 14, 44 and its optional bits)", () => {
    const r = checkRemoteInit(init([0, 5, 7, 8, 11, 12, 14, 17, 19, 25, 27, 35, 39, 44, 47, 49, 51], [CHAIN_HASH.regtest]), local, 'regtest');
    expect(r).toMatchObject({ ok: true });
  });

  it('merges globalfeatures into features (BOLT 1: bitwise OR)', () => {
    const r = checkRemoteInit(init([39], undefined, [100]), local, 'regtest');
    expect(r).toMatchObject({ ok: false, warning: 'Unsupported feature 100' });
  });

  it('refuses unknown even bits, missing dependencies and foreign networks; ignores unknown odd bits', () => {
    expect(checkRemoteInit(init([1001]), local, 'regtest')).toMatchObject({ ok: true });
    expect(checkRemoteInit(init([22]), local, 'regtest')).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown feature bits 22/) });
    expect(checkRemoteInit(init([17]), local, 'regtest')).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad feature dependencies: feature basic_mpp/) });
    expect(checkRemoteInit(init([9], [CHAIN_HASH.testnet]), local, 'regtest')).toMatchObject({ ok: false, warning: 'No common network' });
    expect(checkRemoteInit(init([9], [CHAIN_HASH.testnet, CHAIN_HASH.regtest]), local, 'regtest')).toMatchObject({ ok: true });
    expect(checkRemoteInit(init([9], []), local, 'regtest')).toMatchObject({ ok: false }); // present but empty: no common chain
  });

  it('knows both bits of every pair it advertises', () => {
    const k = knownFeatureBits(local);
    for (const b of [0, 1, 8, 9, 12, 13, 14, 15, 24, 25, 38, 39, 44, 45]) expect(k.has(b)).toBe(true);
    expect(k.has(6)).toBe(false);
  });

  it('our init carries networks = our chain, no globalfeatures, remote_addr only when given', () => {
    const m = buildInit(local, 'signet');
    expect(m.networks!.map(toHex)).toEqual([toHex(CHAIN_HASH.signet)]);
    expect(m.globalFeatures.length).toBe(0);
    expect(m.remoteAddr).toBeUndefined();
  });
});

describe('remote_addr descriptors (BOLT 7 address descriptors)', () => {
  it('encodes public IPv4 and IPv6, and IPv4-mapped IPv6 as IPv4', () => {
    expect(toHex(remoteAddrDescriptor('8.8.4.4', 9735)!)).toBe('0108080404' + '2607');
    expect(toHex(remoteAddrDescriptor('::ffff:8.8.4.4', 9735)!)).toBe('0108080404' + '2607');
    expect(toHex(remoteAddrDescriptor('2001:db8::1', 443)!)).toBe('02' + '20010db8000000000000000000000001' + '01bb');
    expect(toHex(remoteAddrDescriptor('2606:4700:4700::1111', 1)!)).toBe('02' + '26064700470000000000000000001111' + '0001');
  });
  it('omits private, loopback, link-local addresses and bad input', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.16.5.5', '169.254.1.1', '100.64.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', 'nonsense', '']) {
      expect(remoteAddrDescriptor(ip, 9735), ip).toBeUndefined();
    }
    expect(remoteAddrDescriptor('8.8.8.8', 0)).toBeUndefined();
  });
});

describe('limits', () => {
  it('defaults, overrides and validation', () => {
    expect(resolveLimits()).toEqual(DEFAULT_PEER_LIMITS);
    expect(resolveLimits({ pingBurst: 5 }).pingBurst).toBe(5);
    expect(() => resolveLimits({ pongTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => resolveLimits({ maxInputBufferBytes: 1000 })).toThrow(RangeError);
  });
});
