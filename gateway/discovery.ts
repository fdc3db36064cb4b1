// Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery):
// one retained config message per device and reading under
// `<prefix>/sensor/<device>_<reading>/config`, re-published whenever Home Assistant announces
// `online` on its status topic (its birth message), so sensors appear with no YAML.
// State comes from `<base>/device/<id>/state`, a flat JSON object in display units.
import { READINGS, type ReadingKind } from '../shared/payload/readings.ts';
import { scaleValue } from '../shared/payload/human.ts';
import type { Uplink } from './types.ts';
import type { Topics } from './topics.ts';

export interface HaSensor {
  key: string;            // JSON key in the state message and object id suffix
  name: string;
  unit?: string;
  deviceClass?: string;
  stateClass?: string;
  diagnostic?: boolean;
  precision?: number;
  from?: { reading: string; scale: number }; // a Readings field and its factor to `unit`
}

/** Radio metadata sensors every device has, after its readings. */
const META_SENSORS: HaSensor[] = [
  { key: 'rssi', name: 'RSSI', unit: 'dBm', deviceClass: 'signal_strength', stateClass: 'measurement', diagnostic: true },
  { key: 'snr', name: 'SNR', unit: 'dB', stateClass: 'measurement', diagnostic: true },
  { key: 'fcnt', name: 'Frame counter', stateClass: 'total_increasing', diagnostic: true },
];

/**
 * One sensor per reading kind of the table (shared/payload/readings.ts: HA key, device class, state
 * class, unit in HA's spelling, e.g. dBA), then the radio metadata. Values are in the human unit.
 */
export function haSensors(table: ReadingKind[] = READINGS): HaSensor[] {
  const readings = table.map((k): HaSensor => {
    const s: HaSensor = {
      key: k.haKey, name: k.label, unit: k.haUnit, deviceClass: k.haDeviceClass, stateClass: k.haStateClass,
      precision: k.decimals, from: { reading: k.key, scale: k.scale },
    };
    if (k.haDiagnostic) s.diagnostic = true;
    return s;
  });
  return [...readings, ...META_SENSORS];
}

export const HA_SENSORS: HaSensor[] = haSensors(READINGS);

export interface HaDevice {
  id: string;
  name?: string;
  profile?: string;
}

/** The flat state object published on `<base>/device/<id>/state` after each uplink. */
export function haState(u: Uplink, sensors: HaSensor[] = HA_SENSORS): Record<string, number | string> {
  const s: Record<string, number | string> = {};
  const r = u.readings as Record<string, number | undefined> | null;
  for (const d of sensors) {
    if (!d.from || !r) continue;
    const raw = r[d.from.reading];
    if (typeof raw === 'number') s[d.key] = Number(scaleValue(raw, d.from.scale).toFixed(d.precision ?? 3));
  }
  s.rssi = u.meta.rssiDbm;
  s.snr = u.meta.snrDb;
  s.fcnt = u.fcnt;
  s.last_seen = new Date(u.receivedAt).toISOString();
  return s;
}

export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

/** Retained discovery configs for one device (all sensors of its profile). */
export function discoveryMessages(prefix: string, topics: Topics, dev: HaDevice, sensors: HaSensor[] = HA_SENSORS): DiscoveryMessage[] {
  const device = {
    identifiers: [`kerb_${dev.id}`],
    name: dev.name || dev.id,
    manufacturer: 'kerb',
    model: dev.profile || 'kerb sensor node',
  };
  return sensors.map((s) => {
    const objectId = `${dev.id}_${s.key}`.replace(/[^a-zA-Z0-9_-]/g, '_');
    const cfg: Record<string, unknown> = {
      name: s.name,
      unique_id: `kerb_${objectId}`,
      object_id: `kerb_${objectId}`,
      state_topic: topics.deviceState(dev.id),
      value_template: `{{ value_json.${s.key} }}`,
      availability: [
        { topic: topics.gatewayState },
        { topic: topics.deviceAvailability(dev.id) },
      ],
      availability_mode: 'all',
      device,
    };
    if (s.unit) cfg.unit_of_measurement = s.unit;
    if (s.deviceClass) cfg.device_class = s.deviceClass;
    if (s.stateClass) cfg.state_class = s.stateClass;
    if (s.precision !== undefined) cfg.suggested_display_precision = s.precision;
    if (s.diagnostic) cfg.entity_category = 'diagnostic';
    return { topic: `${prefix}/sensor/${objectId}/config`, payload: JSON.stringify(cfg) };
  });
}
