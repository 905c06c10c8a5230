// src/transport (io): BOLT 8 over TCP and WebSocket, BOLT 1 peers, and the peer registry.
export { PeerRegistry, type PeerRegistryOptions, type DialOptions, type MessageHandler } from './registry.ts';
export { ConnectionBudget, sourceKey, type PendingSlot, type RefusalReason, type Admission } from './budget.ts';
export { procFdProbe, type FdProbe, type FdUsage } from './fds.ts';
export { type Peer, type PeerStats } from './types.ts';
export { ConnectError, PingError, type ConnectErrorCode, type PingErrorCode } from './errors.ts';
export { DEFAULT_PEER_LIMITS, resolveLimits, type PeerLimits } from './limits.ts';
export { DEFAULT_INIT_FEATURE_BITS, defaultInitFeatures, checkRemoteInit, buildInit, knownFeatureBits, type InitCheck } from './features.ts';
export { remoteAddrDescriptor, formatHostPort } from './address.ts';
// Re-exported for callers of this API (defined in the layers above).
export type { Network, InitMessage } from '../wire/index.ts';
export type { Logger } from '../util/log.ts';
export type { RandomSource } from '../crypto/index.ts';
