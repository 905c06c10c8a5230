// Bitcoin transactions as BOLT 3 uses them: the serialization (BIP144 segwit form with marker and
// flag), txid, weight, the BIP143 signature hash for segwit v0 inputs and, for the P2PKH input of
// BOLT 3's Appendix B, the legacy SIGHASH_ALL hash. Pure: bytes in, values out; hashing goes through
// src/crypto.
//
// Written by hand rather than taken from @scure/btc-signer or bitcoinjs-lib: both hash (and sign)
// inside themselves, so under the layering rule either could only live in src/crypto/, which would
// move transaction building into the crypto layer; the subset needed here (one transaction form,
// a handful of fixed scripts, BIP143) is small, and the BOLT 3 vectors check it byte for byte.
//
// API:
//   interface TxIn { txid; vout; scriptSig; sequence; witness }, TxOut { valueSat; script },
//   Tx { version; inputs; outputs; locktime }
//   serializeTx(tx, { witness? }): Uint8Array        parseTx(bytes): Tx   (throws TxError)
//   txid(tx): Uint8Array (internal byte order)         txidToHex(txid) / txidFromHex(hex) (display order)
//   txWeight(tx): number                               txVsize(tx): number
//   segwitV0Sighash(tx, inputIndex, scriptCode, valueSat, sighashType): Uint8Array (32)
//   legacySighashAll(tx, inputIndex, scriptCode): Uint8Array (32)
//   SIGHASH_ALL, SIGHASH_NONE, SIGHASH_SINGLE, SIGHASH_ANYONECANPAY
import { sha256d } from '../crypto/index.ts';
import { fromHex, toHex } from '../util/bytes.ts';
import { TxError } from './errors.ts';

export const SIGHASH_ALL = 0x01;
export const SIGHASH_NONE = 0x02;
export const SIGHASH_SINGLE = 0x03;
export const SIGHASH_ANYONECANPAY = 0x80;

/** 21 million bitcoin in satoshis: no output may carry more (Bitcoin's MAX_MONEY). */
export const MAX_MONEY_SAT = 2_100_000_000_000_000n;

export interface TxIn {
  /** The spent transaction's id in internal (serialization) byte order, the reverse of its display. */
  txid: Uint8Array;
  vout: number;
  scriptSig: Uint8Array;
  sequence: number;
  /** Witness stack items; empty for none. */
  witness: Uint8Array[];
}

export interface TxOut {
  valueSat: bigint;
  script: Uint8Array;
}

export interface Tx {
  version: number;
  inputs: TxIn[];
  outputs: TxOut[];
  locktime: number;
}

/** Little-endian growable writer (Bitcoin's byte order; the wire codec's Writer is big-endian). */
class LeWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private off = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.dv = new DataView(this.buf.buffer);
  }
  private grow(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.off));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  u8(v: number): void {
    this.grow(1);
    this.buf[this.off++] = v;
  }
  u32(v: number, field: string): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new TxError(field, `must be a u32, got ${v}`);
    this.grow(4);
    this.dv.setUint32(this.off, v, true);
    this.off += 4;
  }
  u64(v: bigint, field: string): void {
    if (typeof v !== 'bigint' || v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new TxError(field, `must be a u64, got ${v}`);
    this.grow(8);
    this.dv.setBigUint64(this.off, v, true);
    this.off += 8;
  }
  /** Bitcoin's CompactSize. */
  varint(n: number): void {
    if (n < 0xfd) this.u8(n);
    else if (n <= 0xffff) {
      this.u8(0xfd);
      this.grow(2);
      this.dv.setUint16(this.off, n, true);
      this.off += 2;
    } else {
      this.u8(0xfe);
      this.u32(n, 'varint');
    }
  }
  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
  }
  varbytes(b: Uint8Array): void {
    this.varint(b.length);
    this.bytes(b);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.off);
  }
}

function hasWitness(tx: Tx): boolean {
  return tx.inputs.some((i) => i.witness.length > 0);
}

function writeTx(w: LeWriter, tx: Tx, withWitness: boolean): void {
  w.u32(tx.version >>> 0, 'version');
  const segwit = withWitness && hasWitness(tx);
  if (segwit) {
    // BIP144: marker 0x00, flag 0x01.
    w.u8(0x00);
    w.u8(0x01);
  }
  w.varint(tx.inputs.length);
  tx.inputs.forEach((i, k) => {
    if (!(i.txid instanceof Uint8Array) || i.txid.length !== 32) throw new TxError(`inputs[${k}].txid`, 'must be 32 bytes');
    w.bytes(i.txid);
    w.u32(i.vout, `inputs[${k}].vout`);
    w.varbytes(i.scriptSig);
    w.u32(i.sequence, `inputs[${k}].sequence`);
  });
  w.varint(tx.outputs.length);
  tx.outputs.forEach((o, k) => {
    if (o.valueSat > MAX_MONEY_SAT) throw new TxError(`outputs[${k}].value`, 'above 21 million bitcoin');
    w.u64(o.valueSat, `outputs[${k}].value`);
    w.varbytes(o.script);
  });
  if (segwit) {
    for (const i of tx.inputs) {
      w.varint(i.witness.length);
      for (const item of i.witness) w.varbytes(item);
    }
  }
  w.u32(tx.locktime, 'locktime');
}

/**
 * The transaction's bytes: with `witness` (the default) in BIP144 form when any input has a
 * witness, else (and always with `witness: false`) the legacy form that the txid hashes.
 */
export function serializeTx(tx: Tx, opts: { witness?: boolean } = {}): Uint8Array {
  const w = new LeWriter();
  writeTx(w, tx, opts.witness !== false);
  return w.finish();
}

/** Bounds-checked little-endian reader; every read names its field. */
class LeReader {
  off = 0;
  private readonly dv: DataView;
  constructor(readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  get remaining(): number {
    return this.buf.length - this.off;
  }
  private need(n: number, field: string): void {
    if (this.off + n > this.buf.length) throw new TxError(field, `unexpected end of transaction (need ${n} bytes, have ${this.remaining})`);
  }
  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.off++]!;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.dv.getUint32(this.off, true);
    this.off += 4;
    return v;
  }
  u64(field: string): bigint {
    this.need(8, field);
    const v = this.dv.getBigUint64(this.off, true);
    this.off += 8;
    return v;
  }
  /** CompactSize, canonical only (as Bitcoin Core's ReadCompactSize). */
  varint(field: string): number {
    const b = this.u8(field);
    if (b < 0xfd) return b;
    if (b === 0xfd) {
      this.need(2, field);
      const v = this.dv.getUint16(this.off, true);
      this.off += 2;
      if (v < 0xfd) throw new TxError(field, 'non-canonical CompactSize');
      return v;
    }
    if (b === 0xfe) {
      const v = this.u32(field);
      if (v <= 0xffff) throw new TxError(field, 'non-canonical CompactSize');
      return v;
    }
    const v = this.u64(field);
    if (v <= 0xffff_ffffn) throw new TxError(field, 'non-canonical CompactSize');
    throw new TxError(field, 'CompactSize above 2^32');
  }
  /** A count of items each at least `minSize` bytes long: bounded by what is left. */
  count(field: string, minSize: number): number {
    const n = this.varint(field);
    if (n * minSize > this.remaining) throw new TxError(field, `${n} items cannot fit in the ${this.remaining} bytes left`);
    return n;
  }
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return v;
  }
  varbytes(field: string): Uint8Array {
    const n = this.varint(field);
    return this.bytes(n, field);
  }
}

/**
 * Parse a transaction in legacy or BIP144 form. Throws {@link TxError} naming the field for
 * truncated input, non-canonical sizes, a marker without flag 0x01, a witness section that is all
 * empty (Bitcoin Core's "superfluous witness record"), values above 21M BTC and trailing bytes.
 * Allocation is bounded by the input's length.
 */
export function parseTx(bytes: Uint8Array): Tx {
  const r = new LeReader(bytes);
  const version = r.u32('version');
  let segwit = false;
  if (r.remaining >= 2 && bytes[r.off] === 0x00) {
    // BIP144: a zero input count here is the marker; the flag must be 0x01.
    r.off++;
    const flag = r.u8('flag');
    if (flag !== 0x01) throw new TxError('flag', `segwit flag must be 0x01, got 0x${flag.toString(16)}`);
    segwit = true;
  }
  const nIn = r.count('inputs.count', 41);
  const inputs: TxIn[] = [];
  for (let k = 0; k < nIn; k++) {
    const txid = r.bytes(32, `inputs[${k}].txid`);
    const vout = r.u32(`inputs[${k}].vout`);
    const scriptSig = r.varbytes(`inputs[${k}].scriptSig`);
    const sequence = r.u32(`inputs[${k}].sequence`);
    inputs.push({ txid, vout, scriptSig, sequence, witness: [] });
  }
  const nOut = r.count('outputs.count', 9);
  const outputs: TxOut[] = [];
  for (let k = 0; k < nOut; k++) {
    const valueSat = r.u64(`outputs[${k}].value`);
    if (valueSat > MAX_MONEY_SAT) throw new TxError(`outputs[${k}].value`, 'above 21 million bitcoin');
    outputs.push({ valueSat, script: r.varbytes(`outputs[${k}].script`) });
  }
  if (segwit) {
    if (nIn === 0) throw new TxError('inputs.count', 'a segwit transaction needs an input');
    for (let k = 0; k < nIn; k++) {
      const n = r.count(`inputs[${k}].witness.count`, 1);
      const items: Uint8Array[] = [];
      for (let j = 0; j < n; j++) items.push(r.varbytes(`inputs[${k}].witness[${j}]`));
      inputs[k]!.witness = items;
    }
    if (!inputs.some((i) => i.witness.length > 0)) throw new TxError('witness', 'superfluous witness record (every witness is empty)');
  }
  const locktime = r.u32('locktime');
  if (r.remaining !== 0) throw new TxError('transaction', `${r.remaining} unexpected trailing bytes`);
  return { version, inputs, outputs, locktime };
}

/** The txid: SHA256d of the legacy serialization, in internal byte order. */
export function txid(tx: Tx): Uint8Array {
  return sha256d(serializeTx(tx, { witness: false }));
}

/** A txid as it is displayed (byte-reversed hex). */
export function txidToHex(id: Uint8Array): string {
  return toHex(id.slice().reverse());
}

/** A displayed (byte-reversed) txid hex → internal byte order. */
export function txidFromHex(hex: string): Uint8Array {
  const b = fromHex(hex, 'txid');
  if (b.length !== 32) throw new TxError('txid', 'must be 32 bytes');
  return b.reverse();
}

/** BIP141 weight: 3 × the size without witness + the full size. */
export function txWeight(tx: Tx): number {
  return 3 * serializeTx(tx, { witness: false }).length + serializeTx(tx).length;
}

/** Virtual size: weight / 4, rounded up. */
export function txVsize(tx: Tx): number {
  return Math.ceil(txWeight(tx) / 4);
}

/**
 * BIP143 signature hash for a segwit v0 input. `scriptCode` is the witness script for P2WSH (BOLT 3
 * spends only P2WSH outputs), `valueSat` the spent output's amount.
 */
export function segwitV0Sighash(tx: Tx, inputIndex: number, scriptCode: Uint8Array, valueSat: bigint, sighashType: number): Uint8Array {
  const input = tx.inputs[inputIndex];
  if (!input) throw new TxError('inputIndex', `no input ${inputIndex}`);
  const base = sighashType & 0x1f;
  const anyoneCanPay = (sighashType & SIGHASH_ANYONECANPAY) !== 0;
  const zero = new Uint8Array(32);

  let hashPrevouts: Uint8Array = zero;
  if (!anyoneCanPay) {
    const w = new LeWriter();
    tx.inputs.forEach((i, k) => {
      w.bytes(i.txid);
      w.u32(i.vout, `inputs[${k}].vout`);
    });
    hashPrevouts = sha256d(w.finish());
  }
  let hashSequence: Uint8Array = zero;
  if (!anyoneCanPay && base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) {
    const w = new LeWriter();
    tx.inputs.forEach((i, k) => w.u32(i.sequence, `inputs[${k}].sequence`));
    hashSequence = sha256d(w.finish());
  }
  let hashOutputs: Uint8Array = zero;
  if (base !== SIGHASH_SINGLE && base !== SIGHASH_NONE) {
    const w = new LeWriter();
    tx.outputs.forEach((o, k) => {
      w.u64(o.valueSat, `outputs[${k}].value`);
      w.varbytes(o.script);
    });
    hashOutputs = sha256d(w.finish());
  } else if (base === SIGHASH_SINGLE && inputIndex < tx.outputs.length) {
    const o = tx.outputs[inputIndex]!;
    const w = new LeWriter();
    w.u64(o.valueSat, 'output.value');
    w.varbytes(o.script);
    hashOutputs = sha256d(w.finish());
  }

  const w = new LeWriter();
  w.u32(tx.version >>> 0, 'version');
  w.bytes(hashPrevouts);
  w.bytes(hashSequence);
  w.bytes(input.txid);
  w.u32(input.vout, 'input.vout');
  w.varbytes(scriptCode);
  w.u64(valueSat, 'input value');
  w.u32(input.sequence, 'input.sequence');
  w.bytes(hashOutputs);
  w.u32(tx.locktime, 'locktime');
  w.u32(sighashType >>> 0, 'sighashType');
  return sha256d(w.finish());
}

/**
 * The pre-segwit SIGHASH_ALL signature hash: the transaction with every scriptSig emptied but the
 * signed input's, which carries `scriptCode` (the spent output's script; no OP_CODESEPARATOR
 * handling), followed by the 4-byte hash type. Only BOLT 3's Appendix B (a P2PKH funding input)
 * needs it.
 */
export function legacySighashAll(tx: Tx, inputIndex: number, scriptCode: Uint8Array): Uint8Array {
  if (!tx.inputs[inputIndex]) throw new TxError('inputIndex', `no input ${inputIndex}`);
  const copy: Tx = {
    ...tx,
    inputs: tx.inputs.map((i, k) => ({ ...i, scriptSig: k === inputIndex ? scriptCode : new Uint8Array(0), witness: [] })),
  };
  const w = new LeWriter();
  writeTx(w, copy, false);
  w.u32(SIGHASH_ALL, 'sighashType');
  return sha256d(w.finish());
}
