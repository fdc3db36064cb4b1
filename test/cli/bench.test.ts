import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';

function kerb(args: string[]) {
  return spawnSync(process.execPath, ['bin/kerb.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('kerb bench arguments', () => {
  it('prints help for --help instead of running the benchmarks', () => {
    const r = kerb(['bench', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: kerb bench');
    expect(r.stdout).not.toContain('## ');
  });

  it('exits non-zero and names the benchmark when it does not exist', () => {
    const r = kerb(['bench', 'nosuch']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no benchmark named 'nosuch'");
  });

  it('takes the word after a flag as its value, not as a benchmark name', () => {
    const r = kerb(['bench', '--frames', '20000', 'nosuch', '--sim-mode', 'fast']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no benchmark named 'nosuch';");
    expect(r.stderr).not.toContain('20000');
    expect(r.stderr).not.toContain("'fast'");
  });
});
