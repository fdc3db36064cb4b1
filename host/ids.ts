// Branded identifiers and keys of the Node side. At run time they are plain numbers and byte arrays;
// the brand exists only for the type checker, so passing an AppSKey where the NwkSKey belongs, or a
// bare number where a DevAddr belongs, is a compile error instead of a MIC that never verifies.
// The parse functions are the only way to make one from text, and they say which field is wrong.
import { KerbError } from './errors.ts';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** LoRaWAN DevAddr (LoRaWAN 1.0.4 §6.1.1), a uint32. */
export type DevAddr = Brand<number, 'DevAddr'>;
/** An EUI-64 (DevEUI, JoinEUI; IEEE EUI-64) as 16 upper-case hex digits, most significant first. */
export type Eui64 = Brand<string, 'Eui64'>;
/** Network session key (LoRaWAN 1.0.4 §6.1.3): MIC of every frame, FRMPayload on FPort 0. */
export type NwkSKey = Brand<Uint8Array, 'NwkSKey'>;
/** Application session key (LoRaWAN 1.0.4 §6.1.4): FRMPayload on FPort > 0. */
export type AppSKey = Brand<Uint8Array, 'AppSKey'>;
/** Root key of an OTAA device (LoRaWAN 1.0.4 §6.2.3): the Join-request and Join-accept MICs, the session keys. */
export type AppKey = Brand<Uint8Array, 'AppKey'>;

const HEX8 = /^[0-9a-fA-F]{8}$/;
const HEX16 = /^[0-9a-fA-F]{16}$/;
const HEX32 = /^[0-9a-fA-F]{32}$/;

function fail(field: string, what: string, got: unknown): never {
  throw new KerbError('invalid_id', `${field}: must be ${what} (got ${JSON.stringify(got)})`);
}

/** "26011BDA" (8 hex digits, as DevAddrs are written) → DevAddr. */
export function parseDevAddr(text: unknown, field = 'devAddr'): DevAddr {
  if (typeof text !== 'string' || !HEX8.test(text)) fail(field, '8 hex digits, e.g. "26011BDA"', text);
  return (parseInt(text, 16) >>> 0) as DevAddr;
}

/** A number already known to be a uint32 DevAddr (e.g. decoded from a frame) → DevAddr. */
export function asDevAddr(n: number): DevAddr {
  return (n >>> 0) as DevAddr;
}

export function devAddrHex(a: DevAddr): string {
  return a.toString(16).toUpperCase().padStart(8, '0');
}

export function parseEui64(text: unknown, field = 'devEui'): Eui64 {
  if (typeof text !== 'string' || !HEX16.test(text.replace(/[-:]/g, ''))) fail(field, '16 hex digits (an EUI-64), e.g. "70B3D57ED0000001"', text);
  return text.replace(/[-:]/g, '').toUpperCase() as Eui64;
}

function parseKey(text: unknown, field: string): Uint8Array {
  if (typeof text !== 'string' || !HEX32.test(text)) fail(field, '32 hex digits (an AES-128 key)', text);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

export function parseNwkSKey(text: unknown, field = 'nwkSKey'): NwkSKey {
  return parseKey(text, field) as NwkSKey;
}

export function parseAppSKey(text: unknown, field = 'appSKey'): AppSKey {
  return parseKey(text, field) as AppSKey;
}

export function parseAppKey(text: unknown, field = 'appKey'): AppKey {
  return parseKey(text, field) as AppKey;
}
