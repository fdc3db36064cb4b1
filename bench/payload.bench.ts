// Payload and serial-link codec throughput (V8). Figures only; nothing asserts on time.
import { encodeReadings, decodeReadings } from '../shared/payload/kerb.ts';
import { decodeLpp } from '../shared/payload/lpp.ts';
import { decodeUplink } from '../shared/payload/formatter.ts';
import { encodeLinkMessage, createDeframer, LINK_RX, type LinkMessage } from '../shared/link/link.ts';
import { timeOnAirMs } from '../shared/lorawan/airtime.ts';

function rate(label: string, n: number, fn: (i: number) => void, unit = 'ops/s'): void {
  for (let i = 0; i < Math.min(n, 10000); i++) fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label.padEnd(44)} ${(n / s).toFixed(0).padStart(12)} ${unit}`);
}

export async function bench(_argv: string[]): Promise<void> {
  const ref = { pm25DeciUgm3: 123, pm10DeciUgm3: 250, tempDeciC: 184, rhHalfPct: 130, pressureDeciHpa: 10132, noiseDeciDb: 625, batteryMv: 3710 };
  const frame = encodeReadings(ref);
  const arr = [...frame];
  const lpp = Uint8Array.from([1, 2, 4, 206, 2, 2, 9, 196, 3, 103, 0, 184, 4, 104, 130, 5, 115, 39, 148, 6, 2, 24, 106, 7, 116, 1, 115]);
  let sink = 0;
  console.log(`reference message: kerb ${frame.length} B, Cayenne LPP ${lpp.length} B; SF12 time on air with 13 B LoRaWAN overhead: ` +
    `${timeOnAirMs(12, 125000, 1, 13 + frame.length, 8, true, true).toFixed(1)} ms vs ${timeOnAirMs(12, 125000, 1, 13 + lpp.length, 8, true, true).toFixed(1)} ms`);
  rate('encodeReadings (reference message)', 500_000, () => { sink += encodeReadings(ref).length; });
  rate('decodeReadings (reference message)', 500_000, () => { const r = decodeReadings(frame); if (typeof r !== 'number') sink += r.tempDeciC!; });
  rate('decodeLpp (reference message as LPP)', 500_000, () => { const r = decodeLpp(lpp); if (typeof r !== 'number') sink += r.length; });
  rate('formatter decodeUplink (FPort 1)', 300_000, () => { sink += decodeUplink({ bytes: arr, fPort: 1 }).errors.length; });
  const rx: LinkMessage = { type: LINK_RX, seq: 1, payload: new Uint8Array(25).fill(0x42), rssiDbm: -100, snrDb: 5.5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: 1 };
  rate('encodeLinkMessage (RxPacket, 25 B payload)', 300_000, () => { sink += encodeLinkMessage(rx).length; });
  const one = encodeLinkMessage(rx);
  const stream = new Uint8Array(one.length * 1000);
  for (let i = 0; i < 1000; i++) stream.set(one, i * one.length);
  let got = 0;
  const d = createDeframer(() => { got++; }, () => {});
  const reps = 200;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) for (let o = 0; o < stream.length; o += 64) d.push(stream.subarray(o, o + 64));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${'deframer (64-byte chunks)'.padEnd(44)} ${(got / s).toFixed(0).padStart(12)} frames/s  ${((stream.length * reps) / s / 1e6).toFixed(1)} MB/s`);
  if (sink === -1) console.log(sink);
}
