// Semtech SX1276/77/78/79 in LoRa mode over SPI, behind shared/hal/radio.ts. Written from the
// SX1276/77/78/79 datasheet rev. 7: §4.1.4 (frequency), §4.1.1.1–3 (SF/BW/CR), §4.1.6 (FIFO,
// TX and RX sequences), §5.5.5 (RSSI/SNR), §6.4 (register map). Raw LoRa only: kerb builds the
// LoRaWAN frame itself. IRQs are polled over SPI (RegIrqFlags) by default; when DIO0 is wired,
// `irq` gives an edge watch instead, which also timestamps receptions precisely (bridge).
//
// SPI: one transfer per register access, address byte bit 7 = 1 for write (§4.3 "SPI Interface").
import type { SpiBus, DigitalPin } from '../../../shared/hal/bus.ts';
import type { Clock } from '../../../shared/hal/clock.ts';
import type { Radio, RadioParams, RadioRx } from '../../../shared/hal/radio.ts';
import { RADIO_OK, RADIO_ERR_BUSY, RADIO_ERR_TIMEOUT, RADIO_ERR_HW, RADIO_ERR_CRC } from '../../../shared/hal/radio.ts';
import { timeOnAirMs } from '../../../shared/lorawan/airtime.ts';
import {
  REG_FIFO, REG_OP_MODE, REG_FRF_MSB, REG_FRF_MID, REG_FRF_LSB, REG_PA_CONFIG, REG_LNA,
  REG_FIFO_ADDR_PTR, REG_FIFO_TX_BASE, REG_FIFO_RX_BASE, REG_FIFO_RX_CURRENT, REG_IRQ_FLAGS_MASK,
  REG_IRQ_FLAGS, REG_RX_NB_BYTES, REG_PKT_SNR, REG_PKT_RSSI, REG_MODEM_CONFIG1, REG_MODEM_CONFIG2,
  REG_SYMB_TIMEOUT_LSB, REG_PREAMBLE_MSB, REG_PREAMBLE_LSB, REG_PAYLOAD_LENGTH,
  REG_MODEM_CONFIG3, REG_INVERT_IQ, REG_SYNC_WORD,
  REG_INVERT_IQ2, REG_DIO_MAPPING1, REG_VERSION, REG_PA_DAC, SX127X_VERSION, OPMODE_LORA, MODE_SLEEP,
  MODE_STDBY, MODE_TX, MODE_RX_CONTINUOUS, MODE_RX_SINGLE, IRQ_RX_TIMEOUT, IRQ_RX_DONE,
  IRQ_PAYLOAD_CRC_ERROR, IRQ_TX_DONE, DIO0_RX_DONE, DIO0_TX_DONE, SYNC_WORD_LORAWAN, FXOSC_HZ,
  FRF_DIVISOR, RSSI_OFFSET_HF, RSSI_OFFSET_LF,
} from './sx127x-regs.ts';

/** An edge-triggered interrupt line (DIO0). cb gets the edge time in ms on the radio's clock. */
export interface IrqLine {
  watch(cb: (tMs: number) => void): void;
  unwatch(): void;
}

export interface Sx127xOptions {
  spi: SpiBus;
  clock: Clock;
  irq: IrqLine | null;
  /** Poll period for RegIrqFlags when irq is null. */
  pollMs: number;
}

/** What the radio-bridge needs beyond the node's Radio: continuous receive and an init status. */
export interface Sx127x extends Radio {
  /** Check RegVersion, enter LoRa standby. RADIO_OK or RADIO_ERR_HW (no chip answers). Call ≥ 5 ms after pulseReset. */
  init(): number;
  /** Receive continuously until stopListen(); cb per packet (CRC-failed packets give status RADIO_ERR_CRC). tMs = end of reception. */
  listen(p: RadioParams, cb: (status: number, rx: RadioRx | null, tMs: number) => void): void;
  stopListen(): void;
}

/**
 * §7.2.2 manual reset: NRESET low for ≥ 100 µs, then ≥ 5 ms before the chip may be used; the
 * caller waits (a timer) before init().
 */
export function pulseReset(reset: DigitalPin): void {
  reset.write(false);
  reset.write(false); // two SPI-free pin writes ≈ tens of µs on Espruino; a third for margin
  reset.write(false);
  reset.write(true);
}

// Build-time switches (esbuild defines; undefined in Node tests, which get everything): only the
// bridge firmware carries continuous receive, and boards without DIO0 carry no edge-watch code.
// Written inline at each use — `(typeof X === 'undefined' || X)` — because esbuild folds a define
// in place but does not propagate a module-level constant into function bodies.
declare const KERB_BRIDGE: boolean;
declare const KERB_HAS_DIO0: boolean;

const ST_IDLE = 0;
const ST_TX = 1;
const ST_RX_SINGLE = 2;
const ST_LISTEN = 3;

/** Longest LoRa frame we wait for after a preamble: 255 bytes at SF12/125 kHz ≈ 9.2 s. */
const MAX_FRAME_MS = 10000;

/** Bandwidth code for RegModemConfig1 bits 7..4 (§6.4): 125 kHz = 7, 250 kHz = 8, 500 kHz = 9. */
function bwCode(bwHz: number): number {
  if (bwHz >= 500000) return 9;
  if (bwHz >= 250000) return 8;
  return 7;
}

export function createSx127x(o: Sx127xOptions): Sx127x {
  const spi = o.spi;
  const clock = o.clock;
  const buf2 = new Uint8Array(2);
  let state = ST_IDLE;
  // RegVersion answered at the last init(); a missing chip reads 0xFF/0x00 everywhere, which would
  // otherwise look like every IRQ flag set. Re-checked before each operation while false.
  let present = false;
  let pollTimer = -1;
  let guardTimer = -1;
  let freqHz = 0;
  let listenCb: ((status: number, rx: RadioRx | null, tMs: number) => void) | null = null;
  let rxDone: ((status: number, rx: RadioRx | null) => void) | null = null;
  let txDone: ((status: number) => void) | null = null;

  function write(reg: number, v: number): void {
    buf2[0] = reg | 0x80;
    buf2[1] = v & 0xff;
    spi.transfer(buf2);
  }
  function read(reg: number): number {
    buf2[0] = reg & 0x7f;
    buf2[1] = 0;
    return spi.transfer(buf2)[1];
  }
  function mode(m: number): void {
    write(REG_OP_MODE, OPMODE_LORA | m);
  }

  function stopTimers(): void {
    if (pollTimer >= 0) clock.clearTimeout(pollTimer);
    if (guardTimer >= 0) clock.clearTimeout(guardTimer);
    pollTimer = -1;
    guardTimer = -1;
    if ((typeof KERB_HAS_DIO0 === 'undefined' || KERB_HAS_DIO0) && o.irq) o.irq.unwatch();
  }

  /** §4.1.4: Frf = Fstep × RegFrf, Fstep = FXOSC / 2^19. freqHz × 2^19 < 2^53: exact in a double. */
  function setFrequency(f: number): void {
    const frf = Math.round((f * FRF_DIVISOR) / FXOSC_HZ);
    write(REG_FRF_MSB, Math.floor(frf / 65536) & 0xff);
    write(REG_FRF_MID, (frf >> 8) & 0xff);
    write(REG_FRF_LSB, frf & 0xff);
    freqHz = f;
  }

  function configure(p: RadioParams): void {
    mode(MODE_STDBY);
    setFrequency(p.freqHz);
    // RegModemConfig1: Bw | CodingRate (1..4 = 4/5..4/8) << 1 | explicit header (bit 0 = 0).
    write(REG_MODEM_CONFIG1, (bwCode(p.bwHz) << 4) | ((p.cr & 7) << 1));
    // RegModemConfig2: SF << 4 | RxPayloadCrcOn. LoRaWAN: uplinks carry a payload CRC, downlinks
    // do not (LoRaWAN 1.0.4 §3.1/§3.2), so CRC follows the IQ direction.
    write(REG_MODEM_CONFIG2, ((p.sf & 0x0f) << 4) | (p.invertIq ? 0 : 0x04));
    // RegModemConfig3: LowDataRateOptimize when the symbol time exceeds 16 ms (§4.1.1.6), AGC on.
    const symMs = (Math.pow(2, p.sf) * 1000) / p.bwHz;
    write(REG_MODEM_CONFIG3, (symMs > 16 ? 0x08 : 0) | 0x04);
    write(REG_PREAMBLE_MSB, 0);
    write(REG_PREAMBLE_LSB, 8);
    // RegDetectOptimize 0xC3 / RegDetectionThreshold 0x0A (SF7..12) are the reset values (§6.4);
    // kerb never uses SF6, so they are left alone.
    // RegInvertIQ (0x33) and RegInvertIQ2 (0x3B): 0x66/0x19 inverted, 0x27/0x1D normal (Semtech
    // AN1200.23 / reference LoRaMac-node sx1276.c values; both TX and RX paths).
    write(REG_INVERT_IQ, p.invertIq ? 0x66 : 0x27);
    write(REG_INVERT_IQ2, p.invertIq ? 0x19 : 0x1d);
  }

  /** §5.5.5: SNR = RegPktSnrValue (two's complement) / 4; RSSI per port, corrected when SNR < 0. */
  function packetQuality(rx: { rssiDbm: number; snrDb: number }): void {
    const rawSnr = read(REG_PKT_SNR);
    const snr = (rawSnr >= 128 ? rawSnr - 256 : rawSnr) / 4;
    const pktRssi = read(REG_PKT_RSSI);
    const off = freqHz >= 779000000 ? RSSI_OFFSET_HF : RSSI_OFFSET_LF;
    rx.snrDb = snr;
    rx.rssiDbm = snr < 0 ? off + pktRssi + snr : off + Math.round((pktRssi * 16) / 15);
  }

  function readPacket(): RadioRx {
    const n = read(REG_RX_NB_BYTES);
    write(REG_FIFO_ADDR_PTR, read(REG_FIFO_RX_CURRENT));
    // One burst read of the FIFO: address byte then n dummy bytes (§4.3 burst access).
    const tx = new Uint8Array(n + 1);
    tx[0] = REG_FIFO;
    const r = spi.transfer(tx);
    const payload = new Uint8Array(n);
    payload.set(r.subarray(1, n + 1));
    const rx = { payload: payload, rssiDbm: 0, snrDb: 0 };
    packetQuality(rx);
    return rx;
  }

  function finishTx(status: number): void {
    stopTimers();
    state = ST_IDLE;
    mode(MODE_STDBY);
    const cb = txDone;
    txDone = null;
    if (cb) cb(status);
  }

  function finishRx(status: number, rx: RadioRx | null): void {
    stopTimers();
    state = ST_IDLE;
    mode(MODE_STDBY);
    const cb = rxDone;
    rxDone = null;
    if (cb) cb(status, rx);
  }

  /** Look at RegIrqFlags and act; returns true when the operation finished. */
  function service(tMs: number): boolean {
    const f = read(REG_IRQ_FLAGS);
    if (state === ST_TX) {
      if (!(f & IRQ_TX_DONE)) return false;
      write(REG_IRQ_FLAGS, 0xff);
      finishTx(RADIO_OK);
      return true;
    }
    if (state === ST_RX_SINGLE) {
      if (f & IRQ_RX_TIMEOUT) {
        write(REG_IRQ_FLAGS, 0xff);
        finishRx(RADIO_ERR_TIMEOUT, null);
        return true;
      }
      if (!(f & IRQ_RX_DONE)) return false;
      write(REG_IRQ_FLAGS, 0xff);
      if (f & IRQ_PAYLOAD_CRC_ERROR) finishRx(RADIO_ERR_CRC, null);
      else finishRx(RADIO_OK, readPacket());
      return true;
    }
    if ((typeof KERB_BRIDGE === 'undefined' || KERB_BRIDGE) && state === ST_LISTEN) {
      if (!(f & IRQ_RX_DONE)) return false;
      write(REG_IRQ_FLAGS, 0xff);
      // RXCONTINUOUS stays in receive: FIFO pointer management is automatic (§4.1.6.3).
      if (listenCb) {
        if (f & IRQ_PAYLOAD_CRC_ERROR) listenCb(RADIO_ERR_CRC, null, tMs);
        else listenCb(RADIO_OK, readPacket(), tMs);
      }
      return false;
    }
    return true;
  }

  function poll(): void {
    pollTimer = -1;
    if (state === ST_IDLE) return;
    if (!service(clock.now()) && state !== ST_IDLE) pollTimer = clock.setTimeout(poll, o.pollMs);
  }

  /** firstMs: when the event is due at the earliest (TxDone: the computed time on air). */
  function waitIrq(firstMs: number): void {
    if ((typeof KERB_HAS_DIO0 === 'undefined' || KERB_HAS_DIO0) && o.irq) o.irq.watch(function (tMs: number) { service(tMs); });
    else pollTimer = clock.setTimeout(poll, firstMs);
  }

  function init(): number {
    stopTimers();
    state = ST_IDLE;
    present = read(REG_VERSION) === SX127X_VERSION;
    if (!present) return RADIO_ERR_HW;
    write(REG_OP_MODE, MODE_SLEEP); // LongRangeMode can only change in SLEEP (§6.4 RegOpMode)
    write(REG_OP_MODE, OPMODE_LORA | MODE_SLEEP);
    mode(MODE_STDBY);
    write(REG_FIFO_TX_BASE, 0);
    write(REG_FIFO_RX_BASE, 0);
    // RegMaxPayloadLength 0xFF and RegOcp 0x2B (100 mA trip) are reset values (§6.4).
    write(REG_LNA, 0x23); // max gain, LNA boost on for the HF port
    write(REG_SYNC_WORD, SYNC_WORD_LORAWAN);
    write(REG_IRQ_FLAGS_MASK, 0);
    write(REG_IRQ_FLAGS, 0xff);
    return RADIO_OK;
  }

  /**
   * PA_BOOST (every module kerb supports: RFM95W, TTGO, HopeRF): Pout = 17 − (15 − OutputPower)
   * for 2..17 dBm; +18..20 dBm need RegPaDac = 0x87 (§5.4.3). The RFO pin is not used.
   */
  function setPower(dbm: number): void {
    let p = dbm > 20 ? 20 : dbm < 2 ? 2 : Math.round(dbm);
    if (p > 17) {
      write(REG_PA_DAC, 0x87);
      p = p - 3;
    } else write(REG_PA_DAC, 0x84);
    write(REG_PA_CONFIG, 0x80 | (p - 2));
  }

  const radio = {
    init: init,
    transmit: function (p: RadioParams, payload: Uint8Array, done: (status: number) => void) {
      if (state === ST_TX || state === ST_RX_SINGLE) { done(RADIO_ERR_BUSY); return; }
      if (!present && init() !== RADIO_OK) { done(RADIO_ERR_HW); return; }
      // A bridge that was listening calls listen() again after done(): the chip cannot do both.
      stopTimers();
      configure(p);
      setPower(p.powerDbm);
      write(REG_FIFO_ADDR_PTR, 0);
      const tx = new Uint8Array(payload.length + 1);
      tx[0] = REG_FIFO | 0x80;
      tx.set(payload, 1);
      spi.transfer(tx); // burst write into the FIFO (§4.1.6.2 TX sequence)
      write(REG_PAYLOAD_LENGTH, payload.length);
      write(REG_DIO_MAPPING1, DIO0_TX_DONE);
      write(REG_IRQ_FLAGS, 0xff);
      state = ST_TX;
      listenCb = null;
      txDone = done;
      mode(MODE_TX);
      // Polled: look first when TxDone is due (§4.1.1.7 time on air), so the caller's end-of-TX
      // time — from which LoRaWAN RX1/RX2 are timed — is not late by a poll period.
      waitIrq(timeOnAirMs(p.sf, p.bwHz, p.cr, payload.length, 8, true, !p.invertIq));
      // The chip always raises TxDone; a missing one means a dead chip or bus.
      guardTimer = clock.setTimeout(function () { guardTimer = -1; finishTx(RADIO_ERR_HW); }, MAX_FRAME_MS);
    },
    receive: function (p: RadioParams, timeoutMs: number, done: (status: number, rx: RadioRx | null) => void) {
      if (state !== ST_IDLE) { done(RADIO_ERR_BUSY, null); return; }
      if (!present && init() !== RADIO_OK) { done(RADIO_ERR_HW, null); return; }
      configure(p);
      // RXSINGLE: the chip looks for a preamble for RegSymbTimeout symbols (≤ 1023, §4.1.6.3),
      // then either raises RxTimeout or receives the whole frame. A class A window is the time to
      // detect a preamble, so the timeout is converted to symbols.
      const symMs = (Math.pow(2, p.sf) * 1000) / p.bwHz;
      let sym = Math.ceil(timeoutMs / symMs);
      if (sym < 4) sym = 4;
      if (sym > 1023) sym = 1023;
      const cfg2 = read(REG_MODEM_CONFIG2);
      write(REG_MODEM_CONFIG2, (cfg2 & 0xfc) | ((sym >> 8) & 3));
      write(REG_SYMB_TIMEOUT_LSB, sym & 0xff);
      write(REG_FIFO_ADDR_PTR, 0);
      write(REG_DIO_MAPPING1, DIO0_RX_DONE);
      write(REG_IRQ_FLAGS, 0xff);
      state = ST_RX_SINGLE;
      rxDone = done;
      mode(MODE_RX_SINGLE);
      // RxDone comes on DIO0 when wired; RxTimeout is on DIO1, which is not: with DIO0, look at the
      // flags when the symbol timeout is due (then every pollMs while a packet is arriving);
      // without it, poll every pollMs from the start.
      const wired = (typeof KERB_HAS_DIO0 === 'undefined' || KERB_HAS_DIO0) && o.irq;
      if (wired) o.irq!.watch(function (tMs: number) { service(tMs); });
      pollTimer = clock.setTimeout(poll, wired ? sym * symMs : o.pollMs);
      guardTimer = clock.setTimeout(function () { guardTimer = -1; finishRx(RADIO_ERR_TIMEOUT, null); }, sym * symMs + MAX_FRAME_MS);
    },
    sleep: function () {
      stopTimers();
      state = ST_IDLE;
      listenCb = null;
      mode(MODE_SLEEP);
    },
  } as Sx127x;
  // Continuous receive only in the bridge: a node's image carries neither the code nor the two
  // functions (each costs RAM on the device).
  if (typeof KERB_BRIDGE === 'undefined' || KERB_BRIDGE) {
    radio.listen = function (p: RadioParams, cb: (status: number, rx: RadioRx | null, tMs: number) => void) {
      stopTimers();
      configure(p);
      write(REG_FIFO_ADDR_PTR, 0);
      write(REG_DIO_MAPPING1, DIO0_RX_DONE);
      write(REG_IRQ_FLAGS, 0xff);
      state = ST_LISTEN;
      listenCb = cb;
      mode(MODE_RX_CONTINUOUS);
      waitIrq(o.pollMs);
    };
    radio.stopListen = function () {
      if (state !== ST_LISTEN) return;
      stopTimers();
      listenCb = null;
      state = ST_IDLE;
      mode(MODE_STDBY);
    };
  }
  return radio;
}
