// What one chain may cost the host, device by device (the rule in work-budget.ts): the
// guest sizes its buffers, the device bounds what it does with them. Each case builds the
// hostile chain cheaply (one indirect table repeating a small buffer) and checks both the
// answer the guest gets and that the host's work stayed within the device's constant.
import { describe, expect, it } from "vitest";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_VERSION_1 } from "../../src/virtio/features.js";
import { RNG_CHAIN_BYTES, VirtioRng } from "../../src/devices/virtio-rng.js";
import { CONSOLE_TX_CHAIN_BYTES, immediateSink, VirtioConsole } from "../../src/devices/virtio-console.js";
import {
  BLK_MAX_REQUEST_BYTES, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_IN, VirtioBlk,
} from "../../src/devices/virtio-blk.js";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { MAX_INDIRECT_ENTRIES } from "../../src/virtio/split-descriptors.js";
import type { VirtioDevice } from "../../src/virtio/virtio-device.js";
import { repeatedIndirectTable } from "../support/hostile-chains.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

const FEATURES = VIRTIO_F_VERSION_1 | VIRTIO_F_RING_INDIRECT_DESC;

function running(device: VirtioDevice) {
  const driver = new MockDriver(8 << 20);
  const logs: string[] = [];
  const model = new VirtioDeviceModel(device, driver.memory, testModelOptions({ log: (m) => logs.push(m) }));
  const queues = bringUp(model, driver, { features: FEATURES });
  return { driver, model, queues, logs };
}

/** The buffer a repeated table's entries all point at (entry 1 of the table behind head 0). */
function sharedBuffer(driver: MockDriver, descAddr: number): number {
  return driver.memory.read32(driver.memory.read32(descAddr) + 16);
}

function blkHeader(type: number, sector = 0): Uint8Array {
  const h = new DataView(new ArrayBuffer(16));
  h.setUint32(0, type, true);
  h.setBigUint64(8, BigInt(sector), true);
  return new Uint8Array(h.buffer);
}

describe("one chain's cost is bounded by the device, not by the guest", () => {
  it("virtio-rng fills at most RNG_CHAIN_BYTES of a 4 GiB buffer, and says so in used.len", () => {
    let asked = 0;
    const { model, queues } = running(new VirtioRng((into) => (asked += into.length)));
    const q = queues[0]!;
    // 32,767 entries of 128 KiB: 4 GiB less 128 KiB (the spec's limit for a chain) of
    // writable space, described by 512 KiB of table.
    repeatedIndirectTable(q, { entryLen: 128 * 1024, entries: MAX_INDIRECT_ENTRIES - 1, writable: true })(0);
    model.notify(0);
    expect(q.usedElem(0)).toEqual({ id: 0, len: RNG_CHAIN_BYTES });
    expect(asked).toBe(RNG_CHAIN_BYTES);
    expect(model.view().work.maxBytesPerTurn).toBe(RNG_CHAIN_BYTES);
  });

  it("virtio-console writes out only the first CONSOLE_TX_CHAIN_BYTES of a huge transmit chain, logs it, and carries on", () => {
    const out: Uint8Array[] = [];
    const { model, queues, logs, driver } = running(new VirtioConsole((bytes) => out.push(bytes.slice())));
    const tx = queues[1]!;
    // 32,768 x 16 KiB readable: 512 MiB in one chain.
    repeatedIndirectTable(tx, { entryLen: 16 * 1024, entries: MAX_INDIRECT_ENTRIES, writable: false })(0);
    model.notify(1);
    expect(out.reduce((n, b) => n + b.length, 0)).toBe(CONSOLE_TX_CHAIN_BYTES);
    expect(logs).toContain(`virtio-console: transmit chain of ${512 * 1024 * 1024} bytes is longer than ${CONSOLE_TX_CHAIN_BYTES}: only the first ${CONSOLE_TX_CHAIN_BYTES} were written out`);
    expect(tx.usedIdx).toBe(1);
    expect(model.active).toBe(true);
    // An ordinary write still comes through whole.
    out.length = 0;
    tx.add([{ read: "hello" }]);
    model.notify(1);
    expect(new TextDecoder().decode(out[0])).toBe("hello");
    void driver;
  });

  it("virtio-console leaves transmit buffers in the ring while its sink is behind, and takes them when it catches up", () => {
    const out: string[] = [];
    const sink = { ...immediateSink((b) => out.push(new TextDecoder().decode(b))), ready: false };
    const console = new VirtioConsole(sink);
    const { model, queues } = running(console);
    const tx = queues[1]!;
    tx.add([{ read: "one" }]);
    tx.add([{ read: "two" }]);
    model.notify(1);
    expect(out).toEqual([]);
    expect(tx.usedIdx).toBe(0);
    sink.ready = true;
    console.outputReady();
    expect(out).toEqual(["one", "two"]);
    expect(tx.usedIdx).toBe(2);
  });

  it("virtio-blk answers an unknown request type with UNSUPP without touching the gigabytes before the status byte", () => {
    const { model, queues, driver } = running(new VirtioBlk(new CheckedDisk(new MemoryDisk(64))));
    const q = queues[0]!;
    // Header, then 32,767 x 128 KiB writable (4 GiB) over one 128 KiB buffer holding 0xa5.
    const post = repeatedIndirectTable(q, { prefix: blkHeader(0x7777), entryLen: 128 * 1024, entries: MAX_INDIRECT_ENTRIES - 1, writable: true });
    post(0);
    const bytesBefore = model.view().work.maxBytesPerTurn;
    // A pattern in the shared buffer must survive, all but its last byte (the status).
    const buffer = sharedBuffer(driver, q.descAddr);
    driver.bytes.fill(0xa5, buffer, buffer + 128 * 1024);
    model.notify(0);
    const used = q.usedElem(0);
    expect(used.len).toBe((MAX_INDIRECT_ENTRIES - 1) * 128 * 1024);
    expect(driver.bytes[buffer + 128 * 1024 - 1]).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(driver.bytes.subarray(buffer, buffer + 128 * 1024 - 1).every((b) => b === 0xa5)).toBe(true);
    expect(model.view().work.maxBytesPerTurn - bytesBefore).toBeLessThanOrEqual(16 + 1);
  });

  it("virtio-blk refuses with IOERR a read larger than BLK_MAX_REQUEST_BYTES, moving no data", () => {
    const disk = new CheckedDisk(new MemoryDisk(64 * 1024)); // 32 MiB, so the request is inside the disk
    const { model, queues, driver, logs } = running(new VirtioBlk(disk));
    const q = queues[0]!;
    const entries = (BLK_MAX_REQUEST_BYTES * 2) / (64 * 1024);
    repeatedIndirectTable(q, { prefix: blkHeader(VIRTIO_BLK_T_IN), entryLen: 64 * 1024, entries: entries + 1, writable: true })(0);
    model.notify(0);
    expect(disk.counters.bytesRead).toBe(0);
    const used = q.usedElem(0);
    expect(used.len).toBe((entries + 1) * 64 * 1024);
    expect(driver.bytes[sharedBuffer(driver, q.descAddr) + 64 * 1024 - 1]).toBe(VIRTIO_BLK_S_IOERR);
    expect(logs.some((l) => l.includes(`more than the ${BLK_MAX_REQUEST_BYTES} one request may move`))).toBe(true);
    expect(model.active).toBe(true);
    expect(model.view().work.maxBytesPerTurn).toBeLessThanOrEqual(17);
  });
});
