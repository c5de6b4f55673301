// --trace FILE: the timeline of ring events, written as one Chrome trace-event JSON file
// when the CLI ends. The file is created before the machine boots, so a path that cannot
// be written is said at once rather than after a long run.
import { closeSync, openSync, writeSync } from "node:fs";
import type { Machine } from "../machine/machine.js";
import { MachineTimeline } from "../machine/machine-timeline.js";
import { errorMessage } from "../util/error-message.js";

/** The --trace file cannot be created: said in words, exit 2. */
export class TraceFileError extends Error {
  override name = "TraceFileError";
}

export class TraceFile {
  private constructor(readonly path: string, private fd: number | undefined) {}

  /** Creates (or truncates) `path`; throws TraceFileError naming why it cannot. */
  static open(path: string): TraceFile {
    try {
      return new TraceFile(path, openSync(path, "w"));
    } catch (e) {
      throw new TraceFileError(`--trace: cannot create ${path}: ${errorMessage(e)}`);
    }
  }

  /**
   * Writes what `machine` recorded (an empty trace when it never started) and closes the
   * file; returns a line saying what was written, or why it could not be. Never throws.
   */
  finish(machine: Machine | undefined): string {
    const fd = this.fd;
    if (fd === undefined) return `--trace: ${this.path} was already written`;
    this.fd = undefined;
    try {
      const status = machine?.setTimelineRecording(false);
      const bytes = machine ? machine.timelineTraceFile() : new MachineTimeline([], () => 0).traceFile();
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      if (!status) return `--trace: the machine did not start; ${this.path} holds an empty trace`;
      const events = status.nextSeq - status.firstSeq;
      const dropped = status.dropped > 0 ? ` (the oldest ${status.dropped} were dropped: the recorder keeps the newest ${status.capacity})` : "";
      return `--trace: ${events} ring events on ${status.queues.length} queues written to ${this.path}${dropped}`;
    } catch (e) {
      return `--trace: writing ${this.path} failed: ${errorMessage(e)}`;
    } finally {
      try {
        closeSync(fd);
      } catch {
        // Nothing more to say: the write's outcome is what the line reports.
      }
    }
  }
}
