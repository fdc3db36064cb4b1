// Contracts between the gateway's modules. Ingest (serial, registry, verification, counters,
// downlink scheduling) produces Uplinks and consumes Downlinks; the publishing side (outbox, MQTT,
// SenML, topics, discovery) consumes Uplinks and produces Downlinks. main.ts joins the two.
import type { Readings } from '../shared/payload/kerb.ts';

// The Node-wide pieces live in host/; re-exported so every gateway module takes its contracts from here.
export type { Logger, Metrics, LinkTransport } from '../host/types.ts';
export { KerbError } from '../host/errors.ts';

/** Radio metadata of one reception, as the radio bridge (or simulator) reported it. */
export interface RxMeta {
  gatewayId: string;
  radioId: string;    // which serial radio heard it (path or in-process name)
  rssiDbm: number;
  snrDb: number;
  freqHz: number;
  sf: number;
  bwHz: number;
  cr: number;
  tsUs: number;       // radio clock timestamp (µs) of the end of reception
}

/** A verified, decrypted, counter-checked uplink, ready to publish. */
export interface Uplink {
  deviceId: string;   // registry id (stable name used in topics)
  devAddr: number;
  fcnt: number;       // reconstructed 32-bit frame counter
  fport: number;      // -1 when absent
  confirmed: boolean;
  adr: boolean;
  payload: Uint8Array;              // decrypted FRMPayload
  readings: Readings | null;        // decoded when the port carries kerb readings or LPP
  receivedAt: number;               // gateway wall clock, ms since epoch
  meta: RxMeta;
  /** DevStatusAns carried by this uplink (LoRaWAN 1.0.4 §5.6): battery 0 external, 1..254, 255 unknown; margin dB. */
  devStatus?: { battery: number; marginDb: number };
}

/** A command to send to a device in its next class A receive window. */
export interface Downlink {
  id: string;          // transaction id echoed in the result
  deviceId: string;
  fport: number;       // 1..223
  payload: Uint8Array; // plaintext FRMPayload
  confirmed: boolean;
  expiresAt: number;   // ms since epoch; an unsent downlink after this is 'expired'
}

export type DownlinkState = 'queued' | 'sent' | 'acknowledged' | 'expired' | 'failed';

export interface DownlinkResult {
  id: string;
  deviceId: string;
  state: DownlinkState;
  at: number;          // ms since epoch
  reason?: string;     // for failed/expired
  fcntDown?: number;
}
