// Virtual analog inputs: a pin reading as a fraction of the ADC reference, computed from the
// environment at the moment of the read. Helpers invert the drivers' documented conversions so a
// twin produces what a calibrated front end would.
import type { AnalogIn } from '../../shared/hal/bus.ts';

export class VirtualAnalogIn implements AnalogIn {
  /** Fault switches: absent = input open (reads 0); stuck = frozen at `stuckValue`. */
  absent = false;
  stuck = false;
  stuckValue = 0;
  reads = 0;

  private readonly fn: () => number;

  constructor(fn: () => number) {
    this.fn = fn;
  }

  read(): number {
    this.reads++;
    if (this.absent) return 0;
    if (this.stuck) return this.stuckValue;
    const v = this.fn();
    return v < 0 ? 0 : v > 1 ? 1 : v;
  }
}

/** Envelope fraction for a sound level, inverse of firmware/src/drivers/sound.ts soundDeciDb. */
export function soundEnvelopeFrac(levelDb: number, calFrac94: number): number {
  return calFrac94 * Math.pow(10, (levelDb - 94) / 20);
}

/** ADC fraction for a battery voltage through a divider (inverse of batteryMvFrom). */
export function batteryFrac(mv: number, vrefMv: number, ratioMilli: number): number {
  return (mv * 1000) / ratioMilli / vrefMv;
}
