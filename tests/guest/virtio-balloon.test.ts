// ringside's virtio-balloon under Linux's virtio_balloon driver: the target moves memory
// out of the guest and back, the guest's statistics reach the host, DEFLATE_ON_OOM gives
// memory back when the guest runs short, and free page reporting zeroes freed memory so a
// saved state no longer carries it (measured against the same machine without a balloon).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import type { DeviceDescription, MachineDescription } from "../../src/description/machine-description.js";
import { DEFAULT_CMDLINE } from "../../src/description/limits.js";
import { formatMiB } from "../../src/util/format-bytes.js";

const T = 120_000;
const MiB = 1024 * 1024;

function machine(withBalloon: boolean, targetMiB = 0): MachineDescription {
  const devices: DeviceDescription[] = [
    { type: "virtio-console", transport: { kind: "pci" } },
    { type: "virtio-rng", transport: { kind: "pci" } },
  ];
  if (withBalloon) devices.push({ type: "virtio-balloon", transport: { kind: "pci" }, options: { targetMiB } });
  return { version: 1, memoryMiB: 256, cmdline: DEFAULT_CMDLINE, devices };
}

/** Polls `check` while the guest runs (a shell command lets time pass) until it holds. */
async function until(vm: NodeMachine, what: string, check: () => boolean, tries = 120): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await vm.shell.run("sleep 0.5", T);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Waits until free page reporting is quiet (no report completed over 3 s of the guest's
 * sleep). While Linux reports a batch it takes the pages off its free lists, so MemFree
 * read mid-report is low by up to the batch, and a report still to come can be counted
 * as the one a test waits for. Right after boot the first pass reports all free memory.
 */
async function reportsSettled(vm: NodeMachine): Promise<void> {
  const reported = () => vm.machine.balloon?.stats().reportedBytes ?? 0;
  for (let i = 0; i < 40; i++) {
    const before = reported();
    await vm.shell.run("sleep 3", T);
    if (reported() === before) return;
  }
  throw new Error("free page reporting never went quiet");
}

async function memFreeKiB(vm: NodeMachine): Promise<number> {
  return Number((await vm.shell.run("awk '/^MemFree:/ {print $2}' /proc/meminfo", T)).output);
}

describe("virtio-balloon", () => {
  let vm: NodeMachine;
  beforeAll(async () => {
    vm = await startNodeMachine({ description: machine(true) });
    await vm.shell.waitUntilReady(T);
  }, T);
  afterAll(async () => vm?.destroy());

  const balloon = () => vm.machine.balloon!;

  it("binds Linux's driver, which takes statistics, deflate-on-OOM and free page reporting", async () => {
    const dir = (await vm.shell.run("grep -l 0x0005 /sys/bus/virtio/devices/*/device", T)).output.trim().replace(/\/device$/, "");
    expect(dir).toMatch(/virtio\d+$/);
    expect((await vm.shell.run(`basename $(readlink ${dir}/driver)`, T)).output.trim()).toBe("virtio_balloon");
    // The features file is a string of bits, bit 0 first.
    const bits = (await vm.shell.run(`cat ${dir}/features`, T)).output.trim();
    expect([bits[1], bits[2], bits[5]]).toEqual(["1", "1", "1"]);
  });

  it("brings the guest's memory statistics to the host", async () => {
    await until(vm, "statistics", () => balloon().stats().statsUpdates > 0 && balloon().stats().guestStats.total_memory !== undefined);
    // The first figures were taken while the driver probed, before the initrd's memory was
    // freed: ask for fresh ones, which arrive once the guest has refilled the buffer.
    const first = balloon().stats().statsUpdates;
    balloon().requestStats();
    await until(vm, "fresh statistics", () => balloon().stats().statsUpdates > first);
    const memTotalKiB = Number((await vm.shell.run("awk '/^MemTotal:/ {print $2}' /proc/meminfo", T)).output);
    const stats = balloon().stats().guestStats;
    expect(stats.total_memory).toBe(memTotalKiB * 1024);
    expect(stats.free_memory).toBeGreaterThan(0);
    expect(stats.free_memory!).toBeLessThan(stats.total_memory!);
    // Fresh figures keep coming (about every two seconds of guest time).
    const updates = balloon().stats().statsUpdates;
    await until(vm, "a second statistics update", () => balloon().stats().statsUpdates > updates);
  });

  it("takes 64 MiB out of the guest when asked and gives it back", async () => {
    await reportsSettled(vm);
    const freeBefore = await memFreeKiB(vm);
    const inflatedBefore = balloon().stats().pagesInflated;
    balloon().setTarget(64 * MiB);
    await until(vm, "the guest to give 64 MiB", () => balloon().stats().actualBytes === 64 * MiB);
    expect(balloon().stats().pagesInflated - inflatedBefore).toBe((64 * MiB) / 4096);
    const freeInflated = await memFreeKiB(vm);
    expect(freeBefore - freeInflated).toBeGreaterThan(60 * 1024);
    balloon().setTarget(0);
    await until(vm, "the guest to take it back", () => balloon().stats().actualBytes === 0);
    expect(balloon().stats().pagesDeflated).toBeGreaterThanOrEqual((64 * MiB) / 4096);
    await reportsSettled(vm);
    expect(await memFreeKiB(vm)).toBeGreaterThan(freeInflated + 60 * 1024);
  });

  it("lets the guest take memory back by itself when it runs short (DEFLATE_ON_OOM)", async () => {
    const deflatedBefore = balloon().stats().pagesDeflated;
    balloon().setTarget(200 * MiB);
    await until(vm, "the balloon to reach 200 MiB", () => balloon().stats().actualBytes === 200 * MiB);
    // About 40 MiB is left; the guest now needs 80 MiB more in its RAM-backed /tmp.
    const { status } = await vm.shell.run("dd if=/dev/zero of=/tmp/hog bs=1M count=80 2>/dev/null; echo $?", T);
    expect(status).toBe(0);
    expect(Number((await vm.shell.run("wc -c < /tmp/hog", T)).output)).toBe(80 * MiB);
    const deflated = balloon().stats().pagesDeflated - deflatedBefore;
    expect(deflated * 4096).toBeGreaterThan(30 * MiB);
    expect(balloon().stats().actualBytes).toBeLessThan(200 * MiB);
    await vm.shell.run("rm /tmp/hog", T);
    balloon().setTarget(0);
    await until(vm, "the balloon to empty", () => balloon().stats().actualBytes === 0);
  });
});

describe("free page reporting and saved states", () => {
  /** Boots, writes 32 MiB of random data to RAM-backed /tmp and deletes it, and returns the saved state's size. */
  async function stateAfterFreeing(withBalloon: boolean): Promise<{ stateBytes: number; reportedBytes: number }> {
    const vm = await startNodeMachine({ description: machine(withBalloon) });
    try {
      await vm.shell.waitUntilReady(T);
      await reportsSettled(vm);
      const reportedAtBoot = vm.machine.balloon?.stats().reportedBytes ?? 0;
      await vm.shell.run("dd if=/dev/urandom of=/tmp/r bs=1M count=32 2>/dev/null; rm /tmp/r", T);
      if (withBalloon) {
        // Linux reports free 4 MiB blocks about two seconds after they are freed.
        await until(vm, "the freed memory to be reported", () => vm.machine.balloon!.stats().reportedBytes - reportedAtBoot >= 24 * MiB);
      } else {
        await vm.shell.run("sleep 3", T);
      }
      const state = await vm.machine.saveState();
      return { stateBytes: state.length, reportedBytes: (vm.machine.balloon?.stats().reportedBytes ?? 0) - reportedAtBoot };
    } finally {
      await vm.destroy();
    }
  }

  it("zeroes what the guest reports free, so a state saved after freeing 32 MiB is smaller by most of it", async () => {
    const without = await stateAfterFreeing(false);
    const withBalloon = await stateAfterFreeing(true);
    const saved = without.stateBytes - withBalloon.stateBytes;
    console.log(`state after freeing 32 MiB of random data: ${formatMiB(without.stateBytes)} without a balloon, ${formatMiB(withBalloon.stateBytes)} with free page reporting (${formatMiB(withBalloon.reportedBytes)} reported): ${formatMiB(saved)} smaller`);
    expect(saved).toBeGreaterThan(24 * MiB);
  }, 4 * T);
});
