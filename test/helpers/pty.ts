// A real pseudo-terminal pair from socat: two linked ptys, each reachable through a stable symlink
// (like /dev/serial/by-id/... on a Pi). Closing kills socat, which makes both ends see the
// "unplug" a gateway sees when a USB adapter is pulled; starting a new pair on the same link paths
// is the re-plug.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

export interface PtyPair {
  /** Symlink paths of the two ends. */
  a: string;
  b: string;
  pid: number;
  /** Kills socat and waits for it to exit (idempotent). */
  close(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Starts `socat pty,link=a pty,link=b` and resolves once both links exist and socat is transferring. */
export async function openPtyPair(a: string, b: string, timeoutMs = 10_000): Promise<PtyPair> {
  for (const p of [a, b]) fs.rmSync(p, { force: true });
  const child: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const deadline = Date.now() + timeoutMs;
  while (!(fs.existsSync(a) && fs.existsSync(b) && stderr.includes('starting data transfer loop'))) {
    if (exited) throw new Error(`socat exited early: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`socat pty pair not ready within ${timeoutMs} ms: ${stderr}`);
    }
    await sleep(20);
  }
  return {
    a, b, pid: child.pid!,
    async close() {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exit;
        clearTimeout(t);
      }
      // socat removes its links on a clean exit; make sure, so "path gone" is what the gateway sees.
      for (const p of [a, b]) fs.rmSync(p, { force: true });
    },
  };
}
