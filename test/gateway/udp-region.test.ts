// RX1/RX2 per region through the real gateway and a forwarder emulator written from PROTOCOL.TXT:
// a confirmed uplink is answered with an ACK downlink as txpk; the forwarder refuses RX1 (TX_ACK
// TOO_LATE), so the gateway sends the same frame for RX2. The expected windows are written out
// from RP002-1.0.3 (§2.4.7 EU863-870, §2.5.7 US902-928, §2.10.7 AS923), not computed by kerb code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../../gateway/main.ts';
import { createLogger } from '../../gateway/log.ts';
import { resolveConfig } from '../../gateway/config.ts';
import { encodeReadings } from '../../shared/payload/kerb.ts';
import { loraUplink, lp, newDevice, writeRegistry } from '../helpers/ingest.ts';
import { waitUntil } from '../helpers/gateway.ts';
import { ForwarderEmulator } from '../helpers/semtech-forwarder.ts';
import type { DownlinkResult } from '../../gateway/types.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

interface Case {
  region: string | undefined; // undefined: the default
  up: { freq: number; datr: string };
  rx1: { freq: number; datr: string };
  rx2: { freq: number; datr: string };
}

const CASES: Record<string, Case> = {
  // §2.4.7: RX1 on the uplink channel and DR (offset 0); RX2 869.525 MHz DR0.
  'EU868 (the default)': { region: undefined, up: { freq: 867.5, datr: 'SF10BW125' }, rx1: { freq: 867.5, datr: 'SF10BW125' }, rx2: { freq: 869.525, datr: 'SF12BW125' } },
  // §2.5.7: channel 9 (904.1 MHz, DR1) → downlink channel 9 mod 8 = 1 (923.9 MHz), DR11; RX2 923.3 MHz DR8.
  'US915, 125 kHz channel': { region: 'US915', up: { freq: 904.1, datr: 'SF9BW125' }, rx1: { freq: 923.9, datr: 'SF9BW500' }, rx2: { freq: 923.3, datr: 'SF12BW500' } },
  // channel 70 (912.6 MHz, DR4) → downlink channel 70 mod 8 = 6 (926.9 MHz), DR13.
  'US915, 500 kHz channel': { region: 'US915', up: { freq: 912.6, datr: 'SF8BW500' }, rx1: { freq: 926.9, datr: 'SF7BW500' }, rx2: { freq: 923.3, datr: 'SF12BW500' } },
  // §2.10.7: RX1 on the uplink channel, DR2 → DR2; RX2 923.2 MHz DR2.
  'AS923-1': { region: 'as923-1', up: { freq: 923.4, datr: 'SF10BW125' }, rx1: { freq: 923.4, datr: 'SF10BW125' }, rx2: { freq: 923.2, datr: 'SF10BW125' } },
};

describe('RX1 and RX2 per region over the Semtech UDP forwarder', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: txpk frequency, data rate and tmst`, async () => {
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-udp-region-'));
      dirs.push(stateDir);
      const dev = newDevice('r-1');
      writeRegistry(path.join(stateDir, 'devices.json'), [dev]);
      const gateway: Record<string, unknown> = { id: 'gw-region', stateDir };
      if (c.region) gateway.region = c.region;
      const gw = await startGateway(
        { gateway, http: { enabled: false }, homeassistant: { enabled: false }, broker: { port: 0 }, radios: [{ type: 'udp', port: 0 }] },
        { log: createLogger({ level: 'error', sink: { write: () => true } }) },
      );
      const fwd = new ForwarderEmulator('aa555a0000000201', gw.udpPorts[0]!);
      await fwd.bind();
      try {
        const pt = fwd.pull();
        await waitUntil(() => fwd.pullAcks.includes(pt), 5000, 'PULL_ACK');
        fwd.txAckError = 'TOO_LATE';
        const tmst = 4_293_500_000; // RX2 (tmst + 2 s) wraps the 32-bit counter
        fwd.push({ rxpk: [ForwarderEmulator.rxpk(loraUplink(dev, 1, encodeReadings({ tempDeciC: 200 }), { confirmed: true }), { tmst, ...c.up })] });
        const [rx1, rx2] = await waitUntil(() => (fwd.txpks.length >= 2 ? fwd.txpks : undefined), 10_000, 'RX1 and RX2 txpk');
        expect(rx1!.txpk).toMatchObject({ imme: false, tmst: (tmst + 1_000_000) % 2 ** 32, freq: c.rx1.freq, datr: c.rx1.datr, codr: '4/5', ipol: true });
        expect(rx2!.txpk).toMatchObject({ imme: false, tmst: (tmst + 2_000_000) % 2 ** 32, freq: c.rx2.freq, datr: c.rx2.datr, codr: '4/5', ipol: true });
        expect(rx2!.txpk.data).toBe(rx1!.txpk.data);
        const ack = lp.fromWire(Buffer.from(rx1!.txpk.data as string, 'base64'));
        expect(ack.getFCtrlACK()).toBe(true);
        expect(lp.verifyMIC(ack, Buffer.from(dev.nwkSKey, 'hex'))).toBe(true);
      } finally {
        await fwd.close();
        await gw.stop();
      }
    });
  }

  it('US915: an uplink outside 902..928 MHz is impossible metadata; a 222-byte command goes out at DR10 on downlink channel 0', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-udp-us-'));
    dirs.push(stateDir);
    const dev = newDevice('us-1');
    writeRegistry(path.join(stateDir, 'devices.json'), [dev]);
    const gw = await startGateway(
      { gateway: { id: 'gw-us', stateDir, region: 'US915' }, http: { enabled: false }, homeassistant: { enabled: false }, broker: { port: 0 }, radios: [{ type: 'udp', port: 0 }] },
      { log: createLogger({ level: 'error', sink: { write: () => true } }) },
    );
    const fwd = new ForwarderEmulator('aa555a0000000202', gw.udpPorts[0]!);
    await fwd.bind();
    const results: DownlinkResult[] = [];
    gw.ingest.onDownlinkResult((r) => results.push(r));
    try {
      const pt = fwd.pull();
      await waitUntil(() => fwd.pullAcks.includes(pt), 5000, 'PULL_ACK');
      fwd.push({ rxpk: [ForwarderEmulator.rxpk(loraUplink(dev, 1, encodeReadings({ tempDeciC: 1 })), { tmst: 1, freq: 868.1, datr: 'SF7BW125' })] });
      await waitUntil(async () => (await gw.metrics.values('frames_rejected_total')).some((v) => v.labels.reason === 'bad_meta'), 5000, 'bad_meta');

      // RX1 of a DR0 uplink (SF10/125 kHz, channel 0) is DR10 (SF10/500 kHz) on 923.3 MHz, where N = 222
      // bytes (§2.5.6), although the uplink DR0 itself carries only 11.
      await gw.ingest.queueDownlink({ id: 'big', deviceId: 'us-1', fport: 5, payload: new Uint8Array(222), confirmed: false, expiresAt: Date.now() + 60_000 });
      fwd.push({ rxpk: [ForwarderEmulator.rxpk(loraUplink(dev, 2, encodeReadings({ tempDeciC: 2 })), { tmst: 10, freq: 902.3, datr: 'SF10BW125' })] });
      const { txpk } = await waitUntil(() => fwd.txpks[0], 10_000, 'txpk');
      expect(txpk).toMatchObject({ freq: 923.3, datr: 'SF10BW500', tmst: 1_000_010, size: 222 + 13 });
      await waitUntil(() => results.some((r) => r.id === 'big' && r.state === 'sent'), 5000, 'sent');
    } finally {
      await fwd.close();
      await gw.stop();
    }
  });

  it('EU868: a command larger than N at the RX1 data rate fails with a reason naming region and DR', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-udp-eu-'));
    dirs.push(stateDir);
    const dev = newDevice('eu-1');
    writeRegistry(path.join(stateDir, 'devices.json'), [dev]);
    const gw = await startGateway(
      { gateway: { id: 'gw-eu', stateDir }, http: { enabled: false }, homeassistant: { enabled: false }, broker: { port: 0 }, radios: [{ type: 'udp', port: 0 }] },
      { log: createLogger({ level: 'error', sink: { write: () => true } }) },
    );
    const fwd = new ForwarderEmulator('aa555a0000000203', gw.udpPorts[0]!);
    await fwd.bind();
    const results: DownlinkResult[] = [];
    gw.ingest.onDownlinkResult((r) => results.push(r));
    try {
      const pt = fwd.pull();
      await waitUntil(() => fwd.pullAcks.includes(pt), 5000, 'PULL_ACK');
      // §2.4.6: DR2 (SF10/125 kHz) carries N = 51 bytes.
      await gw.ingest.queueDownlink({ id: 'big', deviceId: 'eu-1', fport: 5, payload: new Uint8Array(52), confirmed: false, expiresAt: Date.now() + 60_000 });
      fwd.push({ rxpk: [ForwarderEmulator.rxpk(loraUplink(dev, 1, encodeReadings({ tempDeciC: 2 })), { tmst: 10, freq: 868.3, datr: 'SF10BW125' })] });
      const failed = await waitUntil(() => results.find((r) => r.id === 'big' && r.state === 'failed'), 10_000, 'failed');
      expect(failed.reason).toBe('payload of 52 bytes exceeds 51 bytes allowed at EU868 DR2 (SF10/125 kHz)');
      expect(fwd.txpks).toEqual([]);
    } finally {
      await fwd.close();
      await gw.stop();
    }
  });
});

describe('gateway.region', () => {
  it('defaults to EU868, accepts the plan names in any case, and refuses others naming the key', () => {
    expect(resolveConfig({}).gateway.region).toBe('EU868');
    expect(resolveConfig({ file: { gateway: { region: 'us915' } } }).gateway.region).toBe('US915');
    expect(resolveConfig({ env: { KERB_GATEWAY_REGION: 'AS923' } }).gateway.region).toBe('AS923-1');
    expect(() => resolveConfig({ file: { gateway: { region: 'EU433' } } })).toThrow(/gateway\.region: must be a LoRaWAN regional channel plan kerb knows \(EU868, US915, AS923-1; .*\), got "EU433"/);
  });
});
