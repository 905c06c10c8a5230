// BOLT 3, Legacy Closing Transaction: the mutual close that `closing_signed` negotiates (channels
// without option_simple_close). Pure; sign it with sign.ts (it is a FundingSpend).
//
// API:
//   buildClosingTx({ fundingOutpoint, fundingSatoshis, localFundingPubkey, remoteFundingPubkey,
//     localIsFunder, localAmountMsat, remoteAmountMsat, localScriptPubkey, remoteScriptPubkey,
//     feeSatoshis, dustLimitSatoshis, omitLocalOutput? }): ClosingTx
//       → { tx, fundingScript, ..., localOutputIndex, remoteOutputIndex, localSat, remoteSat }
//   closingTxWeight(closing): number    the weight once signed with 73-byte signatures (fee proposals)
import { compareBytes } from '../util/bytes.ts';
import { TxError } from './errors.ts';
import { fundingScript } from './script.ts';
import { txWeight, type Tx, type TxOut } from './tx.ts';
import type { OutPoint } from './commitment.ts';
import type { FundingSpend } from './sign.ts';

export interface ClosingParams {
  fundingOutpoint: OutPoint;
  fundingSatoshis: bigint;
  localFundingPubkey: Uint8Array;
  remoteFundingPubkey: Uint8Array;
  localIsFunder: boolean;
  /** Final balances (no HTLC may be pending at a mutual close). */
  localAmountMsat: bigint;
  remoteAmountMsat: bigint;
  /** The `scriptpubkey` of each side's `shutdown`. */
  localScriptPubkey: Uint8Array;
  remoteScriptPubkey: Uint8Array;
  /** `fee_satoshis` of the `closing_signed` being built or checked. */
  feeSatoshis: bigint;
  /** The signer's own `dust_limit_satoshis`: outputs below it are removed. */
  dustLimitSatoshis: bigint;
  /** BOLT 3: the signer "MAY eliminate its own output". */
  omitLocalOutput?: boolean;
}

export interface ClosingTx extends FundingSpend {
  /** Index of our output in tx.outputs, or undefined when removed. */
  localOutputIndex: number | undefined;
  remoteOutputIndex: number | undefined;
  /** Each side's amount after the fee (rounded down), whether or not its output is kept. */
  localSat: bigint;
  remoteSat: bigint;
}

/**
 * BOLT 3, Legacy Closing Transaction: version 2, locktime 0, `txin[0]` the funding outpoint with
 * sequence 0xFFFFFFFF; one output per side with its final balance rounded down to whole satoshis,
 * minus `fee_satoshis` for the funder; outputs below the signer's dust limit removed; BIP69 order.
 * Throws {@link TxError} when the amounts do not make up the funding amount or the funder cannot
 * pay the fee.
 */
export function buildClosingTx(p: ClosingParams): ClosingTx {
  for (const [v, what] of [
    [p.fundingSatoshis, 'funding_satoshis'],
    [p.localAmountMsat, 'local amount'],
    [p.remoteAmountMsat, 'remote amount'],
    [p.feeSatoshis, 'fee_satoshis'],
    [p.dustLimitSatoshis, 'dust_limit_satoshis'],
  ] as const) {
    if (typeof v !== 'bigint' || v < 0n) throw new TxError(what, 'must be a non-negative bigint');
  }
  if (p.localAmountMsat + p.remoteAmountMsat !== p.fundingSatoshis * 1000n) {
    throw new TxError('closing amounts', `balances make ${p.localAmountMsat + p.remoteAmountMsat} msat, the funding output holds ${p.fundingSatoshis * 1000n}`);
  }
  // MUST round each output down to whole satoshis; MUST subtract fee_satoshis from the funder.
  let localSat = p.localAmountMsat / 1000n;
  let remoteSat = p.remoteAmountMsat / 1000n;
  if (p.localIsFunder) localSat -= p.feeSatoshis;
  else remoteSat -= p.feeSatoshis;
  if ((p.localIsFunder ? localSat : remoteSat) < 0n) throw new TxError('fee_satoshis', 'exceeds the funder\'s balance');

  const outs: { side: 'local' | 'remote'; out: TxOut }[] = [];
  // MUST remove any output below its own dust_limit_satoshis; MAY eliminate its own output.
  if (!p.omitLocalOutput && localSat >= p.dustLimitSatoshis && localSat > 0n) outs.push({ side: 'local', out: { valueSat: localSat, script: p.localScriptPubkey.slice() } });
  if (remoteSat >= p.dustLimitSatoshis && remoteSat > 0n) outs.push({ side: 'remote', out: { valueSat: remoteSat, script: p.remoteScriptPubkey.slice() } });
  if (outs.length === 0) throw new TxError('closing outputs', 'both outputs are below the dust limit');
  // BOLT 3, Transaction Output Ordering (BIP69).
  outs.sort((a, b) => (a.out.valueSat < b.out.valueSat ? -1 : a.out.valueSat > b.out.valueSat ? 1 : compareBytes(a.out.script, b.out.script)));

  const tx: Tx = {
    version: 2,
    inputs: [{ txid: p.fundingOutpoint.txid.slice(), vout: p.fundingOutpoint.vout, scriptSig: new Uint8Array(0), sequence: 0xffff_ffff, witness: [] }],
    outputs: outs.map((o) => o.out),
    locktime: 0,
  };
  const li = outs.findIndex((o) => o.side === 'local');
  const ri = outs.findIndex((o) => o.side === 'remote');
  return {
    tx,
    fundingScript: fundingScript(p.localFundingPubkey, p.remoteFundingPubkey),
    fundingSatoshis: p.fundingSatoshis,
    localFundingPubkey: p.localFundingPubkey,
    remoteFundingPubkey: p.remoteFundingPubkey,
    localOutputIndex: li < 0 ? undefined : li,
    remoteOutputIndex: ri < 0 ? undefined : ri,
    localSat,
    remoteSat,
  };
}

/**
 * The weight of `closing` once signed, counting both signatures at their 73-byte maximum (DER plus
 * sighash byte), as BOLT 3's expected weights do: for a `fee_satoshis` proposal at a feerate.
 */
export function closingTxWeight(closing: FundingSpend): number {
  const witness = [new Uint8Array(0), new Uint8Array(73), new Uint8Array(73), closing.fundingScript];
  return txWeight({ ...closing.tx, inputs: [{ ...closing.tx.inputs[0]!, witness }] });
}
