// Command-line options of `npm run vm`. Parsing is strict: an unknown or malformed option
// is an error with a message, never silently ignored.
import { DEFAULT_OPTIONS, MAX_MEMORY_MIB, MIN_MEMORY_MIB } from "../machine/options.js";
import { parseNetArg, type NetArg } from "./net-arg.js";
import { errorMessage } from "../util/error-message.js";

export interface CliArgs {
  help: boolean;
  exec: string[];
  memoryMiB: number;
  cmdline: string;
  timeoutSec: number;
  /** Copy the guest's console output to stderr while it runs. */
  verbose: boolean;
  /** Files the guest sees as disks (--disk, repeatable: with --restore, one per disk of the state). */
  disks: string[];
  /** Size in MiB for a --disk file that does not exist yet. */
  diskSizeMiB?: number;
  diskReadOnly: boolean;
  /** The card's far end (net-arg.ts): the host network by default; "none": no network card. */
  net: NetArg;
  policy: "shared" | "per-queue";
  /** Write the machine's state here when the commands are done (or the console detaches). */
  save?: string;
  /** Start from this state file instead of booting. */
  restore?: string;
  /** --device TYPE,key=value,... values, in order. */
  devices: string[];
  /** --machine FILE.json: the whole machine. */
  machineFile?: string;
  /** --print-machine: print the description it would boot and exit. */
  printMachine: boolean;
  /** --kernel FILE, --initrd FILE (QEMU's names): boot these instead of the bundled images. */
  kernel?: string;
  initrd?: string;
  /** --boot disk: the firmware boots the first disk with its own boot loader. */
  boot: "kernel" | "disk";
  /** --share DIR[,readonly]: host directories shared with the guest over virtio-9p, in order. */
  shares: { path: string; readOnly: boolean }[];
  /** --balloon MiB: a virtio-balloon asking the guest for this much memory back (0: a balloon, no target yet). */
  balloonMiB?: number;
  /** Where the guest's shell is for --exec: the virtio console (hvc0), the serial port, or found by probing both. */
  shell: "hvc0" | "ttyS0";
  /** --pcap FILE: every frame of every network card, written to FILE as pcapng while the machine runs. */
  pcap?: string;
  /** --trace FILE: every ring event from boot on, written to FILE as a Chrome/Perfetto trace when the CLI ends. */
  trace?: string;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `usage: npm run vm -- [options]

Boots ringside's Linux guest headless and runs commands in its shell.

  --exec CMD       run CMD in the guest shell (repeatable; in order). stdout gets only
                   the commands' output; the exit status is the last command's.
                   Without --exec the console is attached to this terminal.
  --mem MiB        guest memory, ${MIN_MEMORY_MIB}-${MAX_MEMORY_MIB} (default ${DEFAULT_OPTIONS.memoryMiB})
  --cmdline STR    kernel command line (default "${DEFAULT_OPTIONS.cmdline}")
  --append STR     the same (QEMU's name)
  --kernel FILE    boot this bzImage instead of the bundled kernel (32-bit x86; checked
                   before booting: an ELF vmlinux, a zImage or an x86_64 kernel is named)
  --initrd FILE    with --kernel: this initrd (newc cpio, plain or gzip/xz/lz4/zstd/...;
                   none when --kernel is given without it)
  --boot disk      boot the first disk through the firmware (its own boot loader and
                   kernel) instead of a kernel
  --shell TTY      where --exec finds the guest's shell: hvc0 (default when the machine
                   has a virtio console) or ttyS0. --exec needs a POSIX shell there that
                   runs what it is sent; it is found by a marker it echoes, not by a prompt
  --timeout SEC    give up if the shell is not ready, or a command has not finished,
                   within SEC seconds (default 60)
  --disk PATH      a file the guest sees as /dev/vda (virtio-blk); created if missing
                   when --disk-size is given. With --restore, one --disk per disk of
                   the state, in order (their contents are replaced by the state's)
  --disk-size MiB  size of the --disk file to create
  --disk-ro        the guest may read the disk but not write it
  --net MODE       "host" (default): a virtio-net card (eth0, 10.0.2.15) on the host
                   network at 10.0.2.2 (HTTP, echo, discard, chargen, DNS, DHCP);
                   "user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...": the guest's TCP and UDP
                   leave through this computer's sockets (QEMU's user mode: 10.0.2.2 is
                   this computer's 127.0.0.1, names resolve here), and each hostfwd
                   carries connections to 127.0.0.1:HOSTPORT to the guest's GUESTPORT;
                   "wisp=ws://HOST:PORT/": TCP carried as wisp streams by that server
                   (names resolve there);
                   "none": no network card
  --pcap FILE      write every frame the network cards send and receive to FILE
                   (pcapng, for tcpdump or Wireshark), as the guest sees them:
                   TSO and merged-rx frames appear unsplit, larger than the MTU
  --trace FILE     record every virtqueue event from boot on (publish, take, return,
                   kicks, interrupts and their suppression, flag and event-index
                   changes; the newest 131,072 kept) and write them to FILE when the
                   CLI ends, as Chrome trace-event JSON for ui.perfetto.dev or
                   chrome://tracing: a process per device, a thread per queue
  --policy P       the card's notifications: "shared" (default) or "per-queue"
  --save FILE      when the commands have run (or the console detaches), save the
                   whole machine (RAM, devices, network connections, disk) to FILE
  --restore FILE   start from a state saved with --save (or the page's Save state)
                   instead of booting; RAM size and devices come from the file; a
                   state with a disk needs --disk PATH of the same size, whose
                   contents it replaces
  --device SPEC    one more device, QEMU's way: TYPE,key=value,... (repeatable; after
                   the console, the rng, --disk and --net's card), e.g.
                     --device virtio-blk,file=b.img,size=64,readonly=on
                     --device virtio-blk,memory=32
                     --device virtio-net,net=host,mac=52:54:00:12:34:60,ip=10.0.7.15/24
                     --device virtio-net,ring=packed,msix=on
                     --device virtio-rng,transport=mmio,addr=0xd0000000,irq=5
                   keys for every type: id, queue-size, ring (split|packed),
                   transport (pci|mmio); on PCI: slot, bar (io|mem32|mem64),
                   notify-multiplier, msix (on|off); on virtio-mmio: addr, irq
                   (omitted: the machine picks); virtio-blk: file, size, memory,
                   readonly; virtio-net: net (host), mac, policy, ip (auto|dhcp|A/P);
                   virtio-9p: dir, tag, readonly, mount; virtio-balloon: target
  --share DIR[,readonly]
                   share the host directory DIR with the guest over virtio-9p
                   (9P2000.L); the guest mounts it at /mnt/host (the next at
                   /mnt/host2, ...). The guest cannot reach outside DIR; with
                   ",readonly" it cannot change anything in it
  --balloon MiB    a virtio-balloon device asking the guest to give MiB of its
                   memory back (0: the device only, for its memory statistics)
  --machine FILE   the whole machine from a JSON description (as --print-machine
                   prints it); instead of --mem, --cmdline, --disk, --net, --device
  --print-machine  print the machine's description as JSON (every device placed)
                   and exit without booting
  --verbose        copy the guest console to stderr
  --help           show this text
`;

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} needs a positive number, got "${value}"`);
  }
  return n;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = {
    help: false,
    exec: [],
    memoryMiB: DEFAULT_OPTIONS.memoryMiB,
    cmdline: DEFAULT_OPTIONS.cmdline,
    timeoutSec: 60,
    verbose: false,
    diskReadOnly: false,
    net: { kind: "host" },
    policy: "shared",
    disks: [],
    devices: [],
    shares: [],
    printMachine: false,
    boot: "kernel",
    shell: "hvc0",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--help": case "-h": args.help = true; break;
      case "--verbose": args.verbose = true; break;
      case "--exec": args.exec.push(value()); break;
      case "--mem": {
        const v = value();
        const n = v.trim() === "" ? Number.NaN : Number(v);
        if (!Number.isInteger(n) || n < MIN_MEMORY_MIB || n > MAX_MEMORY_MIB) {
          throw new UsageError(`--mem must be a whole number of MiB from ${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB}, got "${v}"`);
        }
        args.memoryMiB = n;
        break;
      }
      case "--cmdline": case "--append": args.cmdline = value(); break;
      case "--kernel": args.kernel = value(); break;
      case "--initrd": args.initrd = value(); break;
      case "--boot": {
        const v = value();
        if (v !== "disk" && v !== "kernel") throw new UsageError(`--boot must be "disk" or "kernel", got "${v}"`);
        args.boot = v;
        break;
      }
      case "--shell": {
        const v = value();
        if (v !== "hvc0" && v !== "ttyS0") throw new UsageError(`--shell must be "hvc0" or "ttyS0", got "${v}"`);
        args.shell = v;
        break;
      }
      case "--timeout": args.timeoutSec = positiveNumber(flag, value()); break;
      case "--disk": args.disks.push(value()); break;
      case "--device": args.devices.push(value()); break;
      case "--machine": args.machineFile = value(); break;
      case "--share": {
        const v = value();
        const readOnly = v.endsWith(",readonly");
        const path = readOnly ? v.slice(0, -",readonly".length) : v;
        if (path === "") throw new UsageError("--share needs a directory: --share DIR or --share DIR,readonly");
        args.shares.push({ path, readOnly });
        break;
      }
      case "--balloon": {
        const v = value();
        if (!/^\d{1,5}$/.test(v)) throw new UsageError(`--balloon needs MiB as a whole number (0 or more), got "${v}"`);
        args.balloonMiB = Number(v);
        break;
      }
      case "--print-machine": args.printMachine = true; break;
      case "--disk-ro": args.diskReadOnly = true; break;
      case "--disk-size": {
        const v = value();
        const n = v.trim() === "" ? Number.NaN : Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 65536) throw new UsageError(`--disk-size must be a whole number of MiB from 1 to 65536, got "${v}"`);
        args.diskSizeMiB = n;
        break;
      }
      case "--net": {
        const v = value();
        try {
          args.net = parseNetArg(v);
        } catch (err) {
          throw new UsageError(errorMessage(err));
        }
        break;
      }
      case "--policy": {
        const v = value();
        if (v !== "shared" && v !== "per-queue") throw new UsageError(`--policy must be "shared" or "per-queue", got "${v}"`);
        args.policy = v;
        break;
      }
      case "--save": args.save = value(); break;
      case "--pcap": args.pcap = value(); break;
      case "--trace": args.trace = value(); break;
      case "--restore": args.restore = value(); break;
      default:
        throw new UsageError(`unknown option "${arg}"`);
    }
  }
  if (args.net === "none" && argv.some((a) => a === "--policy" || a.startsWith("--policy="))) {
    throw new UsageError("--policy needs a network card: drop --net none");
  }
  const given = (flag: string) => argv.some((a) => a === flag || a.startsWith(`${flag}=`));
  if (args.restore !== undefined) {
    const fixed = ["--mem", "--cmdline", "--append", "--net", "--policy", "--device", "--machine", "--disk-ro", "--kernel", "--initrd", "--boot", "--share", "--balloon"].filter(given);
    if (fixed.length > 0) throw new UsageError(`${fixed.join(", ")} cannot be used with --restore: the state file decides them`);
  } else if (args.machineFile !== undefined) {
    const fixed = ["--mem", "--cmdline", "--append", "--net", "--policy", "--device", "--disk", "--disk-size", "--disk-ro", "--kernel", "--initrd", "--boot", "--share", "--balloon"].filter(given);
    if (fixed.length > 0) throw new UsageError(`${fixed.join(", ")} cannot be used with --machine: the file describes the whole machine`);
  } else if (args.disks.length > 1) {
    throw new UsageError("--disk is given once when booting (more disks: --device virtio-blk,file=PATH)");
  }
  if (args.initrd !== undefined && args.kernel === undefined) throw new UsageError("--initrd needs --kernel FILE (the bundled kernel comes with its own initrd)");
  if (args.boot === "disk" && (args.kernel !== undefined || args.initrd !== undefined)) throw new UsageError("--boot disk boots the disk's own kernel: drop --kernel and --initrd");
  if (given("--cmdline") && given("--append")) throw new UsageError("--cmdline and --append are the same option: give one");
  if ((args.diskSizeMiB !== undefined || args.diskReadOnly) && args.disks.length === 0) {
    throw new UsageError("--disk-size and --disk-ro need --disk PATH");
  }
  return args;
}
