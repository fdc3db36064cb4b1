// Semtech UDP packet forwarder protocol, version 2 (Lora-net/packet_forwarder PROTOCOL.TXT), as
// spoken by lora_pkt_fwd on concentrator gateways (SX1301/SX1302). A pure codec: decodeDatagram()
// never throws on wire data, it returns { ok: false, reason } naming what is wrong.
//
// Datagram header (PROTOCOL.TXT §3.2, §3.3, §5.2–§5.5): version(1) = 2 | token(2) | identifier(1)
// [| gateway EUI(8) for PUSH_DATA, PULL_DATA, TX_ACK] [| JSON].

export const SEMTECH_VERSION = 2;
export const PUSH_DATA = 0x00;
export const PUSH_ACK = 0x01;
export const PULL_DATA = 0x02;
export const PULL_RESP = 0x03;
export const PULL_ACK = 0x04;
export const TX_ACK = 0x05;

/**
 * Largest datagram accepted. lora_pkt_fwd (lora_pkt_fwd.c) sends at most TX_BUFF_SIZE =
 * 540 × NB_PKT_MAX(8) + 30 + STATUS_SIZE(200) = 4550 bytes; twice that leaves room for other forwarders.
 */
export const MAX_DATAGRAM = 9100;

/** One received LoRa packet (PROTOCOL.TXT §4 "rxpk"), with the fields kerb uses, parsed. */
export interface Rxpk {
  tmst: number;        // µs, concentrator counter at "RX finished" (uint32, wraps)
  freqHz: number;
  sf: number;
  bwHz: number;
  cr: number;          // 1..4 = 4/5..4/8
  rssiDbm: number;
  snrDb: number;
  crcOk: boolean;      // stat === 1
  payload: Uint8Array;
}

/** Gateway status (PROTOCOL.TXT §4 "stat"); every field optional. */
export interface Stat {
  time?: string;
  rxnb?: number;
  rxok?: number;
  rxfw?: number;
  ackr?: number;
  dwnb?: number;
  txnb?: number;
}

export type Datagram =
  | { kind: 'push_data'; token: number; eui: string; rxpk: Rxpk[]; stat: Stat | undefined; skipped: string[] }
  | { kind: 'pull_data'; token: number; eui: string }
  | { kind: 'tx_ack'; token: number; eui: string; error: string }
  | { kind: 'push_ack' | 'pull_ack'; token: number }
  | { kind: 'pull_resp'; token: number; txpk: Record<string, unknown> };

export type DecodeResult = { ok: true; d: Datagram } | { ok: false; reason: string };

function hexEui(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset + 4, 8).toString('hex');
}

function fail(reason: string): DecodeResult {
  return { ok: false, reason };
}

/** "SF7BW125" → {sf, bwHz}; undefined for FSK or anything else. */
export function parseDatr(datr: unknown): { sf: number; bwHz: number } | undefined {
  if (typeof datr !== 'string') return undefined;
  const m = /^SF(\d{1,2})BW(\d{2,3})$/.exec(datr);
  if (!m) return undefined;
  const sf = Number(m[1]);
  const bw = Number(m[2]);
  if (sf < 5 || sf > 12 || (bw !== 125 && bw !== 250 && bw !== 500)) return undefined;
  return { sf, bwHz: bw * 1000 };
}

export function formatDatr(sf: number, bwHz: number): string {
  return `SF${sf}BW${Math.round(bwHz / 1000)}`;
}

/** "4/5" → 1 … "4/8" → 4 (the LoRa CR index the serial link uses); undefined otherwise. */
export function parseCodr(codr: unknown): number | undefined {
  if (typeof codr !== 'string') return undefined;
  const m = /^4\/([5-8])$/.exec(codr);
  return m ? Number(m[1]) - 4 : undefined;
}

export function formatCodr(cr: number): string {
  return `4/${4 + Math.min(4, Math.max(1, cr))}`;
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Parses one rxpk object; a string says why it was skipped (FSK, bad field…). */
function parseRxpk(o: unknown): Rxpk | string {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return 'rxpk entry is not an object';
  const r = o as Record<string, unknown>;
  if (r.modu !== undefined && r.modu !== 'LORA') return `modulation ${String(r.modu)} not supported`;
  const dr = parseDatr(r.datr);
  if (!dr) return `datr ${JSON.stringify(r.datr)} is not a LoRa data rate like "SF7BW125"`;
  if (!finite(r.tmst) || r.tmst < 0 || r.tmst > 0xffffffff) return 'tmst missing or not a uint32';
  if (!finite(r.freq) || r.freq <= 0 || r.freq > 3000) return 'freq missing or not in MHz';
  if (!finite(r.rssi)) return 'rssi missing';
  if (typeof r.data !== 'string') return 'data missing';
  const payload = new Uint8Array(Buffer.from(r.data, 'base64'));
  if (payload.length > 255) return 'data longer than 255 bytes';
  if (finite(r.size) && r.size !== payload.length) return `size ${r.size} does not match data (${payload.length} bytes)`;
  return {
    tmst: Math.trunc(r.tmst), freqHz: Math.round(r.freq * 1e6), sf: dr.sf, bwHz: dr.bwHz,
    cr: parseCodr(r.codr) ?? 1, rssiDbm: Math.round(r.rssi), snrDb: finite(r.lsnr) ? r.lsnr : 0,
    crcOk: r.stat === 1, payload,
  };
}

function parseJson(b: Uint8Array, from: number): Record<string, unknown> | string {
  const text = Buffer.from(b.buffer, b.byteOffset + from, b.byteLength - from).toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'JSON body does not parse';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'JSON body is not an object';
  return v as Record<string, unknown>;
}

/** Decodes any protocol v2 datagram. Never throws. */
export function decodeDatagram(b: Uint8Array): DecodeResult {
  if (b.length > MAX_DATAGRAM) return fail('oversized');
  if (b.length < 4) return fail('short');
  if (b[0] !== SEMTECH_VERSION) return fail(`protocol version ${b[0]} (only 2 is supported)`);
  const token = (b[1]! << 8) | b[2]!;
  const id = b[3]!;
  switch (id) {
    case PUSH_ACK: return { ok: true, d: { kind: 'push_ack', token } };
    case PULL_ACK: return { ok: true, d: { kind: 'pull_ack', token } };
    case PULL_RESP: {
      const j = parseJson(b, 4);
      if (typeof j === 'string') return fail(j);
      const txpk = j.txpk;
      if (!txpk || typeof txpk !== 'object' || Array.isArray(txpk)) return fail('PULL_RESP without a txpk object');
      return { ok: true, d: { kind: 'pull_resp', token, txpk: txpk as Record<string, unknown> } };
    }
    case PUSH_DATA:
    case PULL_DATA:
    case TX_ACK:
      break;
    default:
      return fail(`unknown identifier 0x${id.toString(16)}`);
  }
  if (b.length < 12) return fail('short');
  const eui = hexEui(b);
  if (id === PULL_DATA) return { ok: true, d: { kind: 'pull_data', token, eui } };
  if (id === TX_ACK) {
    // §5.5: no JSON (or only whitespace/NUL, as some forwarders send) means no error.
    const rest = Buffer.from(b.buffer, b.byteOffset + 12, b.byteLength - 12).toString('utf8').replace(/[\s\0]+/g, '');
    if (!rest) return { ok: true, d: { kind: 'tx_ack', token, eui, error: 'NONE' } };
    const j = parseJson(b, 12);
    if (typeof j === 'string') return fail(j);
    const ack = j.txpk_ack as Record<string, unknown> | undefined;
    const error = ack && typeof ack === 'object' && typeof ack.error === 'string' ? ack.error : 'NONE';
    return { ok: true, d: { kind: 'tx_ack', token, eui, error } };
  }
  const j = parseJson(b, 12);
  if (typeof j === 'string') return fail(j);
  const rxpk: Rxpk[] = [];
  const skipped: string[] = [];
  if (j.rxpk !== undefined) {
    if (!Array.isArray(j.rxpk)) return fail('rxpk is not an array');
    for (const o of j.rxpk) {
      const r = parseRxpk(o);
      if (typeof r === 'string') skipped.push(r);
      else rxpk.push(r);
    }
  }
  let stat: Stat | undefined;
  if (j.stat !== undefined) {
    if (!j.stat || typeof j.stat !== 'object' || Array.isArray(j.stat)) return fail('stat is not an object');
    const s = j.stat as Record<string, unknown>;
    stat = {};
    if (typeof s.time === 'string') stat.time = s.time;
    for (const k of ['rxnb', 'rxok', 'rxfw', 'ackr', 'dwnb', 'txnb'] as const) if (finite(s[k])) stat[k] = s[k];
  }
  return { ok: true, d: { kind: 'push_data', token, eui, rxpk, stat, skipped } };
}

function header(token: number, id: number, eui?: string): Buffer {
  const h = Buffer.alloc(eui ? 12 : 4);
  h[0] = SEMTECH_VERSION;
  h.writeUInt16BE(token & 0xffff, 1);
  h[3] = id;
  if (eui) Buffer.from(eui, 'hex').copy(h, 4, 0, 8);
  return h;
}

/** PUSH_ACK / PULL_ACK (§3.3, §5.3): the token of the datagram acknowledged. */
export function encodeAck(kind: 'push_ack' | 'pull_ack', token: number): Buffer {
  return header(token, kind === 'push_ack' ? PUSH_ACK : PULL_ACK);
}

/** A LoRa transmission for PULL_RESP (§6 "txpk"). */
export interface Txpk {
  /** Concentrator counter (µs) at which to start; class A windows are timed, never immediate. */
  tmst: number;
  freqHz: number;
  powerDbm: number;
  sf: number;
  bwHz: number;
  cr: number;
  invertIq: boolean;
  payload: Uint8Array;
}

export function encodePullResp(token: number, t: Txpk): Buffer {
  const txpk = {
    imme: false,
    tmst: t.tmst >>> 0,
    // §6: MHz with Hz precision.
    freq: Number((t.freqHz / 1e6).toFixed(6)),
    rfch: 0,
    powe: t.powerDbm,
    modu: 'LORA',
    datr: formatDatr(t.sf, t.bwHz),
    codr: formatCodr(t.cr),
    ipol: t.invertIq,
    size: t.payload.length,
    data: Buffer.from(t.payload).toString('base64'),
  };
  return Buffer.concat([header(token, PULL_RESP), Buffer.from(JSON.stringify({ txpk }))]);
}

/** For emulators and tests of this codec: PUSH_DATA with the given JSON body. */
export function encodePushData(token: number, eui: string, body: unknown): Buffer {
  return Buffer.concat([header(token, PUSH_DATA, eui), Buffer.from(JSON.stringify(body))]);
}
