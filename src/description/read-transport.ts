// A device's transport in a machine description: PCI (slot, BAR kind, doorbell spacing,
// MSI-X) or virtio-mmio (window address and interrupt line), read and checked field by
// field for the one parser (parse-machine.ts).
import type { StateReader } from "../snapshot/state-reader.js";
import type { MmioPlacement, PciPlacement, TransportDescription } from "./machine-description.js";
import { MMIO_BASE_MAX, MMIO_BASE_MIN, MMIO_IRQ_MAX, MMIO_IRQ_MIN, MMIO_WINDOW_BYTES } from "./limits.js";

export function readTransport(r: StateReader): TransportDescription {
  if (r.field("kind").oneOf(["pci", "mmio"] as const) === "mmio") return readMmio(r);
  r.onlyFields(["kind", "slot", "bar", "notifyOffMultiplier", "msix"]);
  const t: PciPlacement = { kind: "pci" };
  // Slot 0 is the host bridge's; v86 takes the first few, the machine says which when it builds.
  if (r.has("slot")) t.slot = r.field("slot").integer(1, 31);
  if (r.has("bar")) t.bar = r.field("bar").oneOf(["io", "mem32", "mem64"] as const);
  if (r.has("notifyOffMultiplier")) {
    const m = r.field("notifyOffMultiplier").integer(0, 64);
    if (m % 2 !== 0) r.field("notifyOffMultiplier").fail("an even number of bytes from 0 to 64");
    t.notifyOffMultiplier = m;
  }
  if (r.has("msix")) t.msix = r.field("msix").boolean();
  return t;
}

function readMmio(r: StateReader): MmioPlacement {
  r.onlyFields(["kind", "base", "irq"]);
  const t: MmioPlacement = { kind: "mmio" };
  if (r.has("base")) {
    const base = r.field("base").integer(MMIO_BASE_MIN, MMIO_BASE_MAX);
    if (base % MMIO_WINDOW_BYTES !== 0) r.field("base").fail(`a multiple of 0x${MMIO_WINDOW_BYTES.toString(16)} from 0x${MMIO_BASE_MIN.toString(16)} to 0x${MMIO_BASE_MAX.toString(16)}`);
    t.base = base;
  }
  if (r.has("irq")) t.irq = r.field("irq").integer(MMIO_IRQ_MIN, MMIO_IRQ_MAX);
  return t;
}
