// On-chain fallback addresses (BOLT 12 `invoice_fallbacks`) as people read them: BIP 173 (bech32,
// witness v0) and BIP 350 (bech32m, v1+) segwit addresses, with BIP 141's program rules.
import { bytesEqual } from '../util/bytes.ts';
import { CHAIN_HASH } from '../wire/chains.ts';
import type { FallbackAddress } from './fields.ts';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

/**
 * A segwit address for witness `version` and `program`, or `undefined` when they break BIP 141
 * (version above 16, program not 2–40 bytes, v0 program not 20 or 32 bytes).
 */
export function encodeSegwitAddress(hrp: string, version: number, program: Uint8Array): string | undefined {
  if (!Number.isInteger(version) || version < 0 || version > 16) return undefined;
  if (program.length < 2 || program.length > 40) return undefined;
  if (version === 0 && program.length !== 20 && program.length !== 32) return undefined;
  const data = [version];
  let acc = 0;
  let bits = 0;
  for (const b of program) {
    acc = ((acc << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) data.push((acc << (5 - bits)) & 31);
  const constant = version === 0 ? 1 : 0x2bc830a3;
  const mod = polymod([...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0]) ^ constant;
  for (let i = 0; i < 6; i++) data.push((mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${data.map((d) => CHARSET[d]).join('')}`;
}

/** The BIP 173 human-readable part of a chain's addresses, or `undefined` for an unknown chain. */
export function segwitHrp(chain: Uint8Array): string | undefined {
  if (bytesEqual(chain, CHAIN_HASH.mainnet)) return 'bc';
  if (bytesEqual(chain, CHAIN_HASH.testnet) || bytesEqual(chain, CHAIN_HASH.signet)) return 'tb';
  if (bytesEqual(chain, CHAIN_HASH.regtest)) return 'bcrt';
  return undefined;
}

/** A fallback as an address on `chain`, or `undefined` when it is not a valid witness program there. */
export function fallbackAddressString(f: FallbackAddress, chain: Uint8Array): string | undefined {
  const hrp = segwitHrp(chain);
  return hrp === undefined ? undefined : encodeSegwitAddress(hrp, f.version, f.address);
}
