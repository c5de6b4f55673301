// The worker's side of starting from a saved state, without a guest: the machine a state
// needs (its disk on the page's disk, the host network, its RAM and command line), one
// progress figure for images and state together, and the console re-attach that makes a
// restored guest redraw its screen.
import { describe, expect, it } from "vitest";
import { planRestore, progressWithState } from "../../src/worker/state-boot.js";
import { reattachConsole, type ConsoleSize } from "../../src/worker/console-reattach.js";
import { STATE_FORMAT, STATE_VERSION, type MachineSnapshot, type MachineStateHeader } from "../../src/machine/machine-state.js";
import { StateReader } from "../../src/snapshot/state-reader.js";
import type { DiskRequest } from "../../src/worker/api.js";

const PAGE_DISK: DiskRequest = { kind: "opfs", name: "ringside-disk.img", sizeMiB: 256 };

const pci = (slot: number) => ({ kind: "pci" as const, slot });
const CARD = { type: "virtio-net" as const, transport: pci(6), options: { backend: { kind: "relay" as const, url: "wss://x/" }, policy: "per-queue" as const, ip: "dhcp" as const } };
const DISK = (slot: number, name: string) => ({
  type: "virtio-blk" as const, transport: pci(slot), options: { backend: { kind: "opfs" as const, name, sizeMiB: 64 }, readOnly: false },
});

function snapshot(header: Partial<MachineStateHeader>): MachineSnapshot {
  const full: MachineStateHeader = {
    format: STATE_FORMAT, version: STATE_VERSION, savedAt: "2025-01-02T03:04:05.000Z", v86Version: "x", v86ClockMs: 0,
    machine: { version: 1, memoryMiB: 192, cmdline: "console=ttyS0 ringside.disk=persistent", devices: [CARD] },
    diskSectors: [], networksSaved: [true], ...header,
  };
  const empty = new StateReader(null, "", "test");
  return { header: full, v86: new Uint8Array(0), devices: empty, networks: [null], disks: empty, consoleLine: new Uint8Array(0) };
}

describe("the machine a state needs", () => {
  it("takes the state's machine, with its cards on host networks (the only other end a state carries)", () => {
    const plan = planRestore(snapshot({}).header, "a.state", PAGE_DISK);
    expect(plan.description.memoryMiB).toBe(192);
    expect(plan.description.cmdline).toBe("console=ttyS0 ringside.disk=persistent");
    expect(plan.description.devices).toEqual([{ ...CARD, options: { ...CARD.options, backend: { kind: "host" } } }]);
    expect(plan.summary).toEqual({ name: "a.state", savedAt: "2025-01-02T03:04:05.000Z", memoryMiB: 192, diskBytes: [], networkCards: 1 });
  });

  it("puts a state's first disk on the page's disk at the state's size, the others in memory, and refuses disks where the page has none", () => {
    const machine = { version: 1 as const, memoryMiB: 192, cmdline: "", devices: [DISK(4, "a.img"), DISK(5, "b.img")] };
    const withDisks = snapshot({ machine, diskSectors: [131072, 4096], networksSaved: [] });
    const plan = planRestore(withDisks.header, "d.state", PAGE_DISK);
    expect(plan.description.devices.map((d) => d.type === "virtio-blk" && d.options.backend)).toEqual([
      { kind: "opfs", name: PAGE_DISK.name, sizeMiB: 64 },
      { kind: "memory", sizeMiB: 2 },
    ]);
    expect([...plan.sizing.bytes]).toEqual([[0, 64 * 1024 * 1024], [1, 2 * 1024 * 1024]]);
    expect(plan.summary.diskBytes).toEqual([64 * 1024 * 1024, 2 * 1024 * 1024]);
    expect(() => planRestore(withDisks.header, "d.state", undefined)).toThrow(/this state has a 64\.0 MiB disk, and this page has none to put it on/);
    expect(() => planRestore(snapshot({ machine, diskSectors: [0, 1], networksSaved: [] }).header, "z.state", PAGE_DISK)).toThrow(/no sectors/);
  });
});

describe("load progress with a state file", () => {
  it("adds the state's download to the images' running totals", () => {
    const reports: Array<[number, number]> = [];
    const progress = progressWithState((loaded, total) => reports.push([loaded, total]));
    progress.images(100, 1000);
    progress.state.length(500);
    progress.state.bytes(200);
    progress.images(1000, 1000);
    expect(reports).toEqual([[100, 1000], [300, 1500], [1200, 1500]]);
  });
});

describe("re-attaching the console of a restored machine", () => {
  function fakeConsole(saved: ConsoleSize) {
    const resizes: ConsoleSize[] = [];
    let wake: () => void = () => {};
    return {
      resizes,
      answer: () => wake(),
      console: {
        size: () => saved,
        resize: (cols: number, rows: number) => void resizes.push({ cols, rows }),
        nextOutput: () => new Promise<void>((resolve) => (wake = resolve)),
      },
    };
  }

  it("changes the size once when the page's terminal differs from the saved one", async () => {
    const fake = fakeConsole({ cols: 80, rows: 25 });
    await reattachConsole(fake.console, () => ({ cols: 120, rows: 40 }));
    expect(fake.resizes).toEqual([{ cols: 120, rows: 40 }]);
  });

  it("goes a row shorter and back, after the guest answers, when the sizes are the same", async () => {
    const fake = fakeConsole({ cols: 120, rows: 40 });
    let wanted = { cols: 120, rows: 40 };
    const done = reattachConsole(fake.console, () => wanted);
    expect(fake.resizes).toEqual([{ cols: 120, rows: 39 }]);
    // The page resized meanwhile: the last change is to the page's newest size.
    wanted = { cols: 100, rows: 30 };
    fake.answer();
    await done;
    expect(fake.resizes).toEqual([{ cols: 120, rows: 39 }, { cols: 100, rows: 30 }]);
  });
});
