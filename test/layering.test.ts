// The layering of ../shared/DESIGN.md holds by itself: a module imports only layers above its own
// row, and only src/crypto/ imports a crypto library.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/**
 * Rows of DESIGN.md's table, top (imported by everyone) to bottom. `util` (clock, logger, byte
 * helpers: no crypto, no I/O) sits above them all; `bin` (the executables' entry points) below.
 */
export const LAYERS = [
  'util',
  'crypto',
  'wire',
  'noise',
  'bolt12',
  'transport',
  'gossip',
  'pathfinding',
  'onion-message',
  'invoice-store',
  'channel',
  'payments',
  'sendinvoice.ts',
  'invoicerequest.ts',
  'node.ts',
  'rpc',
  'testnet',
  // the package's main entry (package.json `exports`), re-exporting the layers above
  'index.ts',
  'bin',
] as const;

const CRYPTO_LIBS = [/^node:crypto$/, /^crypto$/, /^tiny-secp256k1(\/|$)/, /^secp256k1(\/|$)/, /^@noble\//, /^sodium-native(\/|$)/];

/** The layer index of a path relative to src/ (e.g. `wire/tlv.ts` → 2), or -1 if not in a row. */
export function layerOf(relPath: string): number {
  const first = relPath.split('/')[0]!;
  return (LAYERS as readonly string[]).indexOf(first);
}

/** Import specifiers in a TypeScript source (static, re-exports, dynamic). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of source.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  // require('x') and createRequire(import.meta.url)('x')
  for (const m of source.matchAll(/(?:\brequire|\))\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

export interface Violation {
  file: string;
  spec: string;
  why: string;
}

/** Check one file (path relative to src/) with the given source text. */
export function checkFile(rel: string, source: string): Violation[] {
  const v: Violation[] = [];
  const mine = layerOf(rel);
  if (mine < 0) v.push({ file: rel, spec: '', why: `not in any layer of DESIGN.md (${LAYERS.join(', ')})` });
  for (const spec of importsOf(source)) {
    if (CRYPTO_LIBS.some((r) => r.test(spec)) && !rel.startsWith('crypto/')) {
      v.push({ file: rel, spec, why: 'only src/crypto/ may import a crypto library' });
    }
    if (spec.startsWith('.')) {
      const target = relative(SRC, resolve(join(SRC, dirname(rel)), spec)).split('\\').join('/');
      if (target.startsWith('..')) {
        v.push({ file: rel, spec, why: 'imports from outside src/' });
        continue;
      }
      const theirs = layerOf(target);
      if (theirs < 0) v.push({ file: rel, spec, why: `imports ${target}, which is in no layer` });
      else if (theirs > mine) v.push({ file: rel, spec, why: `layer ${LAYERS[mine]} imports ${LAYERS[theirs]}, a layer below it` });
    }
  }
  return v;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('layering', () => {
  it('every file under src/ imports only layers above it, and only src/crypto imports crypto libraries', () => {
    const files = walk(SRC);
    expect(files.length).toBeGreaterThan(5);
    const violations = files.flatMap((f) => checkFile(relative(SRC, f).split('\\').join('/'), readFileSync(f, 'utf8')));
    expect(violations).toEqual([]);
  });

  it('the checker catches a downward import, a crypto import outside src/crypto, and a stray file', () => {
    expect(checkFile('wire/x.ts', "import { Peer } from '../transport/index.ts';")[0]?.why).toMatch(/layer wire imports transport/);
    expect(checkFile('bolt12/x.ts', "import { createHash } from 'node:crypto';")[0]?.why).toMatch(/only src\/crypto/);
    expect(checkFile('bolt12/x.ts', "export * from '@noble/curves/secp256k1.js';")[0]?.why).toMatch(/only src\/crypto/);
    expect(checkFile('noise/x.ts', "import sodium from 'sodium-native';")[0]?.why).toMatch(/only src\/crypto/);
    expect(checkFile('noise/x.ts', "const s = createRequire(import.meta.url)('sodium-native');")[0]?.why).toMatch(/only src\/crypto/);
    expect(checkFile('wire/x.ts', "const c = require('node:crypto');")[0]?.why).toMatch(/only src\/crypto/);
    expect(checkFile('wire/x.ts', "const m = await import('../node.ts');")[0]?.why).toMatch(/imports node.ts/);
    expect(checkFile('misc/x.ts', '')[0]?.why).toMatch(/not in any layer/);
    expect(checkFile('transport/x.ts', "import { a } from '../wire/index.ts';\nimport { b } from '../crypto/index.ts';")).toEqual([]);
    expect(checkFile('crypto/x.ts', "import * as t from 'tiny-secp256k1';")).toEqual([]);
  });
});
