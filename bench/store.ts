// Durable invoice creates per second, as a ratio of raw SQLite inserts (one transaction each, same
// WAL + synchronous=FULL settings and schema) measured in the same run:
//   store-create-seq:        one caller awaiting each create (target ≥ 0.8: little overhead)
//   store-create-concurrent: 64 callers at once (target > 1.0: group commit shares the fsyncs)
// Each figure is the median of ROUNDS alternating rounds, every round on fresh files in the OS
// temp dir (a real disk here, so fsync costs what it costs). Run alone: node --import tsx bench/store.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256 } from '../src/crypto/index.ts';
import { openInvoiceStore, type NewInvoice } from '../src/invoice-store/index.ts';
import { openRawBaseline } from '../src/invoice-store/sqlite/baseline.ts';
import { utf8 } from '../src/util/bytes.ts';
import { systemClock, unixSeconds } from '../src/util/clock.ts';

const ROUNDS = 3;
const N = 1500;
const CALLERS = 64;

function invoices(tag: string, n: number): NewInvoice[] {
  const now = unixSeconds(systemClock);
  return Array.from({ length: n }, (_, i) => {
    const paymentPreimage = sha256(utf8.encode(`bench-${tag}-${i}`));
    return {
      label: `bench-${tag}-${i}`,
      bolt12: `lni1${'qpzry9x8gf2tvdw0s3jn54khce6mua7l'.repeat(12)}${tag}${i}`,
      description: `benchmark invoice ${i}`,
      paymentHash: sha256(paymentPreimage),
      paymentPreimage,
      amountMsat: 100_000n + BigInt(i),
      expiresAt: now + 3600,
    };
  });
}

const opsPerSec = (n: number, ms: number) => (n * 1000) / ms;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function round(dir: string, r: number): Promise<{ raw: number; seq: number; conc: number; txPerOp: number }> {
  const now = unixSeconds(systemClock);
  // raw bound
  const rawInv = invoices(`raw${r}`, N);
  const raw = openRawBaseline(join(dir, `raw-${r}.sqlite3`));
  let t = performance.now();
  for (const inv of rawInv) raw.insert(inv, now);
  const rawOps = opsPerSec(N, performance.now() - t);
  raw.close();

  // the store, one caller
  const seqInv = invoices(`seq${r}`, N);
  const seqStore = openInvoiceStore({ path: join(dir, `seq-${r}.sqlite3`), clock: systemClock });
  t = performance.now();
  for (const inv of seqInv) await seqStore.create(inv);
  const seqOps = opsPerSec(N, performance.now() - t);
  await seqStore.close();

  // the store, 64 callers each awaiting its own creates
  const concInv = invoices(`conc${r}`, N);
  const concStore = openInvoiceStore({ path: join(dir, `conc-${r}.sqlite3`), clock: systemClock });
  let next = 0;
  t = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < concInv.length) await concStore.create(concInv[next++]!);
    }),
  );
  const concOps = opsPerSec(N, performance.now() - t);
  const txPerOp = concStore.commitStats.transactions / concStore.commitStats.writes;
  await concStore.close();
  return { raw: rawOps, seq: seqOps, conc: concOps, txPerOp };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bolt12d-bench-store-'));
  try {
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await round(dir, r));
    const raw = median(rounds.map((x) => x.raw));
    const seq = median(rounds.map((x) => x.seq));
    const conc = median(rounds.map((x) => x.conc));
    const seqRatio = median(rounds.map((x) => x.seq / x.raw));
    const concRatio = median(rounds.map((x) => x.conc / x.raw));
    const txPerOp = median(rounds.map((x) => x.txPerOp));
    const f = (x: number) => x.toFixed(0);
    console.log(`BENCH store-create-seq ratio=${seqRatio.toFixed(3)} target=0.8 store_ops_s=${f(seq)} raw_ops_s=${f(raw)} n=${N} rounds=${ROUNDS}`);
    console.log(
      `BENCH store-create-concurrent ratio=${concRatio.toFixed(3)} target=1.0 store_ops_s=${f(conc)} raw_ops_s=${f(raw)} callers=${CALLERS} n=${N} tx_per_create=${txPerOp.toFixed(4)} rounds=${ROUNDS}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
