// `npm run vm`: boot the guest in Node, run --exec commands (or attach the console), exit
// with the last command's status. Only the commands' output goes to stdout; everything the
// machine itself says goes to stderr.
import { parseArgs, USAGE, UsageError, type CliArgs } from "./args.js";
import { startNodeMachine, type NodeMachine } from "../node/node-machine.js";
import { OptionError } from "../machine/options.js";
import { ImageError } from "../machine/images.js";
import { ShellTimeoutError } from "../machine/shell-session.js";
import { DiskError } from "../backends/disk.js";
import { DescriptionError } from "../description/parse-machine.js";
import { forRestore, machineFromArgs } from "./machine-from-args.js";
import { readFileSync, writeFileSync } from "node:fs";
import { decodeStateFile, StateFileError } from "../snapshot/state-file.js";
import { readMachineState, StateMismatchError, type MachineSnapshot } from "../machine/machine-state.js";
import { errorMessage } from "../util/error-message.js";
import { formatMiB } from "../util/format-bytes.js";
import { PcapFileError, PcapFileSink } from "./pcap-file.js";
import type { MachineCapture } from "../machine/machine-capture.js";
import { TraceFile, TraceFileError } from "./trace-file.js";

/** A state file the user named that cannot be used: said in words, exit 2. */
class StateError extends Error {
  override name = "StateError";
}

async function loadState(path: string): Promise<MachineSnapshot> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new StateError(`cannot read the state file ${path}: ${errorMessage(err)}`);
  }
  try {
    return readMachineState(await decodeStateFile(bytes));
  } catch (err) {
    throw new StateError(`${path}: ${errorMessage(err)}`);
  }
}

async function saveState(vm: NodeMachine, path: string): Promise<void> {
  const bytes = await vm.machine.saveState();
  writeFileSync(path, bytes);
  say(`saved the machine to ${path} (${formatMiB(bytes.length)})`);
}

const DETACH_BYTE = 0x1d; // Ctrl-]

function say(message: string): void {
  process.stderr.write(`ringside: ${message}\n`);
}

/** Where a boot that never gave a shell stood: its phase, a panic, the serial port's last lines. */
function reportBoot(vm: NodeMachine): void {
  const { phase, serialTail, panic } = vm.machine.bootReport();
  say(`the boot got as far as: ${phase ?? "nothing"}${panic ? `; the kernel panicked: ${panic}` : ""}`);
  if (serialTail.length > 0) say(`the serial port's last lines:\n  ${serialTail.join("\n  ")}`);
  say("a guest that is not ringside's needs a shell on hvc0 (or --shell ttyS0) for --exec; a slow kernel may need a longer --timeout");
}

/** How often the --pcap file is brought up to date while the machine runs (someone may be reading it). */
const PCAP_FLUSH_MS = 1000;

/** Ends the --pcap capture and says what it holds; never throws. */
function finishPcap(sink: PcapFileSink, capture: MachineCapture | undefined): void {
  const counts = capture?.stop();
  const failure = sink.close();
  if (failure !== undefined) say(`--pcap: writing ${sink.path} failed (${failure}); the file ends at the last frame written`);
  if (!counts) return;
  const dropped = counts.dropped > 0 ? `; ${counts.dropped} frames could not be written` : "";
  say(`--pcap: ${counts.recorded} frames written to ${sink.path} (${counts.interfaces.length} interface${counts.interfaces.length === 1 ? "" : "s"})${dropped}`);
}

/** How often a boot that has no shell yet is reported on stderr (a stock kernel can take half a minute). */
const PROGRESS_EVERY_MS = 10_000;

async function runCommands(vm: NodeMachine, args: CliArgs, restored: boolean): Promise<number> {
  const timeoutMs = args.timeoutSec * 1000;
  if (restored) await vm.shell.adopt(timeoutMs);
  else {
    const started = performance.now();
    const progress = setInterval(() => {
      const { phase, serialTail } = vm.machine.bootReport();
      const last = serialTail.at(-1);
      say(`still waiting for a shell after ${((performance.now() - started) / 1000).toFixed(0)} s: the boot is at ${phase ?? "its start"}${last ? `; the serial port last said: ${last}` : ""}`);
    }, PROGRESS_EVERY_MS);
    try {
      await vm.shell.waitUntilReady(timeoutMs);
    } finally {
      clearInterval(progress);
    }
  }
  let status = 0;
  for (const command of args.exec) {
    const result = await vm.shell.run(command, timeoutMs);
    process.stdout.write(result.output);
    status = result.status;
  }
  return status;
}

/**
 * The guest's terminal on this one: the virtio console, or the serial port when the shell is
 * there (--shell ttyS0, or a machine without a virtio console). Works with any guest: what
 * it prints is shown, what is typed is sent, nothing is expected of its userspace.
 */
async function attachConsole(vm: NodeMachine, serial: boolean): Promise<number> {
  say(`${serial ? "serial port" : "console"} attached; Ctrl-] quits`);
  const send = (bytes: Uint8Array) => (serial ? vm.machine.sendSerialInput(bytes) : vm.machine.sendInput(bytes));
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  return new Promise<number>((resolve) => {
    stdin.on("data", (data: Buffer) => {
      const quit = data.indexOf(DETACH_BYTE);
      if (quit >= 0) {
        if (quit > 0) send(data.subarray(0, quit));
        if (stdin.isTTY) stdin.setRawMode(false);
        stdin.pause();
        resolve(0);
        return;
      }
      send(data);
    });
    stdin.on("end", () => resolve(0));
  });
}

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      say(err.message);
      process.stderr.write(`\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const interactive = args.exec.length === 0;
  let vm: NodeMachine | undefined;
  let pcap: PcapFileSink | undefined;
  let pcapFlush: ReturnType<typeof setInterval> | undefined;
  let trace: TraceFile | undefined;
  try {
    if (args.pcap !== undefined && !args.printMachine) pcap = PcapFileSink.open(args.pcap);
    if (args.trace !== undefined && !args.printMachine) trace = TraceFile.open(args.trace);
    const pcapSink = pcap;
    const tracing = trace !== undefined;
    const snapshot = args.restore === undefined ? undefined : await loadState(args.restore);
    const description = snapshot && args.restore !== undefined ? forRestore(snapshot.header.machine, args.disks, args.restore, args.diskSizeMiB) : machineFromArgs(args);
    // The shell is on the serial port when asked, or when there is no virtio console for it.
    const serialShell = args.shell === "ttyS0" || !description.devices.some((d) => d.type === "virtio-console");
    vm = await startNodeMachine({
      description,
      ...(args.shell === "ttyS0" ? { shellOn: "serial" as const } : {}),
      ...(snapshot ? { restore: snapshot } : {}),
      ...(args.printMachine ? { paused: true } : {}),
      // Started before the first instruction, so the files hold every frame and ring event from the first.
      ...(pcapSink || tracing ? {
        attach: ({ capture, timeline }) => {
          if (pcapSink) capture.start(pcapSink);
          if (tracing) timeline.setRecording(true);
        },
      } : {}),
      log: args.verbose ? say : undefined,
      onPhase: (phase, ms) => { if (args.verbose) say(`${phase} at ${ms.toFixed(0)} ms`); },
      // The guest waits while stdout (or stderr) has not flushed what it printed: a pipe
      // nobody reads holds it back instead of growing this process without bound.
      onConsole: (bytes) => {
        const stream = interactive ? process.stdout : args.verbose ? process.stderr : undefined;
        if (!stream) return undefined;
        return new Promise<void>((resolve) => stream.write(bytes, () => resolve()));
      },
      onSerial: (bytes) => {
        if (interactive && serialShell) process.stdout.write(bytes);
        else if (args.verbose) process.stderr.write(bytes);
      },
    });
    if (args.printMachine) {
      process.stdout.write(`${JSON.stringify(vm.machine.description, null, 2)}\n`);
      return 0;
    }
    if (pcap) {
      if (vm.machine.capture.cardCount === 0) say(`--pcap: the machine has no network card; ${pcap.path} will hold no frames`);
      const sink = pcap;
      pcapFlush = setInterval(() => sink.flush(), PCAP_FLUSH_MS);
      pcapFlush.unref();
    }
    if (snapshot) say(`restored ${args.restore} (saved ${snapshot.header.savedAt})`);
    const status = interactive ? await attachConsole(vm, serialShell) : await runCommands(vm, args, snapshot !== undefined);
    if (args.save !== undefined) await saveState(vm, args.save);
    return status;
  } catch (err) {
    if (
      err instanceof OptionError || err instanceof ImageError || err instanceof DiskError || err instanceof ShellTimeoutError ||
      err instanceof StateError || err instanceof StateFileError || err instanceof StateMismatchError || err instanceof DescriptionError || err instanceof PcapFileError ||
      err instanceof TraceFileError
    ) {
      say(err.message);
      if (err instanceof ShellTimeoutError && vm) reportBoot(vm);
      return err instanceof ShellTimeoutError ? 124 : 2;
    }
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    clearInterval(pcapFlush);
    if (pcap) finishPcap(pcap, vm?.machine.capture);
    if (trace) say(trace.finish(vm?.machine));
    await vm?.destroy();
  }
}

process.exitCode = await main(process.argv.slice(2));
// v86 keeps timers alive; the process is done once main returns.
process.exit();
