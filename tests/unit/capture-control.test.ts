// The inspector's packet capture: what its control says and allows, and the worker's side
// (start, stop, the file, a capture that outlives its machine).
import { describe, expect, it } from "vitest";
import { captureButtons, captureSummary } from "../../src/page/capture-control.js";
import { captureService, PAGE_CAPTURE_LIMIT_BYTES } from "../../src/worker/capture-service.js";
import { CapturingBackend } from "../../src/backends/net/capture/capturing-backend.js";
import { MachineCapture } from "../../src/machine/machine-capture.js";
import type { Machine } from "../../src/machine/machine.js";
import type { CaptureView } from "../../src/worker/api.js";
import { FakeNetBackend } from "../support/fake-net-backend.js";

const MiB = 1024 * 1024;
const idle: CaptureView = { running: false, cards: 1, frames: 0, dropped: 0, bytes: 0, limitBytes: 64 * MiB };

describe("the capture control", () => {
  it("offers Start with a card, Stop while running, Download once the file has bytes", () => {
    expect(captureButtons(idle)).toEqual({ start: true, stop: false, download: false });
    expect(captureButtons({ ...idle, cards: 0 })).toEqual({ start: false, stop: false, download: false });
    expect(captureButtons({ ...idle, running: true, bytes: 400 })).toEqual({ start: false, stop: true, download: true });
    expect(captureButtons({ ...idle, bytes: 400 })).toEqual({ start: true, stop: false, download: true });
  });

  it("says what the file holds, its ceiling, and how many frames a full capture left out", () => {
    expect(captureSummary({ ...idle, cards: 0 })).toBe("No network card to capture.");
    expect(captureSummary(idle)).toMatch(/^Capture every frame/);
    expect(captureSummary({ ...idle, running: true, frames: 12, bytes: 2048 })).toBe("Capturing: 12 frames, 2.0 KiB of 64.0 MiB.");
    expect(captureSummary({ ...idle, frames: 900, dropped: 35, bytes: 64 * MiB })).toBe("Stopped: 900 frames, 64.0 MiB of 64.0 MiB; full: 35 frames not recorded.");
  });
});

/** Just what the capture service uses of a machine: its captures, over fake cards. */
function fakeMachine(cards: number): { machine: Machine; taps: CapturingBackend[] } {
  const taps = Array.from({ length: cards }, () => new CapturingBackend(new FakeNetBackend()));
  const capture = new MachineCapture(taps.map((backend, k) => ({ backend, label: "virtio-net", mac: `52:54:00:12:34:5${6 + k}` })), () => 1_700_000_000_000);
  return { machine: { capture } as unknown as Machine, taps };
}

describe("the worker's capture service", () => {
  it("refuses to start without a machine or a card, naming why", () => {
    let current: Machine | undefined;
    const service = captureService(() => current);
    expect(() => service.startCapture()).toThrow("the machine is not running");
    current = fakeMachine(0).machine;
    expect(() => service.startCapture()).toThrow("this machine has no network card");
    expect(service.captureFile()).toBeNull();
  });

  it("captures, stops, and keeps the file after its machine is gone", () => {
    const { machine, taps } = fakeMachine(1);
    let current: Machine | undefined = machine;
    const service = captureService(() => current);
    expect(service.startCapture()).toMatchObject({ running: true, cards: 1, frames: 0, limitBytes: PAGE_CAPTURE_LIMIT_BYTES });
    taps[0]!.receiveFromGuest({ bytes: new Uint8Array(60) });
    taps[0]!.receiveFromGuest({ bytes: new Uint8Array(1600) });
    const during = service.captureStatus();
    expect(during).toMatchObject({ running: true, frames: 2 });
    const stopped = service.stopCapture();
    expect(stopped).toMatchObject({ running: false, frames: 2, dropped: 0 });
    // The statistics block was added at stop.
    expect(stopped.bytes).toBeGreaterThan(during.bytes);
    taps[0]!.receiveFromGuest({ bytes: new Uint8Array(60) });
    expect(service.captureStatus().frames).toBe(2);
    current = undefined;
    const file = service.captureFile();
    expect(file?.length).toBe(stopped.bytes);
    expect(new DataView(file!.buffer).getUint32(0, true)).toBe(0x0a0d0d0a);
    expect(service.captureStatus()).toMatchObject({ running: false, cards: 0, frames: 2 });
  });
});
