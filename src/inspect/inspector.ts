// The machine side of the live virtqueue inspector: what Machine.inspect() and
// Machine.describeChain() answer, as plain data (src/inspect/types.ts).
//
// The page asks about ten times a second while the panel is open, so a view costs
// O(functions on bus 0 + total queue size) and allocates nothing in proportion to guest
// RAM. Nothing here changes what the guest can see: PCI registers are read without
// configuration cycles, device config through the model's side-effect-free readConfig,
// and rings straight from guest memory without touching the device's ring state.
// Everything device-specific (queue names, config fields, live figures) comes from the
// device's own description.
import type { GuestMemory } from "../memory/guest-memory.js";
import type { PciFunctionInfo } from "../pci/pci-bus.js";
import type { QueueModelView, VirtioDeviceModel } from "../virtio/device-model.js";
import { decodeConfigField } from "../virtio/device-info.js";
import { walkChainAt } from "./chain-view.js";
import { splitChainFacts, withDecoded } from "./chain-decoded.js";
import { packedChainAt } from "./packed-chain-view.js";
import { pciAddress, pciFunctionView } from "./pci-view.js";
import { mmioAddress, mmioDeviceView, type InspectedMmio, type MmioDeviceView } from "./mmio-view.js";
import { queueView } from "./queue-view.js";
import { slotStatuses, slotStatusAt } from "./slot-statuses.js";
import type { ChainView, ConfigFieldView, InspectorView, PciFunctionView, VirtioDeviceView } from "./types.js";
import { errorMessage } from "../util/error-message.js";

/** One virtio device behind one PCI function or one virtio-mmio window. */
export interface InspectedDevice {
  /** devfn of its PCI function on bus 0 (a PCI device). */
  devfn?: number;
  /** Its window and registers (a virtio-mmio device). */
  mmio?: InspectedMmio;
  model: VirtioDeviceModel;
}

/** "00:03.0" for a PCI device, "mmio@0xd0000000" for a virtio-mmio one. */
function addressOf(d: InspectedDevice): string {
  return d.mmio ? mmioAddress(d.mmio.base) : pciAddress(d.devfn ?? 0);
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

  view(): InspectorView {
    return {
      takenAtMs: performance.now(),
      pci: this.pci(),
      mmio: this.mmio(),
      devices: this.devices.map((d) => this.deviceView(d)),
    };
  }

  /**
   * The chain in avail-ring slot `slot` (packed rings: the buffer descriptor-ring slot `slot`
   * belongs to) of queue `queue` of the device at `address` ("00:05.0"). Never throws.
   */
  describeChain(address: string, queue: number, slot: number): ChainView {
    const view: ChainView = { device: address, queue, slot, head: -1, status: "free", descriptors: [], preview: [] };
    try {
      const d = this.devices.find((x) => addressOf(x) === address);
      if (!d) return { ...view, problem: `no virtio device at ${address}` };
      view.device = d.model.device.info.name;
      const ring = Number.isInteger(queue) && d.model.active ? d.model.queue(queue) : undefined;
      if (!ring || ring.isStopped) return { ...view, problem: `queue ${queue} is not live` };
      const r = ring.view();
      const format = d.model.device.info.chainFormats?.[queue];
      if (r.layout === "packed") return withDecoded(this.memory, format, { ...view, ...packedChainAt(this.memory, r, slot) });
      const letters = slotStatuses(r.size, r);
      view.status = slotStatusAt(letters, slot) ?? "free";
      const walked = walkChainAt(this.memory, r, slot);
      return withDecoded(this.memory, format, { ...view, ...walked }, splitChainFacts(this.memory, r, letters, slot, walked.head));
    } catch (e) {
      return { ...view, problem: `inspector error: ${errorMessage(e)}` };
    }
  }

  private pci(): PciFunctionView[] {
    try {
      return this.bus.functions().map(pciFunctionView);
    } catch {
      return [];
    }
  }

  private mmio(): MmioDeviceView[] {
    return this.devices.flatMap((d) => (d.mmio ? [mmioDeviceView(d.mmio, d.model.device.info.name, d.model.label)] : []));
  }

  private deviceView(d: InspectedDevice): VirtioDeviceView {
    const { model } = d;
    const device = model.device;
    const address = addressOf(d);
    try {
      const view = model.view();
      const mode = device.notificationMode?.();
      const live = (q: QueueModelView) => model.active && q.ring !== undefined && model.queue(q.index)?.isStopped === false;
      return {
        address,
        name: view.name,
        label: model.label,
        deviceType: view.deviceType,
        status: view.status,
        statusNames: view.statusNames,
        featuresOfferedNames: view.featuresOfferedNames,
        featuresNegotiatedNames: view.featuresNegotiatedNames,
        config: configHex(model),
        configFields: configFields(model),
        configGeneration: view.configGeneration,
        active: view.active,
        lastError: view.lastError,
        stats: device.stats(),
        queues: view.queues.map((q) => queueView(q, live(q), mode)),
      };
    } catch (e) {
      // Not expected (every read above is bounds-checked); the panel still gets the device.
      return {
        address, name: device.info.name, label: model.label, deviceType: device.info.id, status: 0, statusNames: [], featuresOfferedNames: [],
        featuresNegotiatedNames: [], config: "", configFields: [], configGeneration: 0, active: false,
        lastError: `inspector error: ${errorMessage(e)}`, stats: {}, queues: [],
      };
    }
  }
}

/** Device config as "00 11 22 ...", a byte at a time through the model (reads have no side effects). */
function configHex(model: VirtioDeviceModel): string {
  const bytes: string[] = [];
  for (let offset = 0; offset < model.device.info.configSize; offset++) bytes.push(model.readConfig(offset, 1).toString(16).padStart(2, "0"));
  return bytes.join(" ");
}

/** The config space field by field, from the device's own layout. */
function configFields(model: VirtioDeviceModel): ConfigFieldView[] {
  const readByte = (offset: number) => model.readConfig(offset, 1);
  return model.device.info.config.map((f) => ({
    name: f.name, offset: f.offset, size: f.size, value: decodeConfigField(f, readByte), ...(f.about ? { about: f.about } : {}),
  }));
}
