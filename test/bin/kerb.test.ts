// On a Node that cannot strip types, bin/kerb.mjs says what Node it needs instead of failing with
// ERR_UNKNOWN_FILE_EXTENSION. Runs only where an old system Node exists to prove it.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const KERB = fileURLToPath(new URL('../../bin/kerb.mjs', import.meta.url));
const OLD = '/usr/bin/node';
const old = spawnSync(OLD, ['-p', 'process.versions.node'], { encoding: 'utf8' });
const oldMajor = old.status === 0 ? Number(old.stdout.split('.')[0]) : 99;

describe('bin/kerb.mjs on an old Node', () => {
  it.runIf(oldMajor < 22)('prints one line naming the Node it needs and exits 1', () => {
    const r = spawnSync(OLD, [KERB, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/needs Node 22\.18\+ or 24.*npm run kerb -- .*npx kerb/);
    expect(r.stderr).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION/);
  });
});
