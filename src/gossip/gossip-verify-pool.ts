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
import { ECDSA_RECORD_LEN, currentSecp256k1Backend, verifyEcdsa, verifyEcdsaPacked, type Secp256k1BackendChoice } from '../crypto/index.ts';
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
  // A worker holds a batch or two at a time: a small young generation keeps its heap (and the
  // process's RSS) small; the old generation limit is far above what it keeps.
  const resourceLimits = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 };
  if (!here.endsWith('.ts')) return new Worker(new URL('./gossip-verify-worker.js', here), { workerData: { backend }, resourceLimits });
  const tsxCjs = createRequire(here).resolve('tsx/cjs/api');
  const file = fileURLToPath(new URL('./gossip-verify-worker.ts', here));
  const code = `require(${JSON.stringify(tsxCjs)}).register(); require(${JSON.stringify(file)});`;
  return new Worker(code, { eval: true, workerData: { backend }, resourceLimits });
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
    for (let i = 0; i < checks.length; i += this.batchSize) {
      const to = Math.min(checks.length, i + this.batchSize);
      const records = this.records(to - i);
      for (let k = i; k < to; k++) packRecord(records, k - i, checks[k]!.digest, checks[k]!.pubkey, checks[k]!.signature);
      parts.push(this.submit(records, to - i, () => verifyChecksInline(checks, i, to)));
    }
    const results = await Promise.all(parts);
    const out: boolean[] = new Array(checks.length);
    let k = 0;
    for (const r of results) for (let j = 0; j < r.length; j++) out[k++] = r[j] === 1;
    return out;
  }

  /**
   * One boolean per message: whether all its signatures verify. `signer` is required for
   * channel_updates (node_id_1 or node_id_2 of the channel, by direction; see channelUpdateSigner).
   * The signatures are packed before this returns: the caller may reuse or drop `items` at once.
   */
  verifyMessages(items: readonly { p: Prechecked; signer?: Uint8Array }[]): Promise<boolean[]> {
    if (this.closed) return Promise.reject(new Error('GossipSignatureVerifier is closed'));
    const counts = new Uint8Array(items.length);
    const parts: Promise<Uint8Array>[] = [];
    let records = this.records(this.batchSize);
    let n = 0;
    // Should a worker die, its batch is packed again and verified here (the original was transferred).
    let first = 0; // index of the record's position in the whole list of this call's signatures
    let total = 0;
    const fallback = (from: number, count: number) => () => {
      const all = packAll(items);
      return verifyPackedInline(all.subarray(from * ECDSA_RECORD_LEN), count);
    };
    const add = (digest: Uint8Array, pubkey: Uint8Array, signature: Uint8Array) => {
      if (n === this.batchSize) {
        parts.push(this.submit(records, n, fallback(first, n)));
        records = this.records(this.batchSize);
        first = total;
        n = 0;
      }
      packRecord(records, n++, digest, pubkey, signature);
      total++;
    };
    items.forEach(({ p, signer }, i) => {
      const h = p.signedHash;
      if (p.kind === 'channel_announcement') {
        const m = p.msg;
        add(h, m.nodeId1, m.nodeSignature1);
        add(h, m.nodeId2, m.nodeSignature2);
        add(h, m.bitcoinKey1, m.bitcoinSignature1);
        add(h, m.bitcoinKey2, m.bitcoinSignature2);
        counts[i] = 4;
      } else if (p.kind === 'node_announcement') {
        add(h, p.msg.nodeId, p.msg.signature);
        counts[i] = 1;
      } else {
        if (!signer) throw new RangeError('channel_update: the signer (node_id_1 or node_id_2 of its channel_announcement) is required');
        add(h, signer, p.msg.signature);
        counts[i] = 1;
      }
    });
    if (n > 0) parts.push(this.submit(records, n, fallback(first, n)));
    return Promise.all(parts).then((results) => {
      const out: boolean[] = new Array(items.length);
      let part = 0;
      let j = 0;
      for (let i = 0; i < counts.length; i++) {
        let ok = true;
        for (let c = 0; c < counts[i]!; c++) {
          if (j === results[part]!.length) {
            part++;
            j = 0;
          }
          ok = results[part]![j++] === 1 && ok;
        }
        out[i] = ok;
      }
      return out;
    });
  }

  /** A records buffer for `count` signatures (a spare one returned by a worker when it fits). */
  private records(count: number): Uint8Array {
    const need = count * ECDSA_RECORD_LEN;
    while (this.spare.length > 0) {
      const b = this.spare.pop()!;
      if (b.byteLength >= need) return new Uint8Array(b);
    }
    return new Uint8Array(Math.max(need, this.batchSize * ECDSA_RECORD_LEN));
  }

  /** Verify `count` packed records on the least-loaded worker (inline when none is left). */
  private submit(records: Uint8Array, count: number, fallback: () => Uint8Array): Promise<Uint8Array> {
    const slot = this.leastLoaded();
    if (!slot) return Promise.resolve(verifyPackedInline(records, count));
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      if (slot.jobs.size === 0) slot.worker.ref();
      slot.jobs.set(id, { resolve, reject, count });
      slot.load += count;
      slot.worker.postMessage({ id, records: records.buffer, count }, [records.buffer as ArrayBuffer]);
    }).catch(fallback);
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

/** Writes record `i`: digest 32 || pubkey 33 || signature 64; wrong sizes leave zeros, which never verify. */
function packRecord(records: Uint8Array, i: number, digest: Uint8Array, pubkey: Uint8Array, signature: Uint8Array): void {
  const o = i * ECDSA_RECORD_LEN;
  if (digest.length === 32 && pubkey.length === 33 && signature.length === 64) {
    records.set(digest, o);
    records.set(pubkey, o + 32);
    records.set(signature, o + 65);
  } else records.fill(0, o, o + ECDSA_RECORD_LEN);
}

/** Every signature of `items`, packed in order (the fallback when a worker died). */
function packAll(items: readonly { p: Prechecked; signer?: Uint8Array }[]): Uint8Array {
  const checks = items.flatMap(({ p, signer }) => signatureChecks(p, signer));
  const out = new Uint8Array(checks.length * ECDSA_RECORD_LEN);
  checks.forEach((c, i) => packRecord(out, i, c.digest, c.pubkey, c.signature));
  return out;
}

function verifyChecksInline(checks: readonly SignatureCheck[], from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = verifyEcdsa(checks[i]!.digest, checks[i]!.pubkey, checks[i]!.signature) ? 1 : 0;
  return out;
}

function verifyPackedInline(records: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  verifyEcdsaPacked(records, count, out);
  return out;
}
