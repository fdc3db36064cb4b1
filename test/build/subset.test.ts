// "The build rejects an Espruino-incompatible construct": every construct that
// docs/device-subset.md lists as failing on the device is fed through the real pipeline
// (esbuild with the Espruino target, then the post-bundle checker) and must be refused by one of
// them; the real firmware bundles must pass.
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { bundleSource } from '../../firmware/build/bundle.ts';
import { checkSubset } from '../../firmware/build/subset.ts';
import { buildOne } from '../../firmware/build/build.ts';
import { BUDGETS } from '../../firmware/build/budgets.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Each source uses globalThis-reached values so esbuild cannot constant-fold the construct away.
const G = 'const g: any = (globalThis as any).x;';
const REJECTED: Record<string, string> = {
  'object destructuring': `${G} const { a, b } = g; print(a, b);`,
  'array destructuring': `${G} const [a, b] = g; print(a, b);`,
  'destructuring parameter': `${G} function f({ a }: any) { return a; } print(f(g));`,
  'default parameter': `${G} function f(a = 1) { return a; } print(f(g));`,
  'rest parameter': `${G} function f(...a: any[]) { return a; } print(f(g));`,
  'array spread': `${G} print([...g]);`,
  'call spread': `${G} print(Math.max(...g));`,
  'object spread': `${G} print({ ...g, z: 1 });`,
  'async function': `${G} async function f() { return g; } print(f());`,
  'await': `${G} async function f() { await g; } print(f());`,
  'generator': `${G} function* f() { yield g; } print(f());`,
  'private field': `${G} class A { #x = g; get() { return this.#x; } } print(new A().get());`,
  'labelled statement': `${G} outer: for (let i = 0; i < g; i++) { for (;;) { break outer; } } print(g);`,
  'computed key': `${G} print({ [g]: 1 });`,
  'class extends Error': `${G} class E2 extends Error { } print(new E2(g));`,
  'class extends expression': `${G} class B extends (g.mk() as any) { } print(new B());`,
  'new.target': `${G} function F(this: any) { print(new.target, g); } print(F);`,
  'tagged template': `${G} print(String.raw\`a\${g}\`);`,
  'Map': `${G} print(new Map([[g, 1]]));`,
  'Set': `${G} print(new Set(g));`,
  'WeakMap': `${G} print(new WeakMap());`,
  'Symbol': `${G} print(Symbol(g));`,
  'Proxy': `${G} print(new Proxy(g, {}));`,
  'Reflect': `${G} print(Reflect.ownKeys(g));`,
  'BigInt': `${G} print(BigInt(g));`,
  'Array.from': `${G} print(Array.from(g));`,
  'Array.of': `${G} print(Array.of(g));`,
  'Object.freeze': `${G} print(Object.freeze(g));`,
  'Object.is': `${G} print(Object.is(g, 1));`,
  'Number.isInteger': `${G} print(Number.isInteger(g));`,
  'Number.EPSILON': `${G} print(g < Number.EPSILON);`,
  'Math.trunc': `${G} print(Math.trunc(g));`,
  'Math.log2': `${G} print(Math.log2(g));`,
  'Math.imul': `${G} print(Math.imul(g, 3));`,
  'Promise.race': `${G} print(Promise.race(g));`,
  'Promise.allSettled': `${G} print(Promise.allSettled(g));`,
  '.finally()': `${G} print(Promise.resolve(g).finally(() => 1));`,
  '.at()': `${G} print(g.at(-1));`,
  '.flat()': `${G} print(g.flat());`,
  '.trimStart()': `${G} print(g.trimStart());`,
  'Date.UTC': `${G} print(Date.UTC(g, 1));`,
  'Array.prototype.slice static look-up': `${G} print(Array.prototype.slice.call(g, 1));`,
  'Function.prototype.call static look-up': `${G} print(Function.prototype.call.bind(g));`,
  'regex lookahead': `${G} print(/a(?=b)/.test(g));`,
  'regex named group': `${G} print(/(?<y>\\d)/.exec(g));`,
  'regex {n} quantifier': `${G} print(/a{3}/.test(g));`,
  'regex \\b': `${G} print(/\\bword/.test(g));`,
  'regex non-capturing group': `${G} print(/(?:ab)+/.test(g));`,
  'regex sticky flag': `${G} print(/a/y.test(g));`,
  'closure over a for-let variable': `${G} const fs: any[] = []; for (let i = 0; i < g; i++) { fs.push(function () { return i; }); } print(fs);`,
  'use before define (top level)': `${G} print(later(g)); function later(v: any) { print(v); return v + g.k; }`,
  'use before define (in a function)': `${G} function outer() { const r = inner(g); function inner(v: any) { print(v); return v + g.k; } return r; } print(outer());`,
};

const PRELUDE = 'declare function print(a?: any, b?: any, c?: any, d?: any, e?: any): void;\n';

describe('Espruino-subset enforcement (esbuild target + post-bundle checker)', () => {
  for (const [name, src] of Object.entries(REJECTED)) {
    it(`rejects ${name}`, async () => {
      const r = await bundleSource(PRELUDE + src);
      expect(r.ok).toBe(false);
      expect(r.buildErrors.length + r.violations.length).toBeGreaterThan(0);
      // The refusal must come from the construct (line 2), not from the prelude.
      for (const e of r.buildErrors) expect(e).toMatch(/^input\.ts:2:/);
      for (const v of r.violations) expect(v.line).toBeGreaterThan(0);
    });
  }

  it('accepts what Espruino runs: arrows, classes, let/const, templates, ??, for-of, typed arrays', async () => {
    const src = `${PRELUDE}const g: any = (globalThis as any).x;
      class A { v: number; constructor(v: number) { this.v = v; } get d() { return this.v * 2; } static k() { return 1; } }
      class B extends A { constructor() { super(2); } }
      const xs = new Uint8Array(4); let s = 0; for (const x of xs) s += x;
      const o = { s, f: (a: number) => a + 1, get q() { return 1; } };
      try { print(\`\${o.f(s)} \${new B().d} \${g ?? 0} \${A.k()}\`); } catch { print('x'); }
      print([1, 2].includes(g), 'ab'.padStart(4, '0'), Object.keys(o), Math.pow(g, 2), g?.y);`;
    const r = await bundleSource(src);
    expect(r.buildErrors).toEqual([]);
    expect(r.violations).toEqual([]);
    expect(r.ok).toBe(true);
    // ?. was lowered, not kept.
    expect(r.code).not.toContain('?.');
  });

  it('reports line, column and the construct', () => {
    const v = checkSubset('var a = 1;\nvar m = new Map();\n');
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ line: 2, column: 13, construct: 'Map' });
    expect(v[0]!.snippet).toContain('new Map()');
  });

  it('rejects a code point escape left in the output (esbuild lowers the ones it sees)', async () => {
    expect(checkSubset("print('\\u{1F600}');").map((v) => v.construct)).toEqual(['\\u{…} escape']);
    const r = await bundleSource(`${PRELUDE}const g: any = (globalThis as any).x; print(g + '\\u{1F600}');`);
    expect(r.ok).toBe(true);
    expect(r.code).not.toContain('\\u{');
  });

  it("rejects an identifier named 'of' (identifier-minifier artefact)", () => {
    expect(checkSubset('var of = 1; print(of);').map((v) => v.construct)).toContain("identifier 'of'");
    expect(checkSubset('for (var x of [1]) print(x);')).toEqual([]);
  });

  it('does not flag a for-let loop whose closures do not read the loop variable', () => {
    expect(checkSubset('for (let i = 0; i < 3; i++) { var k = i; setTimeout(function () { print(1); }, 0); }')).toEqual([]);
    expect(checkSubset('for (var i = 0; i < 3; i++) { setTimeout(function () { print(i); }, 0); }')).toEqual([]);
  });

  it('does not flag a locally declared Set or a call after the declaration', () => {
    expect(checkSubset('function f(){return 1} f(); var Set = function(){}; new Set();')).toEqual([]);
  });

  it('flags the lowered #private helper (WeakMap) when esbuild lowers instead of refusing', () => {
    const v = checkSubset('var _x = new WeakMap(); print(_x);');
    expect(v.map((x) => x.construct)).toEqual(['WeakMap']);
  });
});

describe('real firmware bundles', () => {
  it('the RN2483 UART radio driver (not used by a stock board) is inside the subset too', async () => {
    const src = `import { createRn2483 } from './firmware/src/radio/rn2483.ts';
      declare const Serial1: any; declare function setTimeout(cb: () => void, ms: number): number; declare function clearTimeout(h: number): void; declare function getTime(): number;
      const r = createRn2483({ write: function (b: Uint8Array) { Serial1.write(b); }, onData: function (cb: (c: Uint8Array) => void) { Serial1.on('data', function (s: string) { cb(new Uint8Array(s.length)); }); } },
        { now: function () { return getTime() * 1000; }, setTimeout: setTimeout, clearTimeout: clearTimeout });
      r.init(function () {});`;
    const res = await bundleSource(src, {}, root);
    expect(res.buildErrors).toEqual([]);
    expect(res.violations).toEqual([]);
    expect(res.code).toContain('radio tx ');
  });

  // Requirement: every board's bundles build within budget (Puck.js node ≤ 20 KB).
  for (const board of Object.keys(BUDGETS)) {
    for (const entry of Object.keys(BUDGETS[board]!)) {
      it(`${board}-${entry} bundle passes the checker and fits its ${BUDGETS[board]![entry]}-byte budget`, async () => {
        const r = await buildOne(root, board, entry);
        expect(r.buildErrors).toEqual([]);
        expect(r.violations).toEqual([]);
        expect(r.bytes).toBeGreaterThan(1000);
        expect(r.code).not.toContain('__require');
        if (entry !== 'selftest') expect(r.code).toContain('require("Storage")');
        expect(r.bytes).toBeLessThanOrEqual(BUDGETS[board]![entry]!);
      });
    }
  }
});
