// A machine's devices, built from its description in order: each made by its type's
// factory (device-factories.ts) and rendered by its transport: virtio-pci (a function on
// the bus) or virtio-mmio (a register window and an IRQ line, mmio-placement.ts). The
// result is the description as built (every slot, window and line filled in), and what the
// machine needs of the set: the console port, the network cards' timers and saved ends,
// the disks, device views for the worker API and the inspector, and saved states.
import type { Disk } from "../backends/disk.js";
import type { DeviceDescription, MachineDescription } from "../description/machine-description.js";
import type { GuestMemory } from "../memory/guest-memory.js";
import type { PciBus } from "../pci/pci-bus.js";
import type { Platform } from "../platform/platform.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";
import type { ConsoleSink } from "../devices/virtio-console.js";
import { immediateSink } from "../devices/virtio-console.js";
import type { Figures } from "../virtio/device-info.js";
import type { DeviceModelView } from "../virtio/device-model.js";
import type { PollSource } from "../virtio/poll-source.js";
import { VirtioPciFunction } from "../virtio-pci/virtio-pci-function.js";
import { readVirtioPciState, virtioPciStateData } from "../virtio-pci/virtio-pci-state.js";
import { VirtioMmioTransport } from "../virtio-mmio/virtio-mmio-transport.js";
import { MmioWindows } from "../virtio-mmio/mmio-windows.js";
import { readVirtioMmioState, virtioMmioStateData } from "../virtio-mmio/virtio-mmio-state.js";
import type { VirtioDeviceModel } from "../virtio/device-model.js";
import type { InspectedDevice } from "../inspect/inspector.js";
import { makeDevice, type BalloonControl, type ConsolePort, type DeviceStatsByType } from "./device-factories.js";
import type { NinepService } from "../devices/virtio-9p.js";
import type { VirtioDevice } from "../virtio/virtio-device.js";
import type { NetworkChoice } from "./network-choice.js";
import type { CardAddressing } from "./card-addressing.js";
import { CapturingBackend } from "../backends/net/capture/capturing-backend.js";
import type { CardTap } from "./machine-capture.js";

/** A device's backend as the environment resolved it (a disk, or the other end of a card's cable). */
export type ResolvedBackend =
  | { disk: Disk }
  | { network: NetworkChoice; addressing: CardAddressing }
  | { share: NinepService }
  | undefined;

/** One device as the worker API and the tests see it. */
export type MachineDeviceView = {
  [T in keyof DeviceStatsByType]: {
    type: T;
    /** Its name in this machine (logs start with it). */
    label: string;
    /** Where it sits: on PCI (its function's IDs and interrupt), or on virtio-mmio (its window, line and InterruptStatus). */
    pci?: { slot: number; vendorId: number; deviceId: number; irqLine: number; pendingIsr: number };
    mmio?: { base: number; irq: number; interruptStatus: number; lineAsserted: boolean };
    virtio: DeviceModelView;
    stats: DeviceStatsByType[T];
  };
}[keyof DeviceStatsByType];

/** A device's transport as built: a PCI function in a slot, or a virtio-mmio window with its line. */
type BuiltTransport =
  | { kind: "pci"; slot: number; fn: VirtioPciFunction; model: VirtioDeviceModel }
  | { kind: "mmio"; base: number; irq: number; mmio: VirtioMmioTransport; model: VirtioDeviceModel };

interface BuiltDevice {
  description: DeviceDescription;
  label: string;
  transport: BuiltTransport;
  device: VirtioDevice;
  stats(): Figures;
}

export interface MachineDevicesSetup {
  /** The machine, its virtio-mmio devices already placed (mmio-placement.ts: the command line needed them first). */
  description: MachineDescription;
  /** Resolved backends, by device index. */
  backends: readonly ResolvedBackend[];
  bus: PciBus;
  /** Where virtio-mmio windows are mapped and their lines driven. */
  platform: Platform;
  memory: GuestMemory;
  ticks: PollSource;
  /** The flow-controlled sink of the machine's terminal (the first console gets it). */
  consoleSink: ConsoleSink;
  log: (message: string) => void;
}

export class MachineDevices {
  /** The description as built: every device's slot filled in. */
  readonly description: MachineDescription;
  /** The first console, which the terminal talks to (none: the shell is on the serial port). */
  readonly console: ConsolePort | undefined;
  /** Every network card's other end, in device order. */
  readonly networks: readonly NetworkChoice[];
  /** Every network card's addresses, in device order (the kernel command line configures them). */
  readonly cards: readonly CardAddressing[];
  /** A capture tap on every network card's cable, in device order (machine-capture.ts starts captures on them). */
  readonly taps: readonly CardTap[];
  /** Every disk, in device order. */
  readonly disks: readonly Disk[];
  /** The balloon, when the machine has one. */
  readonly balloon: BalloonControl | undefined;
  private readonly built: BuiltDevice[] = [];
  private readonly windows: MmioWindows;

  constructor(setup: MachineDevicesSetup) {
    const { backends, bus, memory, ticks, log } = setup;
    const networks: NetworkChoice[] = [];
    const cards: CardAddressing[] = [];
    const taps: CardTap[] = [];
    const disks: Disk[] = [];
    let console: ConsolePort | undefined;
    let balloon: BalloonControl | undefined;
    const labels = deviceLabels(setup.description.devices);
    const { description } = setup;
    this.windows = new MmioWindows(setup.platform);
    description.devices.forEach((d, i) => {
      const backend = backends[i];
      const label = labels[i]!;
      const made = makeDevice(d, {
        ticks,
        memory,
        consoleSink: () => (console ? immediateSink(() => {}) : setup.consoleSink),
        disk: () => {
          if (!backend || !("disk" in backend)) throw new Error(`${label}: no disk was resolved for it`);
          disks.push(backend.disk);
          return backend.disk;
        },
        network: () => {
          if (!backend || !("network" in backend)) throw new Error(`${label}: no network was resolved for it`);
          networks.push(backend.network);
          cards.push(backend.addressing);
          // Every card gets a tap, idle until a capture starts, so a capture can begin at
          // any moment without rebuilding the device.
          const tap = new CapturingBackend(backend.network.backend);
          taps.push({ backend: tap, label, mac: backend.addressing.mac });
          return { choice: { ...backend.network, backend: tap }, mac: backend.addressing.mac };
        },
        share: () => {
          if (!backend || !("share" in backend)) throw new Error(`${label}: no shared folder was resolved for it`);
          return backend.share;
        },
      });
      console ??= made.console;
      balloon ??= made.balloon;
      const modelOptions = { log, ticks, label, packed: d.ring === "packed" };
      const placement = d.transport;
      if (placement.kind === "mmio") {
        const { base, irq } = placement;
        if (base === undefined || irq === undefined) throw new Error(`${label}: a virtio-mmio device must be placed before it is built`);
        const mmio = new VirtioMmioTransport(made.device, memory, modelOptions, (level) => setup.platform.setIrqLine(irq, level));
        this.windows.add(base, mmio);
        this.built.push({ description: d, label, transport: { kind: "mmio", base, irq, mmio, model: mmio.model }, device: made.device, stats: made.stats });
        return;
      }
      const { slot: wanted, bar, notifyOffMultiplier, msix } = placement;
      const fn = new VirtioPciFunction(made.device, memory, modelOptions, {
        ...(bar ? { bar } : {}), ...(notifyOffMultiplier !== undefined ? { notifyOffMultiplier } : {}), ...(msix ? { msix } : {}),
      });
      const slot = bus.addFunction(fn.pci, wanted !== undefined ? { slot: wanted } : {});
      this.built.push({
        description: { ...d, transport: { ...placement, slot } }, label, transport: { kind: "pci", slot, fn, model: fn.model }, device: made.device, stats: made.stats,
      });
    });
    this.description = { ...description, devices: this.built.map((b) => b.description) };
    this.console = console;
    this.networks = networks;
    this.cards = cards;
    this.taps = taps;
    this.disks = disks;
    this.balloon = balloon;
  }

  /**
   * Resolves once no device is working on a request asynchronously (a shared folder in the
   * browser's storage): a saved state is taken after it, with the guest stopped.
   */
  async settle(): Promise<void> {
    await Promise.all(this.built.map((b) => b.device.settle?.()));
  }

  /**
   * The machine was reset (0xCF9 or the keyboard controller): virtio-mmio devices go back
   * to power-on state (PCI functions are reset with the bus).
   */
  resetMmio(): void {
    for (const b of this.built) if (b.transport.kind === "mmio") b.transport.mmio.reset();
  }

  /** Each device's model and its PCI function or virtio-mmio window, for the live inspector. */
  get inspected(): InspectedDevice[] {
    return this.built.map(({ transport: t }) => {
      if (t.kind === "pci") return { devfn: t.slot << 3, model: t.model };
      const { mmio } = t;
      return { mmio: { base: t.base, irq: t.irq, registers: () => mmio.view() }, model: t.model };
    });
  }

  views(): MachineDeviceView[] {
    return this.built.map((b) => {
      const t = b.transport;
      const place = t.kind === "pci"
        ? {
          pci: {
            slot: t.slot,
            vendorId: t.fn.pci.config.read(0x00, 2),
            deviceId: t.fn.pci.config.read(0x02, 2),
            irqLine: t.fn.pci.config.read(0x3c, 1),
            pendingIsr: t.fn.pendingIsr,
          },
        }
        : { mmio: { base: t.base, irq: t.irq, interruptStatus: t.mmio.interrupt.status, lineAsserted: t.mmio.interrupt.asserted } };
      const view = {
        type: b.description.type,
        label: b.label,
        ...place,
        virtio: t.model.view(),
        stats: b.stats(),
      };
      // The factory made the stats of this very type (device-factories.ts): the pairing holds.
      return view as MachineDeviceView;
    });
  }

  /** Every device's transport, model and queues, for a machine's saved state. */
  saveState(): PlainData {
    return this.built.map(({ transport: t }) => (t.kind === "pci" ? virtioPciStateData(t.fn.saveState()) : virtioMmioStateData(t.mmio.saveState())));
  }

  /** Takes up saved states, device by device (guest RAM must be back already); checks them all first. */
  restoreState(saved: StateReader): void {
    const items = saved.items(this.built.length);
    if (items.length !== this.built.length) saved.fail(`${this.built.length} device states`);
    // The description as built says which transport each state is for (a state whose device
    // moved transport was refused by name before this: state-mismatch.ts).
    const restores = this.built.map(({ transport: t }, i) => {
      const count = t.model.queues.count;
      if (t.kind === "pci") {
        const state = readVirtioPciState(items[i]!, count);
        return () => t.fn.restoreState(state);
      }
      const state = readVirtioMmioState(items[i]!, count);
      return () => t.mmio.restoreState(state);
    });
    for (const restore of restores) restore();
  }
}

/** Log names: a device's id, else its type, numbered from the second of a type ("virtio-blk#2"). */
export function deviceLabels(devices: readonly DeviceDescription[]): string[] {
  const seen = new Map<string, number>();
  return devices.map((d) => {
    if (d.id !== undefined) return d.id;
    const n = (seen.get(d.type) ?? 0) + 1;
    seen.set(d.type, n);
    return n === 1 ? d.type : `${d.type}#${n}`;
  });
}
