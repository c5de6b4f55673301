// Whether a saved state fits the machine it is to go into, and if not, which device
// differs, in words. What must match is what the guest's RAM knows about: RAM size, the
// devices in order with their type, PCI place, transport and queue sizes, and each disk's
// size. What may differ is where a disk's bytes live (a browser's storage or a file) and
// what is at the other end of a card's cable.
import type { DeviceDescription, MachineDescription, MmioPlacement, TransportDescription } from "../description/machine-description.js";
import type { MachineStateHeader } from "./machine-state.js";
import { QUEUE_COUNT } from "../description/limits.js";
import { backendNeed } from "../description/backend-need.js";

export interface BuiltMachine {
  description: MachineDescription;
  diskSectors: readonly number[];
}

/** Why `header`'s machine cannot be restored into `machine`, or undefined if it can. */
export function stateMismatch(header: MachineStateHeader, machine: BuiltMachine): string | undefined {
  const saved = header.machine;
  const here = machine.description;
  if (saved.memoryMiB !== here.memoryMiB) return `the state needs ${saved.memoryMiB} MiB of RAM; this machine has ${here.memoryMiB}`;
  const count = Math.max(saved.devices.length, here.devices.length);
  let disk = 0;
  for (let i = 0; i < count; i++) {
    const a = saved.devices[i];
    const b = here.devices[i];
    if (!a || !b) {
      return `the state has ${saved.devices.length} devices (${names(saved)}); this machine has ${here.devices.length} (${names(here)})`;
    }
    const why = deviceMismatch(a, b);
    if (why) return `device ${i + 1} (${describeDevice(a)}): ${why}`;
    if (backendNeed(a).kind === "disk") {
      const s = header.diskSectors[disk];
      const m = machine.diskSectors[disk];
      disk++;
      if (s !== m) return `device ${i + 1} (${describeDevice(a)}): the state's disk is ${mib(s)}; this machine's is ${mib(m)}`;
    }
  }
  return undefined;
}

function deviceMismatch(a: DeviceDescription, b: DeviceDescription): string | undefined {
  if (a.type !== b.type) return `the state has a ${a.type} there; this machine has a ${b.type}`;
  const [ta, tb] = [a.transport, b.transport];
  if (ta.kind !== tb.kind) return `the state has it on ${transportName(ta)}; this machine on ${transportName(tb)}`;
  if (ta.kind === "pci" && tb.kind === "pci") {
    if (ta.slot !== tb.slot) return `the state has it in PCI slot ${ta.slot}; this machine in ${tb.slot}`;
    if ((ta.bar ?? "mem32") !== (tb.bar ?? "mem32")) return `the state has a ${ta.bar ?? "mem32"} BAR; this machine ${tb.bar ?? "mem32"}`;
    if ((ta.notifyOffMultiplier ?? 0) !== (tb.notifyOffMultiplier ?? 0)) return "the doorbells are spaced differently";
    if ((ta.msix ?? false) !== (tb.msix ?? false)) return `the state's device ${ta.msix ? "uses" : "does not use"} MSI-X; this machine's ${tb.msix ? "does" : "does not"}`;
  }
  if (ta.kind === "mmio" && tb.kind === "mmio" && (ta.base !== tb.base || ta.irq !== tb.irq)) {
    return `the state has it at virtio-mmio ${mmioWhere(ta)}; this machine at ${mmioWhere(tb)}`;
  }
  if ((a.ring ?? "split") !== (b.ring ?? "split")) return `the state's device offers ${a.ring ?? "split"} rings; this machine's ${b.ring ?? "split"}`;
  const sizes = (d: DeviceDescription) => Array.from({ length: QUEUE_COUNT[d.type] }, (_, q) => d.queues?.[q]?.size ?? 256).join(", ");
  if (sizes(a) !== sizes(b)) return `the state's queue sizes are ${sizes(a)}; this machine's ${sizes(b)}`;
  const [da, db] = [backendNeed(a), backendNeed(b)];
  if (da.kind === "disk" && db.kind === "disk" && da.options.readOnly !== db.options.readOnly) {
    return `the state's disk is ${da.options.readOnly ? "read-only" : "writable"}; this machine's is not`;
  }
  return undefined;
}

export function describeDevice(d: DeviceDescription): string {
  const t = d.transport;
  if (t.kind === "mmio") return `${d.id ?? d.type} on virtio-mmio${t.base !== undefined ? ` at ${mmioWhere(t)}` : ""}`;
  return `${d.id ?? d.type}${t.slot !== undefined ? ` in slot ${t.slot}` : ""}`;
}

function transportName(t: TransportDescription): string {
  return t.kind === "pci" ? "PCI" : "virtio-mmio";
}

function mmioWhere(t: MmioPlacement): string {
  return `0x${(t.base ?? 0).toString(16)} (IRQ ${t.irq ?? "?"})`;
}

function names(m: MachineDescription): string {
  return m.devices.map((d) => d.type).join(", ") || "none";
}

function mib(sectors: number | undefined): string {
  return sectors === undefined ? "missing" : `${Math.round((sectors * 512) / 1024 / 1024)} MiB (${sectors} sectors)`;
}
