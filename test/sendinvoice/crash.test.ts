// kill -9 of the payee daemon (a real bolt12d process) during 200 concurrent sendinvoice calls:
// after a restart on the same data directory, no invoice is lost that a call had reported (its
// answer named it), nor any that had reached a payer (it left the node: it was recorded first).
// The payers are Nodes in this process (backend none: each answers with an invoice_error).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeInvoice, invoiceFromBytes } from '../../src/bolt12/index.ts';
import { rpcCall } from '../../src/rpc/server.ts';
import { toHex } from '../../src/util/bytes.ts';
import type { Node } from '../../src/node.ts';
import { tempDir } from '../tmp.ts';
import { startNode } from './net.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BOLT12D = join(ROOT, 'bin/bolt12d.js');
const CALLS = 200;
const PAYERS = 10;
const KILL_AFTER = 15;

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function daemon(dir: string): Promise<{ child: ChildProcess; sock: string }> {
  const child = spawn(process.execPath, [BOLT12D, '--datadir', dir, '--network', 'regtest', '--addr', '127.0.0.1', '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const sock = join(dir, 'regtest', 'lightning-rpc');
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bolt12d exited: ${err}`);
    if (existsSync(sock)) {
      const r = await rpcCall(sock, 'getinfo', []).catch(() => undefined);
      if (r?.result) return { child, sock };
    }
    if (Date.now() - t0 > 30_000) throw new Error(`bolt12d did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('kill -9 of the payee daemon during 200 concurrent sendinvoice calls', () => {
  it('loses no invoice that a call reported or a payer received', async () => {
    const dir = tempDir('b12d-crash-si-');
    let d = await daemon(dir);
    const payers: Node[] = await Promise.all(Array.from({ length: PAYERS }, (_, i) => startNode(`crash-payer-${i}`)));
    for (const p of payers) {
      const r = await rpcCall(d.sock, 'connect', [`${p.nodeIdHex}@127.0.0.1:${p.tcpAddress!.port}`]);
      expect(r.error).toBeUndefined();
    }
    // Every invoice that reaches a payer (payload type 66), by payment hash: with backend none the
    // issuer side refuses it without a store write, so we watch the messages themselves.
    const received = new Set<string>();
    for (const p of payers) {
      p.messenger.onDelivered((m) => {
        if (m.contents.type !== 66n) return;
        try {
          received.add(toHex(invoiceFromBytes(m.contents.value).invoicePaymentHash!));
        } catch {
          /* not an invoice we can read: not ours */
        }
      });
    }
    const refunds = await Promise.all(Array.from({ length: CALLS }, (_, i) => payers[i % PAYERS]!.invoiceRequests.create({ amountMsat: 1000n + BigInt(i), description: `crash ${i}` })));

    // 200 concurrent calls, each on its own connection; kill -9 once KILL_AFTER have answered.
    const reported = new Map<string, string>(); // label → invoice string the answer named
    let answered = 0;
    let killedAt = 0;
    const calls = refunds.map((r, i) =>
      rpcCall(d.sock, 'sendinvoice', { invreq: r.bolt12, label: `k-${i}`, timeout: 30 }).then(
        (a) => {
          const inv = (a.result as { bolt12?: string } | undefined)?.bolt12 ?? (a.error?.data as { invstring?: string } | undefined)?.invstring;
          if (inv) reported.set(`k-${i}`, inv);
          expect(a.error?.code ?? 'ok').toBe(1004); // payers without a backend answer invoice_error
          if (++answered === KILL_AFTER) {
            killedAt = Date.now();
            d.child.kill('SIGKILL');
          }
        },
        () => undefined, // the connection died with the daemon
      ),
    );
    await Promise.all(calls);
    if (d.child.exitCode === null && d.child.signalCode === null) await new Promise((r) => d.child.once('exit', r));
    expect(d.child.signalCode).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThan(0);
    expect(answered).toBeLessThan(CALLS); // the kill did land in the middle
    // Invoices the payers received before the kill (they left the daemon, so they were recorded).
    await new Promise((r) => setTimeout(r, 300));
    expect(received.size).toBeGreaterThanOrEqual(KILL_AFTER);

    // Restart on the same directory.
    d = await daemon(dir);
    const list = (await rpcCall(d.sock, 'listinvoices', {})).result as { invoices: { label: string; bolt12: string; payment_hash: string; created_index: number; status: string }[] };
    const byLabel = new Map(list.invoices.map((x) => [x.label, x]));
    const hashes = new Set(list.invoices.map((x) => x.payment_hash));
    for (const [label, inv] of reported) {
      expect(byLabel.get(label)?.bolt12, `reported invoice ${label} lost`).toBe(inv);
    }
    for (const h of received) expect(hashes.has(h), `invoice ${h} reached a payer but is not in the store`).toBe(true);
    console.log(`kill -9 after ${answered} answers: ${reported.size} reported, ${received.size} reached payers, ${list.invoices.length} in the store after restart`);
    // Every stored invoice is whole: its string decodes and names its payment hash; indexes unique.
    for (const x of list.invoices) expect(toHex(decodeInvoice(x.bolt12).invoicePaymentHash)).toBe(x.payment_hash);
    expect(new Set(list.invoices.map((x) => x.created_index)).size).toBe(list.invoices.length);
    // The daemon works after the restart: a call with a label not taken before.
    for (const p of payers.slice(0, 1)) await rpcCall(d.sock, 'connect', [`${p.nodeIdHex}@127.0.0.1:${p.tcpAddress!.port}`]);
    const extra = await payers[0]!.invoiceRequests.create({ amountMsat: 777n, description: 'after restart' });
    const a = await rpcCall(d.sock, 'sendinvoice', { invreq: extra.bolt12, label: 'after-restart', timeout: 20 });
    expect(a.error?.code).toBe(1004);
    d.child.kill('SIGKILL');
  });
});
