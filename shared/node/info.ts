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
  const s = I_SETTINGS;
  const t = I_STATS;
  return {
    fcnt: o[I_FCNT], reserved: o[I_RESERVED], downFcnt: o[I_DOWN], bootCount: o[I_BOOT],
    settings: {
      intervalS: o[s + S_INTERVAL], pm25AlertDeciUgm3: o[s + S_PM25], pm10AlertDeciUgm3: o[s + S_PM10],
      noiseAlertDeciDb: o[s + S_NOISE], alertHoldoffS: o[s + S_HOLDOFF],
    },
    effectiveIntervalS: o[I_INTERVAL_MS] / 1000, lowBattery: o[I_LOW] === 1,
    uplinks: o[t + ST_UPLINKS], downlinks: o[t + ST_DOWNLINKS], samples: o[t + ST_SAMPLES],
    sampleFaults: o[t + ST_SAMPLE_FAULTS], storeWrites: o[t + ST_STORE_WRITES], dropped: o[t + ST_DROPPED],
    lastCmdResult: o[I_CMD],
  };
}
