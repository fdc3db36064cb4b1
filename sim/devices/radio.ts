// Virtual LoRa radio for simulated nodes. transmit() hands the frame, its modulation and its
// time on air (shared/lorawan/airtime.ts) to onTransmit — the fleet's radio medium — and completes
// after the time on air. receive() opens a class A window; a downlink reaches the node either by
// deliver() while the window is open (the medium decides timing) or by queueDownlink(), which hands
// it to the next window whose frequency and SF match. A delivered packet completes the window after
// its own time on air, as a real receiver finishes demodulating before raising RxDone.
// Downlinks are sent without payload CRC (LoRaWAN 1.0.4 §4.1), hence crcOn = !invertIq in loraToaMs.
// Fault switch: txFail (transmit returns RADIO_ERR_HW).
import type { Clock, TimerHandle } from '../../shared/hal/clock.ts';
import type { Radio, RadioParams, RadioRx } from '../../shared/hal/radio.ts';
import { RADIO_OK, RADIO_ERR_BUSY, RADIO_ERR_HW, RADIO_ERR_TIMEOUT } from '../../shared/hal/radio.ts';
import { timeOnAirMs } from '../../shared/lorawan/airtime.ts';

export interface TxEvent {
  payload: Uint8Array;
  params: RadioParams;
  startMs: number;
  endMs: number;
  toaMs: number;
}

export interface RxWindow {
  params: RadioParams;
  openMs: number;
  closeMs: number;
}

interface Queued {
  payload: Uint8Array;
  freqHz: number;
  sf: number;
  rssiDbm: number;
  snrDb: number;
}

export function loraToaMs(p: RadioParams, len: number): number {
  return timeOnAirMs(p.sf, p.bwHz, p.cr, len, 8, true, !p.invertIq);
}

export class VirtualRadio implements Radio {
  onTransmit: ((ev: TxEvent) => void) | null = null;
  onRxWindow: ((w: RxWindow) => void) | null = null;
  txFail = false;
  txCount = 0;
  rxWindows = 0;
  rxDelivered = 0;
  airtimeMs = 0;
  sleeps = 0;
  private txBusy = false;
  private win: RxWindow | null = null;
  private winDone: ((status: number, rx: RadioRx | null) => void) | null = null;
  private winTimer: TimerHandle = 0;
  private queue: Queued[] = [];
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  transmit(p: RadioParams, payload: Uint8Array, done: (status: number) => void): void {
    if (this.txBusy || this.win) {
      done(RADIO_ERR_BUSY);
      return;
    }
    if (this.txFail) {
      done(RADIO_ERR_HW);
      return;
    }
    const now = this.clock.now();
    const toa = timeOnAirMs(p.sf, p.bwHz, p.cr, payload.length, 8, true, true);
    this.txBusy = true;
    this.txCount++;
    this.airtimeMs += toa;
    const ev: TxEvent = { payload: payload.slice(), params: { ...p }, startMs: now, endMs: now + toa, toaMs: toa };
    if (this.onTransmit) this.onTransmit(ev);
    this.txDone = done;
    if (!this.airtimeByMedium) this.clock.setTimeout(this.txEnd, toa);
  }

  /**
   * Set by a medium that ends every transmission itself by calling endTransmit() when the frame's
   * air time (the same timeOnAirMs) is over: one clock event per uplink instead of two.
   */
  airtimeByMedium = false;

  endTransmit(): void {
    if (this.txDone) this.txEnd();
  }

  // Completions as bound callbacks held by the radio (one transmission or window at a time), not a
  // closure per event: fleets schedule millions of them.
  private txDone: ((status: number) => void) | null = null;
  private readonly txEnd = (): void => {
    const d = this.txDone!;
    this.txDone = null;
    this.txBusy = false;
    d(RADIO_OK);
  };
  private readonly winTimeout = (): void => {
    this.close(RADIO_ERR_TIMEOUT, null);
  };

  receive(p: RadioParams, timeoutMs: number, done: (status: number, rx: RadioRx | null) => void): void {
    if (this.txBusy || this.win) {
      done(RADIO_ERR_BUSY, null);
      return;
    }
    const now = this.clock.now();
    this.rxWindows++;
    this.win = { params: { ...p }, openMs: now, closeMs: now + timeoutMs };
    this.winDone = done;
    this.winTimer = this.clock.setTimeout(this.winTimeout, timeoutMs);
    if (this.onRxWindow) this.onRxWindow(this.win);
    if (!this.win) return;
    for (let i = 0; i < this.queue.length; i++) {
      const q = this.queue[i];
      if (q.freqHz === p.freqHz && q.sf === p.sf) {
        this.queue.splice(i, 1);
        this.deliver(q.payload, q.rssiDbm, q.snrDb);
        return;
      }
    }
  }

  /** The window currently open, if any. */
  openWindow(): RxWindow | null {
    return this.win;
  }

  /**
   * Delivers a downlink into the open window (downlinks use inverted IQ; the caller is the medium
   * and has matched frequency/SF). Returns false when no window is open.
   */
  deliver(payload: Uint8Array, rssiDbm = -90, snrDb = 5): boolean {
    if (!this.win || !this.winDone || this.win.closeMs === Infinity) return false;
    const w = this.win;
    this.win = { params: w.params, openMs: w.openMs, closeMs: Infinity }; // no second delivery
    this.clock.clearTimeout(this.winTimer);
    const rx: RadioRx = { payload: payload.slice(), rssiDbm, snrDb };
    const toa = loraToaMs(w.params, payload.length);
    // Hold the window until the packet has been demodulated.
    this.winTimer = this.clock.setTimeout(() => {
      this.rxDelivered++;
      this.close(RADIO_OK, rx);
    }, toa);
    return true;
  }

  /** Hands a downlink to the next receive window on freqHz/sf. */
  queueDownlink(payload: Uint8Array, freqHz: number, sf: number, rssiDbm = -90, snrDb = 5): void {
    this.queue.push({ payload: payload.slice(), freqHz, sf, rssiDbm, snrDb });
  }

  private close(status: number, rx: RadioRx | null): void {
    const d = this.winDone;
    this.win = null;
    this.winDone = null;
    this.winTimer = 0;
    if (d) d(status, rx);
  }

  sleep(): void {
    this.sleeps++;
  }
}
