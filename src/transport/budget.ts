// The inbound connection budget, shared by the TCP and WebSocket listeners of one registry.
//
// A socket takes a pending slot at `accept`, before any WebSocket upgrade or BOLT 8 act, and
// gives it back when the peer's `init` is accepted or the socket closes. Slots are bounded in total
// (maxPendingConnections) and per source (maxPendingPerSource), a source being an IPv4 address or
// an IPv6 /64 (what one subscriber usually gets; per address would let one host take 2^64 slots).
//
// When the total is full, a newcomer is not simply refused: if its source has fewer pending
// connections than the fullest source, the fullest source's OLDEST pending connection is evicted
// to make room. A flood from a few sources then only pushes out its own connections, and a peer
// from a quiet source still gets a slot. (A flood spread over more sources than there are slots
// still evicts its own: a good peer is at risk only once it is the oldest of all, which takes
// maxPendingConnections newer arrivals; its handshake must finish before that.)
import { isIPv4, isIPv6 } from 'node:net';

/** The key that pending connections are counted by: an IPv4 address, or the /64 of an IPv6 one. */
export function sourceKey(ip: string | undefined): string {
  if (ip === undefined || ip === '') return '?';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip); // IPv4-mapped (dual-stack listener)
  if (mapped) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  const bare = ip.replace(/%.*$/, ''); // zone id (fe80::1%eth0)
  if (!isIPv6(bare)) return ip;
  const groups = expandIPv6(bare);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (lower-case hex without leading zeros). */
function expandIPv6(ip: string): string[] {
  const toGroups = (part: string): string[] => {
    if (part === '') return [];
    const out: string[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const b = g.split('.').map(Number);
        out.push(((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16));
      } else out.push(parseInt(g, 16).toString(16));
    }
    return out;
  };
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = toGroups(head);
  if (tail === undefined) return h;
  const t = toGroups(tail);
  return [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
}

export type RefusalReason = 'per-source cap' | 'total cap' | 'descriptor high-water';

/** A pending inbound connection's place in the budget. */
export interface PendingSlot {
  readonly source: string;
  /** Called (once) when the slot is evicted for a newcomer; it must close the connection. */
  onEvict: (reason: string) => void;
  /** Give the slot back (`init` accepted, or the socket closed). Idempotent. */
  release(): void;
  readonly released: boolean;
}

class Slot implements PendingSlot {
  released = false;
  onEvict: (reason: string) => void = () => undefined;
  constructor(
    private readonly owner: ConnectionBudget,
    readonly source: string,
    readonly seq: number,
  ) {}
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.forget(this);
  }
}

export type Admission = { slot: PendingSlot; evicted?: string } | { refused: RefusalReason };

export class ConnectionBudget {
  /** Pending slots by source, each Set in arrival order (oldest first). */
  private readonly bySource = new Map<string, Set<Slot>>();
  private total = 0;
  private seq = 0;

  constructor(private readonly limits: { readonly maxPendingConnections: number; readonly maxPendingPerSource: number }) {}

  /** Pending connections now, in total. */
  get pending(): number {
    return this.total;
  }

  /** Pending connections now from the source of `ip`. */
  pendingFrom(ip: string | undefined): number {
    return this.bySource.get(sourceKey(ip))?.size ?? 0;
  }

  /**
   * Take a slot for a socket from `ip`, evicting the oldest pending connection of the fullest
   * source when the total is full and that source has more pending than `ip`'s. `evicted` names
   * the source that lost a connection.
   */
  admit(ip: string | undefined): Admission {
    const key = sourceKey(ip);
    const mine = this.bySource.get(key)?.size ?? 0;
    if (mine >= this.limits.maxPendingPerSource) return { refused: 'per-source cap' };
    let evicted: string | undefined;
    if (this.total >= this.limits.maxPendingConnections) {
      const victim = this.oldestOfFullest();
      const theirs = victim ? this.bySource.get(victim.source)!.size : 0;
      if (!victim || theirs <= mine) return { refused: 'total cap' };
      const why = `evicted: ${this.total} connections pending (${theirs} from ${victim.source}), making room for one from a quieter source`;
      victim.release();
      evicted = victim.source;
      try {
        victim.onEvict(why);
      } catch {
        /* the connection's own close path logs; never let it break the accept loop */
      }
    }
    const slot = new Slot(this, key, this.seq++);
    let set = this.bySource.get(key);
    if (!set) this.bySource.set(key, (set = new Set()));
    set.add(slot);
    this.total++;
    return evicted === undefined ? { slot } : { slot, evicted };
  }

  /** Evict every pending connection (the registry is closing). */
  evictAll(reason: string): void {
    const all: Slot[] = [];
    for (const set of this.bySource.values()) all.push(...set);
    for (const s of all) {
      s.release();
      try {
        s.onEvict(reason);
      } catch {
        /* as above */
      }
    }
  }

  /** @internal (Slot.release) */
  forget(s: Slot): void {
    const set = this.bySource.get(s.source);
    if (!set?.delete(s)) return;
    this.total--;
    if (set.size === 0) this.bySource.delete(s.source);
  }

  /** The oldest slot of the source with the most pending (ties: the source whose oldest is oldest). */
  private oldestOfFullest(): Slot | undefined {
    let best: Slot | undefined;
    let bestSize = 0;
    for (const set of this.bySource.values()) {
      const first = set.values().next().value as Slot;
      if (set.size > bestSize || (set.size === bestSize && best !== undefined && first.seq < best.seq)) {
        best = first;
        bestSize = set.size;
      }
    }
    return best;
  }
}
