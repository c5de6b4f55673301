// Glossary entries for the bus tables: the PCI functions on bus 0 and the virtio-mmio
// windows' registers.
import { sec, type Explanation, type SpecSection } from "./glossary-spec.js";

const PCI = sec("4.1", "Virtio Over PCI Bus");
const DISCOVERY = sec("4.1.2", "PCI Device Discovery");
const MMIO_LAYOUT = sec("4.2.2", "MMIO Device Register Layout");
const e = (text: string, section: SpecSection): Explanation => ({ text, section });

export const BUS_TERMS: ReadonlyArray<readonly [string, Explanation]> = [
  ["pci.address", e("Bus:device.function: where the function sits on the PCI bus. The guest finds devices by scanning these addresses.", PCI)],
  ["pci.ids", e("Vendor and device ID. Virtio devices use vendor 0x1af4 and device 0x1040 plus the virtio device type (0x1000-0x103f for transitional ones).", DISCOVERY)],
  ["pci.class", e("PCI class, subclass and programming interface: what kind of function this is (network, storage, bridge...).", DISCOVERY)],
  ["pci.name", e("What the function is; ringside's own virtio devices, the rest are v86's chipset.", PCI)],
  ["pci.bars", e("Base address registers: the I/O ports or memory the function decodes. A virtio device's capabilities point into its BARs for the common config, notify, ISR and device config structures.", sec("4.1.4", "Virtio Structure PCI Capabilities"))],
  ["pci.irq", e("The legacy interrupt pin (INTA-INTD) and the interrupt line it is routed to. Without MSI-X a virtio device interrupts here and the driver reads the ISR status to learn why.", sec("4.1.5.3", "Used Buffer Notifications"))],
  ["pci.command", e("The PCI command register: whether the function decodes its I/O and memory BARs and may master the bus. The guest enables it before using the device.", sec("4.1.3", "PCI Device Layout"))],
  ["mmio.window", e("The window's base address in guest memory; its registers take 0x200 bytes, the device config space starts at 0x100.", MMIO_LAYOUT)],
  ["mmio.irq", e("The interrupt line of the window, given to the guest on its command line (virtio_mmio.device=).", sec("4.2.1", "MMIO Device Discovery"))],
  ["mmio.name", e("The virtio device behind the window.", sec("4.2", "Virtio Over MMIO"))],
  ["mmio.magic", e("MagicValue at 0x000: 0x74726976, \"virt\" in little-endian ASCII; the guest checks it to know a virtio device is there.", MMIO_LAYOUT)],
  ["mmio.version", e("Version at 0x004: 2 for the modern interface, 1 for legacy.", MMIO_LAYOUT)],
  ["mmio.deviceId", e("DeviceID at 0x008: the virtio device type (1 network, 2 block, 3 console, 4 entropy...); 0 means no device.", MMIO_LAYOUT)],
  ["mmio.status", e("Status at 0x070: the device status bits the driver sets during initialisation (ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK...).", MMIO_LAYOUT)],
  ["mmio.interruptStatus", e("InterruptStatus at 0x060: bit 0 used buffers, bit 1 configuration change. The driver acknowledges through InterruptACK.", sec("4.2.3.4", "Notifications From The Device"))],
  ["mmio.queueSel", e("QueueSel at 0x030: which queue the queue registers (QueueNum, QueueReady, addresses) refer to.", MMIO_LAYOUT)],
  ["mmio.queues", e("Each queue's size the driver chose (QueueNum) out of the device's maximum (QueueNumMax), and whether it set QueueReady.", sec("4.2.3.2", "Virtqueue Configuration"))],
];
