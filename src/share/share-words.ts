// A link's machine in words, for the banner, the gallery and the Share panel. A machine of
// the page's usual shape reads as version-1 links always read ("host network with the
// shared notification channel, this browser's disk at /mnt"); further disks and cards are
// named as the guest sees them (vdb, eth1).
import type { DeviceOf } from "../worker/api.js";
import type { LinkMachine } from "./link-machine.js";
import type { ShareContent } from "./share-content.js";
import { PAGE_DISK } from "./page-machine.js";
import { describeBoot, runsRingsideUserspace } from "./boot-words.js";

function cardWords(card: DeviceOf<"virtio-net">): string {
  const network = card.options.backend.kind === "switch" ? "tab switch network" : "host network";
  return `${network} with ${card.options.policy === "shared" ? "the shared notification channel" : "per-queue kicks"}`;
}

function diskWords(disk: DeviceOf<"virtio-blk">, index: number, ringside: boolean): string {
  const { backend, readOnly } = disk.options;
  const ro = readOnly ? " (read-only)" : "";
  if (backend.kind === "memory") return `a ${backend.sizeMiB} MiB disk in memory${ro}`;
  if (backend.kind === "file") return `the file ${backend.path}${ro}`;
  // rc.boot mounts the first disk at /mnt when it is in this browser's storage (page-machine.ts);
  // another initrd has no rc.boot.
  const where = index !== 0 ? "" : ringside ? " at /mnt" : " (mounted at /mnt by ringside's userspace only)";
  return `this browser's disk${backend.name === PAGE_DISK.name ? "" : ` ${backend.name}`}${where}${ro}`;
}

function listed(what: string, words: readonly string[], name: (i: number) => string): string {
  if (words.length === 1) return words[0]!;
  return `${words.length} ${what} (${words.map((w, i) => `${name(i)}: ${w}`).join("; ")})`;
}

/** Memory, network cards and disks, e.g. "256 MiB of memory, host network with ..., no disk". */
export function describeLinkMachine(machine: LinkMachine): string {
  return `${machine.memoryMiB} MiB of memory, ${describeDevices(machine)}${describeBoot(machine.boot)}`;
}

/** The network cards and disks, e.g. "host network with ..., no disk". */
export function describeDevices(machine: LinkMachine): string {
  const cards = machine.devices.filter((d): d is DeviceOf<"virtio-net"> => d.type === "virtio-net");
  const disks = machine.devices.filter((d): d is DeviceOf<"virtio-blk"> => d.type === "virtio-blk");
  const network = cards.length === 0 ? "no network" : listed("network cards", cards.map(cardWords), (i) => `eth${i}`);
  const disk = disks.length === 0 ? "no disk" : listed("disks", disks.map((d, i) => diskWords(d, i, runsRingsideUserspace(machine.boot))), (i) => `vd${String.fromCharCode(97 + i)}`);
  return `${network}, ${disk}${ringAndTransportWords(machine)}`;
}

/**
 * Which devices leave the defaults (split rings, PCI with INTx), e.g. ", packed rings:
 * virtio-console, virtio-net; on virtio-mmio: virtio-rng; MSI-X: virtio-net"; "" when none do.
 */
function ringAndTransportWords(machine: LinkMachine): string {
  const named = (keep: (d: LinkMachine["devices"][number]) => boolean) => machine.devices.filter(keep).map((d) => d.id ?? d.type);
  const groups: [string, string[]][] = [
    ["packed rings", named((d) => d.ring === "packed")],
    ["on virtio-mmio", named((d) => d.transport.kind === "mmio")],
    ["MSI-X", named((d) => d.transport.kind === "pci" && d.transport.msix === true)],
  ];
  return groups.filter(([, names]) => names.length > 0).map(([what, names]) => `, ${what}: ${names.join(", ")}`).join("");
}

/** The whole link in words: its machine, the kernel parameters it adds and the panel it opens. */
export function describeShareContent(content: ShareContent): string {
  const extras = content.cmdlineExtras === "" ? "" : `, kernel parameters added: ${content.cmdlineExtras}`;
  return `${describeLinkMachine(content.machine)}${extras}, ${content.panel} panel open`;
}
