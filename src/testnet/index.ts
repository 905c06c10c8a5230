// Test networks, in this process (Testnet: typed Nodes) or as separate daemons (ProcessTestnet,
// what `bolt12d-testnet` runs), with topologies, announced channels and a shared ledger.
//
//   import { Testnet } from 'bolt12d';
//   const net = await Testnet.create({ nodes: 3, topology: 'line', gossip: true, payments: 'ledger' });
export { Testnet, TestnetError, testnetGossipLimits, type TestnetOptions } from './testnet.ts';
export { ProcessTestnet, daemonCommand, type ProcessNode, type ProcessTestnetOptions } from './processes.ts';
export { topologyEdges, parseTopology, joiningOrder, components, TopologyError, type Topology } from './topology.ts';
export { topologyGossip, ownGossip, testnetScid, type GossipNode, type TopologyGossip } from './gossip.ts';
export { LedgerServer, RemoteLedgerBackend } from './ledger-link.ts';
// The typed Node and its errors and events (src/rpc/api.ts), so this module alone is the library's test-network side.
export { Node, type NodeEvents, type NodeEventName, type CallOptions, type RpcApi, type RpcParams, type RpcResult } from '../rpc/api.ts';
export { RpcError, RPC_ERROR_CODES } from '../rpc/types.ts';
