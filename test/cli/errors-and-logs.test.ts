// What a person sees when something is wrong, as real `kerb` processes: errors name the thing and
// what to do (no raw ENOENT, no stack trace), `kerb watch` says it is retrying, the gateway warns
// when the embedded broker's port is taken, and its log is readable on a terminal (a pty from
// `script`) and JSON lines on a pipe.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { textLine } from '../../gateway/log.ts';

const KERB = fileURLToPath(new URL('../../bin/kerb.mjs', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }
function kerb(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KERB, ...args], { env: { ...process.env, KERB_CONFIG: '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const STACK = /\n\s+at .+\(|node:internal|ENOENT: no such file/;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-cli-errors-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('errors name the thing and what to do', () => {
  it('a missing scenario file', async () => {
    const r = await kerb(['sim', '--scenario', path.join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`scenario file ${path.join(dir, 'nope.yaml')} does not exist`);
    expect(r.stderr).toContain('sim/scenarios/quickstart.yaml');
    expect(r.stderr).not.toMatch(STACK);
  });

  it('an output file in a folder that does not exist, before the run', async () => {
    const r = await kerb(['sim', '--scenario', 'sim/scenarios/quickstart.yaml', '--report', path.join(dir, 'no-folder', 'r.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`option '--report': folder ${path.join(dir, 'no-folder')} does not exist; create it or write the file elsewhere`);
    expect(r.stdout).toBe('');
  });

  it('an http:// URL given as the broker, to the gateway and the simulator', async () => {
    const [gw, sim] = await Promise.all([
      kerb(['gateway', '--mqtt-url', 'http://x', '--check-config']),
      kerb(['sim', '--scenario', 'sim/scenarios/quickstart.yaml', '--gateway', '--mqtt-url', 'http://x']),
    ]);
    for (const r of [gw, sim]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`option '--mqtt-url': "http://x" is not an MQTT URL (http:// is not a broker scheme); write the broker as mqtt://host:1883`);
      expect(r.stderr).not.toContain('got "http", got');
    }
  });

  it('a config file that does not exist or cannot be read', async () => {
    const missing = await kerb(['gateway', '-c', path.join(dir, 'none.yaml'), '--check-config']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read config file ${path.join(dir, 'none.yaml')} (it does not exist); check the path given with --config or $KERB_CONFIG`);
    const folder = await kerb(['gateway', '--check-config'], { KERB_CONFIG: dir });
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`cannot read config file ${dir} (it is a directory)`);
    for (const r of [missing, folder]) expect(r.stderr).not.toMatch(STACK);
  });

  it('a registry that does not exist', async () => {
    const reg = path.join(dir, 'no-such-devices.json');
    const r = await kerb(['decode', '40F17DBE4900020001954378762B11FF0D', '--registry', reg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read registry ${reg} (it does not exist); pass the right file with --registry, or the keys with --nwkskey and --appskey`);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('kerb watch with no broker says it is retrying and what to check', async () => {
    const port = await freePort();
    const p = spawn(process.execPath, [KERB, 'watch', '--mqtt-url', `mqtt://127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await until(() => err.includes('retrying'), 30_000, 'kerb watch to report the unreachable broker');
      expect(err).toContain(`cannot reach the broker at mqtt://127.0.0.1:${port} (connection refused); retrying every 2 s`);
      expect(err).toContain('Check that kerb gateway is running');
      expect(err).toContain('--mqtt-url');
    } finally {
      p.kill('SIGINT');
      await new Promise((r) => p.once('exit', r));
    }
  }, 60_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(fn: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs `kerb gateway` on an embedded broker whose port `taken` is already held, until it logs that
 * it started; on a pty (through `script`) or on pipes. Returns everything it wrote.
 */
async function gatewayOutput(taken: number, onPty: boolean): Promise<string> {
  const state = fs.mkdtempSync(path.join(dir, onPty ? 'pty-' : 'pipe-'));
  const pidFile = path.join(state, 'pid');
  const args = [KERB, 'gateway', '--state-dir', state, '--broker-port', String(taken), '--http-port', '0', '--set', 'stats.intervalS=0', '--set', 'homeassistant.enabled=false'];
  const env = { ...process.env, KERB_CONFIG: '', NO_COLOR: '1' };
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // `script` gives the gateway a pseudo-terminal for stdin/stdout/stderr, as a shell would; the
  // gateway's pid goes to a file so the test can stop it with SIGTERM (closing the pty would send
  // SIGHUP, which the gateway takes as "reload the registry").
  const p = onPty
    ? spawn('script', ['-qfec', `echo $$ > ${quote(pidFile)}; exec ${quote(process.execPath)} ${args.map(quote).join(' ')}`, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => p.once('exit', r));
  try {
    await until(() => /gateway started/.test(out), 45_000, 'the gateway to start');
  } finally {
    if (onPty && fs.existsSync(pidFile)) process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM');
    else p.kill('SIGTERM');
    await exited;
  }
  return out.replace(/\r\n/g, '\n');
}

describe('the gateway on a terminal and on a pipe', () => {
  let holder: net.Server;
  let taken: number;
  beforeAll(async () => {
    holder = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    taken = (holder.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => holder.close(() => r())));

  it('on a pipe: JSON lines, and a warning naming the taken port and both ways out', async () => {
    const out = await gatewayOutput(taken, false);
    const lines = out.split('\n').filter((l) => l.startsWith('{'));
    const recs = lines.map((l) => JSON.parse(l) as { t: string; level: string; msg: string; port?: number });
    expect(recs.length).toBeGreaterThan(3);
    for (const r of recs) expect(Object.keys(r).slice(0, 3)).toEqual(['t', 'level', 'msg']);
    const warn = recs.find((r) => r.level === 'warn' && r.msg.includes(`port ${taken} on 127.0.0.1 is already taken`));
    expect(warn, out).toBeDefined();
    expect(warn!.msg).toContain(`--mqtt-url mqtt://127.0.0.1:${taken}`);
    expect(warn!.msg).toContain('--broker-port');
    expect(warn!.msg).toContain(`mqtt://127.0.0.1:${warn!.port}`);
  }, 90_000);

  it('on a terminal: readable lines with time, level, message and key=value fields', async () => {
    const out = await gatewayOutput(taken, true);
    const started = out.split('\n').find((l) => l.includes('gateway started'));
    expect(started, out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}gateway started .*stateDir=\//);
    expect(out).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN {2}port ${taken} on 127\\.0\\.0\\.1 is already taken`, 'm'));
    expect(out.split('\n').filter((l) => l.startsWith('{"t"'))).toEqual([]);
  }, 90_000);

  it('the /metrics port taken: the start fails naming the port and the flags to change it', async () => {
    const state = fs.mkdtempSync(path.join(dir, 'http-'));
    const r = await kerb(['gateway', '--state-dir', state, '--broker-port', '0', '--http-port', String(taken)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`kerb gateway: cannot start: /metrics and /health: port ${taken} on 127.0.0.1 is already taken (another kerb gateway running?); choose another with --http-port N`);
    expect(r.stderr).not.toMatch(STACK);
  }, 60_000);

  it('renders fields: bare words, quoted text, errors with their code', () => {
    const line = textLine({ t: '2026-12-05T10:00:01.234Z', level: 'error', msg: 'mqtt connect failed', component: 'mqtt', url: 'mqtt://h:1883', reason: 'two words', err: { message: 'refused', code: 'ECONNREFUSED' }, n: 3 });
    expect(line).toMatch(/^\d\d:\d\d:01\.234 ERROR mqtt connect failed component=mqtt url=mqtt:\/\/h:1883 reason="two words" err="refused \(ECONNREFUSED\)" n=3$/);
  });
});
