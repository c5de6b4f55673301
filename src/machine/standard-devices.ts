// The virtio devices every ringside machine has, each behind its own virtio-pci function:
// the console (the shell's terminal, hvc0) and the entropy device.
import type { BarKind } from "../pci/bar.js";
import type { PciBus } from "../pci/pci-bus.js";
import type { GuestMemory } from "../memory/guest-memory.js";
import type { DeviceModelSnapshot } from "../virtio/device-model.js";
import type { VirtioDevice } from "../virtio/virtio-device.js";
import { VirtioPciFunction } from "../virtio-pci/virtio-pci-function.js";
import { VirtioConsole, type ConsoleSink, type ConsoleSnapshot } from "../devices/virtio-console.js";
import { VirtioRng } from "../devices/virtio-rng.js";
import { VirtioBlk } from "../devices/virtio-blk.js";
import type { Disk } from "../backends/disk.js";
import { VirtioNet, type NetSnapshot, type VirtioNetOptions } from "../devices/virtio-net.js";
import type { InspectedDevice } from "../inspect/inspector.js";
import type { PollSource } from "../virtio/poll-source.js";
import { readVirtioPciState, virtioPciStateData } from "../virtio-pci/virtio-pci-state.js";
import type { PlainData, StateReader } from "../snapshot/state-reader.js";

/** How the devices appear on PCI (tests drive Linux through every BAR kind). */
export interface TransportChoice {
  bar?: BarKind;
  notifyOffMultiplier?: number;
}

/** Plain data about one device for the worker API and the inspector. */
export interface DeviceSnapshot {
  pci: { slot: number; vendorId: number; deviceId: number; irqLine: number; pendingIsr: number };
  virtio: DeviceModelSnapshot;
  console?: ConsoleSnapshot;
  net?: NetSnapshot;
}

interface AttachedDevice {
  slot: number;
  fn: VirtioPciFunction;
  device: VirtioDevice;
}

export interface StandardDevices {
  console: VirtioConsole;
  rng: VirtioRng;
  net: VirtioNet | undefined;
  /** Each device's model and PCI function, for the live inspector. */
  inspected: readonly InspectedDevice[];
  snapshot(): DeviceSnapshot[];
  /** The devices' names in slot order (a saved state must have the same). */
  readonly names: string[];
  /** Every device's PCI function, model and queues, for a machine snapshot. */
  saveState(): PlainData;
  /** Takes up saved states, device by device in slot order (guest RAM must be back already). */
  restoreState(saved: StateReader): void;
}

export function attachStandardDevices(
  bus: PciBus,
  memory: GuestMemory,
  ticks: PollSource,
  consoleOutput: ConsoleSink,
  log: (message: string) => void,
  transport: TransportChoice = {},
  disk?: Disk,
  network?: VirtioNetOptions,
): StandardDevices {
  const attached: AttachedDevice[] = [];
  const attach = (device: VirtioDevice): void => {
    const fn = new VirtioPciFunction(device, memory, { log, ticks }, transport);
    attached.push({ fn, slot: bus.addFunction(fn.pci), device });
  };
  const hvc = new VirtioConsole(consoleOutput);
  const rng = new VirtioRng();
  attach(hvc);
  attach(rng);
  // The disk, when there is one, is the guest's /dev/vda.
  if (disk) attach(new VirtioBlk(disk));
  // The network card, when there is one, is the guest's eth0.
  const net = network && new VirtioNet(network);
  if (net) attach(net);

  return {
    console: hvc,
    rng,
    net,
    names: attached.map(({ device }) => device.name),
    saveState: () => attached.map(({ fn }) => virtioPciStateData(fn.saveState())),
    restoreState(saved) {
      const items = saved.items(attached.length);
      if (items.length !== attached.length) saved.fail(`${attached.length} device states`);
      // Every state is checked before any device changes.
      const checked = attached.map(({ fn }, i) => readVirtioPciState(items[i]!, fn.model.numQueues));
      attached.forEach(({ fn }, i) => fn.restoreState(checked[i]!));
    },
    inspected: attached.map(({ fn, slot, device }) => ({
      devfn: slot << 3,
      model: fn.model,
      ...(net && device === net ? { notificationMode: () => net.snapshot().mode } : {}),
    })),
    snapshot: () =>
      attached.map(({ fn, slot, device }) => ({
        pci: {
          slot,
          vendorId: fn.pci.config.read(0x00, 2),
          deviceId: fn.pci.config.read(0x02, 2),
          irqLine: fn.pci.config.read(0x3c, 1),
          pendingIsr: fn.pendingIsr,
        },
        virtio: fn.model.snapshot(),
        ...(device === hvc ? { console: hvc.snapshot() } : {}),
        ...(device === net ? { net: net.snapshot() } : {}),
      })),
  };
}
