import { describe, expect, it } from "vitest";
import { CapturingBackend } from "../../src/backends/net/capture/capturing-backend.js";
import { MemoryCaptureSink } from "../../src/backends/net/capture/capture-sink.js";
import { MachineCapture } from "../../src/machine/machine-capture.js";
import { FakeNetBackend } from "../support/fake-net-backend.js";

const frame = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** The if_description strings of a pcapng file (IDB option 3), in order. */
function descriptions(file: Uint8Array): string[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: string[] = [];
  for (let at = 0; at < file.length; at += view.getUint32(at + 4, true)) {
    if (view.getUint32(at, true) !== 1) continue;
    for (let o = at + 16; view.getUint16(o, true) !== 0; o += 4 + ((view.getUint16(o + 2, true) + 3) & ~3)) {
      if (view.getUint16(o, true) === 3) out.push(new TextDecoder().decode(file.subarray(o + 4, o + 4 + view.getUint16(o + 2, true))));
    }
  }
  return out;
}

describe("CapturingBackend", () => {
  it("passes every call through and shows the tap each frame, both ways, with offloads untouched", () => {
    const inner = new FakeNetBackend();
    const tapped = new CapturingBackend(inner);
    const seen: string[] = [];
    tapped.tap = (direction, bytes) => seen.push(`${direction}:${bytes.length}`);
    let ready = 0;
    tapped.onGuestFramesReady(() => ready++);
    tapped.receiveFromGuest({ bytes: frame(9000, 1), offload: { tcpSegmentSize: 1448, partialChecksum: { start: 34, offset: 16 } } });
    inner.push({ bytes: frame(64000, 2), offload: { tcpSegmentSize: 1460, checksumValid: true } });
    const out = tapped.nextForGuest();
    expect(tapped.nextForGuest()).toBeUndefined();
    expect(ready).toBe(1);
    expect(out?.offload).toEqual({ tcpSegmentSize: 1460, checksumValid: true });
    expect(inner.received[0]?.offload?.tcpSegmentSize).toBe(1448);
    // Frames are seen whole, as the guest sees them: no splitting into MTU-sized segments.
    expect(seen).toEqual(["from-guest:9000", "to-guest:64000"]);
    tapped.guestReset();
    expect(inner.guestResets).toBe(1);
    tapped.setGuestCapabilities({ checksumOffload: true, tso4: true, maxFrameBytes: 65550 });
    expect(inner.capabilities?.tso4).toBe(true);
  });

  it("sees nothing while no tap is set", () => {
    const inner = new FakeNetBackend();
    const tapped = new CapturingBackend(inner);
    tapped.receiveFromGuest({ bytes: frame(60, 1) });
    expect(inner.received.length).toBe(1);
  });
});

describe("MachineCapture", () => {
  it("captures every card as its own interface, and stops tapping at stop", () => {
    const cards = [0, 1].map((k) => ({ backend: new CapturingBackend(new FakeNetBackend()), label: k ? "net2" : "virtio-net", mac: `52:54:00:12:34:5${6 + k}` }));
    const capture = new MachineCapture(cards, () => 1_700_000_000_000);
    expect(capture.running).toBe(false);
    const sink = new MemoryCaptureSink(1 << 20);
    capture.start(sink);
    expect(capture.running).toBe(true);
    cards[0]!.backend.receiveFromGuest({ bytes: frame(60, 1) });
    cards[1]!.backend.receiveFromGuest({ bytes: frame(70, 1) });
    cards[1]!.backend.receiveFromGuest({ bytes: frame(70, 1) });
    const counts = capture.stop();
    expect(counts?.interfaces.map((i) => i.recorded)).toEqual([1, 2]);
    cards[0]!.backend.receiveFromGuest({ bytes: frame(60, 1) });
    expect(cards[0]!.backend.tap).toBeUndefined();
    expect(capture.stop()).toBeUndefined();
    const [eth0, eth1] = descriptions(sink.bytes());
    expect(eth0).toMatch(/^ringside virtio-net eth0: frames as the guest sees them; TSO\/GSO segments appear unsplit, larger than the MTU/);
    expect(eth1).toMatch(/^ringside net2 eth1:/);
  });

  it("a second start ends the first capture", () => {
    const cards = [{ backend: new CapturingBackend(new FakeNetBackend()), label: "virtio-net", mac: "52:54:00:12:34:56" }];
    const capture = new MachineCapture(cards, () => 0);
    const first = capture.start(new MemoryCaptureSink(1 << 20));
    const second = capture.start(new MemoryCaptureSink(1 << 20));
    cards[0]!.backend.receiveFromGuest({ bytes: frame(60, 1) });
    expect(first.summary()).toMatchObject({ running: false, seen: 0 });
    expect(second.summary()).toMatchObject({ running: true, seen: 1 });
  });
});
