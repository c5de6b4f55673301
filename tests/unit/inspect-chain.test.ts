// describeChain over the driver-side mock: direct and indirect chains with their preview
// bytes, and hostile rings (loops, addresses outside RAM, bad heads) that must give a
// ChainView with a problem, never an exception, and never change the device or memory.
import { describe, expect, it } from "vitest";
import { Inspector } from "../../src/inspect/inspector.js";
import { MAX_DESCRIPTORS } from "../../src/inspect/chain-view.js";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from "../../src/virtio/split-descriptors.js";
import { EchoDevice } from "../support/echo-device.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

const ADDRESS = "00:04.0";

function setup(size = 8) {
  const driver = new MockDriver(1 << 20);
  const device = new EchoDevice([size]);
  const model = new VirtioDeviceModel(device, driver.memory, testModelOptions());
  const [q] = bringUp(model, driver);
  const inspector = new Inspector({ functions: () => [] }, driver.memory, [{ devfn: 4 << 3, model }]);
  const chain = (slot: number, queue = 0) => inspector.describeChain(ADDRESS, queue, slot);
  return { driver, device, model, q: q!, inspector, chain };
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe("describeChain", () => {
  it("follows a direct chain and previews its first buffer", () => {
    const { q, chain } = setup();
    const data = bytes(300);
    const head = q.add([{ read: data }, { read: "second" }, { write: 64 }]);
    const view = chain(0);
    expect(view.problem).toBeUndefined();
    expect(view.device).toBe("virtio-echo");
    expect(view.head).toBe(head);
    expect(view.status).toBe("available");
    expect(view.descriptors.map((d) => d.flagNames.join("|"))).toEqual(["NEXT", "NEXT", "WRITE"]);
    expect(view.descriptors.map((d) => d.len)).toEqual([300, 6, 64]);
    expect(view.descriptors.every((d) => !d.indirect)).toBe(true);
    expect(view.descriptors[0]!.index).toBe(head);
    expect(view.preview).toEqual(Array.from(data.subarray(0, 256)));
  });

  it("follows an indirect table", () => {
    const { q, chain } = setup();
    q.add([{ read: "hello, ring" }, { write: 32 }], { indirect: true });
    const view = chain(0);
    expect(view.problem).toBeUndefined();
    expect(view.descriptors.map((d) => [d.flagNames.join("|"), d.indirect])).toEqual([["INDIRECT", false], ["NEXT", true], ["WRITE", true]]);
    expect(view.descriptors[0]!.len).toBe(32);
    expect(new TextDecoder().decode(Uint8Array.from(view.preview))).toBe("hello, ring");
  });

  it("reports a descriptor loop without throwing", () => {
    const { q, chain } = setup();
    q.writeDesc(0, { addr: 0x9000, len: 8, flags: VIRTQ_DESC_F_NEXT, next: 1 });
    q.writeDesc(1, { addr: 0x9100, len: 8, flags: VIRTQ_DESC_F_NEXT, next: 0 });
    q.putHead(0);
    q.publish();
    const view = chain(0);
    expect(view.problem).toMatch(/descriptor loop/);
    expect(view.descriptors.map((d) => d.index)).toEqual([0, 1]);
    expect(view.preview.length).toBe(8);
  });

  it("reports a loop inside an indirect table", () => {
    const { q, driver, chain } = setup();
    const table = driver.alloc(32, 16);
    q.writeDesc(0, { addr: 0x9000, len: 8, flags: VIRTQ_DESC_F_NEXT, next: 1 }, table);
    q.writeDesc(1, { addr: 0x9000, len: 8, flags: VIRTQ_DESC_F_NEXT, next: 0 }, table);
    q.writeDesc(0, { addr: table, len: 32, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
    q.putHead(0);
    q.publish();
    expect(chain(0).problem).toMatch(/descriptor loop: entry 0 of the indirect table/);
  });

  it("reports buffers and tables outside RAM, huge addresses and bad heads", () => {
    const { q, driver, chain } = setup();
    q.writeDesc(0, { addr: driver.size - 4, len: 16, flags: VIRTQ_DESC_F_WRITE, next: 0 });
    q.writeDesc(1, { addr: 2 ** 40, len: 16, flags: 0, next: 0 });
    q.writeDesc(2, { addr: 0x7fff_0000, len: 64, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
    q.writeDesc(3, { addr: 0x9000, len: 8, flags: VIRTQ_DESC_F_NEXT, next: 200 });
    for (const head of [0, 1, 2, 3, 999]) q.putHead(head);
    q.publish();
    const views = [0, 1, 2, 3, 4].map((slot) => chain(slot));
    expect(views[0]!.problem).toMatch(/descriptor 0: buffer 0xffffc\+16 is outside guest RAM/);
    expect(views[0]!.descriptors.length).toBe(1);
    expect(views[0]!.preview).toEqual([]);
    expect(views[1]!.problem).toMatch(/buffer 0x10000000000\+16 is outside guest RAM/);
    expect(views[2]!.problem).toMatch(/indirect table of descriptor 2: 0x7fff0000\+64 is outside guest RAM/);
    expect(views[3]!.problem).toMatch(/next 200 is outside the queue/);
    expect(views[4]!.problem).toMatch(/names head 999, outside the queue/);
    expect(views[4]!.head).toBe(999);
  });

  it("bounds a long indirect chain and answers bad requests with a problem", () => {
    const { q, driver, chain, inspector } = setup();
    const entries = MAX_DESCRIPTORS + 10;
    const table = driver.alloc(16 * entries, 16);
    for (let i = 0; i < entries; i++) q.writeDesc(i, { addr: 0x9000, len: 4, flags: i + 1 < entries ? VIRTQ_DESC_F_NEXT : 0, next: i + 1 }, table);
    q.writeDesc(0, { addr: table, len: 16 * entries, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
    q.putHead(0);
    q.publish();
    const view = chain(0);
    expect(view.problem).toMatch(/longer than 1024 descriptors/);
    expect(view.descriptors.length).toBe(MAX_DESCRIPTORS);
    expect(chain(8).problem).toMatch(/slot 8 is outside the ring/);
    expect(chain(-1).problem).toMatch(/outside the ring/);
    expect(chain(0, 5).problem).toMatch(/queue 5 is not live/);
    expect(inspector.describeChain("00:09.0", 0, 0).problem).toMatch(/no virtio device at 00:09.0/);
  });

  it("changes nothing: not guest memory, not the device's ring state", () => {
    const { q, driver, model, device, chain } = setup();
    q.add([{ read: "abc" }, { write: 8 }]);
    q.add([{ read: "def" }, { write: 8 }], { indirect: true });
    const memoryBefore = driver.bytes.slice();
    const ringBefore = model.view().queues[0]!.ring;
    for (let slot = 0; slot < 8; slot++) chain(slot);
    expect(Buffer.compare(driver.bytes, memoryBefore)).toBe(0); // (toEqual on 1 MiB takes seconds)
    expect(model.view().queues[0]!.ring).toEqual(ringBefore);
    // The device still finds both chains.
    model.notify(0);
    expect(device.notifies).toEqual([0]);
    expect(q.takeUsed().map((u) => new TextDecoder().decode(u.data))).toEqual(["abc", "def"]);
  });

  it("gives the slot's state: used until the driver has looked past it, then free", () => {
    const { q, model, chain } = setup();
    q.add([{ read: "x" }, { write: 1 }]);
    q.add([{ read: "y" }, { write: 1 }]);
    expect(chain(1).status).toBe("available");
    model.notify(0); // the echo device returns both at once
    q.usedEvent = 1; // the driver took the first (Linux's get_buf writes its last_used_idx)
    expect([chain(0).status, chain(1).status]).toEqual(["free", "used"]);
    expect(chain(1).descriptors.length).toBe(2); // a used slot still shows what the ring holds
    q.takeUsed();
    q.usedEvent = 2;
    expect(chain(1).status).toBe("free");
  });
});
