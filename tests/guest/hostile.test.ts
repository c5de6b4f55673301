// A hostile guest attacks ringside's virtio devices from inside, around Linux's drivers,
// with busybox alone: devmem on memory BARs and on the drivers' rings in RAM, dd on
// /dev/port for the I/O BAR. After every attack the machine still runs, the other
// devices still work, the attacked one reports DEVICE_NEEDS_RESET with a logged reason
// naming the problem, and a driver reset (unbind and bind Linux's virtio-pci driver)
// brings it back. One boot serves the whole suite: every attack ends with its device
// working again.
//
// Targets are chosen so that no kernel request can wait forever on a dead device: the
// rng and the idle, unmounted disks; the network card only for a config write. What the
// devices do with writes the spec lets them ignore is decided in device-model.ts: a write
// or doorbell aimed at something the device does not have fails it; a write to something
// that exists but cannot change now is dropped with a log line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Width } from "../support/hostile-guest.js";
import { HostileRig } from "../support/hostile-machine.js";
import { COMMON, DESC, RUNNING, STATUS } from "../support/hostile-virtio.js";

const T = 240_000;
const { ACKNOWLEDGE: ACK, DRIVER, FEATURES_OK, DRIVER_OK } = STATUS;
/** Bit 0 of feature window 1 is VERSION_1; bit 1 (feature 33) is ACCESS_PLATFORM, which no device here offers. */
const VERSION_1_HI = 1 << 0;
const ACCESS_PLATFORM_HI = 1 << 1;

describe("a hostile guest against ringside's virtio devices", () => {
  let rig: HostileRig;
  const started = performance.now();
  beforeAll(async () => {
    rig = await HostileRig.boot(T);
  }, T);
  afterAll(async () => {
    await rig?.destroy();
    console.log(`hostile suite: ${((performance.now() - started) / 1000).toFixed(1)} s including the boot`);
  });

  /** The ring addresses of queue 0, read the way a driver would: select it, read its registers. */
  async function ringOf(role: "rng" | "vda") {
    const fn = rig.functions[role];
    await rig.guest.write(fn, [["common", COMMON.queueSelect, 2, 0]]);
    const desc = await rig.guest.read(fn, "common", COMMON.queueDesc, 4);
    const avail = await rig.guest.read(fn, "common", COMMON.queueDriver, 4);
    const size = await rig.guest.read(fn, "common", COMMON.queueSize, 2);
    const notifyOff = await rig.guest.read(fn, "common", COMMON.queueNotifyOff, 2);
    return { desc, avail, size, doorbell: notifyOff * fn.caps.notify.multiplier };
  }

  it("finds each device through its capabilities, running, with the rings the model has", async () => {
    for (const role of ["rng", "vda", "net", "vdb"] as const) {
      expect(await rig.guest.read(rig.functions[role], "common", COMMON.status, 1), role).toBe(RUNNING);
      expect(rig.model(role).active).toBe(true);
    }
    expect(rig.functions.vdb.bars[rig.functions.vdb.caps.common.bar]!.io).toBe(true);
    const ring = await ringOf("vda");
    const model = rig.model("vda").queues[0]!.ring!;
    if (model.layout !== "split") throw new Error("vda's ring is not split");
    expect([ring.desc, ring.avail, ring.size]).toEqual([model.descAddr, model.availAddr, model.size]);
    await rig.expectOthersWork("rng"); // and the rng itself
    await rig.expectWorks("rng");
  });

  it("garbage over the rng's whole register block through devmem", async () => {
    const mark = rig.mark();
    const bar = rig.functions.rng.bars[rig.functions.rng.caps.common.bar]!.start;
    // Every dword of the structures (common, ISR, doorbell, device config), then the BAR's last.
    await rig.guest.sh(`for o in $(seq 0 4 252) 131068; do devmem $((${bar} + o)) 32 0xa5a5a5a5; done`);
    // 0xa5 in the status byte keeps ACKNOWLEDGE and DRIVER_OK but drops DRIVER and FEATURES_OK.
    await rig.expectAftermath("rng", /^driver cleared status bits DRIVER\|FEATURES_OK without a reset$/, mark);
  });

  it("garbage bytes over the I/O-BAR disk through dd to /dev/port", async () => {
    const mark = rig.mark();
    const port = rig.functions.vdb.bars[rig.functions.vdb.caps.common.bar]!.start; // the whole 256-port BAR
    await rig.guest.sh(`head -c 256 /dev/zero | tr '\\000' '\\377' | dd of=/dev/port bs=1 seek=${port} count=256 conv=notrunc 2>/dev/null`);
    // 0xff bytes: features after FEATURES_OK are dropped, status gains only FAILED, then
    // queue_select becomes 0xffff and the first write to that queue's size fails the device.
    await rig.expectAftermath("vdb", /^queue_size write for queue 65535, which does not exist \(the device has 1\)$/, mark);
  });

  it("a notification for a queue that does not exist (a spurious one for queue 0 is fine)", async () => {
    const fn = rig.functions.rng;
    const { doorbell } = await ringOf("rng");
    await rig.guest.write(fn, [["notify", doorbell, 2, 0]]);
    expect(rig.model("rng").active).toBe(true);
    const mark = rig.mark();
    await rig.guest.write(fn, [["notify", doorbell, 2, 5]]);
    await rig.expectAftermath("rng", /^notification for queue 5, which does not exist \(the device has 1\)$/, mark);
  });

  it("a network card config write past the end of its config (a read-only field is only dropped)", async () => {
    const fn = rig.functions.net;
    const mac = await rig.guest.read(fn, "device", 0, 4);
    await rig.guest.write(fn, [["device", 0, 4, 0xdeadbeef]]);
    expect(await rig.guest.read(fn, "device", 0, 4)).toBe(mac);
    expect(rig.model("net").active).toBe(true);
    const mark = rig.mark();
    const end = fn.caps.device.length;
    await rig.guest.write(fn, [["device", end, 4, 0x12345678]]);
    await rig.expectAftermath("net", new RegExp(`^config write of 4 bytes at ${end} is outside the ${end}-byte config space$`), mark);
  });

  it("the rng's status going backwards", async () => {
    const mark = rig.mark();
    await rig.guest.write(rig.functions.rng, [["common", COMMON.status, 1, ACK | DRIVER | FEATURES_OK]]);
    await rig.expectAftermath("rng", /^driver cleared status bits DRIVER_OK without a reset$/, mark);
  });

  it("feature bits never offered: FEATURES_OK stays clear, and pressing on with DRIVER_OK fails the device", async () => {
    const fn = rig.functions.rng;
    await rig.guest.unbind(fn);
    await rig.guest.write(fn, [["common", COMMON.status, 1, 0], ["common", COMMON.deviceFeatureSelect, 4, 1]]);
    expect(await rig.guest.read(fn, "common", COMMON.deviceFeature, 4) & ACCESS_PLATFORM_HI).toBe(0);
    const mark = rig.mark();
    await rig.guest.write(fn, [
      ["common", COMMON.status, 1, ACK], ["common", COMMON.status, 1, ACK | DRIVER],
      ["common", COMMON.driverFeatureSelect, 4, 1], ["common", COMMON.driverFeature, 4, VERSION_1_HI | ACCESS_PLATFORM_HI],
      ["common", COMMON.status, 1, ACK | DRIVER | FEATURES_OK],
    ]);
    expect(await rig.guest.read(fn, "common", COMMON.status, 1)).toBe(ACK | DRIVER);
    expect(rig.logs.slice(mark)).toContain("virtio-rng: FEATURES_OK refused: driver accepted features never offered: ACCESS_PLATFORM");
    await rig.guest.write(fn, [["common", COMMON.status, 1, ACK | DRIVER | DRIVER_OK]]);
    await rig.expectAftermath("rng", /^driver set DRIVER_OK without FEATURES_OK$/, mark);
  });

  it("ring addresses outside RAM: in the device's own BAR, then straddling the end of RAM", async () => {
    const fn = rig.functions.rng;
    const bar = fn.bars[fn.caps.common.bar]!.start;
    await rig.guest.unbind(fn);
    /** Resets the device and negotiates VERSION_1 by hand, then lays out queue 0 and enables it. */
    const enableQueue = (desc: number, avail: number, used: number) => rig.guest.write(fn, [
      ["common", COMMON.status, 1, 0], ["common", COMMON.status, 1, ACK], ["common", COMMON.status, 1, ACK | DRIVER],
      ["common", COMMON.driverFeatureSelect, 4, 1], ["common", COMMON.driverFeature, 4, VERSION_1_HI],
      ["common", COMMON.status, 1, ACK | DRIVER | FEATURES_OK],
      ["common", COMMON.queueSelect, 2, 0], ["common", COMMON.queueDesc, 4, desc], ["common", COMMON.queueDriver, 4, avail],
      ["common", COMMON.queueDevice, 4, used], ["common", COMMON.queueEnable, 2, 1],
    ]);
    let mark = rig.mark();
    await enableQueue(bar, 0x1000, 0x2000);
    await rig.expectNeedsReset("rng", new RegExp(`^queue 0: descriptor table 0x${bar.toString(16)}\\+4096 is outside RAM$`), mark);
    // The spec's own way back: the driver writes 0 to status.
    await rig.guest.write(fn, [["common", COMMON.status, 1, 0]]);
    expect(await rig.guest.read(fn, "common", COMMON.status, 1)).toBe(0);
    mark = rig.mark();
    const used = rig.ramBytes - 8;
    await enableQueue(0x1000, 0x2000, used);
    await rig.expectAftermath("rng", new RegExp(`^queue 0: used ring 0x${used.toString(16)}\\+2054 is outside RAM$`), mark);
  });

  /** Publishes a forged chain at descriptors `size - 2` and `size - 1` of vda's idle ring and rings its doorbell. */
  async function forgeOnIdleDisk(descriptors: (ring: { desc: number }, d: number, e: number) => [number, Width, number][]) {
    const fn = rig.functions.vda;
    const ring = await ringOf("vda");
    const [d, e] = [ring.size - 2, ring.size - 1];
    const idx = await rig.guest.ramRead(ring.avail + 2, 2);
    const pokes = descriptors(ring, d, e).map(([addr, width, value]) => rig.guest.ramPoke(addr, width, value));
    pokes.push(rig.guest.ramPoke(ring.avail + 4 + 2 * (idx & (ring.size - 1)), 2, d));
    pokes.push(rig.guest.ramPoke(ring.avail + 2, 2, (idx + 1) & 0xffff));
    pokes.push(rig.guest.poke(fn, "notify", ring.doorbell, 2, 0));
    await rig.guest.sh(pokes.join(" && "));
    return { d, size: ring.size };
  }

  /** One descriptor's four fields as RAM writes (addr, len, flags | next << 16). */
  const descriptor = (table: number, i: number, addr: number, len: number, flags: number, next: number): [number, Width, number][] => [
    [table + 16 * i, 4, addr], [table + 16 * i + 4, 4, 0], [table + 16 * i + 8, 4, len], [table + 16 * i + 12, 4, flags | (next << 16)],
  ];

  it("a descriptor loop forged into the idle disk's ring", async () => {
    const mark = rig.mark();
    const { d, size } = await forgeOnIdleDisk(({ desc }, d, e) => [
      ...descriptor(desc, d, desc, 16, DESC.NEXT, e),
      ...descriptor(desc, e, desc, 16, DESC.NEXT, d),
    ]);
    await rig.expectAftermath("vda", new RegExp(`^queue 0: chain at head ${d}: chain is longer than the queue size ${size} \\(a loop\\?\\)$`), mark);
  });

  it("a huge buffer length forged into the idle disk's ring", async () => {
    const mark = rig.mark();
    const { d } = await forgeOnIdleDisk(({ desc }, d) => descriptor(desc, d, desc, 0xfffff000, DESC.WRITE, 0));
    await rig.expectAftermath("vda", new RegExp(`^queue 0: chain at head ${d}: descriptor ${d}: buffer 0x[0-9a-f]+\\+4294963200 is outside RAM$`), mark);
  });

  it("leaves every device running and the kernel log clean", async () => {
    for (const role of ["rng", "vda", "net", "vdb"] as const) {
      expect(await rig.guest.read(rig.functions[role], "common", COMMON.status, 1), role).toBe(RUNNING);
      await rig.expectWorks(role);
    }
    expect(await rig.guest.sh("dmesg | grep -E 'BUG|Oops|WARNING|Call Trace' | head -5; echo end")).toBe("end\n");
  });
});
