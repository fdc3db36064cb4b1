// The simulator on the real gateway: in-process LinkTransport and over a socat pty, downlinks into
// RX1, and the CLI's outputs (JSON summary, self-contained HTML report, JSON-lines trace, pcap that
// tshark dissects as LoRaWAN).
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../sim/scenario.ts';
import { Fleet } from '../../sim/fleet.ts';
import { runWithGateway, virtualAt, tsUsOf } from '../../sim/attach.ts';
import { startGateway } from '../../gateway/main.ts';
import { run } from '../../cli/sim.ts';

const QUICK = fileURLToPath(new URL('../../sim/scenarios/quickstart.yaml', import.meta.url));

describe('radio clock mapping', () => {
  it('maps a wrapping µs timestamp back to virtual ms', () => {
    for (const now of [0, 1234.5, 4294967.295 - 10, 5 * 3600_000 + 0.25]) {
      const at = tsUsOf(now + 1000);
      expect(virtualAt(at, now)).toBeCloseTo(now + 1000, 3);
      expect(virtualAt(tsUsOf(now - 5), now)).toBeLessThan(now);
    }
  });
});

describe('through the real gateway', () => {
  for (const via of ['udp', 'link', 'pty'] as const) {
    it(`quickstart ${via === 'pty' ? 'over a socat pty' : via === 'udp' ? 'through a simulated packet forwarder (as shipped)' : 'in-process over the kerb link'}: uplinks published once each, scenario downlink reaches its node in RX1`, async () => {
      const sc = loadScenario(QUICK);
      expect(sc.gateways.connect).toBe('udp');
      if (via === 'link') sc.gateways.connect = 'serial';
      const fleet = new Fleet(sc, { recordDelivered: true });
      const g = await runWithGateway(fleet, { startGateway, pty: via === 'pty' });
      expect(g.via).toBe(via);
      const delivered = fleet.delivered.length;
      expect(delivered).toBeGreaterThan(500);
      // One simulated gateway: every delivered frame crosses the link once and is published once.
      expect(g.rxPacketsToGateway).toBe(delivered);
      expect(g.published).toBe(delivered);
      expect(g.metrics?.frames_rejected_total ?? 0).toBe(0);
      // The scenario queues "set interval 180 s" for node 5 at 0.25 h: sent in RX1, received, applied.
      expect(g.txRequests).toBe(1);
      expect(g.txOk).toBe(1);
      expect(fleet.stats.downlinksDelivered).toBe(1);
      const sent = Array.from(fleet.stats.sent);
      const others = sent.filter((_, i) => i !== 5);
      expect(sent[5]).toBeGreaterThan(Math.max(...others) + 5); // 300 s → 180 s for the rest of the run
    });
  }
});

describe('paced through the real gateway', () => {
  it('×3600: virtual time follows the wall clock, the RX1 hold still lands the downlink', async () => {
    const sc = loadScenario(QUICK);
    sc.durationH = 0.5;
    const fleet = new Fleet(sc, { recordDelivered: true });
    let last = -1;
    let monotonic = true;
    const g = await runWithGateway(fleet, { startGateway, paced: 3600, onSlice: (_c, t) => { if (t < last) monotonic = false; last = t; } });
    expect(monotonic).toBe(true);
    expect(last).toBe(fleet.durationMs);
    expect(g.published).toBe(fleet.delivered.length);
    expect(g.txOk).toBe(1);
    expect(fleet.stats.downlinksDelivered).toBe(1);
  });
});

describe('kerb sim CLI outputs', () => {
  it('writes summary JSON, a self-contained report, a JSON-lines trace and a LoRaTap pcap tshark reads as LoRaWAN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kerb-sim-cli-'));
    try {
      const f = (n: string) => join(dir, n);
      const code = await run(['--scenario', QUICK, '--hours', '1', '--quiet', '--json', f('s.json'), '--report', f('r.html'), '--trace', f('t.jsonl'), '--pcap', f('t.pcap')]);
      expect(code).toBe(0);
      const s = JSON.parse(readFileSync(f('s.json'), 'utf8'));
      expect(s.scenario.name).toBe('quickstart');
      expect(s.nodes).toHaveLength(25);
      expect(s.overall.sent).toBe(s.nodes.reduce((a: number, n: { sent: number }) => a + n.sent, 0));
      expect(s.overall.delivered).toBeGreaterThan(0);
      expect(Object.keys(s.perSf).length).toBeGreaterThan(0);
      expect(s.nodes[0].batteryLifeDays).toBeGreaterThan(0);

      const html = readFileSync(f('r.html'), 'utf8');
      expect(html).toContain('<svg');
      expect(html).not.toMatch(/<script|<link|src=|url\(|https?:\/\//i);
      expect((html.match(/<circle /g) ?? []).length).toBe(25);

      const lines = readFileSync(f('t.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const ups = lines.filter((e) => e.ev === 'up');
      expect(ups.length).toBe(s.overall.sent);
      const okUps = ups.filter((e) => e.rx.some((r: { ok: boolean }) => r.ok));
      expect(okUps.length).toBe(s.overall.delivered);

      expect(existsSync(f('t.pcap'))).toBe(true);
      const out = execFileSync('tshark', ['-r', f('t.pcap'), '-T', 'fields', '-e', 'loratap.channel.sf', '-e', 'lorawan.fhdr.devaddr', '-e', 'lorawan.fhdr.fcnt', '-e', 'lorawan.fport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const rows = out.trim().split('\n').map((l) => l.split('\t'));
      expect(rows.length).toBe(okUps.length);
      const first = okUps[0];
      expect(Number(rows[0]![0])).toBe(first.sf);
      expect(rows[0]![1]!.toLowerCase()).toContain((0x26000000 + first.node + 1).toString(16));
      expect(Number(rows[0]![2])).toBe(first.fcnt);
      const verbose = execFileSync('tshark', ['-r', f('t.pcap'), '-V', '-c', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(verbose).toContain('LoRaWAN Protocol');
      expect(verbose).toContain('Unconfirmed Data Up');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
