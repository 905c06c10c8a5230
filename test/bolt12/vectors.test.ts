// BOLT 12 test vectors (test/vectors/bolt12/, unchanged copies from the bolts repository):
// the string form, all 53 offers (each invalid one failing for the reason its description gives),
// and the Merkle/signature construction.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import {
  Bolt12Error,
  decodeBolt12String,
  decodeInvoiceRequest,
  decodeOffer,
  leafHash,
  merkleRoot,
  nonceHasher,
  branchHash,
  parseRecords,
  signatureDigest,
  decodeBolt12StringData,
  encodeBolt12String,
  invoiceRequestFromBytes,
  offerFromBytes,
  type Bolt12ErrorCode,
} from '../../src/bolt12/index.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { publicKey, verifySchnorr } from '../../src/crypto/index.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'bolt12');
const load = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8'));

function errorOf(fn: () => unknown): Bolt12Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Bolt12Error);
    return e as Bolt12Error;
  }
  throw new Error('expected a Bolt12Error, got success');
}

describe('format-string-test.json', () => {
  const cases: { comment: string; valid: boolean; string: string }[] = load('format-string-test.json');
  it('has 12 cases', () => expect(cases).toHaveLength(12));
  // The comment says why an invalid string is invalid: map it to our reason.
  const reason = (comment: string): Bolt12ErrorCode => {
    if (/Mixed case/.test(comment)) return 'MIXED_CASE';
    if (/\+ must be surrounded by bech32 characters/.test(comment)) return 'INVALID_CONTINUATION';
    throw new Error(`unmapped comment ${comment}`);
  };
  const canonical = cases[0]!.string;
  for (const c of cases) {
    it(`${c.valid ? 'valid' : 'invalid'}: ${c.comment}: ${JSON.stringify(c.string.slice(0, 24))}…`, () => {
      if (c.valid) {
        const d = decodeBolt12String(c.string);
        expect(d.type).toBe('offer');
        // Same offer whatever the case and continuations; re-encoded in the canonical form.
        if (d.type === 'offer') expect(d.offer.toString()).toBe(canonical);
      } else {
        expect(errorOf(() => decodeBolt12String(c.string)).code).toBe(reason(c.comment));
      }
    });
  }
});

interface OfferCase {
  description: string;
  valid: boolean;
  bolt12: string;
  'field info'?: string;
  fields?: { type: number; length: number; hex: string }[];
}

/** Each invalid vector's description, mapped to the error code (and field) that names that reason. */
const INVALID_REASONS: Record<string, { code: Bolt12ErrorCode; field?: RegExp }> = {
  'Malformed: fields out of order': { code: 'OUT_OF_ORDER' },
  // (The vector's bytes carry type 72, 0x48, not 78: unknown and even all the same.)
  'Malformed: unknown even TLV type 78': { code: 'UNKNOWN_EVEN_TYPE', field: /\[72\]/ },
  // An empty stream: no offer_issuer_id, no offer_paths.
  'Malformed: empty': { code: 'MISSING_ISSUER_ID' },
  'Malformed: truncated at type': { code: 'TRUNCATED' },
  'Malformed: truncated in length': { code: 'TRUNCATED' },
  'Malformed: truncated after length': { code: 'TRUNCATED' },
  'Malformed: truncated in description': { code: 'TRUNCATED', field: /\[10\]/ },
  'Malformed: invalid offer_chains length': { code: 'INVALID_LENGTH', field: /^offer_chains$/ },
  'Malformed: truncated currency UTF-8': { code: 'INVALID_UTF8', field: /^offer_currency$/ },
  'Malformed: invalid currency UTF-8': { code: 'INVALID_UTF8', field: /^offer_currency$/ },
  'Malformed: truncated description UTF-8': { code: 'INVALID_UTF8', field: /^offer_description$/ },
  'Malformed: invalid description UTF-8': { code: 'INVALID_UTF8', field: /^offer_description$/ },
  'Malformed: truncated offer_paths': { code: 'TRUNCATED', field: /^offer_paths/ },
  // These five are in QUIRKS below: their offer_paths record has no length byte.
  'Malformed: zero num_hops in blinded_path': { code: 'EMPTY_BLINDED_PATH', field: /^offer_paths\[0\]\.num_hops$/ },
  'Malformed: truncated onionmsg_hop in blinded_path': { code: 'TRUNCATED', field: /^offer_paths\[0\]\.path\[0\]/ },
  'Malformed: bad first_node_id in blinded_path': { code: 'INVALID_POINT', field: /^offer_paths\[0\]\.first_node_id$/ },
  'Malformed: bad path_key in blinded_path': { code: 'INVALID_POINT', field: /^offer_paths\[0\]\.first_path_key$/ },
  'Malformed: bad blinded_node_id in onionmsg_hop': { code: 'INVALID_POINT', field: /^offer_paths\[0\]\.path\[0\]\.blinded_node_id$/ },
  'Malformed: truncated issuer UTF-8': { code: 'INVALID_UTF8', field: /^offer_issuer$/ },
  'Malformed: invalid issuer UTF-8': { code: 'INVALID_UTF8', field: /^offer_issuer$/ },
  'Malformed: invalid offer_issuer_id': { code: 'INVALID_POINT', field: /^offer_issuer_id$/ },
  'Contains type >= 80': { code: 'TYPE_OUT_OF_RANGE' },
  // These two write the big type with a 0xfd BigSize prefix and 4 bytes (0xfe was meant), so the
  // reader sees type 30517 (odd, outside the offer ranges) and 15258 (even, unknown): the reasons
  // are still the described ones; the types checked as soon as read, before their (bogus) lengths.
  'Contains type > 1999999999': { code: 'TYPE_OUT_OF_RANGE', field: /\[30517\]/ },
  'Contains unknown even type (1000000002)': { code: 'UNKNOWN_EVEN_TYPE', field: /\[15258\]/ },
  'Contains unknown feature 122': { code: 'UNKNOWN_REQUIRED_FEATURE', field: /^offer_features$/ },
  'Missing offer_description, but has offer_amount': { code: 'MISSING_DESCRIPTION', field: /^offer_description$/ },
  'Missing offer_amount with offer_currency': { code: 'CURRENCY_WITHOUT_AMOUNT', field: /^offer_currency$/ },
  'Invalid: zero offer_amount': { code: 'INVALID_AMOUNT', field: /^offer_amount$/ },
  'Invalid: zero offer_amount with currency': { code: 'INVALID_AMOUNT', field: /^offer_amount$/ },
  'Missing offer_issuer_id and no offer_path': { code: 'MISSING_ISSUER_ID' },
  'Second offer_path is empty': { code: 'EMPTY_BLINDED_PATH', field: /^offer_paths\[1\]\.num_hops$/ },
  'offer_chains with zero entries': { code: 'EMPTY_CHAINS', field: /^offer_chains$/ },
  'Bech32 padding exceeds 4-bit limit': { code: 'INVALID_PADDING' },
};

/**
 * Vectors whose bytes do not hold the defect their description names, because the generator left
 * out the `offer_paths` TLV length byte (and wrote `enclen` as one byte instead of a u16). As
 * shipped, they are invalid because the stream is malformed: the path bytes are read as further
 * TLV records, out of order. Restoring the length byte (and the u16 `enclen`) makes each fail for
 * exactly the reason described (INVALID_REASONS).
 */
const QUIRKS: Record<string, { asShipped: Bolt12ErrorCode; fixEnclen: boolean }> = {
  'Malformed: zero num_hops in blinded_path': { asShipped: 'OUT_OF_ORDER', fixEnclen: false },
  'Malformed: truncated onionmsg_hop in blinded_path': { asShipped: 'OUT_OF_ORDER', fixEnclen: false },
  'Malformed: bad first_node_id in blinded_path': { asShipped: 'OUT_OF_ORDER', fixEnclen: true },
  'Malformed: bad path_key in blinded_path': { asShipped: 'OUT_OF_ORDER', fixEnclen: true },
  'Malformed: bad blinded_node_id in onionmsg_hop': { asShipped: 'OUT_OF_ORDER', fixEnclen: true },
};

/** Insert the missing `offer_paths` length (and widen the one-byte `enclen` of the single hop). */
function repairPathVector(b: Uint8Array, fixEnclen: boolean): Uint8Array {
  // 0a 05 'ALICE' | 10 <missing length> <path…> | 16 21 <issuer id>
  expect(toHex(b.subarray(0, 8))).toBe('0a05414c49434510');
  let path = b.subarray(8, b.length - 35);
  if (fixEnclen) {
    const at = 33 + 33 + 1 + 33; // first_node_id, first_path_key, num_hops, blinded_node_id
    path = Uint8Array.from([...path.subarray(0, at), 0, ...path.subarray(at)]);
  }
  return Uint8Array.from([...b.subarray(0, 8), path.length, ...path, ...b.subarray(b.length - 35)]);
}

describe('offers-test.json', () => {
  const cases: OfferCase[] = load('offers-test.json');
  it('has 53 cases: 20 valid, 33 invalid, every invalid one mapped to a reason', () => {
    expect(cases).toHaveLength(53);
    expect(cases.filter((c) => c.valid)).toHaveLength(20);
    const invalid = cases.filter((c) => !c.valid);
    expect(invalid).toHaveLength(33);
    for (const c of invalid) expect(INVALID_REASONS[c.description], c.description).toBeDefined();
  });

  for (const c of cases.filter((x) => x.valid)) {
    it(`valid: ${c.description}`, () => {
      const offer = decodeOffer(c.bolt12);
      // Field for field: type, length and bytes of every record.
      expect(offer.records.map((r) => ({ type: Number(r.type), length: r.value.length, hex: toHex(r.value) }))).toEqual(c.fields);
      // Parsed offers keep their bytes: re-encoding is exact.
      expect(offer.toString()).toBe(c.bolt12);
      expect(decodeBolt12String(c.bolt12).type).toBe('offer');
    });
  }

  for (const c of cases.filter((x) => !x.valid)) {
    it(`invalid: ${c.description}`, () => {
      const want = INVALID_REASONS[c.description]!;
      const quirk = QUIRKS[c.description];
      if (quirk) {
        expect(errorOf(() => decodeOffer(c.bolt12)).code).toBe(quirk.asShipped);
        const repaired = repairPathVector(decodeBolt12StringData(c.bolt12).bytes, quirk.fixEnclen);
        const e = errorOf(() => offerFromBytes(repaired));
        expect(e.code, `${e.message}`).toBe(want.code);
        if (want.field) expect(e.field).toMatch(want.field);
        return;
      }
      const e = errorOf(() => decodeOffer(c.bolt12));
      expect(e.code, `${e.message}`).toBe(want.code);
      if (want.field) expect(e.field).toMatch(want.field);
    });
  }

  it('typed field values match the "field info" of the vectors', () => {
    const byDesc = new Map(cases.map((c) => [c.description, c]));
    const get = (d: string) => decodeOffer(byDesc.get(d)!.bolt12);
    expect(get('with description (but no amount)').offerDescription).toBe('Test vectors');
    expect(toHex(get('for testnet').offerChains![0]!)).toBe('43497fd7f826957108f4a30fd9cec3aeba79972084e90ead01ea330900000000');
    expect(get('for bitcoin or liquidv1').offerChains).toHaveLength(2);
    expect(toHex(get('with metadata').offerMetadata!)).toBe('00'.repeat(16));
    expect(get('with amount').offerAmount).toBe(10000n);
    const usd = get('with currency');
    expect([usd.offerCurrency, usd.offerAmount]).toEqual(['USD', 10000n]);
    expect(get('with expiry').offerAbsoluteExpiry).toBe(2051184600);
    expect(get('with issuer').offerIssuer).toBe('https://bolt12.org BOLT12 industries');
    expect(get('with quantity').offerQuantityMax).toBe(5n);
    expect(get('with unlimited (or unknown) quantity').offerQuantityMax).toBe(0n);
    expect(get('with single quantity (weird but valid)').offerQuantityMax).toBe(1n);
    const withPath = get('with blinded path via Bob (0x424242...), path_key 020202...');
    const path = withPath.offerPaths![0]!;
    expect(path.introductionNode.kind).toBe('pubkey');
    expect(path.introductionNode.kind === 'pubkey' && toHex(path.introductionNode.nodeId)).toBe(toHex(publicKey(new Uint8Array(32).fill(0x42))));
    expect(toHex(path.firstPathKey)).toBe('02' + '02'.repeat(32));
    expect(path.hops.map((h) => toHex(h.encryptedRecipientData))).toEqual(['00'.repeat(16), '11'.repeat(8)]);
    const scid = get('same, with blinded path first_node_id using sciddir').offerPaths![0]!.introductionNode;
    expect(scid).toEqual({ kind: 'scid', direction: 0, scid: 0x2an });
    const two = get('... and with second blinded path via 1x2x3 (direction 1), path_key 020202...').offerPaths!;
    expect(two[1]!.introductionNode).toEqual({ kind: 'scid', direction: 1, scid: (1n << 40n) | (2n << 16n) | 3n });
    expect(get('with no issuer_id and blinded path via Bob (0x424242...), path_key 020202...').offerIssuerId).toBeUndefined();
    const odd = get('unknown odd field');
    expect(odd.unknownRecords.map((r) => [r.type, Buffer.from(r.value).toString()])).toEqual([[33n, 'helloworld']]);
    const exp = get('unknown odd experimental field');
    expect(exp.unknownRecords.map((r) => [r.type, Buffer.from(r.value).toString()])).toEqual([[1000000033n, 'helloworld']]);
    expect(toHex(get('with feature').offerFeatures!)).toBe('08000000000000000000000000');
  });
});

describe('signature-test.json', () => {
  const cases: Array<Record<string, unknown>> = load('signature-test.json');
  it('has 4 cases', () => expect(cases).toHaveLength(4));

  for (const c of cases) {
    it(String(c.comment), () => {
      const leaves = c.leaves as Array<Record<string, string>>;
      // The leaf keys name each TLV in hex: H(`LnLeaf`,<tlv>).
      const raws = leaves.map((l) => {
        const k = Object.keys(l).find((x) => x.startsWith('H(`LnLeaf`,'))!;
        return fromHex(k.slice('H(`LnLeaf`,'.length, -1));
      });
      const records = parseRecords(Uint8Array.from(raws.flatMap((r) => [...r])), 'n1');
      expect(records).toHaveLength(leaves.length);
      const first = fromHex(c['first-tlv'] as string);
      expect(toHex(records[0]!.raw)).toBe(toHex(first));
      const nonceHash = nonceHasher(first);
      leaves.forEach((l, i) => {
        const vals = Object.values(l);
        expect(toHex(leafHash(records[i]!.raw))).toBe(vals[0]);
        expect(toHex(nonceHash(records[i]!.raw))).toBe(vals[1]);
        expect(toHex(branchHash(leafHash(records[i]!.raw), nonceHash(records[i]!.raw)))).toBe(vals[2]);
      });
      for (const b of c.branches as Array<Record<string, string>>) {
        const k = Object.keys(b).find((x) => x.startsWith('H(`LnBranch`,'))!;
        const hex = k.slice('H(`LnBranch`,'.length, -1);
        expect(toHex(branchHash(fromHex(hex.slice(0, 64)), fromHex(hex.slice(64))))).toBe(b[k]);
      }
      expect(toHex(merkleRoot(records))).toBe(c.merkle);

      if (c.bolt12) {
        // The whole invoice_request: decoding verifies the signature by invreq_payer_id.
        const req = decodeInvoiceRequest(c.bolt12 as string);
        expect(toHex(merkleRoot(req.records))).toBe(c.merkle);
        expect(toHex(signatureDigest('invoice_request', 'signature', merkleRoot(req.records)))).toBe(c['H(signature_tag,merkle)']);
        expect(c.signature_tag).toBe('lightninginvoice_requestsignature');
        expect(toHex(req.signature)).toBe(c.signature);
        expect(toHex(req.invreqPayerId)).toBe(toHex(publicKey(new Uint8Array(32).fill(0x42))));
        expect(toHex(req.offerIssuerId!)).toBe(toHex(publicKey(new Uint8Array(32).fill(0x41))));
        expect([req.offerDescription, req.offerAmount, req.offerCurrency]).toEqual(['A Mathematical Treatise', 100n, 'USD']);
        expect(toHex(req.invreqMetadata)).toBe('0000000000000000');
        expect(verifySchnorr(fromHex(c['H(signature_tag,merkle)'] as string), req.invreqPayerId, fromHex(c.signature as string))).toBe(true);
        // The records of the signed request, without the signature, are the vector's leaves.
        expect(req.records.filter((r) => r.type !== 240n).map((r) => toHex(r.raw))).toEqual(raws.map(toHex));
        // A flipped bit in the signature is refused, naming the rule.
        const bytes = Uint8Array.from(decodeBolt12StringData(c.bolt12 as string).bytes);
        bytes[bytes.length - 1]! ^= 1;
        expect(errorOf(() => invoiceRequestFromBytes(bytes)).code).toBe('INVALID_SIGNATURE');
        expect(encodeBolt12String('lnr', req.bytes)).toBe(c.bolt12);
      }
    });
  }
});
