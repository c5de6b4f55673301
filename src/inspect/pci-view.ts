// Bus 0 as the inspector lists it: every function, ours and v86's, with its IDs, class,
// decoded BARs, interrupt registers and command register, read without side effects
// (PciBus.functions() never runs a configuration cycle).
import type { PciFunctionInfo } from "../pci/pci-bus.js";
import type { PciFunctionView } from "./types.js";

/** Names of the functions a ringside machine can have, by "vendor:device". */
const KNOWN: Record<string, string> = {
  "8086:1237": "440FX host bridge",
  "8086:7000": "PIIX3 ISA bridge",
  "8086:7010": "PIIX3 IDE controller",
  "8086:7113": "PIIX4 ACPI",
  "1234:1111": "VGA (Bochs display)",
  "10ec:8029": "NE2000 (RTL8029)",
  "1af4:1041": "virtio-net",
  "1af4:1042": "virtio-blk",
  "1af4:1043": "virtio-console",
  "1af4:1044": "virtio-rng",
  "1af4:1000": "virtio-net (transitional)",
  "1af4:1001": "virtio-blk (transitional)",
  "1af4:1003": "virtio-console (transitional)",
  "1af4:1005": "virtio-rng (transitional)",
};

const VENDOR_ID = 0x00;
const DEVICE_ID = 0x02;
const COMMAND = 0x04;
const CLASS_CODE = 0x09;
const BAR0 = 0x10;
const INTERRUPT_LINE = 0x3c;
const INTERRUPT_PIN = 0x3d;

/** "00:03.0" for a devfn on bus 0. */
export function pciAddress(devfn: number): string {
  const hex2 = (n: number) => n.toString(16).padStart(2, "0");
  return `00:${hex2(devfn >> 3)}.${devfn & 7}`;
}

export function pciFunctionView(info: PciFunctionInfo): PciFunctionView {
  const read = info.readConfig;
  const vendorId = read(VENDOR_ID, 2);
  const deviceId = read(DEVICE_ID, 2);
  const hex4 = (n: number) => n.toString(16).padStart(4, "0");
  const classBytes = [read(CLASS_CODE + 2, 1), read(CLASS_CODE + 1, 1), read(CLASS_CODE, 1)];
  return {
    address: pciAddress(info.devfn),
    vendorId,
    deviceId,
    classCode: classBytes.map((b) => b.toString(16).padStart(2, "0")).join(":"),
    // Ours carry the device's own name ("virtio-net"); v86's names ("82441FX PMC") are
    // less clear than the table's.
    name: (info.ours ? info.name : undefined) ?? KNOWN[`${hex4(vendorId)}:${hex4(deviceId)}`] ?? info.name ?? "unknown",
    ours: info.ours,
    bars: info.bars.map(({ index, size }) => decodeBar(read, index, size)),
    irqLine: read(INTERRUPT_LINE, 1),
    irqPin: read(INTERRUPT_PIN, 1),
    command: read(COMMAND, 2),
  };
}

/**
 * A BAR's kind and address from its register(s), as the guest programmed them. The size
 * comes from the emulator (never from the sizing probe, which would write the register).
 */
function decodeBar(read: PciFunctionInfo["readConfig"], index: number, size: number): PciFunctionView["bars"][number] {
  const low = read(BAR0 + 4 * index, 4);
  if (low & 1) return { index, kind: "io", address: (low & 0xfffffffc) >>> 0, size };
  const is64 = (low & 0x6) === 0x4;
  const high = is64 && index < 5 ? read(BAR0 + 4 * (index + 1), 4) : 0;
  return { index, kind: is64 ? "mem64" : "mem32", address: high * 0x1_0000_0000 + ((low & 0xfffffff0) >>> 0), size };
}
