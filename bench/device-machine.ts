// The machine the device benchmarks share: booted once, with v86's own virtio-console
// next to ours so the two consoles are measured side by side under the same guest, the
// same kernel and the same moment of this noisy machine.
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import type { DeviceSnapshot } from "../src/machine/standard-devices.js";
import type { QueueCounters } from "../src/virtio/queue-types.js";
import { parseProcInterrupts, type IrqLine } from "./proc-interrupts.js";

export const T = 120_000;

export interface DeviceMachine {
  vm: NodeMachine;
  /** Everything the guest wrote to v86's console since the last takeV86Output(). */
  takeV86Output(): Uint8Array[];
  /** The guest's virtio device names (virtio0, ...) by what they are. */
  virtioNames: { ourConsole: string; ourRng: string; v86Console: string };
  /** Runs a command that must succeed; returns its output. */
  sh(command: string, timeoutMs?: number): Promise<string>;
  counters(device: "virtio-console" | "virtio-rng", queue: number): QueueCounters;
  /** Interrupts raised by all queues of all our devices (for shared-line checks). */
  ourInterruptsByName(): Map<string, number>;
  procInterrupts(): Promise<IrqLine[]>;
  destroy(): Promise<void>;
}

export async function startDeviceMachine(): Promise<DeviceMachine> {
  let v86Chunks: Uint8Array[] = [];
  const vm = await startNodeMachine({ v86VirtioConsole: { output: (bytes) => v86Chunks.push(bytes) } });
  try {
    await vm.shell.waitUntilReady(T);
    const sh = async (command: string, timeoutMs = T): Promise<string> => {
      const { output, status } = await vm.shell.run(command, timeoutMs);
      if (status !== 0) throw new Error(`guest command failed (status ${status}): ${command}\n${output.slice(0, 2000)}`);
      return output;
    };
    const snapshot = (name: string): DeviceSnapshot => {
      const d = vm.machine.deviceSnapshots().find((s) => s.virtio.name === name);
      if (!d) throw new Error(`no ${name} among our devices`);
      return d;
    };

    // Which guest virtio device is which: our devices by their PCI slot, v86's console
    // is the other virtio_console.
    const listing = await sh(
      "for d in /sys/bus/virtio/devices/*; do echo $(basename $d) $(basename $(readlink -f $d/..)) $(cat $d/device); done",
    );
    const devices = listing.trim().split("\n").map((l) => {
      const [name, pci, id] = l.split(" ");
      const slot = /^[\da-f]{4}:[\da-f]{2}:([\da-f]{2})\.\d$/.exec(pci ?? "")?.[1];
      return { name: name!, slot: slot === undefined ? -1 : parseInt(slot, 16), id: Number(id) };
    });
    const bySlot = (slot: number) => devices.find((d) => d.slot === slot)?.name;
    const ourConsole = bySlot(snapshot("virtio-console").pci.slot);
    const ourRng = bySlot(snapshot("virtio-rng").pci.slot);
    const v86Console = devices.find((d) => d.id === 3 && d.name !== ourConsole)?.name;
    if (!ourConsole || !ourRng || !v86Console) throw new Error(`cannot tell the virtio devices apart:\n${listing}`);
    const ourNames = new Map([[ourConsole, "virtio-console"], [ourRng, "virtio-rng"]] as const);

    return {
      vm,
      takeV86Output: () => {
        const taken = v86Chunks;
        v86Chunks = [];
        return taken;
      },
      virtioNames: { ourConsole, ourRng, v86Console },
      sh,
      counters: (device, queue) => {
        const ring = snapshot(device).virtio.queues[queue]?.ring;
        if (!ring) throw new Error(`${device} queue ${queue} is not running`);
        return ring.counters;
      },
      ourInterruptsByName: () => {
        const out = new Map<string, number>();
        for (const [guestName, device] of ourNames) {
          const queues = snapshot(device).virtio.queues;
          out.set(guestName, queues.reduce((sum, q) => sum + (q.ring?.counters.interrupts ?? 0), 0));
        }
        return out;
      },
      procInterrupts: async () => parseProcInterrupts(await sh("cat /proc/interrupts")),
      destroy: () => vm.destroy(),
    };
  } catch (err) {
    await vm.destroy();
    throw err;
  }
}

export const MiB = 1024 * 1024;
