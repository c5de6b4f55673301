// The virtio-pci transport over a device model, driven through its configuration space
// and BAR the way Linux's virtio_pci_modern does (and the way v86 delivers MMIO: 16-bit
// accesses as two byte accesses).
import { describe, expect, it } from "vitest";
import { VirtioPciFunction } from "../../src/virtio-pci/virtio-pci-function.js";
import { VirtioConsole } from "../../src/devices/virtio-console.js";
import { VirtioRng } from "../../src/devices/virtio-rng.js";
import { COMMON_OFFSET, ISR_OFFSET, NOTIFY_OFFSET } from "../../src/virtio-pci/layout.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import type { VirtioDevice } from "../../src/virtio/virtio-device.js";
import { testModelOptions } from "../support/test-interrupt.js";

function setup(device: VirtioDevice, options: ConstructorParameters<typeof VirtioPciFunction>[3] = {}) {
  const driver = new MockDriver();
  const modelOptions = testModelOptions();
  const fn = new VirtioPciFunction(device, driver.memory, modelOptions, options);
  const model = fn.model;
  const bar = fn.pci.bars[0]!.def.handler;
  return { driver, model, fn, bar };
}

/** The vendor capabilities as {cfgType: {bar, offset, length, at}}, walked from 0x34. */
function virtioCaps(fn: VirtioPciFunction) {
  const caps = new Map<number, { bar: number; offset: number; length: number; at: number; multiplier?: number }>();
  for (let at = fn.pci.configRead(0x34, 1); at !== 0; at = fn.pci.configRead(at + 1, 1)) {
    if (fn.pci.configRead(at, 1) !== 0x09) continue;
    const type = fn.pci.configRead(at + 3, 1);
    caps.set(type, {
      bar: fn.pci.configRead(at + 4, 1),
      offset: fn.pci.configRead(at + 8, 4),
      length: fn.pci.configRead(at + 12, 4),
      at,
      ...(type === 2 ? { multiplier: fn.pci.configRead(at + 16, 4) } : {}),
    });
  }
  return caps;
}

describe("virtio-pci function", () => {
  it("identifies as a modern virtio device of its type", () => {
    const { fn } = setup(new VirtioConsole(() => {}));
    expect(fn.pci.configRead(0x00, 2)).toBe(0x1af4);
    expect(fn.pci.configRead(0x02, 2)).toBe(0x1043);
    expect(fn.pci.configRead(0x08, 1)).toBe(1); // revision 1: non-transitional
    expect(fn.pci.configRead(0x2e, 2)).toBeGreaterThanOrEqual(0x40);
    expect(fn.pci.configRead(0x08, 4) >>> 8).toBe(0x078000);
    expect(fn.pci.configRead(0x3d, 1)).toBe(1); // INTA
  });

  it("lists common, ISR, notify, device and PCI-config-access capabilities into BAR 0", () => {
    const caps = virtioCaps(setup(new VirtioConsole(() => {}), { notifyOffMultiplier: 4 }).fn);
    expect([...caps.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(caps.get(1)).toMatchObject({ bar: 0, offset: COMMON_OFFSET });
    expect(caps.get(3)).toMatchObject({ bar: 0, offset: ISR_OFFSET });
    expect(caps.get(2)).toMatchObject({ bar: 0, offset: NOTIFY_OFFSET, multiplier: 4, length: 8 });
    expect(caps.get(4)!.length).toBeGreaterThanOrEqual(12);
  });

  it("takes 16-bit common-config writes one byte at a time", () => {
    const { bar, model } = setup(new VirtioConsole(() => {}));
    expect(bar.read(COMMON_OFFSET + 0x12, 1) | (bar.read(COMMON_OFFSET + 0x13, 1) << 8)).toBe(2); // num_queues
    bar.write(COMMON_OFFSET + 0x16, 1, 1); // queue_select, low byte
    bar.write(COMMON_OFFSET + 0x17, 1, 0); // high byte
    expect(model.queues.select).toBe(1);
    expect(bar.read(COMMON_OFFSET + 0x18, 1) | (bar.read(COMMON_OFFSET + 0x19, 1) << 8)).toBe(256);
    expect(bar.read(COMMON_OFFSET + 0x10, 4) & 0xffff).toBe(0xffff); // no MSI-X vector
  });

  it("sets the ISR before raising INTx, and reading it clears both", () => {
    const { fn, bar } = setup(new VirtioRng());
    fn.interrupt.raise("queue");
    expect(fn.pci.intxAsserted).toBe(true);
    expect(bar.read(ISR_OFFSET, 1)).toBe(1);
    expect(fn.pci.intxAsserted).toBe(false);
    expect(bar.read(ISR_OFFSET, 1)).toBe(0);
    fn.interrupt.raise("config");
    fn.interrupt.raise("queue");
    expect(bar.read(ISR_OFFSET, 1)).toBe(3);
  });

  it("withdraws a pending interrupt when the driver resets the device (status 0)", () => {
    const { driver, fn, bar, model } = setup(new VirtioRng(() => {}));
    const [q] = bringUp(model, driver);
    q!.add([{ write: 16 }]);
    bar.write(NOTIFY_OFFSET, 2, 0);
    // The rng filled the buffer and interrupted; no driver reads the ISR.
    expect(fn.pendingIsr).toBe(1);
    expect(fn.pci.intxAsserted).toBe(true);
    bar.write(COMMON_OFFSET + 0x14, 1, 0); // device_status = 0: reset
    expect(fn.pendingIsr).toBe(0);
    expect(fn.pci.intxAsserted).toBe(false);
    expect(bar.read(ISR_OFFSET, 1)).toBe(0);
  });

  it("withdraws it on a machine reset too, and a failed device's config interrupt until the reset", () => {
    const { driver, fn, bar, model } = setup(new VirtioRng(() => {}));
    bringUp(model, driver);
    bar.write(NOTIFY_OFFSET, 2, 7); // a queue the rng does not have: NEEDS_RESET and a config interrupt
    expect(fn.pendingIsr).toBe(2);
    expect(fn.pci.intxAsserted).toBe(true);
    fn.pci.reset();
    expect(fn.pendingIsr).toBe(0);
    expect(fn.pci.intxAsserted).toBe(false);
  });

  it("counts a 16-bit doorbell split into two byte writes as one kick", () => {
    const { driver, model, bar } = setup(new VirtioRng(() => {}));
    const [q] = bringUp(model, driver);
    q!.add([{ write: 64 }]);
    bar.write(NOTIFY_OFFSET, 1, 0); // queue index 0, low byte: the kick
    bar.write(NOTIFY_OFFSET + 1, 1, 0); // high byte: ignored
    expect(model.queue(0)!.counters.kicks).toBe(1);
    expect(q!.takeUsed().map((u) => u.len)).toEqual([64]);
  });

  it("names the queue by the doorbell's position when the multiplier is not 0", () => {
    const { driver, model, bar } = setup(new VirtioConsole(() => {}), { notifyOffMultiplier: 4 });
    bringUp(model, driver);
    bar.write(NOTIFY_OFFSET + 4, 2, 1); // queue 1's doorbell
    bar.write(NOTIFY_OFFSET + 2, 2, 0); // inside queue 0's slot but not its start: ignored
    expect(model.queue(1)!.counters.kicks).toBe(1);
    expect(model.queue(0)!.counters.kicks).toBe(0);
  });

  it("reaches the BAR through the PCI configuration access capability", () => {
    const { fn, model } = setup(new VirtioConsole(() => {}));
    const cap = virtioCaps(fn).get(5)!;
    fn.pci.configWrite(cap.at + 4, 1, 0); // bar 0
    fn.pci.configWrite(cap.at + 8, 4, COMMON_OFFSET + 0x12); // num_queues
    fn.pci.configWrite(cap.at + 12, 4, 2); // 2 bytes
    expect(fn.pci.configRead(cap.at + 16, 4) & 0xffff).toBe(2);
    fn.pci.configWrite(cap.at + 8, 4, COMMON_OFFSET + 0x16); // queue_select
    fn.pci.configWrite(cap.at + 16, 4, 1);
    expect(model.queues.select).toBe(1);
    // A window outside the BAR, or of a bad length, does nothing.
    fn.pci.configWrite(cap.at + 8, 4, 0x7fffffff);
    fn.pci.configWrite(cap.at + 16, 4, 0);
    fn.pci.configWrite(cap.at + 8, 4, COMMON_OFFSET + 0x16);
    fn.pci.configWrite(cap.at + 12, 4, 3);
    fn.pci.configWrite(cap.at + 16, 4, 0);
    expect(model.queues.select).toBe(1);
  });
});

describe("virtio-pci function with large queues", () => {
  it("offers and runs a 1024-entry queue through the common config", async () => {
    const { EchoDevice } = await import("../support/echo-device.js");
    const { driver, model, bar } = setup(new EchoDevice([1024]));
    bar.write(COMMON_OFFSET + 0x16, 2, 0);
    expect(bar.read(COMMON_OFFSET + 0x18, 2)).toBe(1024);
    const [q] = bringUp(model, driver);
    // 500 two-descriptor chains: 1000 of the 1024 descriptors in flight at once.
    for (let i = 0; i < 500; i++) q!.addChain([{ read: `m${i}` }, { write: 8 }]);
    q!.publish();
    bar.write(NOTIFY_OFFSET, 2, 0);
    const used = q!.takeUsed();
    expect(used).toHaveLength(500);
    expect(new TextDecoder().decode(used[499]!.data)).toBe("m499");
  });
});
