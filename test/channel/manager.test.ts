// The channel manager over real sockets (127.0.0.1): a Node with receive-only channels and the
// test-only BOLT 2 funder model (funder-model.ts) on its own PeerRegistry. Opens, refusals, a
// payment over our blinded path with a real onion (fulfilled, the invoice paid in the same commit),
// refusals with their BOLT 4 failure, a disconnect mid-dance, a restart from the datadir, a
// mutual close started by us.
import { afterEach, describe, expect, it } from 'vitest';
import { deterministicRandom, sha256 } from '../../src/crypto/index.ts';
import { Node } from '../../src/node.ts';
import { PeerRegistry, type Peer } from '../../src/transport/index.ts';
import { createLogger } from '../../src/util/log.ts';
import { constructOnionPacket, computeHopSecrets } from '../../src/onion-message/sphinx.ts';
import { CHANNEL_MSG, decodeChannelPayload, encodeChannelPayload, channelMessageType, type ChannelWireMessage } from '../../src/wire/channel.ts';
import { MSG } from '../../src/wire/messages.ts';
import { encodePaymentPayload, obfuscateFailurePacket, FAILURE_CODE } from '../../src/channel/payment-onion.ts';
import { FunderModel } from './funder-model.ts';
import { tempDir } from '../tmp.ts';
import { buildMethodTable } from '../../src/rpc/daemon.ts';
import { ConfigError, parseFlags, resolveDaemonConfig } from '../../src/rpc/config.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../interop/our-node.ts';

const enc = new TextEncoder();

/** The funder side: a registry whose node id is the model's, answering what the model answers. */
class FunderPeer {
  readonly reg: PeerRegistry;
  readonly got: ChannelWireMessage[] = [];
  peer?: Peer;
  auto = true;
  /** Drop what arrives (a connection about to break). */
  deaf = false;
  constructor(
    readonly model: FunderModel,
    seed: string,
  ) {
    this.reg = new PeerRegistry({
      nodeSecret: sha256(enc.encode(`${seed} node`)),
      network: 'regtest',
      logger: createLogger({ level: 'error', sinks: [] }),
      random: deterministicRandom(`reg ${seed}`),
      limits: { pingIntervalMs: 0 },
    });
    for (const t of [...Object.values(CHANNEL_MSG), MSG.error, MSG.warning]) {
      this.reg.onMessage(t, (p, payload) => {
        if (this.deaf) return;
        // Answer on the connection the message came on (our connect() may not have returned yet),
        // and send our own channel_reestablish before anything else on a new connection.
        this.peer = p;
        if (this.pendingReestablish) {
          const r = this.pendingReestablish;
          this.pendingReestablish = undefined;
          this.send(r);
        }
        const m = decodeChannelPayload(t, payload)!;
        this.got.push(m);
        const replies = this.model.receive(m);
        if (this.auto) for (const r of replies) this.send(r);
      });
    }
  }
  pendingReestablish?: ChannelWireMessage;
  async connect(us: Node): Promise<void> {
    this.peer = await this.reg.connect(us.nodeId, '127.0.0.1', us.tcpAddress!.port);
  }
  /** A new connection: the model reverses what it must and sends channel_reestablish first. */
  async reconnect(us: Node): Promise<void> {
    this.model.disconnect();
    this.pendingReestablish = this.model.reestablish();
    await this.connect(us);
    if (this.pendingReestablish) {
      const r = this.pendingReestablish;
      this.pendingReestablish = undefined;
      this.send(r);
    }
  }
  send(m: ChannelWireMessage): void {
    this.peer!.send(channelMessageType(m.type), encodeChannelPayload(m));
  }
  /** Both sides quiet: the model may sign again. */
  async settled(us: Node): Promise<void> {
    const quiet = () => this.model.theirNextPoint !== undefined && this.model.nextFundee === undefined && !this.model.hasPending();
    for (;;) {
      await eventually(quiet, 'the dance to finish');
      await us.channels.idle();
      await new Promise((r) => setTimeout(r, 20));
      if (quiet()) return;
    }
  }
  /** Offer an HTLC with this onion and sign it, once the previous dance is over. */
  async pay(us: Node, i: { amount: bigint; paymentHash: Uint8Array; onion: Uint8Array }, opts: { settle?: boolean } = {}): Promise<bigint> {
    if (opts.settle !== false) await this.settled(us);
    const add = this.model.addHtlc(i.amount, i.paymentHash, 800_000, { onion: i.onion });
    this.send(add);
    this.send(this.model.sign());
    return add.id;
  }
  count(type: ChannelWireMessage['type']): number {
    return this.got.filter((m) => m.type === type).length;
  }
  async open(): Promise<void> {
    const n = this.got.length;
    this.send(this.model.openChannel());
    await eventually(() => this.got.slice(n).some((m) => m.type === 'accept_channel' || m.type === 'error'), 'accept_channel');
    const err = this.got.slice(n).find((m) => m.type === 'error');
    if (err) throw new Error(`refused: ${new TextDecoder().decode((err as { data: Uint8Array }).data)}`);
    this.send(this.model.fundingCreated());
    await eventually(() => this.count('funding_signed') > 0 && this.count('channel_ready') > 0, 'funding_signed and channel_ready');
    this.send(this.model.channelReady());
  }
}

const nodes: Node[] = [];
const regs: PeerRegistry[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  await Promise.all(regs.splice(0).map((r) => r.close()));
});

async function setup(opts: { seed?: string; datadir?: string; trusted?: boolean; fundingSatoshis?: bigint } = {}) {
  const seed = opts.seed ?? 'mgr-funder';
  const model = new FunderModel({ seed, ...(opts.fundingSatoshis !== undefined ? { fundingSatoshis: opts.fundingSatoshis } : {}) });
  const funder = new FunderPeer(model, seed);
  regs.push(funder.reg);
  const us = await Node.start({
    port: 0,
    logLevel: 'error',
    nodeSecret: sha256(enc.encode('manager test us')),
    ...(opts.datadir ? { datadir: opts.datadir } : {}),
    channels: { trustedFunders: opts.trusted === false ? [] : [model.nodeId] },
  });
  nodes.push(us);
  await funder.connect(us);
  return { us, model, funder };
}

/** An invoice in our store and an onion paying it over our blinded path. */
async function invoiceAndOnion(us: Node, label: string, amountMsat: bigint, opts: { payAmount?: bigint; total?: bigint; tamperPath?: boolean; expiresIn?: number } = {}) {
  const preimage = sha256(enc.encode(`preimage ${label}`));
  const paymentHash = sha256(preimage);
  const expiresAt = Math.floor(Date.now() / 1000) + (opts.expiresIn ?? 3600);
  await us.invoices.create({ label, bolt12: `lni1qqg${label.replace(/[^a-z0-9]/g, 'q')}`, paymentHash, paymentPreimage: preimage, amountMsat, expiresAt });
  const { path } = us.paymentReceiver.paymentPath({ paymentHash, amountMsat, expiresAt });
  const erd = path.hops[0]!.encryptedRecipientData.slice();
  if (opts.tamperPath) erd[erd.length - 1]! ^= 1;
  const pay = opts.payAmount ?? amountMsat;
  const payload = encodePaymentPayload({ amtToForward: pay, outgoingCltvValue: 800_000, encryptedRecipientData: erd, currentPathKey: path.firstPathKey, totalAmountMsat: opts.total ?? pay });
  const sessionKey = sha256(enc.encode(`session ${label}`));
  const { packet } = constructOnionPacket({ sessionKey, hops: [{ pubkey: us.nodeId, payload }], hopPayloadsLength: 1300, associatedData: paymentHash });
  const ss = computeHopSecrets(sessionKey, [us.nodeId]).sharedSecrets[0]!;
  return { preimage, paymentHash, onion: packet, ss, amount: pay };
}

/** The BOLT 4 failure code the fundee put in update_fail_htlc, read with the hop's shared secret. */
function failureCodeOf(funder: FunderPeer, id: bigint, ss: Uint8Array): number {
  const f = funder.got.find((m) => m.type === 'update_fail_htlc' && m.id === id) as Extract<ChannelWireMessage, { type: 'update_fail_htlc' }>;
  const plain = obfuscateFailurePacket(ss, f.reason);
  return (plain[34]! << 8) | plain[35]!;
}

describe('channel manager', () => {
  it('refuses an untrusted funder with an error that says why', async () => {
    const { funder } = await setup({ seed: 'untrusted', trusted: false });
    await expect(funder.open()).rejects.toThrow(/only from funders it trusts \(--trust-funder\)/);
    expect(funder.peer!.connected).toBe(true);
  });

  it('opens a zero-conf channel and is paid over our blinded path: fulfilled, the invoice paid in the same commit', async () => {
    const { us, model, funder } = await setup();
    await funder.open();
    await eventually(() => us.channels.channels()[0]?.phase === 'normal', 'channel normal');
    expect(us.channels.counts()).toEqual({ pending: 0, active: 1, inactive: 0 });
    const inv = await invoiceAndOnion(us, 'paid-1', 50_000n);
    await funder.pay(us, inv);
    await eventually(() => model.preimages.has(Buffer.from(inv.paymentHash).toString('hex')), 'the preimage');
    const rec = await us.invoices.waitInvoice('paid-1');
    expect(rec).toMatchObject({ status: 'paid', amountReceivedMsat: 50_000n });
    await us.channels.idle();
    await eventually(() => us.channels.channels()[0]!.toUsMsat === 50_000n && us.channels.channels()[0]!.htlcs.length === 0, 'the HTLC settled into our balance');
    // Two more in a row, one of them overpaying (at most twice is fine).
    for (const [label, amt, pay] of [['paid-2', 10_000n, 10_000n], ['paid-3', 7_000n, 13_000n]] as const) {
      await funder.settled(us);
      const i = await invoiceAndOnion(us, label, amt, { payAmount: pay });
      await funder.pay(us, i);
      expect((await us.invoices.waitInvoice(label)).amountReceivedMsat).toBe(pay);
    }
    await eventually(() => us.channels.channels()[0]!.toUsMsat === 73_000n, 'balances');
  });

  it('refuses what it must with the failure BOLT 4 names, and the channel goes on', async () => {
    const { us, model, funder } = await setup({ seed: 'mgr-refusals' });
    await funder.open();
    await eventually(() => us.channels.channels()[0]?.phase === 'normal', 'channel normal');
    const cases = [
      { label: 'low', amt: 50_000n, opts: { payAmount: 49_999n } },
      { label: 'high', amt: 10_000n, opts: { payAmount: 20_001n } },
      { label: 'mpp', amt: 10_000n, opts: { payAmount: 10_000n, total: 20_000n } },
      { label: 'forged', amt: 10_000n, opts: { tamperPath: true } },
      { label: 'expired', amt: 10_000n, opts: { expiresIn: -10 } },
    ];
    for (const c of cases) {
      await funder.settled(us);
      const i = await invoiceAndOnion(us, c.label, c.amt, c.opts);
      const id = await funder.pay(us, i);
      await eventually(() => model.failed.has(id), `HTLC ${c.label} failed`);
      expect(failureCodeOf(funder, id, i.ss), c.label).toBe(FAILURE_CODE.incorrect_or_unknown_payment_details);
      expect(us.invoices.get(c.label)!.status).not.toBe('paid');
    }
    // An onion that is not for us at all (its version byte is not 0): update_fail_malformed_htlc invalid_onion_version.
    await funder.settled(us);
    const junk = model.addHtlc(5_000n, sha256(enc.encode('junk')), 800_000);
    funder.send(junk);
    funder.send(model.sign());
    await eventually(() => model.failed.has(junk.id), 'junk failed');
    const mal = funder.got.find((m) => m.type === 'update_fail_malformed_htlc') as Extract<ChannelWireMessage, { type: 'update_fail_malformed_htlc' }>;
    expect(mal.failureCode).toBe(FAILURE_CODE.invalid_onion_version);
    // The channel still takes a good payment.
    await funder.settled(us);
    const ok = await invoiceAndOnion(us, 'after-refusals', 3_000n);
    await funder.pay(us, ok);
    expect((await us.invoices.waitInvoice('after-refusals')).status).toBe('paid');
    expect(us.channelPayments.refused).toMatchObject({ amount_too_low: 1, amount_too_high: 1, multi_part: 1, bad_blinding: 1, expired: 1 });
  });

  it('a disconnect between update_add_htlc and revoke_and_ack, then channel_reestablish: the payment completes', async () => {
    const { us, model, funder } = await setup({ seed: 'mgr-disconnect' });
    await funder.open();
    await eventually(() => us.channels.channels()[0]?.phase === 'normal', 'channel normal');
    const inv = await invoiceAndOnion(us, 'dc-1', 20_000n);
    await funder.settled(us);
    funder.deaf = true; // our revoke_and_ack and commitment_signed are lost
    await funder.pay(us, inv, { settle: false });
    await us.channels.idle();
    await eventually(() => us.channels.channels()[0]!.htlcs.length === 1, 'HTLC on our commitment');
    funder.peer!.disconnect('test');
    await eventually(() => !us.channels.channels()[0]!.connected, 'we see the disconnect');
    funder.deaf = false;
    await funder.reconnect(us);
    expect((await us.invoices.waitInvoice('dc-1')).status).toBe('paid');
    await eventually(() => model.preimages.size === 1, 'preimage after reconnection');
  });

  it('a restart from the datadir resumes the channel with channel_reestablish (an HTLC in flight at the stop)', async () => {
    const datadir = tempDir('mgr-restart-');
    const { us, model, funder } = await setup({ seed: 'mgr-restart', datadir });
    await funder.open();
    await eventually(() => us.channels.channels()[0]?.phase === 'normal', 'channel normal');
    const inv = await invoiceAndOnion(us, 'rs-1', 30_000n);
    await funder.pay(us, inv);
    await eventually(() => model.preimages.size === 1, 'first payment');
    await funder.settled(us);
    funder.deaf = true;
    const inv2 = await invoiceAndOnion(us, 'rs-2', 5_000n);
    await funder.pay(us, inv2, { settle: false });
    await eventually(() => us.channels.channels()[0]!.htlcs.length === 1, 'second HTLC on our commitment');
    await us.channels.idle();
    await us.stop();
    nodes.splice(nodes.indexOf(us), 1);
    funder.deaf = false;
    const again = await Node.start({ port: 0, logLevel: 'error', nodeSecret: sha256(enc.encode('manager test us')), datadir, channels: { trustedFunders: [model.nodeId] } });
    nodes.push(again);
    expect(again.channels.channels().length).toBe(1);
    expect(again.invoices.get('rs-1')!.status).toBe('paid');
    await funder.reconnect(again);
    expect((await again.invoices.waitInvoice('rs-2')).status).toBe('paid');
    await eventually(() => model.preimages.size === 2, 'second preimage');
    await eventually(() => again.channels.channels()[0]!.toUsMsat === 35_000n, 'balance');
  });

  it('a mutual close started by us: shutdown, closing_signed, the close RPC resolves with the transaction', async () => {
    const { us, model, funder } = await setup({ seed: 'mgr-close' });
    await funder.open();
    await eventually(() => us.channels.channels()[0]?.phase === 'normal', 'channel normal');
    const inv = await invoiceAndOnion(us, 'cl-1', 100_000n);
    await funder.pay(us, inv);
    await us.invoices.waitInvoice('cl-1');
    await eventually(() => us.channels.channels()[0]!.toUsMsat === 100_000n, 'settled');
    const ch = us.channels.channels()[0]!;
    const closing = us.channels.close(ch.channelId);
    // The model answers our shutdown with its own; the funder proposes the fee.
    await eventually(() => funder.count('shutdown') > 0, 'our shutdown');
    funder.send(model.closingSigned(500n));
    const done = await closing;
    expect(done.phase).toBe('closed');
    expect(done.closing!.feeSatoshis).toBe(500n);
    expect(us.channels.channels()[0]!.phase).toBe('closed');
  });

  it('bad peers: a bad commitment signature and an update_fee the funder cannot pay get a warning and a disconnect, the channel survives; a reused revocation secret fails it', async () => {
    const { us, model, funder } = await setup({ seed: 'mgr-bad', fundingSatoshis: 20_000n });
    await funder.open();
    await eventually(() => us.channels.channels()[0]?.phase === 'normal', 'channel normal');
    const reconnect = async () => {
      await eventually(() => !funder.peer!.connected, 'the disconnect');
      await funder.reconnect(us);
    };
    // A commitment_signed whose signature is wrong: BOLT 2 "MUST send a warning and close the connection".
    const inv = await invoiceAndOnion(us, 'bad-sig', 8_000n);
    await funder.settled(us);
    funder.send(model.addHtlc(inv.amount, inv.paymentHash, 800_000, { onion: inv.onion }));
    funder.send(model.sign('signature'));
    await eventually(() => funder.got.some((m) => m.type === 'warning'), 'a warning');
    expect(new TextDecoder().decode((funder.got.find((m) => m.type === 'warning') as { data: Uint8Array }).data)).toMatch(/commitment_signed/);
    await reconnect();
    // The model retransmits its update and a good signature: the payment goes through.
    expect((await us.invoices.waitInvoice('bad-sig')).status).toBe('paid');
    await funder.settled(us);
    // update_fee the funder cannot pay: "SHOULD send a warning and close the connection".
    const warnings = funder.count('warning');
    funder.send(model.updateFee(90_000)); // 90 000 sat/kw: a commitment fee of ~65 000 sat out of 20 000
    await eventually(() => funder.count('warning') > warnings, 'a second warning');
    expect(new TextDecoder().decode((funder.got.filter((m) => m.type === 'warning').pop() as { data: Uint8Array }).data)).toMatch(/update_fee: the funder cannot afford/);
    expect(us.channels.channels()[0]!.phase).toBe('normal');
    model.local.proposed = []; // the model forgets its refused update_fee
    await reconnect();
    await eventually(() => us.channels.channels()[0]!.connected, 'reestablished');
    const ok = await invoiceAndOnion(us, 'after-bad', 2_000n);
    await funder.pay(us, ok);
    expect((await us.invoices.waitInvoice('after-bad')).status).toBe('paid');
    await funder.settled(us);
    // A revocation secret that does not give the point: "MUST send an error and fail the channel".
    const inv3 = await invoiceAndOnion(us, 'bad-rev', 1_000n);
    funder.auto = false;
    funder.send(model.addHtlc(inv3.amount, inv3.paymentHash, 800_000, { onion: inv3.onion }));
    funder.send(model.sign());
    await eventually(() => funder.count('commitment_signed') > 0 && funder.got[funder.got.length - 1]!.type === 'commitment_signed', 'our commitment_signed');
    funder.send(model.revoke(model.funderCommit.index, new Uint8Array(32).fill(3)));
    await eventually(() => us.channels.channels()[0]!.phase === 'failed', 'the channel failed');
    await eventually(() => funder.got.some((m) => m.type === 'error'), 'our error');
    // What we committed is still there: the channel is stored failed, the paid invoices stay paid.
    expect(us.invoices.get('after-bad')!.status).toBe('paid');
    expect(us.invoices.get('bad-rev')!.status).toBe('unpaid');
    expect(us.channels.channels()[0]!.toUsMsat).toBe(10_000n);
  });

  it('RPC: listpeerchannels, listfunds and getinfo in Core Lightning\'s shapes; close by channel id', async () => {
    const { us, model, funder } = await setup({ seed: 'mgr-rpc' });
    await funder.open();
    await eventually(() => us.channels.channels()[0]?.phase === 'normal', 'channel normal');
    const inv = await invoiceAndOnion(us, 'rpc-1', 42_000n);
    await funder.pay(us, inv);
    await us.invoices.waitInvoice('rpc-1');
    await funder.settled(us);
    const table = buildMethodTable();
    const ctx = { node: us, invoices: us.invoices, table, requestStop: () => undefined } as never;
    const call = (name: string, p: Record<string, unknown> = {}) => table.get(name)!.handler(p, ctx) as Promise<any>;
    const { channels } = await call('listpeerchannels');
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatchObject({
      peer_id: Buffer.from(model.nodeId).toString('hex'),
      peer_connected: true,
      state: 'CHANNELD_NORMAL',
      opener: 'remote',
      private: true,
      channel_type: { bits: [12, 46, 50], names: ['static_remotekey/even', 'scid_alias/even', 'zeroconf/even'] },
      total_msat: 1_000_000_000n,
      to_us_msat: 42_000n,
      spendable_msat: 0n,
      htlcs: [],
      funding_outnum: model.fundingVout,
    });
    expect(channels[0].alias.remote).toMatch(/^\d+x\d+x\d+$/);
    expect((await call('listpeerchannels', { id: '02' + '11'.repeat(32) })).channels).toEqual([]);
    const funds = await call('listfunds');
    expect(funds).toMatchObject({ outputs: [], channels: [{ state: 'CHANNELD_NORMAL', our_amount_msat: 42_000n, amount_msat: 1_000_000_000n }] });
    const info = await call('getinfo');
    expect(info).toMatchObject({ num_active_channels: 1, num_pending_channels: 0, num_inactive_channels: 0, payment_backend: 'channels' });
    expect(info.warning_channels).toMatch(/only as safe as its funder is honest/);
    await expect(call('close', { id: 'nonsense' })).rejects.toMatchObject({ code: -32602 });
    await expect(call('close', { id: '00'.repeat(32) })).rejects.toMatchObject({ code: -1 });
    const closing = call('close', { id: channels[0].channel_id, unilateraltimeout: 30 });
    await eventually(() => funder.count('shutdown') > 0, 'our shutdown');
    funder.send(model.closingSigned(700n));
    const r = await closing;
    expect(r.type).toBe('mutual');
    expect(r.txid).toMatch(/^[0-9a-f]{64}$/);
    expect((await call('listpeerchannels')).channels[0].state).toBe('CLOSINGD_COMPLETE');
  });
});

describe('--trust-funder', () => {
  const id1 = '02' + 'ab'.repeat(32);
  const id2 = '03' + 'cd'.repeat(32);
  it('is repeatable, also in the config file; all only on regtest; bad ids are refused', () => {
    const dir = tempDir('trustcfg-');
    expect(parseFlags(['--trust-funder', id1, `--trust-funder=${id2}`])['trust-funder']).toBe(`${id1},${id2}`);
    expect(resolveDaemonConfig({ datadir: dir, 'trust-funder': `${id1},${id2}` }).trustFunders).toEqual([id1, id2]);
    expect(resolveDaemonConfig({ datadir: dir }).trustFunders).toEqual([]);
    expect(resolveDaemonConfig({ datadir: dir, 'trust-funder': 'all' }).trustFunders).toBe('all');
    expect(() => resolveDaemonConfig({ datadir: dir, network: 'testnet', 'trust-funder': 'all' })).toThrow(ConfigError);
    expect(() => resolveDaemonConfig({ datadir: dir, 'trust-funder': 'zz' })).toThrow(/should be a node id/);
    writeFileSync(join(dir, 'config'), `trust-funder=${id1}\ntrust-funder=${id2}\n`);
    expect(resolveDaemonConfig({ datadir: dir }).trustFunders).toEqual([id1, id2]);
  });

  it('a Node refuses trustedFunders all off regtest', async () => {
    await expect(Node.start({ port: null, network: 'testnet', channels: { trustedFunders: 'all' } })).rejects.toThrow(/regtest only/);
  });
});

