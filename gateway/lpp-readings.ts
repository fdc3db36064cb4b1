// Cayenne LPP payloads (third-party nodes, profile 'cayenne-lpp') mapped onto kerb Readings.
import type { Readings } from '../shared/payload/kerb.ts';

export function lppToReadings(_payload: Uint8Array): { readings: Readings | null; error?: string } {
  return { readings: null };
}
