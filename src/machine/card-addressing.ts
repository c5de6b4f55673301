// Where each network card of a machine sits on its own network, decided from the machine
// description alone (so the host side and the guest side agree before either is built):
// card k (in description order) gets MAC 52:54:00:12:34:(56+k) unless the description
// names one, and, on "auto", address 10.0.(2+k).15/24 with its network's router at
// 10.0.(2+k).2. The first card is the default route (and the kernel configures it from
// ip=); later cards get no gateway, and the guest's rc.boot configures them by MAC from
// ringside.ifup=MAC,ADDRESS/PREFIX or ringside.ifup=MAC,dhcp.
import type { GuestIp, NetOptions } from "../description/machine-description.js";
import { ipParameter, type GuestIpConfig } from "./guest-ip.js";

export interface CardAddressing {
  mac: string;
  /** What the guest uses: an address (with router and DNS) or DHCP. */
  guest: GuestIpConfig | "dhcp";
  /** What the card's host network is (the router answers DHCP with `guestIp`). */
  host: { routerIp: string; guestIp: string; netmask: string };
}

const BASE_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

/** The default MAC of card `k` (52:54:00:12:34:56 for the first). */
export function defaultMac(k: number): string {
  const bytes = [...BASE_MAC];
  bytes[5] = (bytes[5]! + k) & 0xff;
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export function cardAddressing(k: number, options: NetOptions): CardAddressing {
  const mac = options.mac ?? defaultMac(k);
  const net = `10.0.${2 + k}`;
  const auto = { routerIp: `${net}.2`, guestIp: `${net}.15`, netmask: "255.255.255.0" };
  const ip: GuestIp = options.ip;
  if (ip === "dhcp") return { mac, guest: "dhcp", host: auto };
  if (ip === "auto") {
    const guest: GuestIpConfig = { address: auto.guestIp, netmask: auto.netmask, dns: auto.routerIp, gateway: k === 0 ? auto.routerIp : "" };
    return { mac, guest, host: auto };
  }
  const netmask = prefixToNetmask(ip.prefix);
  const routerIp = ip.gateway ?? routerOf(ip.address, ip.prefix);
  return {
    mac,
    guest: { address: ip.address, netmask, dns: routerIp, gateway: ip.gateway ?? (k === 0 ? routerIp : "") },
    host: { routerIp, guestIp: ip.address, netmask },
  };
}

/**
 * The kernel parameters that configure the cards at boot: ip= for the first (unless the
 * command line has one already), ringside.ifup= for the others (and for a first card on
 * DHCP, so no boot waits for a lease).
 */
export function cardCmdline(cmdline: string, cards: readonly CardAddressing[]): string {
  const params: string[] = [];
  cards.forEach((card, k) => {
    if (card.guest === "dhcp") params.push(`ringside.ifup=${card.mac},dhcp`);
    else if (k === 0) {
      if (!/(^|\s)ip=/.test(cmdline)) params.push(ipParameter(card.guest));
    } else params.push(`ringside.ifup=${card.mac},${card.guest.address}/${netmaskToPrefix(card.guest.netmask ?? "255.255.255.0")}`);
  });
  return [cmdline, ...params].join(" ").trim();
}

function prefixToNetmask(prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join(".");
}

function netmaskToPrefix(netmask: string): number {
  return netmask.split(".").reduce((n, part) => n + (Number(part) >>> 0).toString(2).replace(/0/g, "").length, 0);
}

/** The network's .2 (QEMU's and ringside's router address). */
function routerOf(address: string, prefix: number): string {
  const ip = address.split(".").reduce((n, p) => n * 256 + Number(p), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const router = ((ip & mask) >>> 0) + 2;
  return [24, 16, 8, 0].map((s) => (router >>> s) & 255).join(".");
}
