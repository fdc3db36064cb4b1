// The radio medium alone (sim/medium-only.ts): LoRaSim's experiment 4 (SF12, BW125, CR4/5, 20-byte
// packets, exponential gaps of mean 1,000 s, one gateway, capture off) at 1,000 to 10,000 nodes,
// through sim/medium.ts and the virtual clock, no node application and no crypto. Prints simulated
// uplinks per CPU-second and how the cost per uplink grows with the node count (frames in the air
// at once grow with N, and every new frame is paired with each of them, as in LoRaSim's own check).
//   npm run bench -- medium [--medium-uplinks N] [--medium-nodes 1000,10000]
// LoRaSim 0.2.1 (Python, SimPy) does 62–67k uplinks per second for this experiment at 1,000 nodes
// on this class of machine; it is not run here (it needs Python with SimPy and numpy).
import { runMediumOnly, EXPERIMENT_4 } from '../sim/medium-only.ts';

const LORASIM_UPLINKS_PER_S = 65_000;

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export async function bench(argv: string[]): Promise<void> {
  const uplinks = Number(arg(argv, '--medium-uplinks') ?? 1_000_000);
  const counts = (arg(argv, '--medium-nodes') ?? '1000,2000,5000,10000').split(',').map(Number);
  // Warm-up: the JIT's first tiers, so the first measured count is not charged for them.
  runMediumOnly({ nodes: 1000, durationS: 100_000 });
  console.log(`medium-only, LoRaSim experiment 4: SF${EXPERIMENT_4.sf}, ${EXPERIMENT_4.bwHz / 1000} kHz, CR 4/${4 + EXPERIMENT_4.cr}, ${EXPERIMENT_4.payloadBytes}-byte packets, mean gap ${EXPERIMENT_4.meanGapS} s, capture off; ~${uplinks} uplinks per point`);
  for (const n of counts) {
    const durationS = (uplinks * EXPERIMENT_4.meanGapS) / n;
    const c0 = process.cpuUsage();
    const r = runMediumOnly({ nodes: n, durationS });
    const c = process.cpuUsage(c0);
    const cpuS = (c.user + c.system) / 1e6;
    const rate = r.sent / cpuS;
    console.log(
      `  ${String(n).padStart(6)} nodes: ${r.sent} uplinks in ${cpuS.toFixed(2)} CPU-s = ${Math.round(rate)} uplinks per CPU-second (${((cpuS * 1e6) / r.sent).toFixed(2)} µs each, ${(rate / LORASIM_UPLINKS_PER_S).toFixed(1)}× LoRaSim's ~${LORASIM_UPLINKS_PER_S / 1000}k);` +
        ` load G ${r.load.toFixed(2)}, DER ${r.der.toFixed(4)} (pure ALOHA ${r.derModel.toFixed(4)})`,
    );
  }
}
