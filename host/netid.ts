// DevAddr blocks of NetIDs (LoRaWAN Backend Interfaces TS002-1.0.0 §13, Table 2 with the errata
// for types 3 and 4): a prefix of `type` one-bits and a zero, then NwkID (the NetID's low bits),
// then the node's NwkAddr. Shared by `kerb keys`, `kerb device add` and the gateway's join server.
import { randomInt } from 'node:crypto';

const NETID_TYPES: { nwkIdBits: number; addrBits: number }[] = [
  { nwkIdBits: 6, addrBits: 25 },  // type 0: prefix 0
  { nwkIdBits: 6, addrBits: 24 },  // type 1: prefix 10
  { nwkIdBits: 9, addrBits: 20 },  // type 2: prefix 110
  { nwkIdBits: 11, addrBits: 17 }, // type 3
  { nwkIdBits: 12, addrBits: 15 }, // type 4
  { nwkIdBits: 13, addrBits: 13 }, // type 5
  { nwkIdBits: 15, addrBits: 10 }, // type 6
  { nwkIdBits: 17, addrBits: 7 },  // type 7
];

/**
 * Default NetID 0x000000 (type 0, NwkID 0: DevAddrs 0x00000000–0x01FFFFFF). LoRaWAN Backend
 * Interfaces (TS002-1.0.0 §13, "DevAddr Assignment") reserves NetIDs 0x000000 and 0x000001 for
 * experimental networks and networks that do not roam, usable without asking the LoRa Alliance;
 * every other NetID is assigned to one operator (0x000013 is The Things Network's). kerb does not
 * roam, and frames of another network's devices that share a DevAddr fail the MIC here.
 */
export const DEFAULT_NETID = 0x000000;

export interface DevAddrBlock { base: number; addrBits: number; netId: number; type: number }

/** The DevAddr block of a 24-bit NetID. */
export function devAddrBlock(netId: number): DevAddrBlock {
  if (!Number.isInteger(netId) || netId < 0 || netId > 0xffffff) throw new Error('NetID must be 24 bits (6 hex digits)');
  const type = netId >>> 21;
  const t = NETID_TYPES[type];
  const nwkId = netId & ((1 << t.nwkIdBits) - 1);
  const prefix = (2 ** type - 1) * 2; // `type` ones then a zero, type+1 bits wide
  const base = (prefix * 2 ** (32 - (type + 1))) + nwkId * 2 ** t.addrBits;
  return { base: base >>> 0, addrBits: t.addrBits, netId, type };
}

/** A random DevAddr inside the NetID's block, avoiding `taken`. */
export function randomDevAddr(netId = DEFAULT_NETID, taken: Set<number> = new Set()): number {
  const b = devAddrBlock(netId);
  const span = 2 ** b.addrBits;
  for (let i = 0; i < 1000; i++) {
    // NwkAddr 0 is avoided: an all-zero address is a common "unset" value in node firmware.
    const a = (b.base + randomInt(1, span)) >>> 0;
    if (!taken.has(a)) return a;
  }
  throw new Error(`no free DevAddr found in NetID ${netId.toString(16).padStart(6, '0')}'s block`);
}

