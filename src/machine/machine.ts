// One emulated PC, built from a machine description (src/description): v86 with ringside's
// images, then ringside's PCI bus and the description's devices, in two steps (start the
// emulator, wire the devices). The same code runs in the browser's Web Worker and in Node
// (CLI, tests, benchmarks); image loading, how each device's backend is opened and the
// way slices are scheduled differ, and all are passed in.
import type { V86 } from "v86";
import { onEverySlice, setSliceScheduler, wasmExportsOf } from "../v86/internals.js";
import { ManualPollSource, type PollSource } from "../virtio/poll-source.js";
import type { MachineDescription } from "../description/machine-description.js";
import { checkBootImages, type BootImages } from "./boot-images.js";
import { parseMachineDescription } from "../description/parse-machine.js";
import type { SliceScheduler } from "./scheduler.js";
import type { BootPhase } from "./boot-phases.js";
import { MachineOutput } from "./machine-output.js";
import type { ConsoleConsumer } from "./console-flow.js";
import { deviceLabels, MachineDevices, type MachineDeviceView, type ResolvedBackend } from "./machine-devices.js";
import { mmioCmdline, placeMmioDevices } from "./mmio-placement.js";
import { cardCmdline } from "./card-addressing.js";
import { shareMountCmdline } from "./share-mounts.js";
import type { BalloonControl } from "./device-factories.js";
import { ramWrittenAtBuild, startV86, switchOffLegacyDevices, type V86Extras } from "./v86-emulator.js";
import { createV86Platform } from "../v86/v86-platform.js";
import { guestMemoryOf } from "../v86/v86-memory.js";
import { PciBus } from "../pci/pci-bus.js";
import type { Platform } from "../platform/platform.js";
import type { GuestMemory } from "../memory/guest-memory.js";
import { v86PciView } from "../v86/v86-pci-view.js";
import { Inspector } from "../inspect/inspector.js";
import type { ChainView, InspectorView } from "../inspect/types.js";
import { restoreMachineState, saveMachineState, type SnapshotParts } from "./machine-snapshot.js";
import type { ArrivingSnapshot, MachineSnapshot } from "./machine-state.js";
import { MachineCapture } from "./machine-capture.js";
import { MachineTimeline } from "./machine-timeline.js";
import type { TimelineView } from "../inspect/timeline-types.js";
import { v86ClockMs } from "../v86/v86-clock.js";
import { BootJit } from "./boot-jit.js";

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
  /** The firmware, and the kernel and initrd the description's boot names (boot-images.ts resolves them). */
  images: BootImages;
  /** What the machine is (parsed: parse-machine.ts). */
  description: MachineDescription;
  /** Each device's backend, opened by the environment, by device index (machine-devices.ts). */
  backends: readonly ResolvedBackend[];
  /** v86's compiled WebAssembly module (compile it once, boot many machines from it). */
  wasm: WebAssembly.Module;
  hooks: MachineHooks;
  /** Replaces v86's slice scheduling; v86's own is used when absent. */
  scheduler?: SliceScheduler;
  /**
   * Puts more devices on the machine (tests): called once, after the description's devices
   * and before the first guest instruction, so firmware enumerates them too.
   */
  attach?: (ctx: MachineContext) => void;
  /** v86's own devices, for the benchmarks that compare ringside's with them. */
  v86?: V86Extras;
  /**
   * Start from this saved state instead of booting (machine-state.ts): the machine must
   * be built from the same description (the state's own; RAM size comes from it). Given
   * as it arrives (its header first), the machine is built meanwhile.
   */
  restore?: MachineSnapshot | ArrivingSnapshot;
  /** Build everything and stop before the first instruction (to see the description as built). */
  paused?: boolean;
}

/** The longest wait between slices while a device polls its rings. */
const POLL_INTERVAL_MS = 1;

/** What `MachineSetup.attach` gets: the PCI bus, guest RAM, the platform under both, and the devices' tick. */
export interface MachineContext {
  bus: PciBus;
  memory: GuestMemory;
  platform: Platform;
  /** Fires about every millisecond of guest execution (device models carry deferred work on it). */
  ticks: PollSource;
  /** Packet captures of the network cards (a capture started here sees the very first frame). */
  capture: MachineCapture;
  /** The timeline of ring events (switched on here, it sees the very first ring). */
  timeline: MachineTimeline;
}

export class Machine {
  private destroyed = false;
  private readonly output: MachineOutput;
  /** Packet captures of every network card (pcapng), started and stopped at any moment. */
  readonly capture: MachineCapture;
  /** The timeline of ring events (machine-timeline.ts), off until switched on. */
  private readonly timelineRecorder: MachineTimeline;

  private constructor(
    private readonly emulator: V86,
    private readonly devices: MachineDevices,
    private readonly inspector: Inspector,
    private readonly snapshotParts: SnapshotParts,
    output: MachineOutput,
  ) {
    this.output = output;
    this.capture = new MachineCapture(devices.taps);
    this.timelineRecorder = new MachineTimeline(devices.inspected, () => v86ClockMs(snapshotParts.core));
  }

  /** Builds the machine and starts the guest. Resolves once the first instruction is due. */
  static async start(setup: MachineSetup): Promise<Machine> {
    const { hooks, restore } = setup;
    // Every machine's description goes through the one parser, however it was made.
    const parsed = parseMachineDescription(restore ? { ...setup.description, memoryMiB: restore.header.machine.memoryMiB } : setup.description);
    // MSI-X needs v86's local APIC, which comes only with its ACPI (and takes IRQ 9).
    const apic = parsed.devices.some((d) => d.transport.kind === "pci" && d.transport.msix === true);
    // virtio-mmio devices are placed now: the kernel learns where they are from its command line.
    const description = placeMmioDevices(parsed, deviceLabels(parsed.devices), { ideKept: setup.v86?.keepIde === true, apic });
    const cards = setup.backends.flatMap((b) => (b && "network" in b ? [b.addressing] : []));
    const cmdline = mmioCmdline(shareMountCmdline(cardCmdline(description.cmdline, cards), description.devices), description.devices);
    checkBootImages(setup.images, description.memoryMiB, cmdline);
    // A restored guest runs the kernel and initrd in its state's RAM, and v86 never loads a
    // bzImage again (a guest's reboot stops at "Restarting system"): v86 gets the firmware alone,
    // and builds without copying 8 MB into RAM the restore overwrites.
    const images: BootImages = restore ? { bios: setup.images.bios } : setup.images;
    // Step 1: v86, stopped before its first instruction.
    const { emulator, core } = await startV86({
      images, wasm: setup.wasm, memoryMiB: description.memoryMiB, cmdline,
      apic, ...(setup.v86 ? { extras: setup.v86 } : {}), ...(hooks.log ? { log: hooks.log } : {}),
    });
    // Step 2: our PCI bus takes over ports 0xCF8-0xCFF (v86's own devices stay reachable
    // through it, and it is reset with the machine), and the description's devices go on it.
    const platform = createV86Platform(core.cpu, (m) => hooks.log?.(m));
    const bus = new PciBus(platform, { v86View: v86PciView(core.cpu) });
    const memory = guestMemoryOf(core.cpu);
    const slices = new ManualPollSource();
    let devices: MachineDevices | undefined;
    const output = new MachineOutput(hooks, slices);
    devices = new MachineDevices({
      description, backends: setup.backends, bus, platform, memory, ticks: slices, log: (m) => hooks.log?.(m),
      consoleSink: output.consoleSink(() => devices?.console?.outputReady()),
    });
    const built = devices;
    platform.onReboot(() => {
      bus.reset();
      built.resetMmio();
    });
    const parts: SnapshotParts = {
      emulator, core, devices, writtenAtBuild: ramWrittenAtBuild(images), afterV86: () => switchOffLegacyDevices(core, setup.v86),
      consoleLastLine: () => output.consoleLastLine(),
    };
    const machine = new Machine(emulator, devices, new Inspector(bus, memory, devices.inspected), parts, output);
    setup.attach?.({ bus, memory, platform, ticks: slices, capture: machine.capture, timeline: machine.timelineRecorder });
    setup.v86?.attach?.(emulator);
    if (setup.scheduler) setSliceScheduler(core, setup.scheduler);
    const tickers = [...devices.networks.flatMap((n) => (n.tick ? [n.tick] : [])), ...(setup.v86?.tick ? [setup.v86.tick] : [])];
    const bootJit = new BootJit(wasmExportsOf(core), setup.v86?.jit !== undefined, performance.now(), (m) => hooks.log?.(m), () => emulator.get_instruction_counter());
    onEverySlice(core, () => {
      platform.deliverDeferredInterrupts();
      const now = performance.now();
      bootJit.afterSlice(output.phases.latest, now);
      for (const tick of tickers) tick(now);
      slices.tick();
      // A device that polls (the network card while traffic flows) needs its tick about
      // every millisecond even while the guest halts.
      return slices.subscribers > 0 ? POLL_INTERVAL_MS : undefined;
    });
    emulator.add_listener("serial0-output-byte", (byte: number) => output.serialByte(byte));
    if (restore) {
      let snapshot: MachineSnapshot;
      try {
        snapshot = "whole" in restore ? await restore.whole : restore;
        await restoreMachineState(parts, snapshot);
      } catch (err) {
        // Nothing is left behind by a state that does not fit: the caller may boot another machine instead.
        await machine.destroy();
        throw err;
      }
      // Its screen as it was, at once; the guest redraws it once the page's size is set.
      output.replayConsoleLine(snapshot.consoleLine);
      output.phases.enter("shell");
    } else {
      output.phases.enter("firmware");
    }
    if (!setup.paused) await emulator.run();
    return machine;
  }

  /**
   * Where the boot stands, for a report on one that stopped or is slow: the latest phase
   * reached, the serial port's last lines, and the kernel's panic message if it printed one.
   */
  bootReport(): { phase: BootPhase | undefined; serialTail: string[]; panic: string | undefined } {
    return { phase: this.output.phases.latest, serialTail: this.output.boot.tail(), panic: this.output.boot.panic };
  }

  /** The machine as built: its description with every device's place filled in. */
  get description(): MachineDescription {
    return this.devices.description;
  }

  /** Keyboard input and paste for the shell's terminal (the first virtio console). */
  sendInput(data: Uint8Array | string): void {
    if (this.destroyed) return;
    this.devices.console?.input(typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  /** Input for the serial port (ttyS0), as a terminal cabled to it would type it. */
  sendSerialInput(data: Uint8Array | string): void {
    if (this.destroyed) return;
    this.emulator.serial_send_bytes(0, typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  /** The terminal showing the console changed size; the guest sees it in `stty size`. */
  resizeConsole(cols: number, rows: number): void {
    this.devices.console?.resize(cols, rows);
  }

  /** Every device's registers, virtio state and live figures, in description order. */
  deviceViews(): MachineDeviceView[] {
    return this.devices.views();
  }

  /** The network cards' other ends, in device order (tests look at the host network's connections). */
  /** The balloon, when the machine has one: its target and the guest's memory figures. */
  get balloon(): BalloonControl | undefined {
    return this.devices.balloon;
  }

  get networks(): MachineDevices["networks"] {
    return this.devices.networks;
  }

  /** What the live virtqueue inspector shows: bus 0, the virtio devices, their rings. Cheap enough for 10 calls/s. */
  inspect(): InspectorView {
    return this.inspector.view();
  }

  /** The descriptor chain in avail-ring slot `slot` of a device's queue; read-only, never throws. */
  describeChain(address: string, queue: number, slot: number): ChainView {
    return this.inspector.describeChain(address, queue, slot);
  }

  /** Starts recording ring events (keeping what was recorded) or stops; where the recording stands (firstSeq to nextSeq), without events. */
  setTimelineRecording(on: boolean): TimelineView {
    return this.timelineRecorder.setRecording(on);
  }

  /** Recorded ring events from sequence number `sinceSeq` on (at most 20,000 per call). */
  timeline(sinceSeq: number): TimelineView {
    return this.timelineRecorder.view(sinceSeq);
  }

  clearTimeline(): void {
    this.timelineRecorder.clear();
  }

  /** Everything recorded, as a Chrome/Perfetto trace-event JSON file. */
  timelineTraceFile(): Uint8Array {
    return this.timelineRecorder.traceFile();
  }

  /**
   * The whole machine as a state file (machine-state.ts): the guest pauses while it is
   * captured. Throws if a device cannot be saved exactly right now.
   */
  async saveState(): Promise<Uint8Array> {
    if (this.destroyed) throw new Error("the machine is not running");
    return saveMachineState(this.snapshotParts);
  }

  /** Guest instructions executed so far (for throughput figures). */
  get instructionCount(): number {
    return this.emulator.get_instruction_counter();
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.capture.stop();
    this.output.close();
    await this.emulator.stop();
    await this.emulator.destroy();
  }
}
