// Which region's tables a node bundle carries: the build resolves shared/lorawan/region/selected.ts
// to a one-line module re-exporting that region as REGION, so the other regions' files are never
// part of the bundle (not merely tree-shaken: their typed arrays would survive that).
import type * as esbuild from 'esbuild';
import { dirname, join } from 'node:path';
import { regionByName, REGION_NAMES } from '../../shared/lorawan/region/all.ts';

/** Region name (as in shared/lorawan/region/all.ts) → its file and export. */
const REGION_MODULES: Record<string, { file: string; name: string }> = {
  EU868: { file: 'eu868.ts', name: 'EU868' },
  US915: { file: 'us915.ts', name: 'US915' },
  'AS923-1': { file: 'as923.ts', name: 'AS923_1' },
};

/** The canonical region name, or an Error naming the choices. */
export function buildRegion(name: string): string {
  const r = regionByName(name);
  if (!r || !REGION_MODULES[r.name]) throw new Error(`unknown region '${name}' (known: ${REGION_NAMES})`);
  return r.name;
}

/** esbuild plugin: selected.ts → the chosen region's file. */
export function regionPlugin(region: string): esbuild.Plugin {
  const m = REGION_MODULES[buildRegion(region)]!;
  return {
    name: 'kerb-region',
    setup(build) {
      build.onResolve({ filter: /[\\/]region[\\/]selected\.ts$/ }, (args) => ({
        path: join(args.resolveDir, args.path),
        namespace: 'kerb-region',
      }));
      build.onLoad({ filter: /.*/, namespace: 'kerb-region' }, (args) => ({
        contents: `export { ${m.name} as REGION } from ${JSON.stringify(join(dirname(args.path), m.file))};\n`,
        resolveDir: dirname(args.path),
        loader: 'ts',
      }));
    },
  };
}
