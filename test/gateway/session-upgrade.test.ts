// Ingest end to end through an in-process radio: counters persisted under the older session ids
// (which also hashed the AppSKey) still guard the device after the upgrade, and rotating only the
// AppSKey (registry reload) does not reopen captured frames to replay.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ingest } from '../../gateway/ingest.ts';
import type { Uplink, LinkTransport } from '../../gateway/types.ts';
import { legacySessionFingerprint } from '../../host/registry.ts';
import { parseDevAddr, parseNwkSKey, parseAppSKey } from '../../host/ids.ts';
import { encodeLinkMessage, LINK_RX } from '../../shared/link/link.ts';
import { MemLogger, MemMetrics, newDevice, tmpDir, writeRegistry, loraUplink, waitFor } from '../helpers/ingest.ts';

describe('counter sessions across an upgrade and an AppSKey rotation', () => {
  it('keeps rejecting old frames', async () => {
    const dir = tmpDir('upgrade');
    const stateDir = path.join(dir, 'state');
    const registryPath = path.join(dir, 'devices.json');
    fs.mkdirSync(stateDir);
    const dev = newDevice('lamp-1');
    writeRegistry(registryPath, [dev]);
    const legacy = legacySessionFingerprint(parseDevAddr(dev.devAddr), parseNwkSKey(dev.nwkSKey), parseAppSKey(dev.appSKey));
    fs.writeFileSync(path.join(stateDir, 'fcnt.json'), JSON.stringify({ version: 1, sessions: { [legacy]: { id: 'lamp-1', up: 700, down: 3 } } }));
    const metrics = new MemMetrics();
    const uplinks: Uplink[] = [];
    const ingest = new Ingest({ gatewayId: 'gw', stateDir, registryPath, radios: [], log: new MemLogger(), metrics, registryPollMs: 100, dedupWindowMs: 0 });
    ingest.onUplink(async (u) => { uplinks.push(u); });
    let feed: (b: Uint8Array) => void = () => {};
    const t: LinkTransport = { name: 'sim-0', write: () => {}, onData: (cb) => { feed = cb; }, onClose: () => {}, close: () => {} };
    let ts = 0;
    const send = (frame: Uint8Array): void => {
      ts += 5_000_000;
      feed(encodeLinkMessage({ type: LINK_RX, payload: frame, rssiDbm: -70, snrDb: 9, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: ts }));
    };
    try {
      await ingest.start();
      ingest.attachTransport(t);
      send(loraUplink(dev, 650, new Uint8Array([1])));
      await waitFor(() => metrics.sum('frames_rejected_total') === 1, 5000, 'old frame rejected after the upgrade');
      send(loraUplink(dev, 701, new Uint8Array([1])));
      await waitFor(() => uplinks.length === 1, 5000, 'fresh frame accepted');
      // Captured under the old AppSKey, then only the AppSKey is rotated.
      const captured = loraUplink(dev, 701, new Uint8Array([2]));
      writeRegistry(registryPath, [{ ...dev, appSKey: 'AB'.repeat(16) }]);
      await waitFor(() => ingest.registry.get('lamp-1')?.appSKey[0] === 0xab, 5000, 'registry reloaded');
      send(captured);
      await waitFor(() => metrics.sum('frames_rejected_total') === 2, 5000, 'captured frame rejected after the rotation');
      expect(uplinks.map((u) => u.fcnt)).toEqual([701]);
      expect(metrics.get('frames_rejected_total', { reason: 'replay' })).toBe(2);
    } finally {
      await ingest.stop();
    }
  });
});
