// Snapshot pieces without a guest: a device model saved with buffers held by its device
// and restored into a fresh model over the same guest RAM; the state file's format and
// its refusals; a disk's contents; the machine state's header checks.
import { describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { deviceModelStateData, readDeviceModelState } from "../../src/virtio/device-model-state.js";
import type { DeviceContext, VirtioDevice } from "../../src/virtio/virtio-device.js";
import type { DescriptorChain } from "../../src/virtio/queue-types.js";
import { StateReader } from "../../src/snapshot/state-reader.js";
import { decodeStateFile, encodeStateFile, StateFileError } from "../../src/snapshot/state-file.js";
import { readDiskState, restoreDisk, saveDisk } from "../../src/backends/disk-state.js";
import { readMachineState, STATE_FORMAT, STATE_VERSION } from "../../src/machine/machine-state.js";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { V86_PINNED_VERSION } from "../../src/v86/internals.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";
import { testDeviceInfo } from "../support/echo-device.js";

/** Takes every buffer it is given and completes them later, in order, with their length doubled as data. */
class HoldingDevice implements VirtioDevice {
  readonly info = testDeviceInfo("virtio-holder", 0, 1);
  readonly queueMaxSizes = [8];
  readonly features = 0n;
  held: DescriptorChain[] = [];
  ctx: DeviceContext | undefined;
  readConfig(): number { return 0; }
  writeConfig(): void {}
  activate(ctx: DeviceContext): void { this.ctx = ctx; }
  notify(index: number): void {
    const q = this.ctx?.queue(index);
    for (let c = q?.pop(); c; c = q?.pop()) this.held.push(c);
  }
  reset(): void { this.ctx = undefined; this.held = []; }
  stats() { return { held: this.held.length }; }
  /** Completes the oldest `n` (or the ones at `order`), writing "done-<head>". */
  complete(order: number[]): void {
    const q = this.ctx!.queue(0)!;
    for (const i of order) {
      const c = this.held[i]!;
      const w = c.writer();
      w.write(new TextEncoder().encode(`done-${c.head}`));
      q.pushUsed(c, w.written);
    }
    this.held = this.held.filter((_, i) => !order.includes(i));
    this.ctx!.signalUsed(0);
  }
}

/** What a state file would do to plain data: bytes kept, everything else through JSON. */
async function throughFile(data: Parameters<typeof encodeStateFile>[0]): Promise<StateReader> {
  return new StateReader(await decodeStateFile(await encodeStateFile(data)), "", "test state");
}

function setup() {
  const driver = new MockDriver(0x10000);
  const device = new HoldingDevice();
  const model = new VirtioDeviceModel(device, driver.memory, testModelOptions());
  const [queue] = bringUp(model, driver);
  return { driver, device, model, queue: queue! };
}

describe("device model snapshots", () => {
  it("buffers the device held are taken again after a restore, and finish in order with the right data", async () => {
    const { driver, device, model, queue } = setup();
    void driver;
    const heads = [0, 1, 2].map(() => queue.add([{ write: 16 }]));
    model.notify(0);
    expect(device.held.map((c) => c.head)).toEqual(heads);
    device.complete([0]);
    expect(queue.takeUsed().map((u) => u.head)).toEqual([heads[0]]);
    const saved = await throughFile(deviceModelStateData(model.saveState()));

    const fresh = new HoldingDevice();
    const restored = new VirtioDeviceModel(fresh, driver.memory, testModelOptions());
    restored.restoreState(readDeviceModelState(saved, 1));
    // The restored device looked at its queue once and took the two it had been holding.
    expect(fresh.held.map((c) => c.head)).toEqual(heads.slice(1));
    expect(queue.usedIdx).toBe(1);
    fresh.complete([0, 1]);
    const used = queue.takeUsed();
    expect(used.map((u) => u.head)).toEqual(heads.slice(1));
    expect(used.map((u) => new TextDecoder().decode(u.data))).toEqual(heads.slice(1).map((h) => `done-${h}`));
    expect(restored.view().queues[0]!.ring!.counters.buffers).toBe(3);
    expect(restored.status).toBe(model.status);
    // A buffer made available after the restore is taken as usual.
    const late = queue.add([{ write: 8 }]);
    restored.notify(0);
    expect(fresh.held.map((c) => c.head)).toEqual([late]);
  });

  it("puts used.idx back in guest memory (a fresh ring starts at 0; the driver's does not)", async () => {
    const { driver, device, model, queue } = setup();
    for (let i = 0; i < 5; i++) queue.add([{ write: 4 }]);
    model.notify(0);
    device.complete([0, 1, 2, 3, 4]);
    queue.takeUsed();
    const saved = await throughFile(deviceModelStateData(model.saveState()));
    new VirtioDeviceModel(new HoldingDevice(), driver.memory, testModelOptions()).restoreState(readDeviceModelState(saved, 1));
    expect(queue.usedIdx).toBe(5);
  });

  it("refuses to save buffers held out of ring order, and a state made for another device", async () => {
    const { device, model, queue } = setup();
    queue.add([{ write: 4 }]);
    queue.add([{ write: 4 }]);
    model.notify(0);
    device.complete([1]);
    expect(() => model.saveState()).toThrow(/out of ring order/);
    device.complete([0]);
    const saved = await throughFile(deviceModelStateData(model.saveState()));
    const target = new VirtioDeviceModel(Object.assign(new HoldingDevice(), { info: testDeviceInfo("virtio-other", 0, 1) }), setup().driver.memory, testModelOptions());
    expect(() => target.restoreState(readDeviceModelState(saved, 1))).toThrow(/state is for virtio-holder, not virtio-other/);
  });

  it("names the bad field of a damaged device state", () => {
    const good = deviceModelStateData(setup().model.saveState()) as Record<string, unknown>;
    const bad = new StateReader({ ...good, driverFeatures: "lots" }, "", "device state");
    expect(() => readDeviceModelState(bad, 1)).toThrow(/device state: driverFeatures must be a hex feature mask/);
    expect(() => readDeviceModelState(new StateReader(good, "", "device state"), 2)).toThrow(/queues must be an array of 2 queues/);
  });
});

describe("state files", () => {
  it("round-trips plain data with byte arrays and keeps them binary", async () => {
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
    const back = (await decodeStateFile(await encodeStateFile({ a: 1, b: ["x", null, true], c: bytes, d: { e: new Uint8Array(0) } }))) as Record<string, unknown>;
    expect(back["a"]).toBe(1);
    expect(back["b"]).toEqual(["x", null, true]);
    expect(Buffer.from(back["c"] as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    expect((back["d"] as { e: Uint8Array }).e.length).toBe(0);
  });

  it("refuses what is not a state file, a damaged one, and one with bytes it does not describe", async () => {
    await expect(decodeStateFile(new TextEncoder().encode("hello"))).rejects.toThrow(StateFileError);
    await expect(decodeStateFile(new TextEncoder().encode("hello"))).rejects.toThrow(/not gzip-compressed/);
    await expect(decodeStateFile(gzipSync("PK\u0003\u0004 a zip, say"))).rejects.toThrow(/first line is not RINGSIDE-STATE/);
    const good = await encodeStateFile({ blob: new Uint8Array(100) });
    await expect(decodeStateFile(good.subarray(0, good.length - 10))).rejects.toThrow(/damaged/);
    const raw = Buffer.concat([Buffer.from("RINGSIDE-STATE\n"), Buffer.from([2, 0, 0, 0]), Buffer.from("{}"), Buffer.from("extra")]);
    await expect(decodeStateFile(gzipSync(raw))).rejects.toThrow(/5 bytes more than its header describes/);
    const lying = Buffer.concat([Buffer.from("RINGSIDE-STATE\n"), Buffer.from([0xff, 0xff, 0, 0]), Buffer.from("{}")]);
    await expect(decodeStateFile(gzipSync(lying))).rejects.toThrow(/header runs past the end/);
  });
});

describe("disk state", () => {
  it("keeps the chunks that hold data, and restoring writes zeros over whatever the target held elsewhere", () => {
    const sectors = 4096; // 2 MiB
    const source = new CheckedDisk(new MemoryDisk(sectors));
    const data = Uint8Array.from({ length: 4096 }, (_, i) => (i % 251) + 1);
    source.write(1000, data);
    source.write(4000, data.subarray(0, 512));
    const state = saveDisk(source);
    expect(state.chunks.length).toBe(2);
    expect(state.data.length).toBe(2 * 64 * 1024);
    const target = new CheckedDisk(new MemoryDisk(sectors));
    target.write(2000, new Uint8Array(512).fill(9));
    restoreDisk(target, readDiskState(new StateReader({ ...state }, "", "disk"), target));
    const all = (d: CheckedDisk) => {
      const out = new Uint8Array(sectors * 512);
      d.read(0, out);
      return Buffer.from(out);
    };
    expect(all(target).equals(all(source))).toBe(true);
  });

  it("refuses a disk of another size, naming it", () => {
    const state = saveDisk(new CheckedDisk(new MemoryDisk(2048)));
    expect(() => readDiskState(new StateReader({ ...state }, "", "machine state"), new CheckedDisk(new MemoryDisk(4096)))).toThrow(
      /machine state: sectorCount must be 4096, the size of this machine's disk/,
    );
  });
});

describe("machine state header", () => {
  const machine = { version: 1, memoryMiB: 256, cmdline: "", devices: [{ type: "virtio-console", transport: { kind: "pci", slot: 3 } }] };
  const header = {
    format: STATE_FORMAT, version: STATE_VERSION, savedAt: "now", v86Version: V86_PINNED_VERSION, v86ClockMs: 5, machine, diskSectors: [], networksSaved: [],
  };
  const state = (h: Record<string, unknown>) => ({ header: h, v86: new Uint8Array(4), devices: [], networks: [], disks: [] });

  it("reads a good header and refuses another format, version or v86 with a message that says so", () => {
    expect(readMachineState(state(header)).header.machine.devices.map((d) => d.type)).toEqual(["virtio-console"]);
    expect(() => readMachineState(state({ ...header, format: "something" }))).toThrow(/this is not a ringside machine state/);
    expect(() => readMachineState(state({ ...header, version: 1 }))).toThrow(/header.version must be 2: this ringside reads version 2 only/);
    expect(() => readMachineState(state({ ...header, v86Version: "0.1.0" }))).toThrow(/saved with v86 0.1.0/);
    expect(() => readMachineState(state({ ...header, machine: { ...machine, memoryMiB: "lots" } }))).toThrow(/header.machine: memoryMiB must be an integer/);
    expect(() => readMachineState(state({ ...header, diskSectors: [1] }))).toThrow(/header.diskSectors must be one size per disk/);
    expect(() => readMachineState([1, 2])).toThrow(/machine state: .*must be an object/);
  });
});
