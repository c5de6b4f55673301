// A read-only look at v86's own PCI functions (host bridge, ISA bridge, VGA, IDE if kept)
// for the inspector: their configuration bytes straight from v86's `device_spaces` and
// their BAR sizes from each device's `pci_bars`. Nothing here goes through the
// configuration ports, so v86's address latch (which the guest may be in the middle of
// using, and some sequences of which reset the machine) is never touched.
import type { AccessSize } from "../platform/platform.js";
import type { V86Cpu } from "./internals.js";

/** What v86 0.5.x keeps per PCI device object (only the members read here). */
interface V86PciDevice {
  name?: unknown;
  /** Indexed by BAR number; v86 uses `{ size }` entries and leaves holes undefined. */
  pci_bars?: unknown;
}

/** The same shape as the PCI bus's V86PciView (src/pci/pci-bus.ts), which v86 code may not import. */
export interface V86PciFunctions {
  devfns(): number[];
  readConfig(devfn: number, offset: number, size: AccessSize): number;
  name(devfn: number): string | undefined;
  bars(devfn: number): Array<{ index: number; size: number }>;
}

const DEVFN_COUNT = 256;
const BAR0 = 0x10;
const BAR_COUNT = 6;

export function v86PciView(cpu: V86Cpu): V86PciFunctions {
  const pci = cpu.devices.pci;
  const space = (devfn: number): Int32Array | undefined => (devfn >= 0 && devfn < DEVFN_COUNT ? pci.device_spaces[devfn] : undefined);
  const device = (devfn: number): V86PciDevice | undefined => pci.devices[devfn] as V86PciDevice | undefined;

  /** One byte without allocating: the spaces are Int32Arrays of little-endian dwords. */
  const byte = (words: Int32Array, offset: number): number => {
    const word = words[offset >> 2];
    return word === undefined ? 0xff : (word >>> (8 * (offset & 3))) & 0xff;
  };
  const readConfig = (devfn: number, offset: number, size: AccessSize): number => {
    const words = space(devfn);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + (words ? byte(words, offset + i) : 0xff);
    return value;
  };

  return {
    devfns() {
      const out: number[] = [];
      for (let devfn = 0; devfn < DEVFN_COUNT; devfn++) if (space(devfn)) out.push(devfn);
      return out;
    },
    readConfig,
    name(devfn) {
      const name = device(devfn)?.name;
      return typeof name === "string" ? name : undefined;
    },
    bars(devfn) {
      const sizes = device(devfn)?.pci_bars;
      const out: Array<{ index: number; size: number }> = [];
      for (let index = 0; index < BAR_COUNT; index++) {
        const entry: unknown = Array.isArray(sizes) ? sizes[index] : undefined;
        const size = typeof entry === "object" && entry !== null && "size" in entry && typeof entry.size === "number" ? entry.size : undefined;
        const register = readConfig(devfn, BAR0 + 4 * index, 4);
        // v86 lists a BAR in pci_bars; a device it does not describe shows its BARs only as
        // non-zero registers (size unknown).
        if (size === undefined && register === 0) continue;
        out.push({ index, size: size ?? 0 });
        if ((register & 0x7) === 0x4) index++; // the upper half of a 64-bit memory BAR
      }
      return out;
    },
  };
}
