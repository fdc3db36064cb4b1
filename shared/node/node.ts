// The kerb street-sensor application, written only against shared/hal so the same code runs
// on Espruino (firmware/src/main-node.ts) and thousands of times in one simulator process.
// Behaviour and the frame-counter wear arithmetic: docs/node.md. Device code: Espruino subset, no
// module state; all per-node state lives in this closure (a few typed arrays and scalars).
//
// One event loop, one pending timer: loop() powers sensors whose warm-up starts, takes due samples
// one at a time, sends queued uplinks (alert > readings > status), kicks the watchdog at the end of
// every healthy pass, then sleeps until the earliest next event. Any asynchronous step (a sensor
// read, a transmission and its two receive windows) sets `busy` and calls loop() when it finishes,
// so a driver that never calls back stops the kicks and the hardware watchdog resets the board.
import type { Clock, TimerHandle } from '../hal/clock.ts';
import type { Radio, RadioParams, RadioRx } from '../hal/radio.ts';
import { RADIO_OK, RADIO_ERR_HW } from '../hal/radio.ts';
import type { Store } from '../hal/store.ts';
import type { Power } from '../hal/power.ts';
import type { Sensor } from '../hal/sensor.ts';
import { SENSOR_OK, SENSOR_ERR_HW, SLOT_COUNT, SLOT_NOISE, SLOT_BATTERY, READING_ABSENT } from '../hal/sensor.ts';
import type { AesFactory } from '../lorawan/aes.ts';
import type { DataFrame } from '../lorawan/frame.ts';
import { decodeFrame } from '../lorawan/frame.ts';
import type { Session } from '../lorawan/session.ts';
import { sealFrame, openFrame } from '../lorawan/session.ts';
import { reconstructFcnt, MAX_FCNT_GAP } from '../lorawan/fcnt.ts';
import { MTYPE_UNCONFIRMED_UP, MTYPE_UNCONFIRMED_DOWN, MTYPE_CONFIRMED_DOWN } from '../lorawan/constants.ts';
import { timeOnAirMs } from '../lorawan/airtime.ts';
import { dutyCycleState, dcNextFreeMs, dcRecord } from '../lorawan/dutycycle.ts';
import { REGION } from '../lorawan/region/selected.ts';
import type { Region } from '../lorawan/region/types.ts';
import { dataRateOf, nextChannelFreeMs, pickChannel } from '../lorawan/region/region.ts';
import { encodeKinds, encodeStatusFrame, encodeAlert } from '../payload/kerb.ts';
import {
  FPORT_READINGS, FPORT_STATUS, FPORT_ALERT, STATUS_BATTERY_LOW, STATUS_REBOOTED, STATUS_SETTINGS_DEFAULT,
  STATUS_RADIO_FAULT, STATUS_STORE_FAULT, RESET_UNKNOWN,
} from '../payload/constants.ts';
import {
  REC_FCNT_A, REC_FCNT_B, REC_SETTINGS, REC_DOWN, FPORT_COMMAND, CMD_OK, STATUS_CMD_REJECTED,
  RX1_DELAY_MS, RX2_DELAY_MS, RX2_FREQ_HZ, RX2_SF, LORA_BW_HZ, LORA_CR, LORA_PREAMBLE, RX_WINDOW_SYMBOLS,
  RX_WINDOW_SLACK_MS, SAMPLE_LEAD_MS, LOW_BATTERY_HYST_MV, DEFAULT_INTERVAL_S, DEFAULT_SF,
  DEFAULT_TX_POWER_DBM, DEFAULT_HOLDOFF_S, DEFAULT_LOW_BATTERY_MV, DEFAULT_LOW_BATTERY_FACTOR,
  DEFAULT_COUNTER_BLOCK, S_INTERVAL, S_PM25, S_PM10, S_NOISE, S_HOLDOFF, S_COUNT, SETTINGS_VERSION, C_WORDS,
  FX_SETTINGS, FX_STATUS, FX_REBOOT, ST_UPLINKS, ST_DOWNLINKS, ST_SAMPLES, ST_SAMPLE_FAULTS, ST_STORE_WRITES,
  ST_DROPPED, ST_COUNT,
} from './constants.ts';
import { encodeWords, decodeWords } from './persist.ts';
import { applyCommands, thresholdWord } from './commands.ts';

export interface NodeDeps {
  clock: Clock;
  radio: Radio;
  store: Store;
  power: Power;
  sensors: Sensor[];
  aesFactory: AesFactory;
  /** Short human-readable events; may be a no-op. */
  log: (msg: string) => void;
}

/** Provisioning. Every field but the keys is optional (defaults in ./constants.ts). */
export interface NodeConfig {
  devAddr: number;
  nwkSKey: Uint8Array;
  appSKey: Uint8Array;
  intervalS?: number;
  sf?: number;
  txPowerDbm?: number;
  pm25AlertDeciUgm3?: number;   // 0 = off
  pm10AlertDeciUgm3?: number;
  noiseAlertDeciDb?: number;
  alertHoldoffS?: number;
  lowBatteryMv?: number;        // 0 = no low-battery mode
  lowBatteryFactor?: number;    // interval multiplier in low-battery mode
  counterBlock?: number;        // frame counters reserved per flash write
  /** Per-sensor sampling period override (ms), same order as deps.sensors; 0/absent = driver's. */
  samplePeriodMs?: number[];
  /** Wake at least this often (to kick a short hardware watchdog); 0 = only when there is work. */
  maxSleepMs?: number;
  /** First report this long after start() (fleet staggering); default one interval. */
  firstReportMs?: number;
  fwVersion?: number[];         // [major, minor, patch] for the status frame
  resetCause?: number;          // RESET_* for the status frame
  /**
   * Send every uplink on this one frequency instead of hopping over the three EU868 default
   * channels: for a single-channel radio bridge (firmware/src/main-bridge.ts listens on one
   * frequency and SF), which would otherwise hear only a third of the node's uplinks.
   */
  channelHz?: number;
  /** Regional channel plan to hop over (shared/lorawan/region); default the one the bundle is built for. */
  region?: Region;
  /** Seed for pseudo-random channel choice (LoRaWAN 1.0.4 §3.3?: channels used pseudo-randomly). */
  seed?: number;
}

export interface SensorNode {
  start(): void;
  stop(): void;
  /** Raw state (I_* in ./constants.ts); ./info.ts nodeInfo() names it for tests and tools. Absent
   * in firmware images. */
  info(): NodeState;
}

/** [fcnt, reserved, downFcnt, bootCount, intervalMs, lowBattery, lastCmd, settings (S_*), stats (ST_*)]. */
export type NodeState = (number | Uint16Array | Uint32Array)[];

/** Set by the firmware build (firmware/build/build.ts); undefined in Node. */
declare const KERB_BOARD: string;

function num(v: number | undefined, d: number): number {
  return typeof v === 'number' && v === v ? v : d;
}

export function createNode(deps: NodeDeps, config: NodeConfig): SensorNode {
  const clock = deps.clock;
  const radio = deps.radio;
  const store = deps.store;
  const power = deps.power;
  const sensors = deps.sensors;
  const ns = sensors.length;
  const log = deps.log;
  const devAddr = config.devAddr >>> 0;
  const session: Session = { nwkSKey: deps.aesFactory(config.nwkSKey), appSKey: deps.aesFactory(config.appSKey) };
  const sf = num(config.sf, DEFAULT_SF);
  const txPower = num(config.txPowerDbm, DEFAULT_TX_POWER_DBM);
  const lowMv = num(config.lowBatteryMv, DEFAULT_LOW_BATTERY_MV);
  const lowFactor = num(config.lowBatteryFactor, DEFAULT_LOW_BATTERY_FACTOR);
  const block = Math.max(1, num(config.counterBlock, DEFAULT_COUNTER_BLOCK));
  const maxSleep = num(config.maxSleepMs, 0);
  const fw = config.fwVersion || [0, 0, 0];
  const region = config.region || REGION;
  const dcTable = region.dutyCycle;
  const dc = dcTable ? dutyCycleState(dcTable) : null;
  const dr = dataRateOf(region, sf, LORA_BW_HZ);
  const channelHz = config.channelHz || 0;
  // Without a join-accept no CFList adds channels: the region's default channels that kerb enables.
  const mask = new Uint8Array(region.uplinkHz.length);
  for (let i = 0; i < mask.length; i++) mask[i] = region.defaultMask[i] & region.kerbMask[i];

  // ---- persisted state ----
  let status = 0;
  let settingsStatus = 0;
  // Settings: stored record (version word + S_* words) or provisioning defaults.
  let settings: Uint16Array = new Uint16Array(S_COUNT);
  settings[S_INTERVAL] = num(config.intervalS, DEFAULT_INTERVAL_S);
  settings[S_PM25] = num(config.pm25AlertDeciUgm3, 0);
  settings[S_PM10] = num(config.pm10AlertDeciUgm3, 0);
  settings[S_NOISE] = num(config.noiseAlertDeciDb, 0);
  settings[S_HOLDOFF] = num(config.alertHoldoffS, DEFAULT_HOLDOFF_S);
  const sraw = store.read(REC_SETTINGS);
  const sw = decodeWords(sraw, S_COUNT + 1);
  if (sw && sw[0] === SETTINGS_VERSION) settings = sw.subarray(1);
  else if (sraw) settingsStatus = STATUS_SETTINGS_DEFAULT;
  // Counter copies: [reserved low, reserved high, boot count]. The newer valid copy wins; a torn
  // write of one copy leaves the other, older one, which is still safe because counters are only
  // used after the write reserving them succeeded.
  const ca = decodeWords(store.read(REC_FCNT_A), C_WORDS);
  const cb = decodeWords(store.read(REC_FCNT_B), C_WORDS);
  const ra = ca ? ca[0] + ca[1] * 65536 : -1;
  const rb = cb ? cb[0] + cb[1] * 65536 : -1;
  const useA = ra >= 0 && ra >= rb;
  const cur = useA ? ca : cb;
  let fcnt = useA ? ra : rb >= 0 ? rb : 0;
  let reserved = fcnt;              // nothing reserved for this boot yet: first uplink writes
  let nextRec = useA ? REC_FCNT_B : REC_FCNT_A;
  const bootCount = ((cur ? cur[2] : 0) + 1) & 0xffff;
  const dw = decodeWords(store.read(REC_DOWN), 2);
  let downFcnt = dw ? dw[0] + dw[1] * 65536 : -1;

  // ---- runtime state ----
  const n = SLOT_COUNT;
  const scratch = new Int32Array(n);
  const sum = new Float64Array(n);
  const cnt = new Uint16Array(n);
  const max = new Int32Array(n);
  const nextSample = new Float64Array(ns);
  const poweredAt = new Float64Array(ns);  // -1 = off
  const period = new Float64Array(ns);
  const warm = new Float64Array(ns);       // Sensor.warmupMs, cached (property names cost bundle bytes)
  let faults = 0;                          // sensor fault flags seen since the last readings frame
  let timer: TimerHandle = 0;
  let timerAt = -1;
  let running = false;
  let busy = false;
  let sleepAllowed = false;
  let epoch = 0;                           // invalidates callbacks of a stopped/restarted node
  let startAt = 0;
  let reportAt = 0;
  let lowBattery = false;
  let batteryMv = -1;
  let firstFrame = true;
  let pendingAck = false;
  let statusPending = false;
  let rebootPending = false;
  let readingsPending: Uint8Array | null = null;
  let alertPending: Uint8Array | null = null;
  let lastAlertAt = -1e15;
  let above = 0;                           // slot bitmask currently above its threshold
  let rng = (num(config.seed, devAddr) >>> 0) || 1;
  let lastCmd = CMD_OK;
  // loop() is defined last; completions that re-enter it go through this reference (Espruino does
  // not hoist function declarations, and the lint rule forbids use before definition).
  let resume: () => void = function () {};
  const stats = new Uint32Array(ST_COUNT);

  for (let i = 0; i < ns; i++) {
    const o = config.samplePeriodMs ? config.samplePeriodMs[i] : 0;
    period[i] = Math.max(1000, o > 0 ? o : sensors[i].periodMs); // a 0 period would spin the loop
    warm[i] = sensors[i].warmupMs;
    poweredAt[i] = -1;
  }
  const resetCause = num(config.resetCause, RESET_UNKNOWN);
  const firstReportMs = config.firstReportMs;
  // Every closure below keeps this whole scope alive on Espruino, parameters included: let go of
  // the provisioning object (key arrays, JSON fields) and the deps object once they are read
  // (docs/firmware.md "Heap on the real interpreter").
  config = null as unknown as NodeConfig;
  deps = null as unknown as NodeDeps;

  function effectiveIntervalMs(): number {
    return settings[S_INTERVAL] * 1000 * (lowBattery ? lowFactor : 1);
  }

  /** Plans the sensor samples of the cycle that ends at reportAt. */
  function planCycle(from: number): void {
    const iv = reportAt - from;
    for (let i = 0; i < ns; i++) {
      const p = Math.min(period[i], iv);
      nextSample[i] = Math.max(from, from + p - SAMPLE_LEAD_MS);
    }
  }

  function setPower(i: number, on: boolean): void {
    if (on === poweredAt[i] >= 0) return;
    poweredAt[i] = on ? clock.now() : -1;
    try {
      sensors[i].power(on);
    } catch (e) {
      faults |= sensors[i].faultFlag;
    }
  }

  /** Time sensor i can be sampled (after warm-up if it has one). */
  function sampleReadyAt(i: number): number {
    const w = warm[i];
    if (w <= 0) return nextSample[i];
    if (poweredAt[i] < 0) return nextSample[i]; // loop() powers it first; never sampled cold
    return Math.max(nextSample[i], poweredAt[i] + w);
  }

  function writeRec(name: string, data: Uint8Array): boolean {
    stats[ST_STORE_WRITES]++;
    if (store.write(name, data) === 0) return true;
    status |= STATUS_STORE_FAULT;
    return false;
  }

  function record(slot: number, v: number): void {
    sum[slot] += v;
    if (cnt[slot] === 0 || v > max[slot]) max[slot] = v;
    cnt[slot]++;
    if (slot === SLOT_BATTERY) batteryMv = v;
    const tw = thresholdWord(slot);
    const thr = tw < 0 ? 0 : settings[tw];
    const bit = 1 << slot;
    if (thr <= 0) {
      above &= ~bit;
      return;
    }
    if (v >= thr && !(above & bit)) {
      above |= bit;
      const now = clock.now();
      // Rate limit (docs/node.md "Alerts"): one alert frame per hold-off, the first crossing wins.
      if (!alertPending && now - lastAlertAt >= settings[S_HOLDOFF] * 1000) {
        alertPending = encodeAlert({ kind: slot, rising: true, value: v, threshold: thr });
        lastAlertAt = now;
      }
    } else if (v < thr) {
      above &= ~bit;
    }
  }

  function sampleDone(i: number, ep: number, st: number): void {
    if (ep !== epoch) return;
    stats[ST_SAMPLES]++;
    if (st === SENSOR_OK) {
      const slots = sensors[i].slots;
      for (let k = 0; k < n; k++) if ((slots >> k) & 1 && scratch[k] !== READING_ABSENT) record(k, scratch[k]);
    } else {
      stats[ST_SAMPLE_FAULTS]++;
      faults |= sensors[i].faultFlag;
    }
    // Next sample one period on; after a late sample (warm-up, slow read) one period from now, so a
    // delay never turns into a burst of catch-up samples.
    const p = Math.min(period[i], effectiveIntervalMs());
    const now = clock.now();
    nextSample[i] = nextSample[i] + p > now ? nextSample[i] + p : now + p;
    // Duty-cycle fan-driven sensors: off unless the next sample's warm-up has already begun.
    if (warm[i] > 0 && nextSample[i] - warm[i] > now) setPower(i, false);
    busy = false;
    resume();
  }

  function updateBattery(): void {
    if (batteryMv < 0) {
      const mv = power.batteryMv();
      if (mv > 0) batteryMv = mv;
    }
    if (lowMv <= 0 || batteryMv <= 0) return;
    if (!lowBattery && batteryMv < lowMv) lowBattery = true;
    else if (lowBattery && batteryMv >= lowMv + LOW_BATTERY_HYST_MV) lowBattery = false;
  }

  function flags(): number {
    return status | settingsStatus | (firstFrame ? STATUS_REBOOTED : 0) | (lowBattery ? STATUS_BATTERY_LOW : 0) |
      (lastCmd !== CMD_OK ? STATUS_CMD_REJECTED : 0);
  }

  let txWaitUntil = 0;

  /** LoRaWAN: uplinks normal IQ at txPower, downlink windows inverted IQ (§4.1, RP002 EU868). */
  function params(freq: number, psf: number, up: boolean): RadioParams {
    return { freqHz: freq, sf: psf, bwHz: LORA_BW_HZ, cr: LORA_CR, powerDbm: up ? txPower : 0, invertIq: !up };
  }

  /** Verifies and decrypts a downlink; returns true when it was for us and authentic. */
  function handleDownlink(raw: Uint8Array): boolean {
    const f = decodeFrame(raw);
    if (typeof f === 'number') return false;
    const df = f as DataFrame;
    if (df.mtype !== MTYPE_UNCONFIRMED_DOWN && df.mtype !== MTYPE_CONFIRMED_DOWN) return false;
    if (df.devAddr >>> 0 !== devAddr) return false;
    const fc = reconstructFcnt(downFcnt, df.fcnt);
    if (fc < 0 || (downFcnt >= 0 && fc - downFcnt > MAX_FCNT_GAP)) return false;
    const pt = openFrame(session, raw, df, fc);
    if (typeof pt === 'number') return false;
    // The counter must be on flash before the frame acts: a command applied while its counter
    // write failed could be replayed after a reboot.
    if (!writeRec(REC_DOWN, encodeWords([fc & 0xffff, fc >>> 16], 2))) return false;
    downFcnt = fc;
    stats[ST_DOWNLINKS]++;
    if (df.mtype === MTYPE_CONFIRMED_DOWN) {
      // §4.3.1.2 / §18: ACK in the next uplink; send the status frame now so the ACK is prompt.
      pendingAck = true;
      statusPending = true;
    }
    if (df.fport === FPORT_COMMAND) {
      const s = new Uint16Array(settings);
      const r = applyCommands(pt as Uint8Array, s);
      const fx = r >> 8;
      lastCmd = r & 255;
      if (lastCmd === CMD_OK) {
        if (fx & FX_SETTINGS) {
          const ivChanged = s[S_INTERVAL] !== settings[S_INTERVAL];
          settings = s;
          settingsStatus = 0;
          const rec = new Uint16Array(S_COUNT + 1);
          rec[0] = SETTINGS_VERSION;
          rec.set(s, 1);
          writeRec(REC_SETTINGS, encodeWords(rec, S_COUNT + 1));
          if (ivChanged) {
            // New interval applies from now: the current cycle closes at now + new interval at most.
            const now = clock.now();
            reportAt = Math.min(reportAt, now + effectiveIntervalMs());
            planCycle(now);
          }
        }
        if (fx & FX_STATUS) statusPending = true;
        if (fx & FX_REBOOT) rebootPending = true;
      } else {
        statusPending = true;
      }
    }
    return true;
  }

  function stop(): void {
    running = false;
    epoch++;
    busy = false;
    if (timer) clock.clearTimeout(timer);
    timer = 0;
    for (let i = 0; i < ns; i++) setPower(i, false);
    radio.sleep();
  }

  function finishRadio(ep: number): void {
    if (ep !== epoch) return;
    radio.sleep();
    busy = false;
    if (rebootPending) {
      rebootPending = false;
      log('reboot');
      stop();
      power.reboot();
      return;
    }
    resume();
  }

  /**
   * Sends the most urgent queued uplink if a channel is free, then runs its two receive windows.
   * Returns true when busy with it.
   */
  function uplink(now: number): boolean {
    if (!alertPending && !readingsPending && !statusPending) return false;
    if (now < txWaitUntil) return false;
    // A channel free under the duty cycle now, chosen pseudo-randomly (xorshift32) among the
    // region's enabled channels, or the one channel a single-channel bridge hears.
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    rng = rng >>> 0;
    let freq = channelHz;
    if (channelHz) {
      const t = dc && dcTable ? dcNextFreeMs(dcTable, dc, channelHz, now) : now;
      if (t > now) {
        txWaitUntil = t;
        return false;
      }
    } else {
      const ch = pickChannel(region, mask, dr, dc, now, rng / 4294967296);
      if (ch < 0) {
        txWaitUntil = nextChannelFreeMs(region, mask, dr, dc, now);
        return false;
      }
      freq = region.uplinkHz[ch];
    }
    let port = FPORT_ALERT;
    let payload: Uint8Array;
    if (alertPending) {
      payload = alertPending;
      alertPending = null;
    } else if (readingsPending) {
      port = FPORT_READINGS;
      payload = readingsPending;
      readingsPending = null;
    } else {
      port = FPORT_STATUS;
      payload = encodeStatusFrame({
        fwMajor: fw[0], fwMinor: fw[1], fwPatch: fw[2],
        uptimeS: Math.floor((now - startAt) / 1000),
        resetCause: resetCause,
        status: flags() | faults,
        reportIntervalS: Math.round(effectiveIntervalMs() / 1000),
        pm25AlertDeciUgm3: settings[S_PM25],
        bootCount: bootCount,
      });
      statusPending = false;
    }
    // Reserve counters in flash before using them: a reboot resumes at `reserved`, never below.
    if (fcnt >= reserved) {
      const r = fcnt + block;
      if (!writeRec(nextRec, encodeWords([r & 0xffff, r >>> 16, bootCount], C_WORDS))) return false;
      reserved = r;
      nextRec = nextRec === REC_FCNT_A ? REC_FCNT_B : REC_FCNT_A;
    }
    // The frame object is not kept in a variable: the receive windows' callback keeps this scope.
    const phy = sealFrame(session, {
      mtype: MTYPE_UNCONFIRMED_UP, devAddr: devAddr, adr: false, adrAckReq: false, ack: pendingAck,
      fpending: false, fcnt: fcnt & 0xffff, fopts: new Uint8Array(0), fport: port, payload: payload, mic: 0,
    }, fcnt);
    fcnt++;
    pendingAck = false;
    firstFrame = false;
    if (dc && dcTable) dcRecord(dcTable, dc, freq, now, timeOnAirMs(sf, LORA_BW_HZ, LORA_CR, phy.length, LORA_PREAMBLE, true, true));
    stats[ST_UPLINKS]++;
    busy = true;
    const ep = epoch;
    let tEnd = 0;
    let phase = 0;
    // One callback for the whole exchange — the transmission's completion, the two window timers
    // and the two receptions — instead of a closure per step (each costs RAM on Espruino).
    // LoRaWAN 1.0.4 §3.3.1/§3.3.2: RX1 RECEIVE_DELAY1 after the end of the uplink on the uplink
    // channel and data rate (RX1DROffset 0); RX2 at RECEIVE_DELAY2 on 869.525 MHz SF12 (RP002 EU868).
    // A window listens for RX_WINDOW_SYMBOLS symbols plus slack.
    function step(st?: number, rx?: RadioRx | null): void {
      if (ep !== epoch) return;
      phase++;
      if (phase === 1) {
        if (st !== RADIO_OK) {
          if (st === RADIO_ERR_HW) status |= STATUS_RADIO_FAULT;
          finishRadio(ep);
          return;
        }
        status &= ~STATUS_RADIO_FAULT;
        tEnd = clock.now();
        clock.setTimeout(step, Math.max(0, tEnd + RX1_DELAY_MS - clock.now()));
      } else if (phase === 2 || phase === 4) {
        const rxSf = phase === 2 ? sf : RX2_SF;
        radio.receive(params(phase === 2 ? freq : RX2_FREQ_HZ, rxSf, false),
          Math.ceil((RX_WINDOW_SYMBOLS * (1 << rxSf) * 1000) / LORA_BW_HZ) + RX_WINDOW_SLACK_MS, step);
      } else {
        const got = st === RADIO_OK && !!rx && handleDownlink(rx.payload);
        const wait = tEnd + RX2_DELAY_MS - clock.now();
        if (phase === 3 && !got && wait >= 0) clock.setTimeout(step, wait);
        else finishRadio(ep);
      }
    }
    radio.transmit(params(freq, sf, true), phy, step);
    return true;
  }

  function allowSleep(on: boolean): void {
    if (on !== sleepAllowed) power.allowDeepSleep((sleepAllowed = on));
  }

  // One callback for every wake-up timer instead of a closure per loop() pass.
  function wake(): void {
    timer = 0;
    resume();
  }

  function loop(): void {
    if (!running || busy) return;
    const now = clock.now();
    // 1. Fan-driven sensors: power on when their warm-up before the next sample begins.
    for (let i = 0; i < ns; i++) {
      const w = warm[i];
      if (w > 0 && poweredAt[i] < 0 && now >= nextSample[i] - w) setPower(i, true);
    }
    // 2. One due sample at a time; its completion re-enters loop().
    for (let i = 0; i < ns; i++) {
      if (now >= sampleReadyAt(i)) {
        // Stay awake through the read: STM32 deep sleep stops UART receive (espruino.com/Power+Consumption).
        allowSleep(false);
        busy = true;
        for (let k = 0; k < n; k++) scratch[k] = READING_ABSENT;
        const ep = epoch;
        const si = i;
        let called = false;
        try {
          sensors[si].sample(scratch, function (st: number) {
            if (called) return;
            called = true;
            sampleDone(si, ep, st);
          });
        } catch (e) {
          if (!called) {
            called = true;
            sampleDone(si, ep, SENSOR_ERR_HW);
          }
        }
        return;
      }
    }
    // 3. The reporting interval closes: aggregates → readings frame, next cycle planned.
    if (now >= reportAt) {
      if (cnt[SLOT_BATTERY] === 0) {
        const mv = power.batteryMv();
        if (mv > 0) record(SLOT_BATTERY, mv);
      }
      updateBattery();
      let present = 0;
      for (let k = 0; k < n; k++) {
        if (cnt[k] === 0) continue;
        // Noise: the interval maximum (peaks are what residents hear); everything else the mean.
        // The value goes where the maximum was: a slot's next sample resets it (cnt is 0).
        if (k !== SLOT_NOISE) max[k] = Math.round(sum[k] / cnt[k]);
        present |= 1 << k;
        sum[k] = 0;
        cnt[k] = 0;
      }
      if (readingsPending) stats[ST_DROPPED]++;
      readingsPending = encodeKinds(max, present, flags() | faults);
      faults = 0;
      batteryMv = -1;
      reportAt = now + effectiveIntervalMs();
      planCycle(now);
    }
    // 4. Uplinks (transmission + RX1 + RX2 re-enter loop() when done).
    if (uplink(now)) {
      allowSleep(false);
      return;
    }
    // 5. A pass completed with nothing stuck: the only place the watchdog is kicked.
    power.kickWatchdog();
    // Sleep until the earliest event: a sensor's warm-up or sample, the report, a queued uplink's
    // channel, the watchdog's wake-up.
    let at = reportAt;
    for (let i = 0; i < ns; i++) {
      const w = warm[i];
      const t = w > 0 && poweredAt[i] < 0 ? nextSample[i] - w : sampleReadyAt(i);
      if (t < at) at = t;
    }
    if ((alertPending || readingsPending || statusPending) && txWaitUntil < at) at = txWaitUntil;
    if (maxSleep > 0 && now + maxSleep < at) at = now + maxSleep;
    allowSleep(true);
    if (timer && timerAt === at) return;
    if (timer) clock.clearTimeout(timer);
    timerAt = at;
    timer = clock.setTimeout(wake, Math.max(0, at - now));
  }
  resume = loop;

  const node = {
    start: function () {
      if (running) return;
      running = true;
      epoch++;
      busy = false;
      const now = clock.now();
      startAt = now;
      // Fan-driven parts power up running (a PMS starts awake in active mode): put them to sleep so
      // the first warm-up is the node's own.
      for (let i = 0; i < ns; i++) {
        if (warm[i] > 0) {
          poweredAt[i] = 0;
          setPower(i, false);
        }
      }
      updateBattery();
      reportAt = now + num(firstReportMs, effectiveIntervalMs());
      planCycle(now);
      loop();
    },
    stop: stop,
  } as SensorNode;
  // For tests, the simulator and tools; a firmware image (built with KERB_BOARD) never asks, so it
  // carries neither the code nor the function object.
  if (typeof KERB_BOARD === 'undefined') {
    node.info = function (): NodeState {
      return [fcnt, reserved, downFcnt, bootCount, effectiveIntervalMs(), lowBattery ? 1 : 0, lastCmd, settings, stats];
    };
  }
  return node;
}
