// sendinvoice round trip on loopback between two of our nodes, against one plain onion-message
// round trip in the same run:
//
//   sendinvoice  the call from start to answer: decode and check the refund, build the payment
//                path, build and sign the invoice, store it durably (SQLite file, WAL,
//                synchronous=FULL: an fsync), send it into the refund's blinded path with a reply
//                path; the payer peels, checks every reader rule, takes it on in its own store
//                (another fsync), asks its payment backend (`none`: refused) and answers with an
//                invoice_error over our reply path; we read it (1004).
//   plain        the same route with none of the invoice work: a message of the invoice's size
//                into a blinded path of the payer built like its refund's (4 hops), with a reply
//                path like ours (1 hop); the payer answers a message the size of the
//                invoice_error over it.
//
// ratio = p50(sendinvoice) / p50(plain); target ≤ 1.5 (the invoice work should cost little beside
// the network). The two alternate call by call, so both see the same machine load. Pacing is
// raised on both nodes (one call at a time would otherwise wait out the 300 ms per message a real
// peer gets). `BENCH_SI_STORE=memory` measures with in-memory stores (no fsync).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../src/crypto/index.ts';
import { decodeInvoice } from '../src/bolt12/index.ts';
import { Node } from '../src/node.ts';
import type { ReceivedOnionMessage } from '../src/onion-message/index.ts';

const N = Number(process.env['BENCH_SI_N'] ?? 150);
const WARMUP = 15;
const FAST = { outboundRatePerSec: 100_000, outboundBurst: 1000, inboundRatePerSec: 100_000, inboundBurst: 1000 };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export async function run(): Promise<void> {
  const memory = process.env['BENCH_SI_STORE'] === 'memory';
  const dirs = memory ? [] : [mkdtempSync(join(tmpdir(), 'b12d-bench-si-a-')), mkdtempSync(join(tmpdir(), 'b12d-bench-si-b-'))];
  const start = (name: string, i: number) =>
    Node.start({ port: 0, logLevel: 'error', nodeSecret: sha256(new TextEncoder().encode(`bench si ${name}`)), onionMessageLimits: FAST, ...(memory ? {} : { datadir: dirs[i]! }) });
  const us = await start('us', 0);
  const payer = await start('payer', 1);
  try {
    await us.connect(payer.nodeId, '127.0.0.1', payer.tcpAddress!.port);
    while (!payer.peers.get(us.nodeId)) await new Promise((r) => setTimeout(r, 5));

    const refunds = await Promise.all(Array.from({ length: N + WARMUP }, (_, i) => payer.invoiceRequests.create({ amountMsat: 50_000n, description: `bench refund ${i}` })));
    // One call to learn the sizes of the invoice and of the answer.
    const first = await us.sendInvoice({ invreq: refunds[0]!.bolt12, label: 'size', timeout: 30 }).catch((e: { code: number; data: { invstring: string; error: string } }) => e);
    if (!('code' in first) || first.code !== 1004) throw new Error(`bench: expected 1004, got ${JSON.stringify(first)}`);
    const invoiceBytes = decodeInvoice(first.data.invstring).bytes.length;
    const answerBytes = 8 + first.data.error.length;

    // The plain round trip: the payer echoes a message of the answer's size over our reply path.
    const echoPath = payer.messenger.createReplyPath(new Uint8Array(16), { purpose: 'bench-echo' });
    payer.messenger.onMessage(65_601n, (m: ReceivedOnionMessage) => void payer.messenger.reply(m, { type: 65_603n, value: new Uint8Array(answerBytes) }), { purpose: 'bench-echo' });
    let wake: (() => void) | undefined;
    us.messenger.onMessage(65_603n, () => wake?.(), { purpose: 'bench-plain' });
    const plain = async (): Promise<number> => {
      const replyPath = us.messenger.createReplyPath(new Uint8Array(32), { purpose: 'bench-plain', dummyHops: 0 });
      const t0 = performance.now();
      const got = new Promise<void>((r) => (wake = r));
      us.messenger.send({ blindedPath: echoPath }, { type: 65_601n, value: new Uint8Array(invoiceBytes) }, { replyPath });
      await got;
      return performance.now() - t0;
    };
    const si = async (i: number): Promise<number> => {
      const t0 = performance.now();
      const e = await us.sendInvoice({ invreq: refunds[i]!.bolt12, label: `bench-${i}`, timeout: 30 }).catch((x: { code: number }) => x);
      const ms = performance.now() - t0;
      if (!('code' in e) || e.code !== 1004) throw new Error(`bench: expected 1004, got ${JSON.stringify(e)}`);
      return ms;
    };
    const tSi: number[] = [];
    const tPlain: number[] = [];
    for (let i = 1; i < N + WARMUP; i++) {
      const a = await si(i);
      const b = await plain();
      if (i >= WARMUP) {
        tSi.push(a);
        tPlain.push(b);
      }
    }
    const p50 = pct(tSi, 50);
    const p99 = pct(tSi, 99);
    const b50 = pct(tPlain, 50);
    console.log(
      `BENCH sendinvoice-rtt ratio=${(p50 / b50).toFixed(2)} target=1.5 p50_ms=${p50.toFixed(2)} p99_ms=${p99.toFixed(2)} ` +
        `plain_p50_ms=${b50.toFixed(2)} plain_p99_ms=${pct(tPlain, 99).toFixed(2)} calls=${tSi.length} store=${memory ? 'memory' : 'file'} ` +
        `invoice_bytes=${invoiceBytes} answer_bytes=${answerBytes}`,
    );
  } finally {
    await us.stop();
    await payer.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
