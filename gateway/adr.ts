// Adaptive data rate on the network side: ChirpStack's default ADR algorithm, ported from
// chirpstack/chirpstack chirpstack/src/adr/default.rs (Algorithm::handle), with the required SNR
// per spreading factor of chirpstack/src/config.rs get_required_snr_for_sf and the uplink history
// kept as chirpstack/src/uplink/data.rs does (the last 20 uplinks, best SNR over the gateways that
// heard each, a retransmission of the last FCnt not added). What it does:
//   snrMargin = max SNR of the history − required SNR of the current DR − installation margin
//   nStep     = trunc(snrMargin / 3)           (Rust `as isize` truncates toward zero)
//   nStep > 0: raise the DR one step per step up to the max DR, then lower the TX power
//              (raise the TXPower index) one step per step up to the max index;
//   nStep < 0: lower the TXPower index (more power) one step per step, never the DR, and only once
//              20 uplinks at the current TX power are in the history (no up/down/up oscillation);
//   NbTrans from the packet loss over the history (FCnt gaps): <5 % / <10 % / <30 % / more.
// The DR is lowered only when it exceeds the max DR. A LinkADRReq is due when the answer differs
// from the device's current DR, TX power index or NbTrans. Pure: no I/O, no clock.

/** Uplinks of history the algorithm wants (default.rs required_history_count). */
export const ADR_HISTORY = 20;
/** Installation margin, dB (ChirpStack's region configuration default, installation_margin = 10). */
export const INSTALLATION_MARGIN_DB = 10;

export interface AdrUplink {
  fcnt: number;          // 32-bit FCnt
  maxSnr: number;        // best SNR over the receptions of this uplink, dB
  txPowerIndex: number;  // the device's TXPower index when it sent it
}

export interface AdrRequest {
  adr: boolean;              // the uplink's ADR bit
  dr: number;                // data rate of the uplink
  txPowerIndex: number;
  nbTrans: number;
  maxTxPowerIndex: number;   // EU868: 7 (MaxEIRP − 14 dB, RP002-1.0.3 §2.2.3)
  requiredSnrForDr: number;  // requiredSnrForSf of the uplink's SF
  installationMargin: number;
  maxDr: number;             // highest 125 kHz LoRa DR allowed (EU868: DR5 = SF7)
  history: AdrUplink[];
}

export interface AdrResponse { dr: number; txPowerIndex: number; nbTrans: number }

/** Demodulation floor per SF at 125 kHz, dB (config.rs get_required_snr_for_sf; SX1276 datasheet Table 13). */
export function requiredSnrForSf(sf: number): number {
  switch (sf) {
    case 6: return -5;
    case 7: return -7.5;
    case 8: return -10;
    case 9: return -12.5;
    case 10: return -15;
    case 11: return -17.5;
    case 12: return -20;
    default: throw new Error(`no required SNR for SF${sf}`);
  }
}

/** default.rs get_ideal_tx_power_index_and_dr (recursion unrolled). */
export function idealTxPowerIndexAndDr(nStep: number, txPowerIndex: number, dr: number, maxTxPowerIndex: number, maxDr: number): { txPowerIndex: number; dr: number } {
  let n = nStep;
  let p = txPowerIndex;
  let d = dr;
  while (n > 0) {
    if (d < maxDr) d++;
    else if (p < maxTxPowerIndex) p++;
    n--;
  }
  while (n < 0) {
    if (p > 0) p--;
    n++;
  }
  return { txPowerIndex: p, dr: d };
}

/** default.rs get_nb_trans: rows by packet loss (<5, <10, <30, else), columns by current NbTrans 1..3. */
export function nbTransFor(current: number, lossPct: number): number {
  const table = [[1, 1, 2], [1, 2, 3], [2, 3, 3], [3, 3, 3]];
  const i = Math.min(3, Math.max(1, current)) - 1;
  const row = lossPct < 5 ? 0 : lossPct < 10 ? 1 : lossPct < 30 ? 2 : 3;
  return table[row]![i]!;
}

/** default.rs get_packet_loss_percentage: FCnt gaps over a full history, as a percentage. */
export function packetLossPct(history: AdrUplink[]): number {
  if (history.length < ADR_HISTORY) return 0;
  let lost = 0;
  for (let i = 1; i < history.length; i++) lost += history[i]!.fcnt - history[i - 1]!.fcnt - 1;
  return (lost / history.length) * 100;
}

/** default.rs Algorithm::handle. */
export function defaultAdr(req: AdrRequest): AdrResponse {
  const resp: AdrResponse = { dr: req.dr, txPowerIndex: req.txPowerIndex, nbTrans: req.nbTrans };
  if (!req.adr) return resp;
  if (req.dr > req.maxDr) resp.dr = req.maxDr;
  resp.nbTrans = nbTransFor(req.nbTrans, packetLossPct(req.history));
  let maxSnr = -999;
  for (const h of req.history) if (h.maxSnr > maxSnr) maxSnr = h.maxSnr;
  const snrMargin = maxSnr - req.requiredSnrForDr - req.installationMargin;
  const nStep = Math.trunc(snrMargin / 3);
  const atPower = req.history.filter((h) => h.txPowerIndex === req.txPowerIndex).length;
  if (nStep < 0 && atPower !== ADR_HISTORY) return resp;
  const ideal = idealTxPowerIndexAndDr(nStep, resp.txPowerIndex, resp.dr, req.maxTxPowerIndex, req.maxDr);
  resp.dr = ideal.dr;
  resp.txPowerIndex = ideal.txPowerIndex;
  return resp;
}

/** Appends an uplink to a history, keeping the last ADR_HISTORY; a repeat of the last FCnt is ignored. */
export function pushHistory(history: AdrUplink[], u: AdrUplink): AdrUplink[] {
  const last = history[history.length - 1];
  if (last && last.fcnt === u.fcnt) return history;
  const next = history.concat([u]);
  return next.length > ADR_HISTORY ? next.slice(next.length - ADR_HISTORY) : next;
}
