// A machine in Node with a shell session attached: what the CLI, the guest tests and the
// benchmarks boot.
import { Machine, type MachineSetup } from "../machine/machine.js";
import { DEFAULT_OPTIONS, type MachineOptions } from "../machine/options.js";
import { ShellSession } from "../machine/shell-session.js";
import type { BootPhase } from "../machine/boot-phases.js";
import { loadImages, loadV86Wasm } from "./node-images.js";

export interface NodeMachineOptions extends Partial<MachineOptions> {
  /** Folder with the guest images (default: the repository's images/). */
  imagesDir?: string;
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
  /** Extra devices, before boot (see MachineSetup.attach). */
  attach?: MachineSetup["attach"];
  /** How the virtio devices appear on PCI. */
  transport?: MachineSetup["transport"];
  /** A disk for the guest (/dev/vda). */
  disk?: MachineSetup["disk"];
  /** Also build v86's own virtio-console (benchmarks compare the two). */
  v86VirtioConsole?: MachineSetup["v86VirtioConsole"];
  /** Also build v86's IDE disk on these bytes (benchmarks compare it with virtio-blk). */
  v86IdeDisk?: MachineSetup["v86IdeDisk"];
  /** ringside's virtio-net and its backend (the guest's eth0). */
  network?: MachineSetup["network"];
  /** v86's own network card instead (benchmarks compare them). */
  v86Nic?: MachineSetup["v86Nic"];
  /** Start from a saved state instead of booting (see MachineSetup.restore). */
  restore?: MachineSetup["restore"];
  onPhase?: (phase: BootPhase, msSinceStart: number) => void;
  log?: (message: string) => void;
}

export interface NodeMachine {
  machine: Machine;
  shell: ShellSession;
  destroy(): Promise<void>;
}

export async function startNodeMachine(opts: NodeMachineOptions = {}): Promise<NodeMachine> {
  const t0 = performance.now();
  const phaseAt = (phase: BootPhase) => opts.onPhase?.(phase, performance.now() - t0);
  phaseAt("loading");
  const [images, wasm] = await Promise.all([loadImages(opts.imagesDir), loadV86Wasm()]);
  let machine: Machine | undefined;
  const serialShell = opts.shellOn === "serial";
  const shell = new ShellSession({ send: (text) => (serialShell ? machine?.sendSerialInput(text) : machine?.sendInput(text)) });
  const cmdline = opts.cmdline ?? DEFAULT_OPTIONS.cmdline;
  machine = await Machine.start({
    images,
    wasm,
    options: {
      memoryMiB: opts.memoryMiB ?? DEFAULT_OPTIONS.memoryMiB,
      cmdline: serialShell ? `${cmdline} ringside.tty=ttyS0` : cmdline,
    },
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
    attach: opts.attach,
    transport: opts.transport,
    v86VirtioConsole: opts.v86VirtioConsole,
    v86IdeDisk: opts.v86IdeDisk,
    network: opts.network,
    v86Nic: opts.v86Nic,
    disk: opts.disk,
    restore: opts.restore,
  });
  const started = machine;
  return { machine: started, shell, destroy: () => started.destroy() };
}
