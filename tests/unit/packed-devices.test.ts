// The device unit tests (console through the machine's devices, rng, blk, net, 9p,
// balloon) run again on packed rings: every device model offers RING_PACKED, and the
// tests' driver (mock-driver.ts's bringUp) takes it whenever the features it accepts
// include it, handing out packed queues that answer the same calls. A test that picks
// its own features without RING_PACKED still gets split rings, as a real driver would.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { VIRTIO_F_RING_PACKED } from "../../src/virtio/features.js";
import { VirtioConsole } from "../../src/devices/virtio-console.js";
import { VirtioRng } from "../../src/devices/virtio-rng.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { PackedQueue } from "../../src/virtio/packed-queue.js";
import { MockDriver } from "../support/mock-driver.js";
import { bringUpPacked } from "../support/packed-bring-up.js";
import { testModelOptions } from "../support/test-interrupt.js";

/**
 * Tests that look at split-ring bytes themselves, not at what the device did: they cannot
 * mean anything on a packed ring (the same behaviour is tested in packed-queue.test.ts).
 */
const SPLIT_ONLY = new Set([
  // Asserts the exact offered set, which now has RING_PACKED too.
  "offers the net features plus VERSION_1, EVENT_IDX and INDIRECT_DESC",
  // Catch the device's write to the split used ring's avail_event / flags (re-check on enable).
  "shared: going idle re-enables kicks, and a tx buffer posted as they come back on is still sent",
  "shared: rx buffers posted as rx kicks come back on are still filled",
  // Reads the chain back through split descriptors' next fields.
  "zeroes a free page report at most ZERO_BYTES_PER_TURN per turn, finishing it at the next tick",
]);
beforeEach((ctx) => {
  if (SPLIT_ONLY.has(ctx.task.name)) ctx.skip();
});

vi.mock("../../src/virtio/device-model.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/virtio/device-model.js")>();
  class PackedOffered extends original.VirtioDeviceModel {
    constructor(...[device, memory, options]: ConstructorParameters<typeof original.VirtioDeviceModel>) {
      super(device, memory, { packed: true, ...options });
    }
  }
  return { ...original, VirtioDeviceModel: PackedOffered };
});

vi.mock("../support/mock-driver.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../support/mock-driver.js")>();
  const { bringUpPacked } = await import("../support/packed-bring-up.js");
  const bringUp: typeof original.bringUp = (model, driver, opts = {}) => {
    const features = opts.features ?? original.readDeviceFeatures(model);
    if (!(features & VIRTIO_F_RING_PACKED)) return original.bringUp(model, driver, opts);
    // Same calls as MockQueue where the device tests use them (packed-mock-driver.ts).
    return bringUpPacked(model, driver, { ...opts, features }) as unknown as ReturnType<typeof original.bringUp>;
  };
  return { ...original, bringUp };
});

await import("./virtio-blk.test.js");
await import("./virtio-net.test.js");
await import("./virtio-net-policy.test.js");
await import("./virtio-9p.test.js");
await import("./virtio-balloon.test.js");
await import("./virtio-pci-function.test.js");
await import("./snapshot.test.js");

describe("virtio-console and virtio-rng on packed rings", () => {
  function running<D extends VirtioConsole | VirtioRng>(device: D) {
    const driver = new MockDriver(4 << 20);
    const model = new VirtioDeviceModel(device, driver.memory, testModelOptions());
    const queues = bringUpPacked(model, driver, { queueSize: 7 });
    expect(model.queue(0)).toBeInstanceOf(PackedQueue);
    return { model, queues };
  }

  it("virtio-rng fills each buffer, lap after lap of an odd-sized ring", () => {
    let asked = 0;
    const { model, queues } = running(new VirtioRng((into) => { into.fill(0x5a); asked += into.length; }));
    const q = queues[0]!;
    for (let i = 0; i < 30; i++) {
      const old = q.publish();
      q.add([{ write: 100 + i }]);
      if (q.needsKick(old)) model.notify(0);
      const [used] = q.takeUsed();
      expect(used!.len).toBe(100 + i);
      expect(used!.data.every((b) => b === 0x5a)).toBe(true);
    }
    expect(asked).toBe(30 * 100 + (29 * 30) / 2);
  });

  it("virtio-console carries output and input both ways", () => {
    const out: string[] = [];
    const console = new VirtioConsole((bytes) => out.push(new TextDecoder().decode(bytes)));
    const { model, queues } = running(console);
    const [rx, tx] = [queues[0]!, queues[1]!];
    for (let i = 0; i < 3; i++) rx.add([{ write: 16 }]);
    model.notify(0);
    console.input(new TextEncoder().encode("ls\n"));
    expect(rx.takeUsed().map((u) => new TextDecoder().decode(u.data))).toEqual(["ls\n"]);
    for (let i = 0; i < 20; i++) {
      tx.add([{ read: `line ${i}` }, { read: "\n" }]);
      model.notify(1);
      expect(tx.takeUsed()).toHaveLength(1);
    }
    expect(out.join("")).toBe(Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join(""));
  });
});
