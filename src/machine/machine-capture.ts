// Packet captures of a machine's network cards: one capture at a time, covering every card
// (one pcapng interface each, eth0 first), started and stopped while the guest runs. The
// taps sit on the cards' cables from the start (machine-devices.ts) and cost a null check
// per frame while no capture runs.
import type { CapturingBackend } from "../backends/net/capture/capturing-backend.js";
import type { CaptureSink } from "../backends/net/capture/capture-sink.js";
import { PacketCapture, type CaptureCounts } from "../backends/net/capture/packet-capture.js";
import type { CaptureInterface } from "../backends/net/capture/pcapng-blocks.js";

/** One card's tap, with the names a capture file gives its interface. */
export interface CardTap {
  backend: CapturingBackend;
  /** The device's label in this machine ("virtio-net", or its id). */
  label: string;
  mac: string;
}

/** What readers of the file are told about each interface's frames. */
export function interfaceDescription(label: string, ifname: string): string {
  return `ringside ${label} ${ifname}: frames as the guest sees them; TSO/GSO segments appear unsplit, larger than the MTU, and checksums the card offloads may be left unfilled`;
}

function macBytes(mac: string): Uint8Array | undefined {
  const parts = mac.split(":").map((p) => Number.parseInt(p, 16));
  return parts.length === 6 && parts.every((b) => b >= 0 && b <= 255) ? Uint8Array.from(parts) : undefined;
}

/** The machine's clock as the capture stamps frames: wall-clock milliseconds, the same clock that ticks the host network. */
export const machineClockMs = (): number => performance.timeOrigin + performance.now();

export class MachineCapture {
  private current: PacketCapture | undefined;

  constructor(private readonly cards: readonly CardTap[], private readonly clockMs: () => number = machineClockMs) {}

  /** How many network cards a capture covers. */
  get cardCount(): number {
    return this.cards.length;
  }

  get running(): boolean {
    return this.current?.summary().running ?? false;
  }

  /**
   * Starts capturing every card into `sink` (a capture already running is stopped first and
   * its figures returned by that stop). The guest's k-th card is named eth{k}.
   */
  start(sink: CaptureSink): PacketCapture {
    this.stop();
    const interfaces: CaptureInterface[] = this.cards.map((c, k) => {
      const mac = macBytes(c.mac);
      return { name: `eth${k}`, description: interfaceDescription(c.label, `eth${k}`), ...(mac ? { mac } : {}) };
    });
    const capture = new PacketCapture({ interfaces, sink, clockMs: this.clockMs, application: "ringside" });
    this.current = capture;
    if (capture.started) {
      this.cards.forEach((c, k) => {
        c.backend.tap = (direction, frame) => capture.record(k, direction, frame);
      });
    }
    return capture;
  }

  /** Stops the running capture (its statistics blocks are written); its figures, or undefined if none ran. */
  stop(): CaptureCounts | undefined {
    for (const c of this.cards) c.backend.tap = undefined;
    const capture = this.current;
    this.current = undefined;
    return capture?.stop();
  }

  /** The running capture's figures so far. */
  summary(): CaptureCounts | undefined {
    return this.current?.summary();
  }
}
