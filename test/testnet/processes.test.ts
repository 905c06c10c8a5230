// Test networks of separate daemons (src/testnet/processes.ts, what bolt12d-testnet runs): a star
// connects and syncs across processes, the ledger across processes pays a refund (and a daemon
// without it refuses), stop() ends every daemon and removes the directory it made.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ProcessTestnet, daemonCommand } from '../../src/testnet/processes.ts';
import { RemoteLedgerBackend } from '../../src/testnet/ledger-link.ts';
import { PaymentError } from '../../src/payments/index.ts';
import type { Invoice } from '../../src/bolt12/index.ts';
import { rpcCall } from '../../src/rpc/server.ts';
import { tempDir } from '../tmp.ts';

const nets: ProcessTestnet[] = [];
afterAll(async () => {
  await Promise.all(nets.map((n) => n.stop()));
});

const call = async (path: string, method: string, params: unknown = {}) => {
  const a = await rpcCall(path, method, params, 30_000);
  if (a.error) throw new Error(`${method}: ${a.error.code} ${a.error.message}`);
  return a.result as any;
};

describe('ProcessTestnet', () => {
  it('a star of daemons: connected and synced by gossip across processes; refunds paid through the ledger process; stop() ends them', async () => {
    const net = await ProcessTestnet.create({ nodes: 4, topology: 'star', logLevel: 'warn' });
    nets.push(net);
    expect(await net.missing(true)).toEqual([]);
    const [hub, a, , c] = net.nodes;
    expect((await call(hub!.rpcPath, 'listpeers')).peers).toHaveLength(3);
    // A leaf knows the other leaves' channels (from the hub's gossip) and routes through the hub.
    expect((await call(a!.rpcPath, 'listchannels')).channels).toHaveLength(6);
    expect(await call(a!.rpcPath, 'getonionpath', { id: c!.nodeId })).toMatchObject({ route: 'path', hops: [hub!.nodeId, c!.nodeId] });
    expect((await call(a!.rpcPath, 'getinfo')).payment_backend).toBe('testnet-ledger');
    // Leaf a's refund, answered by leaf c, paid by a through the ledger in this process.
    const refund = await call(a!.rpcPath, 'invoicerequest', { amount: 4242, description: 'across processes' });
    expect(await call(c!.rpcPath, 'sendinvoice', { invreq: refund.bolt12, label: 'x-1', timeout: 30 })).toMatchObject({ status: 'paid', amount_received_msat: 4242 });
    expect(net.ledger!.ledger.transfers).toMatchObject([{ from: a!.nodeId, to: c!.nodeId, amountMsat: 4242n }]);
    expect(net.describe()).toContain(`bolt12-cli --datadir ${c!.datadir} getinfo`);

    const pids = net.nodes.map((x) => x.pid);
    await net.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(net.dir)).toBe(false);
    expect(existsSync(net.ledger!.path)).toBe(false);
  }, 60_000);

  it('payments none: no ledger, and the issuer answers "cannot pay"', async () => {
    const dir = tempDir('ptn-');
    const net = await ProcessTestnet.create({ nodes: 2, payments: 'none', gossip: false, dir, logLevel: 'warn' });
    nets.push(net);
    expect(net.ledger).toBeUndefined();
    const [x, y] = net.nodes;
    expect((await call(x!.rpcPath, 'getinfo')).payment_backend).toBe('none');
    const refund = await call(x!.rpcPath, 'invoicerequest', { amount: 1000, description: 'no money' });
    const a = await rpcCall(y!.rpcPath, 'sendinvoice', { invreq: refund.bolt12, label: 'n-1', timeout: 20 }, 30_000);
    expect(a.error).toMatchObject({ code: 1004 });
    await net.stop();
    // A directory it was given is kept (a restart of the same network would reuse it).
    expect(existsSync(`${dir}/node0/regtest/hsm_secret`)).toBe(true);
  }, 60_000);

  it('the remote ledger backend: an unreachable ledger is a PaymentError, not a hang', async () => {
    const b = new RemoteLedgerBackend(`${tempDir('ledger-')}/nobody.sock`);
    b.attachReceiver({ nodeId: new Uint8Array(33).fill(2), receive: () => Promise.reject(new Error('unused')) });
    // The invoice is not looked at before the ledger is reached.
    const t0 = Date.now();
    const err = await b.pay({} as Invoice).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PaymentError);
    expect(err).toMatchObject({ reason: 'no_route', message: expect.stringMatching(/test-network ledger at .* is unreachable/) });
    expect(Date.now() - t0).toBeLessThan(2000);
    b.close();
  });
});

describe('bolt12d --testnet-ledger', () => {
  it('is refused on a network other than regtest', async () => {
    const { command, args } = daemonCommand();
    const r = await new Promise<{ code: number; stderr: string }>((res) =>
      execFile(command, [...args, '--datadir', tempDir('tl-'), '--network', 'testnet', '--testnet-ledger', '/tmp/x.sock'], { timeout: 30_000 }, (e, _o, stderr) =>
        res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/testnet-ledger: the test-network ledger moves no real money and runs on regtest only, not testnet/);
  });
});
