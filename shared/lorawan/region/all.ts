// Every region kerb knows, by name: for Node-side code (gateway config, simulator scenarios). A
// node bundle never imports this file, so it carries only the region its build selects.
import { AS923_1 } from './as923.ts';
import { EU868 } from './eu868.ts';
import { US915 } from './us915.ts';
import type { Region } from './types.ts';

export const REGIONS: Region[] = [EU868, US915, AS923_1];

/** Names accepted by regionByName, for error messages. */
export const REGION_NAMES = 'EU868, US915, AS923-1';

/** The region of that common name (case-insensitive; "AS923" means AS923-1), or null. */
export function regionByName(name: string): Region | null {
  const n = name.toUpperCase() === 'AS923' ? 'AS923-1' : name.toUpperCase();
  for (let i = 0; i < REGIONS.length; i++) if (REGIONS[i].name === n) return REGIONS[i];
  return null;
}
