// The machine a version-2 share link carries, and the rules it is held to on top of the one
// parser (parseMachineDescription). A link comes from anyone, and opening it must not let
// its author reach past the tab, so a link's machine is stricter than the CLI's:
//   - no disk on a host file: a link must not name files on the reader's computer;
//   - no relay: a link must never make the reader's browser connect to a server;
//   - disks in this browser's storage only under ringside-NAME.img (the page's own disk is
//     ringside-disk.img), so a link cannot open other files of this origin (a stashed state),
//     and at most MAX_LINK_DISK_MIB per disk, memory disks included;
//   - at most MAX_LINK_DEVICES devices, one of them the virtio console the terminal shows;
//   - no command line of its own: the page's (page-machine.ts) plus the link's checked
//     extras (share-config.ts), so a link cannot replace init, console or ip=;
//   - a kernel and an initrd only bundled or from an https address (image-url.ts: plain
//     http only to this computer), never a host file or a file of this browser's storage,
//     and no boot from a disk; the page fetches nothing a link names before the reader
//     says yes (the banner's button).
// Every error names the field, in the parser's words ("the link's machine: devices[2]...").
import { DescriptionError, parseMachineDescription, type MachineDescription } from "../worker/api.js";
import { pageCmdline } from "./page-machine.js";
import { quote, ShareLinkError } from "./share-config.js";
import { imageUrlProblem } from "./image-url.js";

/** A machine as a link carries it: everything but the command line. */
export type LinkMachine = Omit<MachineDescription, "cmdline">;

export const MAX_LINK_DEVICES = 8;
export const MAX_LINK_DISK_MIB = 1024;
/** Files in this browser's storage a link may use as disks. */
export const LINK_DISK_NAME = /^ringside-[a-z0-9][a-z0-9-]{0,31}\.img$/;
const SUBJECT = "the link's machine";

function refuse(path: string, expected: string, got: unknown): never {
  throw new ShareLinkError(`${SUBJECT}: ${path} must be ${expected} (got ${quote(got)})`);
}

/** The description the page boots for a link's machine: the link's devices on the page's command line plus the extras. */
export function linkBootMachine(machine: LinkMachine, cmdlineExtras: string): MachineDescription {
  const base = pageCmdline(machine.devices);
  return { ...machine, cmdline: cmdlineExtras === "" ? base : `${base} ${cmdlineExtras}` };
}

/** The link's form of a running machine: its devices, and what its command line adds to the page's. */
export function linkMachineOf(machine: MachineDescription): { machine: LinkMachine; cmdlineExtras: string } {
  const { cmdline, ...rest } = machine;
  const base = pageCmdline(machine.devices);
  // A command line that is not the page's (a state saved by the CLI) is offered whole: the
  // extras' own checks then say what a link cannot carry.
  const cmdlineExtras = cmdline === base ? "" : cmdline.startsWith(`${base} `) ? cmdline.slice(base.length + 1) : cmdline;
  return { machine: rest, cmdlineExtras };
}

const LINK_MACHINE_FIELDS = ["version", "memoryMiB", "boot", "devices"];

/** Checks a link's `machine` by the parser and then by the link's rules; throws a ShareLinkError naming the field. */
export function checkLinkMachine(value: unknown): LinkMachine {
  if (typeof value !== "object" || value === null || Array.isArray(value)) refuse("the machine", "an object with version, memoryMiB, devices and maybe boot", value);
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, "cmdline")) {
    refuse("cmdline", "absent: a link adds kernel parameters in cmdlineExtras, after the page's own command line", record.cmdline);
  }
  const extra = Object.keys(record).find((k) => !LINK_MACHINE_FIELDS.includes(k));
  if (extra !== undefined) refuse(extra, `absent: a link's machine has the fields ${LINK_MACHINE_FIELDS.join(", ")}, and no others`, record[extra]);
  let parsed: MachineDescription;
  try {
    // Parsed without a command line: the page supplies its own, and the extras passed
    // share-config.ts's stricter checks (together far below the boot protocol's limit).
    parsed = parseMachineDescription({ ...value, cmdline: "" }, SUBJECT);
  } catch (e) {
    if (e instanceof DescriptionError) throw new ShareLinkError(e.message);
    throw e;
  }
  checkLinkRules(parsed);
  const { cmdline: _, ...machine } = parsed;
  return machine;
}

/** What a link may boot: a kernel and an initrd, each bundled or from an address the page may fetch. */
function checkLinkBoot(boot: MachineDescription["boot"]): void {
  if (!boot) return;
  if (boot.kind !== "kernel") refuse("boot.kind", `"kernel" in a share link (the bundled kernel or one from an https address)`, boot.kind);
  for (const role of ["kernel", "initrd"] as const) {
    const source = boot[role];
    if (!source || source.kind === "bundled") continue;
    if (source.kind !== "url") {
      refuse(`boot.${role}.kind`, `"bundled" or "url": a share link cannot name a file on this computer or in this browser's storage`, source.kind);
    }
    const problem = imageUrlProblem(source.url);
    if (problem) refuse(`boot.${role}.url`, problem, source.url);
  }
}

/**
 * Networks a link may not choose: each would make the reader's browser connect where the
 * link (or the guest, which runs the link's script) says.
 */
const LEAVING_NETWORKS = {
  relay: "a relay would make this browser connect to a server the link chose",
  wisp: "a wisp server would make this browser connect to a server the link chose",
  fetch: "fetch() would make this browser send requests wherever the link's guest asks",
  user: "user-mode networking exists only in the CLI",
} as const;

function checkLinkRules(machine: MachineDescription): void {
  const { devices } = machine;
  checkLinkBoot(machine.boot);
  if (devices.length > MAX_LINK_DEVICES) refuse("devices", `at most ${MAX_LINK_DEVICES} devices in a share link`, `${devices.length} devices`);
  if (!devices.some((d) => d.type === "virtio-console")) refuse("devices", "a list with a virtio-console (the page's terminal)", "none");
  const opfsNames = new Map<string, number>();
  devices.forEach((d, i) => {
    const at = `devices[${i}].options.backend`;
    if (d.type === "virtio-net" && d.options.backend.kind in LEAVING_NETWORKS) {
      const kind = d.options.backend.kind as keyof typeof LEAVING_NETWORKS;
      refuse(`${at}.kind`, `"host" or "switch": ${LEAVING_NETWORKS[kind]}`, kind);
    }
    // A link's script runs in the guest: a share of the opener's own files (the page's Files
    // folder, any folder of this browser's storage, a host directory) could be read by it and
    // sent away over a network card. A scratch folder in memory is harmless.
    if (d.type === "virtio-9p" && d.options.backend.kind !== "memory") {
      refuse(`${at}.kind`, `"memory": a share link cannot mount a folder of this browser's storage or of this computer`, d.options.backend.kind);
    }
    if (d.type !== "virtio-blk") return;
    const backend = d.options.backend;
    if (backend.kind === "file") refuse(`${at}.kind`, `"memory" or "opfs": a share link cannot name a file on this computer`, "file");
    if (backend.sizeMiB > MAX_LINK_DISK_MIB) refuse(`${at}.sizeMiB`, `at most ${MAX_LINK_DISK_MIB} in a share link`, backend.sizeMiB);
    if (backend.kind !== "opfs") return;
    if (!LINK_DISK_NAME.test(backend.name)) {
      refuse(`${at}.name`, "ringside-NAME.img (NAME: 1 to 32 lower-case letters, digits and '-'): a link may use no other file of this browser's storage", backend.name);
    }
    const first = opfsNames.get(backend.name);
    if (first !== undefined) refuse(`${at}.name`, `a disk of its own: devices[${first}] already uses it`, backend.name);
    opfsNames.set(backend.name, i);
  });
}
