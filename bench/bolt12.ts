// BOLT 12 invoice reading speed, as a ratio of a bound measured in the same run:
//
//   bolt12-invoice-verify  invoices decoded and signature-checked per second (`invoiceFromBytes`:
//                          TLV parse, every field decoded with every point checked on the curve,
//                          the reader's requirements, the merkle root, BIP340 verification) over raw
//                          BIP340 verifications per second (src/crypto `verifySchnorr` on the same
//                          digests, keys and signatures). The signature is the one cost a reader
//                          cannot avoid; everything else is overhead counted against us.
//
// The invoices answer a refund the way LDK and Core Lightning write them: invoice_request fields
// (metadata, description, expiry, amount, payer id), one blinded payment path of two hops with its
// payinfo, created_at, relative expiry, payment hash, amount, features, node id and signature.
// `extra_points` counts the points checked on the curve besides the one verification needs.
import { isPoint, publicKey, sha256, verifySchnorr } from '../src/crypto/index.ts';
import { invoiceFromBytes, merkleRoot, parseMessage, RefundBuilder, signatureDigest, type BlindedPath, type Invoice } from '../src/bolt12/index.ts';
import { featuresFromBits } from '../src/wire/features.ts';
import { timeUs } from './_timing.ts';


const secret = (b: number) => new Uint8Array(32).fill(b);

function path(seed: number, hops: number): BlindedPath {
  return {
    introductionNode: { kind: 'pubkey', nodeId: publicKey(secret(1 + (seed % 50))) },
    firstPathKey: publicKey(secret(51 + (seed % 50))),
    hops: Array.from({ length: hops }, (_, i) => ({
      blindedNodeId: publicKey(secret(101 + ((seed + i) % 50))),
      encryptedRecipientData: new Uint8Array(50).fill(i + seed),
    })),
  };
}

/** `count` distinct invoices answering distinct refunds. */
export function makeInvoices(count: number): Invoice[] {
  const out: Invoice[] = [];
  for (let i = 0; i < count; i++) {
    const refund = new RefundBuilder({
      nodeSecret: secret(0x11),
      random: (n) => sha256(new Uint8Array([i & 0xff, i >> 8, n])).subarray(0, n),
      amountMsat: 100_000n + BigInt(i),
      description: `refund for order #${1000 + i}`,
      absoluteExpiry: 1_800_000_000,
    }).build();
    out.push(
      refund
        .respondWith({
          paymentHash: sha256(new Uint8Array([i & 0xff, i >> 8])),
          createdAt: 1_700_000_000 + i,
          relativeExpiry: 3600,
          features: featuresFromBits([17]),
          paths: [path(i, 2)],
          blindedPay: [{ feeBaseMsat: 1000, feeProportionalMillionths: 100, cltvExpiryDelta: 144, htlcMinimumMsat: 1n, htlcMaximumMsat: 10_000_000_000n, features: new Uint8Array(0) }],
        })
        .build(secret(160 + (i % 50))),
    );
  }
  return out;
}

export async function run(): Promise<void> {
  const invoices = makeInvoices(64);
  const bytes = invoices.map((i) => i.bytes);
  const digests = invoices.map((i) => signatureDigest('invoice', 'signature', merkleRoot(i.records)));
  let k = 0;
  let ok = 0;
  const [tInvoice, tVerify] = timeUs(200, 15, [
    () => {
      const inv = invoiceFromBytes(bytes[k++ % bytes.length]!);
      ok += inv.signature.length;
    },
    () => {
      const j = k++ % invoices.length;
      if (verifySchnorr(digests[j]!, invoices[j]!.invoiceNodeId, invoices[j]!.signature)) ok++;
    },
  ]) as [number, number];
  if (ok === 0) throw new Error('unreachable');
  // Where the rest goes (diagnostics): parsing with its curve checks, one curve check, the merkle root.
  const [tParse, tPoint, tMerkle] = timeUs(200, 5, [
    () => void parseMessage('invoice', bytes[k++ % bytes.length]!),
    () => void isPoint(invoices[k++ % invoices.length]!.invreqPayerId),
    () => void merkleRoot(invoices[k++ % invoices.length]!.records),
  ]) as [number, number, number];
  const inv = invoices[0]!;
  // Points checked on the curve while parsing: invreq_payer_id and each path's introduction node,
  // path key and hops (invoice_node_id is checked by the verification itself).
  const points = 1 + inv.invoicePaths.reduce((n, p) => n + 2 + p.hops.length, 0);
  console.log(
    `BENCH bolt12-invoice-verify ratio=${(tVerify / tInvoice).toFixed(3)} target=0.7 invoices_per_s=${Math.round(1e6 / tInvoice)} verify_per_s=${Math.round(
      1e6 / tVerify,
    )} invoice_us=${tInvoice.toFixed(1)} verify_us=${tVerify.toFixed(1)} parse_us=${tParse.toFixed(1)} merkle_us=${tMerkle.toFixed(1)} point_check_us=${tPoint.toFixed(1)} extra_points=${points} bytes=${inv.bytes.length} records=${inv.records.length}`,
  );
}

// `node --import tsx bench/bolt12.ts` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await run();
