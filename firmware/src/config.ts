// Per-device provisioning written by `kerb flash --device` as the Storage file "kerb.cfg" (JSON):
//   {"id":"lamp-0001","devAddrHex":"26011BDA","devAddr":637606874,"nwkSKey":[43,126,…16 bytes],
//    "appSKey":[…16 bytes],"intervalS":300,"sf":9,…}
// DevAddr as a number and keys as byte arrays, so the device carries no hex parsing (`devAddrHex`
// is for humans). Settings later changed by downlink live in the node's own records (shared/node).
import type { NodeConfig } from '../../shared/node/node.ts';
import type { EspruinoStorage } from './espruino.ts';

declare function require(name: 'Storage'): EspruinoStorage;

export const CONFIG_FILE = 'kerb.cfg';

function key16(v: unknown): Uint8Array | null {
  if (!v || (v as number[]).length !== 16) return null;
  return new Uint8Array(v as number[]);
}

/** Reads and validates kerb.cfg; null when absent or malformed (the node then refuses to start). */
export function readNodeConfig(): NodeConfig | null {
  const j = require('Storage').readJSON(CONFIG_FILE, true) as Record<string, unknown> | undefined;
  // The three fields below are read by their quoted names: the build shortens these property names
  // inside the image (firmware/build/props.ts), and the JSON keeps the long ones.
  if (!j || typeof j['devAddr'] !== 'number') return null;
  const nwk = key16(j['nwkSKey']);
  const app = key16(j['appSKey']);
  if (!nwk || !app) return null;
  // The JSON object itself becomes the NodeConfig (its optional fields share NodeConfig's names;
  // unknown ones are ignored by createNode), so no per-field copying code is carried.
  const c = j as unknown as NodeConfig;
  c.devAddr = j['devAddr'] as number;
  c.nwkSKey = nwk;
  c.appSKey = app;
  return c;
}
