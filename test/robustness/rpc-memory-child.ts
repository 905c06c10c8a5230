// A daemon in its own process, for test/robustness/rpc-memory.test.ts: its memory is measured
// alone (not mixed with vitest's). Started with --expose-gc; answers `{ gc }` IPC messages with
// process.memoryUsage() (after a full collection when asked).
import { startDaemon } from '../../src/rpc/daemon.ts';

const datadir = process.argv[2]!;
const d = await startDaemon({ datadir, port: 0, wsPort: null, logLevel: 'warn' });
const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (m: { gc?: boolean; stop?: boolean }) => {
  if (m.stop) {
    void d.shutdown().then(() => process.exit(0));
    return;
  }
  if (m.gc && gc) {
    gc();
    gc();
  }
  process.send!({ mem: process.memoryUsage() });
});
process.send!({ ready: d.rpcPath });
