// The invoice's record is durable before the invoice leaves the node: the onion message is built
// while the store's fdatasync runs, and sent only when it has returned. Here the fdatasync is held
// by the test: nothing reaches the payer until it is let go.
import { fdatasync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RefundBuilder } from '../../src/bolt12/index.ts';
import type { FdSync } from '../../src/invoice-store/index.ts';
import { CHAIN_HASH } from '../../src/wire/chains.ts';
import { utf8 } from '../../src/util/bytes.ts';
import { tempDir } from '../tmp.ts';
import { makeNode, type TestNode } from '../onion-message/net.ts';
import { startNode, waitFor } from './net.ts';

describe('sendinvoice: durable before it leaves', () => {
  let payer: TestNode;
  afterAll(() => payer?.om.close());

  it('the invoice is not sent while the record is not on disk, and is sent once it is', async () => {
    const held: { fd: number; cb: (e: NodeJS.ErrnoException | null) => void }[] = [];
    let holding = false;
    const fdSync: FdSync = (fd, cb) => (holding ? void held.push({ fd, cb }) : fdatasync(fd, cb));
    const us = await startNode('durable-us', { datadir: tempDir('b12d-durable-'), invoiceStoreFdSync: { background: fdSync } });
    payer = await makeNode('durable-payer');
    const got: number[] = [];
    payer.om.onMessage(66n, () => void got.push(Date.now()), { purpose: 'refund' });
    await us.connect(payer.id, '127.0.0.1', payer.port);
    await waitFor(() => !!payer.reg.get(us.nodeId));
    const path = payer.om.createReplyPath(utf8.encode('r'), { purpose: 'refund' });
    const refund = new RefundBuilder({ nodeSecret: payer.secret, random: (n) => crypto.getRandomValues(new Uint8Array(n)), amountMsat: 7000n, description: 'held', chain: CHAIN_HASH.regtest, paths: [path] })
      .build()
      .toString();

    holding = true;
    const call = us.sendInvoice({ invreq: refund, label: 'held-1', timeout: 5 }).catch((e: { code: number }) => e);
    await waitFor(() => held.length === 1, 5000, 'the record committed and its fdatasync started');
    // Committed (a read sees it), not yet on disk: nothing has left.
    expect(us.invoices.get('held-1')?.status).toBe('unpaid');
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(0);
    expect(us.messenger.stats().sent).toBe(0);
    holding = false;
    const h = held.shift()!;
    fdatasync(h.fd, h.cb);
    await waitFor(() => got.length === 1, 5000, 'the invoice at the payer');
    // The payer never answers: 1005; the invoice stays in the store (expiring with the timeout).
    const e = (await call) as { code: number; data: { invstring: string } };
    expect(e.code).toBe(1005);
    expect(us.invoices.get('held-1')?.bolt12).toBe(e.data.invstring);
  });
});
