// BOLT 7 gossip queries, the arithmetic: how our `reply_channel_range` answers tile the block range
// a peer asked for, and which short_channel_ids of a peer's answers we lack. Pure: no graph, no I/O.
import { QUERY_FLAG, type UpdatePair } from '../wire/index.ts';

/** The block height of a short_channel_id (BOLT 7: its first 3 bytes). */
export function scidBlock(scid: bigint): number {
  return Number(scid >> 40n);
}

/** One `reply_channel_range` of an answer: `[from, to)` indexes into the sorted scids it carries. */
export interface RangeReplyPlan {
  firstBlocknum: number;
  numberOfBlocks: number;
  syncComplete: 0 | 1;
  from: number;
  to: number;
}

/** The exclusive end block of a query, clamped to u32 (first + number may pass 2^32). */
export function rangeEnd(firstBlocknum: number, numberOfBlocks: number): number {
  return Math.min(firstBlocknum + numberOfBlocks, 0x1_0000_0000);
}

/**
 * Split the answer to `query_channel_range(first, number)` into replies of at most `perReply`
 * scids (`blocks[i]` is the block of the i-th scid, ascending, all inside the range). BOLT 7, the
 * receiver:
 * - "the first `reply_channel_range` message: MUST set `first_blocknum` less than or equal to the
 *   `first_blocknum` in `query_channel_range`" and "plus `number_of_blocks` greater than" it: the
 *   first reply starts at the query's first block;
 * - "successive `reply_channel_range` message: MUST have `first_blocknum` equal or greater than
 *   the previous `first_blocknum`": each next reply starts at the block of its first scid; "MAY
 *   split block contents across multiple `reply_channel_range`", so a block cut in two is covered
 *   by both replies;
 * - "the final `reply_channel_range` message: MUST have `first_blocknum` plus `number_of_blocks`
 *   equal or greater than the `query_channel_range` `first_blocknum` plus `number_of_blocks`" and
 *   "MUST set `sync_complete` to `false` if this is not the final `reply_channel_range`".
 */
export function planRangeReplies(firstBlocknum: number, numberOfBlocks: number, blocks: ArrayLike<number>, perReply: number): RangeReplyPlan[] {
  if (perReply < 1) throw new RangeError('perReply must be at least 1');
  const end = rangeEnd(firstBlocknum, numberOfBlocks);
  const n = blocks.length;
  if (n === 0) return [{ firstBlocknum, numberOfBlocks: end - firstBlocknum, syncComplete: 1, from: 0, to: 0 }];
  const out: RangeReplyPlan[] = [];
  let start = firstBlocknum;
  for (let from = 0; from < n; from += perReply) {
    const to = Math.min(from + perReply, n);
    if (to === n) {
      out.push({ firstBlocknum: start, numberOfBlocks: end - start, syncComplete: 1, from, to });
      break;
    }
    const next = blocks[to]!;
    // The block the next reply starts in is covered by this one too when it is split.
    const last = next === blocks[to - 1]! ? next + 1 : next;
    out.push({ firstBlocknum: start, numberOfBlocks: Math.max(1, last - start), syncComplete: 0, from, to });
    start = next;
  }
  return out;
}

/** What we know of one channel, for deciding what to ask a peer for. */
export interface KnownChannel {
  /** Timestamps of our channel_updates per direction (0: none). */
  timestamp1: number;
  timestamp2: number;
  /** Checksums of our channel_updates per direction (0: none). */
  checksum1: number;
  checksum2: number;
}

/**
 * The `query_flags` to ask for one scid of a peer's `reply_channel_range` (0: nothing to ask).
 * Unknown channel: everything (announcement, both updates, both node announcements). Known: an
 * update direction whose timestamp the peer says is newer than ours, unless the checksums say the
 * content is the same (BOLT 7: checksums "only ask for `channel_update` messages that carry
 * different information from the ones you already have").
 */
export function wantedFlags(known: KnownChannel | undefined, ts?: UpdatePair, cs?: UpdatePair): number {
  if (!known) {
    return QUERY_FLAG.channel_announcement | QUERY_FLAG.channel_update_1 | QUERY_FLAG.channel_update_2 | QUERY_FLAG.node_announcement_1 | QUERY_FLAG.node_announcement_2;
  }
  if (!ts) return 0;
  let f = 0;
  if (ts.nodeId1 > known.timestamp1 && !(cs && cs.nodeId1 !== 0 && cs.nodeId1 === known.checksum1)) f |= QUERY_FLAG.channel_update_1;
  if (ts.nodeId2 > known.timestamp2 && !(cs && cs.nodeId2 !== 0 && cs.nodeId2 === known.checksum2)) f |= QUERY_FLAG.channel_update_2;
  return f;
}
