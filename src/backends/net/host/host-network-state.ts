// The host network's saved state (HostNetwork.saveState / restoreState): the router's own
// state and every TCP connection with its service's side, as plain data. What it holds:
//
//   version       HOST_NETWORK_STATE_VERSION; any other is refused.
//   addresses     the router's and guest's addresses, to refuse a network built otherwise.
//   guestMac      the guest's MAC as learned from its frames (the router's ARP "table").
//   capabilities  what the guest's driver negotiated (segment sizes and offloads follow it).
//   replies       frames queued for the guest other than TCP segments (ARP, ICMP, UDP, RSTs).
//   counters      stats() counters, so they go on counting.
//   tcp           every connection (tcp-connection-state.ts) and the round-robin order.
//
// DHCP keeps no lease table (it offers the configured guest address to any client): a lease
// survives a restore because the same network answers a renewal the same way.
//
// Times are stored relative to the moment of saving, so the state restores under any clock.
// Byte arrays are Uint8Array: serialize them beside the JSON (or as base64), not as numbers.
import type { GuestNetCapabilities } from "../net-backend.js";
import type { MacAddress, SegmentAddresses } from "./addresses.js";
import { formatMac, parseMac } from "../../../util/mac-address.js";
import { formatIpv4 } from "./addresses.js";
import { MAX_IPV4_PACKET_BYTES } from "./ipv4.js";
import { ETH_HEADER_BYTES } from "./ethernet.js";
import type { Plain, StateReader } from "../../../snapshot/state-reader.js";
import type { Counters, TcpCounters } from "./stats.js";
import { createCounters, DROP_REASONS } from "./stats.js";
import type { TcpStackState } from "./tcp-stack.js";

export const HOST_NETWORK_STATE_VERSION = 1;

/** Counters as plain data (the same fields as stats.ts's Counters). */
export type CountersState = { [K in keyof Counters]: Counters[K] extends number ? number : { [F in keyof Counters[K]]: number } };

export type HostNetworkState = Plain<{
  version: typeof HOST_NETWORK_STATE_VERSION;
  addresses: { routerIp: string; routerMac: string; guestIp: string; netmask: string };
  guestMac: string | null;
  capabilities: { checksumOffload: boolean; tso4: boolean; maxFrameBytes: number } | null;
  replies: Uint8Array[];
  counters: CountersState;
  tcp: TcpStackState;
}>;

/** Everything but the TCP connections, read and checked (the stack reads those itself). */
export interface RouterState {
  guestMac: MacAddress | undefined;
  capabilities: GuestNetCapabilities | undefined;
  replies: Uint8Array[];
  counters: Counters;
}

export function saveAddresses(a: SegmentAddresses): HostNetworkState["addresses"] {
  return { routerIp: formatIpv4(a.routerIp), routerMac: formatMac(a.routerMac), guestIp: formatIpv4(a.guestIp), netmask: formatIpv4(a.netmask) };
}

export function saveCounters(c: Counters): CountersState {
  return { ...c, dropped: { ...c.dropped }, tcp: { ...c.tcp } };
}

/** Checks the version and that the state was saved by a network with these addresses. */
export function checkOrigin(state: StateReader, addresses: SegmentAddresses): void {
  const version = state.field("version");
  if (version.integer(0, Number.MAX_SAFE_INTEGER) !== HOST_NETWORK_STATE_VERSION) version.fail(`${HOST_NETWORK_STATE_VERSION}, the only version this build reads`);
  const ours = saveAddresses(addresses);
  for (const name of ["routerIp", "routerMac", "guestIp", "netmask"] as const) {
    const field = state.field("addresses").field(name);
    if (field.string(64) !== ours[name]) field.fail(`${ours[name]}, this network's (it was made with other options)`);
  }
}

export function readRouterState(state: StateReader, addresses: SegmentAddresses, maxQueuedFrames: number): RouterState {
  const guestMac = state.field("guestMac").nullable((r) => readMac(r));
  if (addresses.guestMac !== undefined && (guestMac === null || formatMac(guestMac) !== formatMac(addresses.guestMac))) {
    state.field("guestMac").fail(`${formatMac(addresses.guestMac)}, the guest MAC this network was made with`);
  }
  const capabilities = state.field("capabilities").nullable((r) => ({
    checksumOffload: r.field("checksumOffload").boolean(),
    tso4: r.field("tso4").boolean(),
    maxFrameBytes: r.field("maxFrameBytes").uint32(), // whatever the device says (segment sizes are clamped)
  }));
  const replies = state.field("replies").items(maxQueuedFrames).map((r) => r.bytes(ETH_HEADER_BYTES + MAX_IPV4_PACKET_BYTES));
  return { guestMac: guestMac ?? undefined, capabilities: capabilities ?? undefined, replies, counters: readCounters(state.field("counters")) };
}

/** Copies `source` into the counters object the stack shares (it is never replaced). */
export function setCounters(target: Counters, source: Counters): void {
  for (const name of numberFields(target)) target[name] = source[name];
  Object.assign(target.dropped, source.dropped);
  Object.assign(target.tcp, source.tcp);
}

/**
 * Counters added since the first version of this state: a state saved by an earlier build
 * lacks them, and they start at 0 (such a state is not refused for predating a counter).
 */
const LATER_COUNTERS: ReadonlySet<string> = new Set([
  "guestResets", "tcp-receive-paused", "halfOpenShed", "connectionsEvicted", "idleTimeouts", "challengeAcks", "challengeAcksLimited",
]);

/** Every counter createCounters() lists must be there (but for LATER_COUNTERS), each a count. */
function readCounters(state: StateReader): Counters {
  const counters = createCounters();
  const count = (parent: StateReader, name: string): number =>
    LATER_COUNTERS.has(name) && !parent.has(name) ? 0 : parent.field(name).integer(0, Number.MAX_SAFE_INTEGER);
  for (const name of numberFields(counters)) counters[name] = count(state, name);
  for (const name of DROP_REASONS) counters.dropped[name] = count(state.field("dropped"), name);
  for (const name of Object.keys(counters.tcp) as (keyof TcpCounters)[]) counters.tcp[name] = count(state.field("tcp"), name);
  return counters;
}

type NumberField = Exclude<keyof Counters, "dropped" | "tcp">;

function numberFields(counters: Counters): NumberField[] {
  return (Object.keys(counters) as (keyof Counters)[]).filter((k): k is NumberField => k !== "dropped" && k !== "tcp");
}

function readMac(r: StateReader): MacAddress {
  try {
    return parseMac(r.string(17));
  } catch {
    return r.fail("a MAC address like 52:54:00:12:34:56");
  }
}
