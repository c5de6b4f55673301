// What a saved machine is: v86's own state (CPU, RAM, its chipset and legacy devices)
// and ringside's (each virtio-pci function with its device model and queue positions,
// the host network with its TCP connections, the disk's contents), plus a header that
// says what machine it came from. The file format is src/snapshot/state-file.ts.
//
// A state is restored into a machine built the same way: same RAM size and the same
// devices. The header is checked first and a mismatch is reported in words.
import type { PlainData } from "../snapshot/state-reader.js";
import { StateReader } from "../snapshot/state-reader.js";
import { V86_PINNED_VERSION } from "../v86/internals.js";

export const STATE_FORMAT = "ringside-machine-state";

/** A good state that does not fit the machine it was to go into (other devices or RAM). */
export class StateMismatchError extends Error {
  override name = "StateMismatchError";
}
export const STATE_VERSION = 1;

export interface MachineStateHeader {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  /** When it was saved (ISO 8601), for people looking at a file. */
  savedAt: string;
  /** v86's state layout changes between versions: only the same version can read it. */
  v86Version: string;
  /** v86's clock when it was saved: its timers hold readings of it (see v86-clock.ts). */
  v86ClockMs: number;
  memoryMiB: number;
  cmdline: string;
  /** ringside's virtio devices by name, in slot order. */
  devices: string[];
  /** The disk's size in sectors, or null for no disk. */
  diskSectors: number | null;
  /** Whether the network card was there, and whether its other end was saved too. */
  network: "none" | "saved" | "not-saved";
}

/** A state file's contents after the header was checked; the parts are checked as they are restored. */
export interface MachineSnapshot {
  header: MachineStateHeader;
  v86: Uint8Array;
  devices: StateReader;
  /** The network's other end, checked by its own restore. */
  network: unknown;
  disk: StateReader;
}

export function machineStateData(header: MachineStateHeader, parts: { v86: Uint8Array; devices: PlainData; network: PlainData; disk: PlainData }): PlainData {
  return { header: { ...header }, ...parts };
}

const SUBJECT = "machine state";

/** Checks the header (and that the parts are there) of a decoded state file. */
export function readMachineState(raw: unknown): MachineSnapshot {
  const r = new StateReader(raw, "", SUBJECT);
  const h = r.field("header");
  if (h.field("format").string(64) !== STATE_FORMAT) h.field("format").fail(`"${STATE_FORMAT}" (this is not a ringside machine state)`);
  const version = h.field("version").integer(0, 1_000_000);
  if (version !== STATE_VERSION) h.field("version").fail(`${STATE_VERSION}: this ringside reads version ${STATE_VERSION} only`);
  const v86Version = h.field("v86Version").string(32);
  if (v86Version !== V86_PINNED_VERSION) {
    h.field("v86Version").fail(`${V86_PINNED_VERSION}: the state was saved with v86 ${v86Version}, whose state layout this build cannot read`);
  }
  const header: MachineStateHeader = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    savedAt: h.field("savedAt").string(64),
    v86Version,
    v86ClockMs: h.field("v86ClockMs").number(0, Number.MAX_SAFE_INTEGER),
    memoryMiB: h.field("memoryMiB").integer(1, 65536),
    cmdline: h.field("cmdline").string(4096),
    devices: h.field("devices").items(32).map((d) => d.string(64)),
    diskSectors: h.field("diskSectors").nullable((d) => d.integer(0, Number.MAX_SAFE_INTEGER)),
    network: h.field("network").oneOf(["none", "saved", "not-saved"] as const),
  };
  return {
    header,
    v86: r.field("v86").bytes(Number.MAX_SAFE_INTEGER),
    devices: r.field("devices"),
    network: raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>)["network"] : undefined,
    disk: r.field("disk"),
  };
}

/** Why a snapshot cannot go into a machine with these devices, or undefined if it can. */
export function snapshotMismatch(header: MachineStateHeader, machine: { devices: string[]; diskSectors: number | null; network: boolean }): string | undefined {
  if (header.devices.join() !== machine.devices.join()) {
    return `the state was saved with the devices ${header.devices.join(", ")}; this machine has ${machine.devices.join(", ")}`;
  }
  if (header.diskSectors !== machine.diskSectors) {
    const size = (s: number | null) => (s === null ? "no disk" : `a ${Math.round((s * 512) / 1024 / 1024)} MiB disk`);
    return `the state was saved with ${size(header.diskSectors)}; this machine has ${size(machine.diskSectors)}`;
  }
  if ((header.network !== "none") !== machine.network) {
    return `the state was saved ${header.network === "none" ? "without" : "with"} a network card; this machine has ${machine.network ? "one" : "none"}`;
  }
  return undefined;
}
