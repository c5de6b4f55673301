import { describe, expect, it } from "vitest";
import { removeUnusedLegacyDevices, type V86Cpu, type V86IoPort } from "../../src/v86/internals.js";

function emptyPort(): V86IoPort {
  return {
    device: undefined,
    read8: () => 0xff, read16: () => 0xffff, read32: () => -1,
    write8: () => {}, write16: () => {}, write32: () => {},
  };
}

/** The shape of v86's cpu after construction, with the devices ringside switches off. */
function fakeCpu() {
  const ide = { primary: {}, secondary: {}, pci_id: 0x1e << 3 };
  const fdc = {};
  const sb16 = {};
  const uart = {};
  const ports: V86IoPort[] = Array.from({ length: 0x10000 }, emptyPort);
  const own = (port: number, device: object) => { ports[port] = { ...emptyPort(), device, read8: () => 0x42 }; };
  own(0x1f7, ide.primary);
  own(0x177, ide.secondary);
  own(0xb400, ide.primary);
  own(0x3f5, fdc);
  own(0x22e, sb16);
  own(0x3f8, uart);
  const pciDevices: (object | undefined)[] = [];
  const spaces: (Int32Array | undefined)[] = [];
  pciDevices[ide.pci_id] = ide;
  spaces[ide.pci_id] = new Int32Array(64);
  pciDevices[0] = { name: "host bridge" };
  spaces[0] = new Int32Array(64);
  // v86's floppy controller writes two 1.44 MB drives (type 4 each) into CMOS register 0x10.
  const cmos = new Uint8Array(128);
  cmos[0x10] = 0x44;
  const rtc = { cmos_write: (index: number, value: number) => void (cmos[index] = value) };
  const cpu = {
    io: { ports, create_empty_entry: emptyPort },
    devices: { pci: { devices: pciDevices, device_spaces: spaces }, ide, fdc, sb16, rtc },
    wasm_memory: new WebAssembly.Memory({ initial: 1 }),
  } satisfies V86Cpu;
  return { cpu, uart, cmos };
}

describe("switching off v86's unused devices", () => {
  it("unmaps the IDE, floppy and SB16 ports and the IDE PCI function, and nothing else", () => {
    const { cpu, uart } = fakeCpu();
    expect(removeUnusedLegacyDevices(cpu)).toEqual(["floppy", "ide", "sb16"]);
    for (const port of [0x1f7, 0x177, 0xb400, 0x3f5, 0x22e]) {
      expect(cpu.io.ports[port]!.device).toBeUndefined();
      expect(cpu.io.ports[port]!.read8(port)).toBe(0xff);
    }
    expect(cpu.io.ports[0x3f8]!.device).toBe(uart);
    expect(cpu.devices.pci.devices[0x1e << 3]).toBeUndefined();
    expect(cpu.devices.pci.device_spaces[0x1e << 3]).toBeUndefined();
    expect(cpu.devices.pci.devices[0]).toBeDefined();
  });

  it("tells the firmware there are no floppy drives once their controller is gone", () => {
    // SeaBIOS reads the drive types from CMOS; a drive it believes in makes an int 13h call
    // for it (syslinux resets drive 0 before starting a kernel) wait 5 s for an interrupt.
    const { cpu, cmos } = fakeCpu();
    removeUnusedLegacyDevices(cpu, { ide: true });
    expect(cmos[0x10]).toBe(0);
  });

  it("is harmless to run twice", () => {
    const { cpu } = fakeCpu();
    removeUnusedLegacyDevices(cpu);
    expect(removeUnusedLegacyDevices(cpu)).toEqual([]);
  });
});
