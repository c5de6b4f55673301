// --pcap FILE: the capture streamed to a file. Blocks are gathered in a small buffer and
// written synchronously when it fills (and on flush()), so the emulator's thread never waits
// on more than one buffer's worth and memory stays bounded however long the machine runs.
// A write that fails ends the capture (later blocks are refused, the frames counted as
// dropped) and is reported once by close(); nothing here throws once the file is open.
import { closeSync, openSync, writeSync } from "node:fs";
import type { CaptureSink } from "../backends/net/capture/capture-sink.js";
import { errorMessage } from "../util/error-message.js";

const BUFFER_BYTES = 256 * 1024;

/** The --pcap file cannot be created: said in words, exit 2. */
export class PcapFileError extends Error {
  override name = "PcapFileError";
}

export class PcapFileSink implements CaptureSink {
  private readonly buffer = new Uint8Array(BUFFER_BYTES);
  private used = 0;
  private fd: number | undefined;
  /** Why writing stopped, once it has. */
  failure: string | undefined;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  /** Creates (or truncates) `path`; throws PcapFileError naming why it cannot. */
  static open(path: string): PcapFileSink {
    try {
      return new PcapFileSink(path, openSync(path, "w"));
    } catch (e) {
      throw new PcapFileError(`--pcap: cannot create ${path}: ${errorMessage(e)}`);
    }
  }

  write(block: Uint8Array): boolean {
    if (this.fd === undefined || this.failure !== undefined) return false;
    if (this.used + block.length > this.buffer.length) this.flush();
    if (this.failure !== undefined) return false;
    if (block.length > this.buffer.length) return this.writeAll(block);
    this.buffer.set(block, this.used);
    this.used += block.length;
    return true;
  }

  /** Writes out what is buffered (a reader of the growing file then sees every frame so far). */
  flush(): void {
    if (this.used === 0) return;
    const pending = this.buffer.subarray(0, this.used);
    this.used = 0;
    this.writeAll(pending);
  }

  private writeAll(bytes: Uint8Array): boolean {
    if (this.fd === undefined || this.failure !== undefined) return false;
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at, bytes.length - at);
      return true;
    } catch (e) {
      this.failure = errorMessage(e);
      return false;
    }
  }

  /** Flushes and closes; returns why writing failed, if it did. */
  close(): string | undefined {
    this.flush();
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch (e) {
        this.failure ??= errorMessage(e);
      }
      this.fd = undefined;
    }
    return this.failure;
  }
}
