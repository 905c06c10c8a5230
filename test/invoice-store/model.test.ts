// Model-based property test: random sequences of create / pay / delete / clock moves, concurrent
// or not, against a plain in-memory model of Core Lightning's rules. After every step the store
// must agree with the model, and pay_index must stay unique, +1 per newly paid invoice.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InvoiceStatus } from '../../src/invoice-store/index.ts';
import { memStore, newInvoice } from './fixtures.ts';

type Cmd =
  | { k: 'create'; label: string; ttl: number }
  | { k: 'pay'; label: string; amount: bigint }
  | { k: 'delete'; label: string; status: InvoiceStatus }
  | { k: 'advance'; s: number }
  | { k: 'tick' };

const label = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ k: fc.constant('create' as const), label, ttl: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ k: fc.constant('pay' as const), label, amount: fc.bigInt({ min: 0n, max: 10n ** 12n }) }),
  fc.record({ k: fc.constant('delete' as const), label, status: fc.constantFrom<InvoiceStatus>('unpaid', 'paid', 'expired') }),
  fc.record({ k: fc.constant('advance' as const), s: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ k: fc.constant('tick' as const) }),
);

interface M {
  paymentHash: Uint8Array;
  expiresAt: number;
  createdIndex: number;
  paid: { payIndex: number; amount: bigint } | null;
}

describe('store vs model', () => {
  it('agrees on every step of random operation sequences (batched in groups)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cmd, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), async (groups) => {
        const { store, clock } = memStore();
        const model = new Map<string, M>();
        let created = 0;
        let payIndex = 0;
        let generation = 0; // labels may be re-created after delete: keep hashes distinct
        const status = (m: M): InvoiceStatus => (m.paid ? 'paid' : m.expiresAt <= Math.floor(clock.now()) ? 'expired' : 'unpaid');
        try {
          for (const group of groups) {
            // A group's writes are submitted together (one group commit) and the model applies
            // them in submission order, as the store must. The batch reads the clock when it runs,
            // so the group's clock moves happen first.
            for (const c of group) if (c.k === 'advance') clock.advance(c.s);
            const pending: Promise<unknown>[] = [];
            for (const c of group) {
              if (c.k === 'advance') continue;
              if (c.k === 'tick') {
                pending.push(store.tick());
                continue;
              }
              const m = model.get(c.label);
              if (c.k === 'create') {
                const inv = newInvoice(`${c.label}#${generation++}`, { label: c.label, expiresAt: Math.floor(clock.now()) + c.ttl });
                const p = store.create(inv);
                if (m) pending.push(expect(p).rejects.toMatchObject({ code: 900 }));
                else {
                  model.set(c.label, { paymentHash: inv.paymentHash, expiresAt: inv.expiresAt, createdIndex: ++created, paid: null });
                  pending.push(p);
                }
              } else if (c.k === 'pay') {
                // The hash of the invoice the model holds under this label: reading the store
                // here would see the state before this group's pending writes.
                if (!m) continue;
                const p = store.markPaid(m.paymentHash, c.amount);
                const st = status(m);
                if (st === 'expired') pending.push(expect(p).rejects.toMatchObject({ reason: 'expired' }));
                else if (st === 'paid') pending.push(p.then((r) => expect(r.newlyPaid).toBe(false)));
                else {
                  const want = ++payIndex;
                  m.paid = { payIndex: want, amount: c.amount };
                  pending.push(p.then((r) => expect(r.record.payIndex).toBe(want)));
                }
              } else {
                const p = store.delete(c.label, c.status);
                if (!m) pending.push(expect(p).rejects.toMatchObject({ code: 905 }));
                else if (status(m) !== c.status) pending.push(expect(p).rejects.toMatchObject({ code: 906 }));
                else {
                  model.delete(c.label);
                  pending.push(p);
                }
              }
            }
            await Promise.all(pending);
            const rows = store.list();
            expect(rows.map((r) => r.label).sort()).toEqual([...model.keys()].sort());
            for (const r of rows) {
              const m = model.get(r.label)!;
              expect(r.status).toBe(status(m));
              expect(r.createdIndex).toBe(m.createdIndex);
              expect(r.payIndex).toBe(m.paid?.payIndex ?? null);
              expect(r.amountReceivedMsat).toBe(m.paid?.amount ?? null);
            }
            expect(store.indexes()).toMatchObject({ created, payIndex });
            expect(store.selfCheck()).toEqual([]);
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
