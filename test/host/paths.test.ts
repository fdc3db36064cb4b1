// host/paths.ts: the one rule for where the registry and state live, layer by layer.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolvePaths, defaultStateDir, commandPaths, flagValue, type PathInputs } from '../../host/paths.ts';
import { findConfigFile, DEFAULT_CONFIG_FILE } from '../../host/config-file.ts';

const base = (o: Partial<PathInputs> = {}): PathInputs => ({ flags: {}, env: {}, cwd: '/work/here', home: '/home/u', ...o });

describe('resolvePaths', () => {
  it('defaults to ~/.local/state/kerb, or $XDG_STATE_HOME/kerb when that is absolute', () => {
    expect(resolvePaths(base()).stateDir).toEqual({ path: '/home/u/.local/state/kerb', from: 'default' });
    expect(resolvePaths(base()).registry.path).toBe('/home/u/.local/state/kerb/devices.json');
    expect(resolvePaths(base({ env: { XDG_STATE_HOME: '/xdg' } })).registry.path).toBe('/xdg/kerb/devices.json');
    // A relative XDG_STATE_HOME is invalid per the XDG Base Directory spec and is ignored.
    expect(defaultStateDir({ XDG_STATE_HOME: 'rel' }, '/home/u')).toBe('/home/u/.local/state/kerb');
  });

  it('takes the config file over the default; relative stateDir from the file folder, registry inside the state dir', () => {
    const r = resolvePaths(base({ config: { file: '/etc/kerb/gateway.yaml', stateDir: 'state', registry: 'reg.json' } }));
    expect(r.stateDir.path).toBe('/etc/kerb/state');
    expect(r.registry.path).toBe('/etc/kerb/state/reg.json');
    expect(r.registry.from).toBe('gateway.registry in /etc/kerb/gateway.yaml');
    expect(resolvePaths(base({ config: { file: 'c.yaml', stateDir: '/srv/kerb' } })).registry.path).toBe('/srv/kerb/devices.json');
  });

  it('takes the environment over the config file, relative to the current directory', () => {
    const cfg = { file: '/etc/kerb/gateway.yaml', stateDir: '/srv/kerb', registry: 'reg.json' };
    const r = resolvePaths(base({ env: { KERB_STATE_DIR: 'st' }, config: cfg }));
    expect(r.stateDir).toEqual({ path: '/work/here/st', from: 'KERB_STATE_DIR' });
    // The file's registry is still the file's (a name inside the state directory, now the env's).
    expect(r.registry.path).toBe('/work/here/st/reg.json');
    expect(resolvePaths(base({ env: { KERB_REGISTRY: 'r.json' }, config: cfg })).registry).toEqual({ path: '/work/here/r.json', from: 'KERB_REGISTRY' });
  });

  it('takes flags over everything; a relative --registry is relative to the current directory', () => {
    const r = resolvePaths(base({ flags: { registry: 'a/devices.json', stateDir: 's' }, env: { KERB_REGISTRY: '/env.json', KERB_STATE_DIR: '/env' }, config: { stateDir: '/cfg', registry: 'x.json' } }));
    expect(r.registry).toEqual({ path: '/work/here/a/devices.json', from: 'flag --registry' });
    expect(r.stateDir).toEqual({ path: '/work/here/s', from: 'flag --state-dir' });
  });

  it('reads KERB_GATEWAY_STATE_DIR and KERB_GATEWAY_REGISTRY as deprecated aliases, with a warning, below the new names', () => {
    const old = resolvePaths(base({ env: { KERB_GATEWAY_STATE_DIR: '/old' } }));
    expect(old.registry.path).toBe('/old/devices.json');
    expect(old.warnings).toEqual(['KERB_GATEWAY_STATE_DIR is deprecated; set KERB_STATE_DIR instead']);
    const both = resolvePaths(base({ env: { KERB_GATEWAY_STATE_DIR: '/old', KERB_STATE_DIR: '/new', KERB_GATEWAY_REGISTRY: '/old.json' } }));
    expect(both.stateDir.path).toBe('/new');
    expect(both.registry.path).toBe('/old.json');
    expect(both.warnings).toEqual(['KERB_GATEWAY_REGISTRY is deprecated; set KERB_REGISTRY instead']);
  });

  it('names the key and file when the config file gives a path that is not a string', () => {
    expect(() => resolvePaths(base({ config: { file: 'g.yaml', stateDir: 3 } }))).toThrow('gateway.stateDir (g.yaml): must be a path, got 3');
  });
});

describe('config file choice and commandPaths', () => {
  it('is --config, else $KERB_CONFIG, else the system file only if it exists', () => {
    expect(findConfigFile('a.yaml', { KERB_CONFIG: 'b.yaml' }, () => true)).toEqual({ file: 'a.yaml', from: 'flag' });
    expect(findConfigFile(undefined, { KERB_CONFIG: 'b.yaml' }, () => true)).toEqual({ file: 'b.yaml', from: 'KERB_CONFIG' });
    expect(findConfigFile(undefined, {}, (f) => f === DEFAULT_CONFIG_FILE)).toEqual({ file: DEFAULT_CONFIG_FILE, from: 'default' });
    expect(findConfigFile(undefined, {}, () => false)).toEqual({ file: undefined, from: 'none' });
  });

  it('reads gateway.stateDir and gateway.registry from the config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-paths-'));
    try {
      const cfg = path.join(dir, 'gateway.yaml');
      fs.writeFileSync(cfg, 'gateway:\n  stateDir: st\n  registry: fleet.json\nmqtt:\n  url: mqtt://x\n');
      const p = commandPaths({}, { KERB_CONFIG: cfg });
      expect(p.registry.path).toBe(path.join(dir, 'st', 'fleet.json'));
      fs.writeFileSync(cfg, 'gateway: 7\n');
      expect(() => commandPaths({}, { KERB_CONFIG: cfg })).toThrow(`gateway (${cfg}): must be a mapping`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds --registry in argv in both spellings', () => {
    expect(flagValue(['add', 'x', '--registry', 'a.json', '--help'], '--registry')).toBe('a.json');
    expect(flagValue(['--registry=b.json'], '--registry')).toBe('b.json');
    expect(flagValue(['--help'], '--registry')).toBeUndefined();
  });
});
