import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseFlags, resolveDaemonConfig } from '../../src/rpc/config.ts';
import { tempDir } from '../tmp.ts';

describe('daemon config', () => {
  it('flags override <datadir>/<network>/config which overrides <datadir>/config', () => {
    const dir = tempDir('b12cfg-');
    writeFileSync(join(dir, 'config'), '# base\nnetwork=testnet\nalias=base\nport=1111\n');
    mkdirSync(join(dir, 'testnet'));
    writeFileSync(join(dir, 'testnet', 'config'), 'alias=net\n');
    const cfg = resolveDaemonConfig(parseFlags(['--datadir', dir, '--port=2222']));
    expect(cfg).toMatchObject({ datadir: dir, network: 'testnet', alias: 'net', port: 2222, addr: '127.0.0.1', logLevel: 'info' });
  });
  it('refuses unknown flags, bad ports, bad networks and bad config lines, naming them', () => {
    expect(() => parseFlags(['--bogus'])).toThrow(/unknown option --bogus/);
    expect(() => parseFlags(['--port'])).toThrow(/--port needs a value/);
    expect(() => resolveDaemonConfig(parseFlags(['--datadir', '/nonexistent-b12', '--port', '99999']))).toThrow(/port: should be a port/);
    expect(() => resolveDaemonConfig(parseFlags(['--datadir', '/nonexistent-b12', '--network', 'lol']))).toThrow(ConfigError);
    const dir = tempDir('b12cfg-');
    writeFileSync(join(dir, 'config'), 'frobnicate=1\n');
    expect(() => resolveDaemonConfig(parseFlags(['--datadir', dir]))).toThrow(/config:1: unknown option 'frobnicate'/);
  });
  it('fetchinvoice-noconnect: a switch on the command line or a bare line in a config file, as in Core Lightning', () => {
    const dir = tempDir('b12cfg-');
    expect(resolveDaemonConfig(parseFlags(['--datadir', dir])).fetchinvoiceNoconnect).toBe(false);
    expect(resolveDaemonConfig(parseFlags(['--datadir', dir, '--fetchinvoice-noconnect'])).fetchinvoiceNoconnect).toBe(true);
    writeFileSync(join(dir, 'config'), 'fetchinvoice-noconnect\n');
    expect(resolveDaemonConfig(parseFlags(['--datadir', dir])).fetchinvoiceNoconnect).toBe(true);
    writeFileSync(join(dir, 'config'), 'fetchinvoice-noconnect=1\n');
    expect(() => resolveDaemonConfig(parseFlags(['--datadir', dir]))).toThrow(/unknown option 'fetchinvoice-noconnect'/);
    writeFileSync(join(dir, 'config'), 'help\n');
    expect(() => resolveDaemonConfig(parseFlags(['--datadir', dir]))).toThrow(/unknown option 'help'/);
  });
});
