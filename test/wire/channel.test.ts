// BOLT 2 channel message codecs: round trips of every message (property tests, fixed seed), typed
// errors naming field and rule for malformed input (truncation, bad points, TLV violations, wrong
// known-record lengths), fuzzing, the tagged union, channel_id, and LDK 0.1 reading what we write
// (byte-identical re-serialization and field getters) and us reading what LDK writes.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ATTRIBUTION_DATA_LEN,
  CHANNEL_MSG,
  ONION_ROUTING_PACKET_LEN,
  WireError,
  channelIdFromFunding,
  channelIdOf,
  decodeAcceptChannel,
  decodeChannelMessage,
  decodeChannelPayload,
  decodeChannelReady,
  decodeChannelReestablish,
  decodeClosingSigned,
  decodeCommitmentSigned,
  decodeFundingCreated,
  decodeFundingSigned,
  decodeOpenChannel,
  decodeRevokeAndAck,
  decodeShutdown,
  decodeUpdateAddHtlc,
  decodeUpdateFailHtlc,
  decodeUpdateFailMalformedHtlc,
  decodeUpdateFee,
  decodeUpdateFulfillHtlc,
  encodeChannelMessage,
  encodeChannelPayload,
  encodeTlvStream,
  isChannelMessageType,
  type ChannelWireMessage,
  type TlvRecord,
} from '../../src/wire/index.ts';
import { deterministicRandom, publicKey, sha256, signEcdsa } from '../../src/crypto/index.ts';
import { concatBytes, toHex } from '../../src/util/bytes.ts';
import { fuzzDecoder } from './fuzz-helpers.ts';
import { initLdk, ldk } from '../interop/ldk-harness.ts';

// Real points and signatures (LDK parses them), a small pool.
const rnd = deterministicRandom('wire channel test');
const POINTS = Array.from({ length: 8 }, () => publicKey(rnd(32)));
const SIGS = Array.from({ length: 4 }, () => signEcdsa(rnd(32), rnd(32)));

const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const pt = fc.constantFrom(...POINTS);
const sig = fc.constantFrom(...SIGS);
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const script = fc.uint8Array({ maxLength: 40 });
/** Unknown odd records above every known type, strictly increasing. */
const extra = fc
  .uniqueArray(fc.integer({ min: 50, max: 5000 }), { maxLength: 3 })
  .chain((ts) => fc.tuple(...ts.sort((a, b) => a - b).map((t) => fc.record({ type: fc.constant(BigInt(2 * t + 1)), value: fc.uint8Array({ maxLength: 10 }) }))))
  .map((recs): TlvRecord[] => recs);

/** Adds `extraTlvs` only when non-empty (the decoders' shape). */
function withExtra<T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<T & { extraTlvs?: TlvRecord[] }> {
  return fc.tuple(arb, extra).map(([m, e]) => (e.length > 0 ? { ...m, extraTlvs: e } : m));
}
function opt<T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(a, { nil: undefined });
}
/** Drops undefined-valued keys (the decoders never set them). */
function clean<T extends object>(m: T): T {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as T;
}

const keys = {
  dustLimitSatoshis: u64,
  maxHtlcValueInFlightMsat: u64,
  channelReserveSatoshis: u64,
  htlcMinimumMsat: u64,
  toSelfDelay: u16,
  maxAcceptedHtlcs: u16,
  fundingPubkey: pt,
  revocationBasepoint: pt,
  paymentBasepoint: pt,
  delayedPaymentBasepoint: pt,
  htlcBasepoint: pt,
  firstPerCommitmentPoint: pt,
  upfrontShutdownScript: opt(script),
  channelType: opt(fc.uint8Array({ maxLength: 8 })),
};

const ARB: { [K in ChannelWireMessage['type']]: fc.Arbitrary<Extract<ChannelWireMessage, { type: K }>> } = {
  open_channel: withExtra(
    fc.record({
      type: fc.constant('open_channel' as const),
      chainHash: b32,
      temporaryChannelId: b32,
      fundingSatoshis: u64,
      pushMsat: u64,
      feeratePerKw: u32,
      channelFlags: fc.integer({ min: 0, max: 255 }),
      ...keys,
    }),
  ).map(clean),
  accept_channel: withExtra(fc.record({ type: fc.constant('accept_channel' as const), temporaryChannelId: b32, minimumDepth: u32, ...keys })).map(clean),
  funding_created: withExtra(
    fc.record({ type: fc.constant('funding_created' as const), temporaryChannelId: b32, fundingTxid: b32, fundingOutputIndex: u16, signature: sig }),
  ),
  funding_signed: withExtra(fc.record({ type: fc.constant('funding_signed' as const), channelId: b32, signature: sig })),
  channel_ready: withExtra(
    fc.record({ type: fc.constant('channel_ready' as const), channelId: b32, secondPerCommitmentPoint: pt, shortChannelIdAlias: opt(u64) }),
  ).map(clean),
  shutdown: withExtra(fc.record({ type: fc.constant('shutdown' as const), channelId: b32, scriptPubkey: script })),
  closing_signed: withExtra(
    fc.record({
      type: fc.constant('closing_signed' as const),
      channelId: b32,
      feeSatoshis: u64,
      signature: sig,
      feeRange: opt(fc.record({ minFeeSatoshis: u64, maxFeeSatoshis: u64 })),
    }),
  ).map(clean),
  update_add_htlc: withExtra(
    fc.record({
      type: fc.constant('update_add_htlc' as const),
      channelId: b32,
      id: u64,
      amountMsat: u64,
      paymentHash: b32,
      cltvExpiry: u32,
      onionRoutingPacket: fc.uint8Array({ minLength: ONION_ROUTING_PACKET_LEN, maxLength: ONION_ROUTING_PACKET_LEN }),
      pathKey: opt(pt),
    }),
  ).map(clean),
  update_fulfill_htlc: withExtra(
    fc.record({
      type: fc.constant('update_fulfill_htlc' as const),
      channelId: b32,
      id: u64,
      paymentPreimage: b32,
      attributionData: opt(fc.uint8Array({ minLength: ATTRIBUTION_DATA_LEN, maxLength: ATTRIBUTION_DATA_LEN })),
    }),
  ).map(clean),
  update_fail_htlc: withExtra(
    fc.record({
      type: fc.constant('update_fail_htlc' as const),
      channelId: b32,
      id: u64,
      reason: fc.uint8Array({ maxLength: 300 }),
      attributionData: opt(fc.uint8Array({ minLength: ATTRIBUTION_DATA_LEN, maxLength: ATTRIBUTION_DATA_LEN })),
    }),
  ).map(clean),
  commitment_signed: withExtra(
    fc.record({
      type: fc.constant('commitment_signed' as const),
      channelId: b32,
      signature: sig,
      htlcSignatures: fc.array(sig, { maxLength: 6 }),
      fundingTxid: opt(b32),
    }),
  ).map(clean),
  revoke_and_ack: withExtra(fc.record({ type: fc.constant('revoke_and_ack' as const), channelId: b32, perCommitmentSecret: b32, nextPerCommitmentPoint: pt })),
  update_fee: withExtra(fc.record({ type: fc.constant('update_fee' as const), channelId: b32, feeratePerKw: u32 })),
  update_fail_malformed_htlc: withExtra(
    fc.record({ type: fc.constant('update_fail_malformed_htlc' as const), channelId: b32, id: u64, sha256OfOnion: b32, failureCode: u16 }),
  ),
  channel_reestablish: withExtra(
    fc.record({
      type: fc.constant('channel_reestablish' as const),
      channelId: b32,
      nextCommitmentNumber: u64,
      nextRevocationNumber: u64,
      yourLastPerCommitmentSecret: b32,
      myCurrentPerCommitmentPoint: pt,
      nextFunding: opt(fc.record({ txid: b32, retransmitFlags: fc.integer({ min: 0, max: 255 }) })),
      myCurrentFundingLocked: opt(fc.record({ txid: b32, retransmitFlags: fc.integer({ min: 0, max: 255 }) })),
    }),
  ).map(clean),
  error: fc.record({ type: fc.constant('error' as const), channelId: b32, data: fc.uint8Array({ maxLength: 40 }) }),
  warning: fc.record({ type: fc.constant('warning' as const), channelId: b32, data: fc.uint8Array({ maxLength: 40 }) }),
};

/** The arbitrary of one message, as the union type. */
const arbOf = (name: ChannelWireMessage['type']): fc.Arbitrary<ChannelWireMessage> => ARB[name] as unknown as fc.Arbitrary<ChannelWireMessage>;

const DECODERS: Record<keyof typeof CHANNEL_MSG, (p: Uint8Array) => unknown> = {
  open_channel: decodeOpenChannel,
  accept_channel: decodeAcceptChannel,
  funding_created: decodeFundingCreated,
  funding_signed: decodeFundingSigned,
  channel_ready: decodeChannelReady,
  shutdown: decodeShutdown,
  closing_signed: decodeClosingSigned,
  update_add_htlc: decodeUpdateAddHtlc,
  update_fulfill_htlc: decodeUpdateFulfillHtlc,
  update_fail_htlc: decodeUpdateFailHtlc,
  commitment_signed: decodeCommitmentSigned,
  revoke_and_ack: decodeRevokeAndAck,
  update_fee: decodeUpdateFee,
  update_fail_malformed_htlc: decodeUpdateFailMalformedHtlc,
  channel_reestablish: decodeChannelReestablish,
};
const NAMES = Object.keys(CHANNEL_MSG) as (keyof typeof CHANNEL_MSG)[];

/** The message without any of its TLV-carried fields: only the fixed part is encoded. */
function bare<M extends ChannelWireMessage>(m: M): M {
  const x = { ...m } as Record<string, unknown>;
  for (const k of ['upfrontShutdownScript', 'channelType', 'shortChannelIdAlias', 'feeRange', 'pathKey', 'attributionData', 'nextFunding', 'myCurrentFundingLocked', 'extraTlvs']) delete x[k];
  if (m.type === 'commitment_signed') delete x.fundingTxid;
  return x as M;
}

function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WireError) return e;
    throw new Error(`expected a WireError, got ${String(e)}`);
  }
  throw new Error('expected a WireError, nothing was thrown');
}

/** One sample of each message, from the arbitraries (fixed seed). */
const SAMPLES = Object.fromEntries(NAMES.map((n) => [n, fc.sample(arbOf(n), { numRuns: 1, seed: 7 })[0]!])) as unknown as { [K in keyof typeof CHANNEL_MSG]: Extract<ChannelWireMessage, { type: K }> };

describe('round trips (property, every message)', () => {
  for (const name of [...NAMES, 'error', 'warning'] as const) {
    it(name, () => {
      fc.assert(
        fc.property(arbOf(name), (m) => {
          const framed = encodeChannelMessage(m);
          const back = decodeChannelMessage(framed);
          expect(back).toEqual(m);
          // Byte-identical re-encoding (unknown odd records kept).
          expect(toHex(encodeChannelMessage(back!))).toBe(toHex(framed));
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('field layout', () => {
  it('funding_created: temporary_channel_id, funding_txid, funding_output_index, signature (130 bytes)', () => {
    const m = { type: 'funding_created' as const, temporaryChannelId: new Uint8Array(32).fill(1), fundingTxid: new Uint8Array(32).fill(2), fundingOutputIndex: 0x0304, signature: SIGS[0]! };
    const p = encodeChannelPayload(m);
    expect(p.length).toBe(130);
    expect(toHex(p.subarray(0, 66))).toBe('01'.repeat(32) + '02'.repeat(32) + '0304');
    expect(toHex(encodeChannelMessage(m).subarray(0, 2))).toBe('0022');
  });
  it('update_add_htlc: 1450 bytes without TLVs; path_key is TLV 0 of length 33', () => {
    const base = SAMPLES.update_add_htlc;
    const { pathKey: _pk, extraTlvs: _e, ...plain } = base;
    expect(encodeChannelPayload(plain).length).toBe(32 + 8 + 8 + 32 + 4 + 1366);
    const withKey = encodeChannelPayload({ ...plain, pathKey: POINTS[3]! });
    expect(toHex(withKey.subarray(1450, 1452))).toBe('0021');
    expect(toHex(withKey.subarray(1452))).toBe(toHex(POINTS[3]!));
  });
  it('channel_reestablish: the legacy TLV 0 next_funding_txid is read (never written)', () => {
    const base = encodeChannelPayload({ ...SAMPLES.channel_reestablish, nextFunding: undefined, myCurrentFundingLocked: undefined, extraTlvs: undefined } as ChannelWireMessage);
    const legacy = concatBytes(base, encodeTlvStream([{ type: 0n, value: new Uint8Array(32).fill(9) }]));
    expect(toHex(decodeChannelReestablish(legacy).legacyNextFundingTxid!)).toBe('09'.repeat(32));
    expect(() => encodeChannelPayload({ ...decodeChannelReestablish(legacy), type: 'channel_reestablish' })).toThrow(RangeError);
  });
  it('channel_id: funding_txid XOR funding_output_index in the last two bytes (big-endian)', () => {
    const txid = new Uint8Array(32).fill(0xaa);
    expect(toHex(channelIdFromFunding(txid, 0))).toBe('aa'.repeat(32));
    expect(toHex(channelIdFromFunding(txid, 0x0102))).toBe('aa'.repeat(30) + 'ab' + 'a8');
    expect(() => channelIdFromFunding(txid, 65536)).toThrow(RangeError);
    expect(() => channelIdFromFunding(new Uint8Array(31), 0)).toThrow(RangeError);
  });
  it('the union: types, channelIdOf, non-channel types give undefined', () => {
    expect(isChannelMessageType(128)).toBe(true);
    expect(isChannelMessageType(258)).toBe(false);
    expect(isChannelMessageType(17)).toBe(false);
    expect(decodeChannelPayload(258, new Uint8Array(10))).toBeUndefined();
    expect(decodeChannelPayload(37, new Uint8Array(10))).toBeUndefined();
    expect(toHex(channelIdOf(SAMPLES.open_channel))).toBe(toHex(SAMPLES.open_channel.temporaryChannelId));
    expect(toHex(channelIdOf(SAMPLES.update_fee))).toBe(toHex(SAMPLES.update_fee.channelId));
    expect(decodeChannelMessage(encodeChannelMessage({ type: 'error', channelId: new Uint8Array(32), data: new Uint8Array([0x41]) }))!.type).toBe('error');
  });
});

describe('malformed input: typed errors naming field and rule', () => {
  it('every strict prefix of the fixed fields fails with the field that ran out; the fields alone decode', () => {
    for (const name of NAMES) {
      const p = encodeChannelPayload(bare(SAMPLES[name]));
      for (let n = 0; n < p.length; n++) {
        const e = wireError(() => DECODERS[name](p.subarray(0, n)));
        expect(e.field.startsWith(`${name}.`), `${name}: field ${e.field}`).toBe(true);
        expect(e.rule).toMatch(/unexpected EOF/);
      }
      expect(DECODERS[name](p)).toEqual(clean({ ...bare(SAMPLES[name]), type: undefined }));
    }
  });
  it('an unknown even TLV fails; an unknown odd one is kept', () => {
    for (const name of NAMES) {
      const p = encodeChannelPayload({ ...SAMPLES[name], extraTlvs: undefined } as ChannelWireMessage);
      // Strip the message's own TLVs to append one record above them.
      const even = concatBytes(p, encodeTlvStream([{ type: 100_000n, value: new Uint8Array([1]) }]));
      const e = wireError(() => DECODERS[name](even));
      expect(e.field).toMatch(/_tlvs\[100000\]$/);
      expect(e.rule).toBe('unknown even type');
      const odd = concatBytes(p, encodeTlvStream([{ type: 100_001n, value: new Uint8Array([1, 2]) }]));
      const m = DECODERS[name](odd) as { extraTlvs?: TlvRecord[] };
      expect(m.extraTlvs).toEqual([{ type: 100_001n, value: new Uint8Array([1, 2]) }]);
    }
  });
  it('TLVs out of order or duplicated fail', () => {
    const p = encodeChannelPayload({ ...SAMPLES.channel_ready, shortChannelIdAlias: undefined, extraTlvs: undefined } as ChannelWireMessage);
    const dup = concatBytes(p, Uint8Array.of(1, 8, 0, 0, 0, 0, 0, 0, 0, 1, 1, 8, 0, 0, 0, 0, 0, 0, 0, 2));
    expect(wireError(() => decodeChannelReady(dup)).rule).toBe('duplicate type');
    const order = concatBytes(p, Uint8Array.of(3, 0, 1, 8, 0, 0, 0, 0, 0, 0, 0, 1));
    expect(wireError(() => decodeChannelReady(order)).rule).toBe('types not strictly increasing');
  });
  it('known records of the wrong length fail', () => {
    const ready = encodeChannelPayload({ ...SAMPLES.channel_ready, shortChannelIdAlias: undefined, extraTlvs: undefined } as ChannelWireMessage);
    const e1 = wireError(() => decodeChannelReady(concatBytes(ready, Uint8Array.of(1, 7, 0, 0, 0, 0, 0, 0, 1))));
    expect([e1.field, e1.rule]).toEqual(['channel_ready_tlvs.short_channel_id', 'length 7, must be exactly 8']);
    const closing = encodeChannelPayload({ ...SAMPLES.closing_signed, feeRange: undefined, extraTlvs: undefined } as ChannelWireMessage);
    expect(wireError(() => decodeClosingSigned(concatBytes(closing, Uint8Array.of(1, 15, ...new Uint8Array(15))))).field).toBe('closing_signed_tlvs.fee_range');
    const add = encodeChannelPayload({ ...SAMPLES.update_add_htlc, pathKey: undefined, extraTlvs: undefined } as ChannelWireMessage);
    expect(wireError(() => decodeUpdateAddHtlc(concatBytes(add, Uint8Array.of(0, 32, ...new Uint8Array(32))))).field).toBe('update_add_htlc_tlvs.blinded_path');
    const badKey = concatBytes(add, Uint8Array.of(0, 33, 4, ...new Uint8Array(32)));
    expect(wireError(() => decodeUpdateAddHtlc(badKey)).field).toBe('update_add_htlc_tlvs.blinded_path.path_key');
    const ful = encodeChannelPayload({ ...SAMPLES.update_fulfill_htlc, attributionData: undefined, extraTlvs: undefined } as ChannelWireMessage);
    expect(wireError(() => decodeUpdateFulfillHtlc(concatBytes(ful, Uint8Array.of(1, 3, 1, 2, 3)))).rule).toBe(`length 3, must be exactly ${ATTRIBUTION_DATA_LEN}`);
    const cs = encodeChannelPayload({ ...SAMPLES.commitment_signed, fundingTxid: undefined, extraTlvs: undefined } as ChannelWireMessage);
    expect(wireError(() => decodeCommitmentSigned(concatBytes(cs, Uint8Array.of(1, 31, ...new Uint8Array(31))))).field).toBe('commitment_signed_tlvs.funding_txid');
    const re = encodeChannelPayload({ ...SAMPLES.channel_reestablish, nextFunding: undefined, myCurrentFundingLocked: undefined, extraTlvs: undefined } as ChannelWireMessage);
    expect(wireError(() => decodeChannelReestablish(concatBytes(re, Uint8Array.of(1, 32, ...new Uint8Array(32))))).field).toBe('channel_reestablish_tlvs.next_funding');
  });
  it('a point without the 02/03 prefix names its field', () => {
    const p = encodeChannelPayload(SAMPLES.open_channel);
    const bad = p.slice();
    bad[32 + 32 + 8 * 6 + 4 + 4] = 0x04; // funding_pubkey's first byte
    expect(wireError(() => decodeOpenChannel(bad)).field).toBe('open_channel.funding_pubkey');
    const r = encodeChannelPayload(SAMPLES.revoke_and_ack).slice();
    r[64] = 0;
    expect(wireError(() => decodeRevokeAndAck(r)).field).toBe('revoke_and_ack.next_per_commitment_point');
  });
  it('commitment_signed: num_htlcs beyond the payload fails before reading', () => {
    const p = encodeChannelPayload({ ...SAMPLES.commitment_signed, htlcSignatures: [], fundingTxid: undefined, extraTlvs: undefined } as ChannelWireMessage).slice();
    p[96] = 0xff;
    p[97] = 0xff;
    const e = wireError(() => decodeCommitmentSigned(p));
    expect(e.field).toBe('commitment_signed.htlc_signature');
    expect(e.rule).toMatch(/num_htlcs 65535 needs 4194240 bytes/);
  });
  it('encoders refuse values a correct caller never passes (RangeError)', () => {
    expect(() => encodeChannelPayload({ ...SAMPLES.funding_signed, signature: new Uint8Array(63) })).toThrow(RangeError);
    expect(() => encodeChannelPayload({ ...SAMPLES.update_add_htlc, onionRoutingPacket: new Uint8Array(1365) })).toThrow(RangeError);
    expect(() => encodeChannelPayload({ ...SAMPLES.update_add_htlc, pathKey: new Uint8Array(33) })).toThrow(RangeError);
    expect(() => encodeChannelPayload({ ...SAMPLES.update_fee, feeratePerKw: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeChannelPayload({ ...SAMPLES.update_fee, extraTlvs: [{ type: 2n, value: new Uint8Array(0) }] })).toThrow(RangeError);
    expect(() => encodeChannelPayload({ ...SAMPLES.channel_ready, extraTlvs: [{ type: 1n, value: new Uint8Array(8) }] })).toThrow(RangeError);
    expect(() => encodeChannelPayload({ ...SAMPLES.update_fulfill_htlc, attributionData: new Uint8Array(10) })).toThrow(RangeError);
  });
  it('fuzzed bytes and mutations of valid messages fail only with WireError', () => {
    let seed = 1;
    for (const name of NAMES) {
      const samples = fc.sample(arbOf(name), { numRuns: 8, seed: seed }).map((m) => encodeChannelPayload(m));
      const { ok, failed } = fuzzDecoder(DECODERS[name], samples, seed++, 1500);
      expect(ok + failed).toBe(1500);
      expect(failed, name).toBeGreaterThan(0);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// LDK 0.1 as an independent reader and writer

describe('LDK 0.1 reads what we write, we read what LDK writes', () => {
  beforeAll(async () => {
    await initLdk();
  }, 30_000);

  /** LDK's reader of each message; `res` holds the message on success. */
  const READ: Partial<Record<keyof typeof CHANNEL_MSG, (b: Uint8Array) => { is_ok(): boolean; res?: { write(): Uint8Array } }>> = {
    open_channel: (b) => ldk.OpenChannel.constructor_read(b) as never,
    accept_channel: (b) => ldk.AcceptChannel.constructor_read(b) as never,
    funding_created: (b) => ldk.FundingCreated.constructor_read(b) as never,
    funding_signed: (b) => ldk.FundingSigned.constructor_read(b) as never,
    channel_ready: (b) => ldk.ChannelReady.constructor_read(b) as never,
    shutdown: (b) => ldk.Shutdown.constructor_read(b) as never,
    closing_signed: (b) => ldk.ClosingSigned.constructor_read(b) as never,
    update_add_htlc: (b) => ldk.UpdateAddHTLC.constructor_read(b) as never,
    update_fulfill_htlc: (b) => ldk.UpdateFulfillHTLC.constructor_read(b) as never,
    update_fail_htlc: (b) => ldk.UpdateFailHTLC.constructor_read(b) as never,
    commitment_signed: (b) => ldk.CommitmentSigned.constructor_read(b) as never,
    revoke_and_ack: (b) => ldk.RevokeAndACK.constructor_read(b) as never,
    update_fee: (b) => ldk.UpdateFee.constructor_read(b) as never,
    update_fail_malformed_htlc: (b) => ldk.UpdateFailMalformedHTLC.constructor_read(b) as never,
    channel_reestablish: (b) => ldk.ChannelReestablish.constructor_read(b) as never,
  };

  /** What LDK 0.1 writes of each message: drop what it does not keep (unknown odd TLVs, attribution data, newer TLVs). */
  function ldkShape(m: ChannelWireMessage): ChannelWireMessage {
    const x = { ...m, extraTlvs: undefined } as Record<string, unknown>;
    delete x.extraTlvs;
    if (m.type === 'update_fulfill_htlc' || m.type === 'update_fail_htlc') delete x.attributionData;
    if (m.type === 'commitment_signed') delete x.fundingTxid;
    if (m.type === 'channel_reestablish') {
      delete x.nextFunding;
      delete x.myCurrentFundingLocked;
    }
    if (m.type === 'update_fail_malformed_htlc') x.failureCode = (m.failureCode | 0x8000) & 0xffff;
    if (m.type === 'open_channel' || m.type === 'accept_channel') {
      // LDK keeps channel_type as parsed features and rewrites it minimally; give it a minimal one.
      x.channelType = Uint8Array.of(0x10, 0x00);
      // LDK requires a known shutdown script form when one is given.
      x.upfrontShutdownScript = new Uint8Array(0);
    }
    if (m.type === 'update_add_htlc') {
      // LDK keeps the onion's public key parsed and writes zeros for one that is not on the curve.
      const onion = m.onionRoutingPacket.slice();
      onion.set(POINTS[0]!, 1);
      x.onionRoutingPacket = onion;
    }
    if (m.type === 'shutdown') x.scriptPubkey = Uint8Array.of(0, 20, ...new Uint8Array(20).fill(7));
    return x as unknown as ChannelWireMessage;
  }

  it('every message: LDK parses our bytes and writes them back identically', () => {
    for (const name of NAMES) {
      for (const raw of fc.sample(arbOf(name), { numRuns: 10, seed: 11 })) {
        const m = ldkShape(raw);
        const ours = encodeChannelPayload(m);
        const r = READ[name]!(ours);
        expect(Boolean(r.is_ok()), `${name}: LDK refused ${toHex(ours).slice(0, 80)}…`).toBe(true);
        expect(toHex(r.res!.write()), name).toBe(toHex(ours));
      }
    }
  });

  it('LDK sees the fields where we put them', () => {
    const open = ldkShape(SAMPLES.open_channel) as Extract<ChannelWireMessage, { type: 'open_channel' }>;
    const lo = (ldk.OpenChannel.constructor_read(encodeChannelPayload(open)) as ldk.Result_OpenChannelDecodeErrorZ_OK).res;
    const c = lo.get_common_fields();
    const u = (v: bigint) => BigInt.asUintN(64, v); // the bindings hand u64 over as i64
    expect(u(c.get_funding_satoshis())).toBe(open.fundingSatoshis);
    expect(u(lo.get_push_msat())).toBe(open.pushMsat);
    expect(u(lo.get_channel_reserve_satoshis())).toBe(open.channelReserveSatoshis);
    expect(u(c.get_dust_limit_satoshis())).toBe(open.dustLimitSatoshis);
    expect(u(c.get_htlc_minimum_msat())).toBe(open.htlcMinimumMsat);
    expect(u(c.get_max_htlc_value_in_flight_msat())).toBe(open.maxHtlcValueInFlightMsat);
    expect(c.get_commitment_feerate_sat_per_1000_weight() >>> 0).toBe(open.feeratePerKw);
    expect(c.get_to_self_delay() & 0xffff).toBe(open.toSelfDelay);
    expect(c.get_max_accepted_htlcs() & 0xffff).toBe(open.maxAcceptedHtlcs);
    expect(toHex(c.get_htlc_basepoint())).toBe(toHex(open.htlcBasepoint));
    expect(toHex(c.get_first_per_commitment_point())).toBe(toHex(open.firstPerCommitmentPoint));
    expect(c.get_channel_flags() & 0xff).toBe(open.channelFlags);
    expect(Boolean(c.get_channel_type()!.supports_static_remote_key())).toBe(true);

    const re = SAMPLES.channel_reestablish;
    const lr = (ldk.ChannelReestablish.constructor_read(encodeChannelPayload(ldkShape(re))) as ldk.Result_ChannelReestablishDecodeErrorZ_OK).res;
    expect(BigInt.asUintN(64, lr.get_next_local_commitment_number())).toBe(re.nextCommitmentNumber);
    expect(BigInt.asUintN(64, lr.get_next_remote_commitment_number())).toBe(re.nextRevocationNumber);
    expect(toHex(lr.get_your_last_per_commitment_secret())).toBe(toHex(re.yourLastPerCommitmentSecret));

    const add = { ...SAMPLES.update_add_htlc, pathKey: POINTS[5]!, extraTlvs: undefined };
    const la = (ldk.UpdateAddHTLC.constructor_read(encodeChannelPayload(add)) as ldk.Result_UpdateAddHTLCDecodeErrorZ_OK).res;
    expect(BigInt.asUintN(64, la.get_htlc_id())).toBe(add.id);
    expect(BigInt.asUintN(64, la.get_amount_msat())).toBe(add.amountMsat);
    expect(la.get_cltv_expiry() >>> 0).toBe(add.cltvExpiry);
    expect(toHex(la.get_payment_hash())).toBe(toHex(add.paymentHash));
    expect(toHex(la.get_blinding_point())).toBe(toHex(POINTS[5]!));

    const cs = SAMPLES.closing_signed;
    const lc = (ldk.ClosingSigned.constructor_read(encodeChannelPayload(ldkShape({ ...cs, feeRange: { minFeeSatoshis: 5n, maxFeeSatoshis: 9n } }))) as ldk.Result_ClosingSignedDecodeErrorZ_OK).res;
    expect(BigInt.asUintN(64, lc.get_fee_satoshis())).toBe(cs.feeSatoshis);
    expect(lc.get_fee_range()!.get_min_fee_satoshis()).toBe(5n);
    expect(lc.get_fee_range()!.get_max_fee_satoshis()).toBe(9n);

    const rd = { ...SAMPLES.channel_ready, shortChannelIdAlias: 0x0102030405060708n, extraTlvs: undefined };
    const lrd = (ldk.ChannelReady.constructor_read(encodeChannelPayload(rd)) as ldk.Result_ChannelReadyDecodeErrorZ_OK).res;
    expect((lrd.get_short_channel_id_alias() as ldk.Option_u64Z_Some).some).toBe(0x0102030405060708n);
  });

  it('channel_id from the funding outpoint agrees with LDK', () => {
    for (let i = 0; i < 5; i++) {
      const txid = sha256(Uint8Array.of(i));
      const vout = [0, 1, 255, 256, 65535][i]!;
      expect(toHex(ldk.ChannelId.constructor_v1_from_funding_txid(txid, vout).get_a())).toBe(toHex(channelIdFromFunding(txid, vout)));
    }
  });

  it('we read LDK-constructed messages', () => {
    const chanId = ldk.ChannelId.constructor_new(new Uint8Array(32).fill(3));
    const re = ldk.ChannelReestablish.constructor_new(chanId, 5n, 4n, new Uint8Array(32).fill(8), POINTS[1]!, ldk.Option_ThirtyTwoBytesZ.constructor_none());
    const ours = decodeChannelReestablish(re.write());
    expect(ours.nextCommitmentNumber).toBe(5n);
    expect(ours.nextRevocationNumber).toBe(4n);
    expect(toHex(ours.myCurrentPerCommitmentPoint)).toBe(toHex(POINTS[1]!));
    const fee = ldk.UpdateFee.constructor_new(chanId, 2500);
    expect(decodeUpdateFee(fee.write())).toEqual({ channelId: new Uint8Array(32).fill(3), feeratePerKw: 2500 });
    const raa = ldk.RevokeAndACK.constructor_new(chanId, new Uint8Array(32).fill(4), POINTS[2]!);
    expect(toHex(decodeRevokeAndAck(raa.write()).nextPerCommitmentPoint)).toBe(toHex(POINTS[2]!));
    const sd = ldk.Shutdown.constructor_new(chanId, Uint8Array.of(0, 20, ...new Uint8Array(20)));
    expect(decodeShutdown(sd.write()).scriptPubkey.length).toBe(22);
  });
});
