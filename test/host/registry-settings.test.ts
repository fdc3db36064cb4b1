// Per-device firmware settings live in the registry beside the keys (kerb flash copies them into
// the node's kerb.cfg); the registry validates them and no longer calls them unknown.
import { describe, it, expect } from 'vitest';
import { parseRegistry } from '../../host/registry.ts';

const dev = (extra: object) => JSON.stringify({ devices: [{ id: 'lamp-1', devAddr: '26011BDA', nwkSKey: '00'.repeat(16), appSKey: '11'.repeat(16), ...extra }] });

describe('registry: per-device settings', () => {
  it('accepts numeric settings without a warning', () => {
    const r = parseRegistry(dev({ settings: { intervalS: 300, pm25AlertDeci: 500 } }));
    expect(r.errors).toEqual([]);
    expect(r.warnings.join('\n')).not.toMatch(/settings/);
    expect(r.devices).toHaveLength(1);
  });

  it('names the setting that is not a number', () => {
    const r = parseRegistry(dev({ settings: { intervalS: 'often' } }));
    expect(r.errors.join('\n')).toContain('devices[0] (lamp-1).settings.intervalS: must be a number');
  });

  it('rejects settings that are not an object', () => {
    const r = parseRegistry(dev({ settings: [300] }));
    expect(r.errors.join('\n')).toContain('settings: must be an object');
  });
});
