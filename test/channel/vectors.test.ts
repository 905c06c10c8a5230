// BOLT 3 Appendices B-F (test/vectors/bolt03/): every transaction is built from the vectors' inputs
// (keys derived from the basepoint secrets of Appendix C's hidden comment, not taken from its
// derived-key lines, which are only compared), signed with RFC 6979 as libsecp256k1 signs, and must
// match the vectors byte for byte; the remote signatures are reproduced from the remote's keys and
// also verified against our sighash.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildCommitmentTx,
  buildHtlcTxs,
  commitmentNumberFromTx,
  commitmentObscuringFactor,
  deriveCommitmentKeys,
  derivePrivateKey,
  derivePublicKey,
  deriveRevocationPrivateKey,
  deriveRevocationPublicKey,
  fundingOutputScript,
  fundingScript,
  generateFromSeed,
  legacySighashAll,
  p2wpkh,
  parseTx,
  perCommitmentPoint,
  pushData,
  remoteHtlcSighashType,
  script,
  serializeTx,
  ShachainError,
  ShachainStore,
  signFundingSpend,
  signHtlcTx,
  SIGHASH_ALL,
  SIGHASH_ANYONECANPAY,
  SIGHASH_SINGLE,
  toLocalScript,
  txid,
  txidFromHex,
  txidToHex,
  txWeight,
  verifyFundingSpend,
  verifyHtlcTx,
  withFundingWitness,
  withHtlcWitness,
  witnessSignature,
  type ChannelBasepoints,
  type CommitmentHtlc,
  type Tx,
} from '../../src/channel/index.ts';
import { publicKey, sha256, signatureFromDer, signatureToDer, signEcdsa } from '../../src/crypto/index.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'bolt03');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const load = (name: string): any => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

/** The spec writes private keys as 32 bytes plus 01 (the "compressed" flag). */
function priv(hex: string): Uint8Array {
  expect(hex).toMatch(/^[0-9a-f]{64}01$/);
  return fromHex(hex.slice(0, 64));
}
const der = (sig64: Uint8Array): string => toHex(signatureToDer(sig64));

describe('BOLT 3 Appendix B: funding transaction', () => {
  const v = load('funding-tx.json');
  it('builds the funding tx byte for byte: P2WSH 2-of-2 output, BIP69 order, P2PKH input signed with RFC 6979', () => {
    const local = fromHex(v.local_funding_pubkey);
    const remote = fromHex(v.remote_funding_pubkey);
    expect(toHex(fundingScript(local, remote))).toBe(v.funding_witness_script);
    expect(toHex(fundingScript(remote, local))).toBe(v.funding_witness_script); // order-independent

    const coinbase = parseTx(fromHex(v.test_chain.block_1_coinbase_transaction));
    expect(txidToHex(txid(coinbase))).toBe(v.input_txid);
    const spent = coinbase.outputs[v.input_index]!;
    expect(spent.valueSat).toBe(BigInt(v.input_satoshis));

    const key = priv(v.test_chain.block_1_coinbase_privkey);
    const pub = publicKey(key);
    // The spent P2PKH script pays HASH160(pub); the change goes to P2WPKH of the same key.
    const change = p2wpkh(pub);
    expect(toHex(spent.script)).toBe(`76a914${toHex(change.subarray(2))}88ac`);

    const outputs = [
      { valueSat: BigInt(v.funding_satoshis), script: fundingOutputScript(local, remote) },
      { valueSat: BigInt(v.change_satoshis), script: change },
    ];
    const unsigned: Tx = {
      version: 2,
      inputs: [{ txid: txidFromHex(v.input_txid), vout: v.input_index, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [] }],
      outputs,
      locktime: 0,
    };
    const sig = signEcdsa(legacySighashAll(unsigned, 0, spent.script), key);
    const signed: Tx = { ...unsigned, inputs: [{ ...unsigned.inputs[0]!, scriptSig: script(pushData(witnessSignature(sig, SIGHASH_ALL)), pushData(pub)) }] };
    expect(toHex(serializeTx(signed))).toBe(v.funding_tx);
    expect(txidToHex(txid(signed))).toBe(v.funding_txid);
    expect(outputs.findIndex((o) => toHex(o.script) === toHex(fundingOutputScript(local, remote)))).toBe(v.funding_output);
    // The fee is feerate_per_kw times the signed transaction's weight (232 bytes, no witness: 928).
    expect(txWeight(signed)).toBe(928);
    expect(BigInt(v.input_satoshis - v.funding_satoshis - v.change_satoshis)).toBe((BigInt(v.feerate_per_kw) * BigInt(txWeight(signed))) / 1000n);
  });
});

// ---------------------------------------------------------------------------------------------
// Appendix C (and F): shared set-up
const C = load('commitment-tx.json');
const P = C.parameters;
const I = C.internal;

const localFundingSecret = priv(P.local_funding_privkey);
const remoteFundingSecret = priv(I.remote_funding_privkey);
const localPaymentSecret = priv(I.local_payment_basepoint_secret);
const remotePaymentSecret = priv(I.remote_payment_basepoint_secret);
const remoteRevocationSecret = priv(I.remote_revocation_basepoint_secret);
const localDelayedSecret = priv(I.local_delayed_payment_basepoint_secret);
const localPerCommitmentSecret = priv(I.x_local_per_commitment_secret);
const pcp = perCommitmentPoint(localPerCommitmentSecret);

// The HTLC basepoints are the payment basepoints ("We use the same values for the HTLC basepoints").
const localBasepoints: ChannelBasepoints = {
  fundingPubkey: publicKey(localFundingSecret),
  revocationBasepoint: publicKey(localPaymentSecret), // not given; unused on local's commitment
  paymentBasepoint: publicKey(localPaymentSecret),
  delayedPaymentBasepoint: publicKey(localDelayedSecret),
  htlcBasepoint: publicKey(localPaymentSecret),
};
const remoteBasepoints: ChannelBasepoints = {
  fundingPubkey: publicKey(remoteFundingSecret),
  revocationBasepoint: publicKey(remoteRevocationSecret),
  paymentBasepoint: publicKey(remotePaymentSecret),
  delayedPaymentBasepoint: publicKey(remotePaymentSecret), // not given; unused on local's commitment
  htlcBasepoint: publicKey(remotePaymentSecret),
};
const keys = deriveCommitmentKeys(localBasepoints, remoteBasepoints, pcp);
const localHtlcSecret = derivePrivateKey(localPaymentSecret, pcp);
const remoteHtlcSecret = derivePrivateKey(remotePaymentSecret, pcp);
const obscuringFactor = commitmentObscuringFactor(localBasepoints.paymentBasepoint, remoteBasepoints.paymentBasepoint);
const fundingOutpoint = { txid: txidFromHex(P.funding_tx_id), vout: P.funding_output_index };

interface VecHtlc extends CommitmentHtlc {
  n: number;
  preimage: Uint8Array;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const HTLCS: VecHtlc[] = P.htlcs.map((h: any) => ({
  n: h.htlc,
  offered: h.direction === 'local->remote',
  amountMsat: BigInt(h.amount_msat),
  paymentHash: sha256(fromHex(h.payment_preimage)),
  cltvExpiry: h.expiry,
  preimage: fromHex(h.payment_preimage),
}));

/** Which HTLCs a case uses: none in the first, 1, 5 and 6 in the last, 0-4 elsewhere (the spec's set-up text). */
function htlcsOf(caseIndex: number, count: number, use = true): VecHtlc[] {
  if (!use || caseIndex === 0) return [];
  if (caseIndex === count - 1) return HTLCS.filter((h) => [1, 5, 6].includes(h.n));
  return HTLCS.filter((h) => h.n <= 4);
}

describe('BOLT 3 Appendix C: keys and parameters from the basepoint secrets', () => {
  it('derives the points, keys, obscuring factor and funding script the vectors list', () => {
    expect(toHex(localBasepoints.fundingPubkey)).toBe(P.local_funding_pubkey);
    expect(toHex(remoteBasepoints.fundingPubkey)).toBe(P.remote_funding_pubkey);
    expect(toHex(localBasepoints.paymentBasepoint)).toBe(P.local_payment_basepoint);
    expect(toHex(remoteBasepoints.paymentBasepoint)).toBe(P.remote_payment_basepoint);
    expect(toHex(localBasepoints.htlcBasepoint)).toBe(P.local_htlc_basepoint);
    expect(toHex(remoteBasepoints.htlcBasepoint)).toBe(P.remote_htlc_basepoint);
    expect(toHex(remoteBasepoints.revocationBasepoint)).toBe(I.remote_revocation_basepoint);
    expect(toHex(localBasepoints.delayedPaymentBasepoint)).toBe(I.local_delayed_payment_basepoint);
    expect(toHex(pcp)).toBe(I.local_per_commitment_point);

    expect(toHex(keys.localHtlcPubkey)).toBe(P.local_htlcpubkey);
    expect(toHex(keys.remoteHtlcPubkey)).toBe(P.remote_htlcpubkey);
    expect(toHex(keys.localDelayedPubkey)).toBe(P.local_delayedpubkey);
    expect(toHex(keys.revocationPubkey)).toBe(P.local_revocation_pubkey);
    expect(toHex(keys.remotePaymentPubkey)).toBe(P.remote_payment_basepoint); // option_static_remotekey
    // local_privkey: localpubkey's secret (= local_htlcpubkey's, the basepoints being equal).
    expect(toHex(localHtlcSecret)).toBe(P.local_privkey.slice(0, 64));
    expect(toHex(publicKey(localHtlcSecret))).toBe(P.local_htlcpubkey);
    expect(toHex(remoteHtlcSecret)).toBe(I.remote_privkey.slice(0, 64));
    expect(toHex(derivePrivateKey(localDelayedSecret, pcp))).toBe(I.local_delayed_privkey.slice(0, 64));

    expect(obscuringFactor.toString(16)).toBe(P.obscuring_factor);
    expect(toHex(fundingScript(keys.localFundingPubkey, keys.remoteFundingPubkey))).toBe(P.funding_wscript);
  });
});

describe('BOLT 3 Appendix C: commitment and HTLC transactions (option_static_remotekey)', () => {
  const cases = C.cases as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  it('has the 16 cases and 33 HTLC transactions the README counts', () => {
    expect(cases.length).toBe(16);
    expect(cases.reduce((n, c) => n + c.htlc_txs.length, 0)).toBe(33);
  });

  cases.forEach((v, ci) => {
    it(v.name, () => {
      const htlcs = htlcsOf(ci, cases.length);
      const c = buildCommitmentTx({
        fundingOutpoint,
        fundingSatoshis: BigInt(P.funding_amount_satoshi),
        localIsFunder: true,
        commitmentNumber: BigInt(P.commitment_number),
        obscuringFactor,
        toSelfDelay: P.local_delay,
        dustLimitSatoshis: BigInt(P.local_dust_limit_satoshi),
        feeratePerKw: v.local_feerate_per_kw,
        localAmountMsat: BigInt(v.to_local_msat),
        remoteAmountMsat: BigInt(v.to_remote_msat),
        htlcs,
        keys,
      });
      // The spec's informative lines.
      if (v.base_commitment_fee_satoshi !== undefined) expect(c.baseFeeSat).toBe(BigInt(v.base_commitment_fee_satoshi));
      if (v.actual_commitment_fee_satoshi !== undefined) expect(c.feeSat).toBe(BigInt(v.actual_commitment_fee_satoshi));
      const toLocal = c.outputs.find((o) => o.kind === 'to_local');
      if (v.to_local_output) {
        expect(toLocal?.valueSat).toBe(BigInt(v.to_local_output.amount_satoshi));
        expect(toHex(toLocal!.witnessScript!)).toBe(v.to_local_output.wscript);
      } else if (ci !== cases.length - 1) expect(toLocal).toBeUndefined();
      const toRemote = c.outputs.find((o) => o.kind === 'to_remote');
      if (v.to_remote_output) {
        expect(toRemote?.valueSat).toBe(BigInt(v.to_remote_output.amount_satoshi));
        expect(toHex(toRemote!.script)).toBe(toHex(p2wpkh(fromHex(v.to_remote_output.p2wpkh_pubkey))));
      }
      const htlcLines = v.htlc_outputs ?? [];
      expect(c.htlcOutputs.length).toBe(v.num_htlcs);
      expect(htlcLines.length).toBe(v.num_htlcs);
      for (const line of htlcLines) {
        const o = c.htlcOutputs.find((x) => x.htlc.n === line.htlc)!;
        expect(o, `htlc #${line.htlc}`).toBeDefined();
        expect(o.htlc.offered).toBe(line.direction === 'offered');
        expect(o.valueSat).toBe(BigInt(line.amount_satoshi));
        expect(toHex(o.witnessScript)).toBe(line.wscript);
      }
      expect(c.trimmedHtlcs.length + c.htlcOutputs.length).toBe(htlcs.length);
      expect(commitmentNumberFromTx(c.tx, obscuringFactor)).toBe(BigInt(P.commitment_number));

      // Signatures: ours, and the remote's reproduced from its key and verified against our sighash.
      const localSig = signFundingSpend(c, localFundingSecret);
      expect(der(localSig)).toBe(v.local_signature);
      const remoteSig = signatureFromDer(fromHex(v.remote_signature));
      expect(verifyFundingSpend(c, remoteSig, keys.remoteFundingPubkey)).toBe(true);
      expect(verifyFundingSpend(c, localSig, keys.remoteFundingPubkey)).toBe(false);
      expect(der(signFundingSpend(c, remoteFundingSecret))).toBe(v.remote_signature);
      const signed = withFundingWitness(c, localSig, remoteSig);
      expect(toHex(serializeTx(signed))).toBe(v.output_commit_tx);
      expect(toHex(serializeTx(parseTx(fromHex(v.output_commit_tx))))).toBe(v.output_commit_tx);
      expect(toHex(txid(parseTx(fromHex(v.output_commit_tx))))).toBe(toHex(c.txid));

      // Second-stage transactions, in output order.
      const htlcTxs = buildHtlcTxs(c);
      expect(htlcTxs.length).toBe(v.htlc_txs.length);
      htlcTxs.forEach((h, j) => {
        const e = v.htlc_txs[j];
        expect(c.htlcOutputs[j]!.index).toBe(e.output);
        expect(h.kind).toBe(e.type);
        expect(h.htlc.n).toBe(e.htlc);
        const local = signHtlcTx(h, localHtlcSecret);
        expect(der(local)).toBe(e.local_htlc_signature);
        const remote = signatureFromDer(fromHex(e.remote_htlc_signature));
        expect(verifyHtlcTx(h, remote, keys.remoteHtlcPubkey, remoteHtlcSighashType(false))).toBe(true);
        expect(der(signHtlcTx(h, remoteHtlcSecret, remoteHtlcSighashType(false)))).toBe(e.remote_htlc_signature);
        const full = withHtlcWitness(h, remote, local, h.kind === 'htlc-success' ? h.htlc.preimage : undefined);
        expect(toHex(serializeTx(full))).toBe(e.htlc_tx);
      });
    });
  });
});

describe('BOLT 3 Appendix F: commitment and HTLC transactions with option_anchors', () => {
  const F = load('commitment-tx-anchors.json');
  const cases = F.cases as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  it('has 9 cases and 15 HTLC transactions', () => {
    expect(cases.length).toBe(9);
    expect(cases.reduce((n, c) => n + c.htlc_txs.length, 0)).toBe(15);
  });
  cases.forEach((v, ci) => {
    it(v.name, () => {
      const htlcs = htlcsOf(ci, cases.length, v.use_test_htlcs);
      const c = buildCommitmentTx({
        fundingOutpoint,
        fundingSatoshis: BigInt(P.funding_amount_satoshi),
        localIsFunder: true,
        commitmentNumber: BigInt(P.commitment_number),
        obscuringFactor,
        toSelfDelay: P.local_delay,
        dustLimitSatoshis: BigInt(v.local_dust_limit_satoshi),
        feeratePerKw: v.local_feerate_per_kw,
        localAmountMsat: BigInt(v.to_local_msat),
        remoteAmountMsat: BigInt(v.to_remote_msat),
        htlcs,
        keys,
        anchors: true,
      });
      const remoteSig = signatureFromDer(fromHex(v.remote_signature));
      expect(verifyFundingSpend(c, remoteSig, keys.remoteFundingPubkey)).toBe(true);
      expect(der(signFundingSpend(c, remoteFundingSecret))).toBe(v.remote_signature);
      const signed = withFundingWitness(c, signFundingSpend(c, localFundingSecret), remoteSig);
      expect(toHex(serializeTx(signed))).toBe(v.output_commit_tx);

      const htlcTxs = buildHtlcTxs(c);
      expect(htlcTxs.length).toBe(v.num_htlcs);
      htlcTxs.forEach((h, j) => {
        const e = v.htlc_txs[j];
        const type = remoteHtlcSighashType(true);
        expect(type).toBe(SIGHASH_SINGLE | SIGHASH_ANYONECANPAY);
        const remote = signatureFromDer(fromHex(e.remote_htlc_signature));
        expect(verifyHtlcTx(h, remote, keys.remoteHtlcPubkey, type)).toBe(true);
        expect(verifyHtlcTx(h, remote, keys.remoteHtlcPubkey, SIGHASH_ALL)).toBe(false);
        expect(der(signHtlcTx(h, remoteHtlcSecret, type))).toBe(e.remote_htlc_signature);
        const local = signHtlcTx(h, localHtlcSecret, SIGHASH_ALL);
        const full = withHtlcWitness(h, remote, local, h.kind === 'htlc-success' ? h.htlc.preimage : undefined);
        expect(toHex(serializeTx(full))).toBe(e.htlc_tx);
        // The spec leaves the HTLC txs unlabelled: nLockTime 0 is HTLC-success, cltv_expiry HTLC-timeout.
        expect(parseTx(fromHex(e.htlc_tx)).locktime).toBe(h.kind === 'htlc-success' ? 0 : h.htlc.cltvExpiry);
      });
    });
  });
});

describe('BOLT 3 Appendix D: per-commitment secrets', () => {
  const D = load('shachain.json');
  for (const g of D.generation) {
    it(g.name, () => {
      expect(toHex(generateFromSeed(fromHex(g.seed), BigInt(g.I)))).toBe(g.output);
    });
  }
  it('has 5 generation cases and 9 storage cases with 56 inserts', () => {
    expect(D.generation.length).toBe(5);
    expect(D.storage.length).toBe(9);
    expect(D.storage.reduce((n: number, s: { inserts: unknown[] }) => n + s.inserts.length, 0)).toBe(56);
  });
  for (const s of D.storage) {
    it(s.name, () => {
      const store = new ShachainStore();
      for (const ins of s.inserts) {
        const index = BigInt(ins.I);
        const secret = fromHex(ins.secret);
        if (ins.output === 'OK') {
          store.insert(index, secret);
          expect(toHex(store.get(index)!)).toBe(ins.secret);
        } else {
          const before = toHex(store.toBytes());
          expect(() => store.insert(index, secret)).toThrow(ShachainError);
          expect(toHex(store.toBytes())).toBe(before); // a refused secret changes nothing
          expect(store.get(index)).toBeUndefined();
        }
      }
      // Every secret accepted so far is still derivable from the compact store.
      for (const ins of s.inserts) if (ins.output === 'OK') expect(toHex(store.get(BigInt(ins.I))!)).toBe(ins.secret);
    });
  }
});

describe('BOLT 3 Appendix E: key derivation', () => {
  const E = load('key-derivation.json');
  const base = fromHex(E.secrets.base_secret);
  const pcs = fromHex(E.secrets.per_commitment_secret);
  const basePoint = publicKey(base);
  const point = perCommitmentPoint(pcs);
  it('the basepoint and per-commitment point', () => {
    expect(toHex(basePoint)).toBe(E.secrets.base_point);
    expect(toHex(point)).toBe(E.secrets.per_commitment_point);
    expect(E.cases.length).toBe(4);
  });
  for (const v of E.cases) {
    it(v.name, () => {
      if (v.localpubkey) expect(toHex(derivePublicKey(basePoint, point))).toBe(v.localpubkey);
      if (v.localprivkey) {
        expect(toHex(derivePrivateKey(base, point))).toBe(v.localprivkey);
        expect(toHex(publicKey(derivePrivateKey(base, point)))).toBe(toHex(derivePublicKey(basePoint, point)));
      }
      if (v.revocationpubkey) expect(toHex(deriveRevocationPublicKey(basePoint, point))).toBe(v.revocationpubkey);
      if (v.revocationprivkey) {
        expect(toHex(deriveRevocationPrivateKey(base, pcs))).toBe(v.revocationprivkey);
        expect(toHex(publicKey(deriveRevocationPrivateKey(base, pcs)))).toBe(toHex(deriveRevocationPublicKey(basePoint, point)));
      }
    });
  }
});

describe('to_local script numbers', () => {
  it('encodes to_self_delay as Bitcoin Core does (OP_n up to 16, then minimal pushes)', () => {
    const k = keys.revocationPubkey;
    const d = keys.localDelayedPubkey;
    expect(toHex(toLocalScript(k, 144, d))).toContain('029000b2');
    expect(toHex(toLocalScript(k, 16, d))).toContain('67' + '60' + 'b2');
    expect(toHex(toLocalScript(k, 127, d))).toContain('017fb2');
    expect(toHex(toLocalScript(k, 2016, d))).toContain('02e007b2');
  });
});
