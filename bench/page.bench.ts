// What the gateway page costs the gateway: the in-memory model's work per uplink, reading a full
// 24-hour history, and the memory of the history rings. Figures only; nothing asserts on time.
import { PageModel, HISTORY_POINTS, MINUTE_MS } from '../gateway/page-model.ts';
import type { Uplink } from '../gateway/types.ts';

function uplink(dev: number, fcnt: number, at: number): Uplink {
  return {
    deviceId: `lamp-${dev}`, devAddr: dev, fcnt, fport: 1, confirmed: false, adr: false, payload: new Uint8Array(0),
    readings: { pm25DeciUgm3: 123 + (fcnt % 50), pm10DeciUgm3: 250, tempDeciC: 184, rhHalfPct: 130, pressureDeciHpa: 10132, noiseDeciDb: 625, batteryMv: 3710, status: 0 },
    receivedAt: at,
    meta: { gatewayId: 'gw', radioId: 'r', rssiDbm: -100, snrDb: 5.5, freqHz: 868100000, sf: 9, bwHz: 125000, cr: 1, tsUs: 0 },
  };
}

function memMb(): number {
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

export async function bench(_argv: string[]): Promise<void> {
  const devices = 1000;
  const t0 = Date.UTC(2026, 5, 1);
  // Uplinks of 1000 devices, one per device per minute for a day: every ring fills to its 1440 points.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = memMb();
  const m = new PageModel();
  const n = devices * HISTORY_POINTS;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const minute = Math.floor(i / devices);
    m.uplink(uplink(i % devices, minute, t0 + minute * MINUTE_MS + (i % devices)));
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  gc?.();
  const after = memMb();
  console.log(`${'PageModel.uplink (1000 devices)'.padEnd(44)} ${(n / s).toFixed(0).padStart(12)} uplinks/s  (${((s / n) * 1e6).toFixed(2)} µs each)`);
  console.log(`${'history memory, 1000 devices × 1440 points'.padEnd(44)} ${(after - before).toFixed(1).padStart(12)} MB  (${(((after - before) * 2 ** 20) / devices / 1024).toFixed(1)} KiB per device${gc ? '' : '; run node with --expose-gc for a steadier figure'})`);
  const now = t0 + HISTORY_POINTS * MINUTE_MS;
  const reps = 200;
  const h0 = process.hrtime.bigint();
  let points = 0;
  for (let r = 0; r < reps; r++) points += m.history(`lamp-${r % devices}`, now)!.t.length;
  const hs = Number(process.hrtime.bigint() - h0) / 1e9;
  console.log(`${'history() of one device (24 h, JSON-ready)'.padEnd(44)} ${((hs / reps) * 1000).toFixed(2).padStart(12)} ms  (${points / reps} points)`);
}
