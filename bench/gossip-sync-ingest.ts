// Gossip ingest through the node's own code: the whole mainnet-scale set of bench/gossip-set.ts
// taken in by `GossipSync` (the validation a peer's messages get: precheck, the graph's checks,
// signatures on the worker pool with batches in flight, the graph, and every accepted message
// appended to a real gossip store file), as a ratio of raw signature verification on the same
// pool measured in the same run (before and after). bench/gossip-ingest.ts measures the same
// pipeline rebuilt inline, with finer segments; this one checks the node's code path itself.
//
//   BENCH gossip-sync-ingest ratio=<msgs/s ÷ bound msgs/s> target=0.8 seconds=<s> rss_mb=<peak> cpu_ratio=<r>
//   (cpu_ratio: verification's share of the ingest's CPU time, the ratio an idle machine would show)
import { availableParallelism } from 'node:os';
import { loadOrGenerateGossipSet } from './gossip-set.ts';
import { boundRate, boundSample } from './gossip-ingest.ts';
import { tempDir } from './_tmp.ts';
import { ChannelGraph } from '../src/gossip/graph.ts';
import { GossipSync } from '../src/gossip/sync.ts';
import { openGossipStore } from '../src/gossip/store.ts';
import { GossipSignatureVerifier } from '../src/gossip/gossip-verify-pool.ts';
import { ManualClock } from '../src/util/clock.ts';
import { createLogger } from '../src/util/log.ts';

export async function run(): Promise<void> {
  const threads = availableParallelism();
  const set = await loadOrGenerateGossipSet({ nodes: 20_000, channels: 80_000, seed: 1 });
  const ctx = { chainHash: set.chainHash, now: set.timestamp };
  const sample = boundSample(set.messages, ctx);
  const pool = new GossipSignatureVerifier({ threads });
  await pool.verify(sample.slice(0, 256 * threads));
  const before = await boundRate(pool, sample);
  const dir = tempDir('bolt12d-bench-sync-');
  const store = openGossipStore(dir);
  const graph = new ChannelGraph();
  graph.reserve(80_000, 20_000);
  const sync = new GossipSync({
    chainHash: set.chainHash,
    graph,
    store,
    clock: new ManualClock(set.timestamp + 60),
    logger: createLogger({ level: 'error' }),
    verify: async (batch) => {
      const flat = await pool.verify(batch.flat());
      let k = 0;
      return batch.map((checks) => checks.every(() => flat[k++]!));
    },
    verifyConcurrency: 2 * threads,
  });
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sync.ingest(set.messages);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  clearInterval(rssTimer);
  const after = await boundRate(pool, sample);
  const st = sync.stats();
  const sigs = 4 * st.accepted.channel_announcement + st.accepted.channel_update + st.accepted.node_announcement;
  const boundSigsPerS = (before.rate + after.rate) / 2;
  const boundMsgsPerS = (boundSigsPerS * set.messages.length) / sigs;
  const msgsPerS = set.messages.length / seconds;
  // The share of the ingest's CPU (all threads) that raw verification of its signatures would
  // take: the ratio on an otherwise idle machine, whatever else runs beside this benchmark.
  const cpuRatio = (((before.cpuUs + after.cpuUs) / 2) * sigs) / (cpu.user + cpu.system);
  const rejected = Object.entries(st.rejected).filter(([, v]) => v > 0);
  sync.close();
  store.close();
  await pool.close();
  console.log(
    `BENCH gossip-sync-ingest ratio=${(msgsPerS / boundMsgsPerS).toFixed(3)} target=0.8 seconds=${seconds.toFixed(2)} rss_mb=${Math.round(peakRss / 2 ** 20)} cpu_ratio=${cpuRatio.toFixed(3)} cpu_s=${((cpu.user + cpu.system) / 1e6).toFixed(2)} ` +
      `msgs_per_s=${Math.round(msgsPerS)} bound_msgs_per_s=${Math.round(boundMsgsPerS)} bound_sigs_per_s=${Math.round(before.rate)}/${Math.round(after.rate)} threads=${threads} ` +
      `channels=${st.channels} nodes=${st.nodes} accepted=${st.accepted.channel_announcement}/${st.accepted.channel_update}/${st.accepted.node_announcement} rejected=${rejected.length ? rejected.map(([k, v]) => `${k}:${v}`).join(',') : 'none'} store_records=${store.counts().live}`,
  );
}
