// The machine's timeline of ring events (src/virtio/ring-trace.ts): switched on and off at
// any moment, for every queue of every virtio device, with guest-time stamps from v86's
// clock. Nothing is allocated until the first switch-on; while off, each queue pays one
// null check per event it would have recorded.
import type { InspectedDevice } from "../inspect/inspector.js";
import { mmioAddress } from "../inspect/mmio-view.js";
import { pciAddress } from "../inspect/pci-view.js";
import type { TimelineView } from "../inspect/timeline-types.js";
import { traceEventJson } from "../inspect/trace-events.js";
import { QueueTracer, RING_TRACE_CAPACITY, RingTrace } from "../virtio/ring-trace.js";

export class MachineTimeline {
  private trace: RingTrace | undefined;
  /** Per device (in `devices` order), a tracer per queue index. */
  private tracers: QueueTracer[][] = [];

  /** `clockMs`: guest time (the machine passes v86's clock). */
  constructor(private readonly devices: readonly InspectedDevice[], private readonly clockMs: () => number) {}

  /**
   * Starts recording (keeping what was recorded) or stops. Returns where the recording
   * stands, without events: firstSeq to nextSeq is what is kept (poll from nextSeq on).
   */
  setRecording(on: boolean): TimelineView {
    const trace = on ? this.recorder() : this.trace;
    if (trace) {
      trace.recording = on;
      this.devices.forEach((d, i) => d.model.traceRings(on ? this.tracers[i] : undefined));
    }
    return trace ? trace.status() : this.view(0);
  }

  get recording(): boolean {
    return this.trace?.recording ?? false;
  }

  /** Events from `sinceSeq` on, at most RING_TRACE_VIEW_LIMIT of them (one poll of the page stays bounded). */
  view(sinceSeq: number): TimelineView {
    if (!this.trace) {
      return { recording: false, capacity: RING_TRACE_CAPACITY, firstSeq: 0, nextSeq: 0, dropped: 0, queues: [], times: [], sources: [], kinds: [], a: [], b: [] };
    }
    return this.trace.view(sinceSeq);
  }

  /** Forgets every event recorded (recording goes on if it was on). */
  clear(): void {
    this.trace?.clear();
  }

  /** Everything recorded, as a Chrome/Perfetto trace-event JSON file (trace-events.ts). */
  traceFile(): Uint8Array {
    const view = this.trace ? this.trace.view(0, RING_TRACE_CAPACITY) : this.view(0);
    return traceEventJson(view);
  }

  /** The recorder, made (with every device's queues named) on first use. */
  private recorder(): RingTrace {
    if (this.trace) return this.trace;
    const trace = new RingTrace(this.clockMs);
    this.tracers = this.devices.map((d) => {
      const { device, label } = d.model;
      const address = d.mmio ? mmioAddress(d.mmio.base) : pciAddress(d.devfn ?? 0);
      return device.queueMaxSizes.map((_, queue) => {
        const name = device.info.queueNames[queue] ?? `queue ${queue}`;
        return new QueueTracer(trace, trace.addSource({ address, device: label, queue, name }));
      });
    });
    this.trace = trace;
    return trace;
  }
}
