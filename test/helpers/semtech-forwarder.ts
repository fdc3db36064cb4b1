// A Semtech UDP packet forwarder emulator, written from PROTOCOL.TXT (Lora-net/packet_forwarder,
// protocol v2) and deliberately independent of gateway/semtech-udp.ts, so a misreading of the
// specification in one is not mirrored in the other. It sends PUSH_DATA (§3.2) and PULL_DATA
// (§5.2) from a real UDP socket, records PUSH_ACK/PULL_ACK tokens, and answers every PULL_RESP
// (§5.4) with a TX_ACK (§5.5) carrying the error the test chooses.
import * as dgram from 'node:dgram';

export interface ReceivedTxpk { token: number; txpk: Record<string, unknown> }

export class ForwarderEmulator {
  readonly eui: Buffer;
  readonly socket = dgram.createSocket('udp4');
  pushAcks: number[] = [];
  pullAcks: number[] = [];
  txpks: ReceivedTxpk[] = [];
  /** TX_ACK error to answer the next PULL_RESP with ('NONE' = accepted). */
  txAckError = 'NONE';
  private token = 1;
  private readonly port: number;

  constructor(euiHex: string, serverPort: number) {
    this.eui = Buffer.from(euiHex, 'hex');
    this.port = serverPort;
    this.socket.on('message', (m) => {
      if (m.length < 4 || m[0] !== 2) return;
      const token = m.readUInt16BE(1);
      if (m[3] === 0x01) this.pushAcks.push(token);
      else if (m[3] === 0x04) this.pullAcks.push(token);
      else if (m[3] === 0x03) {
        const body = JSON.parse(m.subarray(4).toString('utf8')) as { txpk: Record<string, unknown> };
        this.txpks.push({ token, txpk: body.txpk });
        const ack = this.txAckError === 'NONE' ? Buffer.alloc(0) : Buffer.from(JSON.stringify({ txpk_ack: { error: this.txAckError } }));
        this.raw(Buffer.concat([Buffer.from([2, m[1]!, m[2]!, 0x05]), this.eui, ack]));
      }
    });
  }

  async bind(): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
  }

  raw(b: Buffer): void {
    this.socket.send(b, this.port, '127.0.0.1');
  }

  private next(): number {
    this.token = (this.token + 1) & 0xffff;
    return this.token;
  }

  /** PUSH_DATA with a JSON body; returns its token. */
  push(body: unknown): number {
    const t = this.next();
    this.raw(Buffer.concat([Buffer.from([2, t >> 8, t & 255, 0x00]), this.eui, Buffer.from(JSON.stringify(body))]));
    return t;
  }

  pull(): number {
    const t = this.next();
    this.raw(Buffer.concat([Buffer.from([2, t >> 8, t & 255, 0x02]), this.eui]));
    return t;
  }

  /** One rxpk object (§4) for a LoRa PHYPayload. */
  static rxpk(phy: Uint8Array, o: { tmst: number; freq: number; datr: string; rssi?: number; lsnr?: number; stat?: number }): Record<string, unknown> {
    return {
      time: new Date().toISOString(), tmst: o.tmst, chan: 0, rfch: 0, freq: o.freq, stat: o.stat ?? 1, modu: 'LORA',
      datr: o.datr, codr: '4/5', rssi: o.rssi ?? -60, lsnr: o.lsnr ?? 7.5, size: phy.length, data: Buffer.from(phy).toString('base64'),
    };
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}
