// Restart load time of the persisted graph: the mainnet-scale signed gossip set
// (bench/gossip-set.ts: 20k node_announcements, 80k channel_announcements, 160k channel_updates)
// is written to a gossip store as ingest would (each message appended, and for a tenth of the
// channels a newer channel_update replacing the older one, which is marked deleted), the store is
// closed, and then timed: openGossipStore (read the file, check every record's CRC) + loadGraph
// into an empty graph (no signature checks).
//
//   gossip-restart  seconds = open + load, best of ROUNDS (target < 2 s; Core Lightning's Python
//                   gossmap loads 15k nodes / 75k channels in 7.3 s)
//
// Run alone: node --import tsx bench/gossip-restart.ts
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ChannelGraph } from '../src/gossip/graph.ts';
import { loadGraph, openGossipStore } from '../src/gossip/store.ts';
import { CHAIN_HASH } from '../src/wire/index.ts';
import { loadOrGenerateGossipSet } from './gossip-set.ts';

const ROUNDS = 3;

export async function run(): Promise<void> {
  const set = await loadOrGenerateGossipSet({ nodes: 20_000, channels: 80_000, seed: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'bolt12d-bench-restart-'));
  try {
    // Write the store as ingest does: every message appended in the order a peer sends them.
    const w = openGossipStore(dir, { flushIntervalMs: 0 });
    for (const m of set.messages) w.append(m, set.timestamp);
    w.close();
    {
      // churn: a newer update for every tenth channel (one update in twenty), replacing (deleting) the first one
      const s = openGossipStore(dir, { flushIntervalMs: 0 });
      let k = 0;
      for (const rec of [...s.records()]) {
        const type = (rec.message[0]! << 8) | rec.message[1]!;
        if (type !== 258 || k++ % 20 !== 0) continue;
        const m = rec.message.slice();
        const dv = new DataView(m.buffer);
        dv.setUint32(106, dv.getUint32(106) + 60); // timestamp + 1 min (signature now stale: loading checks none)
        s.append(m, set.timestamp);
        s.markDeleted(rec.offset);
      }
      s.close();
    }
    const bytes = statSync(join(dir, 'gossip_store')).size;
    let best = Infinity;
    let openMs = 0;
    let loadMs = 0;
    let g: ChannelGraph | undefined;
    for (let r = 0; r < ROUNDS; r++) {
      g = undefined;
      const t0 = performance.now();
      const s = openGossipStore(dir, { flushIntervalMs: 0, compactMinBytes: Number.MAX_SAFE_INTEGER });
      const t1 = performance.now();
      const graph = new ChannelGraph();
      loadGraph(s, graph, { chainHash: CHAIN_HASH.mainnet });
      const t2 = performance.now();
      s.close();
      if (t2 - t0 < best) {
        best = t2 - t0;
        openMs = t1 - t0;
        loadMs = t2 - t1;
      }
      g = graph;
    }
    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log(
      `BENCH gossip-restart seconds=${(best / 1000).toFixed(3)} target=2 open_ms=${openMs.toFixed(0)} load_ms=${loadMs.toFixed(0)} ` +
        `channels=${g!.channelCount} nodes=${g!.nodeCount} announced_nodes=${g!.announcedNodeCount} file_mb=${(bytes / 2 ** 20).toFixed(1)} ` +
        `records=${set.messages.length} rss_mb=${rss.toFixed(0)} rounds=${ROUNDS}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
