/**
 * kill -9 of our daemon (a real bolt12d process, `--trust-funder` LDK) at each step of the HTLC
 * dance with LDK 0.1 as the funder and payer, then a restart on the same data directory: the
 * payment completes (LDK emits PaymentSent with our preimage, our store says paid) and LDK never
 * force-closes. The steps are the messages LDK receives from us during one payment: our
 * revoke_and_ack and commitment_signed for its HTLC, update_fulfill_htlc, our commitment_signed
 * for the removal, our last revoke_and_ack; the daemon is killed as soon as LDK has received the
 * k-th of them (it may have gone a little further by then: each run lands on a different step).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcCall } from '../../src/rpc/server.ts';
import { hex, initLdk, isChannelClosed, isChannelReady, isPaymentSent, startLdkNode, type LdkNode } from './ldk-harness.ts';
import { tempDir } from '../tmp.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENTRY = join(ROOT, 'src/bin/bolt12d.ts');

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function daemon(dir: string, funder: Uint8Array): Promise<{ child: ChildProcess; sock: string; id: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, '--datadir', dir, '--network', 'regtest', '--addr', '127.0.0.1', '--port', '0', '--log-level', 'warn', '--trust-funder', hex(funder)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: ROOT,
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const sock = join(dir, 'regtest', 'lightning-rpc');
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bolt12d exited: ${err}`);
    if (existsSync(sock)) {
      const r = await rpcCall(sock, 'getinfo', []).catch(() => undefined);
      if (r?.result) return { child, sock, id: (r.result as { id: string }).id };
    }
    if (Date.now() - t0 > 30_000) throw new Error(`bolt12d did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function kill9(c: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (c.exitCode !== null || c.signalCode !== null) return r();
    c.once('exit', () => r());
    c.kill('SIGKILL');
  });
}

/** Messages LDK received from `peer` during the dance, in LDK's Rust names. */
const DANCE = ['RevokeAndACK', 'CommitmentSigned', 'UpdateFulfillHTLC'];
function danceCount(l: LdkNode, peer: Uint8Array): number {
  return DANCE.reduce((n, k) => n + l.messageCount(peer, k, 'in'), 0);
}

describe('kill -9 of our daemon at each step of the HTLC dance with LDK', () => {
  let ldkNode: LdkNode;
  let dir: string;
  let d: Awaited<ReturnType<typeof daemon>>;
  let ourId: Uint8Array;

  beforeAll(async () => {
    await initLdk();
    ldkNode = await startLdkNode({ seed: 0x73 });
    dir = tempDir('b12d-ldk-crash-');
    d = await daemon(dir, ldkNode.nodeId);
    ourId = Uint8Array.from(Buffer.from(d.id, 'hex'));
    expect((await rpcCall(d.sock, 'connect', [`${hex(ldkNode.nodeId)}@127.0.0.1:${ldkNode.port}`])).error).toBeUndefined();
    await ldkNode.waitForPeer(ourId);
    const from = ldkNode.events.length;
    await ldkNode.openChannel(ourId, 1_000_000n);
    await ldkNode.waitForEvent(isChannelReady, 15_000, from);
    await ldkNode.waitFor(() => ldkNode.channels().some((c) => c.usable), 'usable channel', 15_000);
  }, 60_000);

  afterAll(async () => {
    if (d) await kill9(d.child);
    await ldkNode?.stop();
  });

  for (let k = 1; k <= 5; k++) {
    it(`killed once LDK has our message ${k} of the dance: after the restart the payment completes`, async () => {
      const label = `crash-${k}`;
      const from = ldkNode.events.length;
      const base = danceCount(ldkNode, ourId);
      const { refund } = ldkNode.createRefund({ amountMsat: 10_000n + BigInt(k) });
      // The call dies with the daemon; its invoice is in the store before it leaves.
      void rpcCall(d.sock, 'sendinvoice', { invreq: refund, label, timeout: 60 }).catch(() => undefined);
      await ldkNode.waitFor(() => danceCount(ldkNode, ourId) >= base + k, `our dance message ${k}`, 20_000, 1);
      await kill9(d.child);
      await ldkNode.waitForDisconnect(ourId);
      d = await daemon(dir, ldkNode.nodeId);
      expect((await rpcCall(d.sock, 'connect', [`${hex(ldkNode.nodeId)}@127.0.0.1:${ldkNode.port}`])).error).toBeUndefined();
      const sent = await ldkNode.waitForEvent(isPaymentSent, 20_000, from);
      const inv = ((await rpcCall(d.sock, 'listinvoices', { label })).result as { invoices: { status: string; payment_preimage?: string; amount_received_msat?: unknown }[] }).invoices[0]!;
      expect(inv.status).toBe('paid');
      expect(inv.payment_preimage).toBe(hex(sent.payment_preimage));
      // Wait for the removal to be irrevocable on both sides before the next step's kill.
      await ldkNode.waitFor(() => ldkNode.channels()[0]!.usable && danceCount(ldkNode, ourId) > base + 4, 'the dance to finish', 20_000);
      expect(ldkNode.events.filter(isChannelClosed)).toEqual([]);
    }, 60_000);
  }

  it('the channel survived every kill: both sides agree on the balance', async () => {
    let total = 0n;
    for (let k = 1; k <= 5; k++) total += 10_000n + BigInt(k);
    // Everything paid is ours. Our side counts a payment once the last revoke_and_ack of its
    // removal is durable, which can be a moment after LDK's side shows the dance done.
    let r: { channels: { state: string; to_us_msat: unknown }[] } = { channels: [] };
    for (const end = Date.now() + 10_000; ; ) {
      r = (await rpcCall(d.sock, 'listpeerchannels', [])).result as typeof r;
      if ((r.channels.length === 1 && BigInt(r.channels[0]!.to_us_msat as number) === total) || Date.now() > end) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(r.channels).toHaveLength(1);
    expect(r.channels[0]!.state).toBe('CHANNELD_NORMAL');
    expect(BigInt(r.channels[0]!.to_us_msat as number)).toBe(total);
    expect(ldkNode.events.filter(isChannelClosed)).toEqual([]);
  });
});
