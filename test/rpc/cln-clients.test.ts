// Core Lightning's own clients against our socket, byte for byte (issue 15): the requests are
// built and the answers read exactly as cli/lightning-cli.c and contrib/pyln-client/pyln/client/
// lightning.py (UnixDomainSocketRpc.call/_readobj) do, so what passes here works with them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { startDaemon, type Daemon } from '../../src/rpc/daemon.ts';
import { tempDir } from '../tmp.ts';
import { coreMethods } from '../../src/rpc/methods/core.ts';
import type { RpcContext } from '../../src/rpc/context.ts';

let d: Daemon;
beforeAll(async () => {
  d = await startDaemon({ datadir: tempDir('b12d-clncli-'), port: 0, logLevel: 'warn' });
});
afterAll(async () => {
  await d?.shutdown();
});

/** A socket with a byte queue: read(n) resolves with at most n bytes, as read(2) does. */
class RawSocket {
  private readonly s: net.Socket;
  private readonly chunks: Buffer[] = [];
  private waiter?: () => void;
  private closed = false;
  constructor(path: string) {
    this.s = net.connect(path);
    this.s.on('data', (b) => {
      this.chunks.push(b);
      this.waiter?.();
    });
    this.s.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    this.s.on('error', () => undefined);
  }
  connected(): Promise<void> {
    return new Promise((r) => this.s.once('connect', () => r()));
  }
  write(s: string): void {
    this.s.write(s);
  }
  async read(max: number, timeoutMs = 5000): Promise<Buffer> {
    const end = Date.now() + timeoutMs;
    while (this.chunks.length === 0 && !this.closed) {
      if (Date.now() > end) throw new Error('read timed out');
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
    this.waiter = undefined;
    if (this.chunks.length === 0) return Buffer.alloc(0); // EOF
    const first = this.chunks[0]!;
    if (first.length <= max) return this.chunks.shift()!;
    this.chunks[0] = first.subarray(max);
    return first.subarray(0, max);
  }
  /** Bytes that arrived and were not read yet (after a short wait). */
  async unread(waitMs = 100): Promise<number> {
    await new Promise((r) => setTimeout(r, waitMs));
    return this.chunks.reduce((n, b) => n + b.length, 0);
  }
  close(): void {
    this.s.destroy();
  }
}

// ---- lightning-cli (cli/lightning-cli.c), step by step ----

const LOG_LEVELS = ['io', 'io', 'trace', 'debug', 'info', 'unusual', 'broken']; // common/status_levels.c ll_names

/** is_literal(): digits and dots (no leading zero), true/false/null, {…}, […], "…" go in unquoted. */
function isLiteral(a: string): boolean {
  if (a.length === 0) return false;
  if (/^[0-9]+$/.test(a) && a.length > 1 && a[0] === '0') return false;
  return /^[0-9.]+$/.test(a) || a === 'true' || a === 'false' || a === 'null' || (a[0] === '{' && a.endsWith('}')) || (a[0] === '[' && a.endsWith(']')) || (a[0] === '"' && a.endsWith('"'));
}
const addInput = (a: string) => (isLiteral(a) ? a : JSON.stringify(a)); // json_escape + quotes

interface CliRun {
  code: number;
  /** What lightning-cli prints: notifications as "# message" lines, then the JSON. */
  printed: string[];
  response: any;
  enableReply?: string;
  request: string;
}

async function lightningCli(args: string[], opts: { pid?: number; notifications?: string } = {}): Promise<CliRun> {
  const pid = opts.pid ?? 12345;
  let input: 'keywords' | 'ordered' | 'default' = 'default';
  let filter: string | undefined;
  let level = 4; // LOG_INFORM
  while (args[0]?.startsWith('-')) {
    const a = args.shift()!;
    if (a === '-k') input = 'keywords';
    else if (a === '-o') input = 'ordered';
    else if (a.startsWith('--filter=')) filter = a.slice(9);
    else if (a === '-l') filter = args.shift()!;
    else throw new Error(`option ${a}`);
  }
  if (opts.notifications !== undefined) level = opts.notifications === 'none' ? LOG_LEVELS.length : LOG_LEVELS.lastIndexOf(opts.notifications);
  const [method, ...params] = args as [string, ...string[]];
  const sock = new RawSocket(d.rpcPath);
  await sock.connected();
  const printed: string[] = [];
  let enableReply: string | undefined;
  try {
    // enable_notifications(): the reply is read into char rbuf[100] (zeroed) until it ends in \n\n
    if (level < LOG_LEVELS.length) {
      sock.write(`{"jsonrpc":"2.0","method":"notifications","id":"cli:notifications#${pid}","params":{"enable":true}}`);
      let rbuf: Buffer = Buffer.alloc(0);
      while (!rbuf.toString('latin1').endsWith('\n\n')) {
        // cli_read(fd, rbuf + len, sizeof(rbuf) - len): at most 100 bytes in all, and strlen()
        // needs a NUL among them, so a reply of 100 bytes or more is undefined behaviour
        if (rbuf.length >= 99) throw new Error(`enable reply does not fit lightning-cli's 100-byte buffer: ${rbuf.toString()}`);
        const got = await sock.read(100 - rbuf.length);
        if (got.length === 0) throw new Error('Reading enable response: socket closed');
        rbuf = Buffer.concat([rbuf, got]);
      }
      enableReply = rbuf.toString();
    }
    const idstr = `cli:${method}#${pid}`;
    let cmd = `{ "jsonrpc" : "2.0", "method" : "${method}", "id" : "${idstr}",`;
    if (filter) cmd += `"filter": ${filter},`;
    cmd += ' "params" :';
    if (input === 'default') input = params.length > 0 && params[0]!.includes('=') ? 'keywords' : 'ordered';
    if (input === 'keywords') {
      cmd += '{ ';
      params.forEach((p, i) => {
        const eq = p.indexOf('=');
        cmd += `"${p.slice(0, eq)}" : ` + addInput(p.slice(eq + 1)) + (i !== params.length - 1 ? ', ' : '');
      });
      cmd += '} }';
    } else cmd += '[ ' + params.map(addInput).join(', ') + '] }';
    JSON.parse(cmd); // json_parse_simple(): lightning-cli refuses (exit 3) what is not JSON
    sock.write(cmd);
    // Read until one whole object that is not a notification (handle_notify: no "id", a method, params).
    let resp = '';
    for (;;) {
      const objs = completeObjects(resp);
      let response: any;
      for (const { text, end } of objs) {
        const o = JSON.parse(text);
        if (o.id === undefined && o.method !== undefined && o.params !== undefined) {
          resp = resp.slice(end);
          if (o.method === 'message') {
            const lv = LOG_LEVELS.indexOf(String(o.params.level).toLowerCase());
            if (lv >= level && o.params.message !== undefined) printed.push(`# ${o.params.message}`);
          } else if (o.method === 'progress') printed.push(`# ${o.params.num + 1}/${o.params.total}`);
          continue;
        }
        response = o;
        break;
      }
      if (response) {
        if (response.id !== idstr) throw new Error(`Incorrect 'id' (${JSON.stringify(response.id)}) in response`);
        if (!('result' in response) && !('error' in response)) throw new Error("Either 'result' or 'error' must be returned");
        printed.push(JSON.stringify(response.error ?? response.result));
        return { code: response.error ? 1 : 0, printed, response, request: cmd, ...(enableReply !== undefined ? { enableReply } : {}) };
      }
      const got = await sock.read(65536);
      if (got.length === 0) throw new Error('reading response: socket closed');
      resp += got.toString();
    }
  } finally {
    sock.close();
  }
}

/** Whole top-level JSON objects at the start of `s` (what jsmn_parse reports as complete). */
function completeObjects(s: string): Array<{ text: string; end: number }> {
  const out: Array<{ text: string; end: number }> = [];
  let depth = 0;
  let inStr = false;
  let esc = false;
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inStr) {
      if (esc) esc = false;
      else if (c === '\\') esc = true;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push({ text: s.slice(start, i + 1), end: i + 1 });
  }
  return out;
}

// ---- pyln-client (UnixDomainSocketRpc) ----

/** Python's json.dumps(obj, ensure_ascii=False): ", " and ": " separators. */
function pyDumps(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(pyDumps).join(', ') + ']';
  if (v && typeof v === 'object') return '{' + Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyDumps(x)}`).join(', ') + '}';
  return JSON.stringify(v);
}

class PylnRpc {
  nextId = 1;
  constructor(
    private readonly path: string,
    private readonly callerName = 'test_cln_clients',
  ) {}
  /** _readobj(): split the buffer at the first \n\n, raw_decode the part before it. */
  private async readobj(sock: RawSocket, buff: Buffer): Promise<[any, Buffer]> {
    for (;;) {
      const at = buff.indexOf('\n\n');
      if (at < 0) {
        const b = await sock.read(Math.max(1024, buff.length));
        buff = Buffer.concat([buff, b]);
        if (b.length === 0) return [{ error: 'Connection to RPC server lost.' }, buff];
      } else {
        const obj = JSON.parse(buff.subarray(0, at).toString('utf8'));
        return [obj, buff.subarray(at + 2)];
      }
    }
  }
  async call(method: string, payload: unknown = {}, opts: { filter?: unknown; notify?: (n: { message: unknown; progress: unknown }) => void } = {}): Promise<any> {
    const thisId = `${this.callerName}:${method}#${this.nextId++}`;
    const sock = new RawSocket(this.path); // "FIXME: we open a new socket for every readobj call..."
    await sock.connected();
    try {
      let buf: Buffer = Buffer.alloc(0);
      if (opts.notify) {
        sock.write(pyDumps({ jsonrpc: '2.0', method: 'notifications', id: thisId + '+notify-enable', params: { enable: true } }));
        [, buf] = await this.readobj(sock, buf);
      }
      const request: Record<string, unknown> = { jsonrpc: '2.0', method, params: payload, id: thisId };
      if (opts.filter !== undefined) request['filter'] = opts.filter;
      sock.write(pyDumps(request));
      let resp: any;
      for (;;) {
        [resp, buf] = await this.readobj(sock, buf);
        const id = resp.id;
        const meth = resp.method;
        if (meth === 'message' && opts.notify) {
          opts.notify({ message: resp.params.message ?? null, progress: resp.params.progress ?? null });
          continue;
        }
        if (meth === undefined || id === undefined) break;
      }
      if ('id' in resp && resp.id !== thisId) throw new Error(`Malformed response, id is not ${thisId}: ${JSON.stringify(resp)}`);
      if ('error' in resp) throw Object.assign(new Error(`RPC call failed: method: ${method}, error: ${JSON.stringify(resp.error)}`), { error: resp.error });
      if (!('result' in resp)) throw new Error('Malformed response, "result" missing.');
      return resp.result;
    } finally {
      sock.close();
    }
  }
}

describe('lightning-cli against bolt12d', () => {
  it('the notifications handshake: {} answered in under 100 bytes ending in \\n\\n, nothing after it', async () => {
    for (const pid of [1, 12345, 4194304]) {
      const sock = new RawSocket(d.rpcPath);
      await sock.connected();
      sock.write(`{"jsonrpc":"2.0","method":"notifications","id":"cli:notifications#${pid}","params":{"enable":true}}`);
      const got = await sock.read(100);
      // the whole reply in one read, exactly CLN's bytes (json_stream_success of an empty result)
      expect(got.toString()).toBe(`{"jsonrpc":"2.0","id":"cli:notifications#${pid}","result":{}}\n\n`);
      expect(got.length).toBeLessThan(100);
      // nothing more comes before the command is written (it would be lost in rbuf)
      expect(await sock.unread()).toBe(0);
      sock.close();
    }
    // before: a 112-byte "Unknown command 'notifications'" error, and lightning-cli died "Reading enable response"
    const run = await lightningCli(['getinfo']);
    expect(run.enableReply!.length).toBeLessThan(100);
    expect(run.code).toBe(0);
    expect(run.response.result.id).toBe(d.node.nodeIdHex);
    // enable false is answered the same way
    const off = new PylnRpc(d.rpcPath);
    expect(await off.call('notifications', { enable: false })).toEqual({});
    await expect(off.call('notifications', { enable: 'maybe' })).rejects.toMatchObject({ error: { code: -32602, message: /^enable:/ } });
    await expect(off.call('notifications', {})).rejects.toMatchObject({ error: { code: -32602, message: /enable/ } });
  });

  it('ids with ":" "#" "/" are echoed, answers are framed with \\n\\n, several requests on one connection answer in order', async () => {
    const ids = ['cli:getinfo#12345/cln:getinfo#7', 'cli:help#1', 'pytest:listpeers#3+x'];
    const sock = new RawSocket(d.rpcPath);
    await sock.connected();
    sock.write(
      `{"jsonrpc":"2.0","method":"getinfo","id":"${ids[0]}","params":[]}` +
        `{ "jsonrpc" : "2.0", "method" : "help", "id" : "${ids[1]}", "params" :[ "help"] }\n` +
        `{"jsonrpc": "2.0", "method": "listpeers", "params": {}, "id": "${ids[2]}"}`,
    );
    let text = '';
    while (text.split('\n\n').length < 4) text += (await sock.read(65536)).toString();
    sock.close();
    const parts = text.split('\n\n');
    expect(parts.at(-1)).toBe('');
    const answers = parts.slice(0, 3).map((p) => JSON.parse(p));
    expect(answers.map((a) => a.id)).toEqual(ids);
    expect(Object.keys(answers[0])).toEqual(['jsonrpc', 'id', 'result']);
    expect(answers[1].result).toEqual({ help: [expect.objectContaining({ command: 'help [command]' })], 'format-hint': 'simple' });
    expect(answers[2].result).toEqual({ peers: [] });
  });

  it('-k, -o and the key=value autodetection build requests we answer (test_misc.py test_cli)', async () => {
    for (const args of [['-k', 'help', 'command=help'], ['help', 'command=help'], ['help', 'help'], ['-o', 'help', 'help']]) {
      const run = await lightningCli(args);
      expect(run.code).toBe(0);
      expect(run.response.result.help[0].command).toContain('help [command]');
    }
    // bare numbers go in as JSON numbers; bolt12d's labels are strings only (CLN would take 42
    // as the label "42"), so a numeric label is quoted on the command line
    const num = await lightningCli(['listinvoices', '42']);
    expect(num.request).toContain('[ 42] }');
    expect(num.response.error).toMatchObject({ code: -32602, message: 'label: should be a string' });
    const quoted = await lightningCli(['listinvoices', '"42"']);
    expect(quoted.request).toContain('[ "42"] }');
    expect(quoted.response.result).toEqual({ invoices: [] });
    const w = await lightningCli(['-k', 'wait', 'subsystem=invoices', 'indexname=created', 'nextvalue=0']);
    expect(w.response.result).toEqual({ subsystem: 'invoices', created: 0 });
  });

  it('exit code 1 on an RPC error, with the error printed', async () => {
    const u = await lightningCli(['unknown-command']);
    expect(u.code).toBe(1);
    expect(u.response.error).toEqual({ code: -32601, message: "Unknown command 'unknown-command'" });
    const p = await lightningCli(['ping', 'nothex']);
    expect(p.code).toBe(1);
    expect(p.response.error.code).toBe(-32602);
    const h = await lightningCli(['help', 'frobnicate']);
    expect(h.response.error).toEqual({ code: -32601, message: 'Unknown command frobnicate' });
  });

  it('--filter as CLN applies it, and a bad filter is an error (test_cli, test_filter_with_invalid_json)', async () => {
    const f = await lightningCli(['--filter={"help":[{"command":true}]}', 'help', 'help']);
    expect(f.response.result).toEqual({ help: [{ command: 'help [command]' }] });
    const g = await lightningCli(['-l', '{"id":true,"our_features":{"init":true},"binding":[{"type":true}]}', 'getinfo']);
    expect(g.response.result).toEqual({ id: d.node.nodeIdHex, binding: [{ type: 'ipv4' }], our_features: { init: expect.stringMatching(/^[0-9a-f]*$/) } });
    const bad = await lightningCli(['-l', '1', '-k', 'wait', 'subsystem=invoices', 'indexname=created', 'nextvalue=0']);
    expect(bad.code).toBe(1);
    expect(bad.printed.join('\n')).toContain('filter: Expected object: invalid token');
    const mis = await lightningCli(['-l', '{"help":{"command":true}}', 'help']);
    expect(mis.response.result).toEqual({ help: [], warning_parameter_filter: '.help is an array' });
  });

  it('help with and without a command in CLN shape; stop answers as CLN does', async () => {
    const all = await lightningCli(['help']);
    const help = all.response.result.help as Array<Record<string, unknown>>;
    expect(all.response.result['format-hint']).toBe('simple');
    for (const h of help) {
      expect(Object.keys(h)).toEqual(['command', 'category', 'description', 'verbose']);
      expect(h.command).toMatch(/^[a-z-]+( |$)/);
    }
    const names = help.map((h) => String(h.command).split(' ')[0]);
    expect(names).toEqual([...names].sort());
    for (const m of ['getinfo', 'connect', 'notifications', 'help', 'stop', 'decode', 'waitanyinvoice']) expect(names).toContain(m);
    expect(help.find((h) => String(h.command).startsWith('notifications'))!.command).toBe('notifications enable');
    expect(help.find((h) => String(h.command).startsWith('connect'))!.command).toBe('connect id [host] [port] [transport]');
    const one = await lightningCli(['help', 'connect']);
    expect(one.response.result.help).toHaveLength(1);
    // stop: {"result":"Shutdown complete"} (CLN since v24.05), without stopping this daemon
    let asked = 0;
    const stop = coreMethods.find((m) => m.name === 'stop')!;
    expect(await stop.handler({}, { requestStop: () => void asked++ } as unknown as RpcContext)).toEqual({ result: 'Shutdown complete' });
    expect(asked).toBe(1);
  });

  it('a long command sends its progress notification before its result; lightning-cli prints it with -N debug', async () => {
    // waitanyinvoice with a timeout: a debug message, then (no invoice paid) error 904
    const t0 = Date.now();
    const run = await lightningCli(['-k', 'waitanyinvoice', 'timeout=1'], { notifications: 'debug' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(run.printed[0]).toBe('# Waiting for an invoice paid after pay_index 0 (for at most 1 s)');
    expect(run.code).toBe(1);
    expect(run.response.error.code).toBe(904);
    // at lightning-cli's default level (info) the debug message is read and not printed
    const quiet = await lightningCli(['-k', 'wait', 'subsystem=invoices', 'indexname=created', 'nextvalue=0']);
    expect(quiet.printed).toEqual(['{"subsystem":"invoices","created":0}']);

    // the raw bytes: notification (CLN's shape, the request id inside params), then the answer
    const sock = new RawSocket(d.rpcPath);
    await sock.connected();
    sock.write('{"jsonrpc":"2.0","method":"notifications","id":"n#1","params":{"enable":true}}{"jsonrpc":"2.0","id":"cli:wait#9","method":"wait","params":["invoices","created",0]}');
    let text = '';
    while (text.split('\n\n').length < 4) text += (await sock.read(65536)).toString();
    sock.close();
    const [enabled, note, answer, rest] = text.split('\n\n');
    expect(JSON.parse(enabled!)).toEqual({ jsonrpc: '2.0', id: 'n#1', result: {} });
    expect(note).toBe('{"jsonrpc":"2.0","method":"message","params":{"id":"cli:wait#9","level":"debug","message":"Waiting for the invoices created index to reach 0"}}');
    expect(JSON.parse(answer!)).toEqual({ jsonrpc: '2.0', id: 'cli:wait#9', result: { subsystem: 'invoices', created: 0 } });
    expect(rest).toBe('');

    // connect: the message before the error (nobody listens on that port)
    const G = '0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
    const c = await lightningCli(['connect', `${G}@127.0.0.1:1`], { notifications: 'debug' });
    expect(c.printed[0]).toBe(`# Connecting to ${G} at 127.0.0.1:1 over TCP`);
    expect(c.response.error.code).toBe(401);
  });

  it('a connection that did not enable notifications gets none, only the answer', async () => {
    const sock = new RawSocket(d.rpcPath);
    await sock.connected();
    sock.write('{"jsonrpc":"2.0","id":1,"method":"wait","params":["invoices","created",0]}');
    const got = (await sock.read(65536)).toString();
    expect(got).toBe('{"jsonrpc":"2.0","id":1,"result":{"subsystem":"invoices","created":0}}\n\n');
    expect(await sock.unread()).toBe(0);
    // and a connection that turned them off again
    sock.write('{"jsonrpc":"2.0","id":2,"method":"notifications","params":{"enable":true}}{"jsonrpc":"2.0","id":3,"method":"notifications","params":[false]}{"jsonrpc":"2.0","id":4,"method":"wait","params":["invoices","created",0]}');
    let text = '';
    while (text.split('\n\n').length < 4) text += (await sock.read(65536)).toString();
    sock.close();
    expect(text.split('\n\n').map((x) => (x ? JSON.parse(x).id : x))).toEqual([2, 3, 4, '']);
  });
});

describe('pyln-client against bolt12d', () => {
  const rpc = () => new PylnRpc(d.rpcPath);

  it('calls with named and positional payloads, raises RpcError on errors', async () => {
    const r = rpc();
    expect((await r.call('getinfo')).id).toBe(d.node.nodeIdHex);
    expect(await r.call('listpeers', [])).toEqual({ peers: [] });
    expect((await r.call('help', { command: 'getinfo' })).help[0].command).toBe('getinfo');
    await expect(r.call('listinvoices', { bogus: 1 })).rejects.toMatchObject({ error: { code: -32602, message: 'unknown parameter: bogus' } });
    await expect(r.call('nope')).rejects.toMatchObject({ error: { code: -32601 } });
    // unicode passes as UTF-8 (ensure_ascii=False)
    expect((await r.call('listinvoices', { label: 'é€😀' })).invoices).toEqual([]);
  });

  it('reply_filter / call(filter=...)', async () => {
    expect(await rpc().call('getinfo', {}, { filter: { id: true, network: true } })).toEqual({ id: d.node.nodeIdHex, network: 'regtest' });
    expect(await rpc().call('help', { command: 'help' }, { filter: { help: [{ command: true }] } })).toEqual({ help: [{ command: 'help [command]' }] });
  });

  it('rpc.notify(fn): enables notifications on the call\'s socket and gets the messages before the result', async () => {
    const seen: Array<{ message: unknown; progress: unknown }> = [];
    const res = await rpc().call('wait', { subsystem: 'invoices', indexname: 'created', nextvalue: 0 }, { notify: (n) => seen.push(n) });
    expect(seen).toEqual([{ message: 'Waiting for the invoices created index to reach 0', progress: null }]);
    expect(res).toEqual({ subsystem: 'invoices', created: 0 });
    const err = await rpc()
      .call('waitanyinvoice', { timeout: 0 }, { notify: (n) => seen.push(n) })
      .catch((e) => e);
    expect(err.error.code).toBe(904);
    expect(seen.at(-1)!.message).toMatch(/^Waiting for an invoice paid/);
  });
});
