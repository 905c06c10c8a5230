// Bitcoin transaction serialization (src/channel/tx.ts) and BOLT 3 scripts: round trips over
// generated transactions (fixed seed, test/setup.ts), the parser's refusals, and hostile bytes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_MONEY_SAT,
  parseTx,
  pushNumber,
  segwitV0Sighash,
  serializeTx,
  SIGHASH_ALL,
  SIGHASH_ANYONECANPAY,
  SIGHASH_NONE,
  SIGHASH_SINGLE,
  TxError,
  txid,
  txidFromHex,
  txidToHex,
  txVsize,
  txWeight,
  p2wpkh,
  isP2wpkh,
  isP2wsh,
  p2wsh,
  type Tx,
} from '../../src/channel/index.ts';
import { hash160, publicKey, ripemd160, sha256, sha256d } from '../../src/crypto/index.ts';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const input = (withWitness: boolean) =>
  fc.record({
    txid: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    vout: u32,
    scriptSig: bytes(300),
    sequence: u32,
    witness: withWitness ? fc.array(bytes(300), { maxLength: 5 }) : fc.constant([] as Uint8Array[]),
  });
const output = fc.record({ valueSat: fc.bigInt({ min: 0n, max: MAX_MONEY_SAT }), script: bytes(300) });
const txArb = (withWitness: boolean): fc.Arbitrary<Tx> =>
  fc.record({
    version: u32,
    inputs: fc.array(input(withWitness), { minLength: 1, maxLength: 4 }),
    outputs: fc.array(output, { maxLength: 4 }),
    locktime: u32,
  });

describe('transaction serialization', () => {
  it('round-trips legacy and segwit transactions; the txid ignores the witness', () => {
    fc.assert(
      fc.property(txArb(true), (tx) => {
        const raw = serializeTx(tx);
        const back = parseTx(raw);
        expect(toHex(serializeTx(back))).toBe(toHex(raw));
        expect(back).toEqual(tx);
        const stripped: Tx = { ...tx, inputs: tx.inputs.map((i) => ({ ...i, witness: [] })) };
        expect(toHex(txid(tx))).toBe(toHex(txid(stripped)));
        expect(toHex(txid(tx))).toBe(toHex(sha256d(serializeTx(tx, { witness: false }))));
        const segwit = tx.inputs.some((i) => i.witness.length > 0);
        expect(raw[4] === 0 && raw[5] === 1).toBe(segwit);
        const base = serializeTx(tx, { witness: false }).length;
        expect(txWeight(tx)).toBe(3 * base + raw.length);
        expect(txVsize(tx)).toBe(Math.ceil(txWeight(tx) / 4));
      }),
    );
  });

  it('writes long scripts and counts with 3- and 5-byte CompactSizes and reads them back', () => {
    const tx: Tx = {
      version: 2,
      inputs: [{ txid: new Uint8Array(32), vout: 0, scriptSig: new Uint8Array(0xfd), sequence: 0, witness: [new Uint8Array(0x10000)] }],
      outputs: Array.from({ length: 253 }, () => ({ valueSat: 1n, script: new Uint8Array(1) })),
      locktime: 0,
    };
    const raw = serializeTx(tx);
    // version, marker and flag, input count, outpoint: then the scriptSig length 0xfd as fd fd 00
    expect(toHex(raw.subarray(43, 46))).toBe('fdfd00');
    // the witness: one item of 0x10000 bytes, its length as fe 00 00 01 00
    expect(toHex(raw.subarray(raw.length - 4 - 0x10000 - 6, raw.length - 4 - 0x10000))).toBe('01fe00000100');
    expect(parseTx(raw)).toEqual(tx);
  });

  it('displays txids byte-reversed', () => {
    const id = txidFromHex('8984484a580b825b9972d7adb15050b3ab624ccd731946b3eeddb92f4e7ef6be');
    expect(toHex(id)).toBe('bef67e4e2fb9ddeeb3461973cd4c62abb35050b1add772995b820b584a488489');
    expect(txidToHex(id)).toBe('8984484a580b825b9972d7adb15050b3ab624ccd731946b3eeddb92f4e7ef6be');
    expect(() => txidFromHex('00')).toThrow(TxError);
  });
});

describe('the transaction parser refuses, naming the field', () => {
  const good: Tx = {
    version: 2,
    inputs: [{ txid: new Uint8Array(32).fill(7), vout: 1, scriptSig: new Uint8Array(0), sequence: 5, witness: [Uint8Array.of(1, 2)] }],
    outputs: [{ valueSat: 1000n, script: Uint8Array.of(0x51) }],
    locktime: 9,
  };
  const raw = serializeTx(good);
  const err = (b: Uint8Array): TxError => {
    try {
      parseTx(b);
    } catch (e) {
      expect(e).toBeInstanceOf(TxError);
      return e as TxError;
    }
    throw new Error('parsed');
  };

  it('every truncation', () => {
    for (let n = 0; n < raw.length; n++) expect(err(raw.subarray(0, n)).rule).toMatch(/unexpected end|cannot fit|flag|superfluous/);
  });
  it('trailing bytes', () => {
    expect(err(Uint8Array.from([...raw, 0])).field).toBe('transaction');
  });
  it('a marker whose flag is not 0x01', () => {
    const b = raw.slice();
    b[5] = 0x02;
    expect(err(b).field).toBe('flag');
  });
  it('a witness flag with every witness empty (superfluous witness record)', () => {
    const legacy = serializeTx(good, { witness: false });
    // version | 00 01 | body | one empty witness | locktime
    const body = legacy.subarray(4, legacy.length - 4);
    const b = Uint8Array.from([...legacy.subarray(0, 4), 0, 1, ...body, 0, ...legacy.subarray(legacy.length - 4)]);
    expect(err(b).field).toBe('witness');
  });
  it('non-canonical CompactSizes', () => {
    // input count 1 written as fd 01 00
    const legacy = serializeTx(good, { witness: false });
    const b = Uint8Array.from([...legacy.subarray(0, 4), 0xfd, 0x01, 0x00, ...legacy.subarray(5)]);
    expect(err(b).rule).toMatch(/non-canonical/);
  });
  it('counts that cannot fit in what is left, without allocating for them', () => {
    const b = Uint8Array.from([2, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0x7f]);
    expect(err(b).rule).toMatch(/cannot fit/);
  });
  it('values above 21 million bitcoin', () => {
    const legacy = serializeTx({ ...good, outputs: [{ valueSat: MAX_MONEY_SAT, script: new Uint8Array(0) }] }, { witness: false });
    const b = legacy.slice();
    b[4 + 1 + 41 + 1] = (b[4 + 1 + 41 + 1]! + 1) & 0xff;
    expect(err(b).field).toBe('outputs[0].value');
    expect(() => serializeTx({ ...good, outputs: [{ valueSat: MAX_MONEY_SAT + 1n, script: new Uint8Array(0) }] })).toThrow(TxError);
  });
  it('random and mutated bytes: a TxError or a transaction, nothing else', () => {
    fc.assert(
      fc.property(bytes(400), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (junk, muts) => {
        for (const b of [junk, (() => {
          const m = raw.slice();
          for (const [i, v] of muts) m[i % m.length] = v;
          return m;
        })()]) {
          try {
            const tx = parseTx(b);
            expect(toHex(serializeTx(tx))).toBe(toHex(b)); // what parses is canonical
          } catch (e) {
            expect(e).toBeInstanceOf(TxError);
          }
        }
      }),
    );
  });
});

describe('BIP143 signature hash', () => {
  // BIP143's "Native P2WPKH" example: the second input's sighash (SIGHASH_ALL).
  it('matches the BIP143 native P2WPKH example', () => {
    const unsigned = parseTx(
      fromHex(
        '0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f0000000000eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000',
      ),
    );
    const scriptCode = fromHex('76a9141d0f172a0ecb48aee1be1f2687d2963ae33f71a188ac');
    expect(toHex(segwitV0Sighash(unsigned, 1, scriptCode, 600000000n, SIGHASH_ALL))).toBe('c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670');
  });
  it('commits to what each sighash type covers', () => {
    const tx: Tx = {
      version: 2,
      inputs: [0, 1].map((k) => ({ txid: new Uint8Array(32).fill(k + 1), vout: k, scriptSig: new Uint8Array(0), sequence: k, witness: [] })),
      outputs: [{ valueSat: 5n, script: Uint8Array.of(0x51) }, { valueSat: 6n, script: Uint8Array.of(0x52) }],
      locktime: 0,
    };
    const sc = Uint8Array.of(0xac);
    const h = (t: Tx, type: number, i = 0) => toHex(segwitV0Sighash(t, i, sc, 10n, type));
    const otherInput: Tx = { ...tx, inputs: [tx.inputs[0]!, { ...tx.inputs[1]!, vout: 9 }] };
    const otherOutput1: Tx = { ...tx, outputs: [tx.outputs[0]!, { ...tx.outputs[1]!, valueSat: 7n }] };
    expect(h(otherInput, SIGHASH_ALL)).not.toBe(h(tx, SIGHASH_ALL));
    expect(h(otherInput, SIGHASH_ALL | SIGHASH_ANYONECANPAY)).toBe(h(tx, SIGHASH_ALL | SIGHASH_ANYONECANPAY));
    expect(h(otherOutput1, SIGHASH_SINGLE)).toBe(h(tx, SIGHASH_SINGLE));
    expect(h(otherOutput1, SIGHASH_SINGLE, 1)).not.toBe(h(tx, SIGHASH_SINGLE, 1));
    expect(h(otherOutput1, SIGHASH_NONE)).toBe(h(tx, SIGHASH_NONE));
    expect(h(tx, SIGHASH_ALL)).not.toBe(toHex(segwitV0Sighash(tx, 0, sc, 11n, SIGHASH_ALL)));
    expect(() => segwitV0Sighash(tx, 2, sc, 1n, SIGHASH_ALL)).toThrow(TxError);
  });
});

describe('script pieces and hashes', () => {
  it('pushNumber writes minimal script numbers', () => {
    const cases: [number, string][] = [
      [0, '00'], [1, '51'], [16, '60'], [-1, '4f'], [17, '0111'], [127, '017f'], [128, '028000'], [255, '02ff00'],
      [256, '020001'], [-2, '0182'], [-128, '028080'], [500, '02f401'], [0x7fffffff, '04ffffff7f'], [0x80000000, '050000008000'],
    ];
    for (const [n, hex] of cases) expect(toHex(pushNumber(n)), String(n)).toBe(hex);
  });
  it('RIPEMD160 and HASH160 match their published values', () => {
    expect(toHex(ripemd160(utf8.encode('abc')))).toBe('8eb208f7e05d987a9b044a8e98c6b087f15a0bfc');
    // BIP143's P2WPKH example key and its hash.
    const pub = fromHex('025476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee6357');
    expect(toHex(hash160(pub))).toBe('1d0f172a0ecb48aee1be1f2687d2963ae33f71a1');
    expect(toHex(p2wpkh(pub))).toBe('00141d0f172a0ecb48aee1be1f2687d2963ae33f71a1');
    expect(isP2wpkh(p2wpkh(pub))).toBe(true);
    const w = p2wsh(Uint8Array.of(0x51));
    expect(toHex(w)).toBe('0020' + toHex(sha256(Uint8Array.of(0x51))));
    expect(isP2wsh(w) && !isP2wsh(p2wpkh(pub))).toBe(true);
    expect(() => p2wpkh(publicKey(new Uint8Array(32).fill(1)).subarray(1))).toThrow(TxError);
  });
});
