// Self-contained HTML report: inline SVG charts and a node map coloured by delivery ratio; no
// scripts, fonts or images from anywhere else, so it can be mailed or archived. Everything it states
// about the run (traffic model, radio models, faults) comes from the summary, not from defaults.
import type { Summary } from './summary.ts';

export interface Series {
  label: string;
  unit: string;
  points: [number, number][]; // [hours, value]
  /** Decimals the reading is shown with (the reading-kind table's); default 1. */
  decimals?: number;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A number for people: '–' when it is not one (an infinite battery life, a 0/0 ratio). */
export function fmtNum(x: number, decimals = 1): string {
  return Number.isFinite(x) ? x.toFixed(decimals) : '–';
}

/** Hours the same way everywhere: whole hours from 10 h up, else up to two decimals ("1.5 h"). */
export function fmtHours(h: number): string {
  if (!Number.isFinite(h)) return '–';
  return `${h >= 10 ? Math.round(h) : Number(h.toFixed(2))} h`;
}

export function fmtPct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–';
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * Delivery ratio bands. A continuous hue made 91.7 % and 100 % the same green; these steps follow
 * what an operator acts on: all delivered, a few lost, many lost, most lost.
 */
export const RATIO_BANDS: { min: number; colour: string; label: string }[] = [
  { min: 0.99, colour: '#1a9641', label: '≥ 99 %' },
  { min: 0.95, colour: '#a6d96a', label: '95–99 %' },
  { min: 0.8, colour: '#fdae61', label: '80–95 %' },
  { min: 0, colour: '#d7191c', label: '< 80 %' },
];

export function ratioColour(x: number): string {
  const t = Number.isFinite(x) ? x : 0;
  return (RATIO_BANDS.find((b) => t >= b.min) ?? RATIO_BANDS[RATIO_BANDS.length - 1]!).colour;
}

/** 1, 2 or 5 × 10^n: the nearest to x (on a log scale), or the nearest at or below it. */
function niceStep(x: number, below = false): number {
  if (!(x > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  const m = x / p;
  if (below) return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
  let best = 1;
  for (const c of [1, 2, 5, 10]) if (Math.abs(Math.log(c / m)) < Math.abs(Math.log(best / m))) best = c;
  return best * p;
}

/** Tick values from lo to hi at a nice step giving about `n` intervals. */
export function ticks(lo: number, hi: number, n = 4): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep((hi - lo) / n);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const W = 640;

/** Tick labels at a chart's ends are anchored inwards so they stay inside the picture. */
function anchor(x: number): string {
  return x < 20 ? 'start' : x > W - 20 ? 'end' : 'middle';
}

function map(s: Summary): string {
  if (!s.nodes.length) return '<p>No nodes in this run.</p>';
  const pad = 10; // circles and gateway marks at the area's edge stay whole
  const iw = W - 2 * pad;
  const w = Math.max(1, s.area.widthM);
  const h = Math.max(1, s.area.heightM);
  const k = iw / w;
  const ih = Math.round(h * k);
  const H = ih + 2 * pad;
  const X = (x: number): number => pad + x * k;
  const Y = (y: number): number => pad + ih - y * k;
  const r = s.nodes.length > 2000 ? 1.6 : 3;
  const pts = s.nodes
    .map((n) => `<circle cx="${X(n.x).toFixed(1)}" cy="${Y(n.y).toFixed(1)}" r="${r}" fill="${ratioColour(n.ratio)}"><title>${esc(n.id)} SF${n.sf} ${n.delivered}/${n.sent} (${fmtPct(n.ratio)})</title></circle>`)
    .join('');
  const gws = s.gateways
    .map((g) => {
      const x = X(g.x);
      const y = Y(g.y);
      return `<path d="M${x.toFixed(1)},${(y - 9).toFixed(1)} l8,14 h-16z" fill="#111" stroke="#fff"><title>${esc(g.id)}: ${g.decoded} decoded</title></path>`;
    })
    .join('');
  const scale = niceStep(w / 4, true);
  const legend = RATIO_BANDS.map((b, i) => `<rect x="${W - 300 + i * 75}" y="${H + 7}" width="10" height="10" fill="${b.colour}"/><text x="${W - 286 + i * 75}" y="${H + 16}" font-size="11">${esc(b.label)}</text>`).join('');
  return `<svg viewBox="0 0 ${W} ${H + 40}" width="${W}" role="img" aria-label="node map">
<rect width="${W}" height="${H}" fill="#f4f4f0"/>${pts}${gws}
<line x1="${pad}" y1="${H + 12}" x2="${pad + scale * k}" y2="${H + 12}" stroke="#333" stroke-width="2"/><text x="${pad + 4 + scale * k}" y="${H + 16}" font-size="11">${scale >= 1000 ? `${scale / 1000} km` : `${scale} m`}</text>
${legend}<text x="${W - 300}" y="${H + 34}" font-size="11">▲ gateway · colour: share of uplinks delivered</text></svg>`;
}

function bars(title: string, items: { label: string; value: number; note?: string }[], max: number, fmt: (v: number) => string): string {
  const bh = 22;
  const H = items.length * bh + 28;
  const lw = 50;
  const noteW = 250; // room for "99.4 % (13 nodes, 310/312)" after the longest bar
  const rows = items
    .map((it, i) => {
      const y = 24 + i * bh;
      const bw = max > 0 && Number.isFinite(it.value) ? ((W - lw - noteW) * it.value) / max : 0;
      return `<text x="${lw - 6}" y="${y + 15}" font-size="12" text-anchor="end">${esc(it.label)}</text><rect x="${lw}" y="${y + 3}" width="${Math.max(0, bw).toFixed(1)}" height="${bh - 6}" fill="#3b7dd8"/><text x="${(lw + Math.max(0, bw) + 6).toFixed(1)}" y="${y + 15}" font-size="12">${esc(fmt(it.value))}${it.note ? ' ' + esc(it.note) : ''}</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" role="img"><text x="0" y="14" font-size="13" font-weight="bold">${esc(title)}</text>${rows}</svg>`;
}

function histogram(title: string, values: number[], lo: number, hi: number, bins: number, fmtX: (v: number) => string): string {
  const H = 190;
  const left = 40;
  const right = W - 14;
  const base = H - 34;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    counts[b]!++;
  }
  const max = Math.max(1, ...counts);
  const bw = (right - left) / bins;
  const y = (c: number): number => ((base - 30) * c) / max;
  const rects = counts
    .map((c, i) => `<rect x="${(left + i * bw).toFixed(1)}" y="${(base - y(c)).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${y(c).toFixed(1)}" fill="#6a9f3b"><title>${esc(fmtX(lo + ((hi - lo) * i) / bins))} – ${esc(fmtX(lo + ((hi - lo) * (i + 1)) / bins))}: ${plural(c, 'node')}</title></rect>`)
    .join('');
  const xt = ticks(lo, hi, 4)
    .map((v) => {
      const x = left + ((right - left) * (v - lo)) / (hi - lo);
      return `<line x1="${x.toFixed(1)}" y1="${base}" x2="${x.toFixed(1)}" y2="${base + 4}" stroke="#333"/><text x="${x.toFixed(1)}" y="${base + 16}" font-size="11" text-anchor="${anchor(x)}">${esc(fmtX(v))}</text>`;
    })
    .join('');
  const yt = ticks(0, max, 3)
    .filter((v) => Number.isInteger(v))
    .map((v) => `<text x="${left - 4}" y="${(base - y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v}</text>`)
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" role="img"><text x="0" y="14" font-size="13" font-weight="bold">${esc(title)}</text>${rects}
<line x1="${left}" y1="${base}" x2="${right}" y2="${base}" stroke="#333"/>${xt}${yt}<text x="${left}" y="${H - 5}" font-size="11">nodes per bin</text></svg>`;
}

function line(s: Series): string {
  const H = 170;
  if (!s.points.length) return '';
  const d0 = s.decimals ?? 1;
  const left = 58;
  const right = W - 14;
  const top = 26;
  const base = H - 30;
  const xs = s.points.map((p) => p[0]);
  const ys = s.points.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  // A flat line still gets an axis that shows its value at the reading's resolution.
  const minSpan = 4 * Math.pow(10, -d0);
  if (y1 - y0 < minSpan) {
    const mid = (y0 + y1) / 2;
    y0 = mid - minSpan / 2;
    y1 = mid + minSpan / 2;
  }
  const px = (x: number): number => left + ((right - left) * (x - x0)) / (x1 - x0 || 1);
  const py = (y: number): number => base - ((base - top) * (y - y0)) / (y1 - y0);
  const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join('');
  const yTicks = ticks(y0, y1, 3);
  const stepDecimals = Math.max(d0, yTicks.length > 1 ? Math.max(0, -Math.floor(Math.log10(yTicks[1]! - yTicks[0]! + 1e-12))) : d0);
  const yt = yTicks
    .map((v) => `<line x1="${left}" y1="${py(v).toFixed(1)}" x2="${right}" y2="${py(v).toFixed(1)}" stroke="#e4e4e4"/><text x="${left - 4}" y="${(py(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v.toFixed(Math.min(stepDecimals, 3))}</text>`)
    .join('');
  const xt = ticks(x0, x1, 4)
    .map((v) => `<text x="${px(v).toFixed(1)}" y="${base + 16}" font-size="11" text-anchor="${anchor(px(v))}">${esc(fmtHours(v))}</text>`)
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" role="img"><text x="0" y="14" font-size="13" font-weight="bold">${esc(s.label)} (${esc(s.unit)})</text>${yt}
<line x1="${left}" y1="${base}" x2="${right}" y2="${base}" stroke="#333"/><path d="${d}" fill="none" stroke="#c0392b" stroke-width="1.5"/>${xt}</svg>`;
}

/** Stacked hourly bars: delivered (green), lost to collisions (red), other losses (grey). */
function hourly(h: { sent: number[]; delivered: number[]; collided: number[] }): string {
  const n = h.sent.length;
  const H = 190;
  const left = 46;
  const right = W - 14;
  const base = H - 34;
  const max = Math.max(1, ...h.sent);
  const bw = (right - left) / n;
  const y = (v: number): number => ((base - 30) * v) / max;
  let out = '';
  for (let i = 0; i < n; i++) {
    const x = left + i * bw;
    const d = h.delivered[i]!;
    const c = h.collided[i]!;
    const o = h.sent[i]! - d - c;
    let top = base;
    for (const [v, col] of [[d, '#4c9a2a'], [c, '#c0392b'], [o, '#999']] as const) {
      if (v <= 0) continue;
      top -= y(v);
      out += `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${y(v).toFixed(1)}" fill="${col}"><title>hour ${i}–${i + 1}: ${h.sent[i]} sent, ${d} delivered, ${c} collided, ${o} lost otherwise</title></rect>`;
    }
  }
  const xt = ticks(0, n, Math.min(n, 6))
    .filter((v) => Number.isInteger(v))
    .map((v) => `<text x="${(left + v * bw).toFixed(1)}" y="${base + 16}" font-size="11" text-anchor="${anchor(left + v * bw)}">${esc(fmtHours(v))}</text>`)
    .join('');
  const yt = ticks(0, max, 3)
    .filter((v) => Number.isInteger(v))
    .map((v) => `<text x="${left - 4}" y="${(base - y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v}</text>`)
    .join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" role="img"><text x="0" y="14" font-size="13" font-weight="bold">Uplinks per hour: delivered (green), collided (red), lost otherwise (grey)</text>${out}
<line x1="${left}" y1="${base}" x2="${right}" y2="${base}" stroke="#333"/>${xt}${yt}<text x="${left}" y="${H - 5}" font-size="11">virtual time</text></svg>`;
}

function trafficText(s: Summary['scenario']): string {
  if (s.traffic === 'poisson') return `Poisson traffic, one uplink every ${s.intervalS} s per node on average`;
  return `one uplink every ${s.intervalS} s per node`;
}

/** What produced the numbers: the models this run used, from the summary. */
function modelsText(s: Summary): string {
  const sc = s.scenario;
  const parts: string[] = [];
  const pl = sc.pathLoss;
  if (pl) {
    parts.push(`log-distance path loss PL(d) = ${pl.pl0Db} dB + 10·${pl.gamma}·log10(d / ${pl.d0M} m)` +
      (sc.shadowing === false ? ', no shadowing' : `, log-normal shadowing σ = ${pl.sigmaDb} dB`));
  }
  parts.push('SX1272/76 sensitivities', 'LoRa time on air (Semtech AN1200.13)');
  if (sc.dutyCycle !== undefined) parts.push(sc.dutyCycle ? `${s.models ? s.models.region : 'EU868'} duty cycle enforced per node` : 'duty cycle not enforced');
  const m = s.models as Summary['models'] | undefined;
  const coSf = m ? m.radio.coSfThresholdDb : 6;
  parts.push(sc.capture ? `capture effect on (≥ ${coSf} dB stronger frame survives once its preamble is locked)` : 'capture effect off (any overlap on the same channel and SF loses both)');
  parts.push(`${sc.mode} node model`);
  if (m) {
    parts.push(`${m.region}, ${m.gateway.model} gateway (${m.gateway.channelsHz.length} channels, ${m.gateway.demodulators} demodulators)`);
    parts.push(`SF orthogonality ${m.radio.orthogonality}${m.radio.orthogonality === 'croce2018' ? ' (Croce et al. 2018)' : ''}`);
  }
  return `Models: ${parts.join('; ')}. See docs/simulator.md.`;
}

function faultsSection(s: Summary): string {
  const f = s.faults ?? [];
  if (!f.length) return '';
  const rows = f
    .map((x) => `<tr><td>${esc(x.kind)}</td><td>${esc(x.kind === 'offline' ? '(whole node)' : x.sensor)}</td><td>${esc(fmtHours(x.fromH))} – ${esc(fmtHours(x.toH))}</td><td>${x.nodes.length ? esc(x.nodes.slice(0, 12).join(', ') + (x.nodes.length > 12 ? ` and ${x.nodes.length - 12} more` : '')) : 'none (the fraction picked no node)'}</td></tr>`)
    .join('');
  return `<h2>Injected faults</h2><table><tr><th>fault</th><th>sensor</th><th>virtual time</th><th>nodes</th></tr>${rows}</table>`;
}

export function renderReport(s: Summary, series: Series[] = []): string {
  const o = s.overall;
  const sc = s.scenario;
  const sfItems = Object.entries(s.perSf).map(([k, v]) => ({ label: `SF${k}`, value: v.deliveryRatio, note: `(${plural(v.nodes, 'node')}, ${v.delivered}/${v.sent})` }));
  const rows = (pairs: [string, string | number][]): string => pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('');
  const gwRows = s.gateways.map((g) => `<tr><td>${esc(g.id)}</td><td>${g.decoded}</td><td>${g.collisions}</td><td>${g.lostWhileTransmitting}</td><td>${g.downlinks}</td></tr>`).join('');
  const worst = [...s.nodes].sort((a, b) => a.ratio - b.ratio || a.id.localeCompare(b.id)).slice(0, 15);
  const worstRows = worst.map((n) => `<tr><td>${esc(n.id)}</td><td>${n.devAddr}</td><td>SF${n.sf}</td><td>${n.delivered}/${n.sent}</td><td><span style="color:${ratioColour(n.ratio)}">■</span> ${fmtPct(n.ratio)}</td><td>${n.collided}</td><td>${n.outOfRange}</td><td>${fmtNum(n.batteryLifeDays)}</td></tr>`).join('');
  const gs = s.gatewaySide;
  const lives = s.nodes.map((n) => n.batteryLifeDays).filter((x) => Number.isFinite(x));
  const heard = Object.entries(o.heardByGateways).map(([k, v]) => `${k}: ${v}`).join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kerb sim — ${esc(sc.name)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1000px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f2f2f2}svg{display:block;margin:8px 0;max-width:100%;height:auto}.big{font-size:28px;font-weight:bold}</style></head>
<body>
<h1>kerb fleet simulation — ${esc(sc.name)}</h1>
<p>${plural(sc.nodes, 'node')}, ${plural(sc.gateways, 'gateway')}, ${esc(fmtHours(sc.durationH))} of virtual time, seed ${sc.seed}, ${esc(sc.mode)} node model, capture effect ${sc.capture ? 'on' : 'off'}, ${esc(trafficText(sc))}.</p>
<p class="big">${fmtPct(o.deliveryRatio)} delivered <small>(${o.delivered} of ${o.sent} uplinks)</small></p>
<h2>Overall</h2><table>${rows([
    ['uplinks sent', o.sent], ['delivered to ≥ 1 gateway', o.delivered], ['lost to collisions', o.collided], ['lost: out of range', o.outOfRange],
    ['lost: gateway transmitting', o.gatewayBusy], ['gateway receptions (incl. duplicates)', o.receptions],
    ['frames heard by n gateways', heard || 'none'],
    ['total airtime', `${fmtNum(o.airtimeS)} s`], ['duty cycle per node, mean / max', `${fmtNum(o.dutyCycleMeanPct, 3)} % / ${fmtNum(o.dutyCycleMaxPct, 3)} % (limit 1 %)`],
    ['downlinks sent / received by their node', `${o.downlinksSent} / ${o.downlinksDelivered}`],
    ['battery life (median / worst)', `${fmtNum(s.battery.medianLifeDays)} / ${fmtNum(s.battery.minLifeDays)} days on ${s.battery.capacityMah} mAh`],
  ])}</table>
${gs ? `<h2>Real gateway</h2><table>${rows([[gs.via === 'udp' ? 'rxpk sent by the simulated packet forwarders' : 'packets over the serial link', gs.rxPacketsToGateway], ['uplinks published to MQTT', gs.published ?? 'not counted'], ['tx requests', gs.txRequests], ['tx sent', gs.txOk], ['tx rejected', gs.txRejected]])}</table>` : ''}
${faultsSection(s)}
<h2>Map</h2>${map(s)}
${s.hourly.sent.length ? `<h2>Traffic</h2>${hourly(s.hourly)}` : ''}
${sfItems.length ? `<h2>Delivery by spreading factor</h2>${bars('Share of uplinks delivered, per spreading factor', sfItems, 1, fmtPct)}` : ''}
${s.nodes.length ? histogram('Nodes by delivery ratio', s.nodes.map((n) => n.ratio), 0, 1, 20, (v) => `${Math.round(100 * v)} %`) : ''}
${lives.length ? histogram('Nodes by estimated battery life', lives, 0, Math.max(1, Math.ceil(Math.max(...lives))), 20, (v) => `${Number(v.toFixed(1))} d`) : ''}
${series.some((x) => x.points.length) ? `<h2>Environment at ${esc(s.nodes[0]?.id ?? '')}</h2>${series.map(line).join('')}` : ''}
<h2>Gateways</h2><table><tr><th>id</th><th>decoded</th><th>collisions</th><th>lost while transmitting</th><th>downlinks</th></tr>${gwRows}</table>
${worst.length ? `<h2>Nodes with the lowest delivery</h2><table><tr><th>id</th><th>DevAddr</th><th>SF</th><th>delivered</th><th>ratio</th><th>collided</th><th>out of range</th><th>battery days</th></tr>${worstRows}</table>` : ''}
${s.notes.length ? `<h2>Notes</h2><ul>${s.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
<p><small>${esc(modelsText(s))}</small></p>
</body></html>
`;
}
