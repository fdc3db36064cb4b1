// Configuration: layering (file < env < flags), and errors that name the key and the problem.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envName, readConfigFile, resolveConfig } from '../../gateway/config.ts';
import { KerbError } from '../../gateway/types.ts';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KerbError);
    expect((e as KerbError).code).toBe('config');
    return (e as Error).message;
  }
  throw new Error('expected a config error');
}

describe('gateway config', () => {
  it('has working defaults', () => {
    const c = resolveConfig({});
    expect(c.mqtt.url).toBe('');
    expect(c.mqtt.qos).toBe(1);
    expect(c.mqtt.baseTopic).toBe('kerb');
    expect(c.broker.embedded).toBe('auto');
    expect(c.gateway.registry).toBe(path.join(c.gateway.stateDir, 'devices.json'));
    expect(c.gateway.id).toMatch(/^[a-z0-9_-]+$/);
  });

  it('layers file < environment < flags', () => {
    const c = resolveConfig({
      file: { mqtt: { url: 'mqtt://file:1883', keepaliveS: 20, jsonMirror: true }, gateway: { id: 'gw-file', stateDir: '/tmp/x' } },
      env: { KERB_MQTT_URL: 'mqtts://env:8883', KERB_OUTBOX_MAX_BYTES: '1048576', KERB_RADIOS: '/dev/ttyA@57600,/dev/ttyB' },
      flags: { 'gateway.id': 'gw-flag', radios: ['/dev/serial/by-id/usb-x'] },
    });
    expect(c.mqtt.url).toBe('mqtts://env:8883');
    expect(c.mqtt.keepaliveS).toBe(20);
    expect(c.mqtt.jsonMirror).toBe(true);
    expect(c.outbox.maxBytes).toBe(1048576);
    expect(c.gateway.id).toBe('gw-flag');
    expect(c.radios).toEqual([{ path: '/dev/serial/by-id/usb-x', baudRate: 115200 }]);
    expect(resolveConfig({ env: { KERB_RADIOS: '/dev/ttyA@57600,/dev/ttyB' } }).radios).toEqual([
      { path: '/dev/ttyA', baudRate: 57600 },
      { path: '/dev/ttyB', baudRate: 115200 },
    ]);
  });

  it('maps keys to environment names', () => {
    expect(envName('mqtt.url')).toBe('KERB_MQTT_URL');
    expect(envName('outbox.maxBytes')).toBe('KERB_OUTBOX_MAX_BYTES');
    expect(envName('gateway.stateDir')).toBe('KERB_GATEWAY_STATE_DIR');
  });

  it('names the key and the problem in every error, and reports them all at once', () => {
    const m = errorOf(() =>
      resolveConfig({
        file: { mqtt: { keepaliveS: 'abc', qos: 3, url: 'http://x', colour: 'red' }, http: { port: 70000 }, radios: [{ path: '' }], gateway: { id: 'Bad Id!' } },
      }),
    );
    expect(m).toContain('mqtt.keepaliveS: must be an integer 5..65535, got "abc"');
    expect(m).toContain('mqtt.qos: must be one of 0, 1, 2, got 3');
    expect(m).toContain('mqtt.url: "http://x" is not an MQTT URL (http:// is not a broker scheme); write the broker as mqtt://host:1883 (plain) or mqtts://host:8883 (TLS)');
    expect(m).not.toMatch(/got "http", got/);
    expect(m).toContain('mqtt.colour: unknown key');
    expect(m).toContain('http.port: must be an integer 0..65535, got 70000');
    expect(m).toContain('radios[0].path: must be a device path');
    expect(m).toContain('gateway.id: must be 1..64 of [a-z0-9_-], got "Bad Id!"');
  });

  it('says where an environment or flag value came from', () => {
    expect(errorOf(() => resolveConfig({ env: { KERB_HTTP_PORT: 'abc' } }))).toContain('http.port (from KERB_HTTP_PORT): must be an integer 0..65535, got "abc"');
    expect(errorOf(() => resolveConfig({ flags: { 'log.level': 'loud' } }))).toContain('log.level (from command line): must be one of "debug", "info", "warn", "error", got "loud"');
    expect(errorOf(() => resolveConfig({ flags: { 'mqtt.nope': '1' } }))).toContain('mqtt.nope: unknown key');
  });

  it('checks cross-field rules', () => {
    expect(errorOf(() => resolveConfig({ file: { mqtt: { cert: '/c.pem' } } }))).toContain('mqtt.key: a client certificate needs both mqtt.cert and mqtt.key');
    expect(errorOf(() => resolveConfig({ file: { broker: { embedded: 'never' } } }))).toContain('mqtt.url: required when broker.embedded is "never"');
  });

  it('reads YAML files and reports syntax errors with the file name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-cfg-'));
    try {
      const f = path.join(dir, 'gw.yaml');
      fs.writeFileSync(f, 'mqtt:\n  url: mqtt://broker:1883\n  protocolVersion: 5\nradios:\n  - path: /dev/ttyUSB0\n    baudRate: 115200\n');
      const c = resolveConfig({ file: readConfigFile(f), fileName: f });
      expect(c.mqtt.protocolVersion).toBe(5);
      expect(c.radios[0]!.path).toBe('/dev/ttyUSB0');
      fs.writeFileSync(f, 'mqtt:\n  url: [unclosed\n');
      expect(errorOf(() => readConfigFile(f))).toContain(f);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
