// A machine in Node with a shell session attached: what the CLI, the guest tests and the
// benchmarks boot. It takes a whole machine description, or builds one from shorthands
// (memory, command line, a disk, a network card, how the devices sit on PCI) the way the
// CLI's flags do; backends are opened here (node-backends.ts) unless given ready-made.
import { Machine, type MachineSetup } from "../machine/machine.js";
import { ShellSession } from "../machine/shell-session.js";
import type { BootPhase } from "../machine/boot-phases.js";
import type { Disk } from "../backends/disk.js";
import type { HostNetwork } from "../backends/net/host/host-network.js";
import type { MachineDescription, RingLayout, TransportDescription } from "../description/machine-description.js";
import type { ResolvedBackend } from "../machine/machine-devices.js";
import type { NetworkChoice } from "../machine/network-choice.js";
import { cardAddressing } from "../machine/card-addressing.js";
import { backendNeed } from "../description/backend-need.js";
import { describeMachine } from "./describe-machine.js";
import { loadImages, loadV86Wasm, openNodeImage } from "./node-images.js";
import { resolveBootImages } from "../machine/boot-images.js";
import { openNodeBackends } from "./node-backends.js";

export interface NodeMachineOptions {
  /** Folder with the guest images (default: the repository's images/). */
  imagesDir?: string;
  /** The whole machine. Without it, one is described from the shorthands below. */
  description?: MachineDescription;
  /** Shorthand: guest RAM (default 256 MiB). */
  memoryMiB?: number;
  /** Shorthand: the kernel command line (default DEFAULT_CMDLINE). */
  cmdline?: string;
  /** Shorthand: a virtio-blk disk on this (ready-made) disk, after the console and the rng. */
  disk?: Disk;
  /** Shorthand: a virtio-net card on this network (e.g. hostNetworkChoice()). */
  network?: NetworkChoice;
  /** Shorthand: that card's notification policy (default shared). */
  policy?: "shared" | "per-queue";
  /** Shorthand: how every device sits on PCI. */
  transport?: Omit<TransportDescription, "kind" | "slot">;
  /** Shorthand: the ring layout every device offers (absent: split, or RINGSIDE_RING's). */
  ring?: RingLayout;
  /**
   * Everything the shell's terminal (the virtio console) prints. A returned promise holds
   * the guest's output back until it settles (see MachineHooks.console).
   */
  onConsole?: (bytes: Uint8Array) => void | PromiseLike<void>;
  /** Everything the serial port prints (the kernel log). */
  onSerial?: (bytes: Uint8Array) => void;
  /**
   * Where `shell` runs: the virtio console (default) or the serial port, for tests that take
   * the console away from Linux (ringside.tty=ttyS0 is added to the command line; the
   * kernel log shares that port).
   */
  shellOn?: "console" | "serial";
  /**
   * Ready-made backends by device index, for a whole `description` (a test's shared folder
   * whose filesystem it reads and fills from the host side); the rest are opened here.
   */
  backends?: ReadonlyMap<number, ResolvedBackend>;
  /** Extra devices, before boot (see MachineSetup.attach). */
  attach?: MachineSetup["attach"];
  /** v86's own devices (benchmarks compare them with ours). */
  v86?: MachineSetup["v86"];
  /** Start from a saved state instead of booting (see MachineSetup.restore); the state's description is used. */
  restore?: MachineSetup["restore"];
  /** Build everything and stop before the first instruction. */
  paused?: boolean;
  onPhase?: (phase: BootPhase, msSinceStart: number) => void;
  log?: (message: string) => void;
}

export interface NodeMachine {
  machine: Machine;
  shell: ShellSession;
  /** Each network card's host network (the ones opened here), in card order. */
  hosts: HostNetwork[];
  destroy(): Promise<void>;
}

// RINGSIDE_RING=packed (development runs) makes every device whose description names no ring layout offer packed rings.
function withRingFromEnv(d: MachineDescription): MachineDescription {
  if (process.env.RINGSIDE_RING !== "packed") return d;
  return { ...d, devices: d.devices.map((device) => (device.ring ? device : { ...device, ring: "packed" })) };
}

export async function startNodeMachine(opts: NodeMachineOptions = {}): Promise<NodeMachine> {
  const t0 = performance.now();
  const phaseAt = (phase: BootPhase) => opts.onPhase?.(phase, performance.now() - t0);
  phaseAt("loading");
  const [bundled, wasm] = await Promise.all([loadImages(opts.imagesDir), loadV86Wasm()]);
  // A restored machine is what its state says; only a machine booted afresh takes RINGSIDE_RING.
  const base = opts.restore && !opts.description ? opts.restore.header.machine : withRingFromEnv(opts.description ?? describeMachine(opts));
  // Without a virtio console the guest's shell is on the serial port (console-shell).
  const serialShell = opts.shellOn === "serial" || !base.devices.some((d) => d.type === "virtio-console");
  const description = opts.shellOn === "serial" ? { ...base, cmdline: `${base.cmdline} ringside.tty=ttyS0` } : base;
  // Ready-made backends the shorthands gave (a test's disk, its network), by device index.
  const given = new Map<number, ResolvedBackend>(opts.backends ?? []);
  if (!opts.description) {
    description.devices.forEach((d, i) => {
      const need = backendNeed(d);
      if (need.kind === "disk" && opts.disk) given.set(i, { disk: opts.disk });
      if (need.kind === "network" && opts.network) given.set(i, { network: opts.network, addressing: { ...cardAddressing(0, need.options), ...(opts.network.mac ? { mac: opts.network.mac } : {}) } });
    });
  }
  const images = await resolveBootImages(description.boot, bundled, openNodeImage, description.devices);
  const opened = openNodeBackends(description, given);
  let machine: Machine | undefined;
  const shell = new ShellSession({ send: (text) => (serialShell ? machine?.sendSerialInput(text) : machine?.sendInput(text)) });
  try {
    machine = await Machine.start({
      images,
      wasm,
      description,
      backends: opened.backends,
      hooks: {
        phase: phaseAt,
        console: (bytes) => {
          if (!serialShell) shell.feed(bytes);
          return opts.onConsole?.(bytes);
        },
        serial: (bytes) => {
          opts.onSerial?.(bytes);
          if (serialShell) shell.feed(bytes);
        },
        log: opts.log,
      },
      ...(opts.attach ? { attach: opts.attach } : {}),
      ...(opts.v86 ? { v86: opts.v86 } : {}),
      ...(opts.restore ? { restore: opts.restore } : {}),
      ...(opts.paused ? { paused: true } : {}),
    });
  } catch (e) {
    opened.close();
    throw e;
  }
  const started = machine;
  return {
    machine: started,
    shell,
    hosts: opened.hosts,
    destroy: async () => {
      await started.destroy();
      opened.close();
    },
  };
}
