// Chip stand-ins for the host build of the real Espruino interpreter, written in Espruino JS and
// stored as Storage ".boot0", which the interpreter runs before ".bootcde" at every boot
// (Espruino src/jsflash.c jsfLoadBootCodeFromFlash). They replace only what the Linux build cannot
// reach (its SPI1/I2C1/Serial ports talk to nothing, it has no NRF, no setDeepSleep, no analogRead
// input, pins D0..D32 only); the interpreter, Storage, timers and crypto stay the real ones.
// The host prepends `var KH_CFG={...};` (sim/espruino-host/prelude.ts) and talks to this file over
// a pseudo-terminal opened as Serial6, so the firmware's console (stdin/stdout) stays untouched:
// a locked or moved console does not cut the harness off.
//
// Device -> host lines on the channel: "K <tag> <fields...>\n".
// Host -> device lines: "<id> <JavaScript>\n", answered "K r <id> <JSON>" or "K e <id> <message>".
// Plain ES5: this runs on the same interpreter as the firmware.
var KH = { pk: 0, ps: 0, buf: '', t0: 0 };
(function () {
  var C = KH_CFG;
  var ch = Serial6;
  ch.setup(115200, { path: C.ch });
  function out(s) { ch.write(s + '\n'); }
  function hex(b, n) {
    var s = '';
    for (var i = 0; i < n; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }
  function unhex(s) {
    var b = new Uint8Array(s.length >> 1);
    for (var i = 0; i < b.length; i++) b[i] = parseInt(s.substr(i * 2, 2), 16);
    return b;
  }
  function now() { return getTime(); }
  // Peak-heap sampler: called at every bus access (where the firmware's deepest call stacks are:
  // building, sealing and sending a frame) and from a 50 ms interval. process.memory(false) skips
  // the garbage collection, so garbage not yet freed counts, as it does on the board.
  function pk() {
    var u = process.memory(false).usage;
    if (u > KH.pk) KH.pk = u;
    KH.ps++;
  }
  KH.out = out;
  KH.hex = hex;
  KH.unhex = unhex;
  KH.sample = pk;

  // ---- pins: the Pico's A/B port names do not exist on the Linux build; give each a distinct
  // D pin so pin identity still tells the lines apart. Digital I/O is modelled here instead of
  // reaching the Linux build's sysfs GPIO (which would drive a real machine's pins).
  if (C.ab) {
    for (var pi = 0; pi < 16; pi++) {
      global['A' + pi] = Pin(pi);
      global['B' + pi] = Pin(16 + pi);
    }
  }
  function pin(n) {
    if (!n) return undefined;
    if (C.ab && (n[0] === 'A' || n[0] === 'B')) return Pin((n[0] === 'B' ? 16 : 0) + parseInt(n.substr(1), 10));
    return Pin(n);
  }
  var NSS = pin(C.nss), RST = pin(C.rst), DIO0 = pin(C.dio0);
  var level = {};
  global.digitalWrite = function (p, v) {
    level[p] = v ? 1 : 0;
    if (p === RST && !v) sx.reset(); // SX1276 §7.2.2: NRESET low resets the chip
  };
  global.digitalRead = function (p) { return level[p] || 0; };
  global.pinMode = function () {};

  // ---- SX1276 LoRa modem on SPI1 (Semtech SX1276/77/78/79 datasheet rev. 7) ----
  // Register map §6.4; FIFO with RegFifoAddrPtr auto-increment §4.1.2.3; burst access with address
  // auto-increment except on RegFifo §4.3; LongRangeMode writable only in SLEEP (RegOpMode);
  // TX -> TxDone after the time on air §4.1.1.7, then STDBY §4.1.6.2; RXSINGLE -> RxTimeout after
  // RegSymbTimeout symbols, then STDBY; RXCONTINUOUS stays in RX §4.1.6.3; RegIrqFlags
  // write-1-to-clear; DIO0 mapping in RegDioMapping1 bits 7..6 (Table 18: 00 RxDone, 01 TxDone);
  // RegPktSnrValue / RegPktRssiValue §5.5.5. The air is the host: TX bytes go out as "K tx", and
  // the host puts packets on the air with KH.air(); a packet is received only by a matching
  // receiver that is listening while at least 5 of its 12.25 preamble symbols remain.
  var BW = [7800, 10400, 15600, 20800, 31250, 41700, 62500, 125000, 250000, 500000];
  var sx = {
    r: new Uint8Array(128), f: new Uint8Array(256), tm: 0, rxt: 0, busy: 0, air: [], w: 0,
    absent: 0,
    reset: function () {
      var r = sx.r;
      r.fill(0);
      r[1] = 0x09; r[6] = 0x6c; r[7] = 0x80; r[9] = 0x4f; r[0x0b] = 0x2b; r[0x0c] = 0x20;
      r[0x0e] = 0x80; r[0x1d] = 0x72; r[0x1e] = 0x70; r[0x1f] = 0x64; r[0x21] = 0x08; r[0x22] = 0x01;
      r[0x23] = 0xff; r[0x31] = 0xc3; r[0x33] = 0x27; r[0x37] = 0x0a; r[0x39] = 0x12; r[0x3b] = 0x1d;
      r[0x42] = 0x12; r[0x4d] = 0x84;
      sx.cancel();
    },
    cancel: function () {
      if (sx.tm) clearTimeout(sx.tm);
      if (sx.rxt) clearTimeout(sx.rxt);
      sx.tm = 0; sx.rxt = 0; sx.busy = 0;
    },
    mode: function () { return sx.r[1] & 7; },
    lora: function () { return (sx.r[1] & 0x80) !== 0; },
    freq: function () { var r = sx.r; return Math.round((r[6] * 65536 + r[7] * 256 + r[8]) * 32e6 / 524288); },
    bw: function () { return BW[sx.r[0x1d] >> 4] || 125000; },
    sf: function () { return sx.r[0x1e] >> 4; },
    tsym: function (sf, bw) { return Math.pow(2, sf) / bw; },
    // §4.1.1.7: T = (Npre + 4.25) Tsym + (8 + max(ceil((8PL - 4SF + 28 + 16CRC - 20IH) / (4(SF - 2DE))) (CR + 4), 0)) Tsym
    toa: function (sf, bw, cr, len, pre, ih, crc, de) {
      var ts = Math.pow(2, sf) / bw;
      var n = Math.ceil((8 * len - 4 * sf + 28 + 16 * crc - 20 * ih) / (4 * (sf - 2 * de))) * (cr + 4);
      return (pre + 4.25) * ts + (8 + (n > 0 ? n : 0)) * ts;
    },
    raise: function (flag, map) {
      sx.r[0x12] |= flag;
      if ((sx.r[0x40] & 0xc0) === map && sx.w) sx.w(now());
    },
    rd: function (a) {
      if (a === 0) { var v = sx.f[sx.r[0x0d]]; sx.r[0x0d] = (sx.r[0x0d] + 1) & 255; return v; }
      return sx.r[a];
    },
    wr: function (a, v) {
      var r = sx.r;
      if (a === 0) { sx.f[r[0x0d]] = v; r[0x0d] = (r[0x0d] + 1) & 255; return; }
      if (a === 0x12) { r[0x12] &= ~v; return; }
      if (a === 0x42 || a === 0x10 || a === 0x13 || a === 0x19 || a === 0x1a || a === 0x1b) return;
      if (a === 1) {
        var old = r[1];
        if ((old & 7) !== 0 && (v & 0x80) !== (old & 0x80)) v = (v & 0x7f) | (old & 0x80);
        r[1] = v;
        var m = v & 7;
        if (m !== (old & 7) || m === 3 || m === 6) sx.enter(m);
        return;
      }
      r[a] = v;
    },
    enter: function (m) {
      sx.cancel();
      if (!sx.lora()) return;
      var r = sx.r;
      if (m === 3) {
        var len = r[0x22], base = r[0x0e], sf = sx.sf(), bw = sx.bw(), cr = (r[0x1d] >> 1) & 7;
        var p = new Uint8Array(len);
        for (var i = 0; i < len; i++) p[i] = sx.f[(base + i) & 255];
        var t = sx.toa(sf, bw, cr, len, r[0x20] * 256 + r[0x21], r[0x1d] & 1, (r[0x1e] >> 2) & 1, (r[0x26] >> 3) & 1);
        var pa = r[9];
        var dbm = (pa & 0x80) ? 2 + (pa & 0x0f) + (r[0x4d] === 0x87 ? 3 : 0) : -1 + (pa & 0x0f);
        // fields: start time (s), time on air (s), Hz, SF, BW, CR, IQ inverted (RegInvertIQ bit 0
        // clear = TX path inverted), CRC on, sync word, dBm, bytes
        out('K tx ' + now() + ' ' + t + ' ' + sx.freq() + ' ' + sf + ' ' + bw + ' ' + cr + ' ' + ((r[0x33] & 1) ? 0 : 1) + ' ' + ((r[0x1e] >> 2) & 1) + ' ' + r[0x39] + ' ' + dbm + ' ' + hex(p, len));
        p = undefined;
        sx.tm = setTimeout(function () {
          sx.tm = 0;
          sx.r[1] = (sx.r[1] & 0xf8) | 1;
          out('K txdone ' + now());
          sx.raise(0x08, 0x40);
        }, t * 1000);
      } else if (m === 5 || m === 6) {
        out('K rx ' + now() + ' ' + m + ' ' + sx.freq() + ' ' + sx.sf() + ' ' + ((r[0x33] & 0x40) ? 1 : 0) + ' ' + (((r[0x1e] & 3) << 8) | r[0x1f]));
        sx.pending();
        if (m === 6 && !sx.busy) {
          var sym = ((r[0x1e] & 3) << 8) | r[0x1f];
          sx.tm = setTimeout(function () {
            sx.tm = 0;
            if (sx.busy) return;
            sx.r[1] = (sx.r[1] & 0xf8) | 1;
            out('K rxtimeout ' + now());
            sx.raise(0x80, 0xc0); // RxTimeout is on DIO1, never DIO0
          }, sym * sx.tsym(sx.sf(), sx.bw()) * 1000);
        }
      }
    },
    // Why this chip cannot receive packet a now, or '' when it can.
    why: function (a) {
      var m = sx.mode();
      if (!sx.lora() || (m !== 5 && m !== 6)) return 'not-in-rx';
      if (sx.busy) return 'busy';
      if (Math.abs(a.fq - sx.freq()) > 2000) return 'frequency';
      if (a.sf !== sx.sf() || a.bw !== sx.bw()) return 'sf-bw';
      if (a.iq !== ((sx.r[0x33] & 0x40) ? 1 : 0)) return 'iq';
      if (sx.r[0x39] !== 0x34) return 'syncword';
      return '';
    },
    pending: function () {
      var t = now();
      for (var i = 0; i < sx.air.length; i++) {
        var a = sx.air[i];
        if (t >= a.at && t <= a.by && sx.why(a) === '') {
          sx.air.splice(i, 1);
          sx.lock(a);
          return;
        }
      }
    },
    lock: function (a) {
      sx.busy = 1;
      if (sx.mode() === 6 && sx.tm) { clearTimeout(sx.tm); sx.tm = 0; }
      out('K lock ' + now() + ' ' + a.id);
      var r = sx.r;
      var t = sx.toa(a.sf, a.bw, (r[0x1d] >> 1) & 7, a.b.length, 8, 0, a.iq ? 0 : 1, sx.tsym(a.sf, a.bw) > 0.016 ? 1 : 0);
      sx.rxt = setTimeout(function () {
        sx.rxt = 0;
        sx.busy = 0;
        var m = sx.mode();
        if (!sx.lora() || (m !== 5 && m !== 6)) { out('K missed ' + a.id + ' left-rx'); return; }
        var start = m === 6 ? r[0x0f] : (r[0x10] + r[0x13]) & 255;
        for (var i = 0; i < a.b.length; i++) sx.f[(start + i) & 255] = a.b[i];
        r[0x10] = start;
        r[0x13] = a.b.length;
        var q = Math.max(-128, Math.min(127, Math.round(a.snr * 4)));
        r[0x19] = q & 255;
        var off = sx.freq() >= 779e6 ? -157 : -164;
        var raw = a.snr < 0 ? a.rssi - off - q / 4 : (a.rssi - off) * 15 / 16;
        r[0x1a] = Math.max(0, Math.min(255, Math.round(raw)));
        if (m === 6) r[1] = (r[1] & 0xf8) | 1;
        out('K rxdone ' + now() + ' ' + a.id);
        sx.raise(0x40 | 0x10 | (a.crc ? 0x20 : 0), 0x00);
      }, Math.max(0, a.at + t - now()) * 1000);
    },
    xfer: function (d) {
      var o = new Uint8Array(d.length);
      if (sx.absent) { o.fill(0xff); return o; }
      var w = (d[0] & 0x80) !== 0, a = d[0] & 0x7f;
      for (var i = 1; i < d.length; i++) {
        if (w) sx.wr(a, d[i]); else o[i] = sx.rd(a);
        if (a !== 0) a = (a + 1) & 0x7f;
      }
      return o;
    }
  };
  sx.reset();
  KH.sx = sx;
  // A packet on the air: its preamble starts at `at` (getTime() seconds); lockable until 5 of the
  // Npre + 4.25 = 12.25 preamble symbols are left (Bor et al. 2016, as sim/medium.ts).
  KH.air = function (id, h, fq, sf, bw, iq, rssi, snr, at, crc) {
    var ts = Math.pow(2, sf) / bw;
    var a = { id: id, b: unhex(h), fq: fq, sf: sf, bw: bw, iq: iq, rssi: rssi, snr: snr, at: at, by: at + (8 + 4.25 - 5) * ts, crc: crc };
    sx.air.push(a);
    setTimeout(function () {
      var i = sx.air.indexOf(a);
      if (i < 0) return;
      var why = sx.why(a);
      if (why === '') { sx.air.splice(i, 1); sx.lock(a); return; }
      setTimeout(function () {
        var j = sx.air.indexOf(a);
        if (j >= 0) { sx.air.splice(j, 1); out('K missed ' + id + ' ' + sx.why(a)); }
      }, (a.by - now()) * 1000 + 1);
    }, Math.max(0, at - now()) * 1000);
  };
  // Built-in peripheral objects are replaced by plain assignment (`global.SPI1 = ...` does not
  // shadow them on 2v29); built-in functions by assignment to `global`.
  SPI1 = {
    setup: function () {},
    send: function (d, nss) {
      pk();
      if (nss !== NSS || typeof d !== 'object') {
        // Nothing selected on this bus: MISO reads high (no pull-down on the module's line).
        var o = new Uint8Array(typeof d === 'object' ? d.length : 1);
        o.fill(0xff);
        return typeof d === 'object' ? o : 0xff;
      }
      return sx.xfer(d);
    }
  };

  // ---- DIO0 edges through setWatch (the firmware's irq HAL) ----
  var nativeWatch = setWatch, nativeClear = clearWatch, wid = 0;
  global.setWatch = function (cb, p, o) {
    if (p !== DIO0) return nativeWatch(cb, p, o);
    var id = 9000 + (++wid);
    var last = now();
    sx.w = function (t) {
      var e = { state: true, time: t, lastTime: last };
      last = t;
      setTimeout(function () { if (sx.w) cb(e); }, 0);
    };
    sx.wid = id;
    return id;
  };
  global.clearWatch = function (id) {
    if (id === undefined || id === sx.wid) { sx.w = 0; sx.wid = 0; }
    if (id === undefined || id < 9000) nativeClear(id);
  };

  // ---- BME280 on I2C1 (Bosch BST-BME280-DS002): chip id 0xD0 = 0x60 (§5.4.1), trimming
  // parameters at 0x88..0xA1 and 0xE1..0xE7 (§4.2.2, given by the host from a real part),
  // ctrl_hum 0xF2 / status 0xF3 / ctrl_meas 0xF4 / config 0xF5 (§5.4.3..6), data 0xF7..0xFE
  // (§5.4.7..9) reading 0x80000/0x8000 until the first measurement (§5.3). Forced mode (§3.3.3):
  // writing mode 01/10 to ctrl_meas measures once, publishes after t_measure (§9.1, ~8 ms at x1)
  // and returns to sleep. The ADC counts come from the host (KH.thp), computed from an environment
  // by inverting the datasheet's compensation; each measurement adds the part's LSB noise.
  var bme = { r: new Uint8Array(256), ptr: 0, adc: C.adc, absent: 0, n: 0, lcg: 12345, pub: 0 };
  for (var ci = 0; ci < 33; ci++) bme.r[ci < 26 ? 0x88 + ci : 0xe1 + ci - 26] = C.cal[ci];
  bme.r[0xd0] = 0x60;
  bme.r.set([0x80, 0, 0, 0x80, 0, 0, 0x80, 0], 0xf7);
  function noise() {
    bme.lcg = (bme.lcg * 1103515245 + 12345) % 2147483648;
    return (bme.lcg >> 16) % 3 - 1;
  }
  function measure() {
    bme.n++;
    var t = bme.adc[0] + noise(), p = bme.adc[1] + noise(), h = bme.adc[2] + noise();
    bme.r[0xf3] = 0x08;
    if (bme.pub) clearTimeout(bme.pub);
    bme.pub = setTimeout(function () {
      bme.pub = 0;
      bme.r.set([p >> 12, (p >> 4) & 255, (p & 15) << 4, t >> 12, (t >> 4) & 255, (t & 15) << 4, h >> 8, h & 255], 0xf7);
      bme.r[0xf3] = 0;
    }, 8);
  }
  KH.bme = bme;
  KH.thp = function (t, p, h) { bme.adc = [t, p, h]; };
  function nack(a) {
    // Espruino's I2C throws on a missing acknowledge; the firmware catches it (hal/bus.ts).
    throw new Error('I2C got NACK from 0x' + a.toString(16));
  }
  I2C1 = {
    setup: function () {},
    writeTo: function (a, d) {
      pk();
      if (typeof a === 'object') a = a.address;
      if (a !== 0x76 || bme.absent) nack(a);
      if (typeof d === 'number') d = [d];
      if (!d.length) return;
      bme.ptr = d[0];
      for (var i = 0; i + 1 < d.length; i += 2) {
        var reg = d[i], v = d[i + 1];
        if (reg === 0xf2 || reg === 0xf4 || reg === 0xf5) bme.r[reg] = v;
        if (reg === 0xf4 && (v & 3) !== 0 && (v & 3) !== 3) measure();
      }
    },
    readFrom: function (a, n) {
      pk();
      if (typeof a === 'object') a = a.address;
      if (a !== 0x76 || bme.absent) nack(a);
      var o = new Uint8Array(n);
      for (var i = 0; i < n; i++) o[i] = bme.r[(bme.ptr + i) & 255];
      bme.ptr = (bme.ptr + n) & 255;
      return o;
    }
  };

  // ---- A serial port whose other end is modelled here (PMS5003) or is the host (the bridge's
  // link to the gateway). Espruino delivers received bytes as 'data' events with a string.
  function port(onWrite) {
    var s = { l: [], setup: function () {} };
    s.write = function (d) {
      pk();
      if (typeof d === 'string') { var b = new Uint8Array(d.length); for (var i = 0; i < d.length; i++) b[i] = d.charCodeAt(i); d = b; }
      onWrite(d);
    };
    s.print = function (t) { s.write(String(t)); };
    s.on = function (ev, cb) { if (ev === 'data') s.l.push(cb); };
    s.removeAllListeners = function () { s.l = []; };
    s.emit = function (str) { for (var i = 0; i < s.l.length; i++) s.l[i](str); };
    return s;
  }
  function str(b) {
    var t = '';
    for (var i = 0; i < b.length; i++) t += String.fromCharCode(b[i]);
    return t;
  }

  // ---- Plantower PMS5003 (manual V2.3): 32-byte frames 0x42 0x4D, frame length 28, data 1..13
  // big-endian (1..3 PM1/2.5/10 CF=1, 4..6 atmospheric, 7..12 particle counts per 0.1 L), check
  // code = sum of bytes 0..29 (Appendix I); 7-byte commands 0x42 0x4D cmd dataH dataL LRC
  // (Appendix II): 0xE1 mode (0 passive, 1 active), 0xE2 read in passive mode, 0xE4 sleep (0) /
  // wake (1). Active mode sends a frame every second while awake. The fan needs 30 s after wake
  // for stable data: earlier frames read low in proportion.
  if (C.pms) {
    var pm = { on: 1, act: 1, woke: now(), pm: C.pm, absent: 0, rx: [], tm: 0, lcg: 777, frames: 0 };
    var frame = function () {
      var fan = Math.min(1, (now() - pm.woke) / 30);
      var v = [pm.pm[0] * fan, pm.pm[1] * fan, pm.pm[2] * fan];
      pm.lcg = (pm.lcg * 1103515245 + 12345) % 2147483648;
      var jit = (pm.lcg >> 16) % 7;
      var w = [v[0], v[1], v[2], v[0], v[1], v[2], v[1] * 60 + 200 + jit, v[1] * 18 + 60 + jit, v[1] * 3 + 8, v[2] * 0.4, v[2] * 0.1, v[2] * 0.02, 0];
      var b = new Uint8Array(32);
      b[0] = 0x42; b[1] = 0x4d; b[3] = 28;
      var sum = 0;
      for (var k = 0; k < 13; k++) { var x = Math.round(w[k]); b[4 + 2 * k] = x >> 8; b[5 + 2 * k] = x & 255; }
      for (var j = 0; j < 30; j++) sum += b[j];
      b[30] = (sum >> 8) & 255; b[31] = sum & 255;
      return b;
    };
    var send = function (b) {
      if (pm.absent) return;
      pm.frames++;
      // 9600 baud: ~1 ms per byte; deliver as one chunk after the wire time.
      var s = str(b);
      setTimeout(function () { pms.emit(s); }, b.length);
    };
    var sched = function () {
      if (pm.tm) clearTimeout(pm.tm);
      pm.tm = 0;
      if (pm.on && pm.act) pm.tm = setTimeout(function () { pm.tm = 0; send(frame()); sched(); }, 1000);
    };
    var ack = function (cmd, d) {
      var b = new Uint8Array([0x42, 0x4d, 0, 4, cmd, d, 0, 0]);
      var s = 0x42 + 0x4d + 4 + cmd + d;
      b[6] = s >> 8; b[7] = s & 255;
      send(b);
    };
    var pms = port(function (d) {
      for (var i = 0; i < d.length; i++) {
        var c = d[i];
        if (pm.rx.length === 0 && c !== 0x42) continue;
        if (pm.rx.length === 1 && c !== 0x4d) { pm.rx = c === 0x42 ? [c] : []; continue; }
        pm.rx.push(c);
        if (pm.rx.length < 7) continue;
        var r = pm.rx;
        pm.rx = [];
        if (((r[5] << 8) | r[6]) !== r[0] + r[1] + r[2] + r[3] + r[4]) continue;
        var v = (r[3] << 8) | r[4];
        if (r[2] === 0xe4) {
          if (v && !pm.on) pm.woke = now();
          pm.on = v ? 1 : 0;
          if (!v) ack(0xe4, 0);
        } else if (!pm.on) {
          continue;
        } else if (r[2] === 0xe1) {
          pm.act = v ? 1 : 0;
          ack(0xe1, v);
        } else if (r[2] === 0xe2 && !pm.act) {
          send(frame());
        }
        sched();
      }
    });
    sched();
    KH.pm = pm;
    Serial2 = pms; // the only PMS port kerb wires (boards/pico.ts)
  }

  // ---- The bridge's link to the gateway: bytes go to the host as "K ln <hex>", the host's bytes
  // arrive through KH.ln(). USB on the Pico (the Pi is the USB host), Serial1 on a Puck.js.
  if (C.link) {
    var link = port(function (d) { out('K ln ' + hex(d, d.length)); });
    KH.ln = function (h) { var b = unhex(h); link.emit(str(b)); };
    if (C.link === 'USB') USB = link; else Serial1 = link;
  }

  // ---- Analog inputs: fractions of the ADC reference set by the host, keyed by pin name. ----
  KH.adc = {};
  for (var an in C.adcIn) KH.adc[pin(an)] = C.adcIn[an];
  global.analogRead = function (p) { pk(); var v = KH.adc[p]; return v === undefined ? 0 : v; };

  // ---- What the Linux build lacks: recorded, so the host can see the firmware's calls. ----
  KH.batt = C.batt;
  if (C.nrf) {
    global.NRF = {
      getBattery: function () { return KH.batt; },
      setServices: function (a, b) { out('K nrf setServices ' + JSON.stringify([a, b])); },
      sleep: function () { out('K nrf sleep'); },
      disconnect: function () { out('K nrf disconnect'); }
    };
  }
  if (typeof setDeepSleep === 'undefined') global.setDeepSleep = function (v) { KH.deep = v; };

  // ---- host commands ----
  ch.on('data', function (d) {
    KH.buf += d;
    var i;
    while ((i = KH.buf.indexOf('\n')) >= 0) {
      var line = KH.buf.substr(0, i);
      KH.buf = KH.buf.substr(i + 1);
      var sp = line.indexOf(' ');
      var id = line.substr(0, sp);
      try {
        out('K r ' + id + ' ' + JSON.stringify(eval(line.substr(sp + 1))));
      } catch (e) {
        out('K e ' + id + ' ' + String(e).split('\n')[0]);
      }
    }
  });
  KH.iv = setInterval(pk, 50);
  KH.t0 = now();
})();
// The configuration is copied where it is needed: free it so it does not count as the firmware's.
delete KH_CFG;
KH.base = process.memory().usage;
KH.pk = KH.base;
KH.out('K boot ' + KH.t0 + ' ' + KH.base + ' ' + process.memory().total);
