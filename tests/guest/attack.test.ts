// A hostile guest with a real tool: images/tools/attack (a static i386 program, carried in
// on a disk of its own) unbinds Linux's driver from a virtio function, drives the device
// itself from /dev/mem with rings in RAM the kernel does not use (mem=192M), and offers it
// chains no sane driver would: hundreds of MiB per console write, 4 GiB rng buffers,
// millions of one-byte buffers, unknown disk requests with GiBs to fill, an interrupt left
// pending across a reset; it also floods the host network with SYNs, idle and unread
// connections and an in-window RST. After each: the machine lives, the attacked device
// works (or says NEEDS_RESET and why) and comes back when Linux's driver is re-bound, the
// other devices keep working with checked data, every device's work per turn stayed
// within the budget, and the test process's memory within a stated bound.
// One boot serves the file; the shell runs on the serial port (the console is a target).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_INDIRECT_ENTRIES } from "../../src/virtio/split-descriptors.js";
import { WORK_BUDGET } from "../../src/virtio/work-budget.js";
import { expectMemoryBounded, MemoryWatch } from "../support/attack-memory.js";
import { AttackRig, ROLES, type AttackRun, type Role } from "../support/attack-rig.js";
import { numberOf } from "../support/attack-tool.js";
import { RUNNING } from "../support/hostile-virtio.js";
import { networkAttackTests } from "../support/attack-network.js";

const T = 300_000;
const MiB = 1024 * 1024;
/** What one chain may make a device move (issue 12): 64 KiB for the console and the rng, 8 MiB for the disk. */
const CONSOLE_CHAIN_BYTES = 64 * 1024;
const RNG_CHAIN_BYTES = 64 * 1024;
const BLK_CHAIN_BYTES = 8 * MiB;
const BLK_UNSUPP = 2;
const BLK_IOERR = 1;

describe("the attack tool against ringside's devices, from inside the guest", () => {
  let rig: AttackRig;
  let installedSha = "";
  const started = performance.now();
  beforeAll(async () => {
    rig = await AttackRig.boot(T);
    installedSha = await rig.installTool();
  }, T);
  afterAll(async () => {
    await rig?.destroy();
    console.log(`attack suite: ${((performance.now() - started) / 1000).toFixed(1)} s including the boot`);
  });

  /** Runs an attack under a memory watch; the tool must finish cleanly. ATTACK_VERBOSE=1 prints what it reported. */
  async function attack(args: string, seconds: number, watch: MemoryWatch): Promise<AttackRun> {
    const run = await rig.attack(args, seconds);
    watch.sample();
    if (process.env.ATTACK_VERBOSE) console.log(`attack ${args}\n${run.output}`);
    expect(run.status, run.output).toBe(0);
    expect(run.results.get("result"), run.output).toBe("done");
    return run;
  }

  /**
   * A turn (one doorbell or tick) walked at most the budget's descriptors plus one chain
   * (MAX_CHAIN_DESCRIPTORS: a full indirect table and the ring), and moved at most the
   * budget's bytes plus one chain's worth for this device.
   */
  function expectWorkWithinBudget(role: Role, chainBytes: number): void {
    const model = rig.model(role);
    const work = model.work;
    expect(work, `${role}: the device model reports its work per turn`).toBeDefined();
    const maxChainDescriptors = MAX_INDIRECT_ENTRIES + Math.max(...model.queues.map((q) => q.maxSize));
    expect(work.maxDescriptorsPerTurn, `${role}: descriptors per turn`).toBeLessThanOrEqual(WORK_BUDGET.descriptors + maxChainDescriptors);
    expect(work.maxBytesPerTurn, `${role}: bytes per turn`).toBeLessThanOrEqual(WORK_BUDGET.bytes + chainBytes);
  }

  it("carries the tool in on its own disk, whole, and finds every device running", async () => {
    expect(installedSha).toBe(rig.tool.toolSha256);
    const run = await rig.attack("no-such-attack", 10);
    expect(run.status).toBe(1);
    expect(run.output).toContain("attack console-flood ADDR");
    for (const role of ROLES) expect(await rig.status(role), role).toBe(RUNNING);
    // reset-isr below needs the rng on the same INTx line as a disk Linux drives.
    const irq = (role: Role) => rig.guest.sh(`cat /sys/bus/pci/devices/${rig.functions[role].address}/irq`);
    expect(await irq("rng")).toBe(await irq("vda"));
  });

  it("console-flood: 256 MiB per transmit chain, 32 chains; each is cut to its first 64 KiB and the console keeps printing", async () => {
    const watch = new MemoryWatch();
    const mark = rig.mark();
    const before = rig.console.bytes;
    const run = await attack(`console-flood ${rig.functions.console.address} --entries 32768 --chunk 8192 --per-kick 4 --kicks 8`, 240, watch);
    const r = run.results;
    expect(numberOf(r, "bytes_per_chain")).toBe(256 * MiB);
    expect(numberOf(r, "chains_posted")).toBe(32);
    expect(numberOf(r, "chains_used")).toBe(32);
    expect(numberOf(r, "probe_used")).toBe(1);
    expect(await rig.consolePrinted("ringside-console-flood-probe"), "the probe line reached the host").toBe(true);
    const probeBytes = "ringside-console-flood-probe\n".length;
    expect(rig.console.bytes - before, "bytes the console printed").toBeLessThanOrEqual(32 * CONSOLE_CHAIN_BYTES + probeBytes);
    expect(rig.logs.slice(mark).some((line) => line.includes("transmit chain")), rig.logs.slice(mark).join("\n")).toBe(true);
    await rig.expectStillRunning("console");
    expectWorkWithinBudget("console", CONSOLE_CHAIN_BYTES);
    expectMemoryBounded(watch, "console-flood");
    await rig.expectAftermath("console");
  }, T);

  it("rng-huge: one chain of 2^32 - 1 writable bytes gets at most 64 KiB", async () => {
    const watch = new MemoryWatch();
    const run = await attack(`rng-huge ${rig.functions.rng.address} --entries 32768 --chunk 131072`, 120, watch);
    const r = run.results;
    expect(numberOf(r, "writable")).toBe(0xffffffff);
    expect(numberOf(r, "completed")).toBe(1);
    expect(numberOf(r, "used_len")).toBeGreaterThan(0);
    expect(numberOf(r, "used_len")).toBeLessThanOrEqual(RNG_CHAIN_BYTES);
    expect(numberOf(r, "probe_len")).toBe(64);
    await rig.expectStillRunning("rng");
    expectWorkWithinBudget("rng", RNG_CHAIN_BYTES);
    expectMemoryBounded(watch, "rng-huge");
    await rig.expectAftermath("rng");
  }, T);

  it("rng-tiny: 8 million one-byte buffers are all served, a bounded number per turn, over later ticks", async () => {
    const watch = new MemoryWatch();
    const deferralsBefore = rig.model("rng").work.deferrals;
    const run = await attack(`rng-tiny ${rig.functions.rng.address} --entries 32768 --rounds 4 --qsize 64`, 240, watch);
    const r = run.results;
    expect(numberOf(r, "chains_posted")).toBe(256);
    expect(numberOf(r, "chains_used")).toBe(256);
    expect(numberOf(r, "descriptors_posted")).toBe(256 * 32768);
    expect(numberOf(r, "bytes_used")).toBe(256 * 32768);
    expect(numberOf(r, "short_fills")).toBe(0);
    expect(numberOf(r, "probe_len")).toBe(64);
    await rig.expectStillRunning("rng");
    expectWorkWithinBudget("rng", RNG_CHAIN_BYTES);
    // 64 chains of 32,768 descriptors per doorbell are far over one turn's budget: the rest waited for later ticks.
    expect(rig.model("rng").work.deferrals).toBeGreaterThan(deferralsBefore);
    expectMemoryBounded(watch, "rng-tiny");
    await rig.expectAftermath("rng");
  }, T);

  it("blk-unknown: requests of type 0x7777 with 2 GiB to fill, on every slot, complete UNSUPP without the device touching the data", async () => {
    const watch = new MemoryWatch();
    const run = await attack(`blk-unknown ${rig.functions.vdb.address} --type 0x7777 --data-entries 16384 --chunk 131072 --qsize 16`, 240, watch);
    const r = run.results;
    const writable = 16384 * 131072 + 1;
    expect(numberOf(r, "writable")).toBe(writable);
    expect(numberOf(r, "completed")).toBe(16);
    const requests = [...run.output.matchAll(/^request=(\d+) used_len=(\d+) status=(\d+) modified=(\d+)$/gm)].map((m) => ({
      slot: Number(m[1]), usedLen: Number(m[2]), status: Number(m[3]), modified: Number(m[4]),
    }));
    expect(requests.map((q) => q.slot).sort((a, b) => a - b)).toEqual([...Array(16).keys()]);
    for (const q of requests) expect(q, `request ${q.slot}`).toEqual({ slot: q.slot, usedLen: writable, status: BLK_UNSUPP, modified: 0 });
    // The disk still serves a valid request, with the right bytes.
    expect(numberOf(r, "probe_status")).toBe(0);
    expect(r.get("probe_head")).toBe(Buffer.from(rig.tool.image.subarray(0, 16)).toString("hex"));
    await rig.expectStillRunning("vdb");
    expectWorkWithinBudget("vdb", BLK_CHAIN_BYTES);
    expectMemoryBounded(watch, "blk-unknown");
    await rig.expectAftermath("vdb");
  }, T);

  it("blk-oversize: a 10 MiB read and a 10 MiB write (more than 8 MiB) complete IOERR and leave the disk as it was", async () => {
    const watch = new MemoryWatch();
    for (const type of [0, 1]) {
      const r = (await attack(`blk-oversize ${rig.functions.vdb.address} --type ${type} --bytes ${10 * MiB}`, 120, watch)).results;
      expect(numberOf(r, "completed"), `type ${type}`).toBe(1);
      expect(numberOf(r, "status_byte"), `type ${type}`).toBe(BLK_IOERR);
      expect(numberOf(r, "probe_status"), `type ${type}`).toBe(0);
      await rig.expectStillRunning("vdb");
    }
    expectWorkWithinBudget("vdb", BLK_CHAIN_BYTES);
    expectMemoryBounded(watch, "blk-oversize");
    await rig.expectAftermath("vdb"); // checks the disk's sha256: the write changed nothing
  }, T);

  it("reset-isr: a reset withdraws a pending interrupt, so the disk sharing the rng's line keeps working", async () => {
    const watch = new MemoryWatch();
    let r = (await attack(`reset-isr ${rig.functions.rng.address} --read-isr 0`, 60, watch)).results;
    expect(numberOf(r, "used")).toBe(1);
    // The tool holds INTx off until the reset (PCI command bit 10), so the line is quiet while the
    // interrupt is pending; PCI status bit 3 shows it was.
    expect(numberOf(r, "intx_pending_before_reset"), "the rng raised its interrupt").toBe(1);
    expect(numberOf(r, "status_after_reset")).toBe(0);
    expect(numberOf(r, "intx_pending_after_reset"), "the reset withdrew it").toBe(0);
    expect(rig.pendingIsr("rng"), "ISR bits the host still holds after the reset").toBe(0);
    // The disk on the same INTx line: a fixed number of reads completes.
    const reads = 300;
    const before = rig.data.disk.counters.bytesRead;
    const dev = await rig.blockName("vda");
    expect(await rig.guest.sh(`timeout 60 randread /dev/${dev} ${reads}`)).toBe(`randread: ${reads} reads of 4096 bytes from /dev/${dev}\n`);
    expect(rig.data.disk.counters.bytesRead - before).toBeGreaterThanOrEqual(reads * 4096);
    await rig.expectMachineRuns(); // no "nobody cared", no "Disabling IRQ"
    r = (await attack(`reset-isr ${rig.functions.rng.address} --read-isr 1`, 60, watch)).results;
    expect(numberOf(r, "isr_after_reset"), "ISR read after the reset").toBe(0);
    expect(rig.pendingIsr("rng")).toBe(0);
    expectMemoryBounded(watch, "reset-isr");
    await rig.expectAftermath("rng");
  }, T);

  describe("the host network", () => {
    networkAttackTests(() => rig, T);
  });

  it("leaves every device running and working, and the kernel log clean", async () => {
    for (const role of ROLES) {
      expect(await rig.status(role), role).toBe(RUNNING);
      await rig.expectWorks(role);
    }
    await rig.expectMachineRuns();
  });
});
