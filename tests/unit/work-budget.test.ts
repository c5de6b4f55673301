// The per-turn work budget (work-budget.ts): a doorbell, a tick or a backend event costs
// the host a bounded number of descriptors walked and bytes copied, whatever the guest's
// rings say; what is left over is done at the next ticks, in order, and nothing is lost.
import { describe, expect, it } from "vitest";
import { VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { VIRTIO_F_RING_INDIRECT_DESC, VIRTIO_F_VERSION_1 } from "../../src/virtio/features.js";
import { MAX_INDIRECT_ENTRIES } from "../../src/virtio/split-descriptors.js";
import { WORK_BUDGET, WorkBudget } from "../../src/virtio/work-budget.js";
import { EchoDevice } from "../support/echo-device.js";
import { repeatedIndirectTable } from "../support/hostile-chains.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";

const SIZE = 16;

function setup() {
  const driver = new MockDriver(8 << 20);
  const device = new EchoDevice([SIZE]);
  const options = testModelOptions();
  const model = new VirtioDeviceModel(device, driver.memory, options);
  const [q] = bringUp(model, driver, { features: VIRTIO_F_VERSION_1 | VIRTIO_F_RING_INDIRECT_DESC });
  return { driver, device, model, q: q!, ticks: options.ticks };
}

describe("the work budget of one turn", () => {
  it("walks at most the descriptor budget (plus the chain that crossed it) per doorbell, and finishes on later ticks", () => {
    const { model, q, ticks } = setup();
    // Every slot: an indirect table of 8,192 one-byte writable buffers (all the same byte).
    const post = repeatedIndirectTable(q, { entryLen: 1, entries: 8192, writable: true });
    for (let head = 0; head < SIZE; head++) post(head);
    model.notify(0);
    const perChain = 8192 + 1;
    const firstTurn = Math.ceil(WORK_BUDGET.descriptors / perChain);
    expect(q.usedIdx).toBe(firstTurn);
    expect(ticks.subscribers).toBe(1); // the rest waits for the next tick
    let turns = 1;
    while (q.usedIdx < SIZE && turns < 10) {
      ticks.tick();
      turns++;
    }
    expect(q.usedIdx).toBe(SIZE);
    expect(turns).toBe(Math.ceil(SIZE / firstTurn));
    expect(ticks.subscribers).toBe(0); // nothing left: the tick is let go
    const work = model.view().work;
    expect(work.deferrals).toBe(turns - 1);
    expect(work.maxDescriptorsPerTurn).toBeLessThan(WORK_BUDGET.descriptors + perChain);
    expect(work.maxDescriptorsPerTurn).toBeGreaterThanOrEqual(WORK_BUDGET.descriptors);
    // Completed in ring order, every one.
    expect(q.takeUsed().map((u) => u.head)).toEqual([...Array(SIZE).keys()]);
  });

  it("copies at most the byte budget (plus one chain) per doorbell", () => {
    const { model, q, ticks } = setup();
    // 1 MiB readable per chain (one buffer 32 times): the echo device reads all of it.
    const post = repeatedIndirectTable(q, { entryLen: 32 * 1024, entries: 32, writable: false });
    for (let head = 0; head < SIZE; head++) post(head);
    model.notify(0);
    expect(q.usedIdx).toBe(WORK_BUDGET.bytes / (1 << 20));
    for (let i = 0; i < 4 && q.usedIdx < SIZE; i++) ticks.tick();
    expect(q.usedIdx).toBe(SIZE);
    expect(model.view().work.maxBytesPerTurn).toBeLessThanOrEqual(WORK_BUDGET.bytes);
  });

  it("a device that drains with notifications off and re-checks does not spin when the budget stops it", () => {
    // The echo device loops while enableNotifications() reports new buffers: with the
    // budget spent it must report none (the tick will come), or this test never ends.
    const { model, q } = setup();
    const post = repeatedIndirectTable(q, { entryLen: 1, entries: MAX_INDIRECT_ENTRIES, writable: true });
    for (let head = 0; head < 4; head++) post(head);
    model.notify(0);
    expect(q.usedIdx).toBe(2);
  });

  it("a reset drops deferred work and lets the tick go", () => {
    const { model, q, ticks, device } = setup();
    const post = repeatedIndirectTable(q, { entryLen: 1, entries: MAX_INDIRECT_ENTRIES, writable: true });
    for (let head = 0; head < 4; head++) post(head);
    model.notify(0);
    expect(ticks.subscribers).toBe(1);
    model.status = 0;
    expect(ticks.subscribers).toBe(0);
    const notifies = device.notifies.length;
    ticks.tick();
    expect(device.notifies.length).toBe(notifies);
  });

  it("counts turns, and a turn started inside another joins it", () => {
    const budget = new WorkBudget({ descriptors: 10, bytes: 100 });
    budget.run(() => {
      budget.chargeDescriptors(6);
      budget.run(() => budget.chargeDescriptors(6));
      expect(budget.exhausted).toBe(true);
    });
    budget.run(() => expect(budget.exhausted).toBe(false));
    expect(budget.stats).toMatchObject({ turns: 1, maxDescriptorsPerTurn: 12 });
  });
});
