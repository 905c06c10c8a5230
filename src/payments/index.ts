// src/payments: the boundary to money. `PaymentBackend` (pay an invoice over its blinded paths;
// deliver payments for our invoices to the node's `InvoiceReceiver`, which marks them paid in the
// store), its implementations `none` and the test-network ledger, and the blinded payment paths
// our invoices carry (built so a channel layer can receive over them).
export * from './types.ts';
export { NoPaymentBackend, NO_BACKEND_MESSAGE } from './none.ts';
export { TestNetworkLedger, LedgerPaymentBackend, LedgerError, TESTNET_LEDGER, type LedgerTransfer } from './ledger.ts';
export { InvoiceReceiver, type InvoiceReceiverOptions } from './receiver.ts';
export { buildBlindedPaymentPath, aggregatePayInfo, amountWithFees, PaymentPathIds, MIN_FINAL_CLTV_EXPIRY_DELTA, type PaymentForwardNode, type PaymentPathParams } from './payment-path.ts';
