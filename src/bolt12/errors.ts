// BOLT 12 errors: every way a string or message can fail is a named reason (`code`) plus the field
// it concerns. Parsers, semantic checks and builders all throw `Bolt12Error`, never anything else,
// so a caller can switch on `code` (LDK's Bolt12ParseError / Bolt12SemanticError, as one enum).

/**
 * The named reasons. Groups, in the order a reader meets them:
 * - the string form (BOLT 12 "Encoding");
 * - the TLV stream (BOLT 1 "Type-Length-Value Format") and field encodings (BOLT 1 fundamental types);
 * - the readers' and writers' requirements of each message (BOLT 12 "Requirements" sections);
 * - signatures (BOLT 12 "Signature Calculation").
 */
export const Bolt12ErrorCode = {
  // --- String form ---
  /** A character that is neither bech32 nor a `+` continuation. */
  INVALID_CHARACTER: 'INVALID_CHARACTER',
  /** "MUST either use all lowercase or all UPPERCASE". */
  MIXED_CASE: 'MIXED_CASE',
  /** A `+` not between two bech32 characters (at either end, doubled, or before whitespace only). */
  INVALID_CONTINUATION: 'INVALID_CONTINUATION',
  /** No `1` separating the human-readable prefix from the data. */
  MISSING_SEPARATOR: 'MISSING_SEPARATOR',
  /** A prefix other than the one expected (`lno`, `lnr`, `lni`). */
  UNKNOWN_PREFIX: 'UNKNOWN_PREFIX',
  /** Leftover bits after 5-to-8 bit conversion: 5 or more, or not zero. */
  INVALID_PADDING: 'INVALID_PADDING',

  // --- TLV stream and field encodings ---
  /** The stream or a field value ends early (BOLT 1: "unexpected EOF"). */
  TRUNCATED: 'TRUNCATED',
  /** A BigSize or truncated integer not minimally encoded. */
  NOT_MINIMAL: 'NOT_MINIMAL',
  /** TLV types not strictly increasing. */
  OUT_OF_ORDER: 'OUT_OF_ORDER',
  /** The same TLV type twice. */
  DUPLICATE_TYPE: 'DUPLICATE_TYPE',
  /** BOLT 1: "if `type` is even and not known: MUST fail to parse the tlv_stream". */
  UNKNOWN_EVEN_TYPE: 'UNKNOWN_EVEN_TYPE',
  /** A TLV type outside the ranges the message allows (e.g. offers: 1–79, 1000000000–1999999999). */
  TYPE_OUT_OF_RANGE: 'TYPE_OUT_OF_RANGE',
  /** A field whose length is impossible for its type (e.g. `offer_chains` not a multiple of 32). */
  INVALID_LENGTH: 'INVALID_LENGTH',
  /** A `utf8` field that is not valid UTF-8. */
  INVALID_UTF8: 'INVALID_UTF8',
  /** A `point` that is not a valid compressed secp256k1 point. */
  INVALID_POINT: 'INVALID_POINT',
  /** A `blinded_path` with `num_hops` = 0. */
  EMPTY_BLINDED_PATH: 'EMPTY_BLINDED_PATH',
  /** Any other malformed structure (e.g. a `sciddir_or_pubkey` with a bad first byte). */
  MALFORMED: 'MALFORMED',

  // --- Offers (and the offer fields mirrored into requests and invoices) ---
  /** `offer_chains` present with zero entries. */
  EMPTY_CHAINS: 'EMPTY_CHAINS',
  /** A chain the reader does not accept, or an `invreq_chain` not among `offer_chains`. */
  UNSUPPORTED_CHAIN: 'UNSUPPORTED_CHAIN',
  /** `offer_amount` set without `offer_description`. */
  MISSING_DESCRIPTION: 'MISSING_DESCRIPTION',
  /** `offer_amount` (or `invreq_amount`) present but not greater than zero. */
  INVALID_AMOUNT: 'INVALID_AMOUNT',
  /** `offer_currency` set without `offer_amount`. */
  CURRENCY_WITHOUT_AMOUNT: 'CURRENCY_WITHOUT_AMOUNT',
  /** `offer_currency` not a three-letter ISO 4217 code (writers only). */
  INVALID_CURRENCY: 'INVALID_CURRENCY',
  /** Neither `offer_issuer_id` nor `offer_paths`. */
  MISSING_ISSUER_ID: 'MISSING_ISSUER_ID',
  /** A feature vector with an unknown even bit set. */
  UNKNOWN_REQUIRED_FEATURE: 'UNKNOWN_REQUIRED_FEATURE',
  /** `now` is past `offer_absolute_expiry` or the invoice's expiry. */
  EXPIRED: 'EXPIRED',

  // --- Invoice requests and refunds ---
  /** `invreq_metadata` missing. */
  MISSING_PAYER_METADATA: 'MISSING_PAYER_METADATA',
  /** `invreq_payer_id` missing. */
  MISSING_PAYER_ID: 'MISSING_PAYER_ID',
  /** An amount is required and missing (`invreq_amount` without `offer_amount`, refunds, invoices). */
  MISSING_AMOUNT: 'MISSING_AMOUNT',
  /** `invreq_amount` below the expected amount (`offer_amount` × `invreq_quantity`). */
  INSUFFICIENT_AMOUNT: 'INSUFFICIENT_AMOUNT',
  /** `offer_quantity_max` present but `invreq_quantity` missing. */
  MISSING_QUANTITY: 'MISSING_QUANTITY',
  /** `invreq_quantity` zero, or above a non-zero `offer_quantity_max`. */
  INVALID_QUANTITY: 'INVALID_QUANTITY',
  /** `invreq_quantity` without `offer_quantity_max`. */
  UNEXPECTED_QUANTITY: 'UNEXPECTED_QUANTITY',
  /** A field a message of this kind must not carry (e.g. `offer_chains` in a refund). */
  UNEXPECTED_FIELD: 'UNEXPECTED_FIELD',
  /** `invreq_bip_353_name` with a byte outside `0-9a-zA-Z-_.`. */
  INVALID_BIP353_NAME: 'INVALID_BIP353_NAME',
  /** An `invoice_request` with neither `offer_issuer_id` nor `offer_paths` where one answering an offer was expected. */
  NOT_AN_OFFER_RESPONSE: 'NOT_AN_OFFER_RESPONSE',
  /** An `invoice_request` answering an offer where a refund was expected. */
  NOT_A_REFUND: 'NOT_A_REFUND',

  // --- Invoices ---
  /** `invoice_created_at` missing. */
  MISSING_CREATED_AT: 'MISSING_CREATED_AT',
  /** `invoice_payment_hash` missing. */
  MISSING_PAYMENT_HASH: 'MISSING_PAYMENT_HASH',
  /** `invoice_node_id` missing. */
  MISSING_NODE_ID: 'MISSING_NODE_ID',
  /** `invoice_node_id` not the one the offer or request demands. */
  INVALID_NODE_ID: 'INVALID_NODE_ID',
  /** `invoice_paths` missing or empty. */
  MISSING_PATHS: 'MISSING_PATHS',
  /** `invoice_blindedpay` missing. */
  MISSING_BLINDEDPAY: 'MISSING_BLINDEDPAY',
  /** `invoice_blindedpay` count differs from `invoice_paths` count. */
  BLINDEDPAY_MISMATCH: 'BLINDEDPAY_MISMATCH',
  /** Every path's `blinded_payinfo` has unknown even feature bits. */
  NO_USABLE_PATHS: 'NO_USABLE_PATHS',
  /** `invoice_amount` differs from `invreq_amount` (or from the amount the builder must set). */
  AMOUNT_MISMATCH: 'AMOUNT_MISMATCH',
  /** An invoice's mirrored fields differ from the request or refund it answers. */
  FIELD_MISMATCH: 'FIELD_MISMATCH',

  // --- Core Lightning's experimental recurrence (BOLT-recurrence) ---
  /** A recurrence field that breaks the draft's rules (time_unit not 0–2, period 0, limit 0, parts without a recurrence, cancel without a counter). */
  INVALID_RECURRENCE: 'INVALID_RECURRENCE',
  /** A recurring invoice without `invoice_recurrence_basetime`. */
  MISSING_RECURRENCE_BASETIME: 'MISSING_RECURRENCE_BASETIME',

  // --- Signatures ---
  /** A signature required and absent. */
  MISSING_SIGNATURE: 'MISSING_SIGNATURE',
  /** A signature that does not verify (or a secret that does not match the key it must sign for). */
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',

  // --- invoice_error ---
  /** `error` missing ("MUST set `error` to an explanatory string"). */
  MISSING_ERROR_MESSAGE: 'MISSING_ERROR_MESSAGE',
  /** `suggested_value` without `erroneous_field`. */
  SUGGESTED_VALUE_WITHOUT_FIELD: 'SUGGESTED_VALUE_WITHOUT_FIELD',

  // --- Builders ---
  /** A builder parameter outside its type's range (e.g. a negative amount, a 40-byte point). */
  INVALID_PARAMETER: 'INVALID_PARAMETER',
} as const;

export type Bolt12ErrorCode = (typeof Bolt12ErrorCode)[keyof typeof Bolt12ErrorCode];

/** A BOLT 12 failure: `code` names the reason, `field` the TLV field (or `string`, `tlv_stream`). */
export class Bolt12Error extends Error {
  override readonly name = 'Bolt12Error';
  constructor(
    readonly code: Bolt12ErrorCode,
    /** The field concerned, in the spec's words (`offer_description`, `invoice_paths[1].num_hops`…). */
    readonly field: string,
    /** What was wrong, for people. */
    readonly detail: string,
  ) {
    super(`${field}: ${detail} (${code})`);
  }
}

/** Shorthand used throughout the module. */
export function fail(code: Bolt12ErrorCode, field: string, detail: string): never {
  throw new Bolt12Error(code, field, detail);
}
