// The channel half of the storage layer (src/invoice-store/sqlite/channels.ts): key indices handed
// out once and durably, a channel saved with the paid mark of its invoice in one transaction, and
// nothing saved when the mark cannot be made.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { manualScheduler, openInvoiceStore, InvoiceStoreError } from '../../src/invoice-store/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { newInvoice, T0 } from '../invoice-store/fixtures.ts';
import { tempDir } from '../tmp.ts';

const chan = (n: number, phase = 'normal', state = `state-${n}`) => ({
  channelId: new Uint8Array(32).fill(n),
  peerId: new Uint8Array(33).fill(2),
  keyIndex: BigInt(n),
  phase,
  state: new TextEncoder().encode(state),
});

function open(path: string, clock = new ManualClock(T0)) {
  return openInvoiceStore({ path, clock, scheduler: manualScheduler() });
}

describe('channel store', () => {
  it('hands out key indices once, and never again after a reopen (nor below a stored channel)', async () => {
    const path = join(tempDir('chstore-'), 'db.sqlite3');
    let s = open(path);
    const got = await Promise.all([s.allocateChannelKeyIndex(), s.allocateChannelKeyIndex(), s.allocateChannelKeyIndex()]);
    expect(got).toEqual([0n, 1n, 2n]);
    await s.saveChannel(chan(7));
    await s.close();
    s = open(path);
    expect(await s.allocateChannelKeyIndex()).toBe(8n);
    expect(s.settings().schemaVersion).toBe(3);
    await s.close();
  });

  it('saves, replaces and lists channels; a channel_id keeps its peer and key index', async () => {
    const path = join(tempDir('chstore-'), 'db.sqlite3');
    const s = open(path);
    await s.saveChannel(chan(1));
    await s.saveChannel(chan(2));
    await s.saveChannel(chan(1, 'closed', 'later'));
    expect(s.listChannels().map((c) => [c.channelId[0], c.phase, new TextDecoder().decode(c.state)])).toEqual([
      [1, 'closed', 'later'],
      [2, 'normal', 'state-2'],
    ]);
    await expect(s.saveChannel({ ...chan(1), keyIndex: 9n })).rejects.toBeInstanceOf(InvoiceStoreError);
    await expect(s.saveChannel({ ...chan(1), channelId: new Uint8Array(31) })).rejects.toMatchObject({ reason: 'invalid' });
    expect(s.getChannel(new Uint8Array(32).fill(1))!.phase).toBe('closed');
    await s.close();
  });

  it('the fulfilment and the paid mark commit together: both or neither', async () => {
    const clock = new ManualClock(T0);
    const path = join(tempDir('chstore-'), 'db.sqlite3');
    let s = open(path, clock);
    const a = await s.create(newInvoice('a'));
    const b = await s.create(newInvoice('b', { expiresAt: T0 + 10 }));
    const r = await s.saveChannel(chan(1, 'normal', 'fulfilled a'), { paid: [{ paymentHash: a.paymentHash, amountReceivedMsat: 60_000n, requireUnpaid: true }] });
    expect(r.paid[0]).toMatchObject({ newlyPaid: true, record: { status: 'paid', payIndex: 1, amountReceivedMsat: 60_000n } });
    // Already paid and requireUnpaid: refused, the channel keeps its last state.
    await expect(s.saveChannel(chan(1, 'normal', 'fulfilled a twice'), { paid: [{ paymentHash: a.paymentHash, amountReceivedMsat: 1n, requireUnpaid: true }] })).rejects.toMatchObject({
      reason: 'status_mismatch',
    });
    // Expired: refused, nothing saved (not even the channel).
    clock.advance(20);
    await expect(s.saveChannel(chan(1, 'normal', 'fulfilled b'), { paid: [{ paymentHash: b.paymentHash, amountReceivedMsat: 50_000n }] })).rejects.toMatchObject({ reason: 'expired' });
    // Unknown invoice: refused too.
    await expect(s.saveChannel(chan(1, 'normal', 'x'), { paid: [{ paymentHash: new Uint8Array(32).fill(9), amountReceivedMsat: 1n }] })).rejects.toMatchObject({ reason: 'not_found' });
    // Concurrent saves in one batch: the refused one alone is rolled back.
    const [ok, bad] = await Promise.allSettled([s.saveChannel(chan(2, 'normal', 'two')), s.saveChannel(chan(3), { paid: [{ paymentHash: b.paymentHash, amountReceivedMsat: 1n }] })]);
    expect(ok.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    await s.close();
    s = open(path, clock);
    expect(new TextDecoder().decode(s.getChannel(new Uint8Array(32).fill(1))!.state)).toBe('fulfilled a');
    expect(s.getChannel(new Uint8Array(32).fill(3))).toBeUndefined();
    expect(s.get('a')!.status).toBe('paid');
    expect(s.get('b')!.status).toBe('expired');
    expect(s.listChannels().length).toBe(2);
    await s.close();
  });
});
