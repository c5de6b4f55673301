// What a saved machine is: v86's own state (CPU, RAM, its chipset and legacy devices) and
// ringside's (each device's transport, model and queue positions, each network card's
// other end with its TCP connections, each disk's contents), plus a header that records
// the machine's description as built. The file format is src/snapshot/state-file.ts.
//
// A state is restored into a machine built from the same description (the environment may
// give its disks other backends: a file instead of the browser's storage). The header is
// checked first, and a mismatch names the device that differs.
import type { PlainData } from "../snapshot/state-reader.js";
import { StateReader } from "../snapshot/state-reader.js";
import { V86_PINNED_VERSION } from "../v86/internals.js";
import type { MachineDescription } from "../description/machine-description.js";
import { parseMachineDescription } from "../description/parse-machine.js";
import { MAX_DEVICES } from "../description/limits.js";
import { countNeeding } from "../description/backend-need.js";
import { LAST_LINE_BYTES } from "./console-last-line.js";

export const STATE_FORMAT = "ringside-machine-state";
/** 2: the header records the machine description (version 1 had a fixed device set). */
export const STATE_VERSION = 2;

/** A good state that does not fit the machine it was to go into (other devices or RAM). */
export class StateMismatchError extends Error {
  override name = "StateMismatchError";
}

export interface MachineStateHeader {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  /** When it was saved (ISO 8601), for people looking at a file. */
  savedAt: string;
  /** v86's state layout changes between versions: only the same version can read it. */
  v86Version: string;
  /** v86's clock when it was saved: its timers hold readings of it (see v86-clock.ts). */
  v86ClockMs: number;
  /** The machine as built (every device's slot filled in). */
  machine: MachineDescription;
  /** Each disk's size in sectors, in device order. */
  diskSectors: number[];
  /** For each network card in device order: whether its other end was saved too. */
  networksSaved: boolean[];
}

/** A state file's contents after the header was checked; the parts are checked as they are restored. */
export interface MachineSnapshot {
  header: MachineStateHeader;
  /** v86's own state, where it lies in the file (read by the restore, never changed). */
  v86: Uint8Array;
  devices: StateReader;
  /** Each card's other end (null where it was not saved), checked by its own restore. */
  networks: unknown[];
  /** Each disk's contents. */
  disks: StateReader;
  /** The console's last line when it was saved (console-last-line.ts); empty in states from before it was kept. */
  consoleLine: Uint8Array;
}

/**
 * A state whose header has been read while its parts (guest RAM above all) are still
 * arriving: a machine can be built from the header meanwhile, and restored once `whole`
 * is there. `whole` rejects if the rest turns out bad.
 */
export interface ArrivingSnapshot {
  header: MachineStateHeader;
  whole: Promise<MachineSnapshot>;
}

export function machineStateData(header: MachineStateHeader, parts: { v86: Uint8Array; devices: PlainData; networks: PlainData; disks: PlainData; consoleLine: Uint8Array }): PlainData {
  return { header: { ...header, machine: header.machine as unknown as PlainData }, ...parts };
}

const SUBJECT = "machine state";

/**
 * Checks the header (and that the parts are there) of a decoded state file. `checked`: its
 * header as readMachineStateHeader already read it from the same file's first bytes.
 */
export function readMachineState(raw: unknown, checked?: MachineStateHeader): MachineSnapshot {
  const header = checked ?? readMachineStateHeader(raw);
  const r = new StateReader(raw, "", SUBJECT);
  const cards = header.networksSaved.length;
  const networks = r.field("networks").items(MAX_DEVICES);
  if (networks.length !== cards) r.field("networks").fail(`one entry per network card (${cards})`);
  return {
    header,
    v86: r.field("v86").view(Number.MAX_SAFE_INTEGER),
    devices: r.field("devices"),
    networks: (rawField(raw, "networks") as unknown[] | undefined) ?? [],
    disks: r.field("disks"),
    consoleLine: r.has("consoleLine") ? r.field("consoleLine").bytes(LAST_LINE_BYTES) : new Uint8Array(0),
  };
}

/**
 * Checks a state file's header alone: of a whole decoded file, or of the JSON at its start
 * while the byte arrays it refers to have not arrived (state-file.ts: inflateStateStream).
 */
export function readMachineStateHeader(raw: unknown): MachineStateHeader {
  const r = new StateReader(raw, "", SUBJECT);
  const h = r.field("header");
  if (h.field("format").string(64) !== STATE_FORMAT) h.field("format").fail(`"${STATE_FORMAT}" (this is not a ringside machine state)`);
  const version = h.field("version").integer(0, 1_000_000);
  if (version !== STATE_VERSION) h.field("version").fail(`${STATE_VERSION}: this ringside reads version ${STATE_VERSION} only`);
  const v86Version = h.field("v86Version").string(32);
  if (v86Version !== V86_PINNED_VERSION) {
    h.field("v86Version").fail(`${V86_PINNED_VERSION}: the state was saved with v86 ${v86Version}, whose state layout this build cannot read`);
  }
  const machine = parseMachineDescription(rawField(rawField(raw, "header"), "machine"), `${SUBJECT}: header.machine`);
  const cards = countNeeding(machine.devices, "network");
  const disks = countNeeding(machine.devices, "disk");
  const diskSectors = h.field("diskSectors").items(MAX_DEVICES).map((s) => s.integer(0, Number.MAX_SAFE_INTEGER));
  if (diskSectors.length !== disks) h.field("diskSectors").fail(`one size per disk of header.machine (${disks})`);
  const networksSaved = h.field("networksSaved").items(MAX_DEVICES).map((s) => s.boolean());
  if (networksSaved.length !== cards) h.field("networksSaved").fail(`one flag per network card of header.machine (${cards})`);
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    savedAt: h.field("savedAt").string(64),
    v86Version,
    v86ClockMs: h.field("v86ClockMs").number(0, Number.MAX_SAFE_INTEGER),
    machine,
    diskSectors,
    networksSaved,
  };
}

function rawField(value: unknown, name: string): unknown {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>)[name] : undefined;
}
