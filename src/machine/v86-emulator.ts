// Starting v86 for a machine: the emulator with ringside's images, memory and command line,
// its WebAssembly instantiated from a compiled module, stopped before the first instruction
// (devices are wired after this, in machine.ts), its clock routed and the legacy devices
// nobody uses switched off. v86's own devices that only the benchmarks compare against
// (its virtio-console, IDE disk and network cards) come from a hook the benchmarks own
// (V86Extras); a machine never has them otherwise.
import { V86, type V86Options } from "v86";
import { applyV86Jit } from "../v86/v86-jit.js";
import { BOOT_JIT, type V86JitSettings } from "../v86/v86-jit-settings.js";
// For the machine's users that compare against v86's own JIT settings (the boot benchmarks).
export { V86_OWN_JIT } from "../v86/v86-jit-settings.js";
import { apicCpuOf, coreOf, looksLikeV86Wasm, NO_V86_NETWORK_CARD, removeUnusedLegacyDevices, type V86Core } from "../v86/internals.js";
import { quietAcpiHotplugPorts } from "../v86/acpi-hotplug-ports.js";
import { routeCoreClock, routeWasmClock } from "../v86/v86-clock.js";
import type { BootImages } from "./boot-images.js";
import type { RamRange } from "../v86/v86-restore-memory.js";

/** v86's own devices for a benchmark that compares them with ringside's. */
export interface V86Extras {
  /** v86 constructor options for its devices (virtio_console, hda, net_device, filesystem: its virtio-9p). */
  options?: Partial<Pick<V86Options, "virtio_console" | "hda" | "net_device" | "filesystem">>;
  /** Keep v86's IDE controller (otherwise switched off, with the other unused legacy devices). */
  keepIde?: boolean;
  /** Kernel parameters the extra devices need (e.g. ip= for v86's card). */
  cmdline?: string;
  /** After v86 is built and before the first instruction: connect the extra devices. */
  attach?(emulator: V86): void;
  /** Once per slice of guest execution (a backend's timers). */
  tick?(nowMs: number): void;
  /** How v86's JIT cuts guest code into modules, for the whole run (a benchmark's comparison); else boot-jit.ts decides. */
  jit?: V86JitSettings;
}

export interface V86Start {
  images: BootImages;
  wasm: WebAssembly.Module;
  memoryMiB: number;
  cmdline: string;
  /**
   * v86's local APIC and IO-APIC (its `acpi` option: SeaBIOS then also builds ACPI tables
   * and v86 adds its ACPI function at slot 7), which MSI-X needs.
   */
  apic?: boolean;
  extras?: V86Extras;
  log?: (message: string) => void;
}

export interface StartedV86 {
  emulator: V86;
  core: V86Core;
}

const MiB = 1024 * 1024;
/** Where v86 puts an initrd (its kernel.js), and so why guest RAM must be at least 128 MiB. */
const V86_INITRD_ADDRESS = 64 * MiB;

/**
 * The guest RAM v86 writes while it is built from `images` (before the first instruction):
 * the firmware and the kernel's real-mode part and command line below 1 MiB, the kernel's
 * protected-mode part from 1 MiB, the initrd from 64 MiB. All else is fresh and zero, which
 * lets a restore leave it unread (v86-restore-memory.ts); tests/guest/v86-build-memory.test.ts
 * holds v86 to it.
 */
export function ramWrittenAtBuild(images: BootImages): RamRange[] {
  const ranges: RamRange[] = [{ start: 0, end: MiB }];
  if (images.kernel) ranges.push({ start: MiB, end: MiB + images.kernel.bytes.byteLength });
  if (images.initrd) ranges.push({ start: V86_INITRD_ADDRESS, end: V86_INITRD_ADDRESS + images.initrd.bytes.byteLength });
  return ranges;
}

/** Builds v86 and waits until it is loaded (before its first instruction); rejects with the reason it could not start. */
export async function startV86(start: V86Start): Promise<StartedV86> {
  const { images, wasm, extras } = start;
  // v86 reads these buffers in place and the guest may write them; give it copies so a
  // caller can boot several machines from the same images.
  const copy = (b: ArrayBuffer): { buffer: ArrayBuffer } => ({ buffer: b.slice(0) });
  // v86 instantiates its wasm inside a promise chain of its own that catches nothing: a
  // failure there would be an unhandled rejection and "emulator-loaded" would never
  // come. So failures are reported here, and v86's chain is left waiting for good.
  let failInstantiate: (err: Error) => void = () => {};
  const instantiateFailed = new Promise<never>((_, reject) => (failInstantiate = reject));
  const never = new Promise<never>(() => {});
  const emulator = new V86({
    wasm_fn: async (env) => {
      routeWasmClock(env as Record<string, unknown>);
      let exports: WebAssembly.Exports;
      try {
        exports = (await WebAssembly.instantiate(wasm, env)).exports;
      } catch (err) {
        failInstantiate(new Error(`v86's WebAssembly could not be instantiated: ${String(err)}`));
        return never;
      }
      if (!looksLikeV86Wasm(exports)) {
        failInstantiate(new Error("the WebAssembly module is not v86's (no rust_init or memory export)"));
        return never;
      }
      try {
        applyV86Jit(exports, extras?.jit ?? BOOT_JIT);
      } catch (err) {
        failInstantiate(err instanceof Error ? err : new Error(String(err)));
        return never;
      }
      return exports;
    },
    memory_size: start.memoryMiB * 1024 * 1024,
    vga_memory_size: 2 * 1024 * 1024,
    bios: copy(images.bios),
    // No kernel: SeaBIOS boots the first disk it finds (a virtio-blk with its own boot loader).
    ...(images.kernel ? { bzimage: copy(images.kernel.bytes) } : {}),
    ...(images.initrd ? { initrd: copy(images.initrd.bytes) } : {}),
    cmdline: extras?.cmdline ? `${start.cmdline} ${extras.cmdline}` : start.cmdline,
    autostart: false,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    // No v86 network card unless a benchmark asks for one: the guest's cards are ours.
    net_device: NO_V86_NETWORK_CARD,
    serial_console: { type: "none" },
    screen: { container: null },
    ...(start.apic ? { acpi: true } : {}),
    ...extras?.options,
  });
  await Promise.race([
    new Promise<void>((resolve) => emulator.add_listener("emulator-loaded", () => resolve())),
    instantiateFailed,
  ]);
  const core = coreOf(emulator);
  routeCoreClock(core);
  switchOffLegacyDevices(core, extras, start.log);
  return { emulator, core };
}

/** v86's legacy devices nobody uses, off (again after a restore, which brings their ports back). */
export function switchOffLegacyDevices(core: V86Core, extras: V86Extras | undefined, log?: (message: string) => void): void {
  const removed = removeUnusedLegacyDevices(core.cpu, { ide: extras?.keepIde === true });
  if (apicCpuOf(core.cpu)) quietAcpiHotplugPorts(core.cpu);
  log?.(`v86 devices switched off: ${removed.join(", ")}`);
}
