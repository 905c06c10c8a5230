// 200 concurrent sendinvoice calls between nodes of one process, each for its own refund: all end
// paid, with unique labels and pay_index values 1..200, the store consistent, every refund used
// once, the ledger carrying exactly 200 payments. (Pacing raised on both sides: the point here is
// concurrency, not the 300 ms per message a real peer gets.)
import { describe, expect, it } from 'vitest';
import { TestNetworkLedger } from '../../src/payments/index.ts';
import type { SqliteInvoiceStore } from '../../src/invoice-store/index.ts';
import { link, ok, rpc, startNode, waitFor } from './net.ts';

const FAST = { outboundRatePerSec: 1000, outboundBurst: 200, inboundRatePerSec: 1000, inboundBurst: 400 };

describe('200 concurrent sendinvoice calls', () => {
  it('all paid, unique labels and pay_index, nothing left pending', async () => {
    const ledger = new TestNetworkLedger();
    const us = await startNode('cc-us', { payments: { backend: 'testnet-ledger', ledger }, onionMessageLimits: FAST });
    const payers = await Promise.all([0, 1].map((i) => startNode(`cc-payer-${i}`, { payments: { backend: 'testnet-ledger', ledger }, onionMessageLimits: FAST })));
    for (const p of payers) await link(us, p);
    const refunds = await Promise.all(Array.from({ length: 200 }, (_, i) => ok(payers[i % 2]!, 'invoicerequest', { amount: 10_000 + i, description: `cc ${i}` })));
    const t0 = Date.now();
    const answers = await Promise.all(refunds.map((r, i) => rpc(us, 'sendinvoice', { invreq: r.bolt12, label: `cc-${i}`, timeout: 60 })));
    const ms = Date.now() - t0;
    const failed = answers.filter((a) => a.error);
    expect(failed.map((a) => a.error)).toEqual([]);
    expect(new Set(answers.map((a) => a.result.label)).size).toBe(200);
    expect(answers.map((a) => a.result.pay_index).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(answers.map((a) => a.result.payment_hash)).size).toBe(200);
    answers.forEach((a, i) => expect(a.result).toMatchObject({ status: 'paid', amount_received_msat: 10_000 + i }));
    expect(us.invoices.indexes()).toMatchObject({ created: 200, payIndex: 200 });
    expect((us.invoices as SqliteInvoiceStore).selfCheck()).toEqual([]);
    expect(ledger.transfers).toHaveLength(200);
    expect(us.sendInvoices.pendingCount).toBe(0);
    for (const p of payers) await waitFor(() => p.refunds.listInvoiceRequests().every((r) => r.used && !r.active), 10_000, 'payers to record every payment');
    expect(payers.reduce((n, p) => n + p.invoiceRequests.stats().paid, 0)).toBe(200);
    expect(ms).toBeLessThan(30_000);
  });
});
