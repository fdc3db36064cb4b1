// docs/protocol.md §1 quotes frames and blocks; the numbers come from the vectors, and this test
// keeps the page from drifting away from them (the vectors themselves are checked by the other tests).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadVectors } from '../../helpers/lorawan.ts';
import type { FrameVectors } from '../../helpers/lorawan.ts';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');
const section = doc.slice(doc.indexOf('## 1.'), doc.indexOf('## 2.'));
const flat = section.replace(/\s+/g, '').toUpperCase();
const { frames } = loadVectors<FrameVectors>('lorawan-frames.json');

describe('docs/protocol.md §1', () => {
  const cited = frames.filter((v) => section.includes('`' + v.name + '`'));
  it('cites the worked-example vectors by name', () => {
    expect(cited.map((v) => v.name)).toEqual(expect.arrayContaining([
      'kerb-readings-uplink', 'kerb-uplink-after-rollover', 'kerb-confirmed-down-fopts-fcnt32', 'kerb-fport0-mac-uplink',
    ]));
  });
  it.each(cited.map((v) => [v.name, v] as const))('quotes %s exactly as in the vectors', (_n, v) => {
    expect(flat).toContain(v.hex.toUpperCase());
    expect(flat).toContain(v.nwkSKey!.toUpperCase());
    expect(flat).toContain(v.plaintext!.toUpperCase());
    if (v.blocks) {
      for (const b of [v.blocks.b0, v.blocks.cmac, ...v.blocks.a, ...v.blocks.s]) expect(flat).toContain(b.toUpperCase());
    }
  });
});

describe('docs/protocol.md §6–§7', () => {
  const joinSection = doc.slice(doc.indexOf('## 6.'), doc.indexOf('## 7.')).replace(/\s+/g, '').toUpperCase();
  const macSection = doc.slice(doc.indexOf('## 7.'), doc.indexOf('## 8.')).replace(/\s+/g, '').toUpperCase();
  const join = loadVectors<{ requests: { hex: string }[]; accepts: { hex: string; acceptPlain: string; nwkSKey: string; appSKey: string }[] }>('lorawan-join.json');
  const mac = loadVectors<{ commands: { hex: string }[] }>('lorawan-mac.json');
  it('quotes the join worked example exactly as in the vectors', () => {
    expect(joinSection).toContain(join.requests[0]!.hex);
    const a = join.accepts[0]!;
    for (const x of [a.hex, a.acceptPlain, a.nwkSKey, a.appSKey]) expect(joinSection).toContain(x);
  });
  it('every MAC example quoted is a vector', () => {
    const quoted = [...doc.slice(doc.indexOf('## 7.'), doc.indexOf('## 8.')).matchAll(/`((?:[0-9A-F]{2,}\s?)+)`/g)].map((m) => m[1]!.replace(/\s+/g, ''));
    const known = new Set(mac.commands.map((c) => c.hex.toUpperCase()));
    const examples = quoted.filter((q) => q.length >= 4 && /^0[2-9A-D]/.test(q) && !q.startsWith('020B'));
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const e of examples) expect(known.has(e), e).toBe(true);
    expect(macSection).toContain('020B0106FE14');
  });
});
