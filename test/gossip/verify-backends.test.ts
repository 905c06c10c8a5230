// The secp256k1 back-ends behind gossip verification (src/crypto/secp256k1.ts): the native
// libsecp256k1 binding (ECDSA and public keys), tiny-secp256k1 (WASM) and @noble/curves (pure JS)
// must agree — same public keys, same RFC 6979 signatures, same verdicts, high-S refused by all —
// and gossip signed under one back-end verifies under the others.
import { afterEach, describe, expect, it } from 'vitest';
import {
  useSecp256k1Backend,
  currentSecp256k1Backend,
  secp256k1BackendName,
  nativeSecp256k1Available,
  publicKey,
  signEcdsa,
  verifyEcdsa,
  verifyEcdsaPacked,
  ECDSA_RECORD_LEN,
  deterministicRandom,
  isPrivateKey,
  sha256,
  CURVE_ORDER,
  Secp256k1Error,
  type Secp256k1BackendChoice,
} from '../../src/crypto/index.ts';
import { decodeAndPrecheck, verifyPrechecked } from '../../src/gossip/verify.ts';
import { smallGossipSet } from '../../bench/gossip-set.ts';

const initial = currentSecp256k1Backend();
afterEach(() => useSecp256k1Backend(initial));

const BACKENDS: Secp256k1BackendChoice[] = ['tiny', 'noble', ...(nativeSecp256k1Available() ? ['native' as const] : [])];
const rnd = deterministicRandom('backends');
const keys: Uint8Array[] = [];
while (keys.length < 12) {
  const k = rnd(32);
  if (isPrivateKey(k)) keys.push(k);
}
const digests = keys.map((_, i) => sha256(new Uint8Array([i, 7])));

function highS(sig: Uint8Array): Uint8Array {
  let s = 0n;
  for (const b of sig.subarray(32)) s = (s << 8n) | BigInt(b);
  let t = CURVE_ORDER - s;
  const out = sig.slice();
  for (let i = 63; i >= 32; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

describe('secp256k1 back-ends', () => {
  it('the native binding loads where the package ships a prebuilt binary (linux-x64), and is the default there', () => {
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(nativeSecp256k1Available()).toBe(true);
      if (process.env.BOLT12D_SECP256K1 === undefined) expect(initial).toBe('native');
    }
    if (nativeSecp256k1Available()) {
      useSecp256k1Backend('native');
      expect(secp256k1BackendName()).toBe('tiny-secp256k1 + secp256k1 (native) ECDSA');
    } else expect(() => useSecp256k1Backend('native')).toThrow(Secp256k1Error);
    useSecp256k1Backend('tiny');
    expect(secp256k1BackendName()).toBe('tiny-secp256k1');
    useSecp256k1Backend('noble');
    expect(secp256k1BackendName()).toBe('@noble/curves');
    expect(currentSecp256k1Backend()).toBe('noble');
  });
  it('same public keys, same deterministic signatures, same verdicts', () => {
    const results = BACKENDS.map((b) => {
      useSecp256k1Backend(b);
      const pubs = keys.map(publicKey);
      const sigs = keys.map((k, i) => signEcdsa(digests[i]!, k));
      return { pubs, sigs };
    });
    for (const r of results.slice(1)) {
      expect(r.pubs).toEqual(results[0]!.pubs);
      expect(r.sigs).toEqual(results[0]!.sigs);
    }
    const { pubs, sigs } = results[0]!;
    for (const b of BACKENDS) {
      useSecp256k1Backend(b);
      keys.forEach((_, i) => {
        expect(verifyEcdsa(digests[i]!, pubs[i]!, sigs[i]!), `${b} valid ${i}`).toBe(true);
        expect(verifyEcdsa(digests[(i + 1) % keys.length]!, pubs[i]!, sigs[i]!), `${b} wrong digest`).toBe(false);
        expect(verifyEcdsa(digests[i]!, pubs[(i + 1) % keys.length]!, sigs[i]!), `${b} wrong key`).toBe(false);
        // BOLT 2's LOW-S rule, and what libsecp256k1 enforces: the high-S twin is refused.
        expect(verifyEcdsa(digests[i]!, pubs[i]!, highS(sigs[i]!)), `${b} high-S`).toBe(false);
      });
      // A key off the curve or a bad prefix is a false, not a throw.
      expect(verifyEcdsa(digests[0]!, new Uint8Array(33).fill(2), sigs[0]!)).toBe(false);
      expect(verifyEcdsa(digests[0]!, new Uint8Array(33).fill(4), sigs[0]!)).toBe(false);
    }
  });
  it('verifyEcdsaPacked agrees with verifyEcdsa', () => {
    useSecp256k1Backend(BACKENDS[BACKENDS.length - 1]!);
    const recs = new Uint8Array(keys.length * ECDSA_RECORD_LEN);
    keys.forEach((k, i) => {
      const o = i * ECDSA_RECORD_LEN;
      recs.set(digests[i]!, o);
      recs.set(publicKey(k), o + 32);
      const sig = signEcdsa(digests[i]!, k);
      if (i % 4 === 0) sig[10]! ^= 1;
      recs.set(sig, o + 65);
    });
    const out = new Uint8Array(keys.length);
    verifyEcdsaPacked(recs, keys.length, out);
    expect(Array.from(out)).toEqual(keys.map((_, i) => (i % 4 === 0 ? 0 : 1)));
    expect(() => verifyEcdsaPacked(recs, keys.length + 1, new Uint8Array(keys.length + 1))).toThrow(RangeError);
  });
  it('a gossip set signed under the default back-end verifies under every back-end', () => {
    const set = smallGossipSet({ nodes: 12, channels: 20, seed: 3 });
    const ctx = { chainHash: set.chainHash, now: set.timestamp };
    for (const b of BACKENDS) {
      useSecp256k1Backend(b);
      const anns = new Map<bigint, { nodeId1: Uint8Array; nodeId2: Uint8Array }>();
      let verified = 0;
      for (const raw of set.messages) {
        const p = decodeAndPrecheck(raw, ctx);
        if (!p.ok) throw new Error(p.reason);
        if (p.kind === 'channel_announcement') anns.set(p.msg.shortChannelId, p.msg);
        const a = p.kind === 'channel_update' ? anns.get(p.msg.shortChannelId)! : undefined;
        if (verifyPrechecked(p, a && (p.kind === 'channel_update' && p.direction ? a.nodeId2 : a.nodeId1))) verified++;
      }
      expect(verified, b).toBe(set.messages.length);
    }
  });
});
