// BOLT 4, Route Blinding: the writer "MAY store private data in `encrypted_data_tlv[r].path_id` to
// verify that the route is used in the right context and was created by them"; the final
// recipient "MUST ignore the message if the `path_id` does not match the blinded route it created
// for this purpose". We keep no table of paths: the `path_id` itself carries the purpose and
// context, authenticated by a MAC under a key derived from the node secret, so only paths we built
// verify and a path built for one purpose cannot be used for another.
//
// Layout (all inside the encrypted final hop, so only we ever read it):
//   [u8 version=1] [16 nonce] [u32 expires_at, 0 = never] [u8 len] [len purpose (UTF-8)]
//   [u16 len] [len context] [16 mac]
//   mac = HMAC-SHA256(K, every preceding byte)[0..16], K = HMAC-SHA256(node_secret, "bolt12d/onion-message/path_id/v1")
import { hmacSha256 } from '../crypto/index.ts';
import { utf8 } from '../util/bytes.ts';
import { Reader, Writer } from '../wire/codec.ts';
import { constantTimeEqual } from './sphinx.ts';

const VERSION = 1;
const NONCE_LEN = 16;
const MAC_LEN = 16;
const KEY_LABEL = utf8.encode('bolt12d/onion-message/path_id/v1');

/** What a verified `path_id` says. */
export interface PathIdContents {
  /** Why we built the path (e.g. "reply", "refund"): replies are delivered only to handlers of that purpose. */
  purpose: string;
  /** Caller data bound to the path (e.g. the request it answers). */
  context: Uint8Array;
  /** Unix seconds after which we refuse it; 0 = no expiry. */
  expiresAt: number;
  nonce: Uint8Array;
}

export type PathIdCheck = ({ ok: true } & PathIdContents) | { ok: false; reason: 'bad_path_id' | 'path_expired' };

export class PathIdAuthenticator {
  private readonly key: Uint8Array;
  constructor(nodeSecret: Uint8Array) {
    this.key = hmacSha256(nodeSecret, KEY_LABEL);
  }

  /** Write an authenticated `path_id`. */
  create(o: { purpose: string; context: Uint8Array; nonce: Uint8Array; expiresAt?: number }): Uint8Array {
    const purpose = utf8.encode(o.purpose);
    if (purpose.length > 255) throw new RangeError('path_id: purpose longer than 255 bytes');
    if (o.context.length > 0xffff) throw new RangeError('path_id: context longer than 65535 bytes');
    if (o.nonce.length !== NONCE_LEN) throw new RangeError(`path_id: nonce must be ${NONCE_LEN} bytes`);
    const expiresAt = Math.max(0, Math.floor(o.expiresAt ?? 0));
    const body = new Writer(64 + purpose.length + o.context.length)
      .u8(VERSION)
      .bytes(o.nonce)
      .u32(expiresAt)
      .u8(purpose.length)
      .bytes(purpose)
      .u16(o.context.length)
      .bytes(o.context)
      .finish();
    const out = new Uint8Array(body.length + MAC_LEN);
    out.set(body);
    out.set(hmacSha256(this.key, body).subarray(0, MAC_LEN), body.length);
    return out;
  }

  /** Check a `path_id` found in our final hop; `now` in Unix seconds. */
  verify(pathId: Uint8Array, now: number): PathIdCheck {
    if (pathId.length < 1 + NONCE_LEN + 4 + 1 + 2 + MAC_LEN || pathId[0] !== VERSION) return { ok: false, reason: 'bad_path_id' };
    const body = pathId.subarray(0, pathId.length - MAC_LEN);
    const mac = pathId.subarray(pathId.length - MAC_LEN);
    if (!constantTimeEqual(hmacSha256(this.key, body).subarray(0, MAC_LEN), mac)) return { ok: false, reason: 'bad_path_id' };
    try {
      const r = new Reader(body);
      r.u8('path_id.version');
      const nonce = r.bytes(NONCE_LEN, 'path_id.nonce').slice();
      const expiresAt = r.u32('path_id.expires_at');
      const purpose = utf8.decode(r.bytes(r.u8('path_id.purpose_len'), 'path_id.purpose'));
      const context = r.bytes(r.u16('path_id.context_len'), 'path_id.context').slice();
      r.end('path_id');
      if (expiresAt !== 0 && now > expiresAt) return { ok: false, reason: 'path_expired' };
      return { ok: true, purpose, context, expiresAt, nonce };
    } catch {
      // Only reachable with our own MAC over a malformed body: a bug, never a peer's doing.
      return { ok: false, reason: 'bad_path_id' };
    }
  }
}
