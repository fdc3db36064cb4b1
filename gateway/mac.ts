// The network side of the LoRaWAN MAC layer (LoRaWAN 1.0.4 §5): reads the MAC commands of every
// accepted uplink (FOpts, or the FPort 0 payload that openFrame decrypted with the NwkSKey), answers
// them, and adds the network's own requests, all to go in the FOpts of the class A downlink that
// follows the uplink:
// - LinkCheckReq → LinkCheckAns: margin = SNR of the uplink above the demodulation floor of its SF
//   (gateway/adr.ts requiredSnrForSf), clamped to 0..254; GwCnt = radios that heard it (§5.2).
// - DeviceTimeReq → DeviceTimeAns: GPS time of the end of the uplink (§5.9, 1.0.3+): the gateway
//   clock when the radio reported the frame (serial latency: milliseconds), GPS epoch 1980-01-06,
//   18 leap seconds (GPS − UTC since 2017-01-01, IERS Bulletin C), fraction in 1/256 s.
// - DevStatusAns → battery and margin handed to the publisher (SenML); DevStatusReq is sent on the
//   every devStatusIntervalMs per device, the first one that long after its session was first
//   heard (§5.6): a gateway restart must not make every device's next uplink cost a downlink.
// - LinkADRAns: all three ACK bits → the device's TX power index and NbTrans are what we asked,
//   and the SNR history starts again when anything changed (ChirpStack maccommand/link_adr.rs);
//   otherwise the request is dropped and logged (§5.3: the device applied nothing). An uplink at a
//   new data rate also resets the TX power index and the history (ChirpStack uplink/data.rs).
// - RXParamSetupAns, RXTimingSetupAns, DlChannelAns are "sticky" (§5.5, §5.8, §5.11: repeated in
//   every uplink until a class A downlink arrives): their arrival asks for a downlink, empty or not.
// - ADR: the uplink's best SNR goes into the device's history; when its ADR bit is set and
//   ChirpStack's default algorithm (gateway/adr.ts) wants another DR, TX power or NbTrans, a
//   LinkADRReq goes out (EU868: DR = 12 − SF at 125 kHz, channels 0–2, §5.3 / RP002-1.0.3 §2.2).
// State is per device session, in memory: a restart costs 20 uplinks of ADR history.
import type { Logger, RxMeta } from './types.ts';
import type { DeviceInfo } from '../host/registry.ts';
import {
  decodeMac, encodeMac, CID_LINK_CHECK, CID_DEVICE_TIME, CID_DEV_STATUS, CID_LINK_ADR, CID_RX_PARAM_SETUP, CID_RX_TIMING_SETUP,
  CID_DL_CHANNEL, LINK_ADR_ANS_POWER, LINK_ADR_ANS_DR, LINK_ADR_ANS_CHMASK,
} from '../shared/lorawan/mac.ts';
import type { MacCommand } from '../shared/lorawan/mac.ts';
import { DIR_UP, DIR_DOWN } from '../shared/lorawan/constants.ts';
import { defaultAdr, pushHistory, requiredSnrForSf, INSTALLATION_MARGIN_DB } from './adr.ts';
import type { AdrUplink } from './adr.ts';

/** Seconds between the Unix epoch and the GPS epoch (1980-01-06T00:00:00Z). */
export const GPS_EPOCH_UNIX_S = 315964800;
/** GPS − UTC in seconds since 2017-01-01 (IERS Bulletin C: no leap second announced since). */
export const GPS_LEAP_SECONDS = 18;
/** EU868 (RP002-1.0.3 §2.2.3): TXPower 0..7 = MaxEIRP − 2·index dB. */
export const EU868_MAX_TX_POWER_INDEX = 7;
/** EU868 highest 125 kHz LoRa data rate: DR5 = SF7. */
export const EU868_MAX_LORA_DR = 5;

/** GPS time of a Unix time in ms: whole seconds and 1/256 s (DeviceTimeAns). */
export function gpsTime(unixMs: number): { gpsSeconds: number; fraction: number } {
  const s = unixMs / 1000 - GPS_EPOCH_UNIX_S + GPS_LEAP_SECONDS;
  const whole = Math.floor(s);
  return { gpsSeconds: whole, fraction: Math.floor((s - whole) * 256) };
}

/** EU868 data rate of a 125 kHz LoRa SF (DR0 = SF12 … DR5 = SF7); -1 otherwise. */
export function eu868Dr(sf: number, bwHz: number): number {
  if (bwHz === 125000 && sf >= 7 && sf <= 12) return 12 - sf;
  if (bwHz === 250000 && sf === 7) return 6;
  return -1;
}

export interface DevStatus { battery: number; marginDb: number }

export interface MacResult {
  /** MAC commands for the downlink, encoded (≤ 15 bytes: FOpts). Empty: nothing to say. */
  fopts: Uint8Array;
  /** A downlink is wanted even with nothing to say (a sticky answer must be stopped). */
  needDownlink: boolean;
  devStatus?: DevStatus;
  /** The LinkADRReq sent, if any (for logs and tests). */
  adr?: { dr: number; txPowerIndex: number; nbTrans: number };
}

interface DeviceMacState {
  sessionId: string;
  /** Data rate of the last uplink (-1 before the first). */
  dr: number;
  history: AdrUplink[];
  txPowerIndex: number;
  nbTrans: number;
  lastDevStatusReqAt: number;
  /** LinkADRReq sent and not answered yet. */
  pendingAdr: { dr: number; txPowerIndex: number; nbTrans: number } | undefined;
}

export interface NetworkMacOptions {
  log: Logger;
  /** How often to ask a device for DevStatusAns. Default 24 h; 0 = never. */
  devStatusIntervalMs?: number;
  /** Run ADR for devices that set the ADR bit. Default true. */
  adr?: boolean;
  installationMarginDb?: number;
}

export interface UplinkMacInput {
  dev: DeviceInfo;
  fopts: Uint8Array;
  fport: number;
  payload: Uint8Array;
  adrBit: boolean;
  fcnt32: number;
  meta: RxMeta;
  /** Radios that heard this uplink (de-duplicated receptions) and the best SNR among them. */
  gwCount: number;
  maxSnrDb: number;
  receivedAt: number;
}

/** FOpts holds 15 bytes: whole commands only, in order of importance (answers first). */
function fit(cmds: MacCommand[]): MacCommand[] {
  const out: MacCommand[] = [];
  let n = 0;
  for (const c of cmds) {
    const len = encodeMac([c], DIR_DOWN).length;
    if (n + len > 15) continue;
    out.push(c);
    n += len;
  }
  return out;
}

export class NetworkMac {
  private readonly state = new Map<string, DeviceMacState>();
  private readonly o: NetworkMacOptions;

  constructor(o: NetworkMacOptions) {
    this.o = o;
  }

  private stateOf(dev: DeviceInfo): DeviceMacState {
    let s = this.state.get(dev.id);
    if (!s || s.sessionId !== dev.sessionId) {
      // A new session (new join, new keys): the device starts from its defaults again.
      s = { sessionId: dev.sessionId, dr: -1, history: [], txPowerIndex: 0, nbTrans: 1, lastDevStatusReqAt: NaN, pendingAdr: undefined };
      this.state.set(dev.id, s);
    }
    return s;
  }

  onUplink(u: UplinkMacInput): MacResult {
    const s = this.stateOf(u.dev);
    const dr = eu868Dr(u.meta.sf, u.meta.bwHz);
    // ChirpStack uplink/data.rs set_uplink_data_rate: a device that changed its data rate may also
    // have gone back to full power, so the TX power index and the SNR history start again.
    if (s.dr >= 0 && dr !== s.dr) {
      s.txPowerIndex = 0;
      s.history = [];
    }
    s.dr = dr;
    const cmds = decodeMac(u.fport === 0 ? u.payload : u.fopts, DIR_UP);
    const answers: MacCommand[] = [];
    const res: MacResult = { fopts: new Uint8Array(0), needDownlink: false };
    for (const c of cmds) {
      switch (c.cid) {
        case CID_LINK_CHECK: {
          const margin = Math.round(u.maxSnrDb - requiredSnrForSf(u.meta.sf));
          answers.push({ cid: CID_LINK_CHECK, margin: Math.max(0, Math.min(254, margin)), gwCnt: Math.min(255, u.gwCount) });
          break;
        }
        case CID_DEVICE_TIME: {
          const t = gpsTime(u.receivedAt);
          answers.push({ cid: CID_DEVICE_TIME, gpsSeconds: t.gpsSeconds, fraction: t.fraction });
          break;
        }
        case CID_DEV_STATUS:
          res.devStatus = { battery: c.battery!, marginDb: c.margin! };
          break;
        case CID_LINK_ADR: {
          const p = s.pendingAdr;
          s.pendingAdr = undefined;
          const all = LINK_ADR_ANS_POWER | LINK_ADR_ANS_DR | LINK_ADR_ANS_CHMASK;
          if (p && (c.status! & all) === all) {
            // ChirpStack maccommand/link_adr.rs: new settings make the old SNRs meaningless.
            if (p.txPowerIndex !== s.txPowerIndex || p.nbTrans !== s.nbTrans || p.dr !== dr) s.history = [];
            s.txPowerIndex = p.txPowerIndex;
            s.nbTrans = p.nbTrans;
          } else if (p) {
            this.o.log.warn('device refused LinkADRReq', { device: u.dev.id, status: c.status, asked: p });
          }
          break;
        }
        case CID_RX_PARAM_SETUP:
        case CID_RX_TIMING_SETUP:
        case CID_DL_CHANNEL:
          res.needDownlink = true;
          break;
      }
    }
    const requests: MacCommand[] = [];
    const every = this.o.devStatusIntervalMs ?? 24 * 3600_000;
    if (Number.isNaN(s.lastDevStatusReqAt)) s.lastDevStatusReqAt = u.receivedAt;
    if (every > 0 && u.receivedAt - s.lastDevStatusReqAt >= every) {
      requests.push({ cid: CID_DEV_STATUS });
      s.lastDevStatusReqAt = u.receivedAt;
    }
    if (dr >= 0 && dr <= EU868_MAX_LORA_DR) {
      s.history = pushHistory(s.history, { fcnt: u.fcnt32, maxSnr: u.maxSnrDb, txPowerIndex: s.txPowerIndex });
      if ((this.o.adr ?? true) && u.adrBit) {
        const want = defaultAdr({
          adr: true, dr, txPowerIndex: s.txPowerIndex, nbTrans: s.nbTrans, maxTxPowerIndex: EU868_MAX_TX_POWER_INDEX,
          requiredSnrForDr: requiredSnrForSf(u.meta.sf), installationMargin: this.o.installationMarginDb ?? INSTALLATION_MARGIN_DB,
          maxDr: EU868_MAX_LORA_DR, history: s.history,
        });
        if (want.dr !== dr || want.txPowerIndex !== s.txPowerIndex || want.nbTrans !== s.nbTrans) {
          // ChMask 0x0007 with ChMaskCntl 0: the three EU868 default channels stay on (RP002-1.0.3 §2.2.5).
          requests.push({ cid: CID_LINK_ADR, dataRate: want.dr, txPower: want.txPowerIndex, chMask: 7, chMaskCntl: 0, nbTrans: want.nbTrans });
          s.pendingAdr = want;
          res.adr = want;
        }
      }
    }
    const chosen = fit(answers.concat(requests));
    if (res.adr && !chosen.some((c) => c.cid === CID_LINK_ADR)) {
      s.pendingAdr = undefined;
      delete res.adr;
    }
    res.fopts = encodeMac(chosen, DIR_DOWN);
    return res;
  }

  /** The device's TX power index and NbTrans as last confirmed by LinkADRAns (for tests and the simulator). */
  radioSettings(deviceId: string): { txPowerIndex: number; nbTrans: number } | undefined {
    const s = this.state.get(deviceId);
    return s ? { txPowerIndex: s.txPowerIndex, nbTrans: s.nbTrans } : undefined;
  }
}
