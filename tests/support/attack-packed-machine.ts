// The attack rig's machine with a ring layout chosen: the same devices the shorthands give
// (console, rng, the data disk, the network card), with `ring` on all of them but the
// network card, whose downloads check the others' data and stay on the split rings the
// other attack tests prove. A whole description carries the layout, so the backends the
// shorthands would have attached (the test's disk, its network) are handed over by index.
import type { Disk } from "../../src/backends/disk.js";
import type { RingLayout } from "../../src/description/machine-description.js";
import { cardAddressing } from "../../src/machine/card-addressing.js";
import type { ResolvedBackend } from "../../src/machine/machine-devices.js";
import type { NetworkChoice } from "../../src/machine/network-choice.js";
import { describeMachine } from "../../src/node/describe-machine.js";
import type { NodeMachineOptions } from "../../src/node/node-machine.js";

export interface RingedMachine {
  memoryMiB: number;
  cmdline: string;
  disk: Disk;
  network: NetworkChoice;
  ring: RingLayout;
}

export function ringedMachine(m: RingedMachine): Pick<NodeMachineOptions, "description" | "backends"> {
  const base = describeMachine({ memoryMiB: m.memoryMiB, cmdline: m.cmdline, disk: m.disk, network: m.network });
  const devices = base.devices.map((d) => ({ ...d, ring: d.type === "virtio-net" ? "split" as const : m.ring }));
  const backends = new Map<number, ResolvedBackend>();
  devices.forEach((d, i) => {
    if (d.type === "virtio-blk") backends.set(i, { disk: m.disk });
    if (d.type === "virtio-net") {
      const addressing = { ...cardAddressing(0, d.options), ...(m.network.mac ? { mac: m.network.mac } : {}) };
      backends.set(i, { network: m.network, addressing });
    }
  });
  return { description: { ...base, devices }, backends };
}
