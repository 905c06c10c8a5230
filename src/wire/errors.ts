// Typed decoding errors: every parser failure names the field and the rule it broke.

export class WireError extends Error {
  readonly code = 'WIRE';
  constructor(
    /** The field being read, e.g. `init.features` or `tlv.type`. */
    readonly field: string,
    /** The rule broken, in the spec's words where possible. */
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}
