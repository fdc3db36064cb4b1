// One call to a complete simulated street sensor: the real node application (shared/node) with the
// real drivers (firmware/src/drivers) on virtual buses with virtual chips behind them, a virtual
// radio, flash and power, all on the caller's Clock (sim/clock.ts VirtualClock).
//
//   const n = createVirtualStreetNode({ clock, env, devAddr, nwkSKey, appSKey, onUplink });
//   n.start();  clock.runUntil(...);  n.radio.queueDownlink(...);  n.bme280.faults.absent = true;
//
// Options (all but clock/env/devAddr/keys optional):
//   clock         Clock shared by the fleet (one VirtualClock for thousands of nodes).
//   env           (tMs) → StreetEnv: what the sensors measure at virtual time tMs. Called once per
//                 sensor sample (cached per instant), so it should be O(1) (sim/env.ts is).
//   devAddr, nwkSKey, appSKey   ABP session (keys 16 bytes).
//   config        NodeConfig fields (intervalS, sf, thresholds, counterBlock, firstReportMs, seed…).
//   fitted        which sensors the node has: { env, pm, noise, battery } (default all true).
//   pmModel       'pms' (Plantower PMS5003/7003, default) or 'sds011' (Nova Fitness SDS011).
//   periods       sampling periods in ms: { envMs, pmMs, noiseMs, batteryMs }. Defaults: env 300 s,
//                 PM once per report, noise 60 s, battery once per report. Fewer samples = fewer
//                 simulator events; each sample costs 1–4 clock events.
//   store         a VirtualStore to boot from (flash that outlives the node object); default new.
//   storeCapacityBytes  free Storage the journal cycles through (wear model), default 20480.
//   aesFactory    default portableAes (host/crypto.ts nodeAes is faster in Node).
//   onUplink      (ev: TxEvent) → every transmitted PHYPayload with start/end time and modulation.
//   onRxWindow    (w: RxWindow) → every receive window as it opens (the medium can deliver into it).
//   seed          varies sensor noise and channel choice per node (default devAddr).
//   bootDelayMs   time from reboot() to the new node's start (default 1500 ms).
//   calFrac94, vrefMv, dividerMilli   sound and battery front-end calibration (defaults 0.5, 3300, 2000).
//   log           node log sink (default none).
// Per-node cost: the node closure (~60 scalars, 8 small typed arrays), two AES key schedules,
// a 256-byte BME280 register file and a handful of small objects.
import type { Clock } from '../../shared/hal/clock.ts';
import type { Sensor } from '../../shared/hal/sensor.ts';
import type { AesFactory } from '../../shared/lorawan/aes.ts';
import { portableAes } from '../../shared/lorawan/aes.ts';
import { createNode } from '../../shared/node/node.ts';
import type { NodeConfig, SensorNode } from '../../shared/node/node.ts';
import { STATUS_PM_FAULT, STATUS_THP_FAULT, STATUS_NOISE_FAULT } from '../../shared/payload/constants.ts';
import { createBme280, bme280Sensor, BME280_ADDR_PRIMARY } from '../../firmware/src/drivers/bme280.ts';
import { Pms, pmsSensor } from '../../firmware/src/drivers/pms.ts';
import { SoundLevel, soundSensor, SOUND_READS } from '../../firmware/src/drivers/sound.ts';
import { Battery, batterySensor } from '../../firmware/src/drivers/battery.ts';
import { Sds011, sds011Sensor } from '../../firmware/src/drivers/sds011.ts';
import { VirtualI2cBus } from './i2c.ts';
import { VirtualUart } from './uart.ts';
import { VirtualAnalogIn, soundEnvelopeFrac, batteryFrac } from './adc.ts';
import { VirtualBme280 } from './bme280.ts';
import { VirtualPms } from './pms.ts';
import { VirtualSds011 } from './sds011.ts';
import { VirtualStore } from './store.ts';
import { VirtualPower } from './power.ts';
import { VirtualRadio } from './radio.ts';
import type { TxEvent, RxWindow } from './radio.ts';

export { VirtualI2cBus } from './i2c.ts';
export { VirtualUart } from './uart.ts';
export { VirtualAnalogIn, soundEnvelopeFrac, batteryFrac } from './adc.ts';
export { VirtualBme280, TYPICAL_CALIBRATION, bme280RawFor } from './bme280.ts';
export { VirtualPms, pmsDataFrame } from './pms.ts';
export { VirtualSds011, sdsDataFrame } from './sds011.ts';
export { VirtualStore } from './store.ts';
export { VirtualPower } from './power.ts';
export { VirtualRadio, loraToaMs } from './radio.ts';
export type { TxEvent, RxWindow } from './radio.ts';

export interface StreetEnv {
  tempC: number;
  rh: number;
  pressureHpa: number;
  pm25: number;      // µg/m³
  pm10: number;      // µg/m³
  noiseDb: number;   // dB(A)
  batteryMv: number;
}

export interface VirtualStreetNodeOptions {
  clock: Clock;
  env: (tMs: number) => StreetEnv;
  devAddr: number;
  nwkSKey: Uint8Array;
  appSKey: Uint8Array;
  config?: Partial<NodeConfig>;
  fitted?: { env?: boolean; pm?: boolean; noise?: boolean; battery?: boolean };
  pmModel?: 'pms' | 'sds011';
  periods?: { envMs?: number; pmMs?: number; noiseMs?: number; batteryMs?: number };
  store?: VirtualStore;
  storeCapacityBytes?: number;
  aesFactory?: AesFactory;
  onUplink?: (ev: TxEvent) => void;
  onRxWindow?: (w: RxWindow) => void;
  seed?: number;
  bootDelayMs?: number;
  calFrac94?: number;
  vrefMv?: number;
  dividerMilli?: number;
  log?: (msg: string) => void;
}

export interface VirtualStreetNode {
  readonly clock: Clock;
  readonly radio: VirtualRadio;
  readonly store: VirtualStore;
  readonly power: VirtualPower;
  readonly i2c: VirtualI2cBus;
  readonly uart: VirtualUart;
  readonly bme280: VirtualBme280;
  /** The particulate twin: a VirtualPms, or a VirtualSds011 with pmModel 'sds011' (same fault switches). */
  readonly pms: VirtualPms | VirtualSds011;
  readonly noiseAdc: VirtualAnalogIn;
  readonly batteryAdc: VirtualAnalogIn;
  /** The running node instance (replaced on every reboot). */
  node: SensorNode;
  boots: number;
  start(): void;
  stop(): void;
  /** Power cycle: the node object is dropped and a new one boots from the same flash. */
  reboot(): void;
}

export function createVirtualStreetNode(o: VirtualStreetNodeOptions): VirtualStreetNode {
  const clock = o.clock;
  const seed = (o.seed ?? o.devAddr) >>> 0;
  let cacheT = NaN;
  let cache: StreetEnv | null = null;
  const env = (): StreetEnv => {
    const t = clock.now();
    if (t !== cacheT || !cache) {
      cache = o.env(t);
      cacheT = t;
    }
    return cache;
  };
  const calFrac94 = o.calFrac94 ?? 0.5;
  const vrefMv = o.vrefMv ?? 3300;
  const divider = o.dividerMilli ?? 2000;
  const fitted = { env: true, pm: true, noise: true, battery: true, ...o.fitted };
  const periods = o.periods ?? {};
  const intervalMs = (o.config?.intervalS ?? 300) * 1000;

  const i2c = new VirtualI2cBus();
  const bme = new VirtualBme280(clock, () => {
    const e = env();
    return { tempC: e.tempC, rhPct: e.rh, pressureHpa: e.pressureHpa };
  }, undefined, seed);
  if (fitted.env) i2c.attach(BME280_ADDR_PRIMARY, bme);
  const uart = new VirtualUart(clock, 9600);
  const pmEnv = () => {
    const e = env();
    return { pm25Ugm3: e.pm25, pm10Ugm3: e.pm10 };
  };
  const sds = o.pmModel === 'sds011';
  const pms = sds ? new VirtualSds011(clock, uart, pmEnv) : new VirtualPms(clock, uart, pmEnv, seed ^ 0x5a5a);
  if (!fitted.pm) pms.faults.absent = true;
  // The drivers average 16 (sound) and 8 (battery) conversions taken at one virtual instant: the
  // front-end output is computed once per instant (env() is constant within one, see above).
  let noiseT = NaN;
  let noiseV = 0;
  const noiseAdc = new VirtualAnalogIn(() => {
    const t = clock.now();
    if (t !== noiseT) {
      noiseV = soundEnvelopeFrac(env().noiseDb, calFrac94);
      noiseT = t;
    }
    return noiseV;
  });
  if (!fitted.noise) noiseAdc.absent = true;
  let battT = NaN;
  let battV = 0;
  const batteryAdc = new VirtualAnalogIn(() => {
    const t = clock.now();
    if (t !== battT) {
      battV = batteryFrac(env().batteryMv, vrefMv, divider);
      battT = t;
    }
    return battV;
  });
  const store = o.store ?? new VirtualStore(o.storeCapacityBytes ?? 20480);
  const power = new VirtualPower(clock, () => env().batteryMv);
  const radio = new VirtualRadio(clock);
  if (o.onUplink) radio.onTransmit = o.onUplink;
  if (o.onRxWindow) radio.onRxWindow = o.onRxWindow;
  const log = o.log ?? (() => {});
  const aes = o.aesFactory ?? portableAes;

  function boot(): SensorNode {
    // Drivers are RAM objects: a reboot makes new ones on the same (virtual) hardware.
    const sensors: Sensor[] = [];
    const periodsArr: number[] = [];
    if (fitted.env) {
      sensors.push(bme280Sensor(createBme280(i2c, clock, BME280_ADDR_PRIMARY), STATUS_THP_FAULT, periods.envMs ?? 300000));
      periodsArr.push(periods.envMs ?? 300000);
    }
    if (fitted.pm) {
      const pmPeriod = periods.pmMs ?? intervalMs;
      sensors.push(sds ? sds011Sensor(new Sds011(uart, clock), STATUS_PM_FAULT, pmPeriod) : pmsSensor(new Pms(uart, clock), STATUS_PM_FAULT, pmPeriod));
      periodsArr.push(periods.pmMs ?? 0);
    }
    if (fitted.noise) {
      sensors.push(soundSensor(new SoundLevel(noiseAdc, calFrac94, SOUND_READS), STATUS_NOISE_FAULT, periods.noiseMs ?? 60000));
      periodsArr.push(periods.noiseMs ?? 60000);
    }
    if (fitted.battery) {
      sensors.push(batterySensor(new Battery(batteryAdc, vrefMv, divider), 0, periods.batteryMs ?? intervalMs));
      periodsArr.push(periods.batteryMs ?? 0);
    }
    // PM and battery default to "once per report": a period ≥ the interval means that (node.ts).
    for (let i = 0; i < periodsArr.length; i++) if (periodsArr[i] === 0) periodsArr[i] = 1e12;
    const config: NodeConfig = {
      seed,
      ...o.config,
      devAddr: o.devAddr,
      nwkSKey: o.nwkSKey,
      appSKey: o.appSKey,
      samplePeriodMs: o.config?.samplePeriodMs ?? periodsArr,
    };
    return createNode({ clock, radio, store, power, sensors, aesFactory: aes, log }, config);
  }

  const vn: VirtualStreetNode = {
    clock, radio, store, power, i2c, uart, bme280: bme, pms, noiseAdc, batteryAdc,
    node: boot(),
    boots: 1,
    start() {
      vn.node.start();
    },
    stop() {
      vn.node.stop();
    },
    reboot() {
      vn.node.stop();
      vn.node = boot();
      vn.boots++;
      vn.node.start();
    },
  };
  power.onReboot = () => {
    vn.node.stop();
    clock.setTimeout(() => {
      vn.node = boot();
      vn.boots++;
      vn.node.start();
    }, o.bootDelayMs ?? 1500);
  };
  return vn;
}
