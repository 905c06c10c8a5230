// Shared fixtures for the invoice-store tests: deterministic invoices and a store on a ManualClock.
import { afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../../src/crypto/index.ts';
import { manualScheduler, openInvoiceStore, type InvoiceStore, type NewInvoice } from '../../src/invoice-store/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { utf8 } from '../../src/util/bytes.ts';

export const T0 = 1_700_000_000;
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** A fake but well-formed BOLT12 invoice string (lni1 + bech32 characters), unique per seed. */
export function fakeBolt12(seed: string): string {
  const h = sha256(utf8.encode(`bolt12:${seed}`));
  let s = 'lni1qqg';
  for (let i = 0; i < 3; i++) for (const b of h) s += BECH32[(b + i) & 31];
  return s;
}

export function preimageFor(seed: string): Uint8Array {
  return sha256(utf8.encode(`preimage:${seed}`));
}

/** A valid NewInvoice for `label` (preimage and hash derived from the label). */
export function newInvoice(label: string, over: Partial<NewInvoice> = {}): NewInvoice {
  const paymentPreimage = preimageFor(label);
  return {
    label,
    bolt12: fakeBolt12(label),
    description: `for ${label}`,
    paymentHash: sha256(paymentPreimage),
    paymentPreimage,
    amountMsat: 50_000n,
    expiresAt: T0 + 3600,
    ...over,
  };
}

export function memStore(clock = new ManualClock(T0)) {
  const scheduler = manualScheduler();
  const store = openInvoiceStore({ path: ':memory:', clock, scheduler });
  return { store, clock, scheduler };
}

/**
 * For a test file: returns a `memStore` maker whose stores are all closed after each test.
 * Call at the top level of the file (it registers an `afterEach`).
 */
export function closingMemStores(): () => ReturnType<typeof memStore> {
  let open: InvoiceStore[] = [];
  afterEach(async () => {
    for (const s of open) await s.close();
    open = [];
  });
  return () => {
    const s = memStore();
    open.push(s.store);
    return s;
  };
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'bolt12d-inv-'): { dir: string; file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: join(dir, 'invoices.sqlite3'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Settles after queued promise callbacks and one macrotask (lets a group commit run). */
export const settle = () => new Promise<void>((r) => setImmediate(r));
