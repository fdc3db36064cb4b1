// Trace export: JSON lines for tools and diffing, pcap with the LoRaTap link
// type for Wireshark/tshark. Both are pure functions of the event stream, so the same seed gives
// byte-identical files.
import { openSync, writeSync, closeSync } from 'node:fs';
import type { TraceEvent, TraceSink } from './fleet.ts';

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** One JSON object per line; numbers rounded to fixed precision so output is stable across platforms. */
export function traceLine(e: TraceEvent): string {
  switch (e.ev) {
    case 'up':
      return JSON.stringify({
        ev: 'up', t: r3(e.t), end: r3(e.end), frame: e.frame, node: e.node, fcnt: e.fcnt, freq: e.freq, sf: e.sf, phy: hex(e.phy),
        rx: e.rx.map((r) => (r.ok ? { gw: r.gw, rssi: r1(r.rssiDbm), snr: r1(r.snrDb), ok: true } : { gw: r.gw, rssi: r1(r.rssiDbm), ok: false, reason: r.reason })),
      });
    case 'down':
      return JSON.stringify({ ev: 'down', t: r3(e.t), end: r3(e.end), gw: e.gw, node: e.node, freq: e.freq, sf: e.sf, phy: hex(e.phy), delivered: e.delivered });
    default:
      return JSON.stringify({ ...e, t: r3(e.t) });
  }
}

/** Buffers writes: one syscall per ~64 kB. A file is either all text or all bytes. */
class FileOut {
  private fd: number;
  private buf: string[] = [];
  private bin: Uint8Array[] = [];
  private size = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(s: string | Uint8Array): void {
    if (typeof s === 'string') this.buf.push(s);
    else this.bin.push(s);
    this.size += s.length;
    if (this.size > 65536) this.flush();
  }
  flush(): void {
    if (this.buf.length) writeSync(this.fd, this.buf.join(''));
    if (this.bin.length) writeSync(this.fd, Buffer.concat(this.bin));
    this.buf = [];
    this.bin = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export class JsonlTrace implements TraceSink {
  private out: FileOut;
  constructor(path: string) {
    this.out = new FileOut(path);
  }
  event(e: TraceEvent): void {
    this.out.write(traceLine(e) + '\n');
  }
  close(): void {
    this.out.close();
  }
}

/** Calls back with each line (tests hash these). */
export class LineTrace implements TraceSink {
  constructor(private readonly cb: (line: string) => void) {}
  event(e: TraceEvent): void {
    this.cb(traceLine(e));
  }
}

/** tcpdump link-layer header type LINKTYPE_LORATAP (tcpdump.org/linktypes.html). */
export const LINKTYPE_LORATAP = 270;
/** LoRaWAN public-network sync word; the Wireshark LoRaTap dissector hands such frames to LoRaWAN. */
export const SYNC_WORD_LORAWAN = 0x34;

/**
 * LoRaTap v0 header (github.com/eriknl/LoRaTap, 15 bytes, multi-byte fields big-endian):
 * version(1)=0 | padding(1) | length(2) | frequency Hz(4) | bandwidth in 125 kHz units(1) | sf(1) |
 * packet_rssi(1) | max_rssi(1) | current_rssi(1) (each dBm + 139, 0..255) | snr(1) (dB × 4, signed) |
 * sync_word(1).
 */
export function loratapHeader(freqHz: number, bwHz: number, sf: number, rssiDbm: number, snrDb: number): Uint8Array {
  const h = new Uint8Array(15);
  const v = new DataView(h.buffer);
  v.setUint8(0, 0);
  v.setUint16(2, 15);
  v.setUint32(4, freqHz);
  v.setUint8(8, Math.max(1, Math.round(bwHz / 125000)));
  v.setUint8(9, sf);
  const rs = Math.max(0, Math.min(255, Math.round(rssiDbm + 139)));
  v.setUint8(10, rs);
  v.setUint8(11, rs);
  v.setUint8(12, rs);
  v.setInt8(13, Math.max(-128, Math.min(127, Math.round(snrDb * 4))));
  v.setUint8(14, SYNC_WORD_LORAWAN);
  return h;
}

/**
 * pcap (classic libpcap format, microsecond timestamps) of what the gateways heard and sent: one
 * record per uplink decoded by at least one gateway (metadata of the strongest reception) and one
 * per downlink transmitted. Timestamps are the scenario start plus virtual time.
 */
export class PcapTrace implements TraceSink {
  private out: FileOut;
  constructor(path: string, private readonly startEpochMs: number) {
    this.out = new FileOut(path);
    const g = new DataView(new ArrayBuffer(24));
    g.setUint32(0, 0xa1b2c3d4, true);
    g.setUint16(4, 2, true);
    g.setUint16(6, 4, true);
    g.setInt32(8, 0, true);
    g.setUint32(12, 0, true);
    g.setUint32(16, 65535, true);
    g.setUint32(20, LINKTYPE_LORATAP, true);
    this.out.write(new Uint8Array(g.buffer));
  }

  private record(tMs: number, hdr: Uint8Array, phy: Uint8Array): void {
    const us = Math.round((this.startEpochMs + tMs) * 1000);
    const len = hdr.length + phy.length;
    const rec = new Uint8Array(16 + len);
    const v = new DataView(rec.buffer);
    v.setUint32(0, Math.floor(us / 1e6), true);
    v.setUint32(4, us % 1e6, true);
    v.setUint32(8, len, true);
    v.setUint32(12, len, true);
    rec.set(hdr, 16);
    rec.set(phy, 16 + hdr.length);
    this.out.write(rec);
  }

  event(e: TraceEvent): void {
    if (e.ev === 'up') {
      let best = null;
      for (const r of e.rx) if (r.ok && (!best || r.rssiDbm > best.rssiDbm)) best = r;
      if (!best) return;
      this.record(e.end, loratapHeader(e.freq, 125000, e.sf, best.rssiDbm, best.snrDb), e.phy);
    } else if (e.ev === 'down') {
      this.record(e.t, loratapHeader(e.freq, 125000, e.sf, 0, 0), e.phy);
    }
  }

  close(): void {
    this.out.close();
  }
}
