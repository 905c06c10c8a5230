// The package's main entry: `import { Testnet, Node, startDaemon, rpcCall } from 'bolt12d'`.
// Compiled to dist/index.js with its types in dist/index.d.ts (package.json `exports`). The
// subpaths load less: `bolt12d/bolt12` the BOLT 12 codecs alone, `bolt12d/wire` the BOLT 1/2/4/7
// message codecs, `bolt12d/testnet` the test networks, `bolt12d/client` the daemon's JSON-RPC
// client (node:net only).
export * from './node.ts';
// The package's `Node` is the typed one (src/rpc/api.ts: every RPC method, typed events), which
// extends src/node.ts's composition root; this explicit export takes precedence over the one above.
export { Node, type NodeEvents, type NodeEventName, type CallOptions, type RpcApi, type RpcParams, type RpcResult } from './rpc/api.ts';
// Test networks: in process (Testnet) or as daemons (ProcessTestnet, what bolt12d-testnet runs).
export * from './testnet/index.ts';
export { startDaemon, buildMethodTable, type Daemon } from './rpc/daemon.ts';
export { RpcError, RPC_ERROR_CODES, INVALID_PARAMS, type RpcMethod, type Notification, type NotifyLevel } from './rpc/types.ts';
export { rpcCall, rpcCallRaw, rpcSocketPath, DEFAULT_DATADIR, RPC_FILENAME, type RpcAnswer, type RpcCallOptions, type RpcErrorObject, type RpcNotification, type RpcRawAnswer } from './rpc/client.ts';
export { TestNetworkLedger, type LedgerTransfer, type PaymentBackend } from './payments/index.ts';
export type { Network } from './wire/chains.ts';
export { ManualClock, systemClock, type Clock } from './util/clock.ts';
export { createLogger, memorySink, type LogLevel, type LogSink, type Logger } from './util/log.ts';
export { deterministicRandom, secureRandom, type RandomSource } from './crypto/index.ts';
