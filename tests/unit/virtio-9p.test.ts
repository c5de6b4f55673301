import { describe, expect, it } from "vitest";
import { RecordingInterrupt, testModelOptions } from "../support/test-interrupt.js";
import { bringUp, MockDriver, readDeviceFeatures } from "../support/mock-driver.js";
import { VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";
import { STATUS_DEVICE_NEEDS_RESET } from "../../src/virtio/features.js";
import { REQUESTS_PER_TURN, Virtio9p, type NinepService } from "../../src/devices/virtio-9p.js";
import { NinepServer } from "../../src/backends/9p/ninep-server.js";
import { MemoryFs } from "../../src/backends/9p/memory-fs.js";

const TVERSION = 100;
const RVERSION = 101;
const RLERROR = 7;
const EMSGSIZE = 90;
const VIRTIO_9P_MOUNT_TAG = 1n;

/** A T-message: size[4] type[1] tag[2] body. */
function message(type: number, tag: number, body: Uint8Array = new Uint8Array()): Uint8Array {
  const m = new Uint8Array(7 + body.length);
  const v = new DataView(m.buffer);
  v.setUint32(0, m.length, true);
  m[4] = type;
  v.setUint16(5, tag, true);
  m.set(body, 7);
  return m;
}

function tversion(tag: number, msize: number): Uint8Array {
  const version = new TextEncoder().encode("9P2000.L");
  const body = new Uint8Array(6 + version.length);
  const v = new DataView(body.buffer);
  v.setUint32(0, msize, true);
  v.setUint16(4, version.length, true);
  body.set(version, 6);
  return message(TVERSION, tag, body);
}

/** A service that answers each request with a reply of `replyBytes` bytes echoing its tag, or later. */
class ScriptedService implements NinepService {
  readonly seen: { tag: number; room: number }[] = [];
  resets = 0;
  pending: ((reply: Uint8Array) => void)[] = [];
  constructor(private readonly mode: { replyBytes?: number; async?: boolean } = {}) {}
  handle(request: Uint8Array, replyRoom: number): Uint8Array | Promise<Uint8Array> {
    const tag = request[5]! | (request[6]! << 8);
    this.seen.push({ tag, room: replyRoom });
    const reply = message(request[4]! + 1, tag, new Uint8Array((this.mode.replyBytes ?? 11) - 7));
    if (!this.mode.async) return reply;
    return new Promise((resolve) => this.pending.push(() => resolve(reply)));
  }
  reset(): void {
    this.resets++;
  }
}

function setup(service: NinepService, tag = "host") {
  const driver = new MockDriver(1 << 20);
  const ticks = new ManualPollSource();
  // 256 slots: more two-buffer requests than one turn serves fit at once.
  const device = new Virtio9p(service, tag, ticks, 256);
  const interrupts: InterruptKind[] = [];
  const logs: string[] = [];
  const model = new VirtioDeviceModel(device, driver.memory, testModelOptions({ interrupt: new RecordingInterrupt(interrupts), log: (m) => logs.push(m), ticks }));
  const offered = readDeviceFeatures(model);
  const [queue] = bringUp(model, driver);
  return { driver, ticks, device, model, queue: queue!, interrupts, logs, offered };
}

describe("virtio-9p device", () => {
  it("offers its mount tag in config space, length first", () => {
    const { offered, model } = setup(new ScriptedService(), "work.2");
    expect(offered & VIRTIO_9P_MOUNT_TAG).toBe(VIRTIO_9P_MOUNT_TAG);
    expect(model.readConfig(0, 2)).toBe(6);
    const tag = Array.from({ length: 6 }, (_, i) => String.fromCharCode(model.readConfig(2 + i, 1))).join("");
    expect(tag).toBe("work.2");
  });

  it("carries a real Tversion to the server and its Rversion back", () => {
    const { queue, model, device } = setup(new NinepServer(new MemoryFs()));
    queue.add([{ read: tversion(0xffff, 65536) }, { write: 256 }]);
    model.notify(0);
    const [used] = queue.takeUsed();
    expect(used?.data[4]).toBe(RVERSION);
    expect(new DataView(used!.data.buffer).getUint32(7, true)).toBe(65536);
    expect(device.stats()).toMatchObject({ requests: 1, errors: 0, byType: { Tversion: 1 } });
  });

  it("serves in ring order, REQUESTS_PER_TURN at a time, the rest at the next tick", () => {
    const service = new ScriptedService();
    const { queue, model, ticks } = setup(service);
    const n = REQUESTS_PER_TURN + 6;
    for (let i = 0; i < n; i++) queue.add([{ read: message(TVERSION, i) }, { write: 64 }]);
    model.notify(0);
    expect(queue.takeUsed()).toHaveLength(REQUESTS_PER_TURN);
    ticks.tick();
    expect(queue.takeUsed()).toHaveLength(6);
    expect(service.seen.map((s) => s.tag)).toEqual(Array.from({ length: n }, (_, i) => i));
    // The server is told how much room the guest gave for the reply.
    expect(service.seen[0]!.room).toBe(64);
  });

  it("answers EMSGSIZE when a reply does not fit the guest's buffer, and keeps serving", () => {
    const { queue, model, device, logs } = setup(new ScriptedService({ replyBytes: 100 }));
    queue.add([{ read: message(TVERSION, 3) }, { write: 40 }]);
    queue.add([{ read: message(TVERSION, 4) }, { write: 200 }]);
    model.notify(0);
    const [small, big] = queue.takeUsed();
    expect(small?.data[4]).toBe(RLERROR);
    expect(new DataView(small!.data.buffer).getUint32(7, true)).toBe(EMSGSIZE);
    expect(big?.len).toBe(100);
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBe(0);
    expect(device.stats().errors).toBe(1);
    expect(logs.join("\n")).toMatch(/a reply of 100 bytes does not fit the 40 bytes/);
  });

  it.each([
    ["a request shorter than a 9P header", [{ read: new Uint8Array(5) }, { write: 64 }], /a request of 5 bytes is shorter than a 9P header/],
    ["no room for even an error reply", [{ read: message(TVERSION, 1) }, { write: 8 }], /8 bytes of room for its reply/],
  ] as const)("fails the device on %s, naming it", (_, parts, reason) => {
    const service = new ScriptedService();
    const { queue, model, logs } = setup(service);
    queue.add([...parts]);
    model.notify(0);
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
    expect(logs.join("\n")).toMatch(reason);
    expect(service.seen).toHaveLength(0);
  });

  it("holds one asynchronous request at a time, in order; settle waits for it; a reset drops it", async () => {
    const service = new ScriptedService({ async: true });
    const { queue, model, device } = setup(service);
    queue.add([{ read: message(TVERSION, 1) }, { write: 64 }]);
    queue.add([{ read: message(TVERSION, 2) }, { write: 64 }]);
    model.notify(0);
    expect(service.seen.map((s) => s.tag)).toEqual([1]);
    expect(device.stats().inFlight).toBe(true);
    expect(() => device.saveState()).toThrow(/in flight/);
    const settled = device.settle();
    service.pending.shift()!(new Uint8Array());
    await Promise.resolve();
    await Promise.resolve();
    // The first reply is on the used ring and the second request went to the server.
    expect(queue.takeUsed().map((u) => u.head)).toHaveLength(1);
    expect(service.seen.map((s) => s.tag)).toEqual([1, 2]);
    service.pending.shift()!(new Uint8Array());
    await settled;
    expect(queue.takeUsed()).toHaveLength(1);
    expect(device.stats().inFlight).toBe(false);

    queue.add([{ read: message(TVERSION, 3) }, { write: 64 }]);
    model.notify(0);
    model.reset();
    expect(service.resets).toBeGreaterThan(0);
    service.pending.shift()!(new Uint8Array());
    await device.settle();
    await Promise.resolve();
    // The reply after the reset went nowhere.
    expect(queue.takeUsed()).toHaveLength(0);
  });
});
