// The machine side of the live virtqueue inspector: what Machine.inspect() and
// Machine.describeChain() answer, as plain data (src/inspect/types.ts).
//
// The page asks about ten times a second while the panel is open, so a snapshot costs
// O(functions on bus 0 + total queue size) and allocates nothing in proportion to guest
// RAM. Nothing here changes what the guest can see: PCI registers are read without
// configuration cycles, device config through the model's side-effect-free readConfig,
// and rings straight from guest memory without touching the device's ring state.
import type { GuestMemory } from "../memory/guest-memory.js";
import type { PciFunctionInfo } from "../pci/pci-bus.js";
import type { QueueModelSnapshot, VirtioDeviceModel } from "../virtio/device-model.js";
import { walkChainAt } from "./chain-view.js";
import { pciAddress, pciFunctionView } from "./pci-view.js";
import { queueView, type DeviceNotificationMode } from "./queue-view.js";
import { slotStates, slotStateAt } from "./slot-states.js";
import type { ChainView, InspectorSnapshot, PciFunctionView, VirtioDeviceView } from "./types.js";

/** One virtio device behind one PCI function. */
export interface InspectedDevice {
  /** devfn of its PCI function on bus 0. */
  devfn: number;
  model: VirtioDeviceModel;
  /** For virtio-net: whether its queue pair is polling the rings or waiting for kicks. */
  notificationMode?: () => DeviceNotificationMode;
}

/** What the inspector needs of the PCI bus (PciBus has it). */
export interface InspectedBus {
  functions(): PciFunctionInfo[];
}

export class Inspector {
  constructor(
    private readonly bus: InspectedBus,
    private readonly memory: GuestMemory,
    private readonly devices: readonly InspectedDevice[],
  ) {}

  snapshot(): InspectorSnapshot {
    return {
      takenAtMs: performance.now(),
      pci: this.pci(),
      devices: this.devices.map((d) => this.deviceView(d)),
    };
  }

  /** The chain in avail-ring slot `slot` of queue `queue` of the device at `address` ("00:05.0"). Never throws. */
  describeChain(address: string, queue: number, slot: number): ChainView {
    const view: ChainView = { device: address, queue, slot, head: -1, state: "free", descriptors: [], preview: [] };
    try {
      const d = this.devices.find((x) => pciAddress(x.devfn) === address);
      if (!d) return { ...view, problem: `no virtio device at ${address}` };
      view.device = d.model.device.name;
      const ring = Number.isInteger(queue) && d.model.active ? d.model.queue(queue) : undefined;
      if (!ring || ring.isStopped) return { ...view, problem: `queue ${queue} is not live` };
      const r = ring.snapshot();
      view.state = slotStateAt(slotStates(r.size, r), slot) ?? "free";
      const walked = walkChainAt(this.memory, r, slot);
      return { ...view, ...walked };
    } catch (e) {
      return { ...view, problem: `inspector error: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  private pci(): PciFunctionView[] {
    try {
      return this.bus.functions().map(pciFunctionView);
    } catch {
      return [];
    }
  }

  private deviceView(d: InspectedDevice): VirtioDeviceView {
    const { model } = d;
    const address = pciAddress(d.devfn);
    try {
      const snap = model.snapshot();
      const mode = d.notificationMode?.();
      const live = (q: QueueModelSnapshot) => model.active && q.ring !== undefined && model.queue(q.index)?.isStopped === false;
      return {
        address,
        name: snap.name,
        deviceType: snap.deviceType,
        status: snap.status,
        statusNames: snap.statusNames,
        featuresOfferedNames: snap.featuresOfferedNames,
        featuresNegotiatedNames: snap.featuresNegotiatedNames,
        config: configHex(model),
        configGeneration: snap.configGeneration,
        active: snap.active,
        lastError: snap.lastError,
        queues: snap.queues.map((q) => queueView(snap.deviceType, q, live(q), mode)),
      };
    } catch (e) {
      // Not expected (every read above is bounds-checked); the panel still gets the device.
      return {
        address, name: model.device.name, deviceType: model.device.deviceType, status: 0, statusNames: [], featuresOfferedNames: [],
        featuresNegotiatedNames: [], config: "", configGeneration: 0, active: false,
        lastError: `inspector error: ${e instanceof Error ? e.message : String(e)}`, queues: [],
      };
    }
  }
}

/** Device config as "00 11 22 ...", a byte at a time through the model (reads have no side effects). */
function configHex(model: VirtioDeviceModel): string {
  const bytes: string[] = [];
  for (let offset = 0; offset < model.device.configSize; offset++) bytes.push(model.readConfig(offset, 1).toString(16).padStart(2, "0"));
  return bytes.join(" ");
}
