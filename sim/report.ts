// Self-contained HTML report: inline SVG charts and a node map coloured by
// delivery ratio; no scripts, fonts or images from anywhere else, so it can be mailed or archived.
import type { Summary } from './summary.ts';

export interface Series {
  label: string;
  unit: string;
  points: [number, number][]; // [hours, value]
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Red (0) → amber (0.5) → green (1). */
export function ratioColour(x: number): string {
  const t = Math.max(0, Math.min(1, x));
  const h = Math.round(120 * t * t);
  return `hsl(${h},75%,42%)`;
}

function map(s: Summary): string {
  const W = 640;
  const w = Math.max(1, s.area.widthM);
  const h = Math.max(1, s.area.heightM);
  const H = Math.round((W * h) / w);
  const k = W / w;
  const pts = s.nodes
    .map((n) => `<circle cx="${(n.x * k).toFixed(1)}" cy="${(H - n.y * k).toFixed(1)}" r="${s.nodes.length > 2000 ? 1.6 : 3}" fill="${ratioColour(n.ratio)}"><title>${esc(n.id)} SF${n.sf} ${n.delivered}/${n.sent}</title></circle>`)
    .join('');
  const gws = s.gateways
    .map((g) => {
      const x = g.x * k;
      const y = H - g.y * k;
      return `<path d="M${x.toFixed(1)},${(y - 9).toFixed(1)} l8,14 h-16z" fill="#111" stroke="#fff"><title>${esc(g.id)}: ${g.decoded} decoded</title></path>`;
    })
    .join('');
  const scale = Math.pow(10, Math.floor(Math.log10(w / 4)));
  return `<svg viewBox="0 0 ${W} ${H + 24}" width="${W}" role="img" aria-label="node map">
<rect width="${W}" height="${H}" fill="#f4f4f0"/>${pts}${gws}
<line x1="8" y1="${H + 14}" x2="${8 + scale * k}" y2="${H + 14}" stroke="#333" stroke-width="2"/><text x="${12 + scale * k}" y="${H + 18}" font-size="11">${scale} m</text>
<text x="${W - 8}" y="${H + 18}" font-size="11" text-anchor="end">▲ gateway · node colour = delivery ratio (red 0 → green 1)</text></svg>`;
}

function bars(title: string, items: { label: string; value: number; note?: string }[], max: number, fmt: (v: number) => string): string {
  const W = 640;
  const bh = 22;
  const H = items.length * bh + 28;
  const lw = 90;
  const rows = items
    .map((it, i) => {
      const y = 24 + i * bh;
      const bw = max > 0 ? ((W - lw - 120) * it.value) / max : 0;
      return `<text x="${lw - 6}" y="${y + 15}" font-size="12" text-anchor="end">${esc(it.label)}</text><rect x="${lw}" y="${y + 3}" width="${Math.max(0, bw).toFixed(1)}" height="${bh - 6}" fill="#3b7dd8"/><text x="${lw + bw + 6}" y="${y + 15}" font-size="12">${esc(fmt(it.value))}${it.note ? ' ' + esc(it.note) : ''}</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" role="img"><text x="0" y="14" font-size="13" font-weight="bold">${esc(title)}</text>${rows}</svg>`;
}

function histogram(title: string, values: number[], lo: number, hi: number, bins: number, unit: string): string {
  const W = 640;
  const H = 180;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    counts[b]!++;
  }
  const max = Math.max(1, ...counts);
  const bw = (W - 40) / bins;
  const rects = counts
    .map((c, i) => `<rect x="${(30 + i * bw).toFixed(1)}" y="${(H - 30 - ((H - 60) * c) / max).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${(((H - 60) * c) / max).toFixed(1)}" fill="#6a9f3b"><title>${(lo + ((hi - lo) * i) / bins).toFixed(2)}–${(lo + ((hi - lo) * (i + 1)) / bins).toFixed(2)} ${unit}: ${c}</title></rect>`)
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" role="img"><text x="0" y="14" font-size="13" font-weight="bold">${esc(title)}</text>${rects}
<line x1="30" y1="${H - 30}" x2="${W - 10}" y2="${H - 30}" stroke="#333"/><text x="30" y="${H - 14}" font-size="11">${lo} ${unit}</text><text x="${W - 10}" y="${H - 14}" font-size="11" text-anchor="end">${hi} ${unit}</text><text x="30" y="30" font-size="11">${max} nodes</text></svg>`;
}

function line(s: Series): string {
  const W = 640;
  const H = 150;
  if (!s.points.length) return '';
  const xs = s.points.map((p) => p[0]);
  const ys = s.points.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs) || 1;
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
  const px = (x: number): number => 40 + ((W - 50) * (x - x0)) / (x1 - x0 || 1);
  const py = (y: number): number => H - 25 - ((H - 50) * (y - y0)) / (y1 - y0);
  const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" role="img"><text x="0" y="14" font-size="13" font-weight="bold">${esc(s.label)} (${esc(s.unit)})</text>
<path d="${d}" fill="none" stroke="#c0392b" stroke-width="1.5"/><text x="36" y="${py(y1) + 4}" font-size="11" text-anchor="end">${y1.toFixed(1)}</text><text x="36" y="${py(y0) + 4}" font-size="11" text-anchor="end">${y0.toFixed(1)}</text>
<text x="40" y="${H - 8}" font-size="11">${x0} h</text><text x="${W - 10}" y="${H - 8}" font-size="11" text-anchor="end">${x1} h</text></svg>`;
}

/** Stacked hourly bars: delivered (green), lost to collisions (red), other losses (grey). */
function hourly(h: { sent: number[]; delivered: number[]; collided: number[] }): string {
  const n = h.sent.length;
  if (!n) return '';
  const W = 640;
  const H = 180;
  const max = Math.max(1, ...h.sent);
  const bw = (W - 50) / n;
  const y = (v: number): number => ((H - 50) * v) / max;
  let bars = '';
  for (let i = 0; i < n; i++) {
    const x = 40 + i * bw;
    const d = h.delivered[i]!;
    const c = h.collided[i]!;
    const o = h.sent[i]! - d - c;
    let top = H - 25;
    for (const [v, col] of [[d, '#4c9a2a'], [c, '#c0392b'], [o, '#999']] as const) {
      if (v <= 0) continue;
      top -= y(v);
      bars += `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${y(v).toFixed(1)}" fill="${col}"><title>hour ${i}: ${h.sent[i]} sent, ${d} delivered, ${c} collided</title></rect>`;
    }
  }
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" role="img"><text x="0" y="14" font-size="13" font-weight="bold">Uplinks per hour (green delivered, red collided, grey out of range)</text>${bars}
<text x="36" y="${H - 25 - y(max) + 4}" font-size="11" text-anchor="end">${max}</text><text x="40" y="${H - 8}" font-size="11">0 h</text><text x="${W - 10}" y="${H - 8}" font-size="11" text-anchor="end">${n} h</text></svg>`;
}

export function renderReport(s: Summary, series: Series[] = []): string {
  const o = s.overall;
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  const sfItems = Object.entries(s.perSf).map(([k, v]) => ({ label: `SF${k}`, value: v.deliveryRatio, note: `(${v.nodes} nodes, ${v.delivered}/${v.sent})` }));
  const rows = (pairs: [string, string | number][]): string => pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('');
  const gwRows = s.gateways.map((g) => `<tr><td>${esc(g.id)}</td><td>${g.decoded}</td><td>${g.collisions}</td><td>${g.lostWhileTransmitting}</td><td>${g.downlinks}</td></tr>`).join('');
  const worst = [...s.nodes].sort((a, b) => a.ratio - b.ratio || a.id.localeCompare(b.id)).slice(0, 15);
  const worstRows = worst.map((n) => `<tr><td>${esc(n.id)}</td><td>${n.devAddr}</td><td>SF${n.sf}</td><td>${n.delivered}/${n.sent}</td><td>${pct(n.ratio)}</td><td>${n.collided}</td><td>${n.outOfRange}</td><td>${n.batteryLifeDays}</td></tr>`).join('');
  const gs = s.gatewaySide;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kerb sim — ${esc(s.scenario.name)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1000px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f2f2f2}svg{display:block;margin:8px 0}.big{font-size:28px;font-weight:bold}</style></head>
<body>
<h1>kerb fleet simulation — ${esc(s.scenario.name)}</h1>
<p>${s.scenario.nodes} nodes, ${s.scenario.gateways} gateway(s), ${s.scenario.durationH} h of virtual time, seed ${s.scenario.seed}, ${esc(s.scenario.mode)} node model, capture effect ${s.scenario.capture ? 'on' : 'off'}, one uplink every ${s.scenario.intervalS} s per node.</p>
<p class="big">${pct(o.deliveryRatio)} delivered <small>(${o.delivered} of ${o.sent} uplinks)</small></p>
<h2>Overall</h2><table>${rows([
    ['uplinks sent', o.sent], ['delivered to ≥ 1 gateway', o.delivered], ['lost to collisions', o.collided], ['lost: out of range', o.outOfRange],
    ['lost: gateway transmitting', o.gatewayBusy], ['gateway receptions (incl. duplicates)', o.receptions],
    ['frames heard by n gateways', Object.entries(o.heardByGateways).map(([k, v]) => `${k}: ${v}`).join(', ')],
    ['total airtime', `${o.airtimeS} s`], ['duty cycle per node, mean / max', `${o.dutyCycleMeanPct.toFixed(3)} % / ${o.dutyCycleMaxPct.toFixed(3)} % (limit 1 %)`],
    ['downlinks sent / received by their node', `${o.downlinksSent} / ${o.downlinksDelivered}`],
    ['battery life (median / worst)', `${s.battery.medianLifeDays} / ${s.battery.minLifeDays} days on ${s.battery.capacityMah} mAh`],
  ])}</table>
${gs ? `<h2>Real gateway</h2><table>${rows([[gs.via === 'udp' ? 'rxpk sent by the simulated packet forwarders' : 'packets over the serial link', gs.rxPacketsToGateway], ['uplinks published to MQTT', gs.published ?? 'n/a'], ['tx requests', gs.txRequests], ['tx sent', gs.txOk], ['tx rejected', gs.txRejected]])}</table>` : ''}
<h2>Map</h2>${map(s)}
<h2>Traffic</h2>${hourly(s.hourly)}
<h2>Delivery by spreading factor</h2>${bars('delivery ratio per SF', sfItems, 1, pct)}
${histogram('Nodes by delivery ratio', s.nodes.map((n) => n.ratio), 0, 1, 20, '')}
${histogram('Nodes by estimated battery life', s.nodes.map((n) => n.batteryLifeDays), 0, Math.max(1, Math.ceil(Math.max(0, ...s.nodes.map((n) => (Number.isFinite(n.batteryLifeDays) ? n.batteryLifeDays : 0))))), 20, 'days')}
${series.length ? `<h2>Environment at ${esc(s.nodes[0]?.id ?? '')}</h2>${series.map(line).join('')}` : ''}
<h2>Gateways</h2><table><tr><th>id</th><th>decoded</th><th>collisions</th><th>lost while transmitting</th><th>downlinks</th></tr>${gwRows}</table>
<h2>Worst nodes</h2><table><tr><th>id</th><th>DevAddr</th><th>SF</th><th>delivered</th><th>ratio</th><th>collided</th><th>out of range</th><th>battery days</th></tr>${worstRows}</table>
${s.notes.length ? `<h2>Notes</h2><ul>${s.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<p><small>Models: log-distance path loss with shadowing (Bor et al. 2016), SX1272/76 sensitivities, LoRa time on air (Semtech AN1200.13), EU868 duty cycle, capture effect (≥ ${s.models.radio.coSfThresholdDb} dB + preamble lock); this run: ${esc(s.models.region)}, ${esc(s.models.gateway.model)} gateway (${s.models.gateway.channelsHz.length} channels, ${s.models.gateway.demodulators} demodulators), SF orthogonality ${esc(s.models.radio.orthogonality)}${s.models.radio.orthogonality === 'croce2018' ? ' (Croce et al. 2018)' : ''}. See docs/simulator.md.</small></p>
</body></html>
`;
}
