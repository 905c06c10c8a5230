// Payments received per second over one channel: the whole HTLC dance on loopback (update_add_htlc
// with a real onion to our blinded path, commitment_signed/revoke_and_ack both ways, the onion
// peeled, the invoice checked, the fulfilment and the paid mark committed in one transaction,
// update_fulfill_htlc, the removal's commitment_signed/revoke_and_ack), with every persist durable
// (SQLite file, WAL, synchronous=FULL: an fsync per commit), one payment after the other.
//
// The bound, measured in the same run on the same disk: raw SQLite commits per second (one row per
// transaction, the store's own connection settings: src/invoice-store/sqlite/baseline.ts). A
// payment needs several durable commits in sequence (BOLT 2: before our revoke_and_ack, before our
// commitment_signed, on their revoke_and_ack, the preimage before update_fulfill_htlc), so
//
//   ratio = payments/s ÷ commits/s        (≈ 1 / commits per payment when fsync dominates)
//
// The funder is the test-only BOLT 2 funder model (test/channel/funder-model.ts) on its own
// PeerRegistry. `BENCH_CR_N` payments (default 200) after a warm-up of 20.
import { join } from 'node:path';
import { deterministicRandom, sha256 } from '../src/crypto/index.ts';
import { Node } from '../src/node.ts';
import { PeerRegistry, type Peer } from '../src/transport/index.ts';
import { createLogger } from '../src/util/log.ts';
import { constructOnionPacket } from '../src/onion-message/sphinx.ts';
import { CHANNEL_MSG, channelMessageType, decodeChannelPayload, encodeChannelPayload, type ChannelWireMessage } from '../src/wire/channel.ts';
import { MSG } from '../src/wire/messages.ts';
import { encodePaymentPayload } from '../src/channel/payment-onion.ts';
import { openRawBaseline } from '../src/invoice-store/sqlite/baseline.ts';
import { FunderModel } from '../test/channel/funder-model.ts';
import { tempDir } from './_tmp.ts';

const N = Number(process.env['BENCH_CR_N'] ?? 200);
const WARMUP = 20;
const enc = new TextEncoder();

function until(f: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (f()) return resolve();
      if (Date.now() > end) return reject(new Error(`bench: timed out waiting for ${what}`));
      setImmediate(tick);
    };
    tick();
  });
}

export async function run(): Promise<void> {
  const dir = tempDir('b12d-bench-cr-');
  const model = new FunderModel({ seed: 'bench funder', fundingSatoshis: 16_000_000n });
  const reg = new PeerRegistry({ nodeSecret: sha256(enc.encode('bench funder node')), network: 'regtest', logger: createLogger({ level: 'error', sinks: [] }), random: deterministicRandom('bench funder'), limits: { pingIntervalMs: 0 } });
  const us = await Node.start({ port: 0, logLevel: 'error', nodeSecret: sha256(enc.encode('bench cr us')), datadir: join(dir, 'us'), channels: { trustedFunders: [model.nodeId] } });
  let peer: Peer | undefined;
  const send = (m: ChannelWireMessage) => peer!.send(channelMessageType(m.type), encodeChannelPayload(m));
  let accepted = false;
  for (const t of [...Object.values(CHANNEL_MSG), MSG.error, MSG.warning]) {
    reg.onMessage(t, (_p, payload) => {
      const m = decodeChannelPayload(t, payload)!;
      if (m.type === 'accept_channel') accepted = true;
      for (const r of model.receive(m)) send(r);
    });
  }
  try {
    peer = await reg.connect(us.nodeId, '127.0.0.1', us.tcpAddress!.port);
    send(model.openChannel());
    await until(() => accepted, 'accept_channel');
    send(model.fundingCreated());
    await until(() => model.theirAlias !== undefined, 'channel_ready');
    send(model.channelReady());
    await until(() => us.channels.channels()[0]?.phase === 'normal', 'normal');

    const quiet = () => model.theirNextPoint !== undefined && model.nextFundee === undefined && !model.hasPending();
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const onions: { paymentHash: Uint8Array; onion: Uint8Array }[] = [];
    for (let i = 0; i < N + WARMUP; i++) {
      const preimage = sha256(enc.encode(`bench cr ${i}`));
      const paymentHash = sha256(preimage);
      await us.invoices.create({ label: `cr-${i}`, bolt12: `lni1qqgbench${i}`, paymentHash, paymentPreimage: preimage, amountMsat: 10_000n, expiresAt });
      const { path } = us.paymentReceiver.paymentPath({ paymentHash, amountMsat: 10_000n, expiresAt });
      const payload = encodePaymentPayload({ amtToForward: 10_000n, outgoingCltvValue: 800_000, encryptedRecipientData: path.hops[0]!.encryptedRecipientData, currentPathKey: path.firstPathKey, totalAmountMsat: 10_000n });
      onions.push({ paymentHash, onion: constructOnionPacket({ sessionKey: sha256(enc.encode(`s ${i}`)), hops: [{ pubkey: us.nodeId, payload }], hopPayloadsLength: 1300, associatedData: paymentHash }).packet });
    }
    const pay = async (i: number) => {
      await until(quiet, 'quiet channel');
      const o = onions[i]!;
      send(model.addHtlc(10_000n, o.paymentHash, 800_000, { onion: o.onion }));
      send(model.sign());
      await until(() => model.preimages.has(Buffer.from(o.paymentHash).toString('hex')), `payment ${i}`);
    };
    for (let i = 0; i < WARMUP; i++) await pay(i);
    await until(quiet, 'quiet');
    const persists0 = us.channels.stats.persists;
    const t0 = performance.now();
    for (let i = WARMUP; i < WARMUP + N; i++) await pay(i);
    await until(quiet, 'quiet');
    const secs = (performance.now() - t0) / 1000;
    const perS = N / secs;
    const persistsPer = (us.channels.stats.persists - persists0) / N;
    if (us.invoices.get(`cr-${WARMUP + N - 1}`)?.status !== 'paid') throw new Error('bench: last invoice not paid');

    // The bound: raw commits per second on the same disk, same settings.
    const raw = openRawBaseline(join(dir, 'raw.sqlite3'));
    const M = 400;
    const r0 = performance.now();
    for (let i = 0; i < M; i++) {
      const p = sha256(enc.encode(`raw ${i}`));
      raw.insert({ label: `raw-${i}`, bolt12: 'lni1qqgraw', paymentHash: sha256(p), paymentPreimage: p, amountMsat: 1n, expiresAt }, 0);
    }
    const commitsPerS = M / ((performance.now() - r0) / 1000);
    raw.close();
    const f = (x: number) => x.toFixed(1);
    console.log(
      `BENCH channel-receive ratio=${(perS / commitsPerS).toFixed(3)} per_s=${f(perS)} target=${(1 / Math.max(1, persistsPer)).toFixed(3)} fsync_bound_commits_s=${f(commitsPerS)} persists_per_payment=${persistsPer.toFixed(2)} n=${N}`,
    );
  } finally {
    await us.stop();
    await reg.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
