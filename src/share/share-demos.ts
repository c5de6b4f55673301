// The gallery of ready demos. Each is a link's content that the page turns into a share
// link with the same encoder as the Share button, so a demo cannot drift out of the format.
// Most are the page's usual machine (written as its options, contentFromConfig); the last
// ones list their devices themselves. Each names its subject (focus): the inspector opens
// with that device's cards lit and their counters side by side at the top.
import type { DeviceDescription } from "../worker/api.js";
import { contentFromConfig, type ShareContent } from "./share-content.js";
import type { ShareConfig } from "./share-config.js";
import { PAGE_DISK } from "./page-machine.js";

export interface Demo {
  id: string;
  title: string;
  /** What to look at while it runs. */
  description: string;
  content: ShareContent;
}

const BASE: Omit<ShareConfig, "script"> = {
  memoryMiB: 256,
  disk: "none",
  network: "host",
  policy: "shared",
  cmdlineExtras: "",
  panel: "terminal",
};

const DOWNLOAD = "wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=268435456&seed=1' && echo download-done\n";

const pci = { kind: "pci" as const };
const card: DeviceDescription = { type: "virtio-net", transport: pci, options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } };
/** The page's disk (vda, at /mnt), a scratch disk in memory (vdb), and a card on each of two host networks (10.0.2.0/24, 10.0.3.0/24). */
const TWO_AND_TWO: ShareContent = {
  machine: {
    version: 1,
    memoryMiB: 256,
    devices: [
      { type: "virtio-console", transport: pci },
      { type: "virtio-rng", transport: pci },
      { type: "virtio-blk", transport: pci, options: { backend: { kind: "opfs", name: PAGE_DISK.name, sizeMiB: PAGE_DISK.sizeMiB }, readOnly: false } },
      { type: "virtio-blk", transport: pci, options: { backend: { kind: "memory", sizeMiB: 16 }, readOnly: false } },
      card,
      card,
    ],
  },
  cmdlineExtras: "",
  focus: { device: "virtio-blk" },
  script:
    "ls /sys/block | grep vd\n" +
    "mkfs.ext4 -q /dev/vdb && mkdir -p /media/vdb && mount /dev/vdb /media/vdb && df -h /media/vdb\n" +
    "ip -4 -o addr | grep eth\n" +
    "wget -q -O /dev/null 'http://10.0.3.2/blob?bytes=16777216&seed=3' && echo eth1-download-done\n",
  panel: "inspector",
};

/**
 * Two cards, one per notification policy, each on its own host network: eth0 (shared
 * channel) on 10.0.2.0/24, eth1 (per-queue) on 10.0.3.0/24. The same 32 MiB comes through
 * each in turn, so the focus table's kicks/MiB and interrupts/MiB rows compare the two
 * policies on one machine, one guest and one workload, read at once in one tab.
 */
const SIDE_BY_SIDE: ShareContent = {
  machine: {
    version: 1,
    memoryMiB: 256,
    devices: [
      { type: "virtio-console", transport: pci },
      { type: "virtio-rng", transport: pci },
      card,
      { ...card, options: { ...card.options, policy: "per-queue" } },
    ],
  },
  cmdlineExtras: "",
  focus: { device: "virtio-net" },
  script:
    "wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=33554432&seed=4' && echo eth0-shared-done\n" +
    "wget -q -O /dev/null 'http://10.0.3.2/blob?bytes=33554432&seed=5' && echo eth1-per-queue-done\n",
  panel: "inspector",
};

/** The disk demo's script: the disk's ID, a write ended by a flush, then a read from the disk itself (the page cache dropped). */
const DISK_SCRIPT =
  "cat /sys/block/vda/serial; echo\n" +
  "dd if=/dev/urandom of=/mnt/demo bs=1M count=32 conv=fsync && echo 3 > /proc/sys/vm/drop_caches && " +
  "dd if=/mnt/demo of=/dev/null bs=1M && echo disk-demo-done\n";

/** The console, the rng and a card, each on `transport` with `ring`: the machine of the transport demos. */
function threeDevices(ring: "split" | "packed", transports: [DeviceDescription["transport"], DeviceDescription["transport"], DeviceDescription["transport"]]): DeviceDescription[] {
  const [console, rng, net] = transports;
  return [
    { type: "virtio-console", transport: console, ring },
    { type: "virtio-rng", transport: rng, ring },
    { ...card, transport: net, ring },
  ];
}

/** Packed virtqueues on every device, the inspector open on them during a download. */
const PACKED: ShareContent = {
  machine: { version: 1, memoryMiB: 256, devices: threeDevices("packed", [pci, pci, pci]) },
  cmdlineExtras: "",
  // Feature bit 34 (RING_PACKED) is the 35th character of each device's feature string.
  script: "for d in /sys/bus/virtio/devices/*; do echo $(basename $d) RING_PACKED=$(cut -c35 $d/features); done\n" + DOWNLOAD,
  panel: "inspector",
  focus: { device: "virtio-net" },
};

/** The rng on virtio-mmio, the console and the card on PCI with a vector per queue (MSI-X). */
const MMIO_AND_MSIX: ShareContent = {
  machine: { version: 1, memoryMiB: 256, devices: threeDevices("split", [{ kind: "pci", msix: true }, { kind: "mmio" }, { kind: "pci", msix: true }]) },
  cmdlineExtras: "",
  script:
    "ls /sys/bus/platform/devices | grep virtio\n" +
    "wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=16777216&seed=2' && head -c 4096 /dev/hwrng | wc -c\n" +
    "grep -E 'virtio|CPU' /proc/interrupts\n",
  panel: "inspector",
  focus: { device: "virtio-rng" },
};

export const DEMOS: readonly Demo[] = [
  {
    id: "download-shared",
    title: "Bulk download, shared notification channel",
    description:
      "256 MiB over HTTP from the host network while the inspector shows the rx and tx queues " +
      "sharing one channel: guest kicks stay off while traffic flows.",
    content: { ...contentFromConfig({ ...BASE, panel: "inspector", script: DOWNLOAD }), focus: { device: "virtio-net" } },
  },
  {
    id: "download-per-queue",
    title: "Bulk download, per-queue kicks",
    description: "The same download with plain per-queue notifications, to compare kicks and interrupts.",
    content: { ...contentFromConfig({ ...BASE, policy: "per-queue", panel: "inspector", script: DOWNLOAD }), focus: { device: "virtio-net" } },
  },
  {
    id: "disk-flush",
    title: "Disk write with flush",
    description:
      "The disk's ID (a GET_ID request), 32 MiB of random data to the browser's disk at /mnt ending with a flush (fsync) " +
      "that makes it durable, then the same file read back from the disk: the inspector counts the disk's requests by type.",
    content: { ...contentFromConfig({ ...BASE, disk: "opfs", panel: "inspector", script: DISK_SCRIPT }), focus: { device: "virtio-blk", queue: 0 } },
  },
  {
    id: "rng",
    title: "Random number generator",
    description: "256 KiB from virtio-rng (/dev/hwrng), the first lines shown as hex.",
    content: {
      ...contentFromConfig({ ...BASE, network: "none", panel: "inspector", script: "dd if=/dev/hwrng bs=4096 count=64 | od -An -tx1 | head\n" }),
      focus: { device: "virtio-rng", queue: 0 },
    },
  },
  {
    id: "two-disks-two-cards",
    title: "Two disks, two network cards",
    description:
      "A machine of six devices: the browser's disk as vda and a 16 MiB disk in memory as vdb (given ext4 and mounted), " +
      "eth0 on the host network 10.0.2.0/24 and eth1 on its own 10.0.3.0/24, with a 16 MiB download through eth1.",
    content: TWO_AND_TWO,
  },
  {
    id: "packed-rings",
    title: "Packed virtqueues",
    description:
      "The console, the rng and the network card on packed rings (virtio 1.1's layout): the inspector draws each slot's " +
      "AVAIL and USED flags against the wrap counters while 256 MiB come in.",
    content: PACKED,
  },
  {
    id: "mmio-and-msix",
    title: "virtio-mmio and MSI-X",
    description:
      "The rng on virtio-mmio (a register window and an ISA interrupt line, as microVMs use) beside the console and the " +
      "network card on PCI with a message-signalled interrupt per queue: /proc/interrupts lists one vector per queue.",
    content: MMIO_AND_MSIX,
  },
  {
    id: "policies-side-by-side",
    title: "Shared channel vs per-queue, side by side",
    description:
      "Two network cards on one machine, eth0 on the shared notification channel and eth1 with per-queue kicks, each " +
      "downloading the same 32 MiB in turn: the inspector's table shows both cards' kicks/MiB and interrupts/MiB in the same rows.",
    content: SIDE_BY_SIDE,
  },
];
