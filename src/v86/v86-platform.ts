// The Platform the PCI bus builds on, implemented over v86's internals (see internals.ts
// for the members used and the version they were checked against).
//
// Ports and MMIO blocks are layered: the first time we map over a port or a 128 KiB block,
// v86's entry is kept; several of our mappings may cover the same place for a moment (a
// BAR moved over another while the guest reprograms them) and the newest one answers;
// unmapping one puts back whatever is then on top, and in the end v86's entry.
import type { AccessSize, IoHandler, MmioHandler, Platform } from "../platform/platform.js";
import { MmioDepth, V86MmioEntry } from "./v86-mmio-entry.js";
import { createMsiSignal } from "./v86-msi.js";
import { MMIO_BLOCK_SIZE } from "../platform/platform.js";
import {
  platformCpuOf, V86_FLAG_INTERRUPT, V86_MMIO_BLOCK_BITS, type V86Cpu, type V86IoPort, type V86MmioRead, type V86MmioWrite, type V86PlatformCpu,
} from "./internals.js";

export interface V86Platform extends Platform {
  /** `listener` runs after v86 resets the machine (0xCF9 or keyboard-controller reset). */
  onReboot(listener: () => void): void;
  /**
   * Re-asserts interrupts raised during an MMIO access (delivered late, see setIrqLine)
   * that the guest has not taken yet. The machine calls it between slices: a guest that
   * halted right after such an access would otherwise sleep until its next timer tick
   * (10 ms at HZ=100) with our interrupt pending.
   */
  deliverDeferredInterrupts(): void;
}

const CONFIG_PORTS = 0xcf8;
const CONFIG_PORT_COUNT = 8;
/** devfn of v86's PIIX3 ISA bridge, whose bytes 0x60-0x63 are the PIRQ route registers. */
const ISA_BRIDGE = 1 << 3;
const PIRQ_ROUTE = 0x60;
const IO_SPACE = 0x10000;

/** Marks port entries as ours (`device` of a v86 port entry). */
const RINGSIDE_PORT = Object.freeze({ name: "ringside pci" });

interface MmioEntry {
  read8: V86MmioRead | undefined;
  write8: V86MmioWrite | undefined;
  read32: V86MmioRead | undefined;
  write32: V86MmioWrite | undefined;
}

/** Keeps the original entry of each place and a stack of our mappings over it. */
class Layers<T> {
  private readonly original = new Map<number, T>();
  private readonly stacks = new Map<number, { token: object; entry: T }[]>();

  constructor(
    private readonly get: (at: number) => T,
    private readonly set: (at: number, entry: T) => void,
  ) {}

  push(at: number, token: object, entry: T): void {
    if (!this.original.has(at)) this.original.set(at, this.get(at));
    const stack = this.stacks.get(at) ?? [];
    stack.push({ token, entry });
    this.stacks.set(at, stack);
    this.set(at, entry);
  }

  remove(at: number, token: object): void {
    const stack = this.stacks.get(at);
    const i = stack?.findIndex((layer) => layer.token === token) ?? -1;
    if (!stack || i < 0) return;
    stack.splice(i, 1);
    const top = stack[stack.length - 1];
    if (top) {
      this.set(at, top.entry);
      return;
    }
    this.set(at, this.original.get(at)!);
    this.original.delete(at);
    this.stacks.delete(at);
  }
}

export function createV86Platform(v86Cpu: V86Cpu, log: (message: string) => void = () => {}): V86Platform {
  const cpu = platformCpuOf(v86Cpu);
  const msi = createMsiSignal(v86Cpu, log);
  const { io } = cpu;
  const pci = cpu.devices.pci;

  if (io.ports[CONFIG_PORTS]?.device === RINGSIDE_PORT) throw new Error("a ringside platform already owns this cpu's PCI ports");
  const v86ConfigEntries = io.ports.slice(CONFIG_PORTS, CONFIG_PORTS + CONFIG_PORT_COUNT);

  const ports = new Layers<V86IoPort>(
    (port) => io.ports[port]!,
    (port, entry) => (io.ports[port] = entry),
  );
  const blocks = new Layers<MmioEntry>(
    (block) => ({
      read8: cpu.memory_map_read8[block],
      write8: cpu.memory_map_write8[block],
      read32: cpu.memory_map_read32[block],
      write32: cpu.memory_map_write32[block],
    }),
    (block, entry) => {
      if (entry.read8 && entry.write8) {
        io.mmap_register(block << V86_MMIO_BLOCK_BITS, MMIO_BLOCK_SIZE, entry.read8, entry.write8, entry.read32, entry.write32);
      } else {
        // RAM blocks have no handlers; put back exactly what was there.
        cpu.memory_map_read8[block] = entry.read8;
        cpu.memory_map_write8[block] = entry.write8;
        cpu.memory_map_read32[block] = entry.read32;
        cpu.memory_map_write32[block] = entry.write32;
      }
    },
  );

  // How many of our MMIO handlers are running (they may nest through the PCI-config window).
  // v86's device_raise_irq / device_lower_irq deliver a pending interrupt at once. During
  // an MMIO access that is in the middle of a guest instruction, often inside a JIT-compiled
  // block that keeps running afterwards: the interrupt then goes astray and the guest waits
  // for it forever (seen with virtio-rng over a memory BAR). So while an MMIO handler runs,
  // the PIC's line is changed with the guest's IF flag masked for the moment; v86 delivers
  // the interrupt at its next check, after the instruction. Port I/O needs none of this:
  // v86 itself delivers interrupts from within OUT (its PIC port writes do).
  const mmio = new MmioDepth();
  // cpu.flags is a Proxy that builds a new typed array on every access: keep our own view
  // of EFLAGS, rebuilt only when the wasm memory's buffer is replaced (it grows).
  const flagsOffset = cpu.flags.byteOffset;
  let eflags = new Int32Array(cpu.wasm_memory.buffer, flagsOffset, 1);
  const currentEflags = (): Int32Array => {
    if (eflags.buffer !== cpu.wasm_memory.buffer) eflags = new Int32Array(cpu.wasm_memory.buffer, flagsOffset, 1);
    return eflags;
  };

  // Wired-OR with v86's own devices. v86 drives a line with one level, whoever calls: when
  // one of its devices shares an IRQ with ours (SeaBIOS routes the four PIRQ links to only
  // two IRQs, so that happens), its lower would drop our asserted level and ours its. So
  // v86's callers go through a wrapper that remembers their level, and a line is lowered
  // only when neither side holds it.
  const rawRaise = cpu.device_raise_irq;
  /** Lines raised inside an MMIO handler, with the guest's IF masked for the moment. */
  const deferred = new Set<number>();
  const rawLower = cpu.device_lower_irq;
  const v86High = new Set<number>();
  const ourHigh = new Set<number>();
  cpu.device_raise_irq = (line: number) => {
    v86High.add(line);
    rawRaise(line);
  };
  cpu.device_lower_irq = (line: number) => {
    v86High.delete(line);
    if (!ourHigh.has(line)) rawLower(line);
  };

  const rebootListeners: (() => void)[] = [];
  const reboot = cpu.reboot_internal;
  cpu.reboot_internal = function rebootAndTell(this: V86PlatformCpu) {
    reboot.call(this);
    for (const listener of rebootListeners) listener();
  };

  return {
    mapIo(base: number, count: number, handler: IoHandler): () => void {
      if (!Number.isInteger(base) || !Number.isInteger(count) || base < 0 || count <= 0 || base + count > IO_SPACE) {
        throw new RangeError(`ports 0x${base.toString(16)}+${count} are not inside the I/O space`);
      }
      const token = {};
      for (let port = base; port < base + count; port++) ports.push(port, token, portEntry(port, handler));
      return once(() => {
        for (let port = base; port < base + count; port++) ports.remove(port, token);
      });
    },

    mapMmio(base: number, size: number, handler: MmioHandler): () => void {
      if (base % MMIO_BLOCK_SIZE !== 0 || size % MMIO_BLOCK_SIZE !== 0 || base < 0 || size <= 0 || base + size > 2 ** 32) {
        throw new RangeError(`MMIO 0x${base.toString(16)}+0x${size.toString(16)} is not whole 128 KiB blocks below 4 GiB`);
      }
      const token = {};
      const entry: MmioEntry = new V86MmioEntry(handler, mmio);
      const first = base / MMIO_BLOCK_SIZE;
      const last = first + size / MMIO_BLOCK_SIZE;
      for (let block = first; block < last; block++) blocks.push(block, token, entry);
      return once(() => {
        for (let block = first; block < last; block++) blocks.remove(block, token);
      });
    },

    v86ConfigPorts: {
      read(port: number, size: AccessSize): number {
        const entry = configEntry(port);
        // v86's handlers use `this` (its PCI object): call them as v86's port dispatch does.
        if (size === 1) return entry.read8.call(entry.device, port) & 0xff;
        if (size === 2) return entry.read16.call(entry.device, port) & 0xffff;
        return entry.read32.call(entry.device, port) >>> 0;
      },
      write(port: number, size: AccessSize, value: number): void {
        // v86 throws on a byte or word data write to a function it does not have (it builds
        // a view of an undefined config space): such writes go nowhere on real hardware.
        if (port >= CONFIG_PORTS + 4 && !pci.device_spaces[(pci.pci_addr[2]! << 8) | pci.pci_addr[1]!]) return;
        const entry = configEntry(port);
        if (size === 1) entry.write8.call(entry.device, value & 0xff);
        else if (size === 2) entry.write16.call(entry.device, value & 0xffff);
        else entry.write32.call(entry.device, value | 0);
      },
    },

    setIrqLine(line: number, level: boolean): void {
      if (!Number.isInteger(line) || line < 0 || line > 15) throw new RangeError(`IRQ ${line} is not 0-15`);
      if (level) ourHigh.add(line);
      else ourHigh.delete(line);
      if (!level && v86High.has(line)) return;
      if (mmio.value === 0) {
        if (level) rawRaise(line);
        else rawLower(line);
        return;
      }
      if (level) deferred.add(line);
      const flags = currentEflags();
      const saved = flags[0]!;
      flags[0] = saved & ~V86_FLAG_INTERRUPT;
      try {
        if (level) rawRaise(line);
        else rawLower(line);
      } finally {
        currentEflags()[0] = saved;
      }
    },

    pirqRoute(index: number): number {
      const space = pci.device_spaces[ISA_BRIDGE];
      if (!space || index < 0 || index > 3) return 0x80;
      return new Uint8Array(space.buffer, space.byteOffset, space.byteLength)[PIRQ_ROUTE + index]!;
    },

    v86Slots(): number[] {
      const slots = new Set<number>();
      pci.devices.forEach((device, devfn) => {
        if (device && devfn < 0x100) slots.add(devfn >> 3);
      });
      return [...slots].sort((a, b) => a - b);
    },

    hasApic: msi.hasApic,

    signalMsi(address: number, data: number): void {
      msi.signal(address, data, mmio.value !== 0);
    },

    deliverDeferredInterrupts(): void {
      msi.deliverDeferred();
      if (deferred.size === 0) return;
      const lines = [...deferred];
      deferred.clear();
      // Only lines still held: a line the driver already lowered (by reading its ISR) was
      // delivered. A fresh edge makes v86's PIC look again; with the CPU halted, that
      // also wakes v86's loop at once (its stop_idling).
      for (const line of lines) {
        if (!ourHigh.has(line)) continue;
        rawLower(line);
        rawRaise(line);
      }
    },

    onReboot(listener: () => void): void {
      rebootListeners.push(listener);
    },
  };

  function configEntry(port: number): V86IoPort {
    const entry = v86ConfigEntries[port - CONFIG_PORTS];
    if (!entry) throw new RangeError(`port 0x${port.toString(16)} is not a PCI configuration port`);
    return entry;
  }
}

/** A v86 port entry that hands port `port` to `handler` (v86 does not pass the port to writes). */
function portEntry(port: number, handler: IoHandler): V86IoPort {
  return {
    device: RINGSIDE_PORT,
    read8: () => handler.read(port, 1) & 0xff,
    read16: () => handler.read(port, 2) & 0xffff,
    read32: () => handler.read(port, 4) | 0,
    write8: (value: number) => handler.write(port, 1, value & 0xff),
    write16: (value: number) => handler.write(port, 2, value & 0xffff),
    write32: (value: number) => handler.write(port, 4, value >>> 0),
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
