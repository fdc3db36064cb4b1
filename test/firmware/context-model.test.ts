// The Espruino-globals model itself (sim/espruino): the behaviours the firmware tests rely on.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../sim/clock.ts';
import { FlashModel } from '../../sim/espruino/flash.ts';
import { EspruinoContext, EspruinoBoard, BOARD_MODELS } from '../../sim/espruino/context.ts';

function ctx(board = 'pico') {
  const clock = new VirtualClock(0);
  const flash = new FlashModel(BOARD_MODELS[board]!.storageBytes);
  return { clock, flash, c: new EspruinoContext({ clock, board: BOARD_MODELS[board]!, flash }) };
}

describe('Espruino context model', () => {
  it('built-ins Espruino lacks are absent; what it has works', () => {
    const { c } = ctx();
    c.run(`print(typeof Map, typeof Set, typeof Symbol, typeof Array.from, typeof [].at, typeof Math.trunc, typeof Promise.prototype.finally);
           print(typeof Uint8Array, typeof DataView, typeof Object.assign, typeof [].includes, typeof "a".padStart);`);
    expect(c.output).toEqual([
      'undefined undefined undefined undefined undefined undefined undefined',
      'function function function function function',
    ]);
    c.run('new Map();');
    expect(c.errors[0]).toMatch(/Map is not defined/);
  });

  it('an uncaught error in a timer is printed and the other timers keep running', () => {
    const { clock, c } = ctx();
    c.run(`var n = 0; setTimeout(function () { throw new Error('boom'); }, 10); setInterval(function () { n++; }, 100);`);
    clock.advance(1000);
    expect(c.errors.join()).toContain('boom');
    expect((c.ctx as unknown as { n: number }).n).toBe(10);
  });

  it('watchdog (isAuto=false): reboots unless kicked; EspruinoBoard boots .bootcde again', () => {
    const clock = new VirtualClock(0);
    const flash = new FlashModel(49152);
    const b = new EspruinoBoard({ clock, board: BOARD_MODELS.pico!, flash });
    b.flashAndBoot(`E.enableWatchdog(2, false); var kicks = 0; setInterval(function () { if (getTime() < 5) { E.kickWatchdog(); kicks++; } }, 1000);`);
    clock.advance(4000);
    expect(b.history).toHaveLength(1); // kicked every second
    clock.advance(10_000);
    expect(b.history.map((h) => h.reason)).toContain('watchdog');
    expect(b.boots).toBeGreaterThanOrEqual(2);
  });

  it('the console device swallows incoming bytes; other ports deliver them as binary strings', () => {
    const { clock, c } = ctx('pico');
    c.run(`var got = ''; USB.on('data', function (d) { got += d; }); Serial1.on('data', function (d) { got += '|' + d.length; });`);
    c.serial.USB!.inject(Uint8Array.of(0x41, 0x00, 0xff));
    c.serial.Serial1!.inject(Uint8Array.of(1, 2, 3));
    clock.advance(1);
    expect((c.ctx as unknown as { got: string }).got).toBe('|3'); // USB is the REPL at boot
    c.run(`LoopbackA.setConsole(true);`);
    c.serial.USB!.inject(Uint8Array.of(0x41, 0x00, 0xff));
    clock.advance(1);
    expect((c.ctx as unknown as { got: string }).got).toBe('|3A\u0000\u00ff');
  });

  it('Storage: offset writes program flash in place (bits only clear); rewrites journal', () => {
    const { c, flash } = ctx();
    c.run(`var s = require('Storage'); s.write('f', 'AB', 0, 4); s.write('f', 'CD', 2); print(s.read('f'));`);
    expect(c.output).toEqual(['ABCD']);
    expect(flash.bitViolations).toBe(0);
    c.run(`require('Storage').write('f', 'x', 1);`); // 'B' & 'x' would need 0→1 bits
    expect(flash.bitViolations).toBeGreaterThan(0);
    const free = flash.getFree();
    c.run(`require('Storage').write('f', 'new');`);
    expect(flash.trashBytes()).toBeGreaterThan(0);
    expect(flash.getFree()).toBeLessThan(free);
  });

  it('require("crypto").AES.encrypt ECB matches FIPS-197 C.1', () => {
    const { c } = ctx('puck');
    c.run(`var k = new Uint8Array([0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]);
           var m = new Uint8Array([0x00,0x11,0x22,0x33,0x44,0x55,0x66,0x77,0x88,0x99,0xaa,0xbb,0xcc,0xdd,0xee,0xff]);
           var o = new Uint8Array(require('crypto').AES.encrypt(m, k.buffer, { mode: 'ECB' }));
           var h = ''; for (var i = 0; i < 16; i++) h += (o[i] < 16 ? '0' : '') + o[i].toString(16); print(h);`);
    expect(c.output).toEqual(['69c4e0d86a7b0430d8cdb78070b4c55a']);
    c.run(`require('heatshrink');`);
    expect(c.errors.join()).toContain('Module heatshrink not found');
  });
});
