// The build inlines a bundle's module-level constants (firmware/build/inline.ts): each use becomes
// the literal and the declaration goes, unless that could change what the program does.
import { describe, it, expect } from 'vitest';
import { runInNewContext } from 'node:vm';
import { inlineModuleConstants } from '../../../firmware/build/inline.ts';

function run(code: string): unknown {
  const box: { out?: unknown } = {};
  runInNewContext(code, { box });
  return box.out;
}

describe('module-level constant inlining', () => {
  it('replaces uses by the literal and drops the declaration, in an IIFE bundle', () => {
    const src = '(() => {\n  var A = 0x88, B = -3, C = "kerb.cfg", D = true, F = [1];\n  function f(x) { return { A, v: x + A + B, D }; }\n  box.out = [f(1), C, F];\n})();\n';
    const r = inlineModuleConstants(src);
    expect(r.inlined).toEqual(['A', 'B', 'C', 'D']);
    expect(r.code).not.toMatch(/\bvar A\b|\bB\b|\bC\b/);
    expect(r.code).toContain('var F = [1];');
    expect(run(r.code)).toEqual(run(src));
  });

  it('keeps a constant that is assigned, shadowed, or a string used twice', () => {
    const src = '(() => {\n  var A = 1, B = 2, S = "x";\n  function f(B) { return B + S; }\n  A++;\n  box.out = [A, f(5), S, B];\n})();\n';
    const r = inlineModuleConstants(src);
    expect(r.inlined).toEqual([]);
    expect(r.code).toBe(src);
  });

  it('leaves property names alone and keeps reads inside kept declarations', () => {
    const src = '(() => {\n  var K = 7, T = { K: K, k: K * 2 };\n  box.out = [T.K, T.k, K];\n})();\n';
    const r = inlineModuleConstants(src);
    expect(r.inlined).toEqual(['K']);
    expect(r.code).toContain('var T = { K: 7, k: 7 * 2 };');
    expect(run(r.code)).toEqual([7, 14, 7]);
  });
});
