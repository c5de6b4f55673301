// Where the machine puts virtio-mmio devices (src/machine/mmio-placement.ts): windows from
// 0xd0000000 up and lines nothing else drives, what the description names kept, clashes
// refused naming both devices, and the kernel parameters that tell Linux.
import { describe, expect, it } from "vitest";
import { mmioCmdline, placeMmioDevices } from "../../src/machine/mmio-placement.js";
import { deviceLabels } from "../../src/machine/machine-devices.js";
import { DescriptionError } from "../../src/description/parse-machine.js";
import type { DeviceDescription, MachineDescription, TransportDescription } from "../../src/description/machine-description.js";

function machine(...transports: TransportDescription[]): MachineDescription {
  const devices: DeviceDescription[] = transports.map((transport) => ({ type: "virtio-rng", transport }));
  return { version: 1, memoryMiB: 256, cmdline: "console=ttyS0", devices };
}

const place = (m: MachineDescription, ideKept = false) => placeMmioDevices(m, deviceLabels(m.devices), { ideKept });

describe("virtio-mmio placement", () => {
  it("gives each device the next free window and line, and leaves PCI devices alone", () => {
    const placed = place(machine({ kind: "pci" }, { kind: "mmio" }, { kind: "mmio" }, { kind: "mmio" }));
    expect(placed.devices.map((d) => d.transport)).toEqual([
      { kind: "pci" },
      { kind: "mmio", base: 0xd0000000, irq: 5 },
      { kind: "mmio", base: 0xd0000200, irq: 9 },
      { kind: "mmio", base: 0xd0000400, irq: 6 },
    ]);
    expect(mmioCmdline("console=ttyS0", placed.devices)).toBe(
      "console=ttyS0 virtio_mmio.device=0x200@0xd0000000:5 virtio_mmio.device=0x200@0xd0000200:9 virtio_mmio.device=0x200@0xd0000400:6",
    );
  });

  it("keeps IRQ 9 free when MSI-X turns on v86's APIC (its ACPI function drives that line)", () => {
    const m = machine({ kind: "pci", msix: true }, { kind: "mmio" }, { kind: "mmio" });
    const placed = placeMmioDevices(m, deviceLabels(m.devices), { apic: true });
    expect(placed.devices.map((d) => (d.transport.kind === "mmio" ? d.transport.irq : undefined))).toEqual([undefined, 5, 6]);
    const named = machine({ kind: "mmio", irq: 9 });
    expect(() => placeMmioDevices(named, deviceLabels(named.devices), { apic: true })).toThrow(/IRQ 9 is v86's ACPI function/);
  });

  it("keeps the places a description names and picks around them", () => {
    const placed = place(machine({ kind: "mmio" }, { kind: "mmio", base: 0xd0000000, irq: 5 }, { kind: "mmio", irq: 15 }));
    expect(placed.devices.map((d) => d.transport)).toEqual([
      { kind: "mmio", base: 0xd0000200, irq: 9 },
      { kind: "mmio", base: 0xd0000000, irq: 5 },
      { kind: "mmio", base: 0xd0000400, irq: 15 },
    ]);
    // Placing again changes nothing (a restored machine's description is already placed).
    expect(place(placed)).toEqual(placed);
  });

  it("refuses two devices on one window or one line, naming both", () => {
    expect(() => place(machine({ kind: "mmio", irq: 7 }, { kind: "mmio", irq: 7 }))).toThrow("virtio-rng and virtio-rng#2 both ask for IRQ 7");
    // A mistake in the description, which the CLI and the page report as one (no stack trace).
    expect(() => place(machine({ kind: "mmio", irq: 7 }, { kind: "mmio", irq: 7 }))).toThrow(DescriptionError);
    expect(() => place(machine({ kind: "mmio", base: 0xd0001000 }, { kind: "pci" }, { kind: "mmio", base: 0xd0001000 }))).toThrow(
      "virtio-rng and virtio-rng#3 both ask for virtio-mmio address 0xd0001000",
    );
  });

  it("refuses a line the machine already drives, naming its owner, and IDE's lines when v86's IDE stays", () => {
    expect(() => place(machine({ kind: "mmio", irq: 4 }))).toThrow(/virtio-rng: IRQ 4 is the serial port's/);
    expect(() => place(machine({ kind: "mmio", irq: 11 }))).toThrow(/PCI INTx/);
    expect(place(machine({ kind: "mmio", irq: 14 })).devices[0]!.transport).toMatchObject({ irq: 14 });
    expect(() => place(machine({ kind: "mmio", irq: 14 }), true)).toThrow(/IDE/);
  });

  it("refuses a window among the framebuffer and the PCI BARs", () => {
    expect(() => place(machine({ kind: "mmio", base: 0xfeb80000 }))).toThrow(/0xfeb80000 is where the framebuffer and PCI BARs live/);
    expect(place(machine({ kind: "mmio", base: 0xdffffe00 })).devices[0]!.transport).toMatchObject({ base: 0xdffffe00 });
  });

  it("says so when the lines run out", () => {
    const eight = machine(...Array.from({ length: 8 }, () => ({ kind: "mmio" as const })));
    expect(() => place(eight)).toThrow(/virtio-rng#8: no interrupt line is left/);
    expect(place(machine(...Array.from({ length: 7 }, () => ({ kind: "mmio" as const })))).devices.map((d) => (d.transport as { irq: number }).irq)).toEqual([5, 9, 6, 3, 7, 14, 15]);
  });

  it("will not write the command line for a device that was never placed", () => {
    expect(() => mmioCmdline("", machine({ kind: "mmio" }).devices)).toThrow(/placed/);
  });
});
