// Child process for crash.test.ts: `node --import tsx crash-child.ts <db path> <count> <seed>`.
// Runs `count` concurrent tasks against the file database: each creates invoice `inv-<i>` (unless a
// previous run already did) and, for even i, pays it. Every acknowledged write is printed as one
// JSON line on stdout *after* the store resolved it (i.e. after its COMMIT returned); the parent
// kills this process with SIGKILL at random moments and checks every printed line survived.
import { sha256 } from '../../src/crypto/index.ts';
import { openInvoiceStore, type NewInvoice } from '../../src/invoice-store/index.ts';
import { systemClock } from '../../src/util/clock.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { deterministicRandom } from '../../src/crypto/index.ts';

/** Far in the future, so nothing expires during the test. */
export const CRASH_EXPIRES_AT = 4_000_000_000;

export function crashInvoice(i: number): NewInvoice {
  const paymentPreimage = sha256(utf8.encode(`crash-preimage-${i}`));
  return {
    label: `inv-${i}`,
    bolt12: `lni1crash${i}qqqqqq`,
    description: `crash test invoice ${i}`,
    paymentHash: sha256(paymentPreimage),
    paymentPreimage,
    amountMsat: 1000n + BigInt(i),
    expiresAt: CRASH_EXPIRES_AT,
    invreqRef: `lnr1ref${i}`,
  };
}

export const crashPayAmount = (i: number): bigint => 2000n + BigInt(i);

// stdout on a pipe is synchronous on Linux: once write() returns, the line is in the pipe and
// survives our death; a line is < PIPE_BUF, so it is never torn.
const ack = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const [path, countArg, seedArg] = process.argv.slice(2);
  if (!path || !countArg) throw new Error('usage: crash-child.ts <db path> <count> <seed>');
  const count = Number(countArg);
  const rnd = deterministicRandom(utf8.encode(`seed-${seedArg ?? '0'}`));
  // Spread the 1,000 concurrent tasks over about a second, so kills land in the middle of work
  // (and of group commits of varying size), not after it.
  const jitter = () => new Promise<void>((r) => setTimeout(r, ((rnd(2)[0]! << 8) | rnd(2)[1]!) % 600));
  const store = openInvoiceStore({ path, clock: systemClock });
  ack({ op: 'ready', pid: process.pid });
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await jitter();
      const inv = crashInvoice(i);
      let rec = store.get(inv.label);
      if (!rec) {
        rec = await store.create(inv);
        ack({ op: 'create', label: inv.label, createdIndex: rec.createdIndex });
      }
      if (i % 2 === 0 && rec.status !== 'paid') {
        await jitter();
        const r = await store.markPaid(inv.paymentHash, crashPayAmount(i));
        ack({ op: 'pay', label: inv.label, payIndex: r.record.payIndex, newlyPaid: r.newlyPaid });
      }
    }),
  );
  ack({ op: 'done', transactions: store.commitStats.transactions });
  await store.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    process.stderr.write(`crash-child failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
