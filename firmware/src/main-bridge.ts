// Radio-bridge firmware: an SX127x listening continuously on one channel, every packet forwarded
// to the gateway over the kerb serial link (shared/link, docs/protocol.md §3) with RSSI/SNR/
// frequency/SF/timestamp; downlinks transmitted at the radio-clock time the gateway asks for;
// TxResult back; Status heartbeat. The gateway cannot tell this board from the simulator.
//
// Clock: tsUs/atUs are getTime() in µs, wrapping at 2^32 (71.6 min). Receptions are timestamped
// by the DIO0 edge (setWatch's e.time) where DIO0 is wired, else at the poll that saw RxDone.
import type { RadioParams, RadioRx } from '../../shared/hal/radio.ts';
import { RADIO_OK, RADIO_ERR_BUSY } from '../../shared/hal/radio.ts';
import {
  encodeLinkMessage, createDeframer, LINK_RX, LINK_TX, LINK_TX_RESULT, LINK_STATUS, LINK_TX_OK,
  LINK_TX_TOO_LATE, LINK_TX_TOO_EARLY, LINK_TX_BUSY, LINK_TX_HW, LINK_TX_INVALID,
  type LinkMessage, type TxRequest,
} from '../../shared/link/link.ts';
import { boardProfile } from './boards/index.ts';
import { createEspruinoClock } from './hal/clock.ts';
import { createSpi, createDigitalPin } from './hal/bus.ts';
import { createIrqLine } from './hal/irq.ts';
import { createSx127x, pulseReset } from './radio/sx127x.ts';
import type { EspruinoStorage } from './espruino.ts';

declare function print(s: string): void;
declare function require(name: 'Storage'): EspruinoStorage;
declare const KERB_FW_MAJOR: number;
declare const KERB_FW_MINOR: number;
declare const KERB_FW_PATCH: number;
declare const KERB_HAS_DIO0: boolean;
declare const KERB_HAS_RESET: boolean;
declare const LoopbackA: { setConsole(force: boolean): void };
declare const E: { kickWatchdog(): void; enableWatchdog(s: number, auto: boolean): void };

/** Optional Storage file "kerb.brg": {"freqHz":868100000,"sf":9,"bwHz":125000,"cr":1}. */
const BRIDGE_FILE = 'kerb.brg';
const STATUS_EVERY_MS = 10000;
/** A TxRequest more than this far ahead is refused (gateway schedules RX1/RX2 ≤ ~2 s ahead). */
const MAX_AHEAD_US = 10000000;
const U32 = 4294967296;

function main(): void {
  const b = boardProfile();
  const clock = createEspruinoClock();
  const r = b.radio;
  const radio = createSx127x({
    spi: createSpi(r.spi, r.sck, r.miso, r.mosi, r.nss),
    clock: clock,
    irq: KERB_HAS_DIO0 && r.dio0 ? createIrqLine(r.dio0) : null,
    pollMs: 5,
  });
  if (KERB_HAS_RESET && r.reset) pulseReset(createDigitalPin(r.reset));

  const cfg = (require('Storage').readJSON(BRIDGE_FILE, true) || {}) as Record<string, number>;
  const listenP: RadioParams = {
    freqHz: cfg.freqHz || 868100000, sf: cfg.sf || 9, bwHz: cfg.bwHz || 125000, cr: cfg.cr || 1,
    powerDbm: 14, invertIq: false,
  };
  const link = b.linkSerial;
  // The REPL must leave the link port (USB on the Pico, Serial1 on ESP32 are the default consoles),
  // or incoming link bytes would be typed into the interpreter and print() output would corrupt
  // frames: park the console on the loopback device. To reflash, boot without .bootcde (Pico: hold
  // BTN while plugging in) or send `load()` ... see docs/firmware.md.
  LoopbackA.setConsole(true);
  if (b.linkBaud > 0) link.setup(b.linkBaud);

  const st = { rxOk: 0, rxBad: 0, txOk: 0, txFail: 0, seq: 0, pending: 0, timer: -1 };

  function nowUs(): number {
    return Math.floor(clock.now() * 1000) % U32;
  }
  function send(m: LinkMessage): void {
    m.seq = st.seq;
    st.seq = (st.seq + 1) & 255;
    link.write(encodeLinkMessage(m));
  }
  function txResult(id: number, status: number, tsUs: number): void {
    send({ type: LINK_TX_RESULT, id: id, status: status, tsUs: tsUs });
  }
  function onRx(status: number, rx: RadioRx | null, tMs: number): void {
    if (status !== RADIO_OK || !rx) {
      st.rxBad++;
      return;
    }
    st.rxOk++;
    send({
      type: LINK_RX, payload: rx.payload, rssiDbm: Math.round(rx.rssiDbm), snrDb: rx.snrDb,
      freqHz: listenP.freqHz, sf: listenP.sf, bwHz: listenP.bwHz, cr: listenP.cr,
      tsUs: Math.floor(tMs * 1000) % U32,
    });
  }
  function listen(): void {
    radio.listen(listenP, onRx);
  }
  function fire(m: TxRequest): void {
    st.timer = -1;
    st.pending = 0;
    const startUs = nowUs();
    radio.stopListen();
    radio.transmit({ freqHz: m.freqHz, sf: m.sf, bwHz: m.bwHz, cr: m.cr, powerDbm: m.powerDbm, invertIq: m.invertIq }, m.payload, function (s: number) {
      if (s === RADIO_OK) st.txOk++;
      else st.txFail++;
      txResult(m.id, s === RADIO_OK ? LINK_TX_OK : s === RADIO_ERR_BUSY ? LINK_TX_BUSY : LINK_TX_HW, s === RADIO_OK ? startUs : 0);
      listen();
    });
  }
  function onTx(m: TxRequest): void {
    if (m.sf < 7 || m.sf > 12 || m.cr < 1 || m.cr > 4 || m.payload.length === 0) {
      st.txFail++;
      txResult(m.id, LINK_TX_INVALID, 0);
      return;
    }
    if (st.pending) {
      st.txFail++;
      txResult(m.id, LINK_TX_BUSY, 0);
      return;
    }
    let delayMs = 0;
    if (m.atUs) {
      // Unsigned distance on the wrapping µs clock; the upper half means "already passed".
      const d = (m.atUs - nowUs() + U32) % U32;
      if (d > U32 / 2) {
        st.txFail++;
        txResult(m.id, LINK_TX_TOO_LATE, 0);
        return;
      }
      if (d > MAX_AHEAD_US) {
        st.txFail++;
        txResult(m.id, LINK_TX_TOO_EARLY, 0);
        return;
      }
      delayMs = d / 1000;
    }
    st.pending = 1;
    st.timer = clock.setTimeout(function () { fire(m); }, delayMs);
  }

  const deframer = createDeframer(function (m: LinkMessage) {
    if (m.type === LINK_TX) onTx(m);
  }, function () {
    // Link errors are the gateway's to count (it sees our Status); nothing to do on the radio.
  });
  link.on('data', function (s: string) {
    const chunk = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) chunk[i] = s.charCodeAt(i);
    deframer.push(chunk);
  });

  E.enableWatchdog(30, false);
  function status(): void {
    E.kickWatchdog();
    send({
      type: LINK_STATUS, uptimeS: Math.floor(clock.now() / 1000), fwVersion: (KERB_FW_MAJOR << 16) | (KERB_FW_MINOR << 8) | KERB_FW_PATCH,
      rxOk: st.rxOk, rxBad: st.rxBad, txOk: st.txOk, txFail: st.txFail,
    });
    clock.setTimeout(status, STATUS_EVERY_MS);
  }

  clock.setTimeout(function () {
    if (radio.init() !== RADIO_OK) print('kerb-bridge: radio not found');
    listen();
    status();
  }, 10);
}

main();
