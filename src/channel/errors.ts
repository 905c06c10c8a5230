// Typed errors of the channel layer's pure parts (BOLT 3): each names the field and the rule broken.

/** A transaction or script that cannot be parsed or built: `field` names what, `rule` why. */
export class TxError extends Error {
  readonly code = 'TX';
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

/**
 * A per-commitment secret the compact store refuses (BOLT 3, "Efficient Per-commitment Secret
 * Storage"): it does not derive the secrets already stored, or comes out of order.
 */
export class ShachainError extends Error {
  readonly code = 'SHACHAIN';
  constructor(
    readonly index: bigint,
    readonly rule: string,
  ) {
    super(`per_commitment_secret ${index}: ${rule}`);
  }
}
