// The machine the hostile-guest suite attacks, and the checks run after every attack.
// Besides the standard devices (console, rng, disk vda, network card, all on 32-bit
// memory BARs) it has a second disk, vdb, on an I/O BAR with spaced doorbells, so the
// attacks reach both kinds of BAR. Both disks hold known bytes: a driver reset is only
// proven by the disk reading its sha256 again.
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import type { Disk } from "../../src/backends/disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import { VirtioBlk } from "../../src/devices/virtio-blk.js";
import { hostNetworkChoice } from "../../src/machine/host-network-choice.js";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import type { DeviceModelView, VirtioDeviceModel } from "../../src/virtio/device-model.js";
import { VirtioPciFunction } from "../../src/virtio-pci/virtio-pci-function.js";
import { HostileGuest, type VirtioFunction } from "./hostile-guest.js";
import { COMMON, RUNNING, STATUS } from "./hostile-virtio.js";

export type Role = "rng" | "vda" | "net" | "vdb";
export const ROLES: readonly Role[] = ["rng", "vda", "net", "vdb"];

const DISK_BYTES = 2 * 1024 * 1024;
/** The log prefix of the I/O-BAR disk's model (both disks are called virtio-blk). */
const VDB_PREFIX = "io-bar ";
const BLOB_BYTES = 65536;
const MEMORY_MIB = 256;

interface TestDisk {
  disk: Disk;
  sha256: string;
}

function testDisk(seed: number): TestDisk {
  const bytes = new Uint8Array(DISK_BYTES);
  let x = seed;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; // xorshift32: the same bytes every run
    bytes[i] = x & 0xff;
  }
  return { disk: new CheckedDisk(MemoryDisk.fromImage(bytes)), sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** What the machine was built with, before the guest is looked at. */
interface Parts {
  vm: NodeMachine;
  logs: string[];
  serial: { text: string };
  disks: Record<"vda" | "vdb", TestDisk>;
  vdbModel: VirtioDeviceModel;
}

export class HostileRig {
  readonly vm: NodeMachine;
  readonly guest: HostileGuest;
  /** Every line the devices logged (the I/O-BAR disk's prefixed with "io-bar "). */
  readonly logs: string[];
  readonly disks: Record<"vda" | "vdb", TestDisk>;
  readonly ramBytes = MEMORY_MIB * 1024 * 1024;
  private readonly serial: { text: string };
  private readonly vdbModel: VirtioDeviceModel;

  private constructor(parts: Parts, readonly functions: Record<Role, VirtioFunction>) {
    ({ vm: this.vm, logs: this.logs, serial: this.serial, disks: this.disks, vdbModel: this.vdbModel } = parts);
    this.guest = new HostileGuest(this.vm.shell);
  }

  static async boot(timeoutMs: number): Promise<HostileRig> {
    const logs: string[] = [];
    const serial = { text: "" };
    const disks = { vda: testDisk(0x5eed1), vdb: testDisk(0x5eed2) };
    let vdbModel: VirtioDeviceModel | undefined;
    const vm = await startNodeMachine({
      // The attacks forge split-ring bytes (attack-packed.test.ts covers packed rings).
      ring: "split",
      memoryMiB: MEMORY_MIB,
      disk: disks.vda.disk,
      network: hostNetworkChoice(),
      log: (m) => logs.push(m),
      onSerial: (bytes) => (serial.text += new TextDecoder().decode(bytes)),
      attach: ({ bus, memory, ticks }) => {
        const fn = new VirtioPciFunction(new VirtioBlk(disks.vdb.disk), memory, { log: (m) => logs.push(VDB_PREFIX + m), ticks }, { bar: "io", notifyOffMultiplier: 4 });
        vdbModel = fn.model;
        bus.addFunction(fn.pci);
      },
    });
    if (!vdbModel) throw new Error("the machine did not call attach");
    await vm.shell.waitUntilReady(timeoutMs);
    const all = await new HostileGuest(vm.shell).virtioFunctions();
    const one = (deviceId: number, io: boolean) => {
      const found = all.filter((f) => f.deviceId === deviceId && f.bars[f.caps.common.bar]?.io === io);
      if (found.length !== 1) throw new Error(`expected one virtio function 0x${deviceId.toString(16)} (io ${io}), found ${found.length}`);
      return found[0]!;
    };
    const functions = { rng: one(0x1044, false), vda: one(0x1042, false), net: one(0x1041, false), vdb: one(0x1042, true) };
    return new HostileRig({ vm, logs, serial, disks, vdbModel }, functions);
  }

  /** The device model's view of a role (plain data). */
  model(role: Role): DeviceModelView {
    if (role === "vdb") return this.vdbModel.view();
    const slot = this.functions[role].slot;
    const d = this.vm.machine.deviceViews().find((s) => s.pci?.slot === slot);
    if (!d) throw new Error(`no device in slot ${slot}`);
    return d.virtio;
  }

  /** Where the log stands now: pass to expectNeedsReset so only newer lines count. */
  mark(): number {
    return this.logs.length;
  }

  /** The guest still runs: the shell answers and the kernel has not oopsed. */
  async expectMachineRuns(): Promise<void> {
    expect(await this.guest.sh("echo alive")).toBe("alive\n");
    expect(this.serial.text).not.toMatch(/BUG:|Oops|Kernel panic|WARNING:/);
  }

  /**
   * The attacked device says DEVICE_NEEDS_RESET to the guest (status read through its own
   * BAR), the model agrees, and the reason was logged after `mark`.
   */
  async expectNeedsReset(role: Role, reason: RegExp, mark: number): Promise<string> {
    const fn = this.functions[role];
    const status = await this.guest.read(fn, "common", COMMON.status, 1);
    expect(status & STATUS.NEEDS_RESET, `${role} status 0x${status.toString(16)}`).toBe(STATUS.NEEDS_RESET);
    const model = this.model(role);
    expect(model.status).toBe(status);
    expect(model.active).toBe(false);
    expect(model.lastError).toMatch(reason);
    const prefix = role === "vdb" ? VDB_PREFIX : "";
    expect(this.logs.slice(mark)).toContain(`${prefix}${model.name}: ${model.lastError}`);
    return model.lastError!;
  }

  /** The device does its job for the guest, and the work reached ringside's device. */
  async expectWorks(role: Role): Promise<void> {
    const fn = this.functions[role];
    const dir = `/sys/bus/pci/devices/${fn.address}`;
    if (role === "rng") {
      const before = this.model("rng").queues[0]!.ring?.counters.buffers ?? 0;
      expect(await this.guest.sh("timeout 20 dd if=/dev/hwrng bs=512 count=8 2>/dev/null | wc -c")).toBe("4096\n");
      expect(this.model("rng").queues[0]!.ring?.counters.buffers ?? 0).toBeGreaterThan(before);
    } else if (role === "net") {
      const url = `http://10.0.2.2/blob?bytes=${BLOB_BYTES}&seed=${this.logs.length}`;
      const out = await this.guest.sh(
        `timeout 30 wget -q -O - '${url}' | sha256sum | cut -d' ' -f1; timeout 30 wget -q -O - '${url.replace("/blob?", "/blob-sha256?")}'`,
      );
      const [got, want] = out.trim().split(/\s+/);
      expect(got).toMatch(/^[0-9a-f]{64}$/);
      expect(got).toBe(want);
    } else {
      const { disk, sha256 } = this.disks[role];
      const before = disk.counters.bytesRead;
      // Dropping the page cache makes the read reach the device.
      const out = await this.guest.sh(`echo 3 > /proc/sys/vm/drop_caches; timeout 30 dd if=/dev/$(ls ${dir}/virtio*/block) bs=64k 2>/dev/null | sha256sum`);
      expect(out.split(" ")[0]).toBe(sha256);
      expect(disk.counters.bytesRead - before).toBeGreaterThanOrEqual(DISK_BYTES);
    }
  }

  /** Every device but `target` still works. */
  async expectOthersWork(target: Role): Promise<void> {
    for (const role of ROLES) if (role !== target) await this.expectWorks(role);
  }

  /**
   * The driver reset: unbind Linux's virtio-pci driver from the function (if bound) and
   * bind it again. Probing resets the device (status 0) and brings it up from scratch.
   */
  async driverReset(role: Role): Promise<void> {
    const fn = this.functions[role];
    if (await this.guest.bound(fn)) await this.guest.unbind(fn);
    await this.guest.bind(fn);
    if (role === "net") {
      // ip= configured the first eth0 at boot; the new one needs its address again.
      await this.guest.sh(`ifconfig $(ls /sys/bus/pci/devices/${fn.address}/virtio*/net) 10.0.2.15 netmask 255.255.255.0 up`);
    }
    expect(await this.guest.read(fn, "common", COMMON.status, 1)).toBe(RUNNING);
    expect(this.model(role).active).toBe(true);
  }

  /** Everything the issue asks after an attack on `role`, ending with the device back. */
  async expectAftermath(role: Role, reason: RegExp, mark: number): Promise<string> {
    await this.expectMachineRuns();
    const why = await this.expectNeedsReset(role, reason, mark);
    await this.expectOthersWork(role);
    await this.driverReset(role);
    await this.expectWorks(role);
    return why;
  }

  async destroy(): Promise<void> {
    await this.vm.destroy();
  }
}
