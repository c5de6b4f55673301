// The inspector's packet capture (CaptureApi in api.ts): a pcapng file of every network
// card's frames, kept in the worker's memory up to a fixed size; frames beyond it are counted
// as dropped and the file says how many. The file outlives its capture (and its machine) until
// the next start, so a capture stopped by a reboot can still be downloaded.
import * as Comlink from "comlink";
import { MemoryCaptureSink } from "../backends/net/capture/capture-sink.js";
import type { PacketCapture } from "../backends/net/capture/packet-capture.js";
import type { Machine } from "../machine/machine.js";
import type { CaptureApi, CaptureView } from "./api.js";

/** The most one capture holds: a page's memory is shared with the guest's RAM. */
export const PAGE_CAPTURE_LIMIT_BYTES = 64 * 1024 * 1024;

export function captureService(running: () => Machine | undefined): CaptureApi {
  let sink: MemoryCaptureSink | undefined;
  /** The last capture started; it keeps its figures after it stops (or its machine goes). */
  let capture: PacketCapture | undefined;

  const view = (): CaptureView => {
    const counts = capture?.summary();
    return {
      running: counts?.running ?? false,
      cards: running()?.capture.cardCount ?? 0,
      frames: counts?.recorded ?? 0,
      dropped: counts?.dropped ?? 0,
      bytes: sink?.byteLength ?? 0,
      limitBytes: PAGE_CAPTURE_LIMIT_BYTES,
    };
  };

  return {
    startCapture(): CaptureView {
      const machine = running();
      if (!machine) throw new Error("the machine is not running");
      if (machine.capture.cardCount === 0) throw new Error("this machine has no network card");
      sink = new MemoryCaptureSink(PAGE_CAPTURE_LIMIT_BYTES);
      capture = machine.capture.start(sink);
      return view();
    },
    stopCapture(): CaptureView {
      // Through the machine while it runs (its taps come off); a capture whose machine is
      // gone was stopped with it, and stopping again changes nothing.
      if (capture?.summary().running) running()?.capture.stop();
      capture?.stop();
      return view();
    },
    captureStatus: view,
    captureFile(): Uint8Array | null {
      if (!sink) return null;
      const bytes = sink.bytes();
      return Comlink.transfer(bytes, [bytes.buffer]);
    },
  };
}
