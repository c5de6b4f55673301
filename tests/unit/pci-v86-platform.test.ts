// The Platform over v86's internals, against a fake cpu shaped like v86 0.5.462's: port
// entries called as methods of their device, MMIO handler tables per 128 KiB block, the
// mem8 Proxy, the PCI latch.
import { describe, expect, it } from "vitest";
import { createV86Platform } from "../../src/v86/v86-platform.js";
import { guestMemoryOf } from "../../src/v86/v86-memory.js";
import { platformCpuOf, type V86IoPort, type V86MmioRead, type V86MmioWrite, type V86PlatformCpu } from "../../src/v86/internals.js";

const BLOCK = 128 * 1024;

function emptyPort(): V86IoPort {
  return {
    device: undefined,
    read8: () => 0xff, read16: () => 0xffff, read32: () => -1,
    write8: () => {}, write16: () => {}, write32: () => {},
  };
}

/** v86's Proxy for mem8: every property access builds a new view over the wasm memory. */
function memProxy(memory: WebAssembly.Memory, offset: number, length: number): Uint8Array {
  return new Proxy({} as Uint8Array, {
    get: (_, key) => {
      const view = new Uint8Array(memory.buffer, offset, length);
      const value = Reflect.get(view, key) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(view) : value;
    },
  });
}

function fakeCpu() {
  const wasm_memory = new WebAssembly.Memory({ initial: 4 }); // 256 KiB
  const ramOffset = 0x10000;
  // EFLAGS lives in wasm memory (at 120 in v86), IF set as in a running kernel.
  const eflags = new Int32Array(wasm_memory.buffer, 120, 1);
  eflags[0] = 0x202;
  const ramSize = 0x20000;
  const ports: V86IoPort[] = Array.from({ length: 0x10000 }, emptyPort);
  // v86's PCI object owns 0xCF8-0xCFF; its handlers use `this`.
  const v86Pci = {
    name: "v86 pci",
    pci_addr: new Uint8Array(4),
    devices: [] as (object | undefined)[],
    device_spaces: [] as (Int32Array | undefined)[],
    writes: [] as string[],
  };
  for (let i = 0; i < 8; i++) {
    const port = 0xcf8 + i;
    ports[port] = {
      device: v86Pci,
      read8(this: typeof v86Pci) { return this.pci_addr[i & 3]!; },
      read16() { return 0xbeef; },
      read32() { return -2; },
      write8(this: typeof v86Pci, value: number) {
        if (i < 4) this.pci_addr[i] = value;
        this.writes.push(`${port.toString(16)}=${value.toString(16)}`);
      },
      write16(this: typeof v86Pci, value: number) { this.writes.push(`${port.toString(16)}:16=${value.toString(16)}`); },
      write32(this: typeof v86Pci, value: number) {
        new DataView(this.pci_addr.buffer).setInt32(0, value, true);
        this.writes.push(`${port.toString(16)}:32=${value}`);
      },
    };
  }
  v86Pci.devices[0] = { name: "host bridge" };
  v86Pci.device_spaces[0] = new Int32Array(64);
  const isa = new Int32Array(64);
  new Uint8Array(isa.buffer).set([10, 10, 11, 0x80], 0x60);
  v86Pci.devices[8] = { name: "isa" };
  v86Pci.device_spaces[8] = isa;
  v86Pci.devices[0x12 << 3] = { name: "vga" };
  v86Pci.device_spaces[0x12 << 3] = new Int32Array(64);

  const unmapped8: V86MmioRead = () => 0xff;
  const unmappedW: V86MmioWrite = () => {};
  const unmapped32: V86MmioRead = () => -1;
  const map = { read8: [] as (V86MmioRead | undefined)[], write8: [] as (V86MmioWrite | undefined)[], read32: [] as (V86MmioRead | undefined)[], write32: [] as (V86MmioWrite | undefined)[] };
  for (let b = 0; b < 0x8000; b++) {
    const ram = b * BLOCK < ramSize;
    map.read8[b] = ram ? undefined : unmapped8;
    map.write8[b] = ram ? undefined : unmappedW;
    map.read32[b] = ram ? undefined : unmapped32;
    map.write32[b] = ram ? undefined : unmappedW;
  }
  const irqs: string[] = [];
  const dirty: [number, number][] = [];
  let reboots = 0;
  const cpu = {
    io: {
      ports,
      create_empty_entry: emptyPort,
      mmap_register(addr: number, size: number, r8: V86MmioRead, w8: V86MmioWrite, r32?: V86MmioRead, w32?: V86MmioWrite) {
        for (let b = addr >>> 17; size > 0; b++, size -= BLOCK) {
          map.read8[b] = r8;
          map.write8[b] = w8;
          map.read32[b] = r32;
          map.write32[b] = w32;
        }
      },
    },
    devices: { pci: v86Pci },
    wasm_memory,
    mem8: memProxy(wasm_memory, ramOffset, ramSize),
    memory_map_read8: map.read8,
    memory_map_write8: map.write8,
    memory_map_read32: map.read32,
    memory_map_write32: map.write32,
    jit_dirty_cache: (start: number, end: number) => void dirty.push([start, end]),
    // Records the guest's IF flag as v86 would see it when it tries to deliver.
    device_raise_irq: (line: number) => void irqs.push(`${line}+${cpu.flags[0]! & 0x200 ? "" : " (IF masked)"}`),
    device_lower_irq: (line: number) => void irqs.push(`${line}-${cpu.flags[0]! & 0x200 ? "" : " (IF masked)"}`),
    reboot_internal: () => void reboots++,
    flags: eflags,
  } satisfies V86PlatformCpu;
  return { cpu, v86Pci, irqs, dirty, ramOffset, reboots: () => reboots, unmapped8 };
}

/** A port access the way v86's io.port_read/write dispatch makes it. */
const inPort = (cpu: V86PlatformCpu, port: number, size: 1 | 2 | 4) => {
  const e = cpu.io.ports[port]!;
  return size === 1 ? e.read8.call(e.device, port) : size === 2 ? e.read16.call(e.device, port) : e.read32.call(e.device, port);
};
const outPort = (cpu: V86PlatformCpu, port: number, size: 1 | 2 | 4, value: number) => {
  const e = cpu.io.ports[port]!;
  if (size === 1) e.write8.call(e.device, value);
  else if (size === 2) e.write16.call(e.device, value);
  else e.write32.call(e.device, value);
};

describe("the v86 platform", () => {
  it("ORs our level with v86's own devices on a shared IRQ", () => {
    const { cpu, irqs } = fakeCpu();
    const platform = createV86Platform(cpu);
    platform.setIrqLine(11, true); // ours asserts
    cpu.device_raise_irq(11); // a v86 device (its code calls cpu.device_raise_irq) asserts too
    cpu.device_lower_irq(11); // v86's device is done: ours still holds the line
    expect(irqs).toEqual(["11+", "11+"]);
    cpu.device_raise_irq(11);
    platform.setIrqLine(11, false); // ours is done: v86's still holds it
    expect(irqs).toEqual(["11+", "11+", "11+"]);
    cpu.device_lower_irq(11); // nobody holds it now
    expect(irqs).toEqual(["11+", "11+", "11+", "11-"]);
  });

  it("changes IRQ lines during an MMIO access with IF masked, so v86 delivers after the instruction", () => {
    const { cpu, irqs } = fakeCpu();
    const platform = createV86Platform(cpu);
    platform.mapMmio(0xfe000000, 128 * 1024, {
      read: () => (platform.setIrqLine(11, false), 0),
      write: () => platform.setIrqLine(11, true),
    });
    const block = 0xfe000000 >>> 17;
    cpu.memory_map_write32[block]!(0xfe000000 | 0, 1);
    cpu.memory_map_read8[block]!(0xfe000000 | 0);
    expect(cpu.flags[0]).toBe(0x202); // restored
    platform.setIrqLine(11, true); // outside MMIO: delivered at once, IF untouched
    expect(irqs).toEqual(["11+ (IF masked)", "11- (IF masked)", "11+"]);
  });

  it("maps ports with true 8/16/32-bit handlers and v86's value conventions", () => {
    const { cpu } = fakeCpu();
    const platform = createV86Platform(cpu);
    const seen: string[] = [];
    platform.mapIo(0xc000, 4, {
      read: (port, size) => (seen.push(`r ${port.toString(16)}/${size}`), 0xfffffffe),
      write: (port, size, value) => void seen.push(`w ${port.toString(16)}/${size}=${value.toString(16)}`),
    });
    expect(inPort(cpu, 0xc001, 1)).toBe(0xfe);
    expect(inPort(cpu, 0xc002, 2)).toBe(0xfffe);
    expect(inPort(cpu, 0xc000, 4)).toBe(-2); // v86 wants int32 from 32-bit reads
    outPort(cpu, 0xc003, 4, -1); // and passes int32 to 32-bit writes
    expect(seen).toEqual(["r c001/1", "r c002/2", "r c000/4", "w c003/4=ffffffff"]);
  });

  it("puts v86's own port entries back on unmap, whatever the order", () => {
    const { cpu } = fakeCpu();
    const platform = createV86Platform(cpu);
    const before = cpu.io.ports.slice(0xc000, 0xc020);
    const h = (v: number) => ({ read: () => v, write: () => {} });
    const unmapA = platform.mapIo(0xc000, 0x20, h(1));
    const unmapB = platform.mapIo(0xc010, 0x20, h(2));
    expect(inPort(cpu, 0xc018, 1)).toBe(2); // newest on top
    unmapA();
    expect(inPort(cpu, 0xc008, 1)).toBe(0xff);
    expect(inPort(cpu, 0xc018, 1)).toBe(2);
    unmapB();
    unmapB();
    expect(cpu.io.ports.slice(0xc000, 0xc020)).toEqual(before);
    expect(cpu.io.ports[0xc000]).toBe(before[0]);
  });

  it("maps MMIO per 128 KiB block with unsigned addresses, and restores v86's handlers", () => {
    const { cpu, unmapped8 } = fakeCpu();
    const platform = createV86Platform(cpu);
    const seen: string[] = [];
    const base = 0xfebc0000;
    const unmap = platform.mapMmio(base, 2 * BLOCK, {
      read: (addr, size) => (seen.push(`r ${addr.toString(16)}/${size}`), size === 4 ? 0x80000000 : 0x1ff),
      write: (addr, size, value) => void seen.push(`w ${addr.toString(16)}/${size}=${value.toString(16)}`),
    });
    const block = base >>> 17;
    expect(cpu.memory_map_read8[block + 1]!((base + BLOCK + 3) | 0)).toBe(0xff);
    expect(cpu.memory_map_read32[block]!(base | 0)).toBe(-0x80000000);
    cpu.memory_map_write32[block]!((base + 4) | 0, -1);
    cpu.memory_map_write8[block]!((base + 8) | 0, 0x7f);
    expect(seen).toEqual([`r febe0003/1`, `r febc0000/4`, `w febc0004/4=ffffffff`, `w febc0008/1=7f`]);
    unmap();
    expect(cpu.memory_map_read8[block]).toBe(unmapped8);
    expect(() => platform.mapMmio(base + 0x1000, BLOCK, { read: () => 0, write: () => {} })).toThrow(RangeError);
  });

  it("leaves a RAM block as it was (no handlers) after mapping over it", () => {
    const { cpu } = fakeCpu();
    const unmap = createV86Platform(cpu).mapMmio(0, BLOCK, { read: () => 0, write: () => {} });
    expect(cpu.memory_map_read8[0]).toBeTypeOf("function");
    unmap();
    expect(cpu.memory_map_read8[0]).toBeUndefined();
    expect(cpu.memory_map_write32[0]).toBeUndefined();
  });

  it("calls v86's configuration port handlers as methods of v86's PCI object, after the bus took the ports", () => {
    const { cpu, v86Pci } = fakeCpu();
    const platform = createV86Platform(cpu);
    platform.mapIo(0xcf8, 8, { read: () => 0, write: () => {} });
    platform.v86ConfigPorts.write(0xcf8, 4, 0x80000800);
    expect([...v86Pci.pci_addr]).toEqual([0x00, 0x08, 0x00, 0x80]);
    expect(platform.v86ConfigPorts.read(0xcf9, 1)).toBe(0x08);
    expect(platform.v86ConfigPorts.read(0xcfc, 4)).toBe(0xfffffffe);
    platform.v86ConfigPorts.write(0xcfc, 1, 0x12);
    platform.v86ConfigPorts.write(0xcf8, 4, 0x80001800); // devfn 0x18: v86 has nothing there
    platform.v86ConfigPorts.write(0xcfd, 1, 0x34); // v86 would throw on this: it is dropped
    platform.v86ConfigPorts.write(0xcf9, 1, 0x06); // reset control: always passed on
    expect(v86Pci.writes).toEqual(["cf8:32=-2147481600", "cfc=12", "cf8:32=-2147477504", "cf9=6"]);
    expect(() => createV86Platform(cpu)).toThrow(/already owns/);
  });

  it("drives IRQ lines, reads the PIRQ routes and lists v86's slots", () => {
    const { cpu, irqs } = fakeCpu();
    const platform = createV86Platform(cpu);
    platform.setIrqLine(10, true);
    platform.setIrqLine(10, false);
    expect(irqs).toEqual(["10+", "10-"]);
    expect(() => platform.setIrqLine(16, true)).toThrow(RangeError);
    expect([0, 1, 2, 3].map((i) => platform.pirqRoute(i))).toEqual([10, 10, 11, 0x80]);
    expect(platform.v86Slots()).toEqual([0, 1, 0x12]);
  });

  it("tells listeners after v86 reboots the machine", () => {
    const fake = fakeCpu();
    const platform = createV86Platform(fake.cpu);
    let told = 0;
    platform.onReboot(() => told++);
    fake.cpu.reboot_internal();
    expect(fake.reboots()).toBe(1);
    expect(told).toBe(1);
  });

  it("refuses a cpu that does not look like the pinned v86's", () => {
    const { cpu } = fakeCpu();
    const { jit_dirty_cache: _, ...rest } = cpu;
    expect(() => platformCpuOf(rest as unknown as V86PlatformCpu)).toThrow(/jit_dirty_cache.*0\.5\.462/);
  });
});

describe("guest memory over v86's wasm memory", () => {
  it("reads and writes RAM at v86's offset, tells the JIT, and survives the memory growing", () => {
    const { cpu, dirty, ramOffset } = fakeCpu();
    const memory = guestMemoryOf(cpu);
    expect(memory.size).toBe(0x20000);
    memory.write32(0x100, 0xdeadbeef);
    expect(new DataView(cpu.wasm_memory.buffer).getUint32(ramOffset + 0x100, true)).toBe(0xdeadbeef);
    expect(dirty).toEqual([[0x100, 0x104]]);
    cpu.wasm_memory.grow(1); // the old buffer is detached
    expect(memory.read32(0x100)).toBe(0xdeadbeef);
    memory.writeBytes(0x1fffe, new Uint8Array([1, 2]));
    expect(memory.read16(0x1fffe)).toBe(0x0201);
    expect(() => memory.read8(0x20000)).toThrow(/outside RAM/);
  });

});

describe("the v86 platform's message-signalled interrupts", () => {
  /** v86's APIC as its wasm module keeps it: 46 words at get_apic_addr() (irr at word 16, tmr at 32). */
  function withApic(fake: ReturnType<typeof fakeCpu>, acpi = true) {
    const apicAt = 0x1000;
    const acpiByte = new Uint8Array(fake.cpu.wasm_memory.buffer, 552, 1);
    acpiByte[0] = acpi ? 1 : 0;
    let handled = 0;
    Object.assign(fake.cpu, { acpi_enabled: acpiByte, get_apic_addr: () => apicAt, handle_irqs: () => void handled++ });
    const words = () => new Uint32Array(fake.cpu.wasm_memory.buffer, apicAt, 46);
    return { words, handled: () => handled };
  }

  it("sets the vector's IRR bit (edge: TMR clear) and has v86 take it at once outside MMIO", () => {
    const fake = fakeCpu();
    const apic = withApic(fake);
    apic.words()[32 + 1] = 1 << 1; // vector 0x21 was level-triggered before
    const logs: string[] = [];
    const platform = createV86Platform(fake.cpu, (m) => logs.push(m));
    expect(platform.hasApic).toBe(true);
    platform.signalMsi(0xfee0_0000, 0x21);
    expect(apic.words()[16 + 1]).toBe(1 << 1);
    expect(apic.words()[32 + 1]).toBe(0);
    expect(apic.handled()).toBe(1);
    platform.signalMsi(0xfee0_0000, 0x4100 | 0xfe); // lowest priority: the same on one CPU
    expect(apic.words()[16 + 7]! >>> 30).toBe(1);
    expect(logs).toEqual([]);
  });

  it("drops what is not a fixed edge message to the local APIC, telling the log once per kind", () => {
    const fake = fakeCpu();
    const apic = withApic(fake);
    const logs: string[] = [];
    const platform = createV86Platform(fake.cpu, (m) => logs.push(m));
    platform.signalMsi(0xfed0_0000, 0x30); // not the APIC's address
    platform.signalMsi(0x1_fee0_0000, 0x30); // above 4 GiB
    platform.signalMsi(0xfee0_0000, 0x8030); // level-triggered
    platform.signalMsi(0xfee0_0000, 0x0430); // NMI
    platform.signalMsi(0xfee0_0000, 0x0430);
    platform.signalMsi(0xfee0_0000, 0x000f); // an exception vector
    expect(apic.words().subarray(16, 24).every((w) => w === 0)).toBe(true);
    expect(apic.handled()).toBe(0);
    expect(logs).toHaveLength(5);
  });

  it("inside an MMIO access only marks the vector; the next slice has v86 look", () => {
    const fake = fakeCpu();
    const apic = withApic(fake);
    const platform = createV86Platform(fake.cpu);
    platform.mapMmio(0xfe000000, 128 * 1024, { read: () => 0, write: () => platform.signalMsi(0xfee0_0000, 0x40) });
    fake.cpu.memory_map_write32[0xfe000000 >>> 17]!(0xfe000000 | 0, 1);
    expect(apic.words()[16 + 2]).toBe(1);
    expect(apic.handled()).toBe(0);
    platform.deliverDeferredInterrupts();
    expect(apic.handled()).toBe(1);
    platform.deliverDeferredInterrupts();
    expect(apic.handled()).toBe(1);
  });

  it("has no APIC without v86's acpi option, and drops messages", () => {
    const fake = fakeCpu();
    const apic = withApic(fake, false);
    const logs: string[] = [];
    const platform = createV86Platform(fake.cpu, (m) => logs.push(m));
    expect(platform.hasApic).toBe(false);
    platform.signalMsi(0xfee0_0000, 0x40);
    platform.signalMsi(0xfee0_0000, 0x40);
    expect(apic.words()[16 + 2]).toBe(0);
    expect(logs).toHaveLength(1);
  });
});
