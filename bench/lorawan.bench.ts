// Throughput of the LoRaWAN core: what one gateway core can verify per second. Reads the frame from
// the golden vectors (a 25-byte kerb readings uplink) so the bench measures the tested path.
// `npm run bench -- lorawan [--ms N]` (default 1000 ms per figure).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { portableAes } from '../shared/lorawan/aes.ts';
import type { AesFactory } from '../shared/lorawan/aes.ts';
import { aesCmac } from '../shared/lorawan/cmac.ts';
import { decodeFrame } from '../shared/lorawan/frame.ts';
import { openFrame } from '../shared/lorawan/session.ts';
import type { Session } from '../shared/lorawan/session.ts';
import { decodeReadings } from '../shared/payload/kerb.ts';
import { nodeAes } from '../host/crypto.ts';

interface V { name: string; hex: string; nwkSKey: string; appSKey: string; fcnt32: number }

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

/** Runs fn in batches until ms have passed; returns operations per second. */
function rate(ms: number, batch: number, fn: () => void): number {
  for (let i = 0; i < batch; i++) fn(); // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(ms) * 1_000_000n;
  let t = t0;
  while (t < end) {
    for (let i = 0; i < batch; i++) fn();
    n += batch;
    t = process.hrtime.bigint();
  }
  return n / (Number(t - t0) / 1e9);
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(12);

export async function bench(argv: string[]): Promise<void> {
  const i = argv.indexOf('--ms');
  const ms = i >= 0 ? Number(argv[i + 1]) || 1000 : 1000;
  const vectors = JSON.parse(readFileSync(fileURLToPath(new URL('../test/vectors/lorawan-frames.json', import.meta.url)), 'utf8')) as { frames: V[] };
  const v = vectors.frames.find((f) => f.name === 'kerb-readings-uplink')!;
  const raw = hex(v.hex);
  const key = hex(v.nwkSKey);
  const block = new Uint8Array(16);
  const msg = new Uint8Array(32);
  let sink = 0;

  console.log(`frame: ${v.name}, ${raw.length} bytes (FPort 1, ${raw.length - 13}-byte kerb readings); ${ms} ms per figure`);
  console.log(`${'operation'.padEnd(58)}${'portableAes'.padStart(12)}${'nodeAes'.padStart(12)}  unit`);
  const row = (label: string, unit: string, f: (aes: AesFactory) => number): void => {
    console.log(`${label.padEnd(58)}${fmt(f(portableAes))}${fmt(f(nodeAes))}  ${unit}`);
  };
  row('AES-128 encrypt one block', 'blocks/s', (fac) => {
    const a = fac(key);
    return rate(ms, 1000, () => a.encryptBlock(block, 0, block, 0));
  });
  row('AES-128 key setup (nodeAes: cached per key)', 'keys/s', (fac) => rate(ms, 100, () => { sink += fac(key) ? 1 : 0; }));
  row('AES-CMAC of 32 bytes', 'tags/s', (fac) => {
    const a = fac(key);
    return rate(ms, 200, () => { sink += aesCmac(a, msg, 32)[0]; });
  });
  row('decodeFrame + MIC verify + decrypt', 'frames/s', (fac) => {
    const s: Session = { nwkSKey: fac(hex(v.nwkSKey)), appSKey: fac(hex(v.appSKey)) };
    return rate(ms, 200, () => {
      const f = decodeFrame(raw);
      if (typeof f === 'number') throw new Error('decode failed');
      const p = openFrame(s, raw, f, v.fcnt32);
      if (typeof p === 'number') throw new Error('MIC failed');
      sink += p[0];
    });
  });
  row('decodeFrame + MIC verify + decrypt + decodeReadings', 'frames/s', (fac) => {
    const s: Session = { nwkSKey: fac(hex(v.nwkSKey)), appSKey: fac(hex(v.appSKey)) };
    return rate(ms, 200, () => {
      const f = decodeFrame(raw) as Exclude<ReturnType<typeof decodeFrame>, number>;
      const p = openFrame(s, raw, f, v.fcnt32) as Uint8Array;
      const r = decodeReadings(p);
      if (typeof r === 'number') throw new Error('readings failed');
      sink += r.tempDeciC ?? 0;
    });
  });
  row('same, with session keys set up per frame', 'frames/s', (fac) => {
    const nk = hex(v.nwkSKey), ak = hex(v.appSKey);
    return rate(ms, 100, () => {
      const s: Session = { nwkSKey: fac(nk), appSKey: fac(ak) };
      const f = decodeFrame(raw) as Exclude<ReturnType<typeof decodeFrame>, number>;
      const p = openFrame(s, raw, f, v.fcnt32) as Uint8Array;
      const r = decodeReadings(p);
      sink += typeof r === 'number' ? 0 : 1;
    });
  });
  if (sink === 0.5) console.log(''); // keep results live so the JIT cannot drop the work
}
