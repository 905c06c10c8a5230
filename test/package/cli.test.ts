// The fast CLI (issue 12): bolt12-cli loads only node built-ins and src/rpc/client.ts (with
// json.ts), whose names agree with the daemon's; the client's framing against a socket that sends
// notifications, splits "\n\n" across reads and closes after an unterminated answer; the answer
// printed from its own text (numbers above 2^53 exact); and bin/_launch.js's choice between dist/
// and the sources.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createServer, type Server, type Socket } from 'node:net';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_DATADIR, NETWORKS, NOTIFY_LEVELS, RPC_FILENAME, indentJson, jsonMemberText, rpcCall, rpcCallRaw, rpcSocketPath } from '../../src/rpc/client.ts';
import { DEFAULT_DATADIR as DAEMON_DATADIR } from '../../src/rpc/config.ts';
import { RPC_FILENAME as DAEMON_RPC_FILENAME } from '../../src/rpc/server.ts';
import { NOTIFY_LEVELS as DAEMON_LEVELS } from '../../src/rpc/types.ts';
import { NETWORKS as DAEMON_NETWORKS } from '../../src/wire/chains.ts';
import { tempDir } from '../tmp.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

/** Static imports and re-exports of a source file (the CLI has no dynamic ones). */
function importsOf(source: string): string[] {
  return [...source.matchAll(/(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

describe('what bolt12-cli loads', () => {
  it('node built-ins and the sources bin/_launch.js lists for it, nothing else', async () => {
    const seen = new Set<string>();
    const builtins = new Set<string>();
    const walk = (rel: string): void => {
      if (seen.has(rel)) return;
      seen.add(rel);
      for (const spec of importsOf(readFileSync(join(SRC, rel), 'utf8'))) {
        if (spec.startsWith('.')) walk(relative(SRC, resolve(SRC, dirname(rel), spec)).split('\\').join('/'));
        else builtins.add(spec);
      }
    };
    walk('bin/bolt12-cli.ts');
    const { SOURCES } = (await import(pathToFileURL(join(ROOT, 'bin/_launch.js')).href)) as { SOURCES: Record<string, string[]> };
    expect([...seen].sort()).toEqual([...SOURCES['bolt12-cli']!].sort());
    for (const b of builtins) expect(b).toMatch(/^node:/);
  });

  it("the client's names are the daemon's", () => {
    expect(DEFAULT_DATADIR).toBe(DAEMON_DATADIR);
    expect(RPC_FILENAME).toBe(DAEMON_RPC_FILENAME);
    expect([...NOTIFY_LEVELS]).toEqual([...DAEMON_LEVELS]);
    expect([...NETWORKS]).toEqual([...DAEMON_NETWORKS]);
    expect(rpcSocketPath('/d', 'signet')).toBe('/d/signet/lightning-rpc');
  });
});

describe('printing an answer from its text', () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  it('indentJson prints what JSON.stringify(value, null, 3) prints', () => {
    fc.assert(
      fc.property(json, fc.constantFrom(0, 1, 2), (v, spacing) => {
        const compact = JSON.stringify(v);
        // the same text with whitespace between tokens, as another server might send it
        const spaced = spacing ? JSON.stringify(v, null, spacing) : compact;
        expect(indentJson(compact)).toBe(JSON.stringify(v, null, 3));
        expect(indentJson(spaced)).toBe(JSON.stringify(v, null, 3));
      }),
    );
  });

  it('jsonMemberText finds a top-level member as written, not a nested one of the same name', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), fc.string(), (o, key) => {
        const text = JSON.stringify(o);
        const got = jsonMemberText(text, key);
        if (Object.hasOwn(o, key)) expect(JSON.parse(got!)).toEqual(JSON.parse(JSON.stringify(o[key])));
        else expect(got).toBeUndefined();
      }),
    );
    const t = '{"error":{"result":1},"id":"x","result" : {"amount_msat":21000000000000000001,"s":"a\\"}b"}}';
    expect(jsonMemberText(t, 'result')).toBe('{"amount_msat":21000000000000000001,"s":"a\\"}b"}');
    expect(indentJson(jsonMemberText(t, 'result')!)).toBe('{\n   "amount_msat": 21000000000000000001,\n   "s": "a\\"}b"\n}');
    expect(jsonMemberText('[1]', 'result')).toBeUndefined();
  });
});

describe('rpcCall framing', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  /** Complete top-level JSON texts in `t` (requests hold no braces inside strings here). */
  function texts(t: string): string[] {
    const out: string[] = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < t.length; i++) {
      if (t[i] === '{') depth++;
      else if (t[i] === '}' && --depth === 0) {
        out.push(t.slice(start, i + 1));
        start = i + 1;
      }
    }
    return out;
  }

  /** A socket server that runs `script` on a connection once `n` request texts have arrived. */
  async function fake(script: (s: Socket, reqs: string[]) => void, n = 1): Promise<string> {
    const path = join(tempDir('b12d-client-'), 'sock');
    const srv = createServer((s) => {
      let got = '';
      let ran = false;
      s.on('data', (d) => {
        got += String(d);
        const reqs = texts(got);
        if (!ran && reqs.length >= n) {
          ran = true;
          script(s, reqs);
        }
      });
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(path, r));
    return path;
  }

  it('skips notifications and the notifications-enable answer, hands notifications over, takes "\\n\\n" split across reads', async () => {
    const seen: { id: string; method: string; params: unknown; filter?: unknown }[] = [];
    const path = await fake((s, reqs) => {
      const [enable, call] = reqs.map((t) => JSON.parse(t) as { id: string; method: string; params: unknown; filter?: unknown });
      seen.push(enable!, call!);
      const msgs = [
        JSON.stringify({ jsonrpc: '2.0', id: enable!.id, result: {} }) + '\n\n',
        JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { id: call!.id, level: 'info', message: 'line\n\nbreaks' } }) + '\n\n',
        `{"jsonrpc":"2.0","id":${JSON.stringify(call!.id)},"result":{"a":12345678901234567890}}\n\n`,
      ].join('');
      // in pieces, a pause between them: cut between the two newlines of every "\n\n", and in mid-text
      const cuts = [...msgs.matchAll(/\n\n/g)].flatMap((m) => [m.index! + 1, m.index! - 7]).sort((x, y) => x - y);
      const pieces = cuts.map((c, i) => msgs.slice(i ? cuts[i - 1]! : 0, c)).concat(msgs.slice(cuts[cuts.length - 1]!));
      const next = (): void => {
        const p = pieces.shift();
        if (p !== undefined) s.write(p, () => setTimeout(next, 5));
      };
      next();
    }, 2);
    const notes: unknown[] = [];
    const r = await rpcCallRaw(path, 'wait', { n: 1 }, { filter: { a: true }, onNotification: (n) => notes.push(n), timeoutMs: 10_000 });
    expect(seen[0]).toMatchObject({ method: 'notifications', params: { enable: true } });
    expect(seen[1]).toMatchObject({ id: `bolt12-cli:wait#${process.pid}`, method: 'wait', params: { n: 1 }, filter: { a: true } });
    expect(notes).toEqual([{ method: 'message', params: { id: `bolt12-cli:wait#${process.pid}`, level: 'info', message: 'line\n\nbreaks' } }]);
    expect(jsonMemberText(r.text, 'result')).toBe('{"a":12345678901234567890}');
    expect(r.answer.result).toEqual({ a: 12345678901234567890 });
  });

  it('takes an answer the server ends by closing, reports errors, bigint params, a close before the answer, a timeout', async () => {
    const closes = await fake((s, [req]) => s.end(JSON.stringify({ jsonrpc: '2.0', id: (JSON.parse(req!) as { id: string }).id, error: { code: -32602, message: req } })));
    const e = await rpcCall(closes, 'x', { amount_msat: 2n ** 64n, id: 'n' }, 5000);
    expect(e.error!.code).toBe(-32602);
    expect(e.error!.message).toContain('"params":{"amount_msat":18446744073709551616,"id":"n"}');
    const hangsUp = await fake((s) => s.end());
    await expect(rpcCall(hangsUp, 'getinfo', [], 5000)).rejects.toThrow(/connection closed before the answer/);
    const silent = await fake(() => {});
    await expect(rpcCall(silent, 'getinfo', [], 200)).rejects.toThrow(/timed out/);
    const garbage = await fake((s) => s.write('nope\n\n'));
    await expect(rpcCall(garbage, 'getinfo', [], 5000)).rejects.toThrow(/invalid JSON/);
    await expect(rpcCall(join(tempDir('b12d-client-'), 'none'), 'getinfo', [], 5000)).rejects.toThrow(/ENOENT/);
  });
});

describe('bin/_launch.js', () => {
  /** A tree shaped like the repository: bin/_launch.js, src/bin/x.ts, dist/bin/x.js, each printing where it runs from. */
  function tree(): string {
    const root = tempDir('b12d-launch-');
    mkdirSync(join(root, 'bin'));
    cpSync(join(ROOT, 'bin/_launch.js'), join(root, 'bin/_launch.js'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    writeFileSync(join(root, 'bin/x.js'), "import { launch } from './_launch.js';\nawait launch('x');\n");
    mkdirSync(join(root, 'src/bin'), { recursive: true });
    writeFileSync(join(root, 'src/bin/x.ts'), "const where: string = 'src';\nconsole.log(where);\n");
    writeFileSync(join(root, 'src/lib.ts'), 'export {};\n');
    mkdirSync(join(root, 'dist/bin'), { recursive: true });
    writeFileSync(join(root, 'dist/bin/x.js'), "console.log('dist');\n");
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    return root;
  }
  const where = (root: string, env: Record<string, string> = {}): Promise<string> =>
    new Promise((res, rej) => execFile(process.execPath, [join(root, 'bin/x.js')], { env: { ...process.env, ...env }, timeout: 30_000 }, (e, out, err) => (e ? rej(new Error(err)) : res(String(out).trim()))));

  it('runs dist/ while it is built after every source, the sources through tsx once one is newer or without a build', async () => {
    const root = tree();
    const past = new Date(Date.now() - 60_000);
    for (const f of ['src/bin/x.ts', 'src/lib.ts']) utimesSync(join(root, f), past, past);
    expect(await where(root)).toBe('src'); // no dist/.built: never built successfully
    writeFileSync(join(root, 'dist/.built'), '');
    expect(await where(root)).toBe('dist');
    expect(await where(root, { BOLT12D_RUN: 'src' })).toBe('src');
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'src/lib.ts'), later, later); // an edit after the build
    expect(await where(root)).toBe('src');
    expect(await where(root, { BOLT12D_RUN: 'dist' })).toBe('dist');
    await expect(where(root, { BOLT12D_RUN: 'maybe' })).rejects.toThrow(/BOLT12D_RUN/);
  });

  it('an installed package (no src/) runs dist/', async () => {
    const root = tree();
    const { rmSync } = await import('node:fs');
    rmSync(join(root, 'src'), { recursive: true });
    expect(await where(root)).toBe('dist');
  });
});
