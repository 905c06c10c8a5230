// BOLT 1 messages (init, error, warning, ping, pong), BOLT 4 onion_message, framing: Appendix C
// vectors, round trips and fuzzing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  MSG,
  MAX_MESSAGE_SIZE,
  combinedInitFeatures,
  decodeError,
  decodeInit,
  decodeOnionMessage,
  decodePing,
  decodePong,
  decodeWarning,
  encodeError,
  encodeInit,
  encodeOnionMessage,
  encodePing,
  encodePong,
  encodeWarning,
  frameMessage,
  isPrintableAscii,
  splitMessage,
  type InitMessage,
} from '../../src/wire/messages.ts';
import { WireError } from '../../src/wire/errors.ts';
import { CHAIN_HASH, networkOfChainHash } from '../../src/wire/chains.ts';
import { featureBits, featuresFromBits } from '../../src/wire/features.ts';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { fuzzDecoder } from './fuzz-helpers.ts';

const EXT = JSON.parse(readFileSync(new URL('../vectors/bolt01/init-extension.json', import.meta.url), 'utf8')) as {
  base_init: string;
  valid: { msg: string; explanation: string }[];
  invalid: { msg: string; explanation: string }[];
};

function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error('expected a WireError');
}

/** Decode a whole message that must be an init. */
function decodeInitMessage(hex: string): InitMessage {
  const { type, payload } = splitMessage(fromHex(hex));
  expect(type).toBe(MSG.init);
  return decodeInit(payload);
}

describe('init extension vectors (BOLT 1 Appendix C)', () => {
  it('has 2 valid and 3 invalid messages', () => {
    expect(EXT.valid).toHaveLength(2);
    expect(EXT.invalid).toHaveLength(3);
  });

  it(`base init ${EXT.base_init} is all features off and re-encodes exactly`, () => {
    const m = decodeInitMessage(EXT.base_init);
    expect(m).toEqual({ globalFeatures: new Uint8Array(0), features: new Uint8Array(0), unknownTlvs: [] });
    expect(toHex(frameMessage(MSG.init, encodeInit(m)))).toBe(EXT.base_init);
  });

  for (const v of EXT.valid) {
    it(`accepts ${v.msg}: ${v.explanation}`, () => {
      const m = decodeInitMessage(v.msg);
      expect(m.networks).toBeUndefined();
      expect(m.remoteAddr).toBeUndefined();
      // Unknown odd records are skipped but kept, so re-encoding is exact.
      expect(toHex(frameMessage(MSG.init, encodeInit(m)))).toBe(v.msg);
    });
  }

  it('the two unknown odd records are 0xc9 and 0xcb', () => {
    const m = decodeInitMessage(EXT.valid[1]!.msg);
    expect(m.unknownTlvs.map((r) => [r.type, toHex(r.value)])).toEqual([
      [0xc9n, '2a'],
      [0xcbn, '04'],
    ]);
  });

  const rules = [/EOF/, /unknown even type/, /duplicate type/];
  EXT.invalid.forEach((v, i) => {
    it(`rejects ${v.msg}: ${v.explanation}`, () => {
      const e = wireError(() => decodeInitMessage(v.msg));
      expect(e.field).toMatch(/^init_tlvs/);
      expect(e.rule).toMatch(rules[i]!);
    });
  });
});

describe('init', () => {
  const regtest = CHAIN_HASH.regtest;

  it('networks and remote_addr', () => {
    const m: InitMessage = {
      globalFeatures: fromHex('02'),
      features: featuresFromBits([25, 39]),
      networks: [CHAIN_HASH.mainnet, regtest],
      remoteAddr: fromHex('017f0000012607'), // BOLT 7 type 1 (IPv4) 127.0.0.1:9735
      unknownTlvs: [{ type: 5n, value: fromHex('ff') }],
    };
    const bytes = encodeInit(m);
    const back = decodeInit(bytes);
    expect(back).toEqual(m);
    expect(back.networks!.map((h) => networkOfChainHash(h))).toEqual(['mainnet', 'regtest']);
    // gflen, globalfeatures, flen, features, then types 1, 3, 5 in order.
    expect(toHex(bytes.subarray(0, 2 + 1 + 2 + 5))).toBe('000102' + '0005' + '8002000000');
    expect(toHex(bytes.subarray(10, 12))).toBe('0140');
  });

  it('an empty networks record means "no chains" and is kept distinct from absent', () => {
    const m = decodeInit(fromHex('000000000100'));
    expect(m.networks).toEqual([]);
    expect(toHex(encodeInit(m))).toBe('000000000100');
  });

  it('networks whose length is not a multiple of 32 fails', () => {
    for (const n of [1, 31, 33, 63]) {
      const payload = concatBytes(fromHex('00000000'), fromHex('01'), Uint8Array.of(n), new Uint8Array(n));
      const e = wireError(() => decodeInit(payload));
      expect(e.field).toBe('init_tlvs.networks');
      expect(e.rule).toMatch(/multiple of 32/);
    }
  });

  it('insufficient length fails (BOLT 1: "MUST close the connection")', () => {
    for (const hex of ['', '00', '0001', '000100', '00000002', '0000000201']) {
      wireError(() => decodeInit(fromHex(hex)));
    }
  });

  it('combinedInitFeatures ORs globalfeatures into features (BOLT 1 receiving node)', () => {
    const m = decodeInit(fromHex('0001' + '22' + '0002' + '0100'));
    expect(featureBits(combinedInitFeatures(m))).toEqual([1, 5, 8]);
    expect(featureBits(combinedInitFeatures({ globalFeatures: fromHex('2000'), features: fromHex('02') }))).toEqual([1, 13]);
  });

  it('the encoder refuses even unknown records, duplicates and bad chain hashes', () => {
    const base = { globalFeatures: new Uint8Array(0), features: new Uint8Array(0) };
    expect(() => encodeInit({ ...base, unknownTlvs: [{ type: 6n, value: new Uint8Array(0) }] })).toThrow(RangeError);
    expect(() => encodeInit({ ...base, networks: [], unknownTlvs: [{ type: 1n, value: new Uint8Array(0) }] })).toThrow(RangeError);
    expect(() => encodeInit({ ...base, networks: [new Uint8Array(31)], unknownTlvs: [] })).toThrow(RangeError);
  });

  it('round-trips (property)', () => {
    const bytes = (max: number) => fc.uint8Array({ maxLength: max });
    const init = fc.record(
      {
        globalFeatures: bytes(4),
        features: bytes(40),
        networks: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 4 }),
        remoteAddr: bytes(20),
        unknownTlvs: fc.uniqueArray(
          fc.record({ type: fc.bigInt({ min: 2n, max: 1n << 40n }).map((t) => t | 1n), value: bytes(10) }),
          { selector: (r) => r.type, maxLength: 4 },
        ),
      },
      { requiredKeys: ['globalFeatures', 'features', 'unknownTlvs'] },
    );
    fc.assert(
      fc.property(init, (m) => {
        m.unknownTlvs = m.unknownTlvs.filter((r) => r.type !== 1n && r.type !== 3n).sort((a, b) => (a.type < b.type ? -1 : 1));
        const back = decodeInit(encodeInit(m));
        expect(back).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });
});

describe('error and warning', () => {
  const pairs = [
    ['error', encodeError, decodeError],
    ['warning', encodeWarning, decodeWarning],
  ] as const;
  for (const [name, enc, dec] of pairs) {
    it(`${name}: layout, round trip, short input`, () => {
      const m = { channelId: new Uint8Array(32).fill(7), data: utf8.encode('bad thing') };
      const b = enc(m);
      expect(toHex(b)).toBe('07'.repeat(32) + '0009' + toHex(utf8.encode('bad thing')));
      expect(dec(b)).toEqual(m);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 600 }), (channelId, data) => {
          expect(dec(enc({ channelId, data }))).toEqual({ channelId, data });
        }),
        { numRuns: 200 },
      );
      wireError(() => dec(new Uint8Array(33)));
      expect(wireError(() => dec(concatBytes(new Uint8Array(32), fromHex('0005aabb')))).field).toBe(`${name}.data`);
      expect(() => enc({ channelId: new Uint8Array(31), data: new Uint8Array(0) })).toThrow(RangeError);
    });

    it(`${name}: bytes after data are an undefined extension and are ignored`, () => {
      const m = { channelId: new Uint8Array(32), data: fromHex('41') };
      expect(dec(concatBytes(enc(m), fromHex('ff00ff')))).toEqual(m);
    });
  }

  it('printable ASCII check (BOLT 1: else SHOULD NOT print verbatim)', () => {
    expect(isPrintableAscii(utf8.encode('hello ~'))).toBe(true);
    expect(isPrintableAscii(fromHex('0a'))).toBe(false);
    expect(isPrintableAscii(fromHex('7f'))).toBe(false);
  });
});

describe('ping and pong', () => {
  it('layout', () => {
    expect(toHex(encodePing({ numPongBytes: 4, ignored: new Uint8Array(2) }))).toBe('000400020000');
    expect(toHex(encodePong({ ignored: new Uint8Array(3) }))).toBe('0003000000');
    expect(toHex(frameMessage(MSG.ping, encodePing({ numPongBytes: 65532, ignored: new Uint8Array(0) })))).toBe('0012fffc0000');
  });

  it('round-trip (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 2000 }), (numPongBytes, ignored) => {
        expect(decodePing(encodePing({ numPongBytes, ignored }))).toEqual({ numPongBytes, ignored });
        expect(decodePong(encodePong({ ignored }))).toEqual({ ignored });
      }),
      { numRuns: 300 },
    );
  });

  it('largest possible pong (65531 ignored bytes) frames to exactly 65535', () => {
    const pong = frameMessage(MSG.pong, encodePong({ ignored: new Uint8Array(65531) }));
    expect(pong.length).toBe(MAX_MESSAGE_SIZE);
    expect(decodePong(splitMessage(pong).payload).ignored.length).toBe(65531);
    expect(() => frameMessage(MSG.pong, encodePong({ ignored: new Uint8Array(65532) }))).toThrow(RangeError);
  });

  it('short input fails; trailing bytes are ignored', () => {
    for (const hex of ['', '00', '0001', '000100', '00010002ff']) wireError(() => decodePing(fromHex(hex)));
    for (const hex of ['', '00', '0001', '0002ff']) wireError(() => decodePong(fromHex(hex)));
    expect(decodePing(fromHex('00010001aabbcc'))).toEqual({ numPongBytes: 1, ignored: fromHex('aa') });
    expect(decodePong(fromHex('0000ff'))).toEqual({ ignored: new Uint8Array(0) });
    expect(() => encodePing({ numPongBytes: 65536, ignored: new Uint8Array(0) })).toThrow(RangeError);
  });
});

describe('onion_message (BOLT 4, type 513)', () => {
  const pathKey = fromHex('02' + '5a'.repeat(32));

  it('layout and round trip', () => {
    const m = { pathKey, onionPacket: fromHex('00' + '03'.repeat(33) + '11'.repeat(10) + 'ee'.repeat(32)) };
    const b = encodeOnionMessage(m);
    expect(toHex(b.subarray(0, 35))).toBe(toHex(pathKey) + '004c');
    expect(decodeOnionMessage(b)).toEqual(m);
    const framed = frameMessage(MSG.onion_message, b);
    expect(toHex(framed.subarray(0, 2))).toBe('0201');
    fc.assert(
      fc.property(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 1366 }), (p, x, onionPacket) => {
        const k = concatBytes(Uint8Array.of(p), x);
        expect(decodeOnionMessage(encodeOnionMessage({ pathKey: k, onionPacket }))).toEqual({ pathKey: k, onionPacket });
      }),
      { numRuns: 100 },
    );
  });

  it('bad path_key prefix or short input fails', () => {
    const good = encodeOnionMessage({ pathKey, onionPacket: fromHex('aabb') });
    const bad = good.slice();
    bad[0] = 4;
    expect(wireError(() => decodeOnionMessage(bad)).field).toBe('onion_message.path_key');
    expect(wireError(() => decodeOnionMessage(good.subarray(0, good.length - 1))).field).toBe('onion_message.onion_message_packet');
    expect(wireError(() => decodeOnionMessage(good.subarray(0, 34))).field).toBe('onion_message.len');
    expect(() => encodeOnionMessage({ pathKey: new Uint8Array(32), onionPacket: new Uint8Array(0) })).toThrow(RangeError);
  });
});

describe('framing', () => {
  it('frameMessage / splitMessage', () => {
    expect(MSG).toEqual({ warning: 1, init: 16, error: 17, ping: 18, pong: 19, onion_message: 513 });
    const f = frameMessage(0xfffe, fromHex('abcd'));
    expect(toHex(f)).toBe('fffeabcd');
    expect(splitMessage(f)).toEqual({ type: 0xfffe, payload: fromHex('abcd') });
    expect(splitMessage(fromHex('0011'))).toEqual({ type: 17, payload: new Uint8Array(0) });
    wireError(() => splitMessage(new Uint8Array(0)));
    expect(wireError(() => splitMessage(fromHex('00'))).field).toBe('message.type');
    expect(() => frameMessage(65536, new Uint8Array(0))).toThrow(RangeError);
    expect(() => frameMessage(-1, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('fuzz: every decoder throws only WireError', () => {
  const samples = {
    init: [
      ...[...EXT.valid, ...EXT.invalid].map((v) => fromHex(v.msg).subarray(2)),
      encodeInit({ globalFeatures: fromHex('02'), features: fromHex('8002000000'), networks: [CHAIN_HASH.regtest], remoteAddr: fromHex('017f0000012607'), unknownTlvs: [] }),
    ],
    error: [encodeError({ channelId: new Uint8Array(32), data: utf8.encode('oops') })],
    ping: [encodePing({ numPongBytes: 10, ignored: new Uint8Array(5) })],
    pong: [encodePong({ ignored: new Uint8Array(5) })],
    onion: [encodeOnionMessage({ pathKey: fromHex('03' + '01'.repeat(32)), onionPacket: new Uint8Array(70) })],
  };
  const cases: [string, (b: Uint8Array) => unknown, Uint8Array[]][] = [
    ['decodeInit', decodeInit, samples.init],
    ['decodeError', decodeError, samples.error],
    ['decodeWarning', decodeWarning, samples.error],
    ['decodePing', decodePing, samples.ping],
    ['decodePong', decodePong, samples.pong],
    ['decodeOnionMessage', decodeOnionMessage, samples.onion],
    ['splitMessage', splitMessage, samples.init],
  ];
  cases.forEach(([name, dec, s], i) => {
    it(name, () => {
      const r = fuzzDecoder(dec, s, 0x5eed + i);
      expect(r.ok + r.failed).toBe(20_000);
      expect(r.ok).toBeGreaterThan(100);
      expect(r.failed).toBeGreaterThan(100);
    });
  });
});
