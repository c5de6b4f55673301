// Opening a machine description's backends in Node: disks from files or memory, network
// cards on in-process host networks (one per card, each on its own 10.0.x.0/24). Backends
// only a browser has (its storage, a tab switch, a WebSocket relay) are refused by name.
import type { Disk } from "../backends/disk.js";
import { MemoryDisk } from "../backends/memory-disk.js";
import { CheckedDisk } from "../backends/checked-disk.js";
import { NodeFileDisk } from "../backends/node-file-disk.js";
import type { BlkOptions, MachineDescription, NetOptions, NinepOptions } from "../description/machine-description.js";
import { NinepServer } from "../backends/9p/ninep-server.js";
import { MemoryFs } from "../backends/9p/memory-fs.js";
import { backendNeed } from "../description/backend-need.js";
import { DescriptionError } from "../description/parse-machine.js";
import { cardAddressing } from "../machine/card-addressing.js";
import { hostNetworkFor } from "../machine/host-network-choice.js";
import type { ResolvedBackend } from "../machine/machine-devices.js";
import type { NetworkChoice } from "../machine/network-choice.js";
import type { HostNetwork } from "../backends/net/host/host-network.js";

const MiB = 1024 * 1024;

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
export function openNodeBackends(description: MachineDescription, given: ReadonlyMap<number, ResolvedBackend> = new Map()): NodeBackends {
  const opened: NodeFileDisk[] = [];
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
        const choice = networkFor(need.options, i, addressing);
        hosts.push(choice.host);
        return { network: choice, addressing };
      }
      if (need.kind === "none") return undefined;
      if (need.kind === "share") return ready ?? { share: shareFor(need.options, i) };
      return ready ?? { disk: diskFor(need.options, i, opened) };
    });
    return { backends, hosts, close: () => opened.forEach((d) => d.close()) };
  } catch (e) {
    for (const d of opened) d.close();
    throw e;
  }
}

/** A shared folder's 9P server over the filesystem its backend names. */
function shareFor(options: NinepOptions, index: number): NinepServer {
  const { backend, readOnly } = options;
  const log = (line: string): void => console.warn(`ringside: ${options.tag}: ${line}`);
  if (backend.kind === "memory") return new NinepServer(new MemoryFs(), { readOnly, log });
  if (backend.kind === "opfs") {
    throw new DescriptionError(`devices[${index}]: a shared folder in the browser's storage (opfs ${JSON.stringify(backend.name)}) exists only on the page; give dir=PATH or memory=on here`);
  }
  throw new DescriptionError(`devices[${index}]: host directory shares (${JSON.stringify(backend.path)}) are not wired yet`);
}

function diskFor(options: BlkOptions, index: number, opened: NodeFileDisk[]): Disk {
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

function networkFor(options: NetOptions, index: number, addressing: ReturnType<typeof cardAddressing>): NetworkChoice & { host: HostNetwork } {
  const kind = options.backend.kind;
  if (kind !== "host") {
    throw new DescriptionError(`devices[${index}]: a network card on ${kind === "switch" ? "the tab switch" : "a WebSocket relay"} exists only on the page; use net=host here`);
  }
  return hostNetworkFor(addressing);
}
