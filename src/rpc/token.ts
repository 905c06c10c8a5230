// The WebSocket JSON-RPC's credential: a bearer token kept in `<datadir>/<network>/rpc-ws-token`
// (mode 0600, created on first start with 32 random bytes as 64 hex characters; a token a person
// writes there instead is used as it is if it is 32 to 512 URL-safe characters). Anyone who can
// read the file can call every method: it is as secret as the unix socket, which has the same
// owner and mode.
//
// Rotation (`rotaterpctoken`, or the daemon's `--rpc-ws-rotate-token`) writes a new token
// atomically (a temporary file renamed over the old one) and tells the listeners: from then on the
// old token is refused, and the WebSocket server closes the connections opened with it.
import { chmodSync, closeSync, existsSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, type RandomSource } from '../crypto/index.ts';
import { toHex, utf8 } from '../util/bytes.ts';

export const RPC_WS_TOKEN_FILENAME = 'rpc-ws-token';

/** What a token may be: URL-safe (query parameter), a valid HTTP token (subprotocol), not guessable by length. */
const TOKEN_RE = /^[A-Za-z0-9._~-]{32,512}$/;

export class RpcTokenError extends Error {
  override readonly name = 'RpcTokenError';
}

/** The token file of one node directory. */
export class RpcToken {
  readonly path: string;
  private token: string;
  private digest: Uint8Array;
  private readonly listeners = new Set<(token: string) => void>();

  /** Read `<dir>/rpc-ws-token`, creating it (mode 0600) when absent. Throws RpcTokenError on an unusable file. */
  constructor(
    dir: string,
    private readonly random: RandomSource,
  ) {
    this.path = join(dir, RPC_WS_TOKEN_FILENAME);
    if (existsSync(this.path)) {
      const t = readFileSync(this.path, 'utf8').trim();
      if (!TOKEN_RE.test(t)) throw new RpcTokenError(`${this.path}: should hold one token of 32 to 512 characters A-Z a-z 0-9 . _ ~ - (delete it to get a new one)`);
      if ((statSync(this.path).mode & 0o077) !== 0) chmodSync(this.path, 0o600);
      this.token = t;
    } else {
      this.token = this.fresh();
      writeNew(this.path, this.token, 'wx');
    }
    this.digest = sha256(utf8.encode(this.token));
  }

  /** The token now. */
  get current(): string {
    return this.token;
  }

  /**
   * Whether `candidate` is the current token. Compares SHA-256 digests byte by byte without an
   * early exit, so the time taken says nothing about how much of a guess was right.
   */
  matches(candidate: string): boolean {
    const d = sha256(utf8.encode(candidate));
    let diff = 0;
    for (let i = 0; i < d.length; i++) diff |= d[i]! ^ this.digest[i]!;
    return diff === 0;
  }

  /** Replace the token (file first, then memory, then the listeners). Returns the new one. */
  rotate(): string {
    const t = this.fresh();
    const tmp = `${this.path}.${toHex(this.random(6))}.tmp`;
    writeNew(tmp, t, 'wx');
    try {
      renameSync(tmp, this.path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
      throw new RpcTokenError(`${this.path}: cannot write the new token: ${(e as Error).message}`);
    }
    this.token = t;
    this.digest = sha256(utf8.encode(t));
    for (const l of [...this.listeners]) l(t);
    return t;
  }

  /** Called after each rotation. Returns the unsubscribe function. */
  onRotate(listener: (token: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private fresh(): string {
    return toHex(this.random(32));
  }
}

function writeNew(path: string, token: string, flags: 'wx'): void {
  const fd = openSync(path, flags, 0o600);
  try {
    writeSync(fd, token + '\n');
  } finally {
    closeSync(fd);
  }
}
