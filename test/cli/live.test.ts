// `npm start`: the command in package.json's start script, spawned as it is, runs the simulated
// street into the gateway until Ctrl-C. It prints the page, the broker and a `kerb watch` command;
// a device appears on the page and its uplinks on MQTT; SIGINT to its process group (what Ctrl-C
// on a terminal sends) stops everything, says so, and exits 0; so does SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { decodeSenmlCbor, resolveSenml } from '../../gateway/senml.ts';
import { waitUntil } from '../helpers/gateway.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The start script's words, with `node` the Node running the tests (npm would put the same first on PATH). */
function startCommand(): string[] {
  const pkg = JSON.parse(fs.readFileSync(new URL('package.json', `file://${ROOT}`), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts.start!.split(/\s+/);
  expect(words[0]).toBe('node');
  return [process.execPath, ...words.slice(1)];
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${url}: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  });
}

describe('npm start', () => {
  it('runs the street until Ctrl-C, shows where to look, and stops cleanly', async () => {
    const [cmd, ...args] = startCommand();
    const p = spawn(cmd!, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => p.once('exit', (code, signal) => r({ code, signal })));
    let sub: mqtt.MqttClient | undefined;
    try {
      const page = (await waitUntil(() => /page: +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out), 60_000, `the page URL in ${JSON.stringify(out + err)}`))[1]!;
      const broker = /MQTT: +(mqtt:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(broker).toBeDefined();
      expect(out).toMatch(/topics: +kerb\/device\/<id>\/up \(SenML-CBOR\)/);
      expect(out).toContain(`npx kerb watch --mqtt-url ${broker}`);
      expect(out).toMatch(/Ctrl-C stops everything/);

      sub = await mqtt.connectAsync(broker!, { clientId: `kerb-live-test-${process.pid}` });
      const ups: { topic: string; name: string }[] = [];
      sub.on('message', (topic, payload) => {
        const recs = resolveSenml(decodeSenmlCbor(payload));
        ups.push({ topic, name: recs[0]!.name });
      });
      await sub.subscribeAsync('kerb/device/+/up', { qos: 1 });

      const state = (await waitUntil(async () => {
        const s = (await getJson(`${page}api/state`)) as { devices: { id: string; lastSeen: string | null; readings: Record<string, number> }[] };
        return s.devices.some((d) => d.lastSeen) ? s : undefined;
      }, 90_000, 'a device heard on the page')) as { devices: { id: string; lastSeen: string | null; readings: Record<string, number>; location: unknown }[] };
      expect(state.devices.length).toBeGreaterThanOrEqual(24);
      expect(state.devices.every((d) => d.location)).toBe(true);
      const heard = state.devices.find((d) => d.lastSeen)!;
      expect(Object.keys(heard.readings)).toContain('temperature');

      const up = await waitUntil(() => ups[0], 90_000, 'an uplink on MQTT');
      expect(up.topic).toMatch(/^kerb\/device\/sim-\d{5}\/up$/);
      expect(up.name).toMatch(/^urn:dev:kerb:sim-\d{5}:/);
    } finally {
      await sub?.endAsync();
      // Ctrl-C on a terminal signals the whole foreground process group.
      if (p.exitCode === null) process.kill(-p.pid!, 'SIGINT');
    }
    const end = await exited;
    expect(end).toEqual({ code: 0, signal: null });
    expect(out).toMatch(/kerb: SIGINT: stopping the street, the gateway and its broker/);
    expect(out).toMatch(/kerb: stopped cleanly after \d+ s: \d+ uplinks published, the gateway and its broker are closed\. Bye\./);
    expect(err).not.toMatch(/"level":"error"/);
  }, 240_000);

  it('stops as cleanly on SIGTERM (systemd, docker stop)', async () => {
    const [cmd, ...args] = startCommand();
    const p = spawn(cmd!, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => p.once('exit', (code, signal) => r({ code, signal })));
    try {
      await waitUntil(() => /Ctrl-C stops everything/.test(out), 60_000, 'the start-up lines');
    } finally {
      if (p.exitCode === null) p.kill('SIGTERM');
    }
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(out).toMatch(/kerb: SIGTERM: stopping the street, the gateway and its broker/);
    expect(out).toMatch(/kerb: stopped cleanly after \d+ s: \d+ uplinks published, the gateway and its broker are closed\. Bye\./);
  }, 120_000);
});
