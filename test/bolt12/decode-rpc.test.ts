// The `decode` RPC handler, called directly: Core Lightning's output shape for offers, invoice
// requests, refunds and invoices; warnings (not errors) for strings that parse but break a rule;
// JSON-RPC errors naming the problem for strings that do not parse.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeMethod } from '../../src/rpc/methods/decode.ts';
import { RpcError, INVALID_PARAMS } from '../../src/rpc/types.ts';
import { encodeBolt12String, InvoiceRequestBuilder, OfferBuilder, RefundBuilder, type Bolt12Fields } from '../../src/bolt12/index.ts';
import { sha256 } from '../../src/crypto/index.ts';
import { toHex, fromHex } from '../../src/util/bytes.ts';
import { blindedPath, key, NODE_SECRET, NOW, PAYMENT_HASH, payInfo, pub, refundInvoiceFields, rng, signedStream } from './helpers.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'bolt12');
const offers: { description: string; bolt12: string; valid: boolean }[] = JSON.parse(readFileSync(join(DIR, 'offers-test.json'), 'utf8'));
const sigVector = JSON.parse(readFileSync(join(DIR, 'signature-test.json'), 'utf8'))[3];
const vec = (d: string) => offers.find((o) => o.description === d)!.bolt12;

function decode(s: unknown): Record<string, any> {
  return decodeMethod.handler({ string: s }, undefined) as Record<string, any>;
}
function rpcError(s: unknown): RpcError {
  try {
    decode(s);
  } catch (e) {
    expect(e).toBeInstanceOf(RpcError);
    return e as RpcError;
  }
  throw new Error('expected an RpcError');
}

describe('decode: offers', () => {
  it('a minimal offer', () => {
    const r = decode(vec('Minimal bolt12 offer'));
    expect(r).toEqual({
      type: 'bolt12 offer',
      offer_id: toHex(sha256(fromHex('162102eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619'))),
      offer_issuer_id: '02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619',
      valid: true,
    });
    expect(decodeMethod.name).toBe('decode');
    expect(decodeMethod.params).toEqual(['string']);
  });

  it('amounts, currencies, paths, unknown fields', () => {
    expect(decode(vec('with amount'))).toMatchObject({ offer_amount_msat: 10000n, offer_description: 'Test vectors', valid: true });
    expect(decode(vec('with currency'))).toMatchObject({ offer_currency: 'USD', offer_amount: 10000n, currency_minor_unit: 2, valid: true });
    expect(decode(vec('with quantity'))).toMatchObject({ offer_quantity_max: 5n });
    expect(decode(vec('for testnet')).offer_chains).toEqual(['43497fd7f826957108f4a30fd9cec3aeba79972084e90ead01ea330900000000']);
    const p = decode(vec('... and with second blinded path via 1x2x3 (direction 1), path_key 020202...'));
    expect(p.offer_paths).toHaveLength(2);
    expect(p.offer_paths[0]).toEqual({
      first_node_id: '0324653eac434488002cc06bbfb7f10fe18991e35f9fe4302dbea6d2353dc0ab1c',
      first_path_key: '02' + '02'.repeat(32),
      path: [
        { blinded_node_id: '02' + '02'.repeat(32), encrypted_recipient_data: '00'.repeat(16) },
        { blinded_node_id: '02' + '02'.repeat(32), encrypted_recipient_data: '11'.repeat(8) },
      ],
    });
    expect(p.offer_paths[1]).toMatchObject({ first_scid: '1x2x3', first_scid_dir: 1 });
    expect(decode(vec('unknown odd field')).unknown_offer_tlvs).toEqual([{ type: 33n, length: 10, value: toHex(Buffer.from('helloworld')) }]);
    expect(decode('lightning:' + vec('with issuer')).offer_issuer).toBe('https://bolt12.org BOLT12 industries');
    const odd = new OfferBuilder({ issuerId: pub(3), description: 'x', amount: { value: 5n, currency: 'ZZZ' } }).build();
    expect(decode(odd.toString())).toMatchObject({ warning_unknown_offer_currency: 'unknown currency code', valid: true });
  });

  it('decodable but invalid: warnings and valid=false, as CLN', () => {
    expect(decode(vec('Missing offer_description, but has offer_amount'))).toMatchObject({
      offer_amount_msat: 10000n,
      warning_missing_offer_description: expect.stringContaining('description is required'),
      valid: false,
    });
    expect(decode(vec('Missing offer_issuer_id and no offer_path'))).toMatchObject({ warning_missing_offer_issuer_id: expect.any(String), valid: false });
    expect(decode(vec('Invalid: zero offer_amount'))).toMatchObject({ warning_invalid_offer_amount: expect.any(String), valid: false });
    expect(decode(vec('Missing offer_amount with offer_currency'))).toMatchObject({ warning_missing_offer_amount: expect.any(String), valid: false });
    expect(decode(vec('offer_chains with zero entries'))).toMatchObject({ offer_chains: [], warning_empty_offer_chains: expect.any(String), valid: false });
    expect(decode(vec('Contains unknown feature 122'))).toMatchObject({ warning_unknown_offer_features: expect.stringContaining('122'), valid: false });
  });
});

describe('decode: invoice requests and refunds', () => {
  it("the spec's signed invoice_request", () => {
    const r = decode(sigVector.bolt12);
    expect(r).toMatchObject({
      type: 'bolt12 invoice_request',
      offer_description: 'A Mathematical Treatise',
      offer_currency: 'USD',
      offer_amount: 100n,
      invreq_metadata: '0000000000000000',
      invreq_payer_id: toHex(pub(0x42)),
      signature: sigVector.signature,
      valid: true,
    });
    expect(r.offer_id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a refund, unsigned (valid: BOLT 12 and LDK) or signed; a bad signature is a warning', () => {
    const refund = new RefundBuilder({ nodeSecret: NODE_SECRET, random: rng('d'), amountMsat: 1234n, description: 'back', paths: [blindedPath(0x11, 1)] }).build();
    const r = decode(refund.toString());
    expect(r).toMatchObject({ type: 'bolt12 invoice_request', invreq_amount_msat: 1234n, invreq_payer_id: toHex(refund.invreqPayerId), valid: true });
    expect(r.offer_id).toBeUndefined();
    expect(r.signature).toBeUndefined();
    expect(r.invreq_paths[0].path).toHaveLength(1);
    const signed = refund.withSignature(NODE_SECRET);
    expect(decode(signed.toString())).toMatchObject({ signature: toHex(signed.signature!), valid: true });
    const bad = Uint8Array.from(signed.bytes);
    bad[bad.length - 1]! ^= 1;
    const rb = decode(encodeBolt12String('lnr', bad));
    expect(rb).toMatchObject({ warning_invalid_invoice_request_signature: 'Bad signature', valid: false });
    expect(rb.signature).toBeUndefined();
  });

  it('an unsigned request answering an offer is invalid', () => {
    const o = new OfferBuilder({ issuerId: pub(3), description: 'x', amountMsat: 10n }).build();
    const req = new InvoiceRequestBuilder(o, { payerSecret: key(0x66), metadata: new Uint8Array(8), payerNote: 'n' }).build();
    const unsigned = Uint8Array.from(req.records.filter((x) => x.type !== 240n).flatMap((x) => [...x.raw]));
    expect(decode(encodeBolt12String('lnr', unsigned))).toMatchObject({
      invreq_payer_note: 'n',
      warning_missing_invoice_request_signature: 'Missing signature',
      valid: false,
    });
  });
});

describe('decode: invoices', () => {
  const f: Bolt12Fields = {
    ...refundInvoiceFields(),
    invoiceRelativeExpiry: 3600,
    invoiceFallbacks: [
      // BIP 173's example: BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4.
      { version: 0, address: fromHex('751e76e8199196d454941c45d1b3a323f1433bd6') },
      { version: 17, address: new Uint8Array(20) },
    ],
  };

  it('the fields CLN shows', () => {
    const s = encodeBolt12String('lni', signedStream('invoice', f, key(0x55)));
    const r = decode(s);
    expect(r).toMatchObject({
      type: 'bolt12 invoice',
      offer_description: 'refund',
      invreq_amount_msat: 5000n,
      invreq_payer_id: toHex(pub(0x44)),
      invoice_created_at: NOW,
      invoice_relative_expiry: 3600,
      invoice_payment_hash: toHex(PAYMENT_HASH),
      invoice_amount_msat: 5000n,
      invoice_node_id: toHex(pub(0x55)),
      valid: true,
    });
    expect(r.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(r.invoice_paths).toEqual([
      {
        first_node_id: toHex(pub(0x55)),
        first_path_key: toHex(blindedPath(0x55, 1).firstPathKey),
        payinfo: {
          fee_base_msat: 1000n,
          fee_proportional_millionths: 100,
          cltv_expiry_delta: 144,
          htlc_minimum_msat: 1n,
          htlc_maximum_msat: 1_000_000_000n,
          features: '',
        },
        path: [{ blinded_node_id: toHex(pub(0x30)), encrypted_recipient_data: '01'.repeat(16) }],
      },
    ]);
    expect(r.invoice_fallbacks[0]).toEqual({ version: 0, hex: '751e76e8199196d454941c45d1b3a323f1433bd6', address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' });
    expect(r.invoice_fallbacks[1]).toMatchObject({ version: 17, warning_invalid_invoice_fallbacks_version: expect.any(String) });
  });

  it('missing fields and bad signatures are warnings', () => {
    const noAmount = decode(encodeBolt12String('lni', signedStream('invoice', { ...f, invoiceAmount: undefined }, key(0x55))));
    expect(noAmount).toMatchObject({ warning_missing_invoice_amount: 'invoices without an amount are invalid', valid: false });
    const badSig = decode(encodeBolt12String('lni', signedStream('invoice', f, key(0x56))));
    expect(badSig).toMatchObject({ warning_invalid_invoice_signature: 'Bad signature', valid: false });
    const mismatch = decode(encodeBolt12String('lni', signedStream('invoice', { ...f, invoiceBlindedpay: [payInfo(), payInfo()] }, key(0x55))));
    expect(mismatch).toMatchObject({ warning_invalid_invoice_blindedpay: expect.any(String), valid: false });
    expect(mismatch.invoice_relative_expiry).toBe(3600);
  });
});

describe('decode: bad input', () => {
  it('is a JSON-RPC invalid-params error naming what is wrong', () => {
    const e1 = rpcError(vec('Malformed: fields out of order'));
    expect(e1.code).toBe(INVALID_PARAMS);
    expect(e1.message).toMatch(/^string: .*types not strictly increasing/);
    expect(e1.data).toMatchObject({ param: 'string', code: 'OUT_OF_ORDER' });
    expect(rpcError(vec('Malformed: invalid description UTF-8')).data).toMatchObject({ code: 'INVALID_UTF8', field: 'offer_description' });
    expect(rpcError('lnbc1pvjluezsp5').message).toMatch(/prefix 'lnbc'/);
    expect(rpcError('LnO1qq').data).toMatchObject({ code: 'MIXED_CASE' });
    expect(rpcError(42).message).toMatch(/^string: /);
    expect(rpcError(undefined).message).toBe('string: is required');
  });
});

describe('segwit fallback addresses', () => {
  it('BIP 173 and BIP 350 examples', async () => {
    const { encodeSegwitAddress } = await import('../../src/bolt12/index.ts');
    expect(encodeSegwitAddress('tb', 0, fromHex('1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262'))).toBe(
      'tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7',
    );
    // BIP 350: v1 (taproot) with bech32m.
    expect(encodeSegwitAddress('bc', 1, fromHex('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'))).toBe(
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0',
    );
    expect(encodeSegwitAddress('bc', 0, new Uint8Array(21))).toBeUndefined();
  });
});
