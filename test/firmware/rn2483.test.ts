// RN2483 raw-radio driver against a virtual module that speaks the command set of the RN2483
// Command Reference (DS40001784) over a virtual UART at 57600 baud (bytes take their wire time).
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../sim/clock.ts';
import { VirtualUart } from '../../sim/devices/uart.ts';
import { createRn2483 } from '../../firmware/src/radio/rn2483.ts';
import { RADIO_OK, RADIO_ERR_TIMEOUT, RADIO_ERR_HW, type RadioParams, type RadioRx } from '../../shared/hal/radio.ts';

/** Minimal RN2483 firmware model: settings, radio tx/rx two-stage replies, wdt, snr/rssi. */
class VirtualRn2483 {
  settings: Record<string, string> = {};
  paused = false;
  sent: { hex: string; settings: Record<string, string> }[] = [];
  log: string[] = [];
  dead = false;
  private rxPending: ((hex: string | null) => void) | null = null;
  private buf = '';
  private clock: VirtualClock;
  private uart: VirtualUart;
  constructor(clock: VirtualClock, uart: VirtualUart) {
    this.clock = clock;
    this.uart = uart;
    uart.onDeviceData((d) => {
      for (const c of d) {
        if (c === 10) { this.command(this.buf.replace(/\r$/, '')); this.buf = ''; } else this.buf += String.fromCharCode(c);
      }
    });
  }
  private reply(s: string, delayMs = 2): void {
    if (this.dead) return;
    this.clock.setTimeout(() => this.uart.deviceSend(Buffer.from(s + '\r\n', 'latin1')), delayMs);
  }
  private command(line: string): void {
    this.log.push(line);
    const w = line.split(' ');
    if (line === 'mac pause') { this.paused = true; this.reply('4294967245'); return; }
    if (w[0] === 'radio' && w[1] === 'set' && w.length === 4) { this.settings[w[2]!] = w[3]!; this.reply('ok'); return; }
    if (line === 'radio get snr') { this.reply('7'); return; }
    if (line === 'radio get rssi') { this.reply('-93'); return; }
    if (w[0] === 'radio' && w[1] === 'tx' && this.paused) {
      this.reply('ok');
      this.sent.push({ hex: w[2]!, settings: { ...this.settings } });
      this.reply('radio_tx_ok', 60);
      return;
    }
    if (line === 'radio rx 0' && this.paused) {
      this.reply('ok');
      const wdt = Number(this.settings.wdt ?? 0);
      const t = wdt ? this.clock.setTimeout(() => { this.rxPending = null; this.reply('radio_err'); }, wdt) : 0;
      this.rxPending = (hex) => { this.clock.clearTimeout(t); this.rxPending = null; this.reply(`radio_rx  ${hex}`); };
      return;
    }
    this.reply('invalid_param');
  }
  air(hex: string): boolean {
    if (!this.rxPending) return false;
    this.rxPending(hex);
    return true;
  }
}

const P: RadioParams = { freqHz: 868300000, sf: 9, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: false };

function setup() {
  const clock = new VirtualClock(0);
  const uart = new VirtualUart(clock, 57600);
  const mod = new VirtualRn2483(clock, uart);
  const radio = createRn2483(uart, clock);
  return { clock, uart, mod, radio };
}

describe('RN2483 raw radio driver', () => {
  it('init pauses the LoRaWAN stack and sets LoRa mode, public sync word', () => {
    const { clock, mod, radio } = setup();
    let s = -1;
    radio.init((st) => { s = st; });
    clock.advance(500);
    expect(s).toBe(RADIO_OK);
    expect(mod.paused).toBe(true);
    expect(mod.settings).toMatchObject({ mod: 'lora', sync: '34', prlen: '8' });
  });

  it('transmits the payload as hex with the requested modulation', () => {
    const { clock, mod, radio } = setup();
    radio.init(() => {});
    clock.advance(500);
    let s = -1;
    radio.transmit({ ...P, powerDbm: 20 }, Uint8Array.of(0x40, 0xda, 0x1b, 0x01, 0x26, 0xff), (st) => { s = st; });
    clock.advance(2000);
    expect(s).toBe(RADIO_OK);
    expect(mod.sent).toHaveLength(1);
    expect(mod.sent[0]!.hex).toBe('40DA1B0126FF');
    expect(mod.sent[0]!.settings).toMatchObject({ freq: '868300000', sf: 'sf9', bw: '125', cr: '4/5', pwr: '15', iqi: 'off', crc: 'on' });
  });

  it('receives a downlink with SNR and RSSI; times out via the module watchdog', () => {
    const { clock, mod, radio } = setup();
    radio.init(() => {});
    clock.advance(500);
    let got: { s: number; rx: RadioRx | null } | null = null;
    radio.receive({ ...P, invertIq: true }, 300, (s, rx) => { got = { s, rx }; });
    clock.advance(100);
    expect(mod.settings).toMatchObject({ iqi: 'on', crc: 'off', wdt: '300' });
    expect(mod.air('60DA1B01262001000A0102')).toBe(true);
    clock.advance(500);
    expect(got!.s).toBe(RADIO_OK);
    expect(Array.from(got!.rx!.payload)).toEqual([0x60, 0xda, 0x1b, 0x01, 0x26, 0x20, 0x01, 0x00, 0x0a, 0x01, 0x02]);
    expect(got!.rx!.snrDb).toBe(7);
    expect(got!.rx!.rssiDbm).toBe(-93);

    let s2 = -1;
    radio.receive(P, 200, (s) => { s2 = s; });
    clock.advance(1000);
    expect(s2).toBe(RADIO_ERR_TIMEOUT);
  });

  it('a silent module is a hardware error, not a hang', () => {
    const { clock, mod, radio } = setup();
    mod.dead = true;
    let s = -1;
    radio.transmit(P, Uint8Array.of(1), (st) => { s = st; });
    clock.advance(5000);
    expect(s).toBe(RADIO_ERR_HW);
  });
});
