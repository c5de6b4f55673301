// Addresses of the virtual segment and the small conversions between their text and
// number forms. IPv4 addresses are kept as unsigned 32-bit numbers (cheap to compare and
// to use as map keys); MAC addresses as 6-byte arrays (../mac-address.ts).

import { parseMac } from "../../../util/mac-address.js";
import type { MacAddress } from "../mac-address.js";
import { readU32, writeU32 } from "./bytes.js";

export type { MacAddress } from "../mac-address.js";
export { BROADCAST_MAC, macEquals } from "../mac-address.js";

export const ROUTER_IP_TEXT = "10.0.2.2";
export const ROUTER_MAC_TEXT = "52:55:0a:00:02:02";
export const GUEST_IP_TEXT = "10.0.2.15";
export const NETMASK_TEXT = "255.255.255.0";
export const BROADCAST_IP = 0xffffffff;

/** "10.0.2.2" -> 0x0a000202. Throws on malformed text (configuration errors only). */
export function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
    value = value * 256 + Number(part);
  }
  return value >>> 0;
}

export function formatIpv4(ip: number): string {
  return `${(ip >>> 24) & 255}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** The addresses one host network uses, resolved from its options. */
export interface SegmentAddresses {
  routerIp: number;
  routerMac: MacAddress;
  /** The address DHCP hands out. */
  guestIp: number;
  netmask: number;
  /** A fixed guest MAC: DHCP then answers only this client. Otherwise any client. */
  guestMac: MacAddress | undefined;
}

export interface AddressOptions {
  routerIp?: string;
  routerMac?: string;
  guestIp?: string;
  guestMac?: string;
  netmask?: string;
}

export function resolveAddresses(options: AddressOptions): SegmentAddresses {
  return {
    routerIp: parseIpv4(options.routerIp ?? ROUTER_IP_TEXT),
    routerMac: parseMac(options.routerMac ?? ROUTER_MAC_TEXT),
    guestIp: parseIpv4(options.guestIp ?? GUEST_IP_TEXT),
    netmask: parseIpv4(options.netmask ?? NETMASK_TEXT),
    guestMac: options.guestMac === undefined ? undefined : parseMac(options.guestMac),
  };
}

export const readIpv4 = readU32;
export const writeIpv4 = writeU32;
