// Placeholder replaced below.
import type { Fleet } from './fleet.ts';
import type { GatewaySideCounts } from './summary.ts';
export async function runPaced(fleet: Fleet, factor: number, onProgress?: (f: number) => void): Promise<void> {
  fleet.start();
  const t0 = performance.now();
  for (;;) {
    const v = Math.min(fleet.durationMs, (performance.now() - t0) * factor);
    fleet.clock.runUntil(v);
    onProgress?.(v / fleet.durationMs);
    if (v >= fleet.durationMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  fleet.stop();
}
export async function runWithGateway(_f: Fleet, _o: unknown): Promise<GatewaySideCounts> {
  throw new Error('not yet');
}
