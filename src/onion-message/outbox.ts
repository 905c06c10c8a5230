// Bounded outbound queues, one per peer, in two priorities: our own messages (never dropped once
// queued; `send` refuses when the peer's queue is full) and forwards (dropped oldest-first when the
// global byte budget for forwarding is exceeded, or when they have waited too long). The messenger
// drains each queue at the peer's pace.

/** One queued `onion_message` (the encoded message payload, ready for `peer.send`). */
export interface QueuedMessage {
  readonly peerKey: string;
  readonly payload: Uint8Array;
  readonly own: boolean;
  readonly enqueuedAt: number;
  /** Set once sent or dropped; the entry is skipped lazily by the FIFOs that still hold it. */
  done: boolean;
}

/** A FIFO with O(1) push and shift. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
  /** Keep only the items matching `keep` (used to purge entries already sent or dropped). */
  retain(keep: (x: T) => boolean): void {
    const next: T[] = [];
    for (let i = this.head; i < this.items.length; i++) if (keep(this.items[i]!)) next.push(this.items[i]!);
    this.items = next;
    this.head = 0;
  }
}

interface PeerQueues {
  own: Fifo<QueuedMessage>;
  fwd: Fifo<QueuedMessage>;
  ownCount: number;
  fwdCount: number;
  fwdBytes: number;
}

export interface OutboxLimits {
  /** Our own messages queued per peer (beyond: `send` fails with `queue_full`). */
  maxOwnPerPeer: number;
  /** Bytes of forwards queued across all peers (beyond: the oldest forward is dropped). */
  maxForwardBytes: number;
  /** Bytes of forwards queued for one peer (beyond: that peer's oldest forward is dropped). */
  maxForwardBytesPerPeer: number;
}

export class Outbox {
  private readonly peers = new Map<string, PeerQueues>();
  /** Every queued forward in arrival order, for oldest-first eviction across peers. */
  private readonly fwdOrder = new Fifo<QueuedMessage>();
  private fwdBytes = 0;
  private fwdLive = 0;

  constructor(private readonly limits: OutboxLimits) {}

  private q(peerKey: string): PeerQueues {
    let q = this.peers.get(peerKey);
    if (!q) {
      q = { own: new Fifo(), fwd: new Fifo(), ownCount: 0, fwdCount: 0, fwdBytes: 0 };
      this.peers.set(peerKey, q);
    }
    return q;
  }

  /** Queue one of our own messages; false when the peer's own queue is full. */
  enqueueOwn(peerKey: string, payload: Uint8Array, now: number): boolean {
    const q = this.q(peerKey);
    if (q.ownCount >= this.limits.maxOwnPerPeer) return false;
    q.own.push({ peerKey, payload, own: true, enqueuedAt: now, done: false });
    q.ownCount++;
    return true;
  }

  /**
   * Queue a forward; returns how many queued forwards were evicted to make room (oldest first,
   * first within the peer's own budget, then across all peers). A message larger than a budget is
   * refused outright (returns -1).
   */
  enqueueForward(peerKey: string, payload: Uint8Array, now: number): number {
    if (payload.length > this.limits.maxForwardBytesPerPeer || payload.length > this.limits.maxForwardBytes) return -1;
    const q = this.q(peerKey);
    let evicted = 0;
    while (q.fwdBytes + payload.length > this.limits.maxForwardBytesPerPeer) {
      const old = this.shiftLive(q.fwd);
      if (!old) break;
      this.finishForward(old);
      evicted++;
    }
    while (this.fwdBytes + payload.length > this.limits.maxForwardBytes) {
      const old = this.shiftLive(this.fwdOrder);
      if (!old) break;
      this.finishForward(old);
      evicted++;
    }
    const m: QueuedMessage = { peerKey, payload, own: false, enqueuedAt: now, done: false };
    q.fwd.push(m);
    this.fwdOrder.push(m);
    q.fwdCount++;
    this.fwdLive++;
    q.fwdBytes += payload.length;
    this.fwdBytes += payload.length;
    this.compact(q);
    return evicted;
  }

  /** Entries evicted through one FIFO linger in the other until shifted: purge them when they pile up. */
  private compact(q: PeerQueues): void {
    if (q.fwd.length > 2 * q.fwdCount + 64) q.fwd.retain((m) => !m.done);
    if (this.fwdOrder.length > 2 * this.fwdLive + 64) this.fwdOrder.retain((m) => !m.done);
  }

  private shiftLive(f: Fifo<QueuedMessage>): QueuedMessage | undefined {
    for (;;) {
      const m = f.shift();
      if (!m) return undefined;
      if (!m.done) return m;
    }
  }

  private finishForward(m: QueuedMessage): void {
    if (m.done) return;
    m.done = true;
    const q = this.peers.get(m.peerKey);
    if (q) {
      q.fwdCount--;
      q.fwdBytes -= m.payload.length;
    }
    this.fwdBytes -= m.payload.length;
    this.fwdLive--;
  }

  /** The next message for a peer (own first), removed from the queue. */
  take(peerKey: string): QueuedMessage | undefined {
    const q = this.peers.get(peerKey);
    if (!q) return undefined;
    const own = this.shiftLive(q.own);
    if (own) {
      own.done = true;
      q.ownCount--;
      return own;
    }
    const f = this.shiftLive(q.fwd);
    if (f) {
      this.finishForward(f);
      return f;
    }
    return undefined;
  }

  /** True when the peer has anything queued. */
  has(peerKey: string): boolean {
    const q = this.peers.get(peerKey);
    return !!q && q.ownCount + q.fwdCount > 0;
  }

  /** Drop forwards older than `maxAge` seconds; returns the count. */
  expireForwards(now: number, maxAge: number): number {
    let n = 0;
    for (;;) {
      const m = this.fwdOrder.peek();
      if (!m) break;
      if (m.done) {
        this.fwdOrder.shift();
        continue;
      }
      if (now - m.enqueuedAt <= maxAge) break;
      this.fwdOrder.shift();
      this.finishForward(m);
      n++;
    }
    return n;
  }

  /** Remove a peer's queues; returns how many of each kind were dropped. */
  dropPeer(peerKey: string): { own: number; fwd: number } {
    const q = this.peers.get(peerKey);
    if (!q) return { own: 0, fwd: 0 };
    const res = { own: q.ownCount, fwd: q.fwdCount };
    for (const m of q.own) m.done = true;
    for (const m of q.fwd) this.finishForward(m);
    this.peers.delete(peerKey);
    return res;
  }

  peerKeys(): string[] {
    return [...this.peers.keys()].filter((k) => this.has(k));
  }

  /** Sizes, for stats. */
  sizes(peerKey?: string): { own: number; fwd: number; fwdBytes: number } {
    if (peerKey !== undefined) {
      const q = this.peers.get(peerKey);
      return q ? { own: q.ownCount, fwd: q.fwdCount, fwdBytes: q.fwdBytes } : { own: 0, fwd: 0, fwdBytes: 0 };
    }
    let own = 0;
    let fwd = 0;
    for (const q of this.peers.values()) {
      own += q.ownCount;
      fwd += q.fwdCount;
    }
    return { own, fwd, fwdBytes: this.fwdBytes };
  }

  /** Forget empty peer entries (bounded map). */
  prune(): void {
    for (const [k, q] of this.peers) if (q.ownCount + q.fwdCount === 0) this.peers.delete(k);
  }
}
