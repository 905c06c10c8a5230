// The body of a GossipSignatureVerifier worker thread (gossip-verify-pool.ts starts it). It imports
// src/crypto only: it receives batches of packed ECDSA records (digest 32 || pubkey 33 ||
// signature 64) as transferred buffers and answers with one byte per record (1: verifies).
import { parentPort, workerData } from 'node:worker_threads';
import { useSecp256k1Backend, verifyEcdsaPacked, type Secp256k1BackendChoice } from '../crypto/secp256k1.ts';

interface Job {
  id: number;
  records: ArrayBuffer;
  count: number;
}

const { backend } = workerData as { backend: Secp256k1BackendChoice };
useSecp256k1Backend(backend);

parentPort!.on('message', (job: Job) => {
  const out = new Uint8Array(job.count);
  verifyEcdsaPacked(new Uint8Array(job.records), job.count, out);
  // The records go back too, so the pool can reuse the buffer for its next batch.
  parentPort!.postMessage({ id: job.id, results: out.buffer, records: job.records }, [out.buffer, job.records]);
});
