// Microchip RN2483 (433/868 MHz LoRa module, UART 57600 8N1) in raw radio mode behind
// shared/hal/radio.ts: kerb builds the LoRaWAN frame itself, so the module's own LoRaWAN stack is
// paused (`mac pause`) and only `radio ...` commands are used. From the "RN2483 LoRa Technology
// Module Command Reference User's Guide" (DS40001784): §2.3 (syntax: ASCII, CR LF terminated),
// §2.4.8 mac pause, §2.6 radio commands (radio tx / radio rx with its two-stage reply
// "ok" then "radio_tx_ok" | "radio_rx  <hex>" | "radio_err"), §2.6.2.x radio set freq/sf/bw/cr/
// pwr/sync/iqi/crc/prlen/wdt, radio get snr (and radio get rssi on firmware ≥ 1.0.5).
import type { UartPort } from '../../../shared/hal/bus.ts';
import type { Clock } from '../../../shared/hal/clock.ts';
import type { Radio, RadioParams, RadioRx } from '../../../shared/hal/radio.ts';
import { RADIO_OK, RADIO_ERR_BUSY, RADIO_ERR_TIMEOUT, RADIO_ERR_HW } from '../../../shared/hal/radio.ts';

/** Longest wait for a one-line reply (module busy with flash writes answers within ~100 ms). */
const REPLY_MS = 1000;
/** After `radio tx` "ok": time on air of up to 255 bytes at SF12 plus margin. */
const TX_DONE_MS = 12000;

export interface Rn2483 extends Radio {
  /** Pause the LoRaWAN stack; done(RADIO_OK) when the module answered. */
  init(done: (status: number) => void): void;
}

function hexOf(b: Uint8Array): string {
  const d = '0123456789ABCDEF';
  let s = '';
  for (let i = 0; i < b.length; i++) s += d.charAt(b[i] >> 4) + d.charAt(b[i] & 15);
  return s;
}

function bytesOfHex(h: string): Uint8Array | null {
  if (h.length % 2) return null;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) {
    const v = parseInt(h.substr(i * 2, 2), 16);
    if (v !== v) return null;
    out[i] = v;
  }
  return out;
}

export function createRn2483(uart: UartPort, clock: Clock): Rn2483 {
  // Line assembly from the UART; each complete line goes to the single waiting consumer.
  const st = { line: '', busy: false, timer: -1 };
  let waiter: ((line: string | null) => void) | null = null;

  function settle(line: string | null): void {
    if (st.timer >= 0) clock.clearTimeout(st.timer);
    st.timer = -1;
    const w = waiter;
    waiter = null;
    if (w) w(line);
  }

  uart.onData(function (chunk: Uint8Array) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === 10) {
        const l = st.line;
        st.line = '';
        if (l.length) settle(l);
      } else if (c !== 13 && st.line.length < 600) st.line += String.fromCharCode(c);
    }
  });

  /** Wait for the next line (null on timeout). */
  function next(ms: number, cb: (line: string | null) => void): void {
    waiter = cb;
    st.timer = clock.setTimeout(function () { st.timer = -1; settle(null); }, ms);
  }

  function send(cmd: string): void {
    const s = cmd + '\r\n';
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    uart.write(b);
  }

  /** Run commands in order; each must answer `want` (e.g. "ok"). cb(true) when all did. */
  function script(cmds: string[], cb: (ok: boolean) => void): void {
    let i = 0;
    function step(): void {
      if (i === cmds.length) { cb(true); return; }
      const c = cmds[i++];
      send(c);
      next(REPLY_MS, function (line: string | null) {
        // `mac pause` answers with the pause length in ms, every `radio set` with "ok".
        if (line === null || (c !== 'mac pause' && line !== 'ok')) { cb(false); return; }
        step();
      });
    }
    step();
  }

  function setup(p: RadioParams, crcOn: boolean, extra: string[]): string[] {
    const bw = p.bwHz >= 500000 ? 500 : p.bwHz >= 250000 ? 250 : 125;
    const pwr = p.powerDbm > 15 ? 15 : p.powerDbm < -3 ? -3 : Math.round(p.powerDbm);
    const cmds = [
      'mac pause',
      'radio set freq ' + p.freqHz,
      'radio set sf sf' + p.sf,
      'radio set bw ' + bw,
      'radio set cr 4/' + (p.cr + 4),
      'radio set pwr ' + pwr,
      'radio set iqi ' + (p.invertIq ? 'on' : 'off'),
      'radio set crc ' + (crcOn ? 'on' : 'off'),
    ];
    for (let i = 0; i < extra.length; i++) cmds.push(extra[i]);
    return cmds;
  }

  function finish(): void {
    st.busy = false;
  }

  return {
    init: function (done: (status: number) => void) {
      // §2.6.2: sync word 0x34 = LoRaWAN public network; 8-symbol preamble.
      script(['mac pause', 'radio set mod lora', 'radio set sync 34', 'radio set prlen 8'], function (ok: boolean) {
        done(ok ? RADIO_OK : RADIO_ERR_HW);
      });
    },
    transmit: function (p: RadioParams, payload: Uint8Array, done: (status: number) => void) {
      if (st.busy) { done(RADIO_ERR_BUSY); return; }
      st.busy = true;
      // LoRaWAN: uplinks carry a payload CRC, downlinks do not (§3.1/§3.2 of the LoRaWAN spec).
      script(setup(p, !p.invertIq, ['radio set wdt 0']), function (ok: boolean) {
        if (!ok) { finish(); done(RADIO_ERR_HW); return; }
        send('radio tx ' + hexOf(payload));
        next(REPLY_MS, function (l1: string | null) {
          if (l1 !== 'ok') { finish(); done(RADIO_ERR_HW); return; }
          next(TX_DONE_MS, function (l2: string | null) {
            finish();
            done(l2 === 'radio_tx_ok' ? RADIO_OK : RADIO_ERR_HW);
          });
        });
      });
    },
    receive: function (p: RadioParams, timeoutMs: number, done: (status: number, rx: RadioRx | null) => void) {
      if (st.busy) { done(RADIO_ERR_BUSY, null); return; }
      st.busy = true;
      // radio set wdt bounds the receive: the module answers radio_err when it expires.
      const wdt = Math.max(1, Math.ceil(timeoutMs));
      script(setup(p, !p.invertIq, ['radio set wdt ' + wdt]), function (ok: boolean) {
        if (!ok) { finish(); done(RADIO_ERR_HW, null); return; }
        send('radio rx 0');
        next(REPLY_MS, function (l1: string | null) {
          if (l1 !== 'ok') { finish(); done(RADIO_ERR_HW, null); return; }
          next(wdt + TX_DONE_MS, function (l2: string | null) {
            if (l2 === null || l2.indexOf('radio_rx') !== 0) { finish(); done(RADIO_ERR_TIMEOUT, null); return; }
            const payload = bytesOfHex(l2.substr(8).trim());
            if (!payload) { finish(); done(RADIO_ERR_HW, null); return; }
            const rx = { payload: payload, rssiDbm: 0, snrDb: 0 };
            send('radio get snr');
            next(REPLY_MS, function (snr: string | null) {
              rx.snrDb = snr === null ? 0 : parseInt(snr, 10) || 0;
              send('radio get rssi');
              next(REPLY_MS, function (rssi: string | null) {
                // Older firmware answers invalid_param: RSSI unknown (0 would look like a strong signal).
                const v = rssi === null ? NaN : parseInt(rssi, 10);
                rx.rssiDbm = v === v ? v : -200;
                finish();
                done(RADIO_OK, rx);
              });
            });
          });
        });
      });
    },
    sleep: function () {
      // `sys sleep <ms>` would also stop the UART; a paused idle radio draws ~3 mA. Left idle.
    },
  };
}
