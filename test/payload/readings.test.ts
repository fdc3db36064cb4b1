// The reading-kind table (shared/payload/readings.ts) against the codec it describes, the units
// registries it cites and the docs; and proof that every consumer follows the table: a copy with one
// more kind shows up in SenML, Home Assistant discovery and state, human output, the formatter,
// `kerb watch`, `kerb decode` and registry profile validation, with no other code touched.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { READINGS, STATUS_FLAGS, type ReadingKind } from '../../shared/payload/readings.ts';
import * as C from '../../shared/payload/constants.ts';
import { KIND_FIELDS, KIND_STEP, KIND_COUNT, encodeAlert, encodeReadings, kindRange } from '../../shared/payload/kerb.ts';
import { flagNames, humanReadings, humanText, scaleValue } from '../../shared/payload/human.ts';
import { decodeUplink, decodeUplinkWith } from '../../shared/payload/formatter.ts';
import { uplinkToSenml, encodeSenmlCbor, READING_RECORDS } from '../../gateway/senml.ts';
import { discoveryMessages, haSensors, haState, HA_SENSORS } from '../../gateway/discovery.ts';
import { makeProfiles, validateRegistry, PROFILES, type Profile } from '../../host/registry.ts';
import { makeTopics } from '../../gateway/topics.ts';
import type { Uplink } from '../../gateway/types.ts';
import { formatUplink } from '../../cli/watch.ts';
import { decodePayload } from '../../cli/decode.ts';
import { bundleEntry } from '../../firmware/build/bundle.ts';
import { ENTRY_FILES } from '../../firmware/build/budgets.ts';

/**
 * Primary unit names of the IANA SenML Units registry that a kerb reading may use: RFC 8428 §12.1
 * (the subset relevant to street sensors) and RFC 8798 §2 (kg/m3). Secondary units (RFC 8798 §3:
 * hPa, ug/m3, ...) are for receivers known to understand them, so the gateway does not publish them.
 */
const SENML_PRIMARY = new Set(['m', 'kg', 's', 'A', 'K', 'Pa', 'V', 'W', 'J', 'Hz', 'Cel', 'lx', 'm/s', 'm3', 'l', 'W/m2', 'dB', 'count', '/', '%', '%RH', 'kg/m3', 'deg']);

/** Factor from a human unit to a SenML unit of the same quantity (value_senml = value_human × f). */
const TO_SENML: Record<string, number> = {
  'µg/m³→kg/m3': 1e-9, '°C→Cel': 1, '%→%RH': 1, 'hPa→Pa': 100, 'dB(A)→dB': 1, 'V→V': 1, 'lx→lx': 1,
};

describe('reading-kind table', () => {
  it('agrees with the codec: every slot once, the field the codec carries in that slot', () => {
    expect(READINGS.map((k) => k.slot).sort((a, b) => a - b)).toEqual([...Array(KIND_COUNT).keys()]);
    for (const k of READINGS) expect(KIND_FIELDS[k.slot], `slot ${k.slot}`).toBe(k.key);
    // Table order is codec order: SenML records and formatter fields come out in slot order.
    expect(READINGS.map((k) => k.slot)).toEqual([...Array(KIND_COUNT).keys()]);
  });

  it('has unique keys, names, SenML names and Home Assistant keys', () => {
    for (const f of ['key', 'name', 'senmlName', 'haKey', 'label'] as const) {
      const v = READINGS.map((k) => k[f]);
      expect(new Set(v).size, f).toBe(v.length);
    }
  });

  it('publishes registry units, with SenML and human scales that describe the same quantity', () => {
    for (const k of READINGS) {
      expect(SENML_PRIMARY.has(k.senmlUnit), `${k.key}: ${k.senmlUnit} is not a primary SenML unit`).toBe(true);
      const f = TO_SENML[`${k.unit}→${k.senmlUnit}`];
      expect(f, `${k.key}: no known conversion ${k.unit} → ${k.senmlUnit}`).toBeDefined();
      expect(k.senmlScale / (k.scale * f!)).toBeCloseTo(1, 12);
    }
  });

  it('shows as many decimals as the on-air resolution needs, and no more', () => {
    for (const k of READINGS) {
      const step = KIND_STEP[k.slot]! * k.scale; // smallest change on air, in the human unit
      expect(Number(step.toFixed(k.decimals)), k.key).toBeCloseTo(step, 12);
      expect(Number(step.toFixed(k.decimals - 1)), k.key).not.toBeCloseTo(step, 12);
    }
  });

  it('covers the whole encodable range in human text without losing a step', () => {
    for (const k of READINGS) {
      const [lo, hi] = kindRange(k.slot);
      for (const raw of [lo!, hi!, lo! + KIND_STEP[k.slot]!]) {
        expect(Number(humanText(k, raw).split(' ')[0])).toBeCloseTo(scaleValue(raw, k.scale), 9);
      }
    }
  });

  it('names every STATUS_* flag of the codec, as the constant without its prefix', () => {
    const consts = Object.entries(C).filter(([n]) => n.startsWith('STATUS_') && n !== 'STATUS_MAX' && !n.startsWith('STATUS_FRAME'));
    expect(consts.length).toBeGreaterThan(0);
    expect(STATUS_FLAGS.map((f) => f.name).sort()).toEqual(consts.map(([n]) => n.slice(7)).sort());
    for (const [n, v] of consts) expect(STATUS_FLAGS.find((f) => f.name === n.slice(7))!.mask).toBe(v);
  });

  it('stays out of the firmware: no node, bridge or selftest bundle carries the table or its strings', async () => {
    for (const [entry, file] of Object.entries(ENTRY_FILES)) {
      const b = await bundleEntry(fileURLToPath(new URL(`../../${file}`, import.meta.url)));
      expect(b.ok, `${entry}: ${b.buildErrors.join('; ')}`).toBe(true);
      const reached = Object.entries(b.modules).filter(([m, bytes]) => /payload\/(readings|human)\.ts$/.test(m) && bytes > 0);
      expect(reached, entry).toEqual([]);
      expect(b.code, entry).not.toContain('kg/m3');
    }
  }, 60_000);

  it('matches the SenML readings table of docs/gateway.md (the published names and units)', () => {
    const doc = readFileSync(new URL('../../docs/gateway.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('- **Readings**'), doc.indexOf('- **Radio metadata**'));
    const rows = [...section.matchAll(/^\s*\| `([^`]+)` \| (?:`([^`]+)`|\(none\))/gm)].map((m) => [m[1], m[2]]).slice(1); // row 0 is the header
    expect(rows).toEqual([...READINGS.map((k) => [k.senmlName, k.senmlUnit]), ['status', undefined]]);
  });

  it('is what the gateway, the formatter and Home Assistant use by default', () => {
    expect(READING_RECORDS.map((r) => [r.key, r.n, r.u, r.scale])).toEqual([
      ['pm25DeciUgm3', 'pm2.5', 'kg/m3', 1e-10], ['pm10DeciUgm3', 'pm10', 'kg/m3', 1e-10],
      ['tempDeciC', 'temperature', 'Cel', 0.1], ['rhHalfPct', 'humidity', '%RH', 0.5],
      ['pressureDeciHpa', 'pressure', 'Pa', 10], ['noiseDeciDb', 'noise', 'dB', 0.1],
      ['batteryMv', 'battery', 'V', 0.001], ['status', 'status', undefined, 1],
    ]);
    expect(HA_SENSORS.filter((s) => s.from).map((s) => [s.key, s.unit, s.deviceClass])).toEqual([
      ['pm25', 'µg/m³', 'pm25'], ['pm10', 'µg/m³', 'pm10'], ['temperature', '°C', 'temperature'],
      ['humidity', '%', 'humidity'], ['pressure', 'hPa', 'atmospheric_pressure'],
      ['noise', 'dBA', 'sound_pressure'], ['battery', 'V', 'voltage'],
    ]);
    expect(PROFILES['kerb-street-v1']!.readings).toEqual([...KIND_FIELDS]);
  });
});

describe('human units', () => {
  it('turns Readings integers into the human unit exactly (division, not a 0.1 multiply)', () => {
    expect(humanReadings({ pm25DeciUgm3: 123, tempDeciC: -35, rhHalfPct: 181, pressureDeciHpa: 10128, noiseDeciDb: 543, batteryMv: 3610 }, READINGS))
      .toEqual({ pm25: 12.3, temperature: -3.5, relativeHumidity: 90.5, pressure: 1012.8, noise: 54.3, battery: 3.61 });
    const byKey = (key: string) => READINGS.find((k) => k.key === key)!;
    expect(humanText(byKey('pm25DeciUgm3'), 123)).toBe('12.3 µg/m³');
    expect(humanText(byKey('pressureDeciHpa'), 10128)).toBe('1012.8 hPa');
    expect(humanText(byKey('noiseDeciDb'), 543)).toBe('54.3 dB(A)');
    expect(humanText(byKey('rhHalfPct'), 130)).toBe('65.0 %');
    expect(humanText(byKey('batteryMv'), 3710)).toBe('3.71 V');
  });

  it('names status flags, and unnamed bits by number rather than dropping them', () => {
    expect(flagNames(0, STATUS_FLAGS)).toEqual([]);
    expect(flagNames(C.STATUS_PM_FAULT | C.STATUS_REBOOTED, STATUS_FLAGS)).toEqual(['PM_FAULT', 'REBOOTED']);
    expect(flagNames(0x1000 | C.STATUS_STORE_FAULT, STATUS_FLAGS)).toEqual(['STORE_FAULT', 'BIT_12']);
  });
});

// ---- one more kind, in a copy of the table only ----

const LUX: ReadingKind = {
  key: 'lightLux', slot: KIND_COUNT, name: 'illuminance', label: 'Illuminance',
  senmlName: 'illuminance', senmlUnit: 'lx', senmlScale: 1,
  unit: 'lx', scale: 1, decimals: 0,
  haKey: 'illuminance', haDeviceClass: 'illuminance', haStateClass: 'measurement', haUnit: 'lx', haDiagnostic: false,
};
const TABLE: ReadingKind[] = [...READINGS.map((k) => ({ ...k })), LUX];

const topics = makeTopics('kerb', 'gw-1');
const uplink: Uplink = {
  deviceId: 'lamp-0001', devAddr: 0x26011bda, fcnt: 7, fport: 1, confirmed: false, adr: true,
  payload: new Uint8Array(0),
  readings: { tempDeciC: 215, lightLux: 1234 } as Uplink['readings'],
  receivedAt: 1_763_900_000_123,
  meta: { gatewayId: 'gw-1', radioId: '/dev/ttyUSB0', rssiDbm: -97, snrDb: 7.5, freqHz: 868_100_000, sf: 9, bwHz: 125_000, cr: 1, tsUs: 1 },
};

describe('a kind added to a copy of the table reaches every consumer', () => {
  it('SenML: a record with its name, registry unit and scale, after the known kinds', () => {
    const pack = uplinkToSenml(uplink, TABLE);
    const names = pack.map((r) => r.n);
    expect(pack.find((r) => r.n === 'illuminance')).toEqual({ n: 'illuminance', u: 'lx', v: 1234 });
    expect(names.indexOf('illuminance')).toBe(names.indexOf('temperature') + 1);
    expect(uplinkToSenml(uplink).some((r) => r.n === 'illuminance')).toBe(false); // the shared table has no such kind
  });

  it('Home Assistant: a discovery config with device class, state class and unit, and a state value', () => {
    const sensors = haSensors(TABLE);
    const msgs = discoveryMessages('homeassistant', topics, { id: 'lamp-0001' }, sensors);
    const m = msgs.find((x) => x.topic === 'homeassistant/sensor/lamp-0001_illuminance/config')!;
    expect(m).toBeDefined();
    expect(JSON.parse(m.payload)).toMatchObject({
      name: 'Illuminance', unique_id: 'kerb_lamp-0001_illuminance', device_class: 'illuminance',
      state_class: 'measurement', unit_of_measurement: 'lx', value_template: '{{ value_json.illuminance }}',
      suggested_display_precision: 0,
    });
    expect(haState(uplink, sensors)).toMatchObject({ temperature: 21.5, illuminance: 1234 });
    expect(discoveryMessages('homeassistant', topics, { id: 'lamp-0001' }).some((x) => x.topic.includes('illuminance'))).toBe(false);
  });

  it('human units, the formatter and kerb decode: an alert for the new kind is named and scaled', () => {
    expect(humanReadings({ lightLux: 1234 }, TABLE)).toEqual({ illuminance: 1234 });
    expect(humanText(LUX, 1234)).toBe('1234 lx');
    const bytes = encodeAlert({ kind: KIND_COUNT, rising: true, value: 5000, threshold: 4000 });
    const input = { bytes: [...bytes], fPort: C.FPORT_ALERT };
    expect(decodeUplinkWith(input, TABLE)).toEqual({ data: { alert: 'illuminance', rising: true, value: 5000, threshold: 4000 }, warnings: [], errors: [] });
    expect(decodeUplink(input).warnings).toEqual(['alert for a reading kind unknown to this formatter']);
    expect(decodePayload(C.FPORT_ALERT, bytes, undefined, false, TABLE).human).toEqual({ reading: 'illuminance', rising: true, value: '5000 lx', threshold: '4000 lx' });
  });

  it('kerb watch: the record prints in the human unit', () => {
    const line = formatUplink('lamp-0001', encodeSenmlCbor(uplinkToSenml(uplink, TABLE)), TABLE);
    expect(line).toContain(' temperature=21.5 °C illuminance=1234 lx ');
  });

  it('registry: the kerb profile carries it, and a profile naming it validates only against the copy', () => {
    expect(makeProfiles(TABLE)['kerb-street-v1']!.readings).toContain('lightLux');
    const profiles: Record<string, Profile> = { ...PROFILES, 'lux-node': { description: 'light sensor', decoder: 'kerb', readings: ['lightLux'] } };
    const doc = { devices: [{ id: 'lux-1', devAddr: '26011BDA', nwkSKey: '00'.repeat(16), appSKey: '11'.repeat(16), profile: 'lux-node' }] };
    const without = validateRegistry(doc, { profiles });
    expect(without.errors).toEqual(['devices[0] (lux-1).profile: profile "lux-node" expects reading "lightLux", which the reading-kind table (shared/payload/readings.ts) does not define; add it there']);
    const withIt = validateRegistry(doc, { profiles, readings: TABLE });
    expect(withIt.errors).toEqual([]);
    expect(withIt.devices.map((d) => d.profile)).toEqual(['lux-node']);
  });
});

describe('the real codec still round-trips through the table', () => {
  it('formatter output names and values come from the table', () => {
    const r = { pm25DeciUgm3: 123, rhHalfPct: 130, noiseDeciDb: 625, status: C.STATUS_REBOOTED };
    const out = decodeUplink({ bytes: [...encodeReadings(r)], fPort: C.FPORT_READINGS });
    expect(out.data).toEqual({ pm25: 12.3, relativeHumidity: 65, noise: 62.5, status: 32, flags: ['REBOOTED'] });
  });
});
