// One Radio interface for every LoRa transceiver kerb drives (SX127x over SPI, UART modules, the
// simulator's virtual radio). Status codes, not exceptions (Error subclasses do not work on
// Espruino): 0 is success.

export const RADIO_OK = 0;
export const RADIO_ERR_BUSY = 1;
export const RADIO_ERR_TIMEOUT = 2;
export const RADIO_ERR_HW = 3;
export const RADIO_ERR_CRC = 4;

/** LoRa modulation settings for one transmission or receive window. */
export interface RadioParams {
  freqHz: number;
  sf: number;        // spreading factor 7..12
  bwHz: number;      // 125000 | 250000 | 500000
  cr: number;        // coding rate denominator offset: 1 = 4/5 ... 4 = 4/8
  powerDbm: number;  // transmit power (ignored for receive)
  /** LoRaWAN: uplinks use normal IQ, downlinks inverted IQ. */
  invertIq: boolean;
}

export interface RadioRx {
  payload: Uint8Array;
  rssiDbm: number;
  snrDb: number;
}

export interface Radio {
  /** Transmit payload; done(status) once the packet has left the antenna (or failed). */
  transmit(p: RadioParams, payload: Uint8Array, done: (status: number) => void): void;
  /**
   * Open a single receive window of timeoutMs (LoRaWAN class A RX1/RX2). done(status, rx) fires
   * once: RADIO_OK with the packet, or RADIO_ERR_TIMEOUT/RADIO_ERR_CRC with rx null.
   */
  receive(p: RadioParams, timeoutMs: number, done: (status: number, rx: RadioRx | null) => void): void;
  /** Put the transceiver in its lowest-power state. */
  sleep(): void;
}
