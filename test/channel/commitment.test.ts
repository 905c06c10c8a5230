// Commitment, HTLC and closing transactions beyond the spec's vectors: both sides of one channel
// built from each side's own keys (as the BOLT 2 state machine will), and properties over generated
// channels (fixed seed, test/setup.ts): amounts add up, trimming follows BOLT 3, BIP69+CLTV order,
// signed weights stay within BOLT 3's expected weights.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildClosingTx,
  buildCommitmentTx,
  buildHtlcTxs,
  closingTxWeight,
  commitmentNumberFromTx,
  commitmentObscuringFactor,
  deriveCommitmentKeys,
  derivePrivateKey,
  deriveRevocationPrivateKey,
  htlcSuccessFeeSat,
  htlcTimeoutFeeSat,
  p2wpkh,
  parseTx,
  perCommitmentPoint,
  perCommitmentSecret,
  remoteHtlcSighashType,
  serializeTx,
  signFundingSpend,
  signHtlcTx,
  TxError,
  txid,
  txWeight,
  verifyFundingSpend,
  verifyHtlcTx,
  withFundingWitness,
  withHtlcWitness,
  witnessSignature,
  type ChannelBasepoints,
  type CommitmentHtlc,
} from '../../src/channel/index.ts';
import { deterministicRandom, publicKey, sha256 } from '../../src/crypto/index.ts';
import { compareBytes, toHex } from '../../src/util/bytes.ts';

interface Side {
  secrets: { funding: Uint8Array; revocation: Uint8Array; payment: Uint8Array; delayed: Uint8Array; htlc: Uint8Array; seed: Uint8Array };
  basepoints: ChannelBasepoints;
}
function side(name: string): Side {
  const r = deterministicRandom(name);
  const secrets = { funding: r(32), revocation: r(32), payment: r(32), delayed: r(32), htlc: r(32), seed: r(32) };
  return {
    secrets,
    basepoints: {
      fundingPubkey: publicKey(secrets.funding),
      revocationBasepoint: publicKey(secrets.revocation),
      paymentBasepoint: publicKey(secrets.payment),
      delayedPaymentBasepoint: publicKey(secrets.delayed),
      htlcBasepoint: publicKey(secrets.htlc),
    },
  };
}
const alice = side('alice (funder)');
const bob = side('bob (fundee: us)');
const fundingOutpoint = { txid: sha256(new Uint8Array([1])), vout: 1 };
const obscuringFactor = commitmentObscuringFactor(alice.basepoints.paymentBasepoint, bob.basepoints.paymentBasepoint);

interface H extends CommitmentHtlc {
  id: number;
  preimage: Uint8Array;
}
/** An HTLC Alice offered Bob (Bob receives): received on Bob's commitment, offered on Alice's. */
function aliceOffers(id: number, amountMsat: bigint, cltvExpiry: number): { onBob: H; onAlice: H } {
  const preimage = sha256(Uint8Array.of(id, 7));
  const base = { id, amountMsat, paymentHash: sha256(preimage), cltvExpiry, preimage };
  return { onBob: { ...base, offered: false }, onAlice: { ...base, offered: true } };
}

describe('both commitments of one channel, each from its own side', () => {
  const n = 5n;
  const bobPoint = perCommitmentPoint(perCommitmentSecret(bob.secrets.seed, n));
  const alicePoint = perCommitmentPoint(perCommitmentSecret(alice.secrets.seed, n));
  const htlcs = [aliceOffers(0, 5_000_000n, 800_000), aliceOffers(1, 20_000_000n, 800_010), aliceOffers(2, 400_000n, 800_020)];
  const common = { fundingOutpoint, fundingSatoshis: 1_000_000n, commitmentNumber: n, obscuringFactor, feeratePerKw: 2500 };
  // Alice pays 25.4 ksat of HTLCs out of her 700 ksat; Bob had 300 ksat pushed.
  const aliceMsat = 700_000_000n - 25_400_000n;
  const bobMsat = 300_000_000n;
  // Bob's commitment: Bob is local; the delay and dust limit are what Alice asked and Bob set.
  const bobC = buildCommitmentTx({
    ...common,
    localIsFunder: false,
    toSelfDelay: 144,
    dustLimitSatoshis: 354n,
    localAmountMsat: bobMsat,
    remoteAmountMsat: aliceMsat,
    htlcs: htlcs.map((h) => h.onBob),
    keys: deriveCommitmentKeys(bob.basepoints, alice.basepoints, bobPoint),
  });
  const aliceC = buildCommitmentTx({
    ...common,
    localIsFunder: true,
    toSelfDelay: 720,
    dustLimitSatoshis: 546n,
    localAmountMsat: aliceMsat,
    remoteAmountMsat: bobMsat,
    htlcs: htlcs.map((h) => h.onAlice),
    keys: deriveCommitmentKeys(alice.basepoints, bob.basepoints, alicePoint),
  });

  it('the funder pays the fee on both; outputs and trimming mirror each other', () => {
    expect(bobC.toLocalSat).toBe(300_000n);
    expect(aliceC.toRemoteSat).toBe(300_000n);
    // The 400 sat HTLC minus its HTLC tx fee (1757 or 1657 sat at 2500/kw) is below either dust limit.
    expect(bobC.trimmedHtlcs.map((h) => h.id)).toEqual([2]);
    expect(aliceC.trimmedHtlcs.map((h) => h.id)).toEqual([2]);
    expect(bobC.baseFeeSat).toBe(aliceC.baseFeeSat);
    expect(bobC.toRemoteSat).toBe(aliceMsat / 1000n - bobC.baseFeeSat);
    // Bob's to_remote is Alice's P2WPKH payment basepoint (option_static_remotekey).
    expect(toHex(bobC.outputs.find((o) => o.kind === 'to_remote')!.script)).toBe(toHex(p2wpkh(alice.basepoints.paymentBasepoint)));
    expect(bobC.htlcOutputs.every((o) => !o.htlc.offered)).toBe(true);
    expect(aliceC.htlcOutputs.every((o) => o.htlc.offered)).toBe(true);
    expect(commitmentNumberFromTx(bobC.tx, obscuringFactor)).toBe(n);
    expect(commitmentNumberFromTx(aliceC.tx, obscuringFactor)).toBe(n);
  });

  it('commitment_signed both ways: each side signs the other\'s commitment and its HTLC txs', () => {
    // Bob signs Alice's commitment; Alice checks with Bob's funding_pubkey (and vice versa).
    const bobSigOnAlice = signFundingSpend(aliceC, bob.secrets.funding);
    expect(verifyFundingSpend(aliceC, bobSigOnAlice, bob.basepoints.fundingPubkey)).toBe(true);
    const aliceSigOnBob = signFundingSpend(bobC, alice.secrets.funding);
    expect(verifyFundingSpend(bobC, aliceSigOnBob, alice.basepoints.fundingPubkey)).toBe(true);
    expect(verifyFundingSpend(bobC, aliceSigOnBob, bob.basepoints.fundingPubkey)).toBe(false);
    // Bob can broadcast his commitment with both signatures.
    const bobSigned = withFundingWitness(bobC, signFundingSpend(bobC, bob.secrets.funding), aliceSigOnBob);
    const w = bobSigned.inputs[0]!.witness;
    expect(w.length).toBe(4);
    expect(w[0]!.length).toBe(0);
    expect(toHex(w[3]!)).toBe(toHex(bobC.fundingScript));
    expect(toHex(txid(bobSigned))).toBe(toHex(bobC.txid));
    expect(toHex(serializeTx(parseTx(serializeTx(bobSigned))))).toBe(toHex(serializeTx(bobSigned)));

    // htlc_signatures Alice sends with her commitment_signed for Bob's commitment: her HTLC key on
    // Bob's commitment is derived from her htlc_basepoint and Bob's per-commitment point.
    const aliceHtlcKeyOnBob = derivePrivateKey(alice.secrets.htlc, bobPoint);
    expect(toHex(publicKey(aliceHtlcKeyOnBob))).toBe(toHex(bobC.keys.remoteHtlcPubkey));
    const bobHtlcKeyOnBob = derivePrivateKey(bob.secrets.htlc, bobPoint);
    expect(toHex(publicKey(bobHtlcKeyOnBob))).toBe(toHex(bobC.keys.localHtlcPubkey));
    const bobHtlcTxs = buildHtlcTxs(bobC);
    expect(bobHtlcTxs.map((h) => h.kind)).toEqual(['htlc-success', 'htlc-success']);
    for (const h of bobHtlcTxs) {
      const theirs = signHtlcTx(h, aliceHtlcKeyOnBob, remoteHtlcSighashType(false));
      expect(verifyHtlcTx(h, theirs, bobC.keys.remoteHtlcPubkey)).toBe(true);
      const full = withHtlcWitness(h, theirs, signHtlcTx(h, bobHtlcKeyOnBob), h.htlc.preimage);
      expect(full.inputs[0]!.witness.length).toBe(5);
      expect(toHex(full.inputs[0]!.txid)).toBe(toHex(bobC.txid));
      expect(full.outputs[0]!.valueSat).toBe(h.htlc.amountMsat / 1000n - htlcSuccessFeeSat(2500));
      expect(() => withHtlcWitness(h, theirs, theirs, new Uint8Array(32))).toThrow(/does not hash/);
      expect(() => withHtlcWitness(h, theirs, theirs)).toThrow(TxError);
    }
    // Bob's htlc_signatures for Alice's commitment: HTLC-timeout txs (Alice offered), locktime cltv.
    const bobHtlcKeyOnAlice = derivePrivateKey(bob.secrets.htlc, alicePoint);
    expect(toHex(publicKey(bobHtlcKeyOnAlice))).toBe(toHex(aliceC.keys.remoteHtlcPubkey));
    for (const h of buildHtlcTxs(aliceC)) {
      expect(h.kind).toBe('htlc-timeout');
      expect(h.tx.locktime).toBe(h.htlc.cltvExpiry);
      expect(h.tx.outputs[0]!.valueSat).toBe(h.htlc.amountMsat / 1000n - htlcTimeoutFeeSat(2500));
      expect(verifyHtlcTx(h, signHtlcTx(h, bobHtlcKeyOnAlice), aliceC.keys.remoteHtlcPubkey)).toBe(true);
      expect(() => withHtlcWitness(h, new Uint8Array(64).fill(1), new Uint8Array(64).fill(1), h.htlc.preimage)).toThrow(TxError);
    }
  });

  it('revoke_and_ack: the revealed secret gives the other side the revocation key of that commitment', () => {
    const bobSecret = perCommitmentSecret(bob.secrets.seed, n);
    const revocationPriv = deriveRevocationPrivateKey(alice.secrets.revocation, bobSecret);
    expect(toHex(publicKey(revocationPriv))).toBe(toHex(bobC.keys.revocationPubkey));
    const aliceSecret = perCommitmentSecret(alice.secrets.seed, n);
    expect(toHex(publicKey(deriveRevocationPrivateKey(bob.secrets.revocation, aliceSecret)))).toBe(toHex(aliceC.keys.revocationPubkey));
  });

  it('refuses amounts that do not make up the funding output, and bad parameters', () => {
    const p = {
      ...common,
      localIsFunder: false,
      toSelfDelay: 144,
      dustLimitSatoshis: 354n,
      localAmountMsat: bobMsat,
      remoteAmountMsat: aliceMsat,
      htlcs: [] as H[],
      keys: bobC.keys,
    };
    expect(() => buildCommitmentTx(p)).toThrow(/make 974600000 msat/);
    expect(() => buildCommitmentTx({ ...p, remoteAmountMsat: aliceMsat + 25_400_000n, localAmountMsat: -1n })).toThrow(TxError);
    expect(() => buildCommitmentTx({ ...p, remoteAmountMsat: 700_000_000n, commitmentNumber: 1n << 48n })).toThrow(TxError);
    expect(() => buildCommitmentTx({ ...p, remoteAmountMsat: 700_000_000n, toSelfDelay: 70000 })).toThrow(TxError);
    expect(() => buildCommitmentTx({ ...p, remoteAmountMsat: 700_000_000n, keys: { ...p.keys, revocationPubkey: new Uint8Array(32) } })).toThrow(TxError);
  });
});

describe('commitment transactions by property', () => {
  const htlcArb = fc.record({
    offered: fc.boolean(),
    amountMsat: fc.bigInt({ min: 1n, max: 20_000_000n }),
    cltvExpiry: fc.integer({ min: 1, max: 0x7fff_ffff }),
    hashByte: fc.integer({ min: 0, max: 3 }), // few hashes: identical outputs happen
  });
  const channelArb = fc.record({
    fundingSat: fc.bigInt({ min: 200_000n, max: 16_777_215n }),
    localShare: fc.double({ min: 0, max: 1, noNaN: true }),
    htlcs: fc.array(htlcArb, { maxLength: 8 }),
    feerate: fc.integer({ min: 253, max: 60_000 }),
    dust: fc.bigInt({ min: 354n, max: 2000n }),
    localIsFunder: fc.boolean(),
    anchors: fc.boolean(),
    n: fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }),
  });

  it('amounts add up, trimming and order follow BOLT 3, signed weights stay within the expected weights', () => {
    const keys = deriveCommitmentKeys(alice.basepoints, bob.basepoints, perCommitmentPoint(perCommitmentSecret(alice.secrets.seed, 0n)));
    const localHtlcKey = derivePrivateKey(alice.secrets.htlc, perCommitmentPoint(perCommitmentSecret(alice.secrets.seed, 0n)));
    fc.assert(
      fc.property(channelArb, (ch) => {
        const htlcs: H[] = ch.htlcs.map((h, id) => {
          const preimage = new Uint8Array(32).fill(h.hashByte);
          return { id, offered: h.offered, amountMsat: h.amountMsat, cltvExpiry: h.cltvExpiry, paymentHash: sha256(preimage), preimage };
        });
        const inHtlcs = htlcs.reduce((s, h) => s + h.amountMsat, 0n);
        fc.pre(inHtlcs < ch.fundingSat * 1000n);
        const rest = ch.fundingSat * 1000n - inHtlcs;
        const local = BigInt(Math.floor(Number(rest) * ch.localShare));
        const c = buildCommitmentTx({
          fundingOutpoint,
          fundingSatoshis: ch.fundingSat,
          localIsFunder: ch.localIsFunder,
          commitmentNumber: ch.n,
          obscuringFactor,
          toSelfDelay: 2016,
          dustLimitSatoshis: ch.dust,
          feeratePerKw: ch.feerate,
          localAmountMsat: local,
          remoteAmountMsat: rest - local,
          htlcs,
          keys,
          anchors: ch.anchors,
        });
        // Funding = outputs + fee; the fee is the base fee (what the funder could pay) plus all that
        // was trimmed or lost to rounding.
        const outSum = c.tx.outputs.reduce((s, o) => s + o.valueSat, 0n);
        expect(outSum + c.feeSat).toBe(ch.fundingSat);
        expect(c.feeSat).toBeGreaterThanOrEqual(c.baseFeeSat - c.funderShortfallSat);
        // Trimming: BOLT 3, Trimmed Outputs.
        for (const h of htlcs) {
          const fee = h.offered ? htlcTimeoutFeeSat(ch.feerate, ch.anchors) : htlcSuccessFeeSat(ch.feerate, ch.anchors);
          const kept = c.htlcOutputs.some((o) => o.htlc === h);
          expect(kept).toBe(h.amountMsat / 1000n - fee >= ch.dust);
          expect(kept || c.trimmedHtlcs.includes(h)).toBe(true);
        }
        for (const o of c.tx.outputs) expect(o.valueSat).toBeGreaterThanOrEqual(ch.anchors && o.valueSat === 330n ? 330n : ch.dust);
        // BIP69 + CLTV order.
        for (let i = 1; i < c.outputs.length; i++) {
          const a = c.outputs[i - 1]!;
          const b = c.outputs[i]!;
          const cmp = a.valueSat < b.valueSat ? -1 : a.valueSat > b.valueSat ? 1 : compareBytes(a.script, b.script);
          expect(cmp).toBeLessThanOrEqual(0);
          if (cmp === 0 && a.htlc && b.htlc) expect(a.htlc.cltvExpiry).toBeLessThanOrEqual(b.htlc.cltvExpiry);
        }
        expect(commitmentNumberFromTx(parseTx(serializeTx(c.tx)), obscuringFactor)).toBe(ch.n);
        // Signed weight <= BOLT 3's expected weight (73-byte signatures, both main outputs).
        const sig = signFundingSpend(c, alice.secrets.funding);
        const signed = withFundingWitness(c, sig, sig);
        const expected = (ch.anchors ? 1124 : 724) + 172 * c.htlcOutputs.length;
        expect(txWeight(signed)).toBeLessThanOrEqual(expected);
        // HTLC transactions: one per untrimmed output, spending it; weight within 663/703 (+3 anchors).
        for (const h of buildHtlcTxs(c)) {
          const s = signHtlcTx(h, localHtlcKey);
          const full = withHtlcWitness(h, s, s, h.kind === 'htlc-success' ? h.htlc.preimage : undefined);
          expect(txWeight(full)).toBeLessThanOrEqual((h.kind === 'htlc-success' ? 703 : 663) + (ch.anchors ? 3 : 0));
          expect(h.tx.inputs[0]!.sequence).toBe(ch.anchors ? 1 : 0);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('closing transaction (BOLT 3, Legacy Closing Transaction)', () => {
  const base = {
    fundingOutpoint,
    fundingSatoshis: 1_000_000n,
    localFundingPubkey: bob.basepoints.fundingPubkey,
    remoteFundingPubkey: alice.basepoints.fundingPubkey,
    localIsFunder: false,
    localAmountMsat: 300_000_500n,
    remoteAmountMsat: 699_999_500n,
    localScriptPubkey: p2wpkh(bob.basepoints.paymentBasepoint),
    remoteScriptPubkey: p2wpkh(alice.basepoints.paymentBasepoint),
    feeSatoshis: 700n,
    dustLimitSatoshis: 546n,
  };
  it('rounds down, takes the fee from the funder, orders outputs by BIP69, and signs', () => {
    const c = buildClosingTx(base);
    expect(c.tx.version).toBe(2);
    expect(c.tx.locktime).toBe(0);
    expect(c.tx.inputs[0]!.sequence).toBe(0xffffffff);
    expect(c.localSat).toBe(300_000n);
    expect(c.remoteSat).toBe(699_999n - 700n);
    expect(c.localOutputIndex).toBe(0);
    expect(c.remoteOutputIndex).toBe(1);
    expect(c.tx.outputs.map((o) => o.valueSat)).toEqual([300_000n, 699_299n]);
    const ours = signFundingSpend(c, bob.secrets.funding);
    const theirs = signFundingSpend(c, alice.secrets.funding);
    expect(verifyFundingSpend(c, theirs, alice.basepoints.fundingPubkey)).toBe(true);
    const signed = withFundingWitness(c, ours, theirs);
    // Two P2WPKH outputs: 113 bytes without witness (452 WU) + 224 witness bytes with 73-byte signatures.
    expect(closingTxWeight(c)).toBe(676);
    expect(txWeight(signed)).toBeLessThanOrEqual(676);
    // Witness order follows the funding pubkeys' order, not local/remote.
    const firstIsBob = compareBytes(bob.basepoints.fundingPubkey, alice.basepoints.fundingPubkey) < 0;
    const [oursW, theirsW] = [toHex(witnessSignature(ours)), toHex(witnessSignature(theirs))];
    expect(toHex(signed.inputs[0]!.witness[1]!)).toBe(firstIsBob ? oursW : theirsW);
    expect(toHex(signed.inputs[0]!.witness[2]!)).toBe(firstIsBob ? theirsW : oursW);
  });
  it('removes outputs below the signer\'s dust limit, and our own on request', () => {
    const dusty = buildClosingTx({ ...base, localAmountMsat: 500_000n, remoteAmountMsat: 999_500_000n });
    expect(dusty.tx.outputs.length).toBe(1);
    expect(dusty.localOutputIndex).toBeUndefined();
    expect(dusty.remoteOutputIndex).toBe(0);
    const omitted = buildClosingTx({ ...base, omitLocalOutput: true });
    expect(omitted.tx.outputs.length).toBe(1);
    expect(omitted.localOutputIndex).toBeUndefined();
    // Same amounts, the script decides: BIP69's second key.
    const same = buildClosingTx({ ...base, localIsFunder: true, localAmountMsat: 500_350_000n, remoteAmountMsat: 499_650_000n, feeSatoshis: 700n });
    expect(same.tx.outputs[0]!.valueSat).toBe(same.tx.outputs[1]!.valueSat);
    expect(compareBytes(same.tx.outputs[0]!.script, same.tx.outputs[1]!.script)).toBeLessThan(0);
  });
  it('refuses a fee the funder cannot pay and amounts that do not add up', () => {
    expect(() => buildClosingTx({ ...base, feeSatoshis: 700_000n })).toThrow(/funder/);
    expect(() => buildClosingTx({ ...base, localAmountMsat: 1n })).toThrow(TxError);
    expect(() => buildClosingTx({ ...base, localAmountMsat: 0n, remoteAmountMsat: 1_000_000_000n, feeSatoshis: 999_800n })).toThrow(/dust/);
  });
});
