// SX127x driver (firmware/src/radio/sx127x.ts) against the register-level twin
// (sim/devices/sx127x.ts) on a virtual clock: what the driver writes over SPI must make the chip
// transmit with the requested parameters, and packets on the air must come back with RSSI/SNR.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../sim/clock.ts';
import { Sx127xTwin, type TwinTx } from '../../sim/devices/sx127x.ts';
import { createSx127x, type IrqLine } from '../../firmware/src/radio/sx127x.ts';
import { RADIO_OK, RADIO_ERR_TIMEOUT, RADIO_ERR_CRC, RADIO_ERR_HW, type RadioParams, type RadioRx } from '../../shared/hal/radio.ts';
import { timeOnAirMs } from '../../shared/lorawan/airtime.ts';

const UP: RadioParams = { freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: false };
const DOWN: RadioParams = { freqHz: 869525000, sf: 9, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: true };

function setup(withIrq = false) {
  const clock = new VirtualClock(0);
  const twin = new Sx127xTwin(clock);
  let irqCb: ((t: number) => void) | null = null;
  twin.onDio0((t) => irqCb?.(t));
  const irq: IrqLine = { watch: (cb) => { irqCb = cb; }, unwatch: () => { irqCb = null; } };
  const radio = createSx127x({ spi: twin, clock, irq: withIrq ? irq : null, pollMs: 5 });
  return { clock, twin, radio };
}

describe('SX127x driver ⇄ register twin', () => {
  it('init finds the chip (RegVersion 0x12), enters LoRa mode and sets the LoRaWAN sync word', () => {
    const { twin, radio } = setup();
    expect(radio.init()).toBe(RADIO_OK);
    expect(twin.loraMode).toBe(true);
    expect(twin.regs[0x39]).toBe(0x34);
    expect(twin.mode).toBe(1);
  });

  it('init reports RADIO_ERR_HW when no chip answers; operations fail until the chip answers again', () => {
    const { clock, twin, radio } = setup();
    twin.absent = true;
    expect(radio.init()).toBe(RADIO_ERR_HW);
    const st: number[] = [];
    radio.transmit(UP, new Uint8Array(5), (s) => st.push(s));
    radio.receive(DOWN, 50, (s) => st.push(s));
    clock.advance(100);
    expect(st).toEqual([RADIO_ERR_HW, RADIO_ERR_HW]);
    twin.absent = false; // module re-seated
    radio.transmit(UP, new Uint8Array(5), (s) => st.push(s));
    clock.advance(1000);
    expect(st[2]).toBe(RADIO_OK);
    expect(twin.sent).toHaveLength(1);
  });

  for (const withIrq of [false, true]) {
    it(`transmits with the requested frequency/SF/BW/CR/power and reports TxDone after the time on air (${withIrq ? 'DIO0' : 'polled'})`, () => {
      const { clock, twin, radio } = setup(withIrq);
      radio.init();
      const sent: TwinTx[] = [];
      twin.onTransmit = (tx) => sent.push(tx);
      const payload = new Uint8Array([0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
      let status = -1;
      let doneAt = -1;
      radio.transmit({ ...UP, sf: 8, bwHz: 250000, cr: 2, powerDbm: 20 }, payload, (s) => { status = s; doneAt = clock.now(); });
      expect(sent).toHaveLength(1);
      const tx = sent[0]!;
      expect(Array.from(tx.payload)).toEqual(Array.from(payload));
      expect(Math.abs(tx.freqHz - 868100000)).toBeLessThan(62); // one Fstep
      expect(tx).toMatchObject({ sf: 8, bwHz: 250000, cr: 2, invertIq: false, crcOn: true, syncWord: 0x34, powerDbm: 20 });
      clock.advance(1000);
      expect(status).toBe(RADIO_OK);
      const toa = timeOnAirMs(8, 250000, 2, payload.length, 8, true, true);
      expect(doneAt).toBeGreaterThanOrEqual(toa);
      expect(doneAt).toBeCloseTo(toa, 6); // polled: first look exactly when TxDone is due
      expect(twin.mode).toBe(1);
    });
  }

  it('downlink transmit uses inverted IQ and no payload CRC (LoRaWAN §3.2)', () => {
    const { twin, radio } = setup();
    radio.init();
    radio.transmit(DOWN, new Uint8Array(12), () => {});
    expect(twin.sent[0]).toMatchObject({ invertIq: true, crcOn: false, sf: 9 });
  });

  it('receive returns an injected packet with RSSI and SNR per §5.5.5', () => {
    const { clock, twin, radio } = setup();
    radio.init();
    let got: { s: number; rx: RadioRx | null } | null = null;
    radio.receive(DOWN, 100, (s, rx) => { got = { s, rx }; });
    clock.advance(20);
    const payload = new Uint8Array([0x60, 0xda, 0x1b, 0x01, 0x26, 0, 1, 0, 0xaa, 0xbb, 0xcc, 0xdd]);
    expect(twin.airPacket({ payload, freqHz: DOWN.freqHz, sf: 9, bwHz: 125000, invertIq: true, rssiDbm: -97, snrDb: 7.25 })).toBe(true);
    clock.advance(1000);
    expect(got).not.toBeNull();
    expect(got!.s).toBe(RADIO_OK);
    expect(Array.from(got!.rx!.payload)).toEqual(Array.from(payload));
    expect(got!.rx!.snrDb).toBe(7.25);
    expect(Math.abs(got!.rx!.rssiDbm - -97)).toBeLessThanOrEqual(1);
  });

  it('weak packet below the noise floor: RSSI corrected by SNR', () => {
    const { clock, twin, radio } = setup();
    radio.init();
    let rx: RadioRx | null = null;
    radio.receive(DOWN, 100, (_s, r) => { rx = r; });
    twin.airPacket({ payload: new Uint8Array(20), freqHz: DOWN.freqHz, sf: 9, bwHz: 125000, invertIq: true, rssiDbm: -128, snrDb: -9.5 });
    clock.advance(1000);
    expect(rx!.snrDb).toBe(-9.5);
    expect(Math.abs(rx!.rssiDbm - -128)).toBeLessThanOrEqual(0.5); // PacketRssi is an integer register
  });

  it('receive times out (RxTimeout after RegSymbTimeout symbols) when nothing arrives', () => {
    const { clock, radio, twin } = setup();
    radio.init();
    let s = -1;
    let at = -1;
    radio.receive(UP, 50, (st) => { s = st; at = clock.now(); });
    clock.advance(200);
    expect(s).toBe(RADIO_ERR_TIMEOUT);
    expect(at).toBeGreaterThanOrEqual(50);
    expect(at).toBeLessThan(70);
    expect(twin.mode).toBe(1);
  });

  it('does not hear uplinks (normal IQ) in a downlink window, nor a wrong frequency', () => {
    const { clock, twin, radio } = setup();
    radio.init();
    let s = -1;
    radio.receive(DOWN, 100, (st) => { s = st; });
    expect(twin.airPacket({ payload: new Uint8Array(12), freqHz: DOWN.freqHz, sf: 9, bwHz: 125000, invertIq: false, rssiDbm: -80, snrDb: 9 })).toBe(false);
    expect(twin.airPacket({ payload: new Uint8Array(12), freqHz: 868300000, sf: 9, bwHz: 125000, invertIq: true, rssiDbm: -80, snrDb: 9 })).toBe(false);
    clock.advance(500);
    expect(s).toBe(RADIO_ERR_TIMEOUT);
    expect(twin.missed.map((m) => m.reason)).toEqual(['iq polarity', 'frequency']);
  });

  it('reports a CRC error', () => {
    const { clock, twin, radio } = setup();
    radio.init();
    let s = -1;
    radio.receive(DOWN, 100, (st) => { s = st; });
    twin.airPacket({ payload: new Uint8Array(12), freqHz: DOWN.freqHz, sf: 9, bwHz: 125000, invertIq: true, rssiDbm: -80, snrDb: 9, crcError: true });
    clock.advance(1000);
    expect(s).toBe(RADIO_ERR_CRC);
  });

  it('listen: continuous receive delivers every packet with its end-of-reception time (DIO0)', () => {
    const { clock, twin, radio } = setup(true);
    radio.init();
    const got: { p: number[]; t: number }[] = [];
    radio.listen(UP, (s, rx, t) => { if (s === RADIO_OK) got.push({ p: Array.from(rx!.payload), t }); });
    for (let i = 0; i < 3; i++) {
      twin.airPacket({ payload: new Uint8Array([i, i + 1, i + 2]), freqHz: UP.freqHz, sf: 7, bwHz: 125000, invertIq: false, rssiDbm: -60, snrDb: 10 });
      clock.advance(500);
    }
    expect(got.map((g) => g.p)).toEqual([[0, 1, 2], [1, 2, 3], [2, 3, 4]]);
    const toa = timeOnAirMs(7, 125000, 1, 3, 8, true, true);
    expect(got[0]!.t).toBeCloseTo(toa, 6);
    expect(twin.mode).toBe(5);
  });

  it('a stuck chip (no TxDone) is reported as RADIO_ERR_HW by the guard timer', () => {
    const { clock, twin, radio } = setup();
    radio.init();
    twin.stuck = true;
    let s = -1;
    radio.transmit(UP, new Uint8Array(10), (st) => { s = st; });
    clock.advance(20000);
    expect(s).toBe(RADIO_ERR_HW);
  });
});
