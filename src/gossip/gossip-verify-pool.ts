// A pool of worker threads that verify gossip signatures: the cost of gossip ingest (a mainnet
// graph carries ~500k ECDSA signatures, ~60 µs each natively), spread over the machine's cores.
//
//   const verifier = new GossipSignatureVerifier();          // one worker per core
//   const ok = await verifier.verifyMessages(prechecked.map((p) => ({ p, signer })));
//   ...
//   await verifier.close();
//
// Checks travel in batches (`batchSize` signatures per message to a worker), packed into one
// transferred buffer of 129-byte records, so the cost of postMessage is paid per batch, not per
// signature. Callers keep several batches in flight to keep every worker busy; the pool queues
// them on the worker with the least outstanding work. The workers import src/crypto only.
//
// When workers cannot run (threads: 0, or a worker died), verification runs on the calling thread
// through the same src/crypto functions: slower, never wrong.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ECDSA_RECORD_LEN, currentSecp256k1Backend, verifyEcdsa, type Secp256k1BackendChoice } from '../crypto/index.ts';
import { signatureChecks, type Prechecked, type SignatureCheck } from './verify.ts';

export interface GossipVerifierOptions {
  /** Worker threads (default: the number of cores, `os.availableParallelism()`); 0 verifies inline. */
  threads?: number;
  /** Signatures per batch sent to a worker (default 256). */
  batchSize?: number;
  /** secp256k1 back-end of the workers (default: the one this thread uses now). */
  backend?: Secp256k1BackendChoice;
}

interface Pending {
  resolve: (r: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Signatures sent and not yet answered. */
  load: number;
  jobs: Map<number, Pending & { count: number }>;
}

/**
 * Starts a worker on the sibling worker file: the compiled `.js` in a package, the `.ts` source
 * through tsx when running from the sources. Node 20's module hooks do not reach worker threads
 * (neither an inherited `--import tsx` nor `register()` inside the worker makes `.ts` loadable), so
 * the source worker goes through tsx's CommonJS require hook, which does.
 */
function startWorker(backend: Secp256k1BackendChoice): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./gossip-verify-worker.js', here), { workerData: { backend } });
  const tsxCjs = createRequire(here).resolve('tsx/cjs/api');
  const file = fileURLToPath(new URL('./gossip-verify-worker.ts', here));
  const code = `require(${JSON.stringify(tsxCjs)}).register(); require(${JSON.stringify(file)});`;
  return new Worker(code, { eval: true, workerData: { backend } });
}

export class GossipSignatureVerifier {
  readonly threads: number;
  readonly batchSize: number;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** Buffers returned by the workers, reused for the next batches (bounded). */
  private readonly spare: ArrayBuffer[] = [];

  constructor(opts: GossipVerifierOptions = {}) {
    this.threads = Math.max(0, Math.floor(opts.threads ?? availableParallelism()));
    this.batchSize = Math.max(1, Math.floor(opts.batchSize ?? 256));
    const backend = opts.backend ?? currentSecp256k1Backend();
    for (let i = 0; i < this.threads; i++) {
      const worker = startWorker(backend);
      const slot: Slot = { worker, load: 0, jobs: new Map() };
      worker.on('message', (m: { id: number; results: ArrayBuffer; records: ArrayBuffer }) => {
        const job = slot.jobs.get(m.id);
        if (!job) return;
        slot.jobs.delete(m.id);
        slot.load -= job.count;
        if (slot.jobs.size === 0) worker.unref();
        if (this.spare.length < 4 * this.threads + 4) this.spare.push(m.records);
        job.resolve(new Uint8Array(m.results));
      });
      const fail = (e: Error) => {
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        for (const job of slot.jobs.values()) job.reject(e);
        slot.jobs.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`gossip verification worker exited (code ${code})`)));
      worker.unref(); // referenced only while it has work, so an idle pool never keeps the process alive
      this.slots.push(slot);
    }
  }

  /** Workers alive (fewer than `threads` after a worker died; 0 → inline verification). */
  get liveWorkers(): number {
    return this.slots.length;
  }

  /** One boolean per check: whether `signature` of `digest` by `pubkey` verifies. */
  async verify(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    if (this.closed) throw new Error('GossipSignatureVerifier is closed');
    const parts: Promise<Uint8Array>[] = [];
    for (let i = 0; i < checks.length; i += this.batchSize) parts.push(this.batch(checks, i, Math.min(checks.length, i + this.batchSize)));
    const results = await Promise.all(parts);
    const out: boolean[] = new Array(checks.length);
    let k = 0;
    for (const r of results) for (let j = 0; j < r.length; j++) out[k++] = r[j] === 1;
    return out;
  }

  /**
   * One boolean per message: whether all its signatures verify. `signer` is required for
   * channel_updates (node_id_1 or node_id_2 of the channel, by direction; see channelUpdateSigner).
   */
  async verifyMessages(items: readonly { p: Prechecked; signer?: Uint8Array }[]): Promise<boolean[]> {
    const checks: SignatureCheck[] = [];
    const counts: number[] = [];
    for (const { p, signer } of items) {
      const c = signatureChecks(p, signer);
      counts.push(c.length);
      for (const x of c) checks.push(x);
    }
    const r = await this.verify(checks);
    const out: boolean[] = new Array(items.length);
    let k = 0;
    for (let i = 0; i < items.length; i++) {
      let ok = true;
      for (let j = 0; j < counts[i]!; j++) ok = r[k++]! && ok;
      out[i] = ok;
    }
    return out;
  }

  private batch(checks: readonly SignatureCheck[], from: number, to: number): Promise<Uint8Array> {
    const count = to - from;
    const slot = this.leastLoaded();
    if (!slot) return Promise.resolve(verifyInline(checks, from, to));
    const need = count * ECDSA_RECORD_LEN;
    let buf: ArrayBuffer | undefined;
    while (this.spare.length > 0 && !buf) {
      const b = this.spare.pop()!;
      if (b.byteLength >= need) buf = b;
    }
    const records = new Uint8Array(buf ?? new ArrayBuffer(Math.max(need, this.batchSize * ECDSA_RECORD_LEN)));
    for (let i = from, o = 0; i < to; i++, o += ECDSA_RECORD_LEN) {
      const c = checks[i]!;
      // Anything not of the record's sizes cannot verify: leave zeros, which never do.
      if (c.digest.length === 32 && c.pubkey.length === 33 && c.signature.length === 64) {
        records.set(c.digest, o);
        records.set(c.pubkey, o + 32);
        records.set(c.signature, o + 65);
      } else records.fill(0, o, o + ECDSA_RECORD_LEN);
    }
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      if (slot.jobs.size === 0) slot.worker.ref();
      slot.jobs.set(id, { resolve, reject, count });
      slot.load += count;
      slot.worker.postMessage({ id, records: records.buffer, count }, [records.buffer]);
    }).catch(() => verifyInline(checks, from, to)); // a worker died: do it here
  }

  private leastLoaded(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.load < best.load) best = s;
    return best;
  }

  /** Stop the workers; batches still queued are verified inline. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

function verifyInline(checks: readonly SignatureCheck[], from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  for (let i = from; i < to; i++) {
    const c = checks[i]!;
    out[i - from] = verifyEcdsa(c.digest, c.pubkey, c.signature) ? 1 : 0;
  }
  return out;
}
