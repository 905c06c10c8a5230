// One byte stream under a Peer: a TCP socket, or a WebSocket whose binary messages each carry any
// chunk of the same BOLT 8 byte stream (as Core Lightning's websocket port does). The Peer sees the
// same interface for both.
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { formatHostPort } from './address.ts';

export interface ByteConnEvents {
  data(chunk: Uint8Array): void;
  /** The stream is gone; `why` is set when it ended with an error (local or remote). */
  close(why?: string): void;
  /** The output queue emptied. */
  drain(): void;
}

export interface ByteConn {
  readonly transport: 'tcp' | 'ws';
  /** `host:port` of the other end. */
  readonly remoteAddress: string;
  readonly remoteIp: string | undefined;
  readonly remotePort: number | undefined;
  /** Queue bytes for sending; several chunks go out as one write where the transport allows. */
  write(chunks: readonly Uint8Array[]): void;
  /** Bytes queued but not yet handed to the kernel. */
  queuedBytes(): number;
  pause(): void;
  resume(): void;
  /** Flush what is queued, then close; force-close after `graceMs`. */
  end(graceMs: number): void;
  /** Close now, dropping whatever is queued. */
  destroy(): void;
  /** Install the (single) listener set; events before this are buffered by the OS. */
  attach(ev: ByteConnEvents): void;
}

export function tcpConn(socket: Socket): ByteConn {
  socket.setNoDelay(true);
  let ended = false;
  let ev: ByteConnEvents | undefined;
  let closeWhy: string | undefined;
  socket.on('error', (e: NodeJS.ErrnoException) => {
    closeWhy ??= `socket error: ${e.code ?? e.message}`;
  });
  socket.on('close', () => ev?.close(closeWhy));
  socket.on('drain', () => ev?.drain());
  return {
    transport: 'tcp',
    remoteAddress: formatHostPort(socket.remoteAddress, socket.remotePort),
    remoteIp: socket.remoteAddress,
    remotePort: socket.remotePort,
    write(chunks) {
      if (socket.destroyed || ended) return;
      if (chunks.length === 1) {
        socket.write(chunks[0]!);
        return;
      }
      socket.cork();
      for (const c of chunks) socket.write(c);
      socket.uncork();
    },
    queuedBytes: () => socket.writableLength,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    end(graceMs) {
      if (ended || socket.destroyed) return;
      ended = true;
      socket.end();
      const t = setTimeout(() => socket.destroy(), graceMs);
      t.unref();
      socket.once('close', () => clearTimeout(t));
    },
    destroy() {
      ended = true;
      socket.destroy();
    },
    attach(e) {
      ev = e;
      socket.on('data', (chunk: Buffer) => e.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
      if (socket.destroyed) queueMicrotask(() => e.close(closeWhy ?? 'socket closed'));
    },
  };
}

/**
 * A WebSocket as a byte stream. `raw` is the underlying TCP socket (from the server's upgrade
 * request or the client's `upgrade` event): its `drain` tells us when queued output left.
 */
export function wsConn(ws: WebSocket, raw: Socket, remoteIp: string | undefined, remotePort: number | undefined): ByteConn {
  let ended = false;
  let ev: ByteConnEvents | undefined;
  let closeWhy: string | undefined;
  ws.on('error', (e: Error & { code?: string }) => {
    closeWhy ??= `websocket error: ${e.code ?? e.message}`;
  });
  ws.on('close', (code: number) => {
    if (code !== 1000 && code !== 1005) closeWhy ??= `websocket closed with code ${code}`;
    ev?.close(closeWhy);
  });
  raw.on('drain', () => ev?.drain());
  const queued = () => ws.bufferedAmount;
  return {
    transport: 'ws',
    remoteAddress: formatHostPort(remoteIp, remotePort),
    remoteIp,
    remotePort,
    write(chunks) {
      if (ended || ws.readyState !== ws.OPEN) return;
      let data: Uint8Array;
      if (chunks.length === 1) data = chunks[0]!;
      else {
        let n = 0;
        for (const c of chunks) n += c.length;
        data = new Uint8Array(n);
        let o = 0;
        for (const c of chunks) {
          data.set(c, o);
          o += c.length;
        }
      }
      ws.send(data, { binary: true });
    },
    queuedBytes: queued,
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    end(graceMs) {
      if (ended) return;
      ended = true;
      ws.close(1000);
      const t = setTimeout(() => ws.terminate(), graceMs);
      t.unref();
      ws.once('close', () => clearTimeout(t));
    },
    destroy() {
      ended = true;
      ws.terminate();
    },
    attach(e) {
      ev = e;
      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        if (!isBinary) {
          closeWhy ??= 'websocket text frame (BOLT 8 bytes must travel in binary frames)';
          ws.terminate();
          return;
        }
        const buf = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
        e.data(new Uint8Array(buf.buffer, buf.byteOffset, buf.length));
      });
      if (ws.readyState === ws.CLOSED) queueMicrotask(() => e.close(closeWhy ?? 'websocket closed'));
    },
  };
}
