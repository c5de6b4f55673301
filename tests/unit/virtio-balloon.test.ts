import { describe, expect, it } from "vitest";
import { RecordingInterrupt, testModelOptions } from "../support/test-interrupt.js";
import { bringUp, MockDriver, readDeviceFeatures } from "../support/mock-driver.js";
import { VirtioDeviceModel, type InterruptKind } from "../../src/virtio/device-model.js";
import { ManualPollSource } from "../../src/virtio/poll-source.js";
import { STATUS_DEVICE_NEEDS_RESET, VIRTIO_F_VERSION_1 } from "../../src/virtio/features.js";
import { VirtioBalloon } from "../../src/devices/virtio-balloon.js";
import {
  BALLOON_F_DEFLATE_ON_OOM, BALLOON_F_PAGE_REPORTING, BALLOON_F_STATS_VQ, CONFIG_ACTUAL, CONFIG_NUM_PAGES,
} from "../../src/devices/balloon-spec.js";
import { MAX_PFNS_PER_CHAIN, ZERO_BYTES_PER_TURN } from "../../src/devices/balloon-pages.js";
import { StateReader } from "../../src/snapshot/state-reader.js";

const MiB = 1024 * 1024;
const PAGE = 4096;

function setup(opts: { ramMiB?: number; features?: bigint; statsPeriodTicks?: number } = {}) {
  const driver = new MockDriver((opts.ramMiB ?? 4) * MiB);
  const ticks = new ManualPollSource();
  const device = new VirtioBalloon(driver.memory, ticks, { statsPeriodTicks: opts.statsPeriodTicks ?? 0 });
  const interrupts: InterruptKind[] = [];
  const logs: string[] = [];
  const model = new VirtioDeviceModel(device, driver.memory, testModelOptions({ interrupt: new RecordingInterrupt(interrupts), log: (m) => logs.push(m), ticks }));
  const offered = readDeviceFeatures(model);
  const queues = bringUp(model, driver, opts.features === undefined ? {} : { features: opts.features });
  /** Page frame numbers as the driver lists them (u32, little-endian). */
  const pfnList = (pfns: number[]) => new Uint8Array(new Uint32Array(pfns).buffer);
  /** Pages the driver owns, filled with a pattern so zeroing shows. */
  const pages = (count: number) => {
    const addr = driver.alloc(count * PAGE, PAGE);
    driver.bytes.fill(0xaa, addr, addr + count * PAGE);
    return Array.from({ length: count }, (_, i) => addr / PAGE + i);
  };
  const isZero = (pfn: number) => driver.bytes.subarray(pfn * PAGE, (pfn + 1) * PAGE).every((b) => b === 0);
  return { driver, ticks, device, model, queues, interrupts, logs, offered, pfnList, pages, isZero };
}

/** The buffers of a direct chain, read back from the descriptor table. */
function chainRanges(q: { descAddr: number; driver: MockDriver }, head: number): { addr: number; len: number }[] {
  const out: { addr: number; len: number }[] = [];
  const m = q.driver.memory;
  for (let i = head, n = 0; n < 64; n++) {
    const at = q.descAddr + 16 * i;
    out.push({ addr: m.read32(at), len: m.read32(at + 8) });
    if ((m.read16(at + 12) & 1) === 0) break;
    i = m.read16(at + 14);
  }
  return out;
}

function statsBuffer(entries: [tag: number, value: bigint][]): Uint8Array {
  const v = new DataView(new ArrayBuffer(entries.length * 10));
  entries.forEach(([tag, value], i) => {
    v.setUint16(i * 10, tag, true);
    v.setBigUint64(i * 10 + 2, value, true);
  });
  return new Uint8Array(v.buffer);
}

describe("virtio-balloon", () => {
  it("offers statistics, deflate on OOM and free page reporting, and asks for the target through num_pages", () => {
    const { offered, model, device, interrupts } = setup();
    for (const f of [BALLOON_F_STATS_VQ, BALLOON_F_DEFLATE_ON_OOM, BALLOON_F_PAGE_REPORTING, VIRTIO_F_VERSION_1]) expect(offered & f).toBe(f);
    expect(model.readConfig(CONFIG_NUM_PAGES, 4)).toBe(0);
    device.setTarget(1 * MiB);
    expect(model.readConfig(CONFIG_NUM_PAGES, 4)).toBe(256);
    expect(interrupts).toContain("config");
    // Never more than the guest has.
    device.setTarget(100 * MiB);
    expect(model.readConfig(CONFIG_NUM_PAGES, 4)).toBe((4 * MiB) / PAGE);
    model.writeConfig(CONFIG_ACTUAL, 4, 200);
    expect(device.stats().actualBytes).toBe(200 * PAGE);
  });

  it("zeroes the pages the guest inflates with and only counts those it deflates", () => {
    const { queues, model, device, pfnList, pages, isZero } = setup();
    const given = pages(8);
    queues[0]!.add([{ read: pfnList(given.slice(0, 6)) }]);
    model.notify(0);
    expect(queues[0]!.takeUsed()).toHaveLength(1);
    expect(given.map(isZero)).toEqual([true, true, true, true, true, true, false, false]);
    queues[1]!.add([{ read: pfnList(given.slice(0, 2)) }]);
    model.notify(1);
    expect(queues[1]!.takeUsed()).toHaveLength(1);
    expect(device.stats()).toMatchObject({ pagesInflated: 6, pagesDeflated: 2 });
  });

  it("fails the device, naming the frame, when a page number lies outside guest RAM", () => {
    const { queues, model, logs, pfnList } = setup();
    queues[0]!.add([{ read: pfnList([3, 0x12345]) }]);
    model.notify(0);
    expect(model.status & STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
    expect(logs.join("\n")).toMatch(/inflateq: page frame 0x12345 is outside guest RAM \(1024 pages\)/);
  });

  it("takes at most MAX_PFNS_PER_CHAIN page numbers from one buffer and says so", () => {
    const { queues, model, device, logs, pfnList } = setup({ ramMiB: 16 });
    queues[0]!.add([{ read: pfnList(Array.from({ length: MAX_PFNS_PER_CHAIN + 10 }, (_, i) => 1 + (i % 100))) }]);
    model.notify(0);
    expect(device.stats().pagesInflated).toBe(MAX_PFNS_PER_CHAIN);
    expect(logs.join("\n")).toMatch(new RegExp(`listed ${MAX_PFNS_PER_CHAIN + 10} pages; only the first ${MAX_PFNS_PER_CHAIN}`));
  });

  it("keeps the statistics buffer and gives it back for fresh figures every period", () => {
    const { queues, model, device, ticks } = setup({ statsPeriodTicks: 5 });
    const stats = queues[2]!;
    stats.add([{ read: statsBuffer([[4, 50n * BigInt(MiB)], [5, 120n * BigInt(MiB)], [99, 7n]]) }]);
    model.notify(2);
    expect(stats.takeUsed()).toHaveLength(0);
    expect(device.stats().guestStats).toEqual({ free_memory: 50 * MiB, total_memory: 120 * MiB, tag_99: 7 });
    for (let i = 0; i < 4; i++) ticks.tick();
    expect(stats.takeUsed()).toHaveLength(0);
    ticks.tick();
    expect(stats.takeUsed()).toHaveLength(1);
    // The driver refills and posts it again; an explicit request gives it back at once.
    stats.add([{ read: statsBuffer([[4, 40n * BigInt(MiB)]]) }]);
    model.notify(2);
    expect(device.stats()).toMatchObject({ guestStats: { free_memory: 40 * MiB }, statsUpdates: 2 });
    device.requestStats();
    expect(stats.takeUsed()).toHaveLength(1);
  });

  it("zeroes a free page report at most ZERO_BYTES_PER_TURN per turn, finishing it at the next tick", () => {
    const { driver, queues, model, device, ticks } = setup({ ramMiB: 16 });
    const reporting = queues[3]!;
    const head = reporting.add([{ write: 4 * MiB }, { write: 4 * MiB }, { write: 4 * MiB }]);
    // Free pages hold whatever they held: old data.
    const ranges = chainRanges(reporting, head);
    for (const r of ranges) driver.bytes.fill(0xaa, r.addr, r.addr + r.len);
    const zeroed = () => {
      let n = 0;
      for (const r of ranges) for (let a = r.addr; a < r.addr + r.len; a++) if (driver.bytes[a] === 0) n++;
      return n;
    };
    model.notify(3);
    expect(zeroed()).toBe(ZERO_BYTES_PER_TURN);
    expect(reporting.takeUsed()).toHaveLength(0);
    expect(device.stats().reports).toBe(0);
    ticks.tick();
    expect(zeroed()).toBe(12 * MiB);
    expect(reporting.takeUsed()).toHaveLength(1);
    expect(device.stats()).toMatchObject({ reports: 1, reportedBytes: 12 * MiB });
  });

  it("numbers the reporting queue 2 when the driver does not take statistics (as Linux numbers what it finds)", () => {
    const { offered } = setup();
    const { queues, model, device } = setup({ features: offered & ~BALLOON_F_STATS_VQ });
    queues[2]!.add([{ write: 8192 }]);
    model.notify(2);
    expect(queues[2]!.takeUsed()).toHaveLength(1);
    expect(device.stats().reports).toBe(1);
  });

  it("forgets the guest's side on reset and keeps target and counters in a saved state", () => {
    const { queues, model, device, pfnList, pages, driver } = setup({ statsPeriodTicks: 0 });
    device.setTarget(2 * MiB);
    queues[0]!.add([{ read: pfnList(pages(3)) }]);
    model.notify(0);
    model.writeConfig(CONFIG_ACTUAL, 4, 3);
    const saved = device.saveState();
    model.status = 0;
    expect(device.stats().actualBytes).toBe(0);
    const fresh = new VirtioBalloon(driver.memory, new ManualPollSource());
    fresh.restoreState(new StateReader(saved, "", "test"));
    expect(fresh.stats()).toMatchObject({ targetBytes: 2 * MiB, actualBytes: 3 * PAGE, pagesInflated: 3 });
  });
});
