// CRC-32 (IEEE 802.3, the zlib/PNG one) for the gossip store's record checksums: node:zlib's
// `crc32` where the runtime has it (Node >= 20.15 / 22.2), else a table in JS (same values).
// A guard against torn writes and disk corruption, not a cryptographic hash.
import * as zlib from 'node:zlib';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `data`, continuing from `prev` (the CRC of what came before; 0 to start). */
export function crc32Js(data: Uint8Array, prev = 0): number {
  let c = (prev ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

type NativeCrc = (data: Uint8Array, value?: number) => number;
const native = (zlib as unknown as { crc32?: NativeCrc }).crc32;

/** CRC-32 of `data`, continuing from `prev`. */
export const crc32: (data: Uint8Array, prev?: number) => number =
  typeof native === 'function' ? (data, prev = 0) => native(data, prev) >>> 0 : crc32Js;

/** Whether the native implementation is in use (for the tests and logs). */
export const crc32IsNative = typeof native === 'function';
