// The Semtech UDP codec (gateway/semtech-udp.ts) against PROTOCOL.TXT's own examples, and its
// contract on wire data: any bytes give a datagram or an error value, never an exception.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeDatagram, encodeAck, encodePullResp, parseDatr } from '../../gateway/semtech-udp.ts';
import { txAckStatus } from '../../gateway/udp-radio.ts';
import { resolveConfig } from '../../gateway/config.ts';
import { LINK_TX_OK, LINK_TX_TOO_LATE, LINK_TX_BUSY, LINK_TX_INVALID } from '../../shared/link/link.ts';

const EUI = Buffer.from('0102030405060708', 'hex');

describe('Semtech UDP codec', () => {
  it('decodes the rxpk and stat examples of PROTOCOL.TXT §4, skipping the FSK packet', () => {
    const body = {
      rxpk: [
        { time: '2013-03-31T16:21:17.528002Z', tmst: 3512348611, chan: 2, rfch: 0, freq: 866.349812, stat: 1, modu: 'LORA', datr: 'SF7BW125', codr: '4/6', rssi: -35, lsnr: 5.1, size: 3, data: 'AQID' },
        { tmst: 3512348514, chan: 9, rfch: 1, freq: 869.1, stat: 1, modu: 'FSK', datr: 50000, rssi: -75, size: 16, data: 'VEVTVF9QQUNLRVRfMTIzNA==' },
      ],
      stat: { time: '2014-01-12 08:59:28 GMT', rxnb: 2, rxok: 2, rxfw: 2, ackr: 100.0, dwnb: 2, txnb: 2 },
    };
    const r = decodeDatagram(Buffer.concat([Buffer.from([2, 0x12, 0x34, 0]), EUI, Buffer.from(JSON.stringify(body))]));
    expect(r.ok).toBe(true);
    if (!r.ok || r.d.kind !== 'push_data') throw new Error('not push_data');
    expect(r.d).toMatchObject({ token: 0x1234, eui: '0102030405060708', stat: { rxnb: 2, ackr: 100 } });
    expect(r.d.rxpk).toEqual([{ tmst: 3512348611, freqHz: 866349812, sf: 7, bwHz: 125000, cr: 2, rssiDbm: -35, snrDb: 5.1, crcOk: true, payload: new Uint8Array([1, 2, 3]) }]);
    expect(r.d.skipped).toEqual(['modulation FSK not supported']);
  });

  it('encodes acks and a txpk as §3.3, §5.3 and §6 lay them out', () => {
    expect([...encodeAck('push_ack', 0xabcd)]).toEqual([2, 0xab, 0xcd, 1]);
    expect([...encodeAck('pull_ack', 7)]).toEqual([2, 0, 7, 4]);
    const b = encodePullResp(0x0102, { tmst: 2 ** 32 + 5, freqHz: 869525000, powerDbm: 14, sf: 12, bwHz: 125000, cr: 1, invertIq: true, payload: new Uint8Array([0xff]) });
    expect([...b.subarray(0, 4)]).toEqual([2, 1, 2, 3]);
    expect(JSON.parse(b.subarray(4).toString())).toEqual({ txpk: { imme: false, tmst: 5, freq: 869.525, rfch: 0, powe: 14, modu: 'LORA', datr: 'SF12BW125', codr: '4/5', ipol: true, size: 1, data: '/w==' } });
  });

  it('reads TX_ACK with and without JSON (§5.5) and maps its errors', () => {
    const empty = decodeDatagram(Buffer.concat([Buffer.from([2, 0, 1, 5]), EUI]));
    expect(empty).toEqual({ ok: true, d: { kind: 'tx_ack', token: 1, eui: '0102030405060708', error: 'NONE' } });
    const late = decodeDatagram(Buffer.concat([Buffer.from([2, 0, 2, 5]), EUI, Buffer.from('{"txpk_ack":{"error":"TOO_LATE"}}')]));
    expect(late.ok && late.d.kind === 'tx_ack' && late.d.error).toBe('TOO_LATE');
    expect(txAckStatus('NONE')).toBe(LINK_TX_OK);
    expect(txAckStatus('TOO_LATE')).toBe(LINK_TX_TOO_LATE);
    expect(txAckStatus('COLLISION_PACKET')).toBe(LINK_TX_BUSY);
    expect(txAckStatus('TX_FREQ')).toBe(LINK_TX_INVALID);
  });

  it('returns an error value, never throws, for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, v2) => {
      const b = Buffer.from(bytes);
      if (v2 && b.length) b[0] = 2;
      const r = decodeDatagram(b);
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 2000 });
    expect(decodeDatagram(Buffer.from([2, 0, 0, 0]))).toEqual({ ok: false, reason: 'short' });
    expect(decodeDatagram(Buffer.concat([Buffer.from([2, 0, 0, 0]), EUI, Buffer.from('{"rxpk":5}')]))).toEqual({ ok: false, reason: 'rxpk is not an array' });
    expect(parseDatr('SF13BW125')).toBeUndefined();
  });
});

describe('udp radio configuration', () => {
  it('takes type: udp entries apart from serial radios, with defaults, and names bad keys', () => {
    const c = resolveConfig({ file: { radios: ['/dev/ttyUSB0', { type: 'udp' }, { type: 'udp', host: '0.0.0.0', port: 1701, allow: ['192.168.1.20'] }] } });
    expect(c.radios).toEqual([{ path: '/dev/ttyUSB0', baudRate: 115200 }]);
    expect(c.udpRadios).toEqual([
      { type: 'udp', host: '127.0.0.1', port: 1700, allow: ['127.0.0.1', '::1', '::ffff:127.0.0.1'], statIntervalS: 30 },
      { type: 'udp', host: '0.0.0.0', port: 1701, allow: ['192.168.1.20'], statIntervalS: 30 },
    ]);
    expect(() => resolveConfig({ file: { radios: [{ type: 'udp', port: 70000, allow: ['nope'], colour: 1 }] } }))
      .toThrow(/radios\[0\]\.colour: unknown key[\s\S]*radios\[0\]\.port: must be an integer[\s\S]*radios\[0\]\.allow: must be a list of IP addresses/);
  });
});
