// Backend `none`: the daemon's default while there are no channels. Every payment is refused
// ("cannot pay"), as LDK answers an invoice it cannot route ("RouteNotFound"); nothing arrives.
import type { Invoice } from '../bolt12/index.ts';
import { PaymentError, type PaymentBackend, type PaymentLookup, type PaymentReceiver, type PaymentSuccess } from './types.ts';

export const NO_BACKEND_MESSAGE = 'Cannot pay: this node has no payment backend (no channels)';

export class NoPaymentBackend implements PaymentBackend {
  readonly name = 'none';
  readonly canPay = false;

  pay(_invoice: Invoice): Promise<PaymentSuccess> {
    return Promise.reject(new PaymentError('no_backend', NO_BACKEND_MESSAGE));
  }

  /**
   * `failed`: this backend never pays, so nothing of a pending payment can be in flight through it.
   * (A payment left pending by a run with another backend, one that pays, is answered the same:
   * restart with that backend to have it looked up there.)
   */
  lookup(_paymentHash: Uint8Array): Promise<PaymentLookup> {
    return Promise.resolve({ status: 'failed', failure: 'Not paid: payment backend none makes no payments (found pending at start-up, after a crash)' });
  }

  attachReceiver(_receiver: PaymentReceiver): void {
    // Nothing can arrive without channels.
  }

  close(): void {}
}
