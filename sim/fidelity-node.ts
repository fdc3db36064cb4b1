// "fidelity" node mode: the exact firmware bundle `kerb flash` writes (firmware/build, Espruino
// Pico sensor-node entry) running in the Espruino-globals context model (sim/espruino), wired to the
// virtual twins of sim/devices — SX127x on SPI (B10 chip select), BME280 on I2C1, a PMS on Serial2,
// microphone envelope on A0, battery divider on A1 (the pin map of firmware/boards, as in
// test/firmware/context-node.test.ts; DIO0 on A8). The SX127x twin's transmissions are injected into the
// medium; downlinks reach it through airPacket(), which the chip accepts only when the firmware has
// put it into receive mode on the right channel — so RX1/RX2 timing is the firmware's own.
// Slow (a vm context per node, the interpreter's own timers): meant for a handful of nodes.
import { fileURLToPath } from 'node:url';
import type { RadioParams } from '../shared/hal/radio.ts';
import type { Session } from '../shared/lorawan/session.ts';
import type { Medium } from './medium.ts';
import type { VirtualClock } from './clock.ts';
import type { StreetEnv } from './devices/index.ts';
import type { FleetNode, FastUplink } from './fast-node.ts';
import { decodeUplink } from './fast-node.ts';
import { Sx127xTwin } from './devices/sx127x.ts';
import { VirtualI2cBus } from './devices/i2c.ts';
import { VirtualBme280 } from './devices/bme280.ts';
import { VirtualUart } from './devices/uart.ts';
import { VirtualPms } from './devices/pms.ts';
import { soundEnvelopeFrac, batteryFrac } from './devices/adc.ts';
import { FlashModel } from './espruino/flash.ts';
import { EspruinoBoard, BOARD_MODELS } from './espruino/context.ts';
import { simAes } from './aes.ts';
import { deviceConfigJson } from '../firmware/build/flash.ts';

export const FIDELITY_BOARD = 'pico';

/** Builds the sensor-node bundle for the fidelity board (what `kerb flash --board pico` writes). */
export async function buildFidelityBundle(): Promise<string> {
  const { buildOne } = await import('../firmware/build/build.ts');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const r = await buildOne(root, FIDELITY_BOARD, 'node');
  if (r.buildErrors.length) throw new Error(`firmware build failed: ${r.buildErrors.join('; ')}`);
  return r.code;
}

export interface FidelityNodeOptions {
  index: number;
  clock: VirtualClock;
  medium: Medium;
  mediumNode: number;
  id: string;
  devAddr: number;
  nwkSKey: Uint8Array;
  appSKey: Uint8Array;
  sf: number;
  intervalS: number;
  firstReportMs: number;
  env: (tMs: number) => StreetEnv;
  bundle: string;
  onUplink(i: number, u: FastUplink): void;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class FidelityNode implements FleetNode {
  readonly twin: Sx127xTwin;
  readonly board: EspruinoBoard;
  readonly flash: FlashModel;
  readonly bme: VirtualBme280;
  readonly pms: VirtualPms;
  private session: Session;
  private lastFcnt = -1;
  private started = false;
  noiseAbsent = false;

  private readonly o: FidelityNodeOptions;
  constructor(o: FidelityNodeOptions) {
    this.o = o;
    const model = BOARD_MODELS[FIDELITY_BOARD]!;
    this.session = { nwkSKey: simAes(o.nwkSKey), appSKey: simAes(o.appSKey) };
    this.flash = new FlashModel(model.storageBytes);
    // Provisioning record exactly as `kerb flash --device` writes it (firmware/build/flash.ts).
    const registry = JSON.stringify({
      devices: [{ id: o.id, devAddr: o.devAddr.toString(16).toUpperCase().padStart(8, '0'), nwkSKey: hex(o.nwkSKey), appSKey: hex(o.appSKey), profile: 'kerb-street-v1' }],
    });
    this.flash.write('kerb.cfg', deviceConfigJson(registry, o.id, { intervalS: o.intervalS, sf: o.sf, firstReportMs: Math.round(o.firstReportMs) }));
    const clock = o.clock;
    let cacheT = NaN;
    let cache: StreetEnv | null = null;
    const env = (): StreetEnv => {
      if (clock.now() !== cacheT || !cache) {
        cache = o.env(clock.now());
        cacheT = clock.now();
      }
      return cache;
    };
    this.twin = new Sx127xTwin(clock);
    this.twin.onTransmit = (tx) => {
      const p: RadioParams = { freqHz: tx.freqHz, sf: tx.sf, bwHz: tx.bwHz, cr: tx.cr, powerDbm: tx.powerDbm, invertIq: tx.invertIq };
      const u = decodeUplink(this.session, this.lastFcnt, tx.payload, p, tx.toaMs);
      if (u.fcnt >= 0) this.lastFcnt = u.fcnt;
      o.onUplink(o.index, u);
      o.medium.injectUplink(o.mediumNode, p, tx.payload);
    };
    o.medium.addListener(o.mediumNode, (payload, freqHz, sf, bwHz, rssiDbm, snrDb) =>
      this.twin.airPacket({ payload, freqHz, sf, bwHz, invertIq: true, rssiDbm, snrDb }),
    );
    const i2c = new VirtualI2cBus();
    this.bme = new VirtualBme280(clock, () => {
      const e = env();
      return { tempC: e.tempC, rhPct: e.rh, pressureHpa: e.pressureHpa };
    });
    i2c.attach(0x76, this.bme);
    const uart = new VirtualUart(clock, 9600);
    this.pms = new VirtualPms(clock, uart, () => {
      const e = env();
      return { pm25Ugm3: e.pm25, pm10Ugm3: e.pm10 };
    });
    this.board = new EspruinoBoard({
      clock,
      board: model,
      flash: this.flash,
      i2c,
      spi: { B10: this.twin },
      uarts: { Serial2: uart },
      analog: {
        A0: () => (this.noiseAbsent ? 0 : soundEnvelopeFrac(env().noiseDb, 0.5)),
        A1: () => batteryFrac(env().batteryMv, 3300, 2000),
      },
      batteryMv: () => env().batteryMv,
    });
  }

  start(): void {
    if (!this.started) {
      // Pico pin map (firmware/src/boards/pico.ts): SX127x DIO0 on A8, a rising edge per IRQ.
      this.twin.onDio0(() => {
        this.board.ctx?.setPin('A8', true);
        this.board.ctx?.setPin('A8', false);
      });
      this.started = true;
      this.board.flashAndBoot(this.o.bundle);
    } else this.board.reboot('power-on');
  }

  stop(): void {
    this.board.ctx?.kill();
  }

  /** Errors the interpreter model reported (uncaught exceptions in the firmware). */
  errors(): string[] {
    return (this.board.ctx?.errors ?? []).map(String);
  }
}
