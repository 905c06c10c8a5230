// Typed failures of the BOLT 8 transport: each names the act (or the message phase) and the
// receiver step of the spec that failed, so a log line can say exactly which rule the peer broke.

/** Why a handshake act or a transport frame was rejected. */
export type NoiseErrorCode =
  /** "Read _exactly_ 50 (66) bytes": the act given was not the exact size. */
  | 'SHORT_READ'
  /** "If `v` is an unrecognized handshake version, then the responder MUST abort the connection attempt." */
  | 'BAD_VERSION'
  /** A public key (`re`, `rs`, or our configured `rs`) is not a valid compressed secp256k1 point. */
  | 'BAD_KEY'
  /** A ChaCha20-Poly1305 tag did not verify (handshake MAC, length header MAC or body MAC). */
  | 'BAD_MAC'
  /** A message longer than 65535 bytes was given to encrypt, or a body of the wrong size to decrypt. */
  | 'BAD_LENGTH'
  /** A method was called out of order (for example act three before act two). */
  | 'BAD_STATE';

/** Where the failure happened: a handshake act, or the framed message phase. */
export type NoisePhase = 'act1' | 'act2' | 'act3' | 'length' | 'body' | 'encrypt';

export class NoiseError extends Error {
  override readonly name = 'NoiseError';
  constructor(
    readonly code: NoiseErrorCode,
    readonly phase: NoisePhase,
    /** The receiver step number in BOLT 8 that failed (0 when not a numbered step). */
    readonly step: number,
    detail: string,
  ) {
    super(`BOLT 8 ${phase}${step ? ` step ${step}` : ''}: ${detail}`);
  }
}
