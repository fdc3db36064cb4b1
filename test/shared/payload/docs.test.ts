// docs/protocol.md §2 and §3 must show the golden vectors, and every hex run they show must come
// from a vector: the document cannot drift from the code.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';

const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
const load = (f: string) => JSON.parse(readFileSync(new URL(`../../vectors/${f}`, import.meta.url), 'utf8'));
const P = load('payload-kerb.json');
const L = load('payload-lpp.json');
const K = load('link-messages.json');

function section(title: string): string {
  const start = doc.indexOf(title);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = doc.indexOf('\n## ', start + title.length);
  return doc.slice(start, next < 0 ? undefined : next);
}
const runs = (text: string) => (text.match(/(?:\b[0-9a-f]{2} ){3,}[0-9a-f]{2}\b/g) ?? []).map((r) => r.replace(/ /g, ''));
const spaced = (h: string) => h.match(/../g)!.join(' ');

describe('docs/protocol.md', () => {
  const s2 = section('## 2. Sensor payload');
  const s3 = section('## 3. Serial link');
  const payloadHex = [
    ...P.readings.map((v: { hex: string }) => v.hex), ...P.clamped.map((v: { hex: string }) => v.hex), ...P.future.map((v: { hex: string }) => v.hex),
    ...P.status.map((v: { hex: string }) => v.hex), ...P.alert.map((v: { hex: string }) => v.hex), ...L.vectors.map((v: { hex: string }) => v.hex),
  ];
  const linkHex = K.messages.flatMap((v: { raw: string; wire: string }) => [v.raw, v.wire]);

  it('§2 shows every readings, status and alert vector', () => {
    for (const h of [...P.readings, ...P.clamped, ...P.status, ...P.alert].map((v: { hex: string }) => v.hex)) {
      expect(s2, `vector ${h}`).toContain(spaced(h));
    }
  });
  it('§2 hex runs all come from vectors', () => {
    const r = runs(s2);
    expect(r.length).toBeGreaterThan(5);
    for (const h of r) expect(payloadHex.some((v) => v.includes(h)), `doc hex ${h}`).toBe(true);
  });
  it('§3 shows every link frame and wire packet', () => {
    for (const h of linkHex) expect(s3, `vector ${h}`).toContain(spaced(h));
  });
  it('§3 hex runs all come from vectors', () => {
    for (const h of runs(s3)) expect(linkHex.some((v: string) => v.includes(h)), `doc hex ${h}`).toBe(true);
  });
});
