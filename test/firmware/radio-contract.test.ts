// Radio contract (every implementation passes one suite): the same tests against the simulator's VirtualRadio
// (sim/devices/radio.ts) and the firmware's SX127x driver on the register-level twin.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../sim/clock.ts';
import { VirtualRadio } from '../../sim/devices/radio.ts';
import { Sx127xTwin } from '../../sim/devices/sx127x.ts';
import { createSx127x } from '../../firmware/src/radio/sx127x.ts';
import { RADIO_OK, RADIO_ERR_BUSY, RADIO_ERR_TIMEOUT, type Radio, type RadioParams, type RadioRx } from '../../shared/hal/radio.ts';
import { timeOnAirMs } from '../../shared/lorawan/airtime.ts';

interface Rig {
  /** How late the implementation may notice a radio event (a polled IRQ: its poll period). */
  latencyMs: number;
  clock: VirtualClock;
  radio: Radio;
  sent: () => { payload: number[]; freqHz: number; sf: number }[];
  /** A downlink whose preamble starts now (the caller matches frequency/SF, as a medium does). */
  inject: (p: RadioParams, payload: Uint8Array, rssiDbm: number, snrDb: number) => boolean;
}

const UP: RadioParams = { freqHz: 868300000, sf: 8, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: false };
const RX1: RadioParams = { ...UP, invertIq: true };

function contract(name: string, make: () => Rig): void {
  describe(`Radio contract: ${name}`, () => {
    it('transmit: the frame goes out with its modulation; done(OK) once, after the time on air', () => {
      const r = make();
      const calls: { s: number; t: number }[] = [];
      const payload = Uint8Array.from({ length: 23 }, (_, i) => i * 7);
      r.radio.transmit(UP, payload, (s) => calls.push({ s, t: r.clock.now() }));
      r.clock.advance(2000);
      expect(r.sent()).toEqual([{ payload: Array.from(payload), freqHz: UP.freqHz, sf: 8 }]);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.s).toBe(RADIO_OK);
      expect(calls[0]!.t).toBeCloseTo(timeOnAirMs(8, 125000, 1, 23, 8, true, true), 3);
    });

    it('receive: nothing on the air → done(TIMEOUT) once, at about the window length', () => {
      const r = make();
      const calls: { s: number; t: number }[] = [];
      r.radio.receive(RX1, 40, (s) => calls.push({ s, t: r.clock.now() }));
      r.clock.advance(15000);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.s).toBe(RADIO_ERR_TIMEOUT);
      const tsym = Math.pow(2, 8) / 125; // ms
      expect(calls[0]!.t).toBeGreaterThanOrEqual(40 - 1e-9);
      expect(calls[0]!.t).toBeLessThanOrEqual(40 + 2 * tsym + r.latencyMs);
    });

    it('receive: a downlink in the window → done(OK) with payload, RSSI, SNR after its time on air', () => {
      const r = make();
      const calls: { s: number; rx: RadioRx | null; t: number }[] = [];
      r.radio.receive(RX1, 100, (s, rx) => calls.push({ s, rx, t: r.clock.now() }));
      r.clock.advance(5);
      const down = Uint8Array.of(0x60, 1, 2, 3, 4, 0x20, 1, 0, 10, 9, 8, 7, 6);
      expect(r.inject(RX1, down, -96, 5.25)).toBe(true);
      r.clock.advance(15000);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.s).toBe(RADIO_OK);
      expect(Array.from(calls[0]!.rx!.payload)).toEqual(Array.from(down));
      expect(Math.abs(calls[0]!.rx!.rssiDbm - -96)).toBeLessThanOrEqual(1);
      expect(calls[0]!.rx!.snrDb).toBeCloseTo(5.25, 1);
      const due = 5 + timeOnAirMs(8, 125000, 1, down.length, 8, true, false);
      expect(calls[0]!.t).toBeGreaterThanOrEqual(due - 1e-9);
      expect(calls[0]!.t).toBeLessThanOrEqual(due + r.latencyMs);
    });

    it('one operation at a time: transmit during a receive window is BUSY', () => {
      const r = make();
      const st: number[] = [];
      r.radio.receive(RX1, 50, (s) => st.push(s));
      r.radio.transmit(UP, Uint8Array.of(1, 2, 3), (s) => st.push(s));
      r.clock.advance(1000);
      expect(st).toEqual([RADIO_ERR_BUSY, RADIO_ERR_TIMEOUT]);
    });
  });
}

contract('sim VirtualRadio', () => {
  const clock = new VirtualClock(0);
  const radio = new VirtualRadio(clock);
  const sent: { payload: number[]; freqHz: number; sf: number }[] = [];
  radio.onTransmit = (ev) => sent.push({ payload: Array.from(ev.payload), freqHz: ev.params.freqHz, sf: ev.params.sf });
  return { latencyMs: 0, clock, radio, sent: () => sent, inject: (_p, payload, rssi, snr) => radio.deliver(payload, rssi, snr) };
});

for (const wired of [false, true]) {
  contract(`firmware SX127x driver on the register twin (${wired ? 'DIO0 wired' : 'IRQ flags polled'})`, () => {
    const clock = new VirtualClock(0);
    const twin = new Sx127xTwin(clock);
    let cb: ((t: number) => void) | null = null;
    twin.onDio0((t) => cb?.(t));
    const irq = wired ? { watch: (f: (t: number) => void) => { cb = f; }, unwatch: () => { cb = null; } } : null;
    const radio = createSx127x({ spi: twin, clock, irq, pollMs: 10 });
    radio.init();
    return {
      latencyMs: wired ? 0 : 10, clock, radio,
      sent: () => twin.sent.map((t) => ({ payload: Array.from(t.payload), freqHz: Math.round(t.freqHz / 1000) * 1000, sf: t.sf })),
      inject: (p, payload, rssiDbm, snrDb) => twin.airPacket({ payload, freqHz: p.freqHz, sf: p.sf, bwHz: p.bwHz, invertIq: p.invertIq, rssiDbm, snrDb }),
    };
  });
}
