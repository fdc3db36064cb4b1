// Contracts between the gateway's modules. Ingest (serial, registry, verification, counters,
// downlink scheduling) produces Uplinks and consumes Downlinks; the publishing side (outbox, MQTT,
// SenML, topics, discovery) consumes Uplinks and produces Downlinks. main.ts joins the two.
import type { Readings } from '../shared/payload/kerb.ts';

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

/**
 * A byte transport to one radio speaking the kerb serial link (shared/link). The serial port is one
 * implementation; the simulator attaches in-process with another.
 */
export interface LinkTransport {
  readonly name: string;
  write(bytes: Uint8Array): void;
  onData(cb: (chunk: Uint8Array) => void): void;
  onClose(cb: (err?: Error) => void): void;
  close(): void;
}

/** One error class for the gateway with a machine-readable code (style.md §5). */
export class KerbError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'KerbError';
  }
}

/** Structured logger (levels debug < info < warn < error); fields are logged as JSON. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * What ingest needs from the metrics registry (gateway/metrics.ts implements it over prom-client).
 * Names are Prometheus metric names without the `kerb_` prefix, e.g. inc('frames_rejected_total', { reason: 'mic' }).
 */
export interface Metrics {
  inc(name: string, labels?: Record<string, string>, by?: number): void;
  set(name: string, value: number, labels?: Record<string, string>): void;
  observe(name: string, value: number, labels?: Record<string, string>): void;
}
