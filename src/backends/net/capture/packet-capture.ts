// One packet capture: a pcapng section with an interface per card, a block per frame, and
// each interface's statistics when it stops. It counts what it saw, wrote and dropped (a
// bounded sink refuses frames once full); recording never throws, so a capture can never
// break the network it watches.
import type { CaptureSink } from "./capture-sink.js";
import {
  enhancedPacketBlock, interfaceDescriptionBlock, interfaceStatisticsBlock, sectionHeaderBlock,
  type CaptureInterface, type FrameDirection,
} from "./pcapng-blocks.js";

export interface PacketCaptureOptions {
  interfaces: readonly CaptureInterface[];
  sink: CaptureSink;
  /** Milliseconds since 1970, fractions allowed: the machine's clock. */
  clockMs: () => number;
  /** shb_userappl. */
  application?: string;
}

export interface InterfaceCounts {
  /** Frames the card passed while the capture ran. */
  seen: number;
  /** Frames written to the sink. */
  recorded: number;
  /** Frames the sink had no room for. */
  dropped: number;
}

export interface CaptureCounts extends InterfaceCounts {
  interfaces: InterfaceCounts[];
  running: boolean;
  /** False when the sink refused even the file's header (then nothing is recorded). */
  started: boolean;
}

export class PacketCapture {
  private readonly counts: InterfaceCounts[];
  private readonly startUs: number;
  private running: boolean;
  readonly started: boolean;

  constructor(private readonly options: PacketCaptureOptions) {
    this.counts = options.interfaces.map(() => ({ seen: 0, recorded: 0, dropped: 0 }));
    this.startUs = this.nowUs();
    // The header and interface blocks go first or not at all: frames without them would
    // make a file no reader opens.
    const header = [sectionHeaderBlock(options.application ?? "ringside"), ...options.interfaces.map(interfaceDescriptionBlock)];
    this.started = header.every((b) => options.sink.write(b, true));
    this.running = this.started;
  }

  private nowUs(): number {
    return Math.max(0, Math.round(this.options.clockMs() * 1000));
  }

  /** One frame on interface `interfaceId`. Never throws; a frame that does not fit is counted as dropped. */
  record(interfaceId: number, direction: FrameDirection, frame: Uint8Array): void {
    const counts = this.counts[interfaceId];
    if (!this.running || !counts) return;
    counts.seen++;
    try {
      const written = this.options.sink.write(enhancedPacketBlock({ interfaceId, timestampUs: this.nowUs(), frame, direction }));
      if (written) counts.recorded++;
      else counts.dropped++;
    } catch {
      counts.dropped++;
    }
  }

  /** Ends the capture with each interface's statistics (with a comment when frames were dropped). Idempotent. */
  stop(): CaptureCounts {
    if (this.running) {
      this.running = false;
      const endUs = this.nowUs();
      this.counts.forEach((c, interfaceId) => {
        const comment = c.dropped > 0 ? `${c.dropped} of ${c.seen} frames were not recorded: the capture was full` : undefined;
        this.options.sink.write(interfaceStatisticsBlock({ interfaceId, startUs: this.startUs, endUs, ...c, ...(comment ? { comment } : {}) }), true);
      });
    }
    return this.summary();
  }

  summary(): CaptureCounts {
    const sum = (key: keyof InterfaceCounts) => this.counts.reduce((n, c) => n + c[key], 0);
    return {
      seen: sum("seen"), recorded: sum("recorded"), dropped: sum("dropped"),
      interfaces: this.counts.map((c) => ({ ...c })), running: this.running, started: this.started,
    };
  }
}
