// Opening a machine description's backends in the page's worker: disks in the browser's
// storage (OPFS) or in memory, network cards on the in-worker host network, a tab switch
// or a relay, shared folders in the browser's storage (share-store.ts) or in memory. A file
// or a folder on the host's disk exists only in the CLI and is refused by name.
import type { Disk } from "../backends/disk.js";
import { CheckedDisk } from "../backends/checked-disk.js";
import { MemoryDisk } from "../backends/memory-disk.js";
import { OpfsDisk } from "../backends/opfs-disk.js";
import type { MachineDescription } from "../description/machine-description.js";
import { DescriptionError } from "../description/parse-machine.js";
import { backendNeed } from "../description/backend-need.js";
import type { ResolvedBackend } from "../machine/machine-devices.js";
import { MemoryFs } from "../backends/9p/memory-fs.js";
import { NinepServer } from "../backends/9p/ninep-server.js";
import type { OpfsFs } from "../backends/9p/opfs-fs.js";
import { forgetLiveShare, openOpfsShare, registerLiveShare } from "./share-store.js";
import { cardNetwork } from "./network-choice.js";

const MiB = 1024 * 1024;

export interface WorkerBackends {
  backends: ResolvedBackend[];
  /** The disks kept in this browser's storage, in device order (the first is the Disk panel's). */
  opfsDisks: { name: string; disk: CheckedDisk<OpfsDisk> }[];
  /** The shared folders in this browser's storage (the Files panel's, through share-store.ts). */
  opfsShares: { name: string; fs: OpfsFs }[];
  /** Writes the shared folders' metadata and flushes their files: before a saved state. */
  flushShares(): Promise<void>;
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
  const opfsShares: WorkerBackends["opfsShares"] = [];
  const close = () => {
    opfsDisks.forEach((d) => d.disk.backend.close());
    for (const s of opfsShares) {
      forgetLiveShare(s.name, s.fs);
      // Closing flushes the metadata and releases every sync handle; a failure is only logged,
      // as the files themselves were written through.
      s.fs.close().catch((e: unknown) => log(`shared folder ${s.name}: ${String(e)}`));
    }
  };
  const flushShares = async () => {
    await Promise.all(opfsShares.map((s) => s.fs.flush()));
  };
  try {
    const backends: ResolvedBackend[] = [];
    let card = 0;
    for (const [i, d] of description.devices.entries()) {
      const need = backendNeed(d);
      if (need.kind === "network") {
        backends.push(await cardNetwork(card++, need.options, log));
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
      } else if (need.kind === "share") {
        const { backend, readOnly } = need.options;
        const serverLog = (m: string) => log(`virtio-9p ${need.options.tag}: ${m}`);
        if (backend.kind === "directory") {
          throw new DescriptionError(`devices[${i}]: a shared folder on the host (${JSON.stringify(backend.path)}) exists only in the CLI; here a shared folder is in this browser's storage or in memory`);
        } else if (backend.kind === "memory") {
          backends.push({ share: new NinepServer(new MemoryFs(), { readOnly, log: serverLog }) });
        } else {
          if (opfsShares.some((o) => o.name === backend.name)) throw new DescriptionError(`devices[${i}]: the shared folder ${JSON.stringify(backend.name)} is already in use by another device`);
          const fs = await openOpfsShare(backend.name, serverLog);
          opfsShares.push({ name: backend.name, fs });
          registerLiveShare(backend.name, fs);
          backends.push({ share: new NinepServer(fs, { readOnly, log: serverLog }) });
        }
      } else {
        backends.push(undefined);
      }
    }
    return { backends, opfsDisks, opfsShares, flushShares, close };
  } catch (e) {
    close();
    throw e;
  }
}
