// The build shortens the property names of firmware/build/props.ts. A name shortened by mistake
// breaks the device silently (a call to an interpreter method that no longer exists, a kerb.cfg
// field that is no longer read), so the list is checked against every name the bundle shares with
// something outside it.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MANGLE_PROPS, CONFIG_COPIED, mangleRegExp } from '../../../firmware/build/props.ts';
import { KIND_FIELDS } from '../../../shared/payload/kerb.ts';
import { bundleSource } from '../../../firmware/build/bundle.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const read = (p: string): string => readFileSync(new URL(`../../../${p}`, import.meta.url), 'utf8');

/** Member names declared in the interfaces of a TypeScript source (`name(`, `name:`, `name?:`). */
function memberNames(src: string, iface?: string): Set<string> {
  let text = src;
  if (iface) {
    const at = src.indexOf(`interface ${iface} {`);
    expect(at).toBeGreaterThanOrEqual(0);
    text = src.slice(at, src.indexOf('\n}', at));
  }
  const out = new Set<string>();
  for (const m of text.matchAll(/^\s+([A-Za-z_$][\w$]*)\??\s*[:(]/gm)) out.add(m[1]!);
  return out;
}

describe('internal property names the build shortens', () => {
  it('include no method or property of the Espruino globals the firmware calls', () => {
    const espruino = memberNames(read('firmware/src/espruino.ts'));
    expect(espruino.has('kickWatchdog')).toBe(true);
    expect(MANGLE_PROPS.filter((n) => espruino.has(n))).toEqual([]);
  });

  it('include no JavaScript built-in member', () => {
    const builtins = new Set<string>();
    for (const o of [Object, Array, Uint8Array, String, Number, Math, JSON, Function, Promise, Date, Error, ArrayBuffer, DataView]) {
      for (const n of Object.getOwnPropertyNames(o)) builtins.add(n);
      const proto = (o as { prototype?: object }).prototype;
      if (proto) for (const n of Object.getOwnPropertyNames(proto)) builtins.add(n);
    }
    for (const n of Object.getOwnPropertyNames(Object.getPrototypeOf(Uint8Array.prototype))) builtins.add(n);
    expect(MANGLE_PROPS.filter((n) => builtins.has(n))).toEqual([]);
  });

  it('include no field of kerb.cfg, kerb.brg or the Readings the codec reaches by name', () => {
    const config = memberNames(read('shared/node/node.ts'), 'NodeConfig');
    expect(config.has('pm25AlertDeciUgm3')).toBe(true);
    const external = [...config, ...KIND_FIELDS, 'freqHz', 'sf', 'bwHz', 'cr', 'status'];
    expect(MANGLE_PROPS.filter((n) => external.includes(n) && !CONFIG_COPIED.includes(n))).toEqual([]);
  });

  it('kerb.cfg fields that are shortened are read by their quoted names and copied', () => {
    const cfg = read('firmware/src/config.ts');
    for (const n of CONFIG_COPIED) expect(cfg).toContain(`j['${n}']`);
    expect(cfg).toContain("c.devAddr = j['devAddr']");
  });

  it('are shortened in the bundle, and other names are kept', async () => {
    const src = `declare const global: any;
      const o = { encryptBlock: 1, setTimeout: 2, intervalS: 3 };
      global.r = [o.encryptBlock, o.setTimeout, o.intervalS];`;
    const on = await bundleSource(src, { mangleProps: true }, root);
    const off = await bundleSource(src, {}, root);
    expect(on.code).not.toMatch(/encryptBlock|setTimeout/);
    expect(on.code).toContain('intervalS');
    expect(off.code).toContain('encryptBlock');
    expect(mangleRegExp().test('encryptBlock')).toBe(true);
    expect(mangleRegExp().test('encryptBlockX')).toBe(false);
  });
});
