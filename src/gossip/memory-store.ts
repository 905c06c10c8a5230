// A gossip store that keeps messages in memory only: for nodes without a datadir (tests, test
// networks). Offsets are indexes; deleted slots are freed at once.
import type { GossipMessageStore } from './sync.ts';

export class MemoryGossipStore implements GossipMessageStore {
  private readonly msgs: (Uint8Array | undefined)[] = [];
  private live = 0;

  append(framed: Uint8Array): number {
    this.msgs.push(framed);
    this.live++;
    return this.msgs.length - 1;
  }

  read(offset: number): Uint8Array {
    const m = this.msgs[offset];
    if (!m) throw new RangeError(`no gossip message at ${offset}`);
    return m;
  }

  markDeleted(offset: number): void {
    if (this.msgs[offset]) {
      this.msgs[offset] = undefined;
      this.live--;
    }
  }

  get count(): number {
    return this.live;
  }
}
