// The worker-thread signature verifier (src/gossip/gossip-verify-pool.ts) against the synchronous
// path, on a small signed gossip set from bench/gossip-set.ts: same answers for valid and tampered
// signatures, inline fallback (no threads, a worker that dies), every back-end in the workers.
import { afterAll, describe, expect, it } from 'vitest';
import { GossipSignatureVerifier } from '../../src/gossip/gossip-verify-pool.ts';
import { decodeAndPrecheck, verifyPrechecked, signatureChecks, type Prechecked, type SignatureCheck } from '../../src/gossip/verify.ts';
import { nativeSecp256k1Available } from '../../src/crypto/index.ts';
import { smallGossipSet } from '../../bench/gossip-set.ts';

const SET = smallGossipSet({ nodes: 60, channels: 150, seed: 11 });
const CTX = { chainHash: SET.chainHash, now: SET.timestamp };

/** Every message prechecked, with the signer of each channel_update; every third message tampered. */
function items(): { p: Prechecked; signer?: Uint8Array; tampered: boolean }[] {
  const anns = new Map<bigint, { nodeId1: Uint8Array; nodeId2: Uint8Array }>();
  return SET.messages.map((raw, i) => {
    const tampered = i % 3 === 1;
    const r = decodeAndPrecheck(raw, CTX);
    if (!r.ok) throw new Error(`set message refused: ${r.reason}`);
    if (r.kind === 'channel_announcement') anns.set(r.msg.shortChannelId, r.msg);
    let p: Prechecked = r;
    if (tampered) p = { ...r, signedHash: r.signedHash.map((b, k) => (k === 0 ? b ^ 1 : b)) } as Prechecked;
    const a = r.kind === 'channel_update' ? anns.get(r.msg.shortChannelId)! : undefined;
    const signer = r.kind === 'channel_update' ? (r.direction ? a!.nodeId2 : a!.nodeId1) : undefined;
    return { p, signer, tampered };
  });
}

const pools: GossipSignatureVerifier[] = [];
const pool = (o: ConstructorParameters<typeof GossipSignatureVerifier>[0]) => {
  const v = new GossipSignatureVerifier(o);
  pools.push(v);
  return v;
};
afterAll(async () => {
  await Promise.all(pools.map((v) => v.close()));
});

describe('GossipSignatureVerifier', () => {
  const list = items();
  const expected = list.map(({ p, signer }) => verifyPrechecked(p, signer));

  it('the small set: every message verifies, every tampered one fails (synchronous path)', () => {
    expect(SET.messages).toHaveLength(150 * 3 + 60);
    expect(expected).toEqual(list.map((x) => !x.tampered));
  });
  it('two workers, small batches: the same answers, per message and per signature', async () => {
    const v = pool({ threads: 2, batchSize: 7 });
    expect(v.liveWorkers).toBe(2);
    expect(await v.verifyMessages(list)).toEqual(expected);
    const checks: SignatureCheck[] = list.flatMap(({ p, signer }) => signatureChecks(p, signer));
    const perSig = await v.verify(checks);
    expect(perSig).toHaveLength(SET.counts.signatures);
    expect(perSig.filter((x) => !x).length).toBe(list.filter((x) => x.tampered).reduce((n, x) => n + (x.p.kind === 'channel_announcement' ? 4 : 1), 0));
    // Wrong sizes never verify (zeros are packed instead).
    expect(await v.verify([{ ...checks[0]!, pubkey: checks[0]!.pubkey.subarray(1) }, checks[0]!])).toEqual([false, true]);
    expect(await v.verify([])).toEqual([]);
  });
  it('many batches in flight at once', async () => {
    const v = pool({ threads: 2, batchSize: 16 });
    const runs = await Promise.all(Array.from({ length: 6 }, () => v.verifyMessages(list)));
    for (const r of runs) expect(r).toEqual(expected);
  });
  it('threads: 0 verifies inline', async () => {
    const v = pool({ threads: 0 });
    expect(v.liveWorkers).toBe(0);
    expect(await v.verifyMessages(list)).toEqual(expected);
  });
  it('a worker that dies mid-batch: its batches are verified inline, the answers stay right', async () => {
    const v = pool({ threads: 2, batchSize: 5 });
    const pending = v.verifyMessages(list);
    // Kill one worker while its batches are queued.
    const slots = (v as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    await slots[0]!.worker.terminate();
    expect(await pending).toEqual(expected);
    expect(v.liveWorkers).toBe(1);
    expect(await v.verifyMessages(list)).toEqual(expected);
  });
  it('close() ends the workers; a closed verifier refuses work', async () => {
    const v = new GossipSignatureVerifier({ threads: 1 });
    expect(await v.verifyMessages(list.slice(0, 10))).toEqual(expected.slice(0, 10));
    await v.close();
    expect(v.liveWorkers).toBe(0);
    await expect(v.verifyMessages(list.slice(0, 1))).rejects.toThrow(/closed/);
  });
  it('workers on each back-end give the same answers', async () => {
    const some = list.slice(0, 40);
    const want = expected.slice(0, 40);
    const backends = ['tiny', 'noble', ...(nativeSecp256k1Available() ? ['native' as const] : [])] as const;
    for (const backend of backends) {
      const v = pool({ threads: 1, backend, batchSize: 32 });
      expect(await v.verifyMessages(some), backend).toEqual(want);
    }
  });
});
