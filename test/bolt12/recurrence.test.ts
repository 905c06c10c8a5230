// Core Lightning's experimental recurrence fields (wire/bolt12_wire.csv: offer_recurrence_* from
// 1000000024, invreq_recurrence_* from 2000000092, invoice_recurrence_basetime 3000000177):
// decoded, shown by `decode` as CLN's plugins/offers.c json_add_recurrence() does, checked with
// CLN's rules; and refused by sendinvoice and the issuer side, which do not answer recurring
// offers or refunds. The byte strings here are written by hand from the CSV, independently of the
// codec under test.
import { describe, expect, it } from 'vitest';
import {
  Bolt12Error,
  decodeOffer,
  encodeBolt12String,
  encodeFields,
  invoiceRequestFromBytes,
  InvoiceRequestBuilder,
  joinRecords,
  makeRecord,
  offerFromBytes,
  parseMessage,
  RefundBuilder,
  signRecords,
  SIGNATURE_TYPE,
  type Bolt12Record,
} from '../../src/bolt12/index.ts';
import { decodeMethod } from '../../src/rpc/methods/decode.ts';
import { fromHex } from '../../src/util/bytes.ts';
import { CHAIN_HASH } from '../../src/wire/chains.ts';
import { key, pub, rng } from './helpers.ts';

const ISSUER = 0x21;

/** An offer's records: issuer id, description, amount, plus the given extra (type, hex value). */
function offerBytes(extra: [bigint, string][]): Uint8Array {
  const base: Bolt12Record[] = encodeFields({ offerAmount: 10_000n, offerDescription: 'monthly', offerIssuerId: pub(ISSUER) });
  const recs = [...base, ...extra.map(([t, v]) => makeRecord(t, fromHex(v)))].sort((a, b) => (a.type < b.type ? -1 : 1));
  return joinRecords(recs);
}
const decode = (s: string) => decodeMethod.handler({ string: s }, undefined) as Record<string, any>;

describe('recurring offers (Core Lightning)', () => {
  it('offer … recurrence=1month: offer_recurrence_compulsory {time_unit 2, period 1}', () => {
    const bytes = offerBytes([[1_000_000_024n, '0201']]);
    const offer = offerFromBytes(bytes);
    expect(offer.offerRecurrenceCompulsory).toEqual({ timeUnit: 2, period: 1 });
    const j = decode(offer.toString());
    expect(j.valid).toBe(true);
    expect(j.offer_recurrence).toEqual({ compulsory_field: true, time_unit: 2, time_unit_name: 'months', period: 1 });
    // CLN's key order: … offer_quantity_max, offer_recurrence, offer_issuer_id.
    const keys = Object.keys(j);
    expect(keys.indexOf('offer_recurrence')).toBe(keys.indexOf('offer_issuer_id') - 1);
    expect(j.unknown_offer_tlvs).toBeUndefined();
  });

  it('base (proportional), paywindow and limit', () => {
    // recurrence: 1 (days) × 7; base: proportional 1, basetime 1700000000 = 0x6553f100;
    // paywindow: before u32 3600 = 0x00000e10, after tu32 60 = 0x3c; limit tu32 12 = 0x0c.
    const bytes = offerBytes([
      [1_000_000_024n, '0107'],
      [1_000_000_026n, '016553f100'],
      [1_000_000_027n, '00000e103c'],
      [1_000_000_029n, '0c'],
    ]);
    const o = offerFromBytes(bytes);
    expect(o.offerRecurrenceBase).toEqual({ proportionalAmount: 1, basetime: 1_700_000_000 });
    expect(o.offerRecurrencePaywindow).toEqual({ secondsBefore: 3600, secondsAfter: 60 });
    expect(o.offerRecurrenceLimit).toBe(12);
    expect(decode(o.toString()).offer_recurrence).toEqual({
      compulsory_field: true,
      time_unit: 1,
      time_unit_name: 'days',
      period: 7,
      basetime: 1_700_000_000,
      proportional_amount: true,
      limit: 12,
      paywindow: { seconds_before: 3600, seconds_after: 60 },
    });
    // Our encoder writes the same bytes.
    expect(joinRecords(encodeFields({ offerAmount: 10_000n, offerDescription: 'monthly', offerIssuerId: pub(ISSUER), offerRecurrenceCompulsory: { timeUnit: 1, period: 7 }, offerRecurrenceBase: { proportionalAmount: 1, basetime: 1_700_000_000 }, offerRecurrencePaywindow: { secondsBefore: 3600, secondsAfter: 60 }, offerRecurrenceLimit: 12 }))).toEqual(bytes);
  });

  it('optional recurrence (odd type): compulsory_field false; seconds', () => {
    const j = decode(offerFromBytes(offerBytes([[1_000_000_025n, '003c']])).toString());
    expect(j.offer_recurrence).toEqual({ compulsory_field: false, time_unit: 0, time_unit_name: 'seconds', period: 60 });
  });

  it('CLN\'s rules: bad time_unit, period 0, limit 0, parts without a recurrence — warnings in decode, errors when reading strictly', () => {
    const cases: [[bigint, string][], RegExp][] = [
      [[[1_000_000_024n, '0301']], /invalid recurrence time_unit 3/],
      [[[1_000_000_024n, '02']], /invalid recurrence period 0/],
      [[[1_000_000_024n, '0201'], [1_000_000_029n, '']], /invalid recurrence limit 0/],
      [[[1_000_000_026n, '006553f100']], /recurrence fields but no recurrence/],
    ];
    for (const [extra, want] of cases) {
      const s = encodeBolt12String('lno', offerBytes(extra));
      const j = decode(s);
      expect(j.valid).toBe(false);
      expect(j.warning_invalid_offer_recurrence).toMatch(want);
      expect(() => decodeOffer(s)).toThrow(want);
      try {
        decodeOffer(s);
      } catch (e) {
        expect((e as Bolt12Error).code).toBe('INVALID_RECURRENCE');
      }
    }
    // An unknown time unit has no name (CLN leaves time_unit_name out).
    expect(decode(encodeBolt12String('lno', offerBytes([[1_000_000_024n, '0901']]))).offer_recurrence).toEqual({ compulsory_field: true, time_unit: 9, period: 1 });
  });

  it('malformed or misplaced fields are refused by name', () => {
    expect(() => offerFromBytes(offerBytes([[1_000_000_024n, '']]))).toThrow(/offer_recurrence_compulsory\.time_unit/);
    expect(() => offerFromBytes(offerBytes([[1_000_000_024n, '020001']]))).toThrow(/NOT_MINIMAL/);
    expect(() => offerFromBytes(offerBytes([[1_000_000_027n, '0000']]))).toThrow(/offer_recurrence_paywindow\.seconds_before/);
    // 1000000028 is not a recurrence field: an unknown even type.
    expect(() => offerFromBytes(offerBytes([[1_000_000_028n, '00']]))).toThrow(/unknown even TLV type 1000000028/);
    // invreq_recurrence_counter in an offer is outside the offer ranges.
    expect(() => offerFromBytes(offerBytes([[2_000_000_092n, '01']]))).toThrow(/TYPE_OUT_OF_RANGE|outside/);
  });

  it('an invoice_request for a recurring offer: counter, start, cancel (and CLN\'s cancel warnings)', () => {
    const offer = offerFromBytes(offerBytes([[1_000_000_024n, '0201']]));
    const payer = key(0x22);
    const build = (extra: Bolt12Record[]) => {
      const req = new InvoiceRequestBuilder(offer, { payerSecret: payer, random: rng('r'), chain: CHAIN_HASH.mainnet }).build();
      const recs = [...req.records.filter((r) => r.type !== SIGNATURE_TYPE), ...extra].sort((a, b) => (a.type < b.type ? -1 : 1));
      return joinRecords([...recs, makeRecord(SIGNATURE_TYPE, signRecords('invoice_request', recs, payer))].sort((a, b) => (a.type < b.type ? -1 : 1)));
    };
    const req = invoiceRequestFromBytes(build([makeRecord(2_000_000_092n, fromHex('03')), makeRecord(2_000_000_093n, fromHex('01'))]));
    expect(req.invreqRecurrenceCounter).toBe(3);
    expect(req.invreqRecurrenceStart).toBe(1);
    const j = decode(req.toString());
    expect(j).toMatchObject({ invreq_recurrence_counter: 3, invreq_recurrence_start: 1, valid: true, offer_recurrence: { time_unit: 2, period: 1 } });
    const cancelled = decode(encodeBolt12String('lnr', build([makeRecord(2_000_000_092n, new Uint8Array(0)), makeRecord(2_000_000_094n, new Uint8Array(0))])));
    expect(cancelled).toMatchObject({ invreq_recurrence_counter: 0, invreq_recurrence_cancel: true, warning_invreq_recurrence_cancel_with_zero_counter: 'invreq_recurrence_cancel is invalid with invreq_recurrence_counter zero', valid: false });
    const noCounter = decode(encodeBolt12String('lnr', build([makeRecord(2_000_000_094n, new Uint8Array(0))])));
    expect(noCounter.warning_invreq_recurrence_cancel_without_counter).toBe('invreq_recurrence_cancel is invalid without invreq_recurrence_counter');
    expect(() => invoiceRequestFromBytes(build([makeRecord(2_000_000_094n, Uint8Array.of(1))]))).toThrow(/invreq_recurrence_cancel: 1 bytes/);
  });

  it('an invoice for a recurring offer needs invoice_recurrence_basetime; cancel is not an invoice field', () => {
    const offer = offerFromBytes(offerBytes([[1_000_000_024n, '0201']]));
    const stream = parseMessage('offer', offer.bytes);
    expect(stream.fields.offerRecurrenceCompulsory).toEqual({ timeUnit: 2, period: 1 });
    // parseMessage on an invoice stream with the request-only cancel field:
    expect(() => parseMessage('invoice', joinRecords([makeRecord(2_000_000_094n, new Uint8Array(0))]))).toThrow(/unknown even TLV type 2000000094 in an invoice/);
  });
});

describe('sendinvoice and the issuer side refuse recurring refunds', () => {
  it('a refund with recurrence fields: -32602 saying so (checked without a network)', async () => {
    const { SendInvoiceService } = await import('../../src/sendinvoice.ts');
    const refund = new RefundBuilder({
      nodeSecret: key(0x23),
      random: rng('rr'),
      amountMsat: 1000n,
      description: 'monthly refund?',
      chain: CHAIN_HASH.regtest,
      extra: [{ type: 1_000_000_025n, value: fromHex('0201') }],
    }).build();
    expect(refund.offerRecurrenceOptional).toEqual({ timeUnit: 2, period: 1 });
    const svc = new SendInvoiceService({
      nodeSecret: key(0x24),
      nodeId: pub(0x24),
      network: 'regtest',
      clock: { now: () => 1_700_000_000 },
      random: rng('si'),
      logger: { child: () => ({}) as never } as never,
      messenger: { onMessage: () => () => {} } as never,
      store: { get: () => undefined } as never,
      receiver: {} as never,
      router: { route: () => Promise.reject(new Error('no')) },
    });
    const e = await svc.sendInvoice({ invreq: refund.toString(), label: 'r' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: -32602, message: expect.stringMatching(/recurring .*bolt12d does not answer recurring offers or refunds/) });
  });
});
