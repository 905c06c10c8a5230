// The test-network ledger across processes answers PaymentBackend.lookup (a payment a crash left
// pending): two in-process nodes whose payment backends are RemoteLedgerBackends on one
// LedgerServer's unix socket, as bolt12d-testnet's daemons use it.
import { afterAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto/index.ts';
import { fromHex } from '../../src/util/bytes.ts';
import { LedgerServer, RemoteLedgerBackend } from '../../src/testnet/ledger-link.ts';
import { tempDir } from '../tmp.ts';
import { link, startNode } from '../sendinvoice/net.ts';

describe('the remote ledger: lookup', () => {
  const server = new LedgerServer(`${tempDir('ledger-link-')}/ledger.sock`);
  const backends: RemoteLedgerBackend[] = [];
  afterAll(async () => {
    for (const b of backends) b.close();
    await server.close();
  });

  it('complete with the preimage for what it paid, failed for what it did not, unknown when unreachable', async () => {
    await server.listen();
    const [payerBackend, payeeBackend] = [new RemoteLedgerBackend(server.path), new RemoteLedgerBackend(server.path)];
    backends.push(payerBackend, payeeBackend);
    const payer = await startNode('ledger-link-payer', { payments: { backend: payerBackend } });
    const payee = await startNode('ledger-link-payee', { payments: { backend: payeeBackend } });
    await link(payer, payee);
    const refund = await payer.invoiceRequests.create({ amountMsat: 12_000n, description: 'remote lookup' });
    const paid = await payee.sendInvoice({ invreq: refund.bolt12, label: 'remote-1', timeout: 30 });
    expect(paid.status).toBe('paid');

    const hit = await payerBackend.lookup(paid.paymentHash);
    expect(hit.status).toBe('complete');
    if (hit.status === 'complete') expect(sha256(hit.paymentPreimage)).toEqual(paid.paymentHash);
    // The payee did not pay it; nobody paid a random hash.
    expect((await payeeBackend.lookup(paid.paymentHash)).status).toBe('failed');
    expect(await payerBackend.lookup(fromHex('11'.repeat(32)))).toMatchObject({ status: 'failed', failure: expect.stringMatching(/revealed no preimage/) });

    const lone = new RemoteLedgerBackend(`${tempDir('ledger-link-none-')}/nobody.sock`);
    backends.push(lone);
    expect(await lone.lookup(paid.paymentHash)).toMatchObject({ status: 'unknown', why: expect.stringMatching(/not attached/) });
    lone.attachReceiver({ nodeId: new Uint8Array(33).fill(2), receive: () => Promise.reject(new Error('unused')) });
    expect(await lone.lookup(paid.paymentHash)).toMatchObject({ status: 'unknown', why: expect.stringMatching(/unreachable/) });
  }, 30_000);
});
