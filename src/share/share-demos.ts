// The gallery of ready demos. Each is a configuration that the page turns into a share
// link with the same encoder as the Share button, so a demo cannot drift out of the format.
import type { ShareConfig } from "./share-config.js";

export interface Demo {
  id: string;
  title: string;
  /** What to look at while it runs. */
  description: string;
  config: ShareConfig;
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

export const DEMOS: readonly Demo[] = [
  {
    id: "download-shared",
    title: "Bulk download, shared notification channel",
    description:
      "256 MiB over HTTP from the host network while the inspector shows the rx and tx queues " +
      "sharing one channel: guest kicks stay off while traffic flows.",
    config: { ...BASE, panel: "inspector", script: DOWNLOAD },
  },
  {
    id: "download-per-queue",
    title: "Bulk download, per-queue kicks",
    description: "The same download with plain per-queue notifications, to compare kicks and interrupts.",
    config: { ...BASE, policy: "per-queue", panel: "inspector", script: DOWNLOAD },
  },
  {
    id: "disk-flush",
    title: "Disk write with flush",
    description: "32 MiB of random data to the browser's disk at /mnt, ending with a flush (fsync) that makes it durable.",
    config: { ...BASE, disk: "opfs", script: "dd if=/dev/urandom of=/mnt/demo bs=1M count=32 conv=fsync && echo disk-demo-done\n" },
  },
  {
    id: "rng",
    title: "Random number generator",
    description: "256 KiB from virtio-rng (/dev/hwrng), the first lines shown as hex.",
    config: { ...BASE, network: "none", script: "dd if=/dev/hwrng bs=4096 count=64 | od -An -tx1 | head\n" },
  },
];
