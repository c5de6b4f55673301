// A hostile guest on packed rings (virtio 1.2, 2.8): the console, the rng and the data disk
// offer VIRTIO_F_RING_PACKED and Linux takes it; the attack tool (images/tools/attack,
// `packed-lies`) unbinds Linux's driver from one of them, negotiates packed rings itself
// and lies: wrap counters that do not match, AVAIL/USED bits that make no sense, buffer
// IDs past the queue or reused while in flight, indirect tables looping or nested, chains
// over the ring's end with the old wrap counter or longer than the ring, a driver event
// suppression area with garbage, chains of 2^32 - 1 and 2^32 bytes. Each lie must end in
// DEVICE_NEEDS_RESET with a logged reason in the device model's words, or, where the spec
// allows what the driver did, be served within the work budget. After each device's
// lies: the machine lives, the other devices work with checked data, and Linux's driver,
// re-bound, takes packed rings again and the device works.
// One boot serves the file; the shell runs on the serial port (the console is a target).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RNG_CHAIN_BYTES } from "../../src/devices/virtio-rng.js";
import { CONSOLE_TX_CHAIN_BYTES } from "../../src/devices/virtio-console.js";
import { BLK_MAX_REQUEST_BYTES } from "../../src/devices/blk-spec.js";
import { MAX_INDIRECT_ENTRIES } from "../../src/virtio/split-descriptors.js";
import { WORK_BUDGET } from "../../src/virtio/work-budget.js";
import { PACKED_LIES, type PackedLie } from "../support/attack-packed-cases.js";
import { AttackRig, ROLES, type Role } from "../support/attack-rig.js";
import { numberOf } from "../support/attack-tool.js";
import { RUNNING, STATUS } from "../support/hostile-virtio.js";

const T = 120_000;
type PackedRole = "rng" | "vda" | "console";
const PACKED_ROLES: PackedRole[] = ["rng", "vda", "console"];
/** What one chain may make a device move: a served huge-len request stays within the budget plus this. */
const CHAIN_BYTES: Record<PackedRole, number> = { rng: RNG_CHAIN_BYTES, vda: BLK_MAX_REQUEST_BYTES, console: CONSOLE_TX_CHAIN_BYTES };

describe("packed rings against the attack tool, from inside the guest", () => {
  let rig: AttackRig;
  let installedSha = "";
  const started = performance.now();
  beforeAll(async () => {
    rig = await AttackRig.boot(T, { ring: "packed" });
    installedSha = await rig.installTool();
  }, T);
  afterAll(async () => {
    await rig?.destroy();
    console.log(`packed attack suite: ${((performance.now() - started) / 1000).toFixed(1)} s including the boot`);
  });

  function expectPacked(role: Role): void {
    const model = rig.model(role);
    expect(model.featuresNegotiatedNames, `${role} negotiated`).toContain("RING_PACKED");
    for (const q of model.queues.filter((q) => q.ring)) expect(q.ring?.layout, `${role} queue ${q.index}`).toBe("packed");
  }

  function expectWorkWithinBudget(role: Role, chainBytes: number): void {
    const model = rig.model(role);
    const maxChainDescriptors = MAX_INDIRECT_ENTRIES + Math.max(...model.queues.map((q) => q.maxSize));
    expect(model.work.maxDescriptorsPerTurn, `${role}: descriptors per turn`).toBeLessThanOrEqual(WORK_BUDGET.descriptors + maxChainDescriptors);
    expect(model.work.maxBytesPerTurn, `${role}: bytes per turn`).toBeLessThanOrEqual(WORK_BUDGET.bytes + chainBytes);
  }

  /** One lie against `role`, and its outcome checked. ATTACK_VERBOSE=1 prints what the tool reported. */
  async function tell(role: Role, lie: PackedLie): Promise<void> {
    const mark = rig.mark();
    const args = `${lie.name}${lie.args ? ` ${lie.args}` : ""}`;
    const run = await rig.attack(`packed-lies ${rig.functions[role].address} ${args}`, 60);
    if (process.env.ATTACK_VERBOSE) console.log(`${role} ${args}\n${run.output}\n${rig.logs.slice(mark).join("\n")}`);
    const where = `${role} ${args}: ${run.output}`;
    expect(run.status, where).toBe(0);
    expect(run.results.get("result"), where).toBe("done");
    expect(run.results.get("case"), where).toBe(lie.name);
    const r = run.results;
    const model = rig.model(role);
    if ("reason" in lie.outcome) {
      const reason = lie.outcome.reason;
      expect(numberOf(r, "needs_reset"), where).toBe(1);
      expect(model.status & STATUS.NEEDS_RESET, where).toBe(STATUS.NEEDS_RESET);
      expect(model.lastError, where).toContain(reason);
      // The stopped ring stays for the inspector, which reads every slot of it (rig.model above did).
      expect(model.queues.some((q) => q.ring?.layout === "packed"), where).toBe(true);
      const logged = rig.logs.slice(mark);
      expect(logged.some((line) => line.includes(reason)), `${where}\nlogged:\n${logged.join("\n")}`).toBe(true);
    } else {
      expect(numberOf(r, "needs_reset"), `${where}\n${model.lastError}`).toBe(0);
      expect(numberOf(r, "used"), where).toBe(numberOf(r, "posted"));
      if (lie.outcome.usedLenAtMost !== undefined) expect(numberOf(r, "first_used_len"), where).toBeLessThanOrEqual(lie.outcome.usedLenAtMost);
      expect(numberOf(r, "probe_used"), where).toBe(1);
      expect(model.active, where).toBe(true);
    }
  }

  it("carries the tool in, and Linux drives the console, the rng and the data disk on packed rings", async () => {
    expect(installedSha).toBe(rig.tool.toolSha256);
    for (const role of ROLES) expect(await rig.status(role), role).toBe(RUNNING);
    for (const role of PACKED_ROLES) expectPacked(role);
    expect(rig.model("net").featuresNegotiatedNames).not.toContain("RING_PACKED");
  }, T);

  for (const role of PACKED_ROLES) {
    const lies = PACKED_LIES[role];
    it(`${role}: ${[...new Set(lies.map((l) => l.name))].join(", ")}; then the others work and Linux's driver comes back on packed rings`, async () => {
      for (const lie of lies) await tell(role, lie);
      expectWorkWithinBudget(role, CHAIN_BYTES[role]);
      await rig.expectAftermath(role); // the machine runs, the others' data checks out, re-bind, the device works
      expectPacked(role);
      if (role === "rng") expect(await rig.guest.sh("timeout 20 head -c 4096 /dev/hwrng | wc -c")).toBe("4096\n");
    }, T);
  }

  // Each device's test above checked that all the others work; here only that all run.
  it("leaves every device running, and the kernel log clean", async () => {
    for (const role of ROLES) expect(await rig.status(role), role).toBe(RUNNING);
    await rig.expectMachineRuns();
  }, T);
});
