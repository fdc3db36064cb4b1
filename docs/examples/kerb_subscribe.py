#!/usr/bin/env python3
"""Print the kerb gateway's uplinks: SenML-CBOR (RFC 8428 section 6) over MQTT, decoded in Python.

    pip install paho-mqtt cbor2        (Debian: apt-get install python3-paho-mqtt python3-cbor2)
    python3 kerb_subscribe.py --url mqtt://127.0.0.1:1883 [--base kerb] [--count N]

Each uplink on <base>/device/<id>/up is one SenML pack: a CBOR array of maps keyed by the integer
labels of RFC 8428 Table 4. Base name and base time (bn, bt) are resolved into every record as
RFC 8428 section 4.6 says, and values in SenML units are shown in display units: PM in kg/m3
becomes ug/m3, pressure in Pa becomes hPa, Cel stays degrees C.
"""
import argparse
import sys
import time
from urllib.parse import urlparse

import cbor2
import paho.mqtt.client as mqtt

# RFC 8428 Table 4: CBOR integer label -> SenML field.
LABELS = {-1: "bver", -2: "bn", -3: "bt", -4: "bu", -5: "bv", -6: "bs",
          0: "n", 1: "u", 2: "v", 3: "vs", 4: "vb", 5: "s", 6: "t", 7: "ut", 8: "vd"}

# SenML unit -> (display unit, factor). Noise is A-weighted: its "dB" is shown as dB(A) (show()).
DISPLAY = {"kg/m3": ("µg/m³", 1e9), "Pa": ("hPa", 0.01), "Cel": ("°C", 1), "%RH": ("%", 1),
           "V": ("V", 1), "dB": ("dB", 1), "dBm": ("dBm", 1), "Hz": ("Hz", 1)}


def resolve(pack):
    """RFC 8428 section 4.6: base fields folded into each record; relative times made absolute."""
    out, bn, bt, bu = [], "", 0.0, None
    for raw in pack:
        rec = {LABELS.get(k, k): v for k, v in raw.items()}
        bn = rec.get("bn", bn)
        bt = rec.get("bt", bt)
        bu = rec.get("bu", bu)
        t = bt + rec.get("t", 0)
        if t < 2 ** 28:  # a relative time: seconds from now
            t += time.time()
        r = {"name": bn + rec.get("n", ""), "time": t, "unit": rec.get("u", bu)}
        for key in ("v", "vs", "vb", "vd"):
            if key in rec:
                r["value"] = rec[key]
        out.append(r)
    return out


def show(device, records):
    """One line: device, frame counter, then every reading in display units."""
    parts = []
    fcnt = "?"
    for r in records:
        short = r["name"].rsplit(":", 1)[-1]
        value = r.get("value")
        if short == "fcnt":
            fcnt = int(value)
            continue
        if short in ("gateway", "radio", "devaddr", "bw", "confirmed", "fport"):
            continue
        unit, factor = DISPLAY.get(r["unit"], (r["unit"] or "", 1))
        if short == "noise" and unit == "dB":
            unit = "dB(A)"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = f"{value * factor:.6g}"
        parts.append(f"{short}={value}{' ' + unit if unit else ''}")
    return f"{device} fcnt={fcnt} " + " ".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="mqtt://127.0.0.1:1883", help="broker URL (mqtt://host:port)")
    ap.add_argument("--base", default="kerb", help="the gateway's base topic")
    ap.add_argument("--username")
    ap.add_argument("--password")
    ap.add_argument("--count", type=int, default=0, help="exit after N uplinks (0: run until Ctrl-C)")
    a = ap.parse_args()
    url = urlparse(a.url)
    if url.scheme not in ("mqtt", "tcp"):
        sys.exit(f"kerb_subscribe: --url must be mqtt://host:port, got {a.url!r}")

    seen = 0
    try:  # paho-mqtt 2.x asks which callback signatures to use; 1.x has only these
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1)
    except AttributeError:
        client = mqtt.Client()
    if a.username:
        client.username_pw_set(a.username, a.password)

    def on_connect(c, _userdata, _flags, rc):
        if rc != 0:
            print(f"kerb_subscribe: broker refused the connection (code {rc}); check --username/--password", file=sys.stderr)
            return
        c.subscribe(f"{a.base}/device/+/up", qos=1)
        print(f"kerb_subscribe: connected to {a.url}, topic {a.base}/device/+/up", file=sys.stderr, flush=True)

    def on_message(c, _userdata, msg):
        nonlocal seen
        device = msg.topic.split("/")[-2]
        try:
            line = show(device, resolve(cbor2.loads(msg.payload)))
        except Exception as e:  # a bad message must not stop the subscriber
            line = f"{device}: undecodable ({e})"
        print(line, flush=True)
        seen += 1
        if a.count and seen >= a.count:
            c.disconnect()

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect(url.hostname or "127.0.0.1", url.port or 1883)
    client.loop_forever()


if __name__ == "__main__":
    main()
