// Typed store errors. `reason` is what callers switch on; `code` is the Core Lightning JSON-RPC
// code the RPC layer answers with (common/jsonrpc_errors.h), so the mapping lives in one place.

/** Core Lightning's codes used by the invoice commands (common/jsonrpc_errors.h). */
export const CLN_CODES = {
  /** LIGHTNINGD: catch-all. */
  GENERIC: -1,
  INVALID_PARAMS: -32602,
  /** INVOICE_LABEL_ALREADY_EXISTS, lightningd/invoice.c fail_exists(): "Duplicate label". */
  LABEL_ALREADY_EXISTS: 900,
  /** INVOICE_PREIMAGE_ALREADY_EXISTS, lightningd/invoice.c: "preimage already used". */
  PREIMAGE_ALREADY_EXISTS: 901,
  /** INVOICE_EXPIRED_DURING_WAIT, lightningd/invoice.c tell_waiter(): "invoice expired during wait". */
  EXPIRED_DURING_WAIT: 903,
  /** INVOICE_WAIT_TIMED_OUT, lightningd/invoice.c wait_timed_out(). */
  WAIT_TIMED_OUT: 904,
  /** INVOICE_NOT_FOUND, json_delinvoice(): "Unknown invoice". */
  NOT_FOUND: 905,
  /** INVOICE_STATUS_UNEXPECTED, json_delinvoice(): "Invoice status is X not Y". */
  STATUS_UNEXPECTED: 906,
  /** INVOICE_NO_DESCRIPTION, json_delinvoice() with desconly. */
  NO_DESCRIPTION: 908,
  /** OFFER_ALREADY_DISABLED, lightningd/offer.c json_disableinvoicerequest(): "invoice_request is not active". */
  OFFER_ALREADY_DISABLED: 1001,
} as const;

export type InvoiceStoreErrorReason =
  | 'duplicate_label'
  | 'duplicate_payment_hash'
  | 'invalid'
  | 'not_found'
  | 'status_mismatch'
  | 'no_description'
  | 'expired'
  | 'deleted_during_wait'
  | 'wait_timed_out'
  | 'aborted'
  | 'closed'
  | 'schema_too_new'
  | 'foreign_database'
  | 'locked'
  | 'corrupt'
  | 'io'
  // refunds (invoice_requests we issued)
  | 'duplicate_invreq'
  | 'already_disabled'
  | 'inactive'
  | 'in_flight';

export class InvoiceStoreError extends Error {
  constructor(
    readonly reason: InvoiceStoreErrorReason,
    readonly code: number,
    message: string,
    /** Extra fields for the JSON-RPC error `data` (e.g. current_status/expected_status). */
    readonly data?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InvoiceStoreError';
  }
}

export function invalid(field: string, rule: string): InvoiceStoreError {
  return new InvoiceStoreError('invalid', CLN_CODES.INVALID_PARAMS, `${field}: ${rule}`, { param: field });
}

export function closedError(): InvoiceStoreError {
  return new InvoiceStoreError('closed', CLN_CODES.GENERIC, 'invoice store is closed');
}

export function abortedError(): InvoiceStoreError {
  return new InvoiceStoreError('aborted', CLN_CODES.GENERIC, 'wait aborted');
}
