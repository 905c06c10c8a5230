// Worker thread of bench/gossip-set.ts: runs one generation task per message and answers with
// its bytes (node ids, or length-prefixed framed messages).
import { parentPort } from 'node:worker_threads';
import { scaleFreeTopology, type Topology } from './gossip-topology.ts';
import { gossipSetChannels, gossipSetNodeIds, gossipSetNodes, type GossipSetTask } from './gossip-set.ts';

let topology: { key: string; t: Topology } | undefined;

parentPort!.on('message', (task: GossipSetTask) => {
  let out: Uint8Array;
  if (task.kind === 'nodeIds') out = gossipSetNodeIds(task.seed, task.from, task.to);
  else {
    const key = `${task.nodes}/${task.channels}/${task.seed}`;
    if (topology?.key !== key) topology = { key, t: scaleFreeTopology({ nodes: task.nodes, channels: task.channels, seed: task.seed }) };
    const o = { seed: task.seed, timestamp: task.timestamp };
    out = task.kind === 'channels' ? gossipSetChannels(o, topology.t, task.nodeIds, task.from, task.to) : gossipSetNodes(o, topology.t, task.nodeIds, task.from, task.to);
  }
  parentPort!.postMessage(out, [out.buffer as ArrayBuffer]);
});
