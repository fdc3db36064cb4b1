// OTAA and ADR through the real gateway: simulated nodes join (Join-request → the gateway's join
// server → Join-accept in the join windows → session keys derived on both sides), then ADR moves
// them off SF12. The same fleet without ADR is the baseline.
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../sim/scenario.ts';
import { Fleet } from '../../sim/fleet.ts';
import { runWithGateway } from '../../sim/attach.ts';
import { summarize } from '../../sim/summary.ts';
import { startGateway } from '../../gateway/main.ts';

const ADR = fileURLToPath(new URL('../../sim/scenarios/adr-convergence.yaml', import.meta.url));

async function runFleet(adr: boolean, otaa: boolean, count = 30, hours = 2): Promise<{ fleet: Fleet; published: number }> {
  const sc = loadScenario(ADR);
  sc.nodes.count = count;
  sc.durationH = hours;
  sc.nodes.adr = adr;
  sc.nodes.otaa = otaa;
  const fleet = new Fleet(sc, { recordDelivered: true });
  const g = await runWithGateway(fleet, { startGateway });
  return { fleet, published: g.published ?? -1 };
}

describe('OTAA and ADR through the real gateway', () => {
  it('OTAA: every node joins; the sessions both sides derived carry every delivered reading to MQTT', async () => {
    const otaa = await runFleet(true, true, 15, 1);
    const s = summarize(otaa.fleet);
    expect(s.joins!.joined).toBe(15);
    expect(s.joins!.requests).toBeGreaterThanOrEqual(15);
    expect(otaa.fleet.delivered.length).toBeGreaterThan(50);
    expect(otaa.published).toBe(otaa.fleet.delivered.length);
    // DevAddrs come from the gateway's join server (NetID 000000 block), one per node.
    const addrs = otaa.fleet.devices.map((d) => d.devAddr);
    expect(new Set(addrs).size).toBe(15);
    for (const a of addrs) expect(a >>> 25).toBe(0);
  });

  it('ADR moves a fleet off SF12 and cuts airtime and transmit energy per delivered reading; delivery stays as high', async () => {
    const base = await runFleet(false, false);
    const adr = await runFleet(true, false);
    const sb = summarize(base.fleet);
    const sa = summarize(adr.fleet);
    expect(adr.published).toBe(adr.fleet.delivered.length);
    // Without ADR everything stays at SF12; with it, nodes leave SF12.
    expect(Object.keys(sb.perSf)).toEqual(['12']);
    expect(adr.fleet.devices.filter((d) => d.sf < 12).length).toBeGreaterThan(15);
    const airPerReading = (s: typeof sa): number => s.overall.airtimeS / s.overall.delivered;
    expect(airPerReading(sa)).toBeLessThan(airPerReading(sb) / 2);
    expect(sa.energy.txPerDeliveredUah).toBeLessThan(sb.energy.txPerDeliveredUah);
    expect(sa.overall.deliveryRatio).toBeGreaterThanOrEqual(sb.overall.deliveryRatio - 0.02);
  });
});
