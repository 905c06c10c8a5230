// Growable typed arrays for the graph's struct-of-arrays tables: capacity doubles (up to a cap)
// and the old contents are copied once, so n appends cost O(n) and no object is kept per row.

export type NumArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int32Array
  | Float64Array;

type Ctor<T> = { new (n: number): T };

/** A copy of `a` with room for `n` elements (n >= a.length); new elements are zero. */
export function resized<T extends NumArray | BigUint64Array>(a: T, n: number): T {
  const out = new (a.constructor as Ctor<T>)(n);
  (out as unknown as { set(x: T): void }).set(a);
  return out;
}

/** Next capacity: double, at least `need`, at most `cap` (callers check `need <= cap` first). */
export function nextCapacity(current: number, need: number, cap: number): number {
  let n = Math.max(16, current);
  while (n < need) n *= 2;
  return Math.min(n, cap);
}

/** Bytes held by a set of typed arrays (their buffers), for memory figures. */
export function byteSize(arrays: readonly (NumArray | BigUint64Array)[]): number {
  let n = 0;
  for (const a of arrays) n += a.byteLength;
  return n;
}
