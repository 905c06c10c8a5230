// Group commit: writes submitted in the same turn of the event loop are run together in one
// transaction, so N concurrent callers cost one fsync, not N. Each caller is answered only after
// the batch holding its write is committed (the backend settles them after COMMIT returns).
// Storage-agnostic: the backend supplies `runBatch`.

export class GroupCommitter<J> {
  private queue: J[] = [];
  private scheduled = false;

  constructor(
    /** Runs one batch in one transaction and settles every job in it (never throws). */
    private readonly runBatch: (jobs: J[]) => void,
    /** Largest batch per transaction (bounds the time the event loop is held). */
    private readonly maxBatch = 1024,
  ) {}

  push(job: J): void {
    this.queue.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      // setImmediate, not a microtask: callers whose continuations are still queued (after the
      // previous batch resolved them) get to submit their next write into this batch.
      setImmediate(() => this.flush());
    }
  }

  /** Run everything queued now (also used by close()). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) this.runBatch(this.queue.splice(0, this.maxBatch));
  }

  get pending(): number {
    return this.queue.length;
  }
}
