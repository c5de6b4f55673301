// Opening a machine description's backends in Node: disks from files or memory, network
// cards on in-process host networks (one per card, each on its own 10.0.x.0/24; with the
// host's sockets or a wisp server behind it: node-network.ts), shared folders from host
// directories (host-dir-fs.ts) or memory. Backends only a browser has (its storage, a tab
// switch, a WebSocket relay, fetch()) are refused by name.
import { statSync, type Stats } from "node:fs";
import type { Disk } from "../backends/disk.js";
import { MemoryDisk } from "../backends/memory-disk.js";
import { CheckedDisk } from "../backends/checked-disk.js";
import { NodeFileDisk } from "../backends/node-file-disk.js";
import type { BlkOptions, MachineDescription, NinepOptions } from "../description/machine-description.js";
import { NinepServer } from "../backends/9p/ninep-server.js";
import { MemoryFs } from "../backends/9p/memory-fs.js";
import { backendNeed } from "../description/backend-need.js";
import { DescriptionError } from "../description/parse-machine.js";
import { cardAddressing } from "../machine/card-addressing.js";
import type { ResolvedBackend } from "../machine/machine-devices.js";
import type { HostNetwork } from "../backends/net/host/host-network.js";
import { errorMessage } from "../util/error-message.js";
import { HostDirFs } from "./host-dir-fs.js";
import { nodeNetworkFor } from "./node-network.js";

const MiB = 1024 * 1024;

/** A file disk or a host folder: what holds host descriptors until the machine is done. */
interface Closable {
  close(): void;
}

/** What was opened: the backends by device index, and what must be closed afterwards. */
export interface NodeBackends {
  backends: ResolvedBackend[];
  /** Each card's host network, in card order (tests look at their connections). */
  hosts: HostNetwork[];
  close(): void;
}

/**
 * Opens every backend `description` names. `given` supplies ready-made ones by device
 * index (a test's disk in memory with known bytes, a network it watches); the rest are
 * opened here. Nothing is left open when it throws.
 */
export function openNodeBackends(
  description: MachineDescription, given: ReadonlyMap<number, ResolvedBackend> = new Map(), log: (message: string) => void = (line) => console.warn(`ringside: ${line}`),
): NodeBackends {
  const opened: Closable[] = [];
  const hosts: HostNetwork[] = [];
  let card = 0;
  try {
    const backends = description.devices.map((d, i): ResolvedBackend => {
      const ready = given.get(i);
      const need = backendNeed(d);
      if (need.kind === "network") {
        const k = card++;
        if (ready) return ready;
        const addressing = cardAddressing(k, need.options);
        const choice = nodeNetworkFor(need.options, i, addressing, opened, log);
        hosts.push(choice.host);
        return { network: choice, addressing };
      }
      if (need.kind === "none") return undefined;
      if (need.kind === "share") return ready ?? { share: shareFor(need.options, i, opened) };
      return ready ?? { disk: diskFor(need.options, i, opened) };
    });
    return { backends, hosts, close: () => opened.forEach((d) => d.close()) };
  } catch (e) {
    for (const d of opened) d.close();
    throw e;
  }
}

/** A shared folder's 9P server over the filesystem its backend names. */
function shareFor(options: NinepOptions, index: number, closers: Closable[]): NinepServer {
  const { backend, readOnly } = options;
  const log = (line: string): void => console.warn(`ringside: ${options.tag}: ${line}`);
  if (backend.kind === "memory") return new NinepServer(new MemoryFs(), { readOnly, log });
  if (backend.kind === "opfs") {
    throw new DescriptionError(`devices[${index}]: a shared folder in the browser's storage (opfs ${JSON.stringify(backend.name)}) exists only on the page; give dir=PATH or memory=on here`);
  }
  const fs = openHostDir(backend.path, readOnly, index);
  closers.push(fs);
  return new NinepServer(fs, { readOnly, log });
}

/** The folder a share names: a DescriptionError naming it and why when it cannot be shared. */
function openHostDir(path: string, readOnly: boolean, index: number): HostDirFs {
  let stat: Stats;
  try {
    stat = statSync(path);
  } catch (e) {
    throw new DescriptionError(`devices[${index}]: the shared folder ${JSON.stringify(path)} cannot be opened: ${errorMessage(e)}`);
  }
  if (!stat.isDirectory()) throw new DescriptionError(`devices[${index}]: the shared folder ${JSON.stringify(path)} is not a directory`);
  try {
    return HostDirFs.open(path, { readOnly });
  } catch (e) {
    throw new DescriptionError(`devices[${index}]: the shared folder ${JSON.stringify(path)} cannot be shared: ${errorMessage(e)}`);
  }
}

function diskFor(options: BlkOptions, index: number, opened: Closable[]): Disk {
  const { backend, readOnly } = options;
  if (backend.kind === "memory") {
    if (readOnly) throw new DescriptionError(`devices[${index}]: a read-only memory disk would only ever read zeros; give it a file`);
    return new CheckedDisk(new MemoryDisk((backend.sizeMiB * MiB) / 512));
  }
  if (backend.kind === "opfs") {
    throw new DescriptionError(`devices[${index}]: a disk in the browser's storage (opfs ${JSON.stringify(backend.name)}) exists only on the page; give a file or memory disk here`);
  }
  const disk = NodeFileDisk.open(backend.path, {
    readOnly,
    ...(backend.createSizeMiB !== undefined ? { createSize: backend.createSizeMiB * MiB } : {}),
  });
  opened.push(disk);
  return new CheckedDisk(disk);
}

