// virtio-pci with MSI-X: the vector registers of the common configuration, the table in
// the BAR, which vector each queue and the config change signal, the fallback to the ISR
// and INTx while MSI-X is disabled, a reset, and saved states (old ones without MSI-X too).
import { describe, expect, it } from "vitest";
import { PciBus } from "../../src/pci/pci-bus.js";
import { CAP_MSIX, MSIX_CONTROL_ENABLE } from "../../src/pci/msix.js";
import { VirtioPciFunction, type VirtioPciOptions } from "../../src/virtio-pci/virtio-pci-function.js";
import { readVirtioPciState, virtioPciStateData } from "../../src/virtio-pci/virtio-pci-state.js";
import { VIRTIO_MSI_NO_VECTOR } from "../../src/virtio-pci/msix-interrupt.js";
import { COMMON_OFFSET, ISR_OFFSET, MSIX_SHARED_BAR_OFFSET, NOTIFY_OFFSET } from "../../src/virtio-pci/layout.js";
import { VirtioConsole } from "../../src/devices/virtio-console.js";
import { VirtioRng } from "../../src/devices/virtio-rng.js";
import type { VirtioDevice } from "../../src/virtio/virtio-device.js";
import { StateReader } from "../../src/snapshot/state-reader.js";
import { bringUp, MockDriver } from "../support/mock-driver.js";
import { testModelOptions } from "../support/test-interrupt.js";
import { FakePlatform } from "../support/fake-platform.js";

const MSI_ADDRESS = 0xfee0_0000;
const MSIX_CONFIG = COMMON_OFFSET + 0x10;
const QUEUE_SELECT = COMMON_OFFSET + 0x16;
const QUEUE_VECTOR = COMMON_OFFSET + 0x1a;

function setup(device: VirtioDevice = new VirtioRng(() => {}), options: VirtioPciOptions = { msix: true }) {
  const platform = new FakePlatform();
  platform.setPirqRoutes();
  const bus = new PciBus(platform);
  const driver = new MockDriver();
  const fn = new VirtioPciFunction(device, driver.memory, testModelOptions(), options);
  bus.addFunction(fn.pci);
  const model = fn.model;
  const bar = fn.pci.bars[0]!.def.handler;
  const msixBar = fn.pci.bars.find((b) => b.index === (fn.pci.msix?.placement.bar ?? 0))!.def.handler;
  const cap = fn.pci.capabilities.find((c) => c.def.id === CAP_MSIX);
  const tableOffset = fn.pci.msix?.placement.tableOffset ?? 0;
  /** 16-bit register writes as v86 delivers them over MMIO: two byte writes. */
  const write16 = (offset: number, value: number) => {
    bar.write(offset, 1, value & 0xff);
    bar.write(offset + 1, 1, value >> 8);
  };
  const read16 = (offset: number) => bar.read(offset, 1) | (bar.read(offset + 1, 1) << 8);
  const enable = () => fn.pci.configWrite(cap!.offset + 2, 2, MSIX_CONTROL_ENABLE);
  /** Table entry v: data 0x30 + v, unmasked. */
  const program = (v: number) => {
    msixBar.write(tableOffset + 16 * v, 4, MSI_ADDRESS);
    msixBar.write(tableOffset + 16 * v + 8, 4, 0x30 + v);
    msixBar.write(tableOffset + 16 * v + 12, 4, 0);
  };
  return { platform, fn, model, bar, msixBar, cap, driver, write16, read16, enable, program, tableOffset };
}

describe("virtio-pci with MSI-X", () => {
  it("has an MSI-X capability with a vector per queue plus config, its table on a page of BAR 0", () => {
    const { fn, cap } = setup(new VirtioConsole(() => {}));
    expect(cap).toBeDefined();
    expect(fn.pci.configRead(cap!.offset + 2, 2)).toBe(2); // console: 2 queues + config = 3 vectors
    expect(fn.pci.configRead(cap!.offset + 4, 4)).toBe(MSIX_SHARED_BAR_OFFSET);
    expect(fn.pci.configRead(cap!.offset + 8, 4) % 0x1000).toBe(0);
  });

  it("puts the table in a memory BAR 1 of its own when the structures are in an I/O BAR", () => {
    const { fn, cap, msixBar } = setup(new VirtioRng(() => {}), { msix: true, bar: "io" });
    expect(fn.pci.bars.map((b) => [b.index, b.def.kind])).toEqual([[0, "io"], [1, "mem32"]]);
    expect(fn.pci.configRead(cap!.offset + 4, 4)).toBe(1); // offset 0, BIR 1
    expect(msixBar.read(12, 4)).toBe(1); // vector 0 masked
  });

  it("has no MSI-X without the option: the vectors read NO_VECTOR and ignore writes", () => {
    const { fn, write16, read16 } = setup(new VirtioRng(() => {}), {});
    expect(fn.pci.capabilities.some((c) => c.def.id === CAP_MSIX)).toBe(false);
    write16(MSIX_CONFIG, 0);
    write16(QUEUE_VECTOR, 0);
    expect(read16(MSIX_CONFIG)).toBe(VIRTIO_MSI_NO_VECTOR);
    expect(read16(QUEUE_VECTOR)).toBe(VIRTIO_MSI_NO_VECTOR);
  });

  it("reads back a vector the table has, and NO_VECTOR for one out of range (byte-split writes too)", () => {
    const { write16, read16, bar } = setup(new VirtioConsole(() => {}));
    expect(read16(MSIX_CONFIG)).toBe(VIRTIO_MSI_NO_VECTOR);
    write16(MSIX_CONFIG, 2);
    expect(read16(MSIX_CONFIG)).toBe(2);
    write16(MSIX_CONFIG, 3); // console has vectors 0-2
    expect(read16(MSIX_CONFIG)).toBe(VIRTIO_MSI_NO_VECTOR);
    write16(QUEUE_SELECT, 1);
    write16(QUEUE_VECTOR, 1);
    write16(QUEUE_SELECT, 0);
    bar.write(QUEUE_VECTOR, 4, 0); // a 32-bit write over queue_vector and queue_enable
    expect(read16(QUEUE_VECTOR)).toBe(0);
    write16(QUEUE_SELECT, 1);
    expect(read16(QUEUE_VECTOR)).toBe(1);
    write16(QUEUE_SELECT, 9); // no such queue
    write16(QUEUE_VECTOR, 0);
    expect(read16(QUEUE_VECTOR)).toBe(VIRTIO_MSI_NO_VECTOR);
  });

  it("signals each queue's own vector and the config vector once MSI-X is enabled, with no ISR or INTx", () => {
    const { platform, fn, model, driver, write16, enable, program, bar } = setup(new VirtioRng(() => {}));
    enable();
    program(0);
    program(1);
    const [q] = bringUp(model, driver);
    write16(MSIX_CONFIG, 1);
    write16(QUEUE_SELECT, 0);
    write16(QUEUE_VECTOR, 0);
    q!.add([{ write: 16 }]);
    bar.write(NOTIFY_OFFSET, 2, 0);
    expect(platform.msiLog).toEqual([{ address: MSI_ADDRESS, data: 0x30 }]);
    bar.write(NOTIFY_OFFSET, 2, 7); // no such queue: NEEDS_RESET and a config interrupt
    expect(platform.msiLog.at(-1)).toEqual({ address: MSI_ADDRESS, data: 0x31 });
    expect(fn.pendingIsr).toBe(0);
    expect(bar.read(ISR_OFFSET, 1)).toBe(0);
    expect([...platform.irqLevels.values()].some(Boolean)).toBe(false);
    expect(model.queue(0)!.counters.interrupts).toBe(1);
  });

  it("sends nothing for a queue whose vector is NO_VECTOR, and counts that as suppressed, not as merged", () => {
    const { platform, model, driver, enable, program, bar } = setup(new VirtioRng(() => {}));
    enable();
    program(0);
    const [q] = bringUp(model, driver);
    q!.add([{ write: 16 }]);
    bar.write(NOTIFY_OFFSET, 2, 0);
    expect(q!.takeUsed().map((u) => u.len)).toEqual([16]);
    expect(platform.msiLog).toEqual([]);
    const counters = model.queue(0)!.counters;
    expect([counters.interrupts, counters.interruptsMerged, counters.interruptsSuppressed]).toEqual([0, 0, 1]);
  });

  it("uses the ISR and INTx while MSI-X is disabled, even with vectors set", () => {
    const { platform, fn, model, driver, write16, program, bar } = setup(new VirtioRng(() => {}));
    program(0);
    const [q] = bringUp(model, driver);
    write16(QUEUE_SELECT, 0);
    write16(QUEUE_VECTOR, 0);
    q!.add([{ write: 16 }]);
    bar.write(NOTIFY_OFFSET, 2, 0);
    expect(platform.msiLog).toEqual([]);
    expect(fn.pendingIsr).toBe(1);
    expect(fn.pci.intxAsserted).toBe(true);
  });

  it("counts a masked vector's second signal as merged, and a reset clears pending bits and vectors", () => {
    const { platform, fn, model, driver, write16, read16, enable, program, bar, msixBar, tableOffset } = setup(new VirtioRng(() => {}));
    enable();
    program(0);
    msixBar.write(tableOffset + 12, 4, 1); // mask vector 0
    const [q] = bringUp(model, driver);
    write16(QUEUE_SELECT, 0);
    write16(QUEUE_VECTOR, 0);
    q!.add([{ write: 16 }]);
    bar.write(NOTIFY_OFFSET, 2, 0);
    q!.usedEvent = 1; // the driver asks to hear of the next used buffer too
    q!.add([{ write: 16 }]);
    bar.write(NOTIFY_OFFSET, 2, 0);
    expect(platform.msiLog).toEqual([]);
    expect(fn.pci.msix!.isPending(0)).toBe(true);
    const counters = model.queue(0)!.counters;
    expect([counters.interrupts, counters.interruptsMerged]).toEqual([1, 1]);
    bar.write(COMMON_OFFSET + 0x14, 1, 0); // reset
    expect(fn.pci.msix!.isPending(0)).toBe(false);
    expect(read16(QUEUE_VECTOR)).toBe(VIRTIO_MSI_NO_VECTOR);
    msixBar.write(tableOffset + 12, 4, 0); // unmasking sends nothing now
    expect(platform.msiLog).toEqual([]);
  });

  it("saves and restores the table, PBA and vectors through the state file's plain data", () => {
    const a = setup(new VirtioConsole(() => {}));
    a.enable();
    a.program(2);
    a.write16(MSIX_CONFIG, 2);
    a.write16(QUEUE_SELECT, 1);
    a.write16(QUEUE_VECTOR, 1);
    const data = virtioPciStateData(a.fn.saveState());
    const b = setup(new VirtioConsole(() => {}));
    b.fn.restoreState(readVirtioPciState(new StateReader(data, "device"), 2));
    expect(b.read16(MSIX_CONFIG)).toBe(2);
    b.write16(QUEUE_SELECT, 1);
    expect(b.read16(QUEUE_VECTOR)).toBe(1);
    expect(b.fn.pci.msix!.entry(2)).toEqual({ address: MSI_ADDRESS, data: 0x32, masked: false });
    expect(b.fn.pci.msix!.enabled).toBe(true);
    // A table of the wrong size is refused while the state is checked.
    const bad = { ...(data as Record<string, unknown>), msix: { table: new Uint8Array(8), pba: new Uint8Array(8), vectors: { config: 0, queues: [] } } };
    expect(() => readVirtioPciState(new StateReader(bad as never, "device"), 2)).toThrow();
  });

  it("reads a state saved before MSI-X existed", () => {
    const old = setup(new VirtioRng(() => {}), {});
    const data = virtioPciStateData(old.fn.saveState()) as Record<string, unknown>;
    expect("msix" in data).toBe(false);
    const state = readVirtioPciState(new StateReader(data as never, "device"), 1);
    expect(state.msix).toBeUndefined();
    const b = setup(new VirtioRng(() => {}), {});
    b.fn.restoreState(state);
    expect(b.read16(MSIX_CONFIG)).toBe(VIRTIO_MSI_NO_VECTOR);
  });
});
