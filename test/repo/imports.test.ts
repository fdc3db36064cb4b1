// Dependencies point one way (docs/architecture.md, "Import rules"): device code never reaches Node
// code, the gateway never reaches the simulator, and so on. This test parses every tracked .ts
// file's static imports and literal dynamic imports and checks them against that table. It also
// checks that test/ mirrors the source tree by full path, so a test's folder says what it tests.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Which repo folders code in a folder may import (node: and npm packages are always allowed). */
export const RULES: { from: string; may: string[] | 'any' }[] = [
  { from: 'shared/', may: ['shared/'] },
  { from: 'firmware/src/', may: ['shared/', 'firmware/src/'] },
  { from: 'firmware/build/', may: ['shared/', 'host/', 'firmware/'] },
  { from: 'host/', may: ['shared/', 'host/'] },
  { from: 'gateway/', may: ['shared/', 'host/', 'gateway/'] },
  // Fidelity mode bundles and runs the real firmware, so the simulator may use the build tooling.
  { from: 'sim/', may: ['shared/', 'host/', 'sim/', 'firmware/src/', 'firmware/build/'] },
  { from: 'cli/', may: 'any' },
  { from: 'bench/', may: 'any' },
  { from: 'test/', may: 'any' },
];

/** Folders under test/ that hold shared test material rather than mirror a source folder. */
const TEST_SUPPORT = new Set(['test/helpers', 'test/vectors', 'test/repo', 'test/setup', 'test/soak']); // soak: the long fault soak behind `npm run soak`

/** Module specifiers in a file: `import … from 'x'`, `export … from 'x'`, `import 'x'`, `import('x')`. */
export function specifiers(text: string): string[] {
  const out: string[] = [];
  // Comments may mention imports in prose; drop them first (strings keep their slashes).
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`$]+)['"`]\s*[,)]/g,
  ];
  for (const re of patterns) for (let m = re.exec(code); m; m = re.exec(code)) out.push(m[1]!);
  return out;
}

/** Violations for a list of (file, specifier) pairs; files and results are repo-relative. */
export function violations(imports: { file: string; spec: string }[]): string[] {
  const out: string[] = [];
  for (const { file, spec } of imports) {
    if (!spec.startsWith('.')) continue; // node: builtins and npm packages
    const target = posix.normalize(posix.join(posix.dirname(file), spec));
    const rule = RULES.find((r) => file.startsWith(r.from));
    if (!rule || rule.may === 'any') continue;
    if (target.startsWith('../')) { out.push(`${file}: imports ${spec}, outside the repository`); continue; }
    if (!rule.may.some((p) => target.startsWith(p))) {
      out.push(`${file}: imports ${target}; code in ${rule.from} may import only ${rule.may.join(', ')}`);
    }
  }
  return out;
}

/** Folders under test/ that name no source folder by their full path below test/. */
export function unmirrored(testDirs: string[], exists: (p: string) => boolean): string[] {
  return testDirs.filter((d) => {
    if ([...TEST_SUPPORT].some((s) => d === s || d.startsWith(s + '/'))) return false;
    return !exists(d.slice('test/'.length));
  });
}

function tracked(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((f) => f !== '');
}

describe('import rules', () => {
  it('every tracked .ts file imports only what its folder may', () => {
    const files = tracked().filter((f) => f.endsWith('.ts') && existsSync(join(ROOT, f)));
    expect(files.length).toBeGreaterThan(100);
    const imports: { file: string; spec: string }[] = [];
    for (const file of files) for (const spec of specifiers(readFileSync(join(ROOT, file), 'utf8'))) imports.push({ file, spec });
    // Enough relative imports were found that the parser is plainly working.
    expect(imports.filter((i) => i.spec.startsWith('.')).length).toBeGreaterThan(300);
    expect(violations(imports)).toEqual([]);
  });

  it('the checker finds bad imports', () => {
    const bad = [
      { file: 'shared/node/node.ts', spec: '../../host/registry.ts' },
      { file: 'firmware/src/main-node.ts', spec: '../build/bundle.ts' },
      { file: 'host/registry.ts', spec: '../gateway/types.ts' },
      { file: 'gateway/main.ts', spec: '../sim/clock.ts' },
      { file: 'sim/fleet.ts', spec: '../cli/main.ts' },
      { file: 'firmware/build/bundle.ts', spec: '../../gateway/main.ts' },
      { file: 'shared/lorawan/aes.ts', spec: '../../../elsewhere/x.ts' },
    ];
    const good = [
      { file: 'shared/node/node.ts', spec: '../lorawan/aes.ts' },
      { file: 'sim/fidelity-node.ts', spec: '../firmware/build/bundle.ts' },
      { file: 'gateway/features/x.ts', spec: '../../host/registry.ts' },
      { file: 'host/crypto.ts', spec: 'node:crypto' },
      { file: 'cli/main.ts', spec: '../sim/fleet.ts' },
    ];
    expect(violations(bad)).toHaveLength(bad.length);
    expect(violations(good)).toEqual([]);
    expect(specifiers("import { a } from './a.ts';\nimport type { B } from \"../b.ts\";\nexport * from './c.ts';\n" +
      "import './d.ts';\nconst m = await import('../e.ts');\n// import { z } from './comment.ts';\n"))
      .toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', '../e.ts']);
  });

  it('test/ mirrors the source tree by full path', () => {
    const dirs = new Set<string>();
    for (const f of tracked()) {
      if (!f.startsWith('test/')) continue;
      for (let d = posix.dirname(f); d !== 'test'; d = posix.dirname(d)) dirs.add(d);
    }
    const isDir = (p: string) => existsSync(join(ROOT, p)) && statSync(join(ROOT, p)).isDirectory();
    expect(dirs.size).toBeGreaterThan(5);
    expect(unmirrored([...dirs].sort(), isDir)).toEqual([]);
    // And the check itself can fail: a folder named only by its last part is caught.
    expect(unmirrored(['test/lorawan', 'test/shared/lorawan', 'test/helpers'], isDir)).toEqual(['test/lorawan']);
  });
});
