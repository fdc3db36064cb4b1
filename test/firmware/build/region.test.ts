// A bundle carries only the region it is built for: shared/lorawan/region/selected.ts resolves to
// that region's file, and the others' tables never enter the output.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { bundleSource } from '../../../firmware/build/bundle.ts';
import { buildRegion } from '../../../firmware/build/region.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SRC = `import { REGION } from './shared/lorawan/region/selected.ts';
declare function print(s: string): void;
print(REGION.name + ' ' + REGION.rx2Hz + ' ' + REGION.uplinkHz[0]);
`;
// RX2 frequencies (RP002-1.0.3) as they appear in the tables: each marks its region's file.
const FILE: Record<string, string> = { EU868: 'eu868.ts', US915: 'us915.ts', 'AS923-1': 'as923.ts' };
const MARK: Record<string, string> = { EU868: '869525e3', US915: '9233e5', 'AS923-1': '9232e5' };

describe('region selection in the firmware build', () => {
  for (const region of ['EU868', 'US915', 'AS923-1']) {
    it(`${region}: its table is in the bundle, the others are not`, async () => {
      const r = await bundleSource(SRC, { region }, ROOT);
      expect(r.buildErrors).toEqual([]);
      expect(r.code).toContain(`"${region}"`);
      for (const [other, mark] of Object.entries(MARK)) {
        // esbuild writes 869525000 as 869525e3: accept either spelling.
        const hz = String(Number(mark));
        const present = r.code.includes(mark) || r.code.includes(hz);
        expect([other, present]).toEqual([other, other === region]);
        if (other !== region) expect(r.code).not.toContain(`"${other}"`);
      }
      // esbuild's own account of the inputs: one region file, the chosen one.
      const files = Object.keys(r.modules).map((m) => path.basename(m)).filter((f) => /^(eu868|us915|as923)\.ts$/.test(f));
      expect(files).toEqual([FILE[region]]);
    });
  }

  it('defaults to EU868, and refuses an unknown region naming the choices', async () => {
    const r = await bundleSource(SRC, {}, ROOT);
    expect(r.code).toContain('"EU868"');
    expect(buildRegion('us915')).toBe('US915');
    expect(() => buildRegion('EU433')).toThrow("unknown region 'EU433' (known: EU868, US915, AS923-1)");
  });
});
