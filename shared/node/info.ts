// Names for SensorNode.info() words, for tests, the simulator and tools. Not imported by the
// firmware, so the device bundle carries only the raw Float64Array.
import type { SensorNode } from './node.ts';
import type { NodeSettings } from './persist.ts';
import {
  I_FCNT, I_RESERVED, I_DOWN, I_BOOT, I_INTERVAL_MS, I_LOW, I_CMD, I_SETTINGS, I_STATS, S_INTERVAL, S_PM25,
  S_PM10, S_NOISE, S_HOLDOFF, ST_UPLINKS, ST_DOWNLINKS, ST_SAMPLES, ST_SAMPLE_FAULTS, ST_STORE_WRITES, ST_DROPPED,
} from './constants.ts';

export interface NodeInfo {
  fcnt: number;          // next uplink frame counter
  reserved: number;      // counters below this are reserved in flash
  downFcnt: number;      // last accepted downlink counter, -1 for none
  bootCount: number;
  settings: NodeSettings;
  effectiveIntervalS: number;
  lowBattery: boolean;
  uplinks: number;
  downlinks: number;
  samples: number;
  sampleFaults: number;
  storeWrites: number;
  dropped: number;       // readings frames replaced while waiting for the duty cycle / budget
  lastCmdResult: number;
}

export function nodeInfo(node: SensorNode): NodeInfo {
  const o = node.info();
  const n = (i: number): number => o[i] as number;
  const s = o[I_SETTINGS] as Uint16Array;
  const t = o[I_STATS] as Uint32Array;
  return {
    fcnt: n(I_FCNT), reserved: n(I_RESERVED), downFcnt: n(I_DOWN), bootCount: n(I_BOOT),
    settings: {
      intervalS: s[S_INTERVAL], pm25AlertDeciUgm3: s[S_PM25], pm10AlertDeciUgm3: s[S_PM10],
      noiseAlertDeciDb: s[S_NOISE], alertHoldoffS: s[S_HOLDOFF],
    },
    effectiveIntervalS: n(I_INTERVAL_MS) / 1000, lowBattery: n(I_LOW) === 1,
    uplinks: t[ST_UPLINKS], downlinks: t[ST_DOWNLINKS], samples: t[ST_SAMPLES],
    sampleFaults: t[ST_SAMPLE_FAULTS], storeWrites: t[ST_STORE_WRITES], dropped: t[ST_DROPPED],
    lastCmdResult: n(I_CMD),
  };
}
