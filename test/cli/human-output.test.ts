// `kerb watch` and `kerb decode` print readings in human units with status flags by name (from the
// reading-kind table), not the SenML units the gateway publishes (`1.230e-8 kg/m3`, `101280 Pa`,
// `status=33`) or bare codec integers.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { formatUplink } from '../../cli/watch.ts';
import { decodePayload } from '../../cli/decode.ts';
import { encodeSenmlCbor, uplinkToSenml, type SenmlRecord } from '../../gateway/senml.ts';
import type { Uplink } from '../../gateway/types.ts';
import { STATUS_PM_FAULT, STATUS_REBOOTED, FPORT_READINGS, FPORT_STATUS, FPORT_ALERT } from '../../shared/payload/constants.ts';

const V = JSON.parse(readFileSync(new URL('../vectors/payload-kerb.json', import.meta.url), 'utf8'));
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

const up: Uplink = {
  deviceId: 'lamp-0001', devAddr: 0x26011bda, fcnt: 42, fport: 1, confirmed: false, adr: true,
  payload: new Uint8Array(0),
  readings: { pm25DeciUgm3: 123, pm10DeciUgm3: 250, tempDeciC: -35, rhHalfPct: 181, pressureDeciHpa: 10128, noiseDeciDb: 543, batteryMv: 3610, status: STATUS_PM_FAULT | STATUS_REBOOTED },
  receivedAt: Date.UTC(2026, 0, 2, 14, 3, 11, 254),
  meta: { gatewayId: 'gw-1', radioId: '/dev/ttyUSB0', rssiDbm: -97, snrDb: 7.5, freqHz: 868_100_000, sf: 9, bwHz: 125_000, cr: 1, tsUs: 1 },
};

describe('kerb watch line', () => {
  it('shows readings in µg/m³, °C, %, hPa, dB(A), V and the status flags by name', () => {
    expect(formatUplink('lamp-0001', encodeSenmlCbor(uplinkToSenml(up)))).toBe(
      '14:03:11.254 up    lamp-0001 fcnt=42 port=1 pm2.5=12.3 µg/m³ pm10=25.0 µg/m³ temperature=-3.5 °C ' +
      'humidity=90.5 % pressure=1012.8 hPa noise=54.3 dB(A) battery=3.61 V status=PM_FAULT,REBOOTED ' +
      'rssi=-97 dBm snr=7.5 dB sf=9 freq=868100000 Hz via=gw-1',
    );
  });

  it('prints a record in a unit the table does not expect as sent, rather than misconverting it', () => {
    const pack: SenmlRecord[] = [{ bn: 'urn:dev:kerb:x:', bt: 1_763_900_000, n: 'pressure', u: 'hPa', v: 1012.8 }, { n: 'status', v: 0x1000 }, { n: 'fcnt', v: 1 }];
    const line = formatUplink('x', encodeSenmlCbor(pack));
    expect(line).toContain(' pressure=1012.8 hPa status=BIT_12 ');
  });
});

describe('kerb decode payload', () => {
  it('readings: raw codec integers kept, plus the same in human units with names', () => {
    const ref = V.readings[0];
    const out = decodePayload(FPORT_READINGS, hex(ref.hex), 'kerb-street-v1', false);
    expect(out.readings).toEqual(ref.readings);
    expect(out.human).toEqual({
      pm25: '12.3 µg/m³', pm10: '25.0 µg/m³', temperature: '18.4 °C', relativeHumidity: '65.0 %',
      pressure: '1013.2 hPa', noise: '62.5 dB(A)', battery: '3.71 V', flags: [],
    });
    expect((decodePayload(FPORT_READINGS, hex(V.readings[1].hex), undefined, false).human as { flags: string[] }).flags).toEqual(['PM_FAULT']);
  });

  it('status and alert frames: flags, reset cause, thresholds and values in human units', () => {
    const s = decodePayload(FPORT_STATUS, hex(V.status[0].hex), undefined, false);
    expect(s.status).toEqual(V.status[0].frame);
    expect(s.human).toEqual({ firmware: '1.2.3', resetCause: 'watchdog', flags: [], pm25AlertThreshold: '50.0 µg/m³' });
    const a = decodePayload(FPORT_ALERT, hex(V.alert[0].hex), undefined, false);
    expect(a.alert).toEqual(V.alert[0].alert);
    expect(a.human).toEqual({ reading: 'pm25', rising: true, value: '63.2 µg/m³', threshold: '50.0 µg/m³' });
  });
});
