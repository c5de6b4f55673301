// The one module that reaches into v86 internals. v86 0.5.x keeps these property names
// through minification but declares none of them in v86.d.ts, so they are declared here,
// for the pinned version only (see V86_PINNED_VERSION), and nothing else in ringside may
// touch them directly.
import type { V86, V86Options } from "v86";

/** The exact v86 version these declarations were checked against (package.json pins it). */
export const V86_PINNED_VERSION = "0.5.462";

/**
 * One entry of `cpu.io.ports`. v86 calls the handlers as methods of `device`
 * (`entry.read8.call(entry.device, port)`); reads get the port, writes only the value.
 * 32-bit values are signed int32.
 */
export interface V86IoPort {
  device: object | undefined;
  read8(port: number): number;
  read16(port: number): number;
  read32(port: number): number;
  write8(value: number): void;
  write16(value: number): void;
  write32(value: number): void;
}

export interface V86Io {
  ports: V86IoPort[];
  create_empty_entry(): V86IoPort;
}

export interface V86PciBus {
  devices: (object | undefined)[];
  device_spaces: (Int32Array | undefined)[];
}

/** v86 devices that ringside switches off because the guest never needs them. */
interface V86LegacyDevices {
  pci: V86PciBus;
  ide?: { primary?: object; secondary?: object; pci_id?: number };
  fdc?: object;
  sb16?: object;
  /** The RTC and its CMOS, where v86 tells the firmware which floppy drives exist. */
  rtc?: { cmos_write(index: number, value: number): void };
}

/** CMOS register with the floppy drive types (high nibble: drive A, low: drive B; 0: none). */
const CMOS_FLOPPY_DRIVE_TYPE = 0x10;

export interface V86Cpu {
  io: V86Io;
  devices: V86LegacyDevices;
  wasm_memory: WebAssembly.Memory;
}

/** v86's MMIO handlers for one 128 KiB block; `addr` arrives as a signed int32. */
export type V86MmioRead = (addr: number) => number;
export type V86MmioWrite = (addr: number, value: number) => void;

export interface V86IoWithMmio extends V86Io {
  /**
   * Installs MMIO handlers for [addr, addr + size), both multiples of 128 KiB (one
   * `memory_map_*` entry per block); without 32-bit handlers v86 composes them from 8-bit ones.
   */
  mmap_register(addr: number, size: number, read8: V86MmioRead, write8: V86MmioWrite, read32?: V86MmioRead, write32?: V86MmioWrite): void;
}

export interface V86PciBusWithLatch extends V86PciBus {
  /** The configuration address latch (port 0xCF8), little-endian bytes. */
  pci_addr: Uint8Array;
}

/**
 * The parts of v86's cpu the Platform implementation uses (src/v86/v86-platform.ts).
 * Kept apart from V86Cpu so code that only switches devices off needs no more than that.
 */
export interface V86PlatformCpu extends V86Cpu {
  io: V86IoWithMmio;
  devices: V86Cpu["devices"] & { pci: V86PciBusWithLatch };
  /**
   * Guest RAM. In v86 0.5.x a Proxy that builds a new Uint8Array over the wasm memory on
   * every property access: read byteOffset/length once and keep a view of your own.
   */
  readonly mem8: Uint8Array;
  /** MMIO handlers per 128 KiB block (index: address >>> 17); undefined for RAM blocks. */
  memory_map_read8: (V86MmioRead | undefined)[];
  memory_map_write8: (V86MmioWrite | undefined)[];
  memory_map_read32: (V86MmioRead | undefined)[];
  memory_map_write32: (V86MmioWrite | undefined)[];
  /** Tells the JIT that guest code in physical [start, end) may have changed. */
  jit_dirty_cache(start: number, end: number): void;
  /** Sets / clears the level of IRQ `line` (0-15) at the PIC (and the IOAPIC with ACPI). */
  device_raise_irq(line: number): void;
  device_lower_irq(line: number): void;
  /** Resets the machine (CF9 reset, keyboard controller 0xFE); called as a method of cpu. */
  reboot_internal(): void;
  /**
   * EFLAGS in wasm memory (offset 120). In v86 0.5.x a Proxy that acts as a one-element
   * Int32Array (index 0 reads and writes the current value).
   */
  readonly flags: Int32Array;
}

/** EFLAGS.IF. */
export const V86_FLAG_INTERRUPT = 1 << 9;

/** MMIO blocks are 1 << 17 bytes (MMAP_BLOCK_BITS in v86). */
export const V86_MMIO_BLOCK_BITS = 17;

/**
 * `cpu` as V86PlatformCpu, after checking that the members look as they did in the pinned
 * version: a v86 upgrade that renames one fails here, loudly, instead of deep in a guest
 * access.
 */
export function platformCpuOf(cpu: V86Cpu): V86PlatformCpu {
  const c = cpu as Partial<V86PlatformCpu>;
  const missing: string[] = [];
  const need = (name: string, ok: boolean) => ok || missing.push(name);
  need("io.mmap_register", typeof c.io?.mmap_register === "function");
  need("io.ports", Array.isArray(c.io?.ports) && c.io.ports.length === 0x10000);
  need("devices.pci.pci_addr", c.devices?.pci?.pci_addr instanceof Uint8Array);
  need("devices.pci.device_spaces", Array.isArray(c.devices?.pci?.device_spaces));
  for (const name of ["memory_map_read8", "memory_map_write8", "memory_map_read32", "memory_map_write32"] as const) {
    need(name, Array.isArray(c[name]));
  }
  for (const name of ["jit_dirty_cache", "device_raise_irq", "device_lower_irq", "reboot_internal"] as const) {
    need(name, typeof c[name] === "function");
  }
  need("mem8", c.mem8 !== undefined && typeof c.mem8.byteOffset === "number");
  need("wasm_memory", c.wasm_memory instanceof WebAssembly.Memory);
  need("flags", c.flags !== undefined && typeof c.flags[0] === "number");
  if (missing.length > 0) {
    throw new Error(`v86's cpu lacks ${missing.join(", ")}: ringside's v86 internals were checked against v86 ${V86_PINNED_VERSION} only`);
  }
  return c as V86PlatformCpu;
}

/**
 * What MSI delivery uses of v86's cpu (src/v86/v86-msi.ts). v86's local APIC and IO-APIC
 * live in its WebAssembly module and exist only with its `acpi` option.
 */
export interface V86ApicCpu {
  wasm_memory: WebAssembly.Memory;
  /** Where v86's `struct Apic` (src/rust/cpu/apic.rs) sits in wasm memory. */
  get_apic_addr(): number;
  /** If the guest's IF is set, takes the highest pending PIC, then APIC, vector (waking a halted CPU). */
  handle_irqs(): void;
  /** v86's `acpi` option (a view of one byte in wasm memory): 1 when the APIC exists. */
  readonly acpi_enabled: Uint8Array;
}

/**
 * `struct Apic` in 32-bit words. v86 asserts this layout at compile time (apic.rs: its
 * state saving reads the struct as 46 words, 184 bytes): irr at word 16, isr at 24, tmr at 32.
 */
export const V86_APIC_LAYOUT = { words: 46, irr: 16, isr: 24, tmr: 32 } as const;

/** `cpu` as V86ApicCpu after checking its members, or undefined when v86 runs without its APIC. */
export function apicCpuOf(cpu: V86Cpu): V86ApicCpu | undefined {
  const c = cpu as Partial<V86ApicCpu>;
  if (c.acpi_enabled?.[0] !== 1) return undefined;
  if (typeof c.get_apic_addr !== "function" || typeof c.handle_irqs !== "function") {
    throw new Error(`v86's cpu lacks get_apic_addr or handle_irqs: ringside's v86 internals were checked against v86 ${V86_PINNED_VERSION} only`);
  }
  const apic = c as V86ApicCpu;
  const address = apic.get_apic_addr();
  if (!Number.isInteger(address) || address <= 0 || address + 4 * V86_APIC_LAYOUT.words > apic.wasm_memory.buffer.byteLength) {
    throw new Error(`v86's APIC state is not inside its wasm memory (at ${address})`);
  }
  return apic;
}

/** v86's inner emulator object (`emulator.v86`): owns the run loop. */
export interface V86Core {
  cpu: V86Cpu;
  running: boolean;
  /** Schedules the next slice: v86 calls it after each ~1 ms of guest execution. */
  yield(delayMs: number, tick: number): void;
  yield_callback(tick: number): void;
  unregister_yield(): void;
}

/**
 * `net_device` value that makes v86 build no network card at all: v86 creates an ne2k
 * unless told a type it does not know (its typings only list "ne2k" and "virtio").
 */
export const NO_V86_NETWORK_CARD = { type: "none" } as unknown as V86Options["net_device"];

/** v86's own virtio-console (option virtio_console) reports output on its bus as byte arrays. */
export function listenToV86VirtioConsole(emulator: V86, output: (bytes: Uint8Array) => void): void {
  const listen = emulator.add_listener as unknown as (event: string, listener: (bytes: Uint8Array) => void) => void;
  listen.call(emulator, "virtio-console0-output-bytes", output);
}

/** True when a wasm instance's exports look like v86's (it starts with rust_init). */
export function looksLikeV86Wasm(exports: WebAssembly.Exports): boolean {
  return typeof exports["rust_init"] === "function" && exports["memory"] instanceof WebAssembly.Memory;
}

/** The exports of the WebAssembly instance a running v86 was built on (its cpu keeps them as `wm`). */
export function wasmExportsOf(core: V86Core): WebAssembly.Exports {
  const wm = (core.cpu as unknown as { wm?: { exports?: WebAssembly.Exports } }).wm;
  if (!wm?.exports) throw new Error("v86's cpu has no WebAssembly exports (cpu.wm.exports): not a v86 this code knows");
  return wm.exports;
}

export function coreOf(emulator: V86): V86Core {
  const core = (emulator as unknown as { v86?: V86Core }).v86;
  if (!core || !core.cpu) {
    throw new Error("v86 is not initialised yet (no emulator.v86.cpu): wait for emulator-loaded");
  }
  return core;
}

/**
 * Removes v86's IDE controller, floppy controller and SoundBlaster, which v86 always
 * creates: their I/O ports go back to "nothing here" and the IDE function leaves the PCI
 * bus. The guest kernel has no driver for them, and SeaBIOS would otherwise spend boot
 * time probing an empty IDE channel. Call before the first guest instruction.
 * `keep.ide` leaves the IDE controller in place (the disk benchmark compares it with ours).
 * Returns the names of the devices removed.
 */
export function removeUnusedLegacyDevices(cpu: V86Cpu, keep: { ide?: boolean } = {}): string[] {
  const { devices, io } = cpu;
  const owners = new Map<object, string>();
  const add = (obj: object | undefined, name: string): void => {
    if (obj) owners.set(obj, name);
  };
  if (!keep.ide) {
    add(devices.ide, "ide");
    add(devices.ide?.primary, "ide");
    add(devices.ide?.secondary, "ide");
  }
  add(devices.fdc, "floppy");
  add(devices.sb16, "sb16");

  // v86 always records two 1.44 MB floppy drives in CMOS (type 4 each), and SeaBIOS
  // believes it: with the controller gone, an int 13h call for drive 0 (syslinux resets
  // it before starting a kernel) waits 5 s for a floppy interrupt that never comes.
  // No controller, no drives.
  if (devices.fdc) devices.rtc?.cmos_write(CMOS_FLOPPY_DRIVE_TYPE, 0);

  const removed = new Set<string>();
  for (let port = 0; port < io.ports.length; port++) {
    const owner = io.ports[port]?.device;
    const name = owner && owners.get(owner);
    if (name) {
      io.ports[port] = io.create_empty_entry();
      removed.add(name);
    }
  }
  const idePciId = devices.ide?.pci_id;
  if (!keep.ide && idePciId !== undefined && devices.pci.devices[idePciId] === devices.ide) {
    devices.pci.devices[idePciId] = undefined;
    devices.pci.device_spaces[idePciId] = undefined;
    removed.add("ide");
  }
  // The device objects stay in cpu.devices: v86's save_state walks them. They are inert
  // now that no port or PCI function reaches them.
  return [...removed].sort();
}

/** Replaces how v86 schedules its next slice (see the scheduler module for why). */
export function setSliceScheduler(core: V86Core, schedule: (run: () => void, delayMs: number) => void): void {
  core.unregister_yield();
  core.yield = (delayMs: number, tick: number) => schedule(() => core.yield_callback(tick), delayMs);
}

/**
 * Calls `listener` once per slice of guest execution (about every millisecond while the
 * guest runs, and at its timer's pace while it idles), just before v86 schedules the next
 * one. Devices that poll their rings, and the host network's timers, run from it. The
 * listener may return a bound in ms on the wait before the next slice (a halted guest
 * would otherwise wait for its next timer interrupt). Call after setSliceScheduler: it
 * wraps whatever yield is in place.
 */
export function onEverySlice(core: V86Core, listener: () => number | undefined): void {
  const schedule = core.yield.bind(core);
  // The listener may raise an interrupt that wakes a halted v86, which schedules its next
  // slice at once: from inside this very call. That nested yield must not run the listener
  // again in the middle of itself.
  let running = false;
  core.yield = (delayMs: number, tick: number) => {
    let limit: number | undefined;
    if (!running) {
      running = true;
      try {
        limit = listener();
      } finally {
        running = false;
      }
    }
    schedule(limit === undefined ? delayMs : Math.min(delayMs, limit), tick);
  };
}
