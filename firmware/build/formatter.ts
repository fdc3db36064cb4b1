// Builds docs/kerb-formatter.js: shared/payload/formatter.ts as one standalone ES5.1 script for
// The Things Stack ("JavaScript payload formatters ... executed using an ECMAScript 5.1 runtime",
// max 40 960 bytes, no modules) and ChirpStack v4 codecs. Two steps:
//   1. esbuild bundles the TypeScript into an IIFE assigned to one global (tree-shaken, readable);
//   2. TypeScript's transpiler lowers ES2015 syntax (let/const, arrows) to ES5 — esbuild
//      refuses to lower const/let to ES5 itself.
// A top-level `function decodeUplink(input)` is appended, because both platforms evaluate the file
// and then call that global. Output is deterministic: test/shared/payload/formatter.test.ts rebuilds it
// and compares with the checked-in file.
// Usage: node firmware/build/formatter.ts [--check] [--out file]   (npm run build:formatter)
import * as esbuild from 'esbuild';
import ts from 'typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const FORMATTER_GLOBAL = 'kerbFormatter';
export const FORMATTER_MAX_BYTES = 40960;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FORMATTER_ENTRY = join(ROOT, 'shared/payload/formatter.ts');
export const FORMATTER_OUT = join(ROOT, 'docs/kerb-formatter.js');

const HEADER = `// kerb payload formatter for The Things Stack / ChirpStack v4 (generated, do not edit).
// Source: shared/payload/formatter.ts; rebuild: npm run build:formatter
// Decodes kerb readings (FPort 1), status (FPort 2), alerts (FPort 3) and Cayenne LPP on other
// ports. Layouts: docs/protocol.md section 2. Paste the whole file as a custom JavaScript uplink
// formatter.
`;

export async function buildFormatter(): Promise<string> {
  const r = await esbuild.build({
    entryPoints: [FORMATTER_ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: FORMATTER_GLOBAL,
    platform: 'neutral',
    target: 'es2015',
    treeShaking: true,
    minifySyntax: false,
    legalComments: 'none',
    charset: 'ascii',
    logLevel: 'silent',
  });
  const bundled = r.outputFiles[0]!.text;
  const es5 = ts.transpileModule(bundled, {
    fileName: 'kerb-formatter.js',
    compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.None, allowJs: true, removeComments: false, newLine: ts.NewLineKind.LineFeed },
  }).outputText;
  return HEADER + es5.trimEnd() + `

function decodeUplink(input) {
  return ${FORMATTER_GLOBAL}.decodeUplink(input);
}
`;
}

async function main(argv: string[]): Promise<number> {
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 ? argv[outIdx + 1]! : FORMATTER_OUT;
  const code = await buildFormatter();
  const bytes = Buffer.byteLength(code);
  if (argv.includes('--check')) {
    let cur = '';
    try { cur = readFileSync(out, 'utf8'); } catch { /* missing counts as stale */ }
    if (cur !== code) {
      console.error(`${out} is stale: run npm run build:formatter`);
      return 1;
    }
    console.log(`${out} up to date (${bytes} bytes)`);
    return 0;
  }
  writeFileSync(out, code);
  console.log(`wrote ${out} (${bytes} bytes, limit ${FORMATTER_MAX_BYTES})`);
  return bytes <= FORMATTER_MAX_BYTES ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { console.error(e); process.exitCode = 1; });
}
