// esbuild → one Espruino script. Two passes: bundle (syntax-minify only, so constant board
// defines fold and dead branches drop), then replace esbuild's `__require` shim (it references
// Proxy and costs ~300 bytes) by the device's own `require`, then whitespace-minify. Identifier
// minification is optional: it once produced a variable named `of`, which Espruino rejects
// (docs/device-subset.md), so the subset checker looks for that name in every output.
import * as esbuild from 'esbuild';
import { BUILTIN_MODULES, ESBUILD_TARGET, SUPPORTED } from './target.ts';
import { checkSubset, type Violation } from './subset.ts';
import { regionPlugin } from './region.ts';

export interface BundleOptions {
  /** Values for `declare const` compile-time constants, e.g. { KERB_BOARD: 'puck' }. */
  defines?: Record<string, string | number | boolean>;
  minifyIdentifiers?: boolean;
  minifyWhitespace?: boolean;
  /** LoRaWAN region whose tables the bundle carries (firmware/build/region.ts). Default EU868. */
  region?: string;
}

export interface BundleResult {
  ok: boolean;
  code: string;
  bytes: number;
  /** esbuild refusals (syntax it cannot lower for the Espruino target). */
  buildErrors: string[];
  violations: Violation[];
  /** Bytes each source file contributes (first pass, before whitespace/identifier minification). */
  modules: Record<string, number>;
}

/**
 * Module-level lookup tables (`const SBOX = new Uint8Array([...])`) are side-effect free, but
 * esbuild keeps any top-level `new`: annotating them /* @__PURE__ *\/ lets tree-shaking drop a
 * table whose users were folded away (the portable AES on boards with hardware AES: ~1 KB).
 * Only unindented `const X = new <TypedArray>(` lines are touched.
 */
const TOP_LEVEL_TABLE = /^((?:export )?const [A-Za-z_$][\w$]*(?:: [\w<>]+)? = )new (Uint8Array|Int8Array|Uint16Array|Int16Array|Uint32Array|Int32Array|Float32Array|Float64Array)\(/gm;

const pureTables: esbuild.Plugin = {
  name: 'kerb-pure-tables',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const src = await readFile(args.path, 'utf8');
      return { contents: src.replace(TOP_LEVEL_TABLE, '$1/* @__PURE__ */ new $2('), loader: 'ts' };
    });
  },
};

function defineMap(d: Record<string, string | number | boolean> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(d ?? {})) out[k] = JSON.stringify(d![k]);
  return out;
}

/** Remove esbuild's dynamic-require shim; calls go straight to Espruino's global `require`. */
export function stripRequireShim(code: string): string {
  const start = code.indexOf('var __require = ');
  if (start < 0) return code;
  const endMarker = 'is not supported\');\n  });\n';
  const end = code.indexOf(endMarker, start);
  if (end < 0) return code; // shape changed: the checker will flag its Proxy reference
  return code.slice(0, start) + code.slice(end + endMarker.length).replace(/\b__require\(/g, 'require(');
}

/**
 * Drops esbuild's `(() => { … })();` wrapper so the bundle's declarations live in Espruino's root
 * scope. A function declared inside a function scope keeps a link to that scope (one more JsVar
 * per function); at the root it has none. Measured on the Espruino 2v29 interpreter with 2630
 * variables (docs/firmware.md "Heap"): the Puck.js node uses 277 fewer variables after boot.
 * Identifiers are minified before this, so the root holds only short names; esbuild never picks
 * a name the code reads as a global (E, print, require, pins), so no built-in is shadowed.
 */
export function unwrapIife(code: string): string {
  const m = /^\(\(\) ?=> ?\{\n?/.exec(code);
  const end = /\n?\}\)\(\);\n?$/.exec(code);
  if (!m || !end) return code;
  return code.slice(m[0].length, end.index) + '\n';
}

async function finish(raw: string, opts: BundleOptions, buildErrors: string[], modules: Record<string, number>): Promise<BundleResult> {
  let code = stripRequireShim(raw);
  const minify = await esbuild.transform(code, {
    loader: 'js',
    target: ESBUILD_TARGET,
    supported: SUPPORTED,
    minifyWhitespace: opts.minifyWhitespace !== false,
    minifyIdentifiers: opts.minifyIdentifiers === true,
    minifySyntax: true,
    legalComments: 'none',
    charset: 'utf8',
  });
  code = unwrapIife(minify.code);
  const violations = checkSubset(code);
  return { ok: violations.length === 0 && buildErrors.length === 0, code, bytes: Buffer.byteLength(code, 'utf8'), buildErrors, violations, modules };
}

function baseOptions(opts: BundleOptions): esbuild.BuildOptions {
  return {
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    target: ESBUILD_TARGET,
    supported: SUPPORTED,
    external: BUILTIN_MODULES,
    define: defineMap(opts.defines),
    minifySyntax: true,
    treeShaking: true,
    plugins: [regionPlugin(opts.region ?? 'EU868'), pureTables],
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
    metafile: true,
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: false } },
  };
}

async function run(build: esbuild.BuildOptions, opts: BundleOptions): Promise<BundleResult> {
  let raw: string;
  const modules: Record<string, number> = {};
  try {
    const r = await esbuild.build(build);
    raw = r.outputFiles![0]!.text;
    const out = Object.values(r.metafile?.outputs ?? {})[0];
    for (const [k, v] of Object.entries(out?.inputs ?? {})) modules[k] = v.bytesInOutput;
  } catch (e) {
    const errs = (e as { errors?: esbuild.Message[] }).errors ?? [];
    const msgs = errs.length
      ? errs.map((m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1} ` : ''}${m.text}${m.location ? `\n    ${m.location.lineText.trim()}` : ''}`)
      : [String(e)];
    return { ok: false, code: '', bytes: 0, buildErrors: msgs, violations: [], modules };
  }
  return finish(raw, opts, [], modules);
}

/** Bundle a firmware entry file for one board. */
export function bundleEntry(entry: string, opts: BundleOptions = {}): Promise<BundleResult> {
  return run({ ...baseOptions(opts), entryPoints: [entry] }, opts);
}

/** Bundle a source text (tests: "the build rejects an Espruino-incompatible construct"). */
export function bundleSource(source: string, opts: BundleOptions = {}, resolveDir?: string): Promise<BundleResult> {
  return run({ ...baseOptions(opts), stdin: { contents: source, loader: 'ts', sourcefile: 'input.ts', resolveDir } }, opts);
}
