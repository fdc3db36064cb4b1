// The kerb gateway page: plain browser JavaScript, no build step, nothing loaded from elsewhere.
// Reads /api/state once, then follows /api/events (server-sent events) for devices, the gateway
// and downlink results; draws the map and the 24-hour charts as inline SVG.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const FRESH_MS = 15 * 60 * 1000;
const S = { kinds: [], devices: new Map(), order: [], gateway: null, offlineAfterS: 3600, map: { tiles: null, attribution: '' }, view: null, events: 0 };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function ago(iso) {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

function duration(s) {
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}

function bytes(n) {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

function kind(name) {
  return S.kinds.find((k) => k.name === name);
}

function reading(d, name) {
  const k = kind(name);
  const v = d.readings[name];
  return v === undefined || !k ? '–' : `${v.toFixed(k.decimals)} ${k.unit}`;
}

function freshness(d) {
  if (!d.lastSeen || d.availability === 'offline') return 'offline';
  return Date.now() - Date.parse(d.lastSeen) < Math.min(FRESH_MS, S.offlineAfterS * 1000) ? 'fresh' : 'stale';
}

function deliveryClass(d) {
  if (d.delivery === null) return 'none';
  return d.delivery >= 0.99 ? 'good' : d.delivery >= 0.9 ? 'fair' : 'poor';
}

/** Small trend lines, each scaled to its own range: [[values, colour], …]. */
function sparkline(lines, w, h) {
  const s = svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, class: 'spark' });
  for (const [values, colour] of lines) {
    if (values.length < 2) continue;
    const lo = Math.min(...values), hi = Math.max(...values);
    const span = hi - lo || 1;
    const pts = values.map((v, i) => `${((i / (values.length - 1)) * (w - 2) + 1).toFixed(1)},${(h - 2 - ((v - lo) / span) * (h - 4)).toFixed(1)}`);
    s.append(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': 1.4 }));
  }
  return s;
}

// ---- devices table ----

function tableKinds() {
  return S.kinds.filter((k) => k.name !== 'battery');
}

function renderHead() {
  const head = document.querySelector('#devices thead');
  head.replaceChildren(el('tr', {},
    el('th', {}, 'device'), el('th', {}, 'last seen'),
    ...tableKinds().map((k) => el('th', { class: 'num' }, k.label, el('div', { class: 'unit' }, k.unit))),
    el('th', { class: 'num' }, 'battery'), el('th', {}, 'RSSI / SNR'), el('th', { class: 'num', title: 'frames missing from the frame counter · share delivered' }, 'lost · delivered'), el('th', {}, 'availability')));
}

function deviceRow(d) {
  const rssi = d.rssi.length ? d.rssi[d.rssi.length - 1] : null;
  const snr = d.snr.length ? d.snr[d.snr.length - 1] : null;
  const lost = d.delivery === null ? String(d.lost) : `${d.lost} · ${(d.delivery * 100).toFixed(1)} %`;
  return el('tr', { 'data-id': d.id, 'data-fcnt': d.fcnt ?? '', class: 'device-row', onclick: () => (location.hash = `#/device/${d.id}`) },
    el('td', {}, el('a', { href: `#/device/${d.id}`, title: d.id }, d.name)),
    el('td', { class: 'seen', 'data-seen': d.lastSeen ?? '' }, ago(d.lastSeen)),
    ...tableKinds().map((k) => el('td', { class: 'num reading', 'data-kind': k.name }, d.readings[k.name] === undefined ? '–' : d.readings[k.name].toFixed(k.decimals))),
    el('td', { class: 'num' }, reading(d, 'battery')),
    el('td', { title: 'RSSI (green) and SNR (blue) of the last uplinks, each on its own scale' }, sparkline([[d.rssi, '#1f6f5c'], [d.snr, '#3b6fb6']], 50, 16), ' ', rssi === null ? '–' : `${rssi} dBm / ${snr} dB`),
    el('td', { class: 'num' }, lost),
    el('td', { class: `avail-${d.availability}` }, d.availability));
}

function renderDevices() {
  const body = document.querySelector('#devices tbody');
  body.replaceChildren(...S.order.map((id) => deviceRow(S.devices.get(id))));
  document.getElementById('dev-count').textContent = `${S.order.length} in the registry, ${[...S.devices.values()].filter((d) => d.lastSeen).length} heard`;
}

function updateDevice(d) {
  const known = S.devices.has(d.id);
  S.devices.set(d.id, d);
  if (!known) {
    S.order.push(d.id);
    renderDevices();
  } else {
    const old = document.querySelector(`#devices tr[data-id="${CSS.escape(d.id)}"]`);
    const row = deviceRow(d);
    row.classList.add('flash');
    if (old) old.replaceWith(row);
  }
  // A busy gateway sends many events a second: the count and the map are redrawn at most twice a second.
  if (!mapTimer) mapTimer = setTimeout(() => {
    mapTimer = null;
    document.getElementById('dev-count').textContent = `${S.order.length} in the registry, ${[...S.devices.values()].filter((x) => x.lastSeen).length} heard`;
    renderMap();
  }, 500);
  if (S.view === d.id) showDevice(d.id, false);
}

let mapTimer = null;

// ---- map ----

/** Web Mercator (EPSG:3857) in the pixels of zoom level 0 (a 256-pixel world), as map tiles use. */
function mercator(lat, lon) {
  const sin = Math.sin((lat * Math.PI) / 180);
  return [((lon + 180) / 360) * 256, (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * 256];
}

function renderMap() {
  const box = document.getElementById('map');
  const located = [...S.devices.values()].filter((d) => d.location);
  if (!located.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No device in the registry has a location (kerb device add … --lat … --lon …).'));
    return;
  }
  const lat0 = located.reduce((a, d) => a + d.location.lat, 0) / located.length;
  const P = located.map((d) => mercator(d.location.lat, d.location.lon));
  const xs = P.map((p) => p[0]), ys = P.map((p) => p[1]);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const W = 640, H = 380, pad = 28;
  // Metres per zoom-0 pixel at this latitude (equatorial circumference / 256 × cos φ).
  const mPerUnit = (40075016.686 * Math.cos((lat0 * Math.PI) / 180)) / 256;
  const least = 50 / mPerUnit; // a lone device still gets a 50 m wide view
  const scale = Math.min((W - 2 * pad) / Math.max(maxX - minX, least), (H - 2 * pad) / Math.max(maxY - minY, least));
  const ox = W / 2 - ((minX + maxX) / 2) * scale, oy = H / 2 - ((minY + maxY) / 2) * scale;
  const X = (x) => ox + x * scale, Y = (y) => oy + y * scale;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, id: 'map-svg' });
  if (S.map.tiles) {
    const z = Math.max(0, Math.min(19, Math.floor(Math.log2(scale))));
    const ts = 256 / Math.pow(2, z);
    for (let ty = Math.floor(-oy / scale / ts); ty * ts * scale + oy < H; ty++) {
      for (let tx = Math.floor(-ox / scale / ts); tx * ts * scale + ox < W; tx++) {
        const href = S.map.tiles.replace('{z}', z).replace('{x}', tx).replace('{y}', ty);
        s.append(svg('image', { href, x: X(tx * ts).toFixed(1), y: Y(ty * ts).toFixed(1), width: (ts * scale + 0.5).toFixed(1), height: (ts * scale + 0.5).toFixed(1), class: 'tile' }));
      }
    }
    if (S.map.attribution) s.append(svg('text', { x: W - 6, y: H - 6, 'text-anchor': 'end', 'font-size': 10, fill: '#333' }, S.map.attribution));
  }
  // Scale bar: a round number of metres near a fifth of the width.
  const pxPerM = scale / mPerUnit;
  const bar = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000].find((m) => m * pxPerM >= W / 5) || 50000;
  s.append(svg('line', { x1: 12, y1: H - 12, x2: 12 + bar * pxPerM, y2: H - 12, stroke: '#555', 'stroke-width': 2 }),
    svg('text', { x: 12, y: H - 18, 'font-size': 11, fill: '#555' }, bar >= 1000 ? `${bar / 1000} km` : `${bar} m`));
  const colours = { fresh: '#2e9e5b', stale: '#e0a526', offline: '#9aa3ab', good: '#2e9e5b', fair: '#e0a526', poor: '#d64541' };
  located.forEach((d, i) => {
    const x = X(xs[i]).toFixed(1), y = Y(ys[i]).toFixed(1);
    const a = svg('a', { href: `#/device/${d.id}`, class: 'map-device', 'data-id': d.id, 'data-freshness': freshness(d) },
      svg('title', {}, `${d.name} (${d.id}) · ${ago(d.lastSeen)} · ${d.delivery === null ? 'delivery unknown' : `${(d.delivery * 100).toFixed(1)} % delivered`}`),
      svg('circle', { cx: x, cy: y, r: 10, fill: 'none', stroke: d.delivery === null ? 'none' : colours[deliveryClass(d)], 'stroke-width': 3 }),
      svg('circle', { cx: x, cy: y, r: 6, fill: colours[freshness(d)], stroke: '#fff', 'stroke-width': 1.5 }));
    s.append(a);
  });
  box.replaceChildren(s);
}

// ---- gateway ----

function renderGateway() {
  const g = S.gateway;
  if (!g) return;
  document.getElementById('gw-id').textContent = g.gateway;
  const st = document.getElementById('gw-status');
  st.textContent = g.status === 'ok' ? 'ok' : `degraded: ${(g.reasons || []).join('; ')}`;
  st.className = `badge ${g.status}`;
  const rows = [
    ['uptime', duration(g.uptimeS)],
    ['MQTT broker', `${g.mqtt.connected ? 'connected' : 'not connected'} · ${g.mqtt.url}`],
    ['outbox', `${g.outbox.depth} waiting, ${g.outbox.inflight} in flight, ${bytes(g.outbox.bytes)}${g.outbox.dropped ? `, ${g.outbox.dropped} dropped` : ''}${g.outbox.unwritable ? ` · cannot write: ${g.outbox.unwritable}` : ''}`],
    ['frames/s', g.framesPerS.toFixed(2)],
    ['frames received', String(g.framesReceived)],
    ['uplinks published', String(g.uplinks)],
    ['topics', `${g.mqttBase}/device/<id>/up (SenML-CBOR)`],
  ];
  document.getElementById('gateway').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-key': k }, v)]));
  const radios = g.radios.length ? g.radios.map((r) => el('li', {}, el('span', { class: r.up ? 'up' : 'down' }, r.up ? '▲ up' : '▼ down'), ` ${r.radio}`)) : [el('li', { class: 'muted' }, 'no radio configured')];
  document.getElementById('radios').replaceChildren(...radios);
  const rej = Object.entries(g.rejected);
  document.querySelector('#rejected tbody').replaceChildren(...(rej.length ? rej.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', { class: 'num' }, String(v)))) : [el('tr', {}, el('td', { class: 'muted' }, 'none'))]));
  renderDownlinks(g.downlinks);
  const note = document.getElementById('send-note');
  note.textContent = g.downlinksFromPage
    ? 'The gateway accepts downlinks from this page with its page.token. The command is sent in the device\'s receive window after its next uplink.'
    : 'This gateway has no page.token configured, so it refuses downlinks from the page (try it: the answer says why).';
}

function renderDownlinks(list) {
  const body = document.querySelector('#downlinks tbody');
  body.replaceChildren(...(list.length ? list.map((d) => el('tr', { 'data-state': d.state },
    el('td', {}, new Date(d.at).toLocaleTimeString()), el('td', {}, el('a', { href: `#/device/${d.device}` }, d.device)), el('td', {}, d.id),
    el('td', {}, d.state), el('td', { class: 'muted' }, d.reason || (d.fcntDown !== undefined ? `FCntDown ${d.fcntDown}` : '')))) : [el('tr', {}, el('td', { class: 'muted', colspan: 5 }, 'none yet'))]));
}

// ---- device view and charts ----

const SERIES_UNITS = { rssi: { label: 'RSSI', unit: 'dBm', decimals: 0 }, snr: { label: 'SNR', unit: 'dB', decimals: 1 } };

function seriesInfo(name) {
  return kind(name) || SERIES_UNITS[name] || { label: name, unit: '', decimals: 1 };
}

function niceTicks(lo, hi, n) {
  const span = hi - lo || Math.abs(hi) || 1;
  const step0 = span / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const out = [];
  // Outward to whole steps, so every point lies between two labelled lines.
  for (let v = Math.floor(lo / step + 1e-9) * step; v < hi + step - step * 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function chart(name, t, v, now) {
  const info = seriesInfo(name);
  const W = 460, H = 170, L = 52, R = 10, T = 10, B = 24;
  const pts = [];
  for (let i = 0; i < t.length; i++) if (v[i] !== null) pts.push([t[i], v[i]]);
  const last = pts.length ? pts[pts.length - 1][1] : null;
  const box = el('div', { class: 'chart', 'data-series': name },
    el('h3', {}, `${info.label} `, el('span', { class: 'muted' }, last === null ? 'no data' : `${last.toFixed(info.decimals)} ${info.unit} · ${pts.length} points in the last ${t.length && now - t[0] > 3600000 ? `${Math.ceil((now - t[0]) / 3600000)} h` : 'hour'}`)));
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}` });
  // The last 24 hours, or less while the history is shorter (at least an hour).
  const t0 = Math.max(now - 24 * 3600000, Math.min(t.length ? t[0] - 60000 : now, now - 3600000));
  const X = (x) => L + ((x - t0) / (now - t0)) * (W - L - R);
  let lo = Math.min(...pts.map((p) => p[1])), hi = Math.max(...pts.map((p) => p[1]));
  if (!pts.length) { lo = 0; hi = 1; }
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const ticks = niceTicks(lo, hi, 4);
  lo = ticks[0]; hi = ticks[ticks.length - 1];
  const Y = (y) => T + (1 - (y - lo) / (hi - lo)) * (H - T - B);
  for (const y of ticks) {
    s.append(svg('line', { x1: L, x2: W - R, y1: Y(y), y2: Y(y), stroke: '#e3e6e9' }),
      svg('text', { x: L - 4, y: Y(y) + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#66707a' }, `${+y.toFixed(3)}`));
  }
  // Time ticks in local time, about six across.
  const span = now - t0;
  const h3 = [600000, 1800000, 3600000, 2 * 3600000, 3 * 3600000, 6 * 3600000].find((m) => span / m <= 8) || 6 * 3600000;
  const tz = new Date().getTimezoneOffset() * 60000;
  for (let x = Math.ceil((t0 - tz) / h3) * h3 + tz; x <= now; x += h3) {
    const d = new Date(x);
    s.append(svg('line', { x1: X(x), x2: X(x), y1: T, y2: H - B, stroke: '#eef0f2' }),
      svg('text', { x: X(x), y: H - 8, 'text-anchor': 'middle', 'font-size': 10, fill: '#66707a' }, `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`));
  }
  s.append(svg('text', { x: L - 4, y: H - 8, 'text-anchor': 'end', 'font-size': 10, fill: '#66707a' }, info.unit));
  // A gap of more than 30 minutes breaks the line (the device was silent).
  let seg = [];
  const flush = () => {
    if (seg.length > 1) s.append(svg('polyline', { points: seg.join(' '), fill: 'none', stroke: '#1f6f5c', 'stroke-width': 1.6 }));
    seg = [];
  };
  let prev = null;
  for (const [x, y] of pts) {
    if (prev !== null && x - prev > 30 * 60000) flush();
    seg.push(`${X(x).toFixed(1)},${Y(y).toFixed(1)}`);
    prev = x;
  }
  flush();
  for (const [x, y] of pts.slice(-1)) s.append(svg('circle', { cx: X(x), cy: Y(y), r: 2.5, fill: '#1f6f5c' }));
  box.append(s);
  return box;
}

let historyTimer = null;

async function loadHistory(id) {
  const r = await fetch(`/api/devices/${encodeURIComponent(id)}/history`);
  if (!r.ok) return;
  const h = await r.json();
  if (S.view !== id) return;
  const now = Date.now();
  const charts = h.series.map((name, j) => ({ name, v: h.v[j] })).filter((c) => c.v.some((x) => x !== null));
  document.getElementById('charts').replaceChildren(...(charts.length ? charts.map((c) => chart(c.name, h.t, c.v, now)) : [el('p', { class: 'muted' }, 'No uplink from this device since the gateway started.')]));
}

function showDevice(id, full) {
  const d = S.devices.get(id);
  if (!d) return;
  document.getElementById('dev-title').textContent = `${d.name} (${d.id})`;
  const facts = [
    ['DevAddr', d.devAddr], ['last seen', ago(d.lastSeen)], ['availability', d.availability], ['frame counter', d.fcnt ?? '–'],
    ['uplinks heard', d.received], ['frames lost', d.lost], ['delivery', d.delivery === null ? '–' : `${(d.delivery * 100).toFixed(1)} %`], ['battery', reading(d, 'battery')],
    ['SF', d.sf ?? '–'], ['radio', d.radio ?? '–'], ['status', d.status.length ? d.status.join(', ') : 'ok'],
    ['location', d.location ? `${d.location.lat.toFixed(5)}, ${d.location.lon.toFixed(5)}` : '–'],
  ];
  document.getElementById('dev-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))]));
  // One history fetch per burst of uplinks.
  clearTimeout(historyTimer);
  historyTimer = setTimeout(() => loadHistory(id), full ? 0 : 500);
}

function route() {
  const m = /^#\/device\/([a-z0-9_-]+)$/.exec(location.hash);
  S.view = m ? m[1] : null;
  document.getElementById('overview').hidden = !!S.view;
  document.getElementById('device').hidden = !S.view;
  document.getElementById('send-result').textContent = '';
  if (S.view) showDevice(S.view, true);
}

// ---- sending a downlink ----

async function send(ev) {
  ev.preventDefault();
  const out = document.getElementById('send-result');
  const token = document.getElementById('send-token').value.trim();
  if (token) sessionStorage.setItem('kerb-page-token', token);
  const command = document.getElementById('send-command').value;
  const body = { command };
  if (command === 'set_interval') body.seconds = Number(document.getElementById('send-seconds').value);
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`/api/devices/${encodeURIComponent(S.view)}/downlink`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await r.text();
  let msg = text;
  try { const j = JSON.parse(text); msg = j.error ? j.error : `queued as ${j.id}: sent after the device's next uplink`; } catch { /* not JSON */ }
  out.textContent = `${r.status} ${r.statusText}: ${msg}`;
  out.className = `result ${r.ok ? 'ok' : 'error'}`;
  out.dataset.status = String(r.status);
}

// ---- live updates ----

function connect() {
  const live = document.getElementById('live');
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => { live.textContent = '● live'; });
  es.addEventListener('error', () => { live.textContent = '○ reconnecting…'; });
  es.addEventListener('device', (e) => { S.events++; document.body.dataset.events = String(S.events); updateDevice(JSON.parse(e.data)); });
  es.addEventListener('gateway', (e) => {
    S.gateway = JSON.parse(e.data);
    renderGateway();
    // Freshness changes with time alone: recolour the map now and then.
    if (!mapTimer) mapTimer = setTimeout(() => { mapTimer = null; renderMap(); }, 500);
  });
  es.addEventListener('downlink', (e) => {
    const d = JSON.parse(e.data);
    if (S.gateway) { S.gateway.downlinks = [d, ...S.gateway.downlinks].slice(0, 50); renderDownlinks(S.gateway.downlinks); }
  });
  es.addEventListener('devices', (e) => { setDevices(JSON.parse(e.data)); renderDevices(); renderMap(); });
}

function setDevices(list) {
  S.devices = new Map(list.map((d) => [d.id, d]));
  S.order = list.map((d) => d.id);
}

async function main() {
  const r = await fetch('/api/state');
  const st = await r.json();
  S.kinds = st.kinds;
  S.offlineAfterS = st.offlineAfterS;
  S.map = st.map;
  S.gateway = st.gateway;
  setDevices(st.devices);
  renderHead();
  renderDevices();
  renderMap();
  renderGateway();
  document.getElementById('send').addEventListener('submit', send);
  document.getElementById('send-token').value = sessionStorage.getItem('kerb-page-token') || '';
  const cmd = document.getElementById('send-command');
  cmd.addEventListener('change', () => { document.getElementById('send-seconds-label').hidden = cmd.value !== 'set_interval'; });
  document.getElementById('send-seconds-label').hidden = cmd.value !== 'set_interval';
  window.addEventListener('hashchange', route);
  route();
  connect();
  setInterval(() => {
    for (const td of document.querySelectorAll('#devices td.seen')) td.textContent = ago(td.dataset.seen || null);
  }, 1000);
  document.body.dataset.ready = 'true';
}

main();
