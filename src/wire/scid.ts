// BOLT 7: short_channel_id is 8 bytes: block height (3), transaction index (3), output index (2).
// Written as `BLOCKxTXxOUT` by convention.

export function scidToString(scid: bigint): string {
  const block = Number(scid >> 40n);
  const tx = Number((scid >> 16n) & 0xff_ffffn);
  const out = Number(scid & 0xffffn);
  return `${block}x${tx}x${out}`;
}

export function scidFromString(s: string): bigint | undefined {
  const m = /^([0-9]+)x([0-9]+)x([0-9]+)$/.exec(s);
  if (!m) return undefined;
  const [b, t, o] = [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)];
  if (b > 0xff_ffffn || t > 0xff_ffffn || o > 0xffffn) return undefined;
  return (b << 40n) | (t << 16n) | o;
}
