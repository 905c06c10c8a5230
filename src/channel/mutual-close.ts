// The fundee's side of a mutual close (BOLT 2, Closing Initiation: `shutdown`; Legacy Closing
// Negotiation: `closing_signed`): which `scriptpubkey` forms a shutdown may carry, the closing
// transactions their signature may be for, and the fee we answer with. Pure.
//
// API:
//   shutdownScriptProblem(script, anySegwit): string | undefined
//   scriptDustLimitSat(script): bigint                    BOLT 3, Dust Limits
//   closingCandidates(ch, feeSatoshis): ClosingTx[]       the variants their signature may sign
//   closingFloorSat(ch, feeratePerKw): bigint             the least fee we agree to
import { buildClosingTx, closingTxWeight, type ClosingTx } from './closing.ts';
import { TxError } from './errors.ts';
import type { ChannelState } from './state.ts';

/**
 * BOLT 2, shutdown: `scriptpubkey` MUST be `OP_0 20 <20 bytes>` (P2WPKH), `OP_0 32 <32 bytes>`
 * (P2WSH), or — only with option_shutdown_anysegwit — `OP_1`…`OP_16` followed by a single push of
 * 2 to 40 bytes. (The OP_RETURN forms need option_simple_close, which we do not negotiate.)
 * Undefined when acceptable, else why not.
 */
export function shutdownScriptProblem(script: Uint8Array, anySegwit: boolean): string | undefined {
  if (script.length === 22 && script[0] === 0x00 && script[1] === 20) return undefined;
  if (script.length === 34 && script[0] === 0x00 && script[1] === 32) return undefined;
  const v = script[0];
  if (v !== undefined && v >= 0x51 && v <= 0x60) {
    const len = script[1];
    if (len !== undefined && len >= 2 && len <= 40 && script.length === 2 + len) {
      return anySegwit ? undefined : 'a witness v1+ scriptpubkey needs option_shutdown_anysegwit';
    }
  }
  return 'scriptpubkey is not P2WPKH, P2WSH or (with option_shutdown_anysegwit) a witness program v1-v16';
}

/**
 * BOLT 3, Dust Limits (Bitcoin Core's): p2pkh 546, p2sh 540, p2wpkh 294, p2wsh 330, unknown segwit
 * versions 354 satoshis. BOLT 2, closing_signed: "if one of the outputs in the closing transaction is
 * below the dust limit for its `scriptpubkey`: MUST fail the channel".
 */
export function scriptDustLimitSat(script: Uint8Array): bigint {
  if (script.length === 22 && script[0] === 0x00 && script[1] === 20) return 294n;
  if (script.length === 34 && script[0] === 0x00 && script[1] === 32) return 330n;
  if (script.length === 25 && script[0] === 0x76 && script[1] === 0xa9) return 546n;
  if (script.length === 23 && script[0] === 0xa9) return 540n;
  return 354n;
}

type Ch = Pick<ChannelState, 'fundingOutpoint' | 'fundingSatoshis' | 'ours' | 'theirs' | 'localCommit' | 'shutdown'>;

function params(ch: Ch, feeSatoshis: bigint) {
  const spec = ch.localCommit.spec;
  return {
    fundingOutpoint: ch.fundingOutpoint,
    fundingSatoshis: ch.fundingSatoshis,
    localFundingPubkey: ch.ours.basepoints.fundingPubkey,
    remoteFundingPubkey: ch.theirs.basepoints.fundingPubkey,
    localIsFunder: false,
    localAmountMsat: spec.toUsMsat,
    remoteAmountMsat: spec.toThemMsat,
    localScriptPubkey: ch.ours.shutdownScript,
    remoteScriptPubkey: ch.shutdown.theirScript!,
    feeSatoshis,
  };
}

/** The closing transaction we propose for `feeSatoshis`: outputs below our dust limit removed. */
export function ourClosingTx(ch: Ch, feeSatoshis: bigint): ClosingTx {
  return buildClosingTx({ ...params(ch, feeSatoshis), dustLimitSatoshis: ch.ours.params.dustLimitSatoshis });
}

/**
 * BOLT 3, Legacy Closing Transaction: "there are two possible variants for each node": the signer
 * removes outputs below its own dust limit and "MAY eliminate its own output". Their signature may
 * be for the transaction with their dust limit, with or without their output; and, as most
 * implementations build it, with ours. Distinct candidates, most likely first; a fee the funder
 * cannot pay gives none.
 */
export function closingCandidates(ch: Ch, feeSatoshis: bigint): ClosingTx[] {
  const out: ClosingTx[] = [];
  const tryBuild = (f: () => ClosingTx) => {
    try {
      const c = f();
      if (!out.some((o) => sameOutputs(o, c))) out.push(c);
    } catch (e) {
      if (!(e instanceof TxError)) throw e;
    }
  };
  const p = params(ch, feeSatoshis);
  tryBuild(() => buildClosingTx({ ...p, dustLimitSatoshis: ch.theirs.params.dustLimitSatoshis }));
  tryBuild(() => buildClosingTx({ ...p, dustLimitSatoshis: ch.ours.params.dustLimitSatoshis }));
  // Their output eliminated: build from their view (they are local), then name the sides back.
  tryBuild(() => {
    const c = buildClosingTx({
      ...p,
      localFundingPubkey: p.remoteFundingPubkey,
      remoteFundingPubkey: p.localFundingPubkey,
      localIsFunder: true,
      localAmountMsat: p.remoteAmountMsat,
      remoteAmountMsat: p.localAmountMsat,
      localScriptPubkey: p.remoteScriptPubkey,
      remoteScriptPubkey: p.localScriptPubkey,
      dustLimitSatoshis: ch.theirs.params.dustLimitSatoshis,
      omitLocalOutput: true,
    });
    return {
      ...c,
      localFundingPubkey: p.localFundingPubkey,
      remoteFundingPubkey: p.remoteFundingPubkey,
      localOutputIndex: c.remoteOutputIndex,
      remoteOutputIndex: c.localOutputIndex,
      localSat: c.remoteSat,
      remoteSat: c.localSat,
    };
  });
  return out;
}

function sameOutputs(a: ClosingTx, b: ClosingTx): boolean {
  if (a.tx.outputs.length !== b.tx.outputs.length) return false;
  return a.tx.outputs.every((o, i) => o.valueSat === b.tx.outputs[i]!.valueSat && o.script.length === b.tx.outputs[i]!.script.length && o.script.every((x, j) => x === b.tx.outputs[i]!.script[j]));
}

/** The least fee we agree to: `feeratePerKw` times the signed weight of our closing transaction. */
export function closingFloorSat(ch: Ch, feeratePerKw: number): bigint {
  const weight = closingTxWeight(ourClosingTx(ch, 0n));
  return (BigInt(weight) * BigInt(feeratePerKw) + 999n) / 1000n;
}
