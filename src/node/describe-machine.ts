// The machine a Node caller means by shorthands: the console and the rng, then a disk and
// a network card if it gave them, all placed on PCI the same way. The CLI's flags
// (cli/machine-from-args.ts) and the tests' options both come here.
import type { DeviceDescription, MachineDescription, RingLayout, TransportDescription } from "../description/machine-description.js";
import { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB } from "../description/limits.js";
import { MACHINE_DESCRIPTION_VERSION } from "../description/machine-description.js";

export interface MachineShorthands {
  memoryMiB?: number;
  cmdline?: string;
  /** A disk: its size gives the description's memory backend (the caller supplies the bytes). */
  disk?: { sectorCount: number; readOnly: boolean };
  /** A network card on the host network. */
  network?: unknown;
  policy?: "shared" | "per-queue";
  transport?: Omit<TransportDescription, "kind" | "slot">;
  /** The ring layout every device offers (absent: the default, split). */
  ring?: RingLayout;
}

export function describeMachine(s: MachineShorthands): MachineDescription {
  const transport: TransportDescription = { kind: "pci", ...s.transport };
  const devices: DeviceDescription[] = [
    { type: "virtio-console", transport },
    { type: "virtio-rng", transport },
  ];
  if (s.disk) {
    const sizeMiB = Math.max(1, Math.ceil((s.disk.sectorCount * 512) / (1024 * 1024)));
    devices.push({ type: "virtio-blk", transport, options: { backend: { kind: "memory", sizeMiB }, readOnly: s.disk.readOnly } });
  }
  if (s.network) devices.push({ type: "virtio-net", transport, options: { backend: { kind: "host" }, policy: s.policy ?? "shared", ip: "auto" } });
  const ringed = s.ring ? devices.map((d) => ({ ...d, ring: s.ring })) : devices;
  return { version: MACHINE_DESCRIPTION_VERSION, memoryMiB: s.memoryMiB ?? DEFAULT_MEMORY_MIB, cmdline: s.cmdline ?? DEFAULT_CMDLINE, devices: ringed };
}
