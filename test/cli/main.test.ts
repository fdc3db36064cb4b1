import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';

function kerb(args: string[]) {
  return spawnSync(process.execPath, ['bin/kerb.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('kerb CLI dispatcher', () => {
  it('lists every subcommand in its usage', () => {
    const r = kerb(['--help']);
    expect(r.status).toBe(0);
    for (const c of ['gateway', 'sim', 'build', 'flash', 'keys', 'decode', 'watch', 'bench']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
  });

  it('rejects an unknown command with exit code 2 and says which', () => {
    const r = kerb(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('prints the package version for --version and exits 0', () => {
    const r = kerb(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^kerb \d+\.\d+\.\d+/);
  });

  it('suggests the nearest command for a typo and still exits 2', () => {
    const r = kerb(['gatway']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("did you mean 'gateway'?");
  });
});
