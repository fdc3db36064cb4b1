// Fidelity mode: the exact firmware bundle (Espruino Pico sensor-node build) in the Espruino
// context model, on the simulated medium, through the real gateway; a downlink command queued at
// the gateway reaches the firmware in its own RX1 window and changes its reporting interval.
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../sim/scenario.ts';
import { Fleet } from '../../sim/fleet.ts';
import { runWithGateway } from '../../sim/attach.ts';
import { startGateway } from '../../gateway/main.ts';
import { buildFidelityBundle, FidelityNode } from '../../sim/fidelity-node.ts';

const FID = fileURLToPath(new URL('../../sim/scenarios/fidelity.yaml', import.meta.url));

describe('fidelity nodes (firmware bundle in the Espruino context)', () => {
  it('report through the real gateway and obey a downlink command', async () => {
    const sc = loadScenario(FID);
    const fleet = new Fleet(sc, { recordDelivered: true, firmwareBundle: await buildFidelityBundle() });
    expect(fleet.nodes.every((n) => n instanceof FidelityNode)).toBe(true);
    const g = await runWithGateway(fleet, { startGateway });
    for (const n of fleet.nodes as FidelityNode[]) expect(n.errors()).toEqual([]);
    const sent = Array.from(fleet.stats.sent);
    expect(Math.min(...sent)).toBeGreaterThanOrEqual(25); // 2-minute reports for an hour
    expect(g.published).toBe(fleet.delivered.length);
    expect(fleet.delivered.length).toBe(sent.reduce((a, b) => a + b, 0)); // 40 m from the gateway
    // What the firmware encoded is what the environment model said, through the real drivers.
    const r = fleet.delivered.find((d) => d.readings?.tempDeciC !== undefined)!.readings!;
    expect(r.tempDeciC! / 10).toBeGreaterThan(0);
    expect(r.tempDeciC! / 10).toBeLessThan(35);
    expect(r.pressureDeciHpa! / 10).toBeGreaterThan(980);
    // Downlink "set interval 60 s" to node 1 at 0.2 h, sent in RX1 by the gateway.
    expect(g.txOk).toBe(1);
    expect(fleet.stats.downlinksDelivered).toBe(1);
    expect(sent[1]).toBeGreaterThan(Math.max(sent[0]!, sent[2]!, sent[3]!) + 10);
  });
});
