// `kerb flash` must not report a flash that never reached a board as a success: the espruino CLI
// prints "Unable to connect!" and still exits 0 when the port is missing.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliFailure } from '../../firmware/build/flash.ts';

describe('kerb flash tells the truth', () => {
  it('exits non-zero with the reason when the port does not exist', () => {
    const state = mkdtempSync(join(tmpdir(), 'kerb-flash-cli-'));
    try {
      const port = join(state, 'ttyNOPE');
      const r = spawnSync(process.execPath, ['bin/kerb.mjs', 'flash', '--board', 'pico', '--entry', 'bridge', '--port', port],
        { encoding: 'utf8', timeout: 90_000, env: { ...process.env, KERB_STATE_DIR: state } });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('nothing was flashed');
      expect(r.stderr).toContain(port);
      expect(r.stdout).not.toMatch(/sent to/);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  }, 120_000);

  it('reads the CLI failure lines and leaves a clean upload alone', () => {
    expect(cliFailure('Connecting to \'/dev/ttyACM0\'\nUnable to connect!\n')).toBe('Unable to connect!');
    expect(cliFailure('serial: Port "/dev/x" not found\nUnable to connect!')).toBe('serial: Port "/dev/x" not found');
    expect(cliFailure('Explicit board JSON supplied\nConnecting to \'/dev/ttyACM0\'\nConnected\nUpload Complete\n')).toBeUndefined();
  });
});
