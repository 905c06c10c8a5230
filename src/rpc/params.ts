// Parameter checks shared by every RPC method: each failure is an RpcError -32602 naming the
// parameter and the rule, so bad input never reaches a layer below.
import { INVALID_PARAMS, RpcError } from './types.ts';
import { isPoint } from '../crypto/index.ts';
import { fromHex } from '../util/bytes.ts';

function bad(name: string, rule: string): RpcError {
  return new RpcError(INVALID_PARAMS, `${name}: ${rule}`, { param: name });
}

export function optional<T>(p: Record<string, unknown>, name: string, get: (p: Record<string, unknown>, name: string) => T): T | undefined {
  return p[name] === undefined || p[name] === null ? undefined : get(p, name);
}

export function paramString(p: Record<string, unknown>, name: string, opts: { maxLength?: number; allowEmpty?: boolean } = {}): string {
  const v = p[name];
  if (v === undefined || v === null) throw bad(name, 'is required');
  // lightning-cli passes numbers for labels given as bare numbers; CLN accepts numeric labels too.
  if (typeof v !== 'string') throw bad(name, 'should be a string');
  if (!opts.allowEmpty && v.length === 0) throw bad(name, 'should not be empty');
  if (opts.maxLength !== undefined && v.length > opts.maxLength) throw bad(name, `should be at most ${opts.maxLength} characters`);
  return v;
}

/** A non-negative integer within [min, max] (numbers or decimal strings). */
export function paramInteger(p: Record<string, unknown>, name: string, opts: { min?: number; max?: number } = {}): number {
  const v = p[name];
  if (v === undefined || v === null) throw bad(name, 'is required');
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) n = Number(v);
  else throw bad(name, 'should be an integer');
  if (!Number.isSafeInteger(n)) throw bad(name, 'should be an integer');
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  if (n < min || n > max) throw bad(name, `should be between ${min} and ${max}`);
  return n;
}

/**
 * An amount in millisatoshis, as Core Lightning accepts it: an integer (msat), or a string
 * `"<n>msat"`, `"<n>sat"`, `"<n>btc"`, or a bare decimal integer string.
 */
export function paramMsat(p: Record<string, unknown>, name: string): bigint {
  const v = p[name];
  if (v === undefined || v === null) throw bad(name, 'is required');
  let out: bigint;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw bad(name, 'should be a non-negative integer of millisatoshis');
    out = BigInt(v);
  } else if (typeof v === 'string') {
    const m = /^([0-9]+)(msat|sat)?$/.exec(v);
    if (m) out = BigInt(m[1]!) * (m[2] === 'sat' ? 1000n : 1n);
    else {
      const b = /^([0-9]+)(?:\.([0-9]{1,11}))?btc$/.exec(v);
      if (!b) throw bad(name, 'should be a millisatoshi amount (e.g. 1000, "1000msat", "1sat", "0.001btc")');
      out = BigInt(b[1]!) * 100_000_000_000n + BigInt((b[2] ?? '').padEnd(11, '0') || '0');
    }
  } else throw bad(name, 'should be a millisatoshi amount');
  // 21e6 BTC in msat: anything larger is not an amount.
  if (out > 2_100_000_000_000_000_000n) throw bad(name, 'exceeds 21 million bitcoin');
  return out;
}

export function paramHex(p: Record<string, unknown>, name: string, byteLength?: number): Uint8Array {
  const v = p[name];
  if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(v)) throw bad(name, 'should be a hex string');
  if (byteLength !== undefined && v.length !== byteLength * 2) throw bad(name, `should be ${byteLength} bytes of hex`);
  return new Uint8Array(Buffer.from(v, 'hex'));
}

export function paramBoolean(p: Record<string, unknown>, name: string): boolean {
  const v = p[name];
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw bad(name, 'should be a boolean');
}

export function paramEnum<T extends string>(p: Record<string, unknown>, name: string, values: readonly T[]): T {
  const v = p[name];
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw bad(name, `should be one of ${values.join(', ')}`);
  return v as T;
}

export { bad as invalidParam };

/** A node id: 33 bytes of hex, a valid compressed secp256k1 point. */
export function paramNodeId(p: Record<string, unknown>, name: string): Uint8Array {
  const s = paramString(p, name);
  if (!/^(02|03)[0-9a-fA-F]{64}$/.test(s)) throw bad(name, 'should be a 33-byte node id in hex');
  const id = fromHex(s);
  if (!isPoint(id)) throw bad(name, 'is not a valid secp256k1 point');
  return id;
}
