// Fault injection for the gateway's state folder: a small tmpfs the tests can fill to the last byte
// or make read-only, flipped bytes, and HTTP/metrics reads of the real gateway process.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/**
 * Mounts a tmpfs of `size` on dir. Returns why not when mounting is impossible here (not root, no
 * mount(8), a container without CAP_SYS_ADMIN); under CI (CI set) that is an error, never a skip.
 */
export function mountTmpfs(dir: string, size: string): string | undefined {
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    const why = `cannot mount a tmpfs on ${dir} (${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()}): needs root with mount rights`;
    if (process.env.CI) throw new Error(`${why}; CI is set, so this is a failure, not a skip`);
    return why;
  }
}

export function remountReadOnly(dir: string): void {
  execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
}

export function unmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  } catch {
    // already gone
  }
}

/** Writes a filler file until the filesystem is full to the last byte; returns its path. */
export function fillDisk(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  const big = Buffer.alloc(64 * 1024, 0x55);
  try {
    for (let chunk = big; chunk.length >= 1; ) {
      try {
        fs.writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        chunk = chunk.subarray(0, chunk.length >> 1);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

export function httpGet(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${p}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

/** Sum of a Prometheus metric's samples (all label sets, or those matching `labels`). */
export async function metric(port: number, name: string, labels = ''): Promise<number> {
  const { body } = await httpGet(port, '/metrics');
  let sum = 0;
  for (const line of body.split('\n')) {
    if (!line.startsWith(`kerb_${name}`)) continue;
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== `kerb_${name}`) continue;
    if (labels && !(m[2] ?? '').includes(labels)) continue;
    sum += Number(m[3]);
  }
  return sum;
}

/** Flips the bits of one byte at `at` (negative: from the end). */
export function flipByte(file: string, at: number, mask = 0x10): void {
  const data = fs.readFileSync(file);
  const i = at < 0 ? data.length + at : at;
  data[i] = data[i]! ^ mask;
  fs.writeFileSync(file, data);
}
