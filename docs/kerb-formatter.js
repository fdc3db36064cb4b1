// kerb payload formatter for The Things Stack / ChirpStack v4 (generated, do not edit).
// Source: shared/payload/formatter.ts; rebuild: npx tsx firmware/build/formatter.ts
// Decodes kerb readings (FPort 1), status (FPort 2), alerts (FPort 3) and Cayenne LPP on other
// ports. Layouts: docs/protocol.md section 2. Paste the whole file as a custom JavaScript uplink
// formatter.
"use strict";
var kerbFormatter = (function () {
    var __defProp = Object.defineProperty;
    var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
    var __getOwnPropNames = Object.getOwnPropertyNames;
    var __hasOwnProp = Object.prototype.hasOwnProperty;
    var __export = function (target, all) {
        for (var name in all)
            __defProp(target, name, { get: all[name], enumerable: true });
    };
    var __copyProps = function (to, from, except, desc) {
        if (from && typeof from === "object" || typeof from === "function") {
            var _loop_1 = function (key) {
                if (!__hasOwnProp.call(to, key) && key !== except)
                    __defProp(to, key, { get: function () { return from[key]; }, enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
            };
            for (var _i = 0, _a = __getOwnPropNames(from); _i < _a.length; _i++) {
                var key = _a[_i];
                _loop_1(key);
            }
        }
        return to;
    };
    var __toCommonJS = function (mod) { return __copyProps(__defProp({}, "__esModule", { value: true }), mod); };
    // shared/payload/formatter.ts
    var formatter_exports = {};
    __export(formatter_exports, {
        RESET_NAMES: function () { return RESET_NAMES; },
        decodeUplink: function () { return decodeUplink; },
        decodeUplinkWith: function () { return decodeUplinkWith; },
        errorText: function () { return errorText; },
        statusFlagNames: function () { return statusFlagNames; }
    });
    // shared/payload/constants.ts
    var FPORT_READINGS = 1;
    var FPORT_STATUS = 2;
    var FPORT_ALERT = 3;
    var KERB_VERSION = 1;
    var KIND_PM25 = 0;
    var KIND_PM10 = 1;
    var KIND_TEMP = 2;
    var KIND_RH = 3;
    var KIND_PRESSURE = 4;
    var KIND_NOISE = 5;
    var KIND_BATTERY = 6;
    var KIND_COUNT = 7;
    var STATUS_PM_FAULT = 1;
    var STATUS_THP_FAULT = 2;
    var STATUS_NOISE_FAULT = 4;
    var STATUS_BATTERY_LOW = 8;
    var STATUS_CLAMPED = 16;
    var STATUS_REBOOTED = 32;
    var STATUS_PM_WARMUP = 64;
    var STATUS_SETTINGS_DEFAULT = 128;
    var STATUS_RADIO_FAULT = 256;
    var STATUS_STORE_FAULT = 512;
    var STATUS_FRAME_VERSION = 1;
    var STATUS_FRAME_LEN = 17;
    var ALERT_FRAME_VERSION = 1;
    var ALERT_FRAME_LEN = 7;
    var ALERT_RISING = 1;
    var PAYLOAD_ERR_TRUNCATED = 40;
    var PAYLOAD_ERR_VERSION = 41;
    var PAYLOAD_ERR_TRAILING = 42;
    var PAYLOAD_ERR_EMPTY = 43;
    var PAYLOAD_ERR_STATUS = 44;
    var PAYLOAD_ERR_LENGTH = 45;
    var PAYLOAD_ERR_VALUE = 46;
    var LPP_ERR_TRUNCATED = 50;
    var LPP_ERR_TYPE = 51;
    // shared/payload/kerb.ts
    var KIND_FIELDS = ["pm25DeciUgm3", "pm10DeciUgm3", "tempDeciC", "rhHalfPct", "pressureDeciHpa", "noiseDeciDb", "batteryMv"];
    var KIND_BITS = [15, 15, 11, 8, 13, 11, 10];
    var KIND_OFFSET = [0, 0, -500, 0, 3e3, 0, 0];
    var KIND_STEP = [1, 1, 1, 1, 1, 1, 10];
    var KIND_MAX_CODE = [32767, 32767, 2047, 200, 8191, 2047, 1023];
    function getBits(r, n) {
        var v = 0;
        for (var i = 0; i < n; i++) {
            v = v << 1 | r.buf[r.pos >> 3] >> 7 - (r.pos & 7) & 1;
            r.pos++;
        }
        return v;
    }
    function decodeReadings(b) {
        var len = b.length;
        if (len === 0)
            return PAYLOAD_ERR_EMPTY;
        var total = len * 8;
        var r = { buf: b, pos: 0 };
        if (total < 12)
            return PAYLOAD_ERR_TRUNCATED;
        if (getBits(r, 3) !== KERB_VERSION)
            return PAYLOAD_ERR_VERSION;
        var hasStatus = getBits(r, 1);
        var present = 0;
        for (var k = 0; k < KIND_COUNT; k++)
            present |= getBits(r, 1) << k;
        var ext = getBits(r, 1);
        var unknown = 0;
        while (ext) {
            if (total - r.pos < 8)
                return PAYLOAD_ERR_TRUNCATED;
            var g = getBits(r, 7);
            ext = getBits(r, 1);
            if (!ext && g === 0)
                return PAYLOAD_ERR_VALUE;
            while (g) {
                unknown += g & 1;
                g >>= 1;
            }
        }
        var out = {};
        var o = out;
        if (hasStatus) {
            var s = 0;
            var mul = 1;
            for (var i = 0;; i++) {
                if (i === 4)
                    return PAYLOAD_ERR_STATUS;
                if (total - r.pos < 8)
                    return PAYLOAD_ERR_TRUNCATED;
                var g = getBits(r, 8);
                s += (g & 127) * mul;
                mul *= 128;
                if (!(g & 128)) {
                    if (g === 0)
                        return PAYLOAD_ERR_VALUE;
                    break;
                }
            }
            out.status = s;
        }
        for (var k = 0; k < KIND_COUNT; k++) {
            if (!(present >> k & 1))
                continue;
            if (total - r.pos < KIND_BITS[k])
                return PAYLOAD_ERR_TRUNCATED;
            var c = getBits(r, KIND_BITS[k]);
            if (c > KIND_MAX_CODE[k])
                return PAYLOAD_ERR_VALUE;
            o[KIND_FIELDS[k]] = KIND_OFFSET[k] + c * KIND_STEP[k];
        }
        if (unknown > 0) {
            out.unknownKinds = unknown;
        }
        else {
            if (total - r.pos >= 8)
                return PAYLOAD_ERR_TRAILING;
            if (getBits(r, total - r.pos) !== 0)
                return PAYLOAD_ERR_TRAILING;
        }
        return out;
    }
    function decodeStatusFrame(b) {
        if (b.length === 0)
            return PAYLOAD_ERR_EMPTY;
        if (b[0] !== STATUS_FRAME_VERSION)
            return PAYLOAD_ERR_VERSION;
        if (b.length < STATUS_FRAME_LEN)
            return PAYLOAD_ERR_TRUNCATED;
        if (b.length > STATUS_FRAME_LEN)
            return PAYLOAD_ERR_LENGTH;
        return {
            fwMajor: b[1],
            fwMinor: b[2],
            fwPatch: b[3],
            uptimeS: (b[4] | b[5] << 8 | b[6] << 16) + b[7] * 16777216,
            resetCause: b[8],
            status: b[9] | b[10] << 8,
            reportIntervalS: b[11] | b[12] << 8,
            pm25AlertDeciUgm3: b[13] | b[14] << 8,
            bootCount: b[15] | b[16] << 8
        };
    }
    function decodeAlert(b) {
        if (b.length === 0)
            return PAYLOAD_ERR_EMPTY;
        if (b[0] !== ALERT_FRAME_VERSION)
            return PAYLOAD_ERR_VERSION;
        if (b.length < ALERT_FRAME_LEN)
            return PAYLOAD_ERR_TRUNCATED;
        if (b.length > ALERT_FRAME_LEN)
            return PAYLOAD_ERR_LENGTH;
        if (b[2] & ~ALERT_RISING)
            return PAYLOAD_ERR_VALUE;
        var v = b[3] | b[4] << 8;
        var t = b[5] | b[6] << 8;
        return {
            kind: b[1],
            rising: (b[2] & ALERT_RISING) !== 0,
            value: v >= 32768 ? v - 65536 : v,
            threshold: t >= 32768 ? t - 65536 : t
        };
    }
    // shared/payload/lpp.ts
    var LPP_DIGITAL_INPUT = 0;
    var LPP_DIGITAL_OUTPUT = 1;
    var LPP_ANALOG_INPUT = 2;
    var LPP_ANALOG_OUTPUT = 3;
    var LPP_GENERIC_SENSOR = 100;
    var LPP_LUMINOSITY = 101;
    var LPP_PRESENCE = 102;
    var LPP_TEMPERATURE = 103;
    var LPP_RELATIVE_HUMIDITY = 104;
    var LPP_ACCELEROMETER = 113;
    var LPP_BAROMETRIC_PRESSURE = 115;
    var LPP_VOLTAGE = 116;
    var LPP_CURRENT = 117;
    var LPP_FREQUENCY = 118;
    var LPP_PERCENTAGE = 120;
    var LPP_ALTITUDE = 121;
    var LPP_CONCENTRATION = 125;
    var LPP_POWER = 128;
    var LPP_DISTANCE = 130;
    var LPP_ENERGY = 131;
    var LPP_DIRECTION = 132;
    var LPP_UNIXTIME = 133;
    var LPP_GYROMETER = 134;
    var LPP_COLOUR = 135;
    var LPP_GPS = 136;
    var LPP_SWITCH = 142;
    var LPP_TYPES = [
        [LPP_DIGITAL_INPUT, 1, 1, 1, 0, "digital_in"],
        [LPP_DIGITAL_OUTPUT, 1, 1, 1, 0, "digital_out"],
        [LPP_ANALOG_INPUT, 2, 1, 100, 1, "analog_in"],
        [LPP_ANALOG_OUTPUT, 2, 1, 100, 1, "analog_out"],
        [LPP_GENERIC_SENSOR, 4, 1, 1, 0, "generic"],
        [LPP_LUMINOSITY, 2, 1, 1, 0, "luminosity"],
        // lux
        [LPP_PRESENCE, 1, 1, 1, 0, "presence"],
        [LPP_TEMPERATURE, 2, 1, 10, 1, "temperature"],
        // °C
        [LPP_RELATIVE_HUMIDITY, 1, 1, 2, 0, "relative_humidity"],
        // %RH
        [LPP_ACCELEROMETER, 2, 3, 1e3, 1, "accelerometer"],
        // G
        [LPP_BAROMETRIC_PRESSURE, 2, 1, 10, 0, "barometric_pressure"],
        // hPa
        [LPP_VOLTAGE, 2, 1, 100, 0, "voltage"],
        // V
        [LPP_CURRENT, 2, 1, 1e3, 0, "current"],
        // A
        [LPP_FREQUENCY, 4, 1, 1, 0, "frequency"],
        // Hz
        [LPP_PERCENTAGE, 1, 1, 1, 0, "percentage"],
        // %
        [LPP_ALTITUDE, 2, 1, 1, 1, "altitude"],
        // m
        [LPP_CONCENTRATION, 2, 1, 1, 0, "concentration"],
        // ppm
        [LPP_POWER, 2, 1, 1, 0, "power"],
        // W
        [LPP_DISTANCE, 4, 1, 1e3, 0, "distance"],
        // m
        [LPP_ENERGY, 4, 1, 1e3, 0, "energy"],
        // kWh
        [LPP_DIRECTION, 2, 1, 1, 0, "direction"],
        // degrees
        [LPP_UNIXTIME, 4, 1, 1, 0, "unixtime"],
        // s
        [LPP_GYROMETER, 2, 3, 100, 1, "gyrometer"],
        // °/s
        [LPP_COLOUR, 1, 3, 1, 0, "colour"],
        // r, g, b
        [LPP_GPS, 3, 3, 1, 1, "gps"],
        // lat °, lon °, alt m
        [LPP_SWITCH, 1, 1, 1, 0, "switch"]
    ];
    function typeRow(type) {
        for (var i = 0; i < LPP_TYPES.length; i++)
            if (LPP_TYPES[i][0] === type)
                return LPP_TYPES[i];
        return null;
    }
    function lppTypeName(type) {
        var r = typeRow(type);
        return r ? r[5] : "";
    }
    function readInt(b, off, n, signed) {
        var v = 0;
        for (var i = 0; i < n; i++)
            v = v * 256 + b[off + i];
        var lim = Math.pow(2, 8 * n);
        return signed && v >= lim / 2 ? v - lim : v;
    }
    function decodeLpp(b) {
        var out = [];
        var i = 0;
        while (i < b.length) {
            if (i + 2 > b.length)
                return LPP_ERR_TRUNCATED;
            var channel = b[i];
            var type = b[i + 1];
            var row = typeRow(type);
            if (!row)
                return LPP_ERR_TYPE;
            var size = row[1];
            var n = row[2];
            var div = row[3];
            i += 2;
            if (i + size * n > b.length)
                return LPP_ERR_TRUNCATED;
            var values = [];
            for (var k = 0; k < n; k++) {
                var raw = readInt(b, i, size, row[4] === 1);
                i += size;
                values.push(type === LPP_GPS ? raw / (k < 2 ? 1e4 : 100) : raw / div);
            }
            out.push({ channel: channel, type: type, values: values, value: values[0] });
        }
        return out;
    }
    // shared/payload/readings.ts
    var READINGS = [
        {
            key: "pm25DeciUgm3",
            slot: KIND_PM25,
            name: "pm25",
            label: "PM2.5",
            // µg/m³ × 10 → kg/m³ (RFC 8798 registers kg/m3 "e.g., for particulate matter")
            senmlName: "pm2.5",
            senmlUnit: "kg/m3",
            senmlScale: 1e-10,
            unit: "\xB5g/m\xB3",
            scale: 0.1,
            decimals: 1,
            haKey: "pm25",
            haDeviceClass: "pm25",
            haStateClass: "measurement",
            haUnit: "\xB5g/m\xB3",
            haDiagnostic: false
        },
        {
            key: "pm10DeciUgm3",
            slot: KIND_PM10,
            name: "pm10",
            label: "PM10",
            senmlName: "pm10",
            senmlUnit: "kg/m3",
            senmlScale: 1e-10,
            unit: "\xB5g/m\xB3",
            scale: 0.1,
            decimals: 1,
            haKey: "pm10",
            haDeviceClass: "pm10",
            haStateClass: "measurement",
            haUnit: "\xB5g/m\xB3",
            haDiagnostic: false
        },
        {
            key: "tempDeciC",
            slot: KIND_TEMP,
            name: "temperature",
            label: "Temperature",
            senmlName: "temperature",
            senmlUnit: "Cel",
            senmlScale: 0.1,
            unit: "\xB0C",
            scale: 0.1,
            decimals: 1,
            haKey: "temperature",
            haDeviceClass: "temperature",
            haStateClass: "measurement",
            haUnit: "\xB0C",
            haDiagnostic: false
        },
        {
            key: "rhHalfPct",
            slot: KIND_RH,
            name: "relativeHumidity",
            label: "Humidity",
            senmlName: "humidity",
            senmlUnit: "%RH",
            senmlScale: 0.5,
            unit: "%",
            scale: 0.5,
            decimals: 1,
            haKey: "humidity",
            haDeviceClass: "humidity",
            haStateClass: "measurement",
            haUnit: "%",
            haDiagnostic: false
        },
        {
            key: "pressureDeciHpa",
            slot: KIND_PRESSURE,
            name: "pressure",
            label: "Pressure",
            // hPa × 10 → Pa (the registry has Pa, not hPa)
            senmlName: "pressure",
            senmlUnit: "Pa",
            senmlScale: 10,
            unit: "hPa",
            scale: 0.1,
            decimals: 1,
            haKey: "pressure",
            haDeviceClass: "atmospheric_pressure",
            haStateClass: "measurement",
            haUnit: "hPa",
            haDiagnostic: false
        },
        {
            key: "noiseDeciDb",
            slot: KIND_NOISE,
            name: "noise",
            label: "Noise",
            senmlName: "noise",
            senmlUnit: "dB",
            senmlScale: 0.1,
            unit: "dB(A)",
            scale: 0.1,
            decimals: 1,
            haKey: "noise",
            haDeviceClass: "sound_pressure",
            haStateClass: "measurement",
            haUnit: "dBA",
            haDiagnostic: false
        },
        {
            key: "batteryMv",
            slot: KIND_BATTERY,
            name: "battery",
            label: "Battery",
            senmlName: "battery",
            senmlUnit: "V",
            senmlScale: 1e-3,
            unit: "V",
            scale: 1e-3,
            decimals: 2,
            haKey: "battery",
            haDeviceClass: "voltage",
            haStateClass: "measurement",
            haUnit: "V",
            haDiagnostic: true
        }
    ];
    var STATUS_FLAGS = [
        { mask: STATUS_PM_FAULT, name: "PM_FAULT", text: "particulate sensor absent, checksum error or timeout" },
        { mask: STATUS_THP_FAULT, name: "THP_FAULT", text: "temperature/humidity/pressure sensor fault" },
        { mask: STATUS_NOISE_FAULT, name: "NOISE_FAULT", text: "sound-level input fault" },
        { mask: STATUS_BATTERY_LOW, name: "BATTERY_LOW", text: "low-battery mode, interval stretched" },
        { mask: STATUS_CLAMPED, name: "CLAMPED", text: "a value was outside its field range and saturated" },
        { mask: STATUS_REBOOTED, name: "REBOOTED", text: "first frame since boot" },
        { mask: STATUS_PM_WARMUP, name: "PM_WARMUP", text: "PM reading taken before the fan warm-up completed" },
        { mask: STATUS_SETTINGS_DEFAULT, name: "SETTINGS_DEFAULT", text: "stored settings unreadable, defaults in use" },
        { mask: STATUS_RADIO_FAULT, name: "RADIO_FAULT", text: "radio reported a hardware error" },
        { mask: STATUS_STORE_FAULT, name: "STORE_FAULT", text: "flash write failed" }
    ];
    // shared/payload/human.ts
    function scaleValue(raw, scale) {
        if (scale >= 1)
            return raw * scale;
        var d = Math.round(1 / scale);
        if (Math.abs(1 / scale - d) < 1e-9 * d)
            return raw / d;
        return raw * scale;
    }
    function kindBySlot(table, slot) {
        for (var i = 0; i < table.length; i++)
            if (table[i].slot === slot)
                return table[i];
        return void 0;
    }
    function humanValue(k, raw) {
        return scaleValue(raw, k.scale);
    }
    function flagNames(status, flags) {
        var out = [];
        for (var i = 0; i < 28; i++) {
            var m = Math.pow(2, i);
            if (Math.floor(status / m) % 2 !== 1)
                continue;
            var name = "BIT_" + i;
            for (var j = 0; j < flags.length; j++)
                if (flags[j].mask === m)
                    name = flags[j].name;
            out.push(name);
        }
        return out;
    }
    function humanReadings(r, table) {
        var out = {};
        for (var i = 0; i < table.length; i++) {
            var v = r[table[i].key];
            if (typeof v === "number")
                out[table[i].name] = humanValue(table[i], v);
        }
        return out;
    }
    // shared/payload/formatter.ts
    var RESET_NAMES = ["unknown", "power-on", "watchdog", "software", "brown-out", "error", "pin"];
    function errorText(code) {
        switch (code) {
            case PAYLOAD_ERR_TRUNCATED:
                return "frame truncated";
            case PAYLOAD_ERR_VERSION:
                return "unsupported payload version";
            case PAYLOAD_ERR_TRAILING:
                return "unexpected bytes after the last field";
            case PAYLOAD_ERR_EMPTY:
                return "empty payload";
            case PAYLOAD_ERR_STATUS:
                return "status field too long";
            case PAYLOAD_ERR_LENGTH:
                return "wrong frame length";
            case PAYLOAD_ERR_VALUE:
                return "field holds a forbidden value";
            case LPP_ERR_TRUNCATED:
                return "Cayenne LPP: value truncated";
            case LPP_ERR_TYPE:
                return "Cayenne LPP: unknown type";
            default:
                return "decode error " + code;
        }
    }
    function statusFlagNames(status) {
        return flagNames(status, STATUS_FLAGS);
    }
    function fail(code) {
        return { data: {}, warnings: [], errors: [errorText(code)] };
    }
    function readingsOut(bytes, table) {
        var r = decodeReadings(bytes);
        if (typeof r === "number")
            return fail(r);
        var data = humanReadings(r, table);
        var warnings = [];
        var status = r.status || 0;
        data.status = status;
        data.flags = statusFlagNames(status);
        if (status & STATUS_CLAMPED)
            warnings.push("a reading was outside its range and was saturated");
        if (r.unknownKinds) {
            data.unknownKinds = r.unknownKinds;
            warnings.push(r.unknownKinds + " reading kind(s) unknown to this formatter were skipped; update the formatter");
        }
        return { data: data, warnings: warnings, errors: [] };
    }
    function statusOut(bytes) {
        var s = decodeStatusFrame(bytes);
        if (typeof s === "number")
            return fail(s);
        return {
            data: {
                firmware: s.fwMajor + "." + s.fwMinor + "." + s.fwPatch,
                uptimeS: s.uptimeS,
                resetCause: s.resetCause < RESET_NAMES.length ? RESET_NAMES[s.resetCause] : "code " + s.resetCause,
                status: s.status,
                flags: statusFlagNames(s.status),
                reportIntervalS: s.reportIntervalS,
                pm25AlertThreshold: s.pm25AlertDeciUgm3 / 10,
                bootCount: s.bootCount
            },
            warnings: [],
            errors: []
        };
    }
    function alertOut(bytes, table) {
        var a = decodeAlert(bytes);
        if (typeof a === "number")
            return fail(a);
        var k = kindBySlot(table, a.kind);
        return {
            data: {
                alert: k ? k.name : "kind " + a.kind,
                rising: a.rising,
                value: k ? humanValue(k, a.value) : a.value,
                threshold: k ? humanValue(k, a.threshold) : a.threshold
            },
            warnings: k ? [] : ["alert for a reading kind unknown to this formatter"],
            errors: []
        };
    }
    function lppOut(bytes, fPort) {
        var l = decodeLpp(bytes);
        if (typeof l === "number")
            return { data: {}, warnings: [], errors: ["fPort " + fPort + " is not a kerb port and the payload is not Cayenne LPP (" + errorText(l) + ")"] };
        var data = {};
        for (var i = 0; i < l.length; i++) {
            var f = l[i];
            var key = lppTypeName(f.type) + "_" + f.channel;
            var v = f.value;
            if (f.type === LPP_GPS)
                v = { latitude: f.values[0], longitude: f.values[1], altitude: f.values[2] };
            else if (f.type === LPP_COLOUR)
                v = { r: f.values[0], g: f.values[1], b: f.values[2] };
            else if (f.values.length === 3)
                v = { x: f.values[0], y: f.values[1], z: f.values[2] };
            data[key] = v;
        }
        return { data: data, warnings: ["decoded as Cayenne LPP"], errors: [] };
    }
    function decodeUplinkWith(input, table) {
        var bytes = input.bytes;
        var port = input.fPort;
        if (port === FPORT_READINGS)
            return readingsOut(bytes, table);
        if (port === FPORT_STATUS)
            return statusOut(bytes);
        if (port === FPORT_ALERT)
            return alertOut(bytes, table);
        if (port > 0 && port < 224)
            return lppOut(bytes, port);
        return { data: {}, warnings: [], errors: ["fPort " + port + " carries no application data"] };
    }
    function decodeUplink(input) {
        return decodeUplinkWith(input, READINGS);
    }
    return __toCommonJS(formatter_exports);
})();

function decodeUplink(input) {
  return kerbFormatter.decodeUplink(input);
}
