// The chain view with decoded buffers, through the driver-side mocks and the real devices:
// a virtio-blk request shows its type and sector before the device serves it (its status
// byte and data buffer stale) and its status after; a virtio-net receive buffer is stale
// while the device has not filled it and decodes as a TCP/IPv4 frame once it has; a queue
// whose device names no format decodes nothing.
import { describe, expect, it } from "vitest";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { VirtioBlk } from "../../src/devices/virtio-blk.js";
import { Inspector } from "../../src/inspect/inspector.js";
import type { ChainView } from "../../src/inspect/types.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";
import type { DeviceInfo } from "../../src/virtio/device-info.js";
import type { DeviceContext, VirtioDevice } from "../../src/virtio/virtio-device.js";
import { EchoDevice, testDeviceInfo } from "../support/echo-device.js";
import { bringUpPacked } from "../support/packed-bring-up.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { netSetup, tcpFrame } from "../support/net-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

const inspectorOf = (memory: ConstructorParameters<typeof Inspector>[1], model: VirtioDeviceModel) =>
  new Inspector({ functions: () => [] }, memory, [{ devfn: 4 << 3, model }]);

const field = (view: ChainView, layer: string, name: string) => view.decoded?.find((l) => l.name === layer)?.fields.find((f) => f.name === name)?.value;

function blkHeader(type: number, sector: number): Uint8Array {
  const h = new DataView(new ArrayBuffer(16));
  h.setUint32(0, type, true);
  h.setBigUint64(8, BigInt(sector), true);
  return new Uint8Array(h.buffer);
}

describe("decoded chains", () => {
  it("shows a virtio-blk read's header while it waits, and its status once served", () => {
    const driver = new MockDriver(4 << 20);
    const model = new VirtioDeviceModel(new VirtioBlk(new CheckedDisk(new MemoryDisk(1024))), driver.memory, testModelOptions());
    const [q] = bringUp(model, driver);
    q!.add([{ read: blkHeader(0, 8) }, { write: 4096 }, { write: 1 }]);
    const inspector = inspectorOf(driver.memory, model);
    const waiting = inspector.describeChain("00:04.0", 0, 0);
    expect(waiting.status).toBe("available");
    expect(waiting.decoded?.map((l) => l.name)).toEqual(["virtio-blk request", "virtio-blk status"]);
    expect(field(waiting, "virtio-blk request", "type")).toBe("0 IN");
    expect(field(waiting, "virtio-blk request", "sector")).toBe("8");
    expect(field(waiting, "virtio-blk request", "byte offset")).toBe("4096 (4 KiB)");
    expect(field(waiting, "virtio-blk request", "data")).toBe("4096 (4 KiB) bytes = 8 sectors");
    expect(field(waiting, "virtio-blk status", "status")).toBe("not written yet");
    expect(waiting.descriptors.map((d) => d.stale === true)).toEqual([false, true, true]);
    // The status layer sits in the last byte of the last descriptor.
    expect(waiting.decoded?.[1]).toMatchObject({ descriptor: 2, offset: 0, length: 1 });

    model.notify(0);
    const served = inspector.describeChain("00:04.0", 0, 0);
    expect(served.status).not.toBe("available");
    expect(field(served, "virtio-blk status", "status")).toBe("0 OK");
    expect(served.descriptors.some((d) => d.stale)).toBe(false);
  });

  it("does not decode a reclaimed chain whose head descriptor now starts a newer chain", () => {
    const driver = new MockDriver(4 << 20);
    const model = new VirtioDeviceModel(new VirtioBlk(new CheckedDisk(new MemoryDisk(1024))), driver.memory, testModelOptions());
    const [q] = bringUp(model, driver);
    const first = q!.add([{ read: blkHeader(4, 0) }, { write: 1 }]);
    model.notify(0);
    q!.takeUsed();
    // The driver puts the same head in a new chain (here the same descriptors, as they are).
    q!.putHead(first);
    q!.publish();
    const inspector = inspectorOf(driver.memory, model);
    const old = inspector.describeChain("00:04.0", 0, 0);
    expect(old.status).toBe("free");
    expect(old.decoded).toEqual([]);
    expect(old.decodeNote).toMatch(/reclaimed this chain and put descriptor \d+ in the newer chain of slot 1/);
    expect(field(inspector.describeChain("00:04.0", 0, 1), "virtio-blk request", "type")).toBe("4 FLUSH");
    // Still so once the newer chain is served and reclaimed in its turn: slot 1 is newer.
    model.notify(0);
    q!.takeUsed();
    expect(inspector.describeChain("00:04.0", 0, 0).decodeNote).toMatch(/newer chain of slot 1/);
    expect(field(inspector.describeChain("00:04.0", 0, 1), "virtio-blk status", "status")).toBe("0 OK");
  });

  it("marks a receive buffer stale until the device fills it, then decodes its frame", () => {
    const { driver, model, net, backend, poll } = netSetup();
    net.postRx(4, 1526);
    const inspector = inspectorOf(driver.memory, model);
    const empty = inspector.describeChain("00:04.0", 0, 0);
    // The card takes receive buffers as soon as they come (held) and fills them when a frame does.
    expect(["available", "held"]).toContain(empty.status);
    expect(empty.descriptors.every((d) => d.stale)).toBe(true);
    expect(empty.decoded).toEqual([]);
    expect(empty.decodeNote).toMatch(/^not decoded: the device has not written a frame here yet/);

    backend.push({ bytes: tcpFrame(100) });
    poll.tick();
    const filled = inspector.describeChain("00:04.0", 0, 0);
    expect(["available", "held"]).not.toContain(filled.status);
    expect(filled.descriptors.some((d) => d.stale)).toBe(false);
    expect(filled.decoded?.map((l) => l.name)).toEqual(["virtio-net header", "Ethernet", "IPv4", "TCP"]);
    expect(field(filled, "IPv4", "src")).toBe("10.0.2.2");
    expect(field(filled, "TCP", "src port")).toBe("80 (HTTP)");
    expect(field(filled, "TCP", "data")).toBe("100 bytes");
    // Used, or free when the ring picture cannot tell (the driver's used_event says nothing yet).
    expect(filled.written).toBe(12 + tcpFrame(100).length);
  });

  it("decodes a transmitted frame from the readable buffers", () => {
    const { driver, model, net } = netSetup();
    net.send(tcpFrame(10), { layout: "separate" });
    const view = inspectorOf(driver.memory, model).describeChain("00:04.0", 1, 0);
    expect(view.decoded?.map((l) => l.name)).toEqual(["virtio-net header", "Ethernet", "IPv4", "TCP"]);
    // Header in its own descriptor, the frame in the next.
    expect(view.decoded?.[1]).toMatchObject({ descriptor: 1, offset: 0, length: 14 });
  });

  it("decodes nothing from a chain it could not follow", () => {
    const driver = new MockDriver(4 << 20);
    const model = new VirtioDeviceModel(new VirtioBlk(new CheckedDisk(new MemoryDisk(1024))), driver.memory, testModelOptions());
    const [q] = bringUp(model, driver);
    q!.writeDesc(0, { addr: 0x9000, len: 16, flags: VIRTQ_DESC_F_NEXT, next: 1 });
    q!.writeDesc(1, { addr: driver.size - 4, len: 16, flags: VIRTQ_DESC_F_WRITE, next: 0 });
    driver.write(0x9000, blkHeader(0, 8));
    q!.putHead(0);
    q!.publish();
    const view = inspectorOf(driver.memory, model).describeChain("00:04.0", 0, 0);
    expect(view.problem).toMatch(/outside guest RAM/);
    expect(view.decoded).toEqual([]);
    expect(view.decodeNote).toMatch(/^not decoded: the chain could not be followed/);
  });

  it("decodes nothing for a device that names no format", () => {
    const driver = new MockDriver(1 << 20);
    const model = new VirtioDeviceModel(new EchoDevice([8]), driver.memory, testModelOptions());
    const [q] = bringUp(model, driver);
    q!.add([{ read: "hello" }, { write: 8 }]);
    const view = inspectorOf(driver.memory, model).describeChain("00:04.0", 0, 0);
    expect(view.decoded).toBeUndefined();
    expect(view.descriptors.some((d) => d.stale)).toBe(false);
  });
});

/** A packed-ring device whose chains hold frames: takes and returns buffers only when told. */
class PackedFrames implements VirtioDevice {
  readonly info: DeviceInfo = { ...testDeviceInfo("virtio-frames", 4, 1), chainFormats: ["net-frame"] };
  readonly features = 0n;
  readonly queueMaxSizes = [4];
  ctx: DeviceContext | undefined;
  readConfig(): number { return 0; }
  writeConfig(): void {}
  activate(ctx: DeviceContext): void { this.ctx = ctx; }
  notify(): void {}
  reset(): void { this.ctx = undefined; }
  stats() { return {}; }
}

describe("decoded chains on a packed ring", () => {
  it("finds a used receive buffer at the address the driver wrote, and not a longer used chain", () => {
    const driver = new MockDriver(1 << 20);
    const device = new PackedFrames();
    const model = new VirtioDeviceModel(device, driver.memory, testModelOptions({ packed: true }));
    const [q] = bringUpPacked(model, driver);
    const inspector = inspectorOf(driver.memory, model);
    // Callbacks on: the driver's event area then says where its unreclaimed used buffers start.
    q!.enableCb();
    q!.add([{ write: 1526 }]);
    q!.add([{ read: "x" }, { write: 64 }]);
    const posted = inspector.describeChain("00:04.0", 0, 0);
    expect(posted.descriptors[0]!.stale).toBe(true);
    const frame = Uint8Array.from([...new Array<number>(12).fill(0), ...tcpFrame(5)]);
    driver.write(posted.descriptors[0]!.addr, frame);
    const queue = device.ctx!.queue(0)!;
    queue.pushUsed(queue.pop()!, frame.length);
    queue.pushUsed(queue.pop()!, 64);
    const used = inspector.describeChain("00:04.0", 0, 0);
    expect(used.status).toBe("used");
    expect(used.decoded?.map((l) => l.name)).toEqual(["virtio-net header", "Ethernet", "IPv4", "TCP"]);
    expect(used.decodeNote).toMatch(/found at the address the driver wrote/);
    expect(used.preview.length).toBe(frame.length);
    const longer = inspector.describeChain("00:04.0", 0, 1);
    expect(longer.status).toBe("used");
    expect(longer.decoded).toEqual([]);
    expect(longer.decodeNote).toMatch(/^not decoded: the used descriptor was written over/);
  });
});
