// Onion messages with blinded paths (BOLT 4 "Route Blinding" and "Onion Messages", BOLT 9
// `option_onion_messages`). The public API of this layer:
//
// - `OnionMessenger` (messenger.ts): send / forward / receive over a `PeerRegistry`, reply paths
//   with authenticated `path_id`, per-peer rate limits and pacing, `stats()`.
// - Pure building blocks, for tests and interop: Sphinx (`constructOnionPacket`,
//   `peelOnionPacket`), route blinding (`buildBlindedPath`, `blindHops`, `unblindHop`),
//   `buildReceivePath` (paths to us with dummy hops and padding), `buildOnionMessage` (joins clear
//   hops with a recipient's blinded path), `peelOnionMessage` (one node's processing), the
//   `onionmsg_tlv` and `encrypted_data_tlv` codecs, and `PathIdAuthenticator`.
export { OnionMessenger } from './messenger.ts';
export { DEFAULT_ONION_MESSAGE_LIMITS, type OnionMessengerOptions, type OnionMessageLimits, type PathDefaults } from './limits.ts';
export type {
  OnionPeer,
  OnionPeers,
  ScidResolver,
  OnionMessageDestination,
  SendOptions,
  SendResult,
  PreparedOnionMessage,
  ReceivedOnionMessage,
  OnionMessageHandler,
  ReplyPathOptions,
  OnionMessageStats,
  PeerOnionStats,
} from './types.ts';
export { OnionMessageSendError, OnionMessageDropError, type DropReason, type PeelDropReason, type SendErrorReason } from './errors.ts';
export {
  ONIONMSG_TLV,
  FIRST_PAYLOAD_TYPE,
  decodeOnionMessagePayload,
  encodeOnionMessagePayload,
  isSendableContentsType,
  type OnionMessageContents,
  type OnionMessagePayload,
} from './payload.ts';
export {
  ENC_TLV,
  decodeEncryptedDataTlv,
  encodeEncryptedDataTlv,
  encryptRecipientData,
  decryptRecipientData,
  padToCommonLength,
  type EncryptedDataTlv,
} from './encrypted-data.ts';
export { blindHops, buildBlindedPath, unblindHop, UnblindError, type PathHopSpec, type BlindingStep, type UnblindedHop } from './route-blinding.ts';
export {
  buildReceivePath,
  dummyHopCount,
  DEFAULT_MIN_PATH_LENGTH,
  DEFAULT_PADDING_ROUND_OFF,
  MAX_DUMMY_HOPS,
  type ForwardNode,
  type ReceivePathOptions,
} from './receive-path.ts';
export {
  buildOnionMessage,
  buildOnionMessagePacket,
  chooseHopPayloadsLength,
  SMALL_HOP_PAYLOADS_LEN,
  BIG_HOP_PAYLOADS_LEN,
  type OnionMessageRoute,
  type BuiltOnionMessage,
  type FinalPayload,
} from './build.ts';
export { peelOnionMessage, type PeelResult, type ForwardResult, type ReceiveResult, type NextHop } from './peel.ts';
export { PathIdAuthenticator, type PathIdContents } from './path-id.ts';
export { constructOnionPacket, peelOnionPacket, parseOnionPacket, serializeOnionPacket, SphinxError, type OnionPacket, type SphinxHop } from './sphinx.ts';
export { TokenBucket } from './rate-limit.ts';
export { OnionRouter, NoOnionRouteError, type OnionRoute, type OnionRouterOptions, type RouterPeers } from './router.ts';
