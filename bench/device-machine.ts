// The machine the device benchmarks share: booted once, with v86's own virtio-console
// next to ours so the two consoles are measured side by side under the same guest, the
// same kernel and the same moment of this noisy machine.
//
// It is startNodeMachine's machine with one difference: what the guest writes to our
// console passes through a tap that can take one command's bulk output aside (kept and
// counted) instead of into the shell session, which would keep it all as text for the
// command's result: the guest's clock follows the host's, so any host-side cost per byte
// shows up in the guest's timing, and the bench wants to time the console alone.
// v86's console gets an equally cheap consumer.
import { Machine } from "../src/machine/machine.js";
import { bundledBootImages } from "../src/machine/boot-images.js";
import { ShellSession } from "../src/machine/shell-session.js";
import { loadImages, loadV86Wasm } from "../src/node/node-images.js";
import type { NodeMachine } from "../src/node/node-machine.js";
import type { MachineDeviceView } from "../src/machine/machine-devices.js";
import type { TransportDescription } from "../src/description/machine-description.js";
import { describeMachine } from "../src/node/describe-machine.js";
import { v86VirtioConsole } from "./v86-extras.js";
import type { QueueCounters } from "../src/virtio/queue-types.js";
import { parseProcInterrupts, type IrqLine } from "./proc-interrupts.js";

export const T = 120_000;

export interface DeviceMachine {
  vm: NodeMachine;
  /** Diverts our console's output for the next command (see ConsoleTap.divertNext). */
  tap: ConsoleTap;
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

/** `transport`: how our devices appear on PCI (default: the machine's, a 32-bit memory BAR). */
export async function startDeviceMachine(transport?: Omit<TransportDescription, "kind" | "slot">): Promise<DeviceMachine> {
  let v86Chunks: Uint8Array[] = [];
  const [images, wasm] = await Promise.all([loadImages(), loadV86Wasm()]);
  let machine: Machine | undefined;
  const shell = new ShellSession({ send: (text) => machine?.sendInput(text) });
  const tap = new ConsoleTap((bytes) => shell.feed(bytes));
  // The console and the rng, as every machine has them (no disk, no network card).
  const description = describeMachine(transport ? { transport } : {});
  machine = await Machine.start({
    images: bundledBootImages(images, description.devices),
    wasm,
    description,
    backends: [],
    hooks: { console: (bytes) => tap.feed(bytes), serial: () => {} },
    v86: v86VirtioConsole((bytes) => v86Chunks.push(bytes)),
  });
  const started = machine;
  const vm: NodeMachine = { machine: started, shell, hosts: [], destroy: () => started.destroy() };
  try {
    await vm.shell.waitUntilReady(T);
    const sh = async (command: string, timeoutMs = T): Promise<string> => {
      const { output, status } = await vm.shell.run(command, timeoutMs);
      if (status !== 0) throw new Error(`guest command failed (status ${status}): ${command}\n${output.slice(0, 2000)}`);
      return output;
    };
    const view = (name: string): MachineDeviceView => {
      const d = vm.machine.deviceViews().find((s) => s.type === name);
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
    const ourConsole = bySlot(view("virtio-console").pci?.slot ?? -1);
    const ourRng = bySlot(view("virtio-rng").pci?.slot ?? -1);
    const v86Console = devices.find((d) => d.id === 3 && d.name !== ourConsole)?.name;
    if (!ourConsole || !ourRng || !v86Console) throw new Error(`cannot tell the virtio devices apart:\n${listing}`);
    const ourNames = new Map([[ourConsole, "virtio-console"], [ourRng, "virtio-rng"]] as const);

    return {
      vm,
      tap,
      takeV86Output: () => {
        const taken = v86Chunks;
        v86Chunks = [];
        return taken;
      },
      virtioNames: { ourConsole, ourRng, v86Console },
      sh,
      counters: (device, queue) => {
        const ring = view(device).virtio.queues[queue]?.ring;
        if (!ring) throw new Error(`${device} queue ${queue} is not running`);
        return ring.counters;
      },
      ourInterruptsByName: () => {
        const out = new Map<string, number>();
        for (const [guestName, device] of ourNames) {
          const queues = view(device).virtio.queues;
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

const RS = 0x1e;

/**
 * Sits between our console and the shell session. Armed with divertNext(), it lets the
 * next command's begin frame through (ShellSession frames each command's output with
 * RS B<n> RS ... RS E<n>:<status> RS), then keeps and counts every byte up to the next
 * RS instead of forwarding it, then forwards again. Only for output without RS bytes
 * (base64 text has none); the session then sees that command print nothing.
 */
export class ConsoleTap {
  private state: "forward" | "armed" | "diverting" = "forward";
  private separatorsSeen = 0;
  private kept: Uint8Array[] = [];
  private count = 0;

  constructor(private readonly forward: (bytes: Uint8Array) => void) {}

  divertNext(): void {
    this.state = "armed";
    this.separatorsSeen = 0;
    this.kept = [];
    this.count = 0;
  }

  /**
   * What the last diverted command printed. While the guest writes, the host only keeps
   * the bytes (as it does for v86's console); checking them is for afterwards.
   */
  diverted(): { bytes: number; chunks: Uint8Array[] } {
    if (this.state !== "forward") throw new Error("the diverted output has not ended");
    const result = { bytes: this.count, chunks: this.kept };
    this.kept = [];
    return result;
  }

  feed(chunk: Uint8Array): void {
    // A Buffer over the same bytes: its indexOf is memchr, where a Uint8Array's looks at
    // each byte in turn (this runs over every byte the guest writes, inside its timing).
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let at = 0;
    while (at < bytes.length && this.state !== "forward") {
      if (this.state === "armed") {
        // Forward through the begin frame's two separators.
        const rs = bytes.indexOf(RS, at);
        if (rs < 0) break;
        at = rs + 1;
        if (++this.separatorsSeen === 2) {
          this.forward(bytes.subarray(0, at));
          bytes = bytes.subarray(at);
          at = 0;
          this.state = "diverting";
        }
      } else {
        const rs = bytes.indexOf(RS, at);
        const end = rs < 0 ? bytes.length : rs;
        this.kept.push(bytes.subarray(at, end));
        this.count += end - at;
        bytes = bytes.subarray(end);
        at = 0;
        if (rs >= 0) this.state = "forward";
        else return;
      }
    }
    if (bytes.length > 0) this.forward(bytes);
  }
}
