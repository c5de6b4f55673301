// The one module that reaches into v86 internals. v86 0.5.x keeps these property names
// through minification but declares none of them in v86.d.ts, so they are declared here,
// for the pinned version only (see V86_PINNED_VERSION), and nothing else in ringside may
// touch them directly.
import type { V86, V86Options } from "v86";

/** The exact v86 version these declarations were checked against (package.json pins it). */
export const V86_PINNED_VERSION = "0.5.462";

export interface V86IoPort {
  device: object | undefined;
  read8(port: number): number;
  read16(port: number): number;
  read32(port: number): number;
  write8(port: number, value: number): void;
  write16(port: number, value: number): void;
  write32(port: number, value: number): void;
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
}

export interface V86Cpu {
  io: V86Io;
  devices: V86LegacyDevices;
  wasm_memory: WebAssembly.Memory;
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

/** True when a wasm instance's exports look like v86's (it starts with rust_init). */
export function looksLikeV86Wasm(exports: WebAssembly.Exports): boolean {
  return typeof exports["rust_init"] === "function" && exports["memory"] instanceof WebAssembly.Memory;
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
 * Returns the names of the devices removed.
 */
export function removeUnusedLegacyDevices(cpu: V86Cpu): string[] {
  const { devices, io } = cpu;
  const owners = new Map<object, string>();
  const add = (obj: object | undefined, name: string): void => {
    if (obj) owners.set(obj, name);
  };
  add(devices.ide, "ide");
  add(devices.ide?.primary, "ide");
  add(devices.ide?.secondary, "ide");
  add(devices.fdc, "floppy");
  add(devices.sb16, "sb16");

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
  if (idePciId !== undefined && devices.pci.devices[idePciId] === devices.ide) {
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
