// The type checker and the linter are part of the suite: device code that strays outside the
// Espruino subset (Map, destructuring, async…) fails here before it can fail on a lamp post.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';

function npmRun(script: string): { status: number | null; out: string } {
  const r = spawnSync('npm', ['run', '--silent', script], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('static checks', () => {
  it('typecheck passes (Node tree and device tree)', () => {
    const r = npmRun('typecheck');
    expect(r.out.trim().split('\n').slice(-40).join('\n')).not.toMatch(/error TS/);
    expect(r.status).toBe(0);
  }, 300_000);

  it('lint passes (including the Espruino subset rules)', () => {
    const r = npmRun('lint');
    expect(r.status, r.out.slice(-4000)).toBe(0);
  }, 300_000);
});
