// FPort 10 command codec and the worked examples of docs/protocol.md §4.2.
import { describe, it, expect } from 'vitest';
import { applyCommands } from '../../../shared/node/commands.ts';
import {
  CMD_OK, CMD_ERR_UNKNOWN, CMD_ERR_LENGTH, CMD_ERR_VALUE, FX_SETTINGS, FX_STATUS, FX_REBOOT,
} from '../../../shared/node/constants.ts';
import { decodeFrame } from '../../../shared/lorawan/frame.ts';
import { openFrame } from '../../../shared/lorawan/session.ts';
import { downlink, session } from '../../helpers/node.ts';

const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
// Settings words: interval, PM2.5, PM10, noise thresholds, alert hold-off (shared/node/constants.ts S_*).
const base = (): Uint16Array => Uint16Array.from([300, 0, 0, 0, 900]);

describe('applyCommands', () => {
  it('applies a sequence', () => {
    const s = base();
    expect(applyCommands(h('01 5802 02 00 FA00 03'), s)).toBe(CMD_OK | ((FX_SETTINGS | FX_STATUS) << 8));
    expect(Array.from(s)).toEqual([600, 250, 0, 0, 900]);
    expect(applyCommands(h('02 01 F401 02 05 EE02 05 5802'), s)).toBe(CMD_OK | (FX_SETTINGS << 8));
    expect(Array.from(s)).toEqual([600, 250, 500, 750, 600]);
    expect(applyCommands(h('04 B0'), base())).toBe(CMD_OK | (FX_REBOOT << 8));
  });

  it.each([
    ['01 0500', CMD_ERR_VALUE],
    ['04 00', CMD_ERR_VALUE],
    ['01 5802 7F', CMD_ERR_UNKNOWN],
    ['02 03 2C01', CMD_ERR_VALUE],
    ['01 58', CMD_ERR_LENGTH],
    ['', CMD_ERR_LENGTH],
    ['00', CMD_ERR_UNKNOWN],
  ])('rejects %s', (hex, code) => {
    expect(applyCommands(h(hex), base()) & 255).toBe(code);
  });

  it('never throws on random bytes', () => {
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      const n = i % 20;
      const b = new Uint8Array(n);
      for (let j = 0; j < n; j++) { x = (x * 1103515245 + 12345) & 0x7fffffff; b[j] = x & 255; }
      const r = applyCommands(b, base()) & 255;
      expect(r >= 0 && r <= 3).toBe(true);
    }
  });
});

describe('docs/protocol.md §4.2 worked examples', () => {
  it('set interval + threshold + status request, FCnt 3', () => {
    const doc = h('60 DA1B0126 00 0300 0A 899A3435A7971C87 56C0329F');
    expect(downlink(3, 10, h('01 5802 02 00 FA00 03'))).toEqual(doc);
    const f = decodeFrame(doc);
    if (typeof f === 'number') throw new Error('decode');
    expect(openFrame(session, doc, f, 3)).toEqual(h('01580202 00FA0003'));
  });

  it('confirmed reboot, FCnt 4', () => {
    expect(downlink(4, 10, h('04 B0'), true)).toEqual(h('A0 DA1B0126 00 0400 0A D149 0FEF4559'));
  });
});
