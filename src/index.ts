// The package's main entry: `import { Node, startDaemon, rpcCall } from 'bolt12d'`. Compiled to
// dist/index.js with its types in dist/index.d.ts (package.json `exports`). The subpaths load less:
// `bolt12d/bolt12` the BOLT 12 codecs alone, `bolt12d/wire` the BOLT 1/2/4/7 message codecs,
// `bolt12d/client` the daemon's JSON-RPC client (node:net only).
export * from './node.ts';
export { startDaemon, buildMethodTable, type Daemon } from './rpc/daemon.ts';
export { RpcError, INVALID_PARAMS, type RpcMethod, type Notification, type NotifyLevel } from './rpc/types.ts';
export { rpcCall, rpcCallRaw, rpcSocketPath, DEFAULT_DATADIR, RPC_FILENAME, type RpcAnswer, type RpcCallOptions, type RpcErrorObject, type RpcNotification, type RpcRawAnswer } from './rpc/client.ts';
export { TestNetworkLedger, type LedgerTransfer, type PaymentBackend } from './payments/index.ts';
export type { Network } from './wire/chains.ts';
export { ManualClock, systemClock, type Clock } from './util/clock.ts';
export { createLogger, memorySink, type LogLevel, type LogSink, type Logger } from './util/log.ts';
export { deterministicRandom, secureRandom, type RandomSource } from './crypto/index.ts';
