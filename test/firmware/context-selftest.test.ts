// The self-test bundle in the context model: the board's require("crypto").AES seam must produce
// the same sealed frame as the portable AES, and the frame must verify with the gateway's path.
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { buildOne } from '../../firmware/build/build.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { FlashModel } from '../../sim/espruino/flash.ts';
import { EspruinoContext, BOARD_MODELS } from '../../sim/espruino/context.ts';
import { decodeFrame } from '../../shared/lorawan/frame.ts';
import { openFrame } from '../../shared/lorawan/session.ts';
import { decodeReadings } from '../../shared/payload/kerb.ts';
import { nodeAes } from '../../host/crypto.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('selftest bundle in the Espruino context model', () => {
  for (const board of ['puck', 'esp32']) {
    it(`${board}: hardware AES seam agrees with the portable AES and the frame verifies`, async () => {
      const r = await buildOne(root, board, 'selftest');
      const ctx = new EspruinoContext({ clock: new VirtualClock(0), board: BOARD_MODELS[board]!, flash: new FlashModel(40960) });
      ctx.run(r.code);
      expect(ctx.errors).toEqual([]);
      expect(ctx.output).toContain('SELFTEST OK');
      const hex = ctx.output.find((l) => l.startsWith('frame '))!.slice(6);
      const raw = Buffer.from(hex, 'hex');
      const f = decodeFrame(raw);
      if (typeof f === 'number') throw new Error(`decode ${f}`);
      const plain = openFrame({ nwkSKey: nodeAes(Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex')), appSKey: nodeAes(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex')) }, raw, f, 1);
      if (typeof plain === 'number') throw new Error(`MIC ${plain}`);
      expect(decodeReadings(plain)).toMatchObject({ tempDeciC: 215, pm25DeciUgm3: 123, batteryMv: 3710 });
    });
  }

  it('a board without crypto.AES and a KERB_HW_AES build reports it instead of crashing', async () => {
    const r = await buildOne(root, 'puck', 'selftest');
    const ctx = new EspruinoContext({ clock: new VirtualClock(0), board: { ...BOARD_MODELS.puck!, crypto: 'sha' }, flash: new FlashModel(40960) });
    ctx.run(r.code);
    expect(ctx.errors).toEqual([]);
    expect(ctx.output.join('\n')).toContain('no hardware AES');
  });
});
