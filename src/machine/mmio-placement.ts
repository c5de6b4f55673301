// Where each virtio-mmio device of a machine sits: its 512-byte register window and its
// interrupt line, decided from the machine description alone (the kernel command line is
// written before any device exists), and the kernel parameters that tell Linux about them
// (virtio_mmio.device=SIZE@BASE:IRQ, CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES).
//
// Windows go from 0xd0000000 up (Firecracker's choice too): above the largest RAM a
// description may have, below where SeaBIOS puts PCI BARs (down from 0xfec00000) and v86's
// VGA framebuffer (0xe0000000), and claimed by no PCI resource in Linux's PIC-mode boot.
// Lines are the ISA IRQs nothing else of the machine drives.
import type { DeviceDescription, MachineDescription, MmioPlacement } from "../description/machine-description.js";
import { MMIO_WINDOW_BYTES } from "../description/limits.js";
import { DescriptionError } from "../description/parse-machine.js";

/** Where the machine starts placing windows. */
export const MMIO_AUTO_BASE = 0xd0000000;
/**
 * Windows must end below this: from here up are v86's framebuffer (0xe0000000) and the
 * PCI BARs SeaBIOS assigns, whose 128 KiB blocks would hide a window mapped in the same
 * block (or be hidden by it).
 */
export const MMIO_PLACE_END = 0xe0000000;

/** The lines the machine picks from, in order (IRQ 14 and 15 are IDE's when a benchmark keeps v86's). */
const AUTO_IRQS = [5, 9, 6, 3, 7, 14, 15];

/** Lines other parts of the machine drive (v86 in PIC mode, SeaBIOS's PIRQ routes for PCI INTx). */
const TAKEN_IRQS: ReadonlyMap<number, string> = new Map([
  [0, "the timer"],
  [1, "the keyboard controller"],
  [2, "the cascade from the second PIC"],
  [4, "the serial port"],
  [8, "the real-time clock"],
  [10, "PCI INTx (SeaBIOS routes PIRQ A and B there)"],
  [11, "PCI INTx (SeaBIOS routes PIRQ C and D there)"],
  [12, "the PS/2 mouse"],
  [13, "the FPU"],
]);
const IDE_IRQS: ReadonlyMap<number, string> = new Map([[14, "v86's IDE controller"], [15, "v86's IDE controller"]]);

export interface MmioPlacementOptions {
  /** v86's IDE controller stays (a benchmark's choice): IRQ 14 and 15 are its. */
  ideKept?: boolean;
  /**
   * v86's APIC is on (a device has MSI-X), which brings v86's ACPI function: it drives IRQ 9
   * (its SCI), lowering it on every timer tick, so a window's line there would be cleared
   * under the driver's feet.
   */
  apic?: boolean;
}

/**
 * The description with every virtio-mmio device's base and IRQ filled in: the ones it
 * names are kept, the rest get the next free window and line. Throws a DescriptionError
 * naming both devices when two ask for the same window or line, naming the owner of a line
 * that is taken, or when the windows or lines run out.
 * `labels` are the devices' names in this machine, by index.
 */
export function placeMmioDevices(description: MachineDescription, labels: readonly string[], options: MmioPlacementOptions = {}): MachineDescription {
  const taken = new Map(TAKEN_IRQS);
  if (options.ideKept) for (const [irq, owner] of IDE_IRQS) taken.set(irq, owner);
  if (options.apic) taken.set(9, "v86's ACPI function (its SCI, on while a device has MSI-X)");
  const bases = new Map<number, number>();
  const irqs = new Map<number, number>();
  // First what the description names, so that picking never takes a place named later.
  description.devices.forEach((d, i) => {
    const t = d.transport;
    if (t.kind !== "mmio") return;
    if (t.base !== undefined) {
      if (t.base + MMIO_WINDOW_BYTES > MMIO_PLACE_END) {
        throw new DescriptionError(`${labels[i]}: virtio-mmio address 0x${t.base.toString(16)} is where the framebuffer and PCI BARs live; choose one below 0x${MMIO_PLACE_END.toString(16)}`);
      }
      claim(bases, t.base, i, labels, (b) => `virtio-mmio address 0x${b.toString(16)}`);
    }
    if (t.irq !== undefined) {
      const owner = taken.get(t.irq);
      if (owner !== undefined) throw new DescriptionError(`${labels[i]}: IRQ ${t.irq} is ${owner}'s; choose another irq= (free: ${freeIrqs(taken, irqs).join(", ") || "none"})`);
      claim(irqs, t.irq, i, labels, (n) => `IRQ ${n}`);
    }
  });
  let nextBase = MMIO_AUTO_BASE;
  const devices = description.devices.map((d, i): DeviceDescription => {
    const t = d.transport;
    if (t.kind !== "mmio") return d;
    let { base, irq } = t;
    if (base === undefined) {
      while (bases.has(nextBase)) nextBase += MMIO_WINDOW_BYTES;
      base = nextBase;
      bases.set(base, i);
    }
    if (irq === undefined) {
      irq = freeIrqs(taken, irqs)[0];
      if (irq === undefined) throw new DescriptionError(`${labels[i]}: no interrupt line is left for another virtio-mmio device (each has its own; lines in use: ${[...irqs.keys()].sort((a, b) => a - b).join(", ")})`);
      irqs.set(irq, i);
    }
    const placed: MmioPlacement = { ...t, base, irq };
    return { ...d, transport: placed };
  });
  return { ...description, devices };
}

/** The kernel parameters for the placed virtio-mmio devices, appended to `cmdline`. */
export function mmioCmdline(cmdline: string, devices: readonly DeviceDescription[]): string {
  const params = devices.flatMap((d) => {
    const t = d.transport;
    if (t.kind !== "mmio") return [];
    if (t.base === undefined || t.irq === undefined) throw new Error(`${d.id ?? d.type}: a virtio-mmio device must be placed before the command line is written`);
    return [`virtio_mmio.device=0x${MMIO_WINDOW_BYTES.toString(16)}@0x${t.base.toString(16)}:${t.irq}`];
  });
  return [cmdline, ...params].join(" ").trim();
}

function claim(places: Map<number, number>, at: number, i: number, labels: readonly string[], name: (at: number) => string): void {
  const first = places.get(at);
  if (first !== undefined) throw new DescriptionError(`${labels[first]} and ${labels[i]} both ask for ${name(at)}: a virtio-mmio device needs one of its own`);
  places.set(at, i);
}

function freeIrqs(taken: ReadonlyMap<number, string>, used: ReadonlyMap<number, number>): number[] {
  return AUTO_IRQS.filter((irq) => !taken.has(irq) && !used.has(irq));
}
