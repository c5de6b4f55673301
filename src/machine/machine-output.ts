// Everything the guest prints on its way to the machine's hooks: the serial port a byte at
// a time and the virtio console a buffer at a time, each batched per run of emulation
// (output-batcher.ts), watched for boot phases until the shell is up, and the console
// under flow control (console-flow.ts) so the host holds a bounded amount of it.
import { BootPhaseTracker, type BootPhase, type OutputStream } from "./boot-phases.js";
import { BootWatch } from "./boot-watch.js";
import { ConsoleFlow, type ConsoleConsumer } from "./console-flow.js";
import { OutputBatcher } from "./output-batcher.js";
import { DeferredWork } from "../virtio/deferred-work.js";
import type { PollSource } from "../virtio/poll-source.js";
import type { ConsoleSink } from "../devices/virtio-console.js";
import { ConsoleRecentOutput, shownLine } from "./console-last-line.js";

/** The most of each console chunk the boot-phase tracker decodes and searches. */
const CONSOLE_WATCH_BYTES = 4096;

export interface OutputHooks {
  serial(bytes: Uint8Array): void;
  console: ConsoleConsumer;
  phase?(phase: BootPhase): void;
}

export class MachineOutput {
  readonly phases: BootPhaseTracker;
  /** The serial port's last lines and any kernel panic, for reports on a boot that stopped. */
  readonly boot = new BootWatch();
  private readonly serialOut: OutputBatcher;
  private readonly consoleOut: OutputBatcher;
  private readonly flow: ConsoleFlow;
  private readonly recent = new ConsoleRecentOutput();
  private readonly resumeConsole: DeferredWork;
  private resumeTarget: (() => void) | undefined;
  private closed = false;

  constructor(hooks: OutputHooks, ticks: PollSource) {
    this.phases = new BootPhaseTracker((phase) => hooks.phase?.(phase));
    const decoders: Record<OutputStream, TextDecoder> = { serial: new TextDecoder(), console: new TextDecoder() };
    const watch = (stream: OutputStream, chunk: Uint8Array) => {
      if (this.phases.done) return;
      // The console's bulk output is looked at only as far back as a boot's batch reaches:
      // the shell's prompt is at the end of a chunk, and a tracker that never sees it (a
      // shell session typed ahead of it) must not decode every byte the guest prints.
      const watched = stream === "console" && chunk.length > CONSOLE_WATCH_BYTES ? chunk.subarray(chunk.length - CONSOLE_WATCH_BYTES) : chunk;
      // A non-fatal decoder never throws on bad bytes (a cut UTF-8 sequence decodes as U+FFFD).
      this.phases.feed(decoders[stream].decode(watched, { stream: true }), stream);
    };
    const serialText = new TextDecoder();
    this.serialOut = new OutputBatcher((chunk) => {
      if (this.closed) return;
      watch("serial", chunk);
      this.boot.feed(serialText.decode(chunk, { stream: true }));
      hooks.serial(chunk);
    });
    this.resumeConsole = new DeferredWork(ticks, () => this.resumeTarget?.());
    this.flow = new ConsoleFlow((source, length) => this.consoleOut.writeFrom(source, length), () => this.resumeConsole.schedule());
    this.consoleOut = new OutputBatcher((chunk) => {
      if (this.closed) return;
      watch("console", chunk);
      this.recent.record(chunk); // before delivery, which may transfer the chunk away
      this.flow.deliver(chunk, hooks.console);
    });
  }

  /** Where the console device writes; `resume` is how the flow gets it going again. */
  consoleSink(resume: () => void): ConsoleSink {
    this.resumeTarget = resume;
    return this.flow;
  }

  /** The console's last line as shown (console-last-line.ts), for a saved state. */
  consoleLastLine(): Uint8Array {
    return this.recent.lastLine();
  }

  /** Shows a restored state's last line again, as console output, before the guest's own. */
  replayConsoleLine(saved: Uint8Array): void {
    const line = shownLine(saved);
    if (line.length === 0) return;
    // From the start of the terminal's line: the guest's redraw then writes over it in place.
    const bytes = Uint8Array.from([0x0d, ...line]);
    this.flow.writeFrom({ readInto: (target) => (target.set(bytes.subarray(0, target.length)), Math.min(target.length, bytes.length)) }, bytes.length);
  }

  serialByte(byte: number): void {
    this.serialOut.pushByte(byte);
  }

  /** Console bytes outstanding (delivered to the consumer, not yet taken). */
  get consolePending(): number {
    return this.flow.pending;
  }

  /** The machine is gone: nothing more reaches the hooks. */
  close(): void {
    this.closed = true;
    this.resumeConsole.stop();
  }
}
