// src/noise: the BOLT 8 transport as pure state machines (bytes in, bytes out; no sockets, no clock).
export { NoiseError, type NoiseErrorCode, type NoisePhase } from './errors.ts';
export { NoiseCipher, MAX_MESSAGE_LEN, LENGTH_HEADER_LEN, BODY_MAC_LEN, KEY_ROTATION_INTERVAL } from './cipher.ts';
export {
  InitiatorHandshake,
  ResponderHandshake,
  ACT_ONE_SIZE,
  ACT_TWO_SIZE,
  ACT_THREE_SIZE,
  HANDSHAKE_VERSION,
} from './handshake.ts';
