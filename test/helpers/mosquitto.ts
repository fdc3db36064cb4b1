// A real mosquitto for integration tests: a temp dir with its own config, a free port (TCP, and a
// TLS listener when certificates are given), stop()/start() to simulate a broker outage on the same
// port, and cleanup of everything it started. Persistence is off: a restarted broker forgets
// retained messages and sessions, as a crashed broker would, unless `persist` is set.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface MosquittoOptions {
  /** TLS listener: PEM file paths. requireClientCert → require_certificate true. */
  tls?: { ca: string; cert: string; key: string; requireClientCert?: boolean };
  /** username → password; when given, anonymous access is refused. */
  users?: Record<string, string>;
  /**
   * Keep sessions, subscriptions and queued QoS 1 messages across stop()/start() (mosquitto writes
   * its database on SIGTERM), so a persistent consumer misses nothing during a broker restart.
   */
  persist?: boolean;
}

export interface Mosquitto {
  port: number;
  tlsPort: number | undefined;
  url: string;
  tlsUrl: string | undefined;
  dir: string;
  pid(): number | undefined;
  running(): boolean;
  /** Stops the broker (SIGTERM, then SIGKILL after 3 s); the port stays reserved for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port(s). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
  log(): string;
}

/** A port that was free a moment ago (bind port 0, read it, release it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-mosq-'));
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  // Started as root, mosquitto would switch to user "mosquitto", which cannot read our 0700 temp
  // dir or 0600 keys: stay the user we are.
  const lines = [`user ${os.userInfo().username}`, 'per_listener_settings false', opts.persist ? `persistence true\npersistence_location ${dir}/` : 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type notice', 'max_queued_messages 100000', 'max_inflight_messages 0'];
  if (opts.users) {
    const pw = path.join(dir, 'passwd');
    // mosquitto_passwd -b writes a hashed entry; the plain-text form is not accepted by 2.x.
    fs.writeFileSync(pw, '');
    for (const [u, p] of Object.entries(opts.users)) {
      const r = await new Promise<number>((resolve) => spawn('mosquitto_passwd', ['-b', pw, u, p], { stdio: 'ignore' }).once('exit', (c) => resolve(c ?? 1)));
      if (r !== 0) throw new Error('mosquitto_passwd failed');
    }
    lines.push('allow_anonymous false', `password_file ${pw}`);
  } else {
    lines.push('allow_anonymous true');
  }
  lines.push(`listener ${port} 127.0.0.1`);
  if (opts.tls && tlsPort) {
    lines.push(`listener ${tlsPort} 127.0.0.1`, `cafile ${opts.tls.ca}`, `certfile ${opts.tls.cert}`, `keyfile ${opts.tls.key}`);
    if (opts.tls.requireClientCert) lines.push('require_certificate true');
  }
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, lines.join('\n') + '\n');
  let child: ChildProcess | undefined;
  let out = '';
  let exited: Promise<void> = Promise.resolve();

  const start = async (deadline = Date.now() + 10_000): Promise<void> => {
    if (child) return;
    const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    exited = new Promise<void>((resolve) =>
      c.once('exit', () => {
        if (child === c) child = undefined;
        resolve();
      }),
    );
    // The port may still be in TIME_WAIT from the previous run for a moment; mosquitto retries not.
    while (!(await canConnect(port)) || (tlsPort !== undefined && !(await canConnect(tlsPort)))) {
      if (!child) {
        if (Date.now() > deadline) throw new Error(`mosquitto did not start: ${out}`);
        await sleep(200);
        return start(deadline);
      }
      if (Date.now() > deadline) throw new Error(`mosquitto not listening on ${port}: ${out}`);
      await sleep(20);
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c) return;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  };
  await start();
  return {
    port,
    tlsPort,
    url: `mqtt://127.0.0.1:${port}`,
    tlsUrl: tlsPort ? `mqtts://localhost:${tlsPort}` : undefined,
    dir,
    pid: () => child?.pid,
    running: () => child !== undefined,
    stop,
    start: () => start(),
    close: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    log: () => out,
  };
}
