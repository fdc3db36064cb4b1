// Per-device provisioning written by `kerb flash --device` as the Storage file "kerb.cfg" (JSON):
//   {"id":"lamp-0001","devAddr":"26011BDA","nwkSKey":"<32 hex>","appSKey":"<32 hex>",
//    "intervalS":300,"sf":9,"txPowerDbm":14,"pm25AlertDeciUgm3":0,...}
// Keys arrive as hex strings and are turned into bytes once at boot. Settings later changed by
// downlink live in the node's own records (shared/node), not here.
import type { NodeConfig } from '../../shared/node/node.ts';
import type { EspruinoStorage } from './espruino.ts';

declare function require(name: 'Storage'): EspruinoStorage;

export const CONFIG_FILE = 'kerb.cfg';

function hexBytes(h: unknown, n: number): Uint8Array | null {
  if (typeof h !== 'string' || h.length !== n * 2) return null;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = parseInt(h.substr(i * 2, 2), 16);
    if (v !== v) return null;
    out[i] = v;
  }
  return out;
}

/** Reads and validates kerb.cfg; null when absent or malformed (the node then refuses to start). */
export function readNodeConfig(): NodeConfig | null {
  const j = require('Storage').readJSON(CONFIG_FILE, true) as Record<string, unknown> | undefined;
  if (!j || typeof j !== 'object') return null;
  const addr = hexBytes(j.devAddr, 4);
  const nwk = hexBytes(j.nwkSKey, 16);
  const app = hexBytes(j.appSKey, 16);
  if (!addr || !nwk || !app) return null;
  // The JSON object itself becomes the NodeConfig (its optional fields share NodeConfig's names;
  // unknown ones are ignored by createNode), so no per-field copying code is carried.
  const c = j as unknown as NodeConfig;
  c.devAddr = ((addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3]) >>> 0;
  c.nwkSKey = nwk;
  c.appSKey = app;
  return c;
}
