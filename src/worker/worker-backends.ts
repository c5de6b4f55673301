// Opening a machine description's backends in the page's worker: disks in the browser's
// storage (OPFS) or in memory, network cards on the in-worker host network, a tab switch
// or a relay. A file on the host's disk exists only in the CLI and is refused by name.
import type { Disk } from "../backends/disk.js";
import { CheckedDisk } from "../backends/checked-disk.js";
import { MemoryDisk } from "../backends/memory-disk.js";
import { OpfsDisk } from "../backends/opfs-disk.js";
import type { MachineDescription } from "../description/machine-description.js";
import { DescriptionError } from "../description/parse-machine.js";
import { backendNeed } from "../description/backend-need.js";
import type { ResolvedBackend } from "../machine/machine-devices.js";
import { cardNetwork } from "./network-choice.js";

const MiB = 1024 * 1024;

export interface WorkerBackends {
  backends: ResolvedBackend[];
  /** The disks kept in this browser's storage, in device order (the first is the Disk panel's). */
  opfsDisks: { name: string; disk: CheckedDisk<OpfsDisk> }[];
  close(): void;
}

/** For a restore: each disk's exact size in bytes by device index, and how a disk in storage is opened at that size. */
export interface DiskSizing {
  bytes: ReadonlyMap<number, number>;
  openOpfs(name: string, bytes: number): Promise<OpfsDisk>;
}

/** Opens every backend (disks at `sizing`'s sizes when given). Nothing stays open when it throws. */
export async function openWorkerBackends(description: MachineDescription, log: (message: string) => void, sizing?: DiskSizing): Promise<WorkerBackends> {
  const openOpfs = sizing?.openOpfs ?? ((name: string, bytes: number) => OpfsDisk.open(name, bytes));
  const opfsDisks: WorkerBackends["opfsDisks"] = [];
  const close = () => opfsDisks.forEach((d) => d.disk.backend.close());
  try {
    const backends: ResolvedBackend[] = [];
    let card = 0;
    for (const [i, d] of description.devices.entries()) {
      const need = backendNeed(d);
      if (need.kind === "network") {
        backends.push(cardNetwork(card++, need.options, log));
      } else if (need.kind === "disk") {
        const { backend } = need.options;
        const bytes = sizing?.bytes.get(i);
        let disk: Disk;
        if (backend.kind === "file") {
          throw new DescriptionError(`devices[${i}]: a disk on a host file (${JSON.stringify(backend.path)}) exists only in the CLI; here a disk is in this browser's storage or in memory`);
        } else if (backend.kind === "memory") {
          disk = new CheckedDisk(new MemoryDisk((bytes ?? backend.sizeMiB * MiB) / 512));
        } else {
          if (opfsDisks.some((o) => o.name === backend.name)) throw new DescriptionError(`devices[${i}]: the disk ${JSON.stringify(backend.name)} is already in use by another device`);
          const opened = new CheckedDisk(await openOpfs(backend.name, bytes ?? backend.sizeMiB * MiB));
          opfsDisks.push({ name: backend.name, disk: opened });
          disk = opened;
        }
        backends.push({ disk });
      } else {
        backends.push(undefined);
      }
    }
    return { backends, opfsDisks, close };
  } catch (e) {
    close();
    throw e;
  }
}
