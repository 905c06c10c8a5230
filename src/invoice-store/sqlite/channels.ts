// The SQLite side of channel state (table `channels`, schema version 3): statements prepared once
// and the writes, each run inside a group-commit transaction like the invoice writes (writes.ts).
// `saveChannelWrite` marks invoices paid with the invoice store's own write (payWrite) in the same
// transaction, so a channel's fulfilment and its invoice's paid mark are one commit, one fsync.
import type Database from 'better-sqlite3';
import { CLN_CODES, InvoiceStoreError } from '../errors.ts';
import type { ChannelPaidMark, SaveChannelResult, StoredChannel } from '../channel-types.ts';
import type { Db } from './schema.ts';
import type { Statements } from './statements.ts';
import { payWrite, type Write } from './writes.ts';

interface ChannelRow {
  channel_id: Uint8Array;
  peer_id: Uint8Array;
  key_index: bigint;
  phase: string;
  state: Uint8Array;
}

const COLUMNS = 'channel_id, peer_id, key_index, phase, state';
const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

function channelRecord(r: ChannelRow): StoredChannel {
  return { channelId: copy(r.channel_id), peerId: copy(r.peer_id), keyIndex: r.key_index, phase: r.phase, state: copy(r.state) };
}

export class ChannelStatements {
  readonly upsert: Database.Statement;
  readonly byId: Database.Statement<[Uint8Array], ChannelRow>;
  readonly all: Database.Statement<[], ChannelRow>;
  readonly nextKeyIndex: Database.Statement<[], { value: bigint }>;
  readonly bumpKeyIndex: Database.Statement;
  readonly maxKeyIndex: Database.Statement<[], { m: bigint | null }>;

  constructor(db: Db) {
    // A channel_id names one channel for good: the same row must keep its peer and key index.
    this.upsert = db.prepare(
      `INSERT INTO channels (channel_id, peer_id, key_index, phase, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(channel_id) DO UPDATE SET phase = excluded.phase, state = excluded.state, updated_at = excluded.updated_at
       WHERE channels.peer_id = excluded.peer_id AND channels.key_index = excluded.key_index`,
    );
    this.byId = db.prepare<[Uint8Array], ChannelRow>(`SELECT ${COLUMNS} FROM channels WHERE channel_id = ?`).safeIntegers(true);
    this.all = db.prepare<[], ChannelRow>(`SELECT ${COLUMNS} FROM channels ORDER BY id`).safeIntegers(true);
    this.nextKeyIndex = db.prepare<[], { value: bigint }>(`SELECT value FROM channel_counters WHERE name = 'next_key_index'`).safeIntegers(true);
    this.bumpKeyIndex = db.prepare(`UPDATE channel_counters SET value = ? WHERE name = 'next_key_index'`);
    this.maxKeyIndex = db.prepare<[], { m: bigint | null }>(`SELECT MAX(key_index) AS m FROM channels`).safeIntegers(true);
  }

  get(channelId: Uint8Array): StoredChannel | undefined {
    const r = this.byId.get(channelId);
    return r && channelRecord(r);
  }

  list(): StoredChannel[] {
    return this.all.all().map(channelRecord);
  }
}

/** Hand out the next key index (above every stored channel's, whatever the counter says). */
export function allocateKeyIndexWrite(cst: ChannelStatements): Write<bigint> {
  return () => {
    const counter = cst.nextKeyIndex.get()?.value ?? 0n;
    const max = cst.maxKeyIndex.get()?.m ?? null;
    const index = max !== null && max + 1n > counter ? max + 1n : counter;
    cst.bumpKeyIndex.run(index + 1n);
    return index;
  };
}

export function saveChannelWrite(cst: ChannelStatements, st: Statements, c: StoredChannel, paid: readonly ChannelPaidMark[]): Write<SaveChannelResult> {
  return (tx) => {
    const results = [];
    for (const p of paid) {
      const r = payWrite(st, p.paymentHash, p.amountReceivedMsat, undefined)(tx);
      if (!r.newlyPaid && p.requireUnpaid) {
        throw new InvoiceStoreError('status_mismatch', CLN_CODES.STATUS_UNEXPECTED, `Invoice '${r.record.label}' is already paid`, { current_status: 'paid', expected_status: 'unpaid' });
      }
      results.push(r);
    }
    const changes = cst.upsert.run(c.channelId, c.peerId, c.keyIndex, c.phase, c.state, tx.now, tx.now).changes;
    if (changes !== 1) throw new InvoiceStoreError('invalid', CLN_CODES.GENERIC, 'channel_id is stored for another peer or key index');
    return { paid: results };
  };
}
