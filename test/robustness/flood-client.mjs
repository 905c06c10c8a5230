// The attacker of connection-flood.test.ts, in its own process (as a real one would be: its
// sockets are not the daemon's descriptors, and it does not share the daemon's event loop).
//
//   node flood-client.mjs '<json>'   with json = { floods: [{ port, sources, send?, perSecond,
//                                     durationMs, maxTotal, maxOpen }], drainMs }
//
// Each flood opens plain TCP sockets to 127.0.0.1:port from its sources (round robin), at
// perSecond, for durationMs, at most maxTotal in all and maxOpen open at once; each sends `send`
// (if any) and then nothing, and reads whatever comes back. Once all floods have stopped opening,
// it waits up to drainMs for the daemon to close every socket, destroys the rest, and prints one
// JSON line per flood: opened, most open at once, how long the daemon held them (from connect
// to close: max, and how many longer than 1 s) and how many it had not closed by then.
import * as net from 'node:net';

const cfg = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function run(o) {
  const st = { opened: 0, open: 0, maxOpen: 0, connected: 0, held: 0, maxHeldMs: 0, left: 0, errors: 0 };
  const live = new Set();
  const t0 = Date.now();
  const done = (async () => {
    while (Date.now() - t0 < o.durationMs && st.opened < o.maxTotal) {
      const due = Math.min(o.maxTotal, Math.floor(((Date.now() - t0) * o.perSecond) / 1000));
      while (st.opened < due && st.open < o.maxOpen) {
        const sock = net.connect({ host: '127.0.0.1', port: o.port, localAddress: o.sources[st.opened % o.sources.length] });
        st.opened++;
        st.open++;
        st.maxOpen = Math.max(st.maxOpen, st.open);
        live.add(sock);
        let at = 0;
        sock.on('error', () => st.errors++);
        sock.once('connect', () => {
          at = Date.now();
          st.connected++;
          if (o.send) sock.write(o.send);
        });
        sock.resume();
        sock.once('close', () => {
          st.open--;
          live.delete(sock);
          if (at) {
            const ms = Date.now() - at;
            st.maxHeldMs = Math.max(st.maxHeldMs, ms);
            if (ms > 1000) st.held++;
          }
        });
      }
      await sleep(2);
    }
  })();
  return { st, live, done };
}

const runs = cfg.floods.map(run);
await Promise.all(runs.map((r) => r.done));
process.stdout.write(JSON.stringify({ event: 'stopped' }) + '\n');
const end = Date.now() + cfg.drainMs;
while (Date.now() < end && runs.some((r) => r.live.size > 0)) await sleep(20);
for (const r of runs) {
  r.st.left = r.live.size;
  for (const s of r.live) s.destroy();
}
process.stdout.write(JSON.stringify({ event: 'done', floods: runs.map((r) => r.st) }) + '\n');
