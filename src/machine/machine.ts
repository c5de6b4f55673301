// One emulated PC: v86 with ringside's images and options. The same code runs in the
// browser's Web Worker and in Node (CLI, tests, benchmarks); only image loading and the
// way slices are scheduled differ, and both are passed in.
import { V86 } from "v86";
import {
  coreOf, listenToV86VirtioConsole, looksLikeV86Wasm, NO_V86_NETWORK_CARD, onEverySlice, removeUnusedLegacyDevices, setSliceScheduler,
} from "../v86/internals.js";
import { connectV86Nic, v86NicOption, type V86NicType } from "../v86/v86-nic.js";
import type { NetBackend } from "../backends/net/net-backend.js";
import type { NotificationPolicy } from "../devices/virtio-net.js";
import { ManualPollSource, type PollSource } from "../virtio/poll-source.js";
import { withGuestIpConfig, type GuestIpConfig } from "./guest-ip.js";
import { checkImages, type ImageSet } from "./images.js";
import { validateOptions, type MachineOptions } from "./options.js";
import type { SliceScheduler } from "./scheduler.js";
import type { BootPhase } from "./boot-phases.js";
import { MachineOutput } from "./machine-output.js";
import type { ConsoleConsumer } from "./console-flow.js";
import type { Disk } from "../backends/disk.js";
import { attachStandardDevices, type DeviceSnapshot, type StandardDevices, type TransportChoice } from "./standard-devices.js";
import { createV86Platform } from "../v86/v86-platform.js";
import { routeCoreClock, routeWasmClock } from "../v86/v86-clock.js";
import { guestMemoryOf } from "../v86/v86-memory.js";
import { PciBus } from "../pci/pci-bus.js";
import type { Platform } from "../platform/platform.js";
import type { GuestMemory } from "../memory/guest-memory.js";
import { v86PciView } from "../v86/v86-pci-view.js";
import { Inspector } from "../inspect/inspector.js";
import type { ChainView, InspectorSnapshot } from "../inspect/types.js";
import { restoreMachineState, saveMachineState, type NetworkStateHooks, type SnapshotParts } from "./machine-snapshot.js";
import type { MachineSnapshot } from "./machine-state.js";

export interface MachineHooks {
  /** Serial port output (the kernel log), batched per emulation slice. */
  serial(bytes: Uint8Array): void;
  /**
   * What the guest writes to its virtio console (hvc0, where the shell runs), batched
   * likewise. Return a promise that settles once the bytes are taken (a terminal drew
   * them, a pipe flushed them) to hold the guest back while the consumer is behind
   * (console-flow.ts); return nothing to take them as they come.
   */
  console: ConsoleConsumer;
  /** Diagnostics for the human (stderr in the CLI, the log in the page). */
  log?(message: string): void;
  /**
   * Boot phases as the guest reaches them, from "firmware" (the first instruction) to
   * "shell" (the first prompt). "loading" is the caller's: it happens before the machine.
   */
  phase?(phase: BootPhase): void;
}

export interface MachineSetup {
  images: ImageSet;
  options: MachineOptions;
  /** v86's compiled WebAssembly module (compile it once, boot many machines from it). */
  wasm: WebAssembly.Module;
  hooks: MachineHooks;
  /** Replaces v86's slice scheduling; v86's own is used when absent. */
  scheduler?: SliceScheduler;
  /** How the virtio devices appear on PCI (default: a 32-bit memory BAR, one doorbell). */
  transport?: TransportChoice;
  /** A disk for the guest (virtio-blk, /dev/vda). */
  disk?: Disk;
  /**
   * Also build v86's own virtio-console (for benchmarks that compare it with ours): the
   * guest then has two consoles; what it writes to v86's goes to `output`.
   */
  v86VirtioConsole?: { output(bytes: Uint8Array): void };
  /**
   * Also give the guest v86's own IDE disk (primary master, /dev/sda in the guest) with
   * these bytes, for benchmarks that compare it with virtio-blk. v86 reads and writes
   * the buffer in place.
   */
  v86IdeDisk?: ArrayBuffer;
  /** ringside's virtio-net (the guest's eth0) and what is on the other end of its cable. */
  network?: NetworkChoice;
  /**
   * Instead of ringside's virtio-net, v86's own card (ne2k or v86's virtio-net) on this
   * backend: the network benchmark compares them on the same host network.
   */
  v86Nic?: { type: V86NicType; backend: NetBackend; tick?: (nowMs: number) => void; ip?: GuestIpConfig };
  /**
   * Puts ringside's devices on the machine: called once, after v86 is built and before
   * the first guest instruction, so firmware enumerates what is attached here. Add PCI
   * functions with `ctx.bus.addFunction`; devices reach guest RAM through `ctx.memory`.
   */
  attach?: (ctx: MachineContext) => void;
  /**
   * Start from this saved state instead of booting (machine-state.ts): the machine must
   * be built with the same devices; RAM size comes from the state.
   */
  restore?: MachineSnapshot;
}

/** The longest wait between slices while a device polls its rings. */
const POLL_INTERVAL_MS = 1;

export interface NetworkChoice {
  backend: NetBackend;
  /** The backend's timers (the host network's TCP), run once per slice of guest execution. */
  tick?: (nowMs: number) => void;
  /** The guest's MAC (default 52:54:00:12:34:56). */
  mac?: string;
  /** How the device takes notifications: "shared" (default) or "per-queue", for comparison. */
  policy?: NotificationPolicy;
  /**
   * How the kernel configures eth0 at boot (ip= on the command line, added unless the
   * command line already has one). Default: 10.0.2.15/24, gateway and DNS 10.0.2.2.
   * "dhcp": no ip=; the guest asks the network itself (a relay to a real network).
   */
  ip?: GuestIpConfig | "dhcp";
  /** How to save and restore the other end (the host network's connections); absent: it is not saved. */
  state?: NetworkStateHooks;
}

/** What `MachineSetup.attach` gets: the PCI bus, guest RAM, the platform under both, and the devices' tick. */
export interface MachineContext {
  bus: PciBus;
  memory: GuestMemory;
  platform: Platform;
  /** Fires about every millisecond of guest execution (device models carry deferred work on it). */
  ticks: PollSource;
}

export class Machine {
  private destroyed = false;
  private readonly output: MachineOutput;
  private devices: StandardDevices | undefined;
  private inspector: Inspector | undefined;
  private snapshotParts: SnapshotParts | undefined;

  private constructor(
    private readonly emulator: V86,
    hooks: MachineHooks,
    /** The devices' tick: fired once per slice of guest execution. */
    slices: ManualPollSource,
  ) {
    this.output = new MachineOutput(hooks, slices);
  }

  /** Builds the machine and starts the guest. Resolves once the first instruction is due. */
  static async start(setup: MachineSetup): Promise<Machine> {
    const restore = setup.restore;
    const options = validateOptions(restore ? { ...setup.options, memoryMiB: restore.header.memoryMiB } : setup.options);
    const images = checkImages(setup.images);
    const { wasm, hooks } = setup;
    // v86 reads these buffers in place and the guest may write them; give it copies so
    // a caller can boot several machines from one ImageSet.
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
        return exports;
      },
      memory_size: options.memoryMiB * 1024 * 1024,
      vga_memory_size: 2 * 1024 * 1024,
      bios: copy(images.bios),
      bzimage: copy(images.bzImage),
      initrd: copy(images.initrd),
      cmdline: guestCmdline(options.cmdline, setup),
      autostart: false,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
      // No v86 network card unless a benchmark asks for one: the guest's card is ours.
      net_device: setup.v86Nic ? v86NicOption(setup.v86Nic.type) : NO_V86_NETWORK_CARD,
      serial_console: { type: "none" },
      ...(setup.v86VirtioConsole ? { virtio_console: { type: "none" } } : {}),
      ...(setup.v86IdeDisk ? { hda: { buffer: setup.v86IdeDisk } } : {}),
      screen: { container: null },
    });
    const slices = new ManualPollSource();
    const machine = new Machine(emulator, hooks, slices);

    await Promise.race([
      new Promise<void>((resolve) => emulator.add_listener("emulator-loaded", () => resolve())),
      instantiateFailed,
    ]);
    const core = coreOf(emulator);
    routeCoreClock(core);
    const removed = removeUnusedLegacyDevices(core.cpu, { ide: setup.v86IdeDisk !== undefined });
    hooks.log?.(`v86 devices switched off: ${removed.join(", ")}`);
    // Our PCI bus takes over ports 0xCF8-0xCFF (v86's own devices stay reachable through
    // it) and is reset with the machine.
    const platform = createV86Platform(core.cpu);
    const bus = new PciBus(platform, { v86View: v86PciView(core.cpu) });
    platform.onReboot(() => bus.reset());
    const memory = guestMemoryOf(core.cpu);
    machine.devices = attachStandardDevices(
      bus,
      memory,
      slices,
      machine.output.consoleSink(() => machine.devices?.console.outputReady()),
      (message) => hooks.log?.(message),
      setup.transport,
      setup.disk,
      setup.network && { backend: setup.network.backend, poll: slices, mac: setup.network.mac, notificationPolicy: setup.network.policy },
    );
    machine.inspector = new Inspector(bus, memory, machine.devices.inspected);
    setup.attach?.({ bus, memory, platform, ticks: slices });
    if (setup.v86Nic) connectV86Nic(emulator, setup.v86Nic.backend);
    if (setup.scheduler) setSliceScheduler(core, setup.scheduler);
    const backendTick = setup.network?.tick ?? setup.v86Nic?.tick;
    onEverySlice(core, () => {
      platform.deliverDeferredInterrupts();
      backendTick?.(performance.now());
      slices.tick();
      // A device that polls (the network card while traffic flows) needs its tick about
      // every millisecond even while the guest halts.
      return slices.subscribers > 0 ? POLL_INTERVAL_MS : undefined;
    });
    emulator.add_listener("serial0-output-byte", (byte: number) => machine.output.serialByte(byte));
    const v86Console = setup.v86VirtioConsole;
    if (v86Console) listenToV86VirtioConsole(emulator, (bytes) => v86Console.output(bytes));
    machine.snapshotParts = {
      emulator, core, options, devices: machine.devices, disk: setup.disk, network: setup.network ? setup.network.state ?? null : undefined,
    };
    if (restore) {
      try {
        // v86's restore brings back the ports of the legacy devices it saved: off again.
        await restoreMachineState(machine.snapshotParts, restore, () => removeUnusedLegacyDevices(core.cpu, { ide: setup.v86IdeDisk !== undefined }));
      } catch (err) {
        // Nothing is left behind by a state that does not fit: the caller may boot another machine instead.
        await machine.destroy();
        throw err;
      }
      machine.output.phases.enter("shell");
    } else {
      machine.output.phases.enter("firmware");
    }
    await emulator.run();
    return machine;
  }

  /** Keyboard input and paste for the shell's terminal (the virtio console). */
  sendInput(data: Uint8Array | string): void {
    if (this.destroyed) return;
    this.devices?.console.input(typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  /** Input for the serial port (ttyS0), as a terminal cabled to it would type it. */
  sendSerialInput(data: Uint8Array | string): void {
    if (this.destroyed) return;
    this.emulator.serial_send_bytes(0, typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  /** The terminal showing the console changed size; the guest sees it in `stty size`. */
  resizeConsole(cols: number, rows: number): void {
    this.devices?.console.resize(cols, rows);
  }

  /** Plain-data state and counters of ringside's devices. */
  deviceSnapshots(): DeviceSnapshot[] {
    return this.devices?.snapshot() ?? [];
  }

  /** What the live virtqueue inspector shows: bus 0, the virtio devices, their rings. Cheap enough for 10 calls/s. */
  inspect(): InspectorSnapshot {
    return this.inspector?.snapshot() ?? { takenAtMs: performance.now(), pci: [], devices: [] };
  }

  /** The descriptor chain in avail-ring slot `slot` of a device's queue; read-only, never throws. */
  describeChain(address: string, queue: number, slot: number): ChainView {
    const none: ChainView = { device: address, queue, slot, head: -1, state: "free", descriptors: [], preview: [] };
    return this.inspector?.describeChain(address, queue, slot) ?? { ...none, problem: "the machine is not running" };
  }

  /**
   * The whole machine as a state file (machine-state.ts): the guest pauses while it is
   * captured. Throws if a device cannot be saved exactly right now.
   */
  async saveState(): Promise<Uint8Array> {
    if (!this.snapshotParts || this.destroyed) throw new Error("the machine is not running");
    return saveMachineState(this.snapshotParts);
  }

  /** Guest instructions executed so far (for throughput figures). */
  get instructionCount(): number {
    return this.emulator.get_instruction_counter();
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.output.close();
    await this.emulator.stop();
    await this.emulator.destroy();
  }
}

/** The kernel command line: ip= for a card on a network we configure, ringside.net=dhcp for one we do not. */
function guestCmdline(cmdline: string, setup: MachineSetup): string {
  if (setup.v86Nic) return withGuestIpConfig(cmdline, setup.v86Nic.ip);
  if (!setup.network) return cmdline;
  if (setup.network.ip === "dhcp") return `${cmdline} ringside.net=dhcp`;
  return withGuestIpConfig(cmdline, setup.network.ip);
}
