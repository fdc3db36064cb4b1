// Interfaces shared by the Node-side programs (gateway, CLI, firmware tooling, simulator): how they
// log, count, and talk to a radio. Implementations live with their users (gateway/log.ts,
// gateway/metrics.ts, gateway/serial.ts, the simulator's in-process transport).

/** Structured logger (levels debug < info < warn < error); fields are logged as JSON. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * What the registry and ingest need from a metrics registry (gateway/metrics.ts implements it over
 * prom-client). Names are Prometheus metric names without the `kerb_` prefix, e.g.
 * inc('frames_rejected_total', { reason: 'mic' }).
 */
export interface Metrics {
  inc(name: string, labels?: Record<string, string>, by?: number): void;
  set(name: string, value: number, labels?: Record<string, string>): void;
  observe(name: string, value: number, labels?: Record<string, string>): void;
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
  /**
   * The radio's own words for the TxResult with this id, asked as that TxResult arrives (a Semtech
   * forwarder's TX_ACK error name); undefined when it has none.
   */
  txResultDetail?(txId: number): string | undefined;
}
