// Virtual SX1276 answering SPI register access (fake at the bus, never by module mocking). Modelled on the
// SX1276/77/78/79 datasheet rev. 7: register map (§6.4), FIFO with FifoAddrPtr auto-increment
// (§4.1.2.3), burst access with address auto-increment except on RegFifo (§4.3), LongRangeMode
// writable only in SLEEP (RegOpMode), TX → TxDone after the time on air then STDBY (§4.1.6.2),
// RXSINGLE with RegSymbTimeout → RxTimeout then STDBY, RXCONTINUOUS staying in RX (§4.1.6.3),
// RegIrqFlags write-1-to-clear, DIO0 mapping (Table 18), packet SNR/RSSI registers (§5.5.5).
// Not modelled: FSK mode, CAD, FHSS, LNA/AGC, the RSSI of the channel when no packet, PLL lock time.
//
// The "air" is a callback pair: onTransmit(tx) is called when the chip starts sending; a medium or
// test calls airPacket(pkt) when a packet's preamble starts at this radio.
import type { Clock } from '../../shared/hal/clock.ts';
import type { SpiBus } from '../../shared/hal/bus.ts';
import { timeOnAirMs } from '../../shared/lorawan/airtime.ts';

export interface AirParams {
  freqHz: number;
  sf: number;
  bwHz: number;
  cr: number;
  invertIq: boolean;
  crcOn: boolean;
  syncWord: number;
}

export interface TwinTx extends AirParams {
  payload: Uint8Array;
  powerDbm: number;
  atMs: number;
  toaMs: number;
}

export interface AirPacket {
  payload: Uint8Array;
  freqHz: number;
  sf: number;
  bwHz: number;
  invertIq: boolean;
  rssiDbm: number;
  snrDb: number;
  /** Corrupt the payload CRC (the chip sets PayloadCrcError). */
  crcError?: boolean;
  syncWord?: number;
}

/** Preamble symbols a receiver needs to lock (Bor et al. 2016; LoRaSim; sim/medium.ts). */
const LOCK_SYMBOLS = 5;
const BW_HZ = [7800, 10400, 15600, 20800, 31250, 41700, 62500, 125000, 250000, 500000];
const MODE_SLEEP = 0, MODE_STDBY = 1, MODE_TX = 3, MODE_RXC = 5, MODE_RXS = 6;

export class Sx127xTwin implements SpiBus {
  readonly regs = new Uint8Array(0x80);
  readonly fifo = new Uint8Array(256);
  /** Fault switches: absent = nothing on the bus (MISO floats high); stuck = never raises IRQs. */
  absent = false;
  stuck = false;
  /** Transmissions so far (also passed to onTransmit). */
  readonly sent: TwinTx[] = [];
  /** Packets that reached the antenna but were not received, with the reason (for tests). */
  readonly missed: { pkt: AirPacket; reason: string }[] = [];
  onTransmit: ((tx: TwinTx) => void) | null = null;
  private dio0Cbs: ((tMs: number) => void)[] = [];
  private timer = -1;
  private rxTimer = -1;
  private receiving = false;
  /** Packets whose preamble is still on the air: a receiver entering RX in time can lock on. */
  private inAir: { pkt: AirPacket; startMs: number; lockByMs: number }[] = [];

  constructor(private readonly clock: Clock) {
    this.reset();
  }

  /** Power-on / NRESET values (§6.4 "Default value" column, LoRa-relevant registers). */
  reset(): void {
    this.regs.fill(0);
    this.regs[0x01] = 0x09; // FSK standby at reset (LongRangeMode 0)
    this.regs[0x06] = 0x6c; this.regs[0x07] = 0x80; this.regs[0x08] = 0x00; // 434 MHz
    this.regs[0x09] = 0x4f;
    this.regs[0x0b] = 0x2b;
    this.regs[0x0c] = 0x20;
    this.regs[0x0e] = 0x80;
    this.regs[0x1d] = 0x72;
    this.regs[0x1e] = 0x70;
    this.regs[0x1f] = 0x64;
    this.regs[0x21] = 0x08;
    this.regs[0x22] = 0x01;
    this.regs[0x23] = 0xff;
    this.regs[0x31] = 0xc3;
    this.regs[0x33] = 0x27;
    this.regs[0x37] = 0x0a;
    this.regs[0x39] = 0x12;
    this.regs[0x3b] = 0x1d;
    this.regs[0x42] = 0x12;
    this.regs[0x4d] = 0x84;
    this.cancel();
  }

  /** Observe the DIO0 pin (rising edges). */
  onDio0(cb: (tMs: number) => void): void {
    this.dio0Cbs.push(cb);
  }

  get mode(): number {
    return this.regs[0x01]! & 7;
  }

  get loraMode(): boolean {
    return (this.regs[0x01]! & 0x80) !== 0;
  }

  /** Current modulation settings decoded from the registers. */
  params(): AirParams {
    const r = this.regs;
    const frf = r[0x06]! * 65536 + r[0x07]! * 256 + r[0x08]!;
    return {
      freqHz: Math.round((frf * 32e6) / 524288),
      bwHz: BW_HZ[r[0x1d]! >> 4] ?? 125000,
      cr: (r[0x1d]! >> 1) & 7,
      sf: r[0x1e]! >> 4,
      crcOn: (r[0x1e]! & 0x04) !== 0,
      // RegInvertIQ bit 6 = RX path inverted (0x66 inverted vs 0x27 normal, see the driver).
      invertIq: (r[0x33]! & 0x40) !== 0,
      syncWord: r[0x39]!,
    };
  }

  transfer(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(data.length);
    if (this.absent) return out.fill(0xff);
    if (data.length === 0) return out;
    const isWrite = (data[0]! & 0x80) !== 0;
    let addr = data[0]! & 0x7f;
    for (let i = 1; i < data.length; i++) {
      if (isWrite) this.writeReg(addr, data[i]!);
      else out[i] = this.readReg(addr);
      if (addr !== 0) addr = (addr + 1) & 0x7f;
    }
    return out;
  }

  private readReg(a: number): number {
    if (a === 0) {
      const v = this.fifo[this.regs[0x0d]!]!;
      this.regs[0x0d] = (this.regs[0x0d]! + 1) & 0xff;
      return v;
    }
    return this.regs[a]!;
  }

  private writeReg(a: number, v: number): void {
    if (a === 0) {
      this.fifo[this.regs[0x0d]!] = v;
      this.regs[0x0d] = (this.regs[0x0d]! + 1) & 0xff;
      return;
    }
    if (a === 0x12) { this.regs[0x12] = this.regs[0x12]! & ~v; return; } // write 1 to clear
    if (a === 0x42 || a === 0x10 || a === 0x13 || a === 0x19 || a === 0x1a || a === 0x1b) return; // read-only
    if (a === 0x01) { this.setOpMode(v); return; }
    this.regs[a] = v;
  }

  private setOpMode(v: number): void {
    const old = this.regs[0x01]!;
    // LongRangeMode (bit 7) can only be modified in SLEEP mode (§6.4 RegOpMode).
    if ((old & 7) !== MODE_SLEEP && (v & 0x80) !== (old & 0x80)) v = (v & 0x7f) | (old & 0x80);
    this.regs[0x01] = v;
    const m = v & 7;
    if (m !== (old & 7) || m === MODE_TX || m === MODE_RXS) this.enterMode(m);
  }

  private cancel(): void {
    if (this.timer >= 0) this.clock.clearTimeout(this.timer);
    if (this.rxTimer >= 0) this.clock.clearTimeout(this.rxTimer);
    this.timer = -1;
    this.rxTimer = -1;
    this.receiving = false;
  }

  private raise(flag: number, dio0Map: number): void {
    if (this.stuck) return;
    this.regs[0x12] = this.regs[0x12]! | flag;
    if ((this.regs[0x40]! & 0xc0) === dio0Map) {
      const t = this.clock.now();
      for (const cb of this.dio0Cbs) cb(t);
    }
  }

  private enterMode(m: number): void {
    this.cancel();
    if (!this.loraMode) return;
    if (m === MODE_TX) {
      const p = this.params();
      const len = this.regs[0x22]!;
      const base = this.regs[0x0e]!;
      const payload = new Uint8Array(len);
      for (let i = 0; i < len; i++) payload[i] = this.fifo[(base + i) & 0xff]!;
      const pa = this.regs[0x09]!;
      const powerDbm = pa & 0x80 ? 17 - (15 - (pa & 0x0f)) + (this.regs[0x4d] === 0x87 ? 3 : 0) : 15 - (15 - (pa & 0x0f)) - 1;
      const preamble = this.regs[0x20]! * 256 + this.regs[0x21]!;
      const toaMs = timeOnAirMs(p.sf, p.bwHz, p.cr, len, preamble, true, p.crcOn);
      const tx: TwinTx = { ...p, invertIq: (this.regs[0x33]! & 0x01) === 0 /* bit 0 clear = TX path inverted */, payload, powerDbm, atMs: this.clock.now(), toaMs };
      this.sent.push(tx);
      this.onTransmit?.(tx);
      this.timer = this.clock.setTimeout(() => {
        this.timer = -1;
        this.regs[0x01] = (this.regs[0x01]! & 0xf8) | MODE_STDBY;
        this.raise(0x08, 0x40);
      }, toaMs);
    } else if (m === MODE_RXS || m === MODE_RXC) {
      this.lockPending();
    }
    if (m === MODE_RXS && !this.receiving) {
      const p = this.params();
      const sym = ((this.regs[0x1e]! & 3) << 8) | this.regs[0x1f]!;
      const tsym = (Math.pow(2, p.sf) / p.bwHz) * 1000;
      this.timer = this.clock.setTimeout(() => {
        this.timer = -1;
        if (this.receiving) return;
        this.regs[0x01] = (this.regs[0x01]! & 0xf8) | MODE_STDBY;
        this.raise(0x80, 0xc0 /* RxTimeout is on DIO1, never DIO0 */);
      }, sym * tsym);
    }
  }

  /**
   * A packet's preamble starts at this radio now. Returns true when the chip locks on to it at
   * once (it then raises RxDone after the packet's time on air). A radio that is not (yet) in a
   * matching receive mode can still lock on if it enters one while enough of the preamble is left:
   * LOCK_SYMBOLS of the Npre + 4.25 preamble symbols (Bor et al. 2016, as sim/medium.ts uses).
   */
  airPacket(pkt: AirPacket): boolean {
    const now = this.clock.now();
    const tsym = (Math.pow(2, pkt.sf) / pkt.bwHz) * 1000;
    const entry = { pkt, startMs: now, lockByMs: now + (8 + 4.25 - LOCK_SYMBOLS) * tsym };
    const why = this.mismatch(pkt);
    if (why === null) return this.lock(entry);
    // Not receiving (or receiving with other settings) now: keep it until its preamble is too short.
    this.inAir.push(entry);
    this.clock.setTimeout(() => {
      const i = this.inAir.indexOf(entry);
      if (i >= 0) {
        this.inAir.splice(i, 1);
        this.missed.push({ pkt, reason: this.mismatch(pkt) ?? why });
      }
    }, entry.lockByMs - now + 1e-6);
    return false;
  }

  /** Why this radio cannot receive pkt right now, or null when it can. */
  private mismatch(pkt: AirPacket): string | null {
    const m = this.mode;
    const p = this.params();
    if (!this.loraMode || (m !== MODE_RXC && m !== MODE_RXS)) return 'not in receive mode';
    if (this.receiving) return 'busy receiving another packet';
    if (Math.abs(pkt.freqHz - p.freqHz) > 2000) return 'frequency';
    if (pkt.sf !== p.sf || pkt.bwHz !== p.bwHz) return 'sf/bw';
    if (pkt.invertIq !== p.invertIq) return 'iq polarity';
    if ((pkt.syncWord ?? 0x34) !== p.syncWord) return 'sync word';
    return null;
  }

  /** Called on entering RX: lock on to a packet whose preamble is still long enough. */
  private lockPending(): void {
    const now = this.clock.now();
    for (const e of this.inAir) {
      if (now <= e.lockByMs && this.mismatch(e.pkt) === null) {
        this.inAir.splice(this.inAir.indexOf(e), 1);
        this.lock(e);
        return;
      }
    }
  }

  private lock(e: { pkt: AirPacket; startMs: number }): boolean {
    const pkt = e.pkt;
    const p = this.params();
    this.receiving = true;
    if (this.mode === MODE_RXS && this.timer >= 0) { this.clock.clearTimeout(this.timer); this.timer = -1; }
    const toa = timeOnAirMs(pkt.sf, pkt.bwHz, (this.regs[0x1d]! >> 1) & 7, pkt.payload.length, 8, true, !pkt.invertIq);
    this.rxTimer = this.clock.setTimeout(() => {
      this.rxTimer = -1;
      this.receiving = false;
      if (!this.loraMode || (this.mode !== MODE_RXC && this.mode !== MODE_RXS)) { this.missed.push({ pkt, reason: 'left receive mode' }); return; }
      // FIFO: RXSINGLE writes from RegFifoRxBaseAddr; RXCONTINUOUS keeps going from the last
      // packet's end (§4.1.2.3). RegFifoRxCurrentAddr points at the packet's first byte.
      const start = this.mode === MODE_RXS ? this.regs[0x0f]! : (this.regs[0x10]! + this.regs[0x13]!) & 0xff;
      for (let i = 0; i < pkt.payload.length; i++) this.fifo[(start + i) & 0xff] = pkt.payload[i]!;
      this.regs[0x10] = start;
      this.regs[0x13] = pkt.payload.length;
      const snrQ = Math.max(-128, Math.min(127, Math.round(pkt.snrDb * 4)));
      this.regs[0x19] = snrQ & 0xff;
      const off = p.freqHz >= 779e6 ? -157 : -164;
      const raw = pkt.snrDb < 0 ? pkt.rssiDbm - off - snrQ / 4 : ((pkt.rssiDbm - off) * 15) / 16;
      this.regs[0x1a] = Math.max(0, Math.min(255, Math.round(raw)));
      if (this.mode === MODE_RXS) this.regs[0x01] = (this.regs[0x01]! & 0xf8) | MODE_STDBY;
      this.raise(0x40 | 0x10 | (pkt.crcError ? 0x20 : 0), 0x00);
    }, Math.max(0, e.startMs + toa - this.clock.now()));
    return true;
  }
}
