// Downlink command parsing (JSON and CBOR) and the named commands of docs/protocol.md §4, checked
// against the §4.2 worked example and against the node's own command interpreter (shared/node).
import { describe, expect, it } from 'vitest';
import { Encoder } from 'cbor-x';
import { decodeCommandPayload, encodeNamedCommand, encodeReply, parseDownCommand } from '../../gateway/commands.ts';
import { applyCommands } from '../../shared/node/commands.ts';
import { CMD_OK, S_COUNT, S_INTERVAL, S_PM25 } from '../../shared/node/constants.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('downlink commands', () => {
  it('encodes the docs/protocol.md §4.2 example and the node accepts it', () => {
    const p = parseDownCommand('lamp-1', { id: 't1', commands: [{ command: 'set_interval', seconds: 600 }, { command: 'set_threshold', kind: 'pm25', value: 25.0 }, { command: 'request_status' }] }, 0, 60, encodeNamedCommand);
    if ('error' in p) throw new Error(p.error);
    expect(p.downlink.fport).toBe(10);
    expect(hex(p.downlink.payload)).toBe('015802' + '0200fa00' + '03');
    const s = new Uint16Array(S_COUNT);
    expect(applyCommands(p.downlink.payload, s) & 0xff).toBe(CMD_OK);
    expect(s[S_INTERVAL]).toBe(600);
    expect(s[S_PM25]).toBe(250);
  });

  it('encodes reboot with its guard byte, and the node accepts it', () => {
    const r = encodeNamedCommand('reboot', {});
    if ('error' in r) throw new Error(r.error);
    expect(hex(r.payload)).toBe('04b0');
    expect(applyCommands(r.payload, new Uint16Array(S_COUNT)) & 0xff).toBe(CMD_OK);
  });

  it('rejects bad arguments with the argument name', () => {
    expect(encodeNamedCommand('set_interval', { seconds: 5 })).toEqual({ error: 'seconds: must be an integer 10..65535, got 5' });
    expect(encodeNamedCommand('set_threshold', { kind: 'humidity', value: 1 })).toMatchObject({ error: expect.stringMatching(/^kind:/) });
    expect(encodeNamedCommand('launch', {})).toMatchObject({ error: expect.stringMatching(/unknown command/) });
    expect(parseDownCommand('d', { fport: 300, payload: '00' }, 0, 60)).toMatchObject({ error: expect.stringMatching(/^fport/) });
    expect(parseDownCommand('d', { fport: 5, payload: 'xyz' }, 0, 60)).toMatchObject({ error: expect.stringMatching(/^payload/) });
  });

  it('accepts raw commands as JSON or CBOR, with a transaction id and expiry', () => {
    const j = decodeCommandPayload(Buffer.from(' {"transaction": "abc", "fport": 5, "payload": "0A0B", "expires_in": 30}'));
    if ('error' in j) throw new Error(j.error);
    expect(j.format).toBe('json');
    const pj = parseDownCommand('dev', j.value, 1000, 60);
    if ('error' in pj) throw new Error(pj.error);
    expect(pj.downlink).toMatchObject({ id: 'abc', deviceId: 'dev', fport: 5, confirmed: false, expiresAt: 31_000 });
    expect(hex(pj.downlink.payload)).toBe('0a0b');

    const cbor = new Encoder({ useRecords: false, tagUint8Array: false }).encode({ id: 'c1', fport: 9, payload: Buffer.from([1, 2, 3]), confirmed: true });
    const c = decodeCommandPayload(cbor);
    if ('error' in c) throw new Error(c.error);
    expect(c.format).toBe('cbor');
    const pc = parseDownCommand('dev', c.value, 0, 60);
    if ('error' in pc) throw new Error(pc.error);
    expect(pc.downlink).toMatchObject({ id: 'c1', fport: 9, confirmed: true });
    expect(hex(pc.downlink.payload)).toBe('010203');
    // replies come back in the request's format
    const reply = encodeReply('cbor', { id: 'c1', state: 'sent' });
    const back = decodeCommandPayload(reply as Uint8Array);
    expect(back).toMatchObject({ format: 'cbor', value: { id: 'c1', state: 'sent' } });
    expect(decodeCommandPayload(Buffer.from('{nope'))).toMatchObject({ error: expect.stringMatching(/JSON/) });
  });
});
