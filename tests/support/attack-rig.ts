// The machine the attack tool runs in, and the checks made around every attack. It has
// ringside's console, rng, a data disk (vda, known bytes), the tool's disk (vdb: the tool
// then a known pattern) and the network card on the host network. The test's shell runs
// on the serial port (ringside.tty=ttyS0), because attacks take the virtio console away
// from Linux; the kernel gets mem=192M of the 256 MiB, leaving 192-232 MiB to the tool's
// rings. Everything the console prints is only counted (an attack may make it print a lot).
import { expect } from "vitest";
import { CheckedDisk } from "../../src/backends/checked-disk.js";
import type { Disk } from "../../src/backends/disk.js";
import { MemoryDisk } from "../../src/backends/memory-disk.js";
import type { HostNetwork } from "../../src/backends/net/host/host-network.js";
import { VirtioBlk } from "../../src/devices/virtio-blk.js";
import { hostNetworkChoice } from "../../src/machine/host-network-choice.js";
import { DEFAULT_CMDLINE } from "../../src/machine/options.js";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import type { DeviceModelView } from "../../src/virtio/device-model.js";
import { VirtioPciFunction } from "../../src/virtio-pci/virtio-pci-function.js";
import type { RingLayout } from "../../src/description/machine-description.js";
import { ringedMachine } from "./attack-packed-machine.js";
import { attackTool, parseResults, patternBytes, sha256, toolDisk, type ToolDisk } from "./attack-tool.js";
import { HostileGuest, type VirtioFunction } from "./hostile-guest.js";
import { COMMON, RUNNING, STATUS } from "./hostile-virtio.js";

export type Role = "console" | "rng" | "vda" | "vdb" | "net";
export const ROLES: readonly Role[] = ["console", "rng", "vda", "vdb", "net"];

const MiB = 1024 * 1024;
const DATA_DISK_BYTES = 2 * MiB;
/** Larger than blk's 8 MiB request limit, so an oversized read fits on the disk. */
export const TOOL_DISK_BYTES = 12 * MiB;
const BLOB_BYTES = 65536;
const CONSOLE_TAIL = 4096;
/** What the kernel log must never say (serial log and dmesg). */
export const KERNEL_TROUBLE = /BUG:|Oops|Kernel panic|WARNING:|nobody cared|Disabling IRQ/;

/** Counts what the virtio console prints and keeps only its tail. */
export class ConsoleWatch {
  bytes = 0;
  private tail = "";
  private readonly decoder = new TextDecoder("latin1");

  feed(bytes: Uint8Array): void {
    this.bytes += bytes.length;
    this.tail = (this.tail + this.decoder.decode(bytes.subarray(-CONSOLE_TAIL))).slice(-CONSOLE_TAIL);
  }

  includes(text: string): boolean {
    return this.tail.includes(text);
  }
}

export interface AttackRun {
  output: string;
  status: number;
  results: Map<string, string>;
}

interface Parts {
  vm: NodeMachine;
  host: HostNetwork;
  logs: string[];
  serial: { text: string };
  console: ConsoleWatch;
  data: { image: Uint8Array; sha256: string; disk: Disk };
  tool: ToolDisk;
  toolFn: VirtioPciFunction;
  toolSlot: number;
}

export class AttackRig {
  readonly vm: NodeMachine;
  readonly guest: HostileGuest;
  readonly host: HostNetwork;
  /** Every line the devices logged (the tool disk's prefixed with "vdb "). */
  readonly logs: string[];
  readonly console: ConsoleWatch;
  readonly tool: ToolDisk;
  readonly data: { image: Uint8Array; sha256: string; disk: Disk };
  private readonly serial: { text: string };
  private readonly toolFn: VirtioPciFunction;
  private probes = 0;

  private constructor(parts: Parts, readonly functions: Record<Role, VirtioFunction>) {
    ({ vm: this.vm, host: this.host, logs: this.logs, serial: this.serial, console: this.console, data: this.data, tool: this.tool } = parts);
    this.toolFn = parts.toolFn;
    this.guest = new HostileGuest(this.vm.shell);
  }

  /** `ring`: the layout the console, the rng and the data disk offer (default split, as the shorthands give). */
  static async boot(timeoutMs: number, options: { ring?: RingLayout } = {}): Promise<AttackRig> {
    const logs: string[] = [];
    const serial = { text: "" };
    const console = new ConsoleWatch();
    const dataImage = patternBytes(DATA_DISK_BYTES, 0xda7a);
    const data = { image: dataImage, sha256: sha256(dataImage), disk: new CheckedDisk(MemoryDisk.fromImage(dataImage)) };
    const tool = toolDisk(attackTool(), TOOL_DISK_BYTES, 0x70015);
    const network = hostNetworkChoice();
    let toolFn: VirtioPciFunction | undefined;
    let toolSlot = -1;
    const memoryMiB = 256;
    const cmdline = `${DEFAULT_CMDLINE} mem=192M`;
    const vm = await startNodeMachine({
      memoryMiB,
      cmdline,
      shellOn: "serial",
      disk: data.disk,
      network,
      ...(options.ring ? ringedMachine({ memoryMiB, cmdline, disk: data.disk, network, ring: options.ring }) : {}),
      log: (m) => logs.length < 100_000 && logs.push(m),
      onConsole: (bytes) => console.feed(bytes),
      onSerial: (bytes) => (serial.text = (serial.text + new TextDecoder().decode(bytes)).slice(-MiB)),
      attach: ({ bus, memory, ticks }) => {
        const log = (m: string) => logs.length < 100_000 && logs.push(`vdb ${m}`);
        toolFn = new VirtioPciFunction(new VirtioBlk(new CheckedDisk(MemoryDisk.fromImage(tool.image))), memory, { log, ticks });
        toolSlot = bus.addFunction(toolFn.pci);
      },
    });
    if (!toolFn) throw new Error("the machine did not call attach");
    await vm.shell.waitUntilReady(timeoutMs);
    const all = await new HostileGuest(vm.shell).virtioFunctions();
    const one = (deviceId: number, pick: (f: VirtioFunction) => boolean = () => true) => {
      const found = all.filter((f) => f.deviceId === deviceId && pick(f));
      if (found.length !== 1) throw new Error(`expected one virtio function 0x${deviceId.toString(16)}, found ${found.length}`);
      return found[0]!;
    };
    const functions: Record<Role, VirtioFunction> = {
      console: one(0x1043), rng: one(0x1044), net: one(0x1041),
      vda: one(0x1042, (f) => f.slot !== toolSlot), vdb: one(0x1042, (f) => f.slot === toolSlot),
    };
    return new AttackRig({ vm, host: network.host, logs, serial, console, data, tool, toolFn, toolSlot }, functions);
  }

  /** /dev name of a disk role's block device (vda, vdb) as the guest named it. */
  async blockName(role: "vda" | "vdb"): Promise<string> {
    return (await this.guest.sh(`ls /sys/bus/pci/devices/${this.functions[role].address}/virtio*/block`)).trim();
  }

  /** Copies the tool from its disk to /tmp/attack; returns its sha256 as the guest computed it. */
  async installTool(): Promise<string> {
    const dev = await this.blockName("vdb");
    const out = await this.guest.sh(`head -c ${this.tool.toolBytes} /dev/${dev} > /tmp/attack && chmod +x /tmp/attack && sha256sum /tmp/attack`);
    return out.split(" ")[0]!;
  }

  /** Runs the tool in the guest (killed after `seconds`) and parses its key=value output. */
  async attack(args: string, seconds: number): Promise<AttackRun> {
    const { output, status } = await this.vm.shell.run(`timeout ${seconds} /tmp/attack ${args}`, (seconds + 60) * 1000);
    return { output, status, results: parseResults(output) };
  }

  /** Starts the tool in the background (killed after `seconds`), its output going to `file`. */
  async attackInBackground(args: string, seconds: number, file: string): Promise<void> {
    await this.guest.sh(`rm -f ${file}; (timeout ${seconds} /tmp/attack ${args} > ${file} 2>&1 &)`);
  }

  /** Waits (at most `timeoutMs`) until the background tool's `file` has `key`, and returns what it printed so far. */
  async waitForResult(file: string, key: string, timeoutMs: number): Promise<Map<string, string>> {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const results = parseResults(await this.guest.sh(`cat ${file} 2>/dev/null; true`));
      if (results.has(key) || results.has("error") || performance.now() > until) return results;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** The host network's TCP connections from the guest's own address to `port`. */
  hostConnections(port: number): string[] {
    return this.host.stats().connections.filter((c) => c.localPort === port && c.peer.startsWith("10.0.2.15:")).map((c) => c.peer);
  }

  /** The device model's view of a role (plain data). */
  model(role: Role): DeviceModelView {
    if (role === "vdb") return this.toolFn.model.view();
    return this.viewOf(role).virtio;
  }

  /** ISR bits the transport holds for the guest (raised, not yet read). */
  pendingIsr(role: Role): number {
    if (role === "vdb") return this.toolFn.pendingIsr;
    return this.viewOf(role).pci?.pendingIsr ?? 0;
  }

  private viewOf(role: Exclude<Role, "vdb">) {
    const slot = this.functions[role].slot;
    const d = this.vm.machine.deviceViews().find((s) => s.pci?.slot === slot);
    if (!d) throw new Error(`no device in slot ${slot}`);
    return d;
  }

  mark(): number {
    return this.logs.length;
  }

  /** The guest still runs: the shell answers and the kernel has neither oopsed nor given up a line. */
  async expectMachineRuns(): Promise<void> {
    expect(await this.guest.sh("echo alive")).toBe("alive\n");
    expect(this.serial.text).not.toMatch(KERNEL_TROUBLE);
    expect(await this.guest.sh("dmesg | grep -E 'BUG:|Oops|WARNING:|nobody cared|Disabling IRQ' | head -5; echo end")).toBe("end\n");
  }

  /** The status register as the guest reads it through the function's BAR. */
  async status(role: Role): Promise<number> {
    return this.guest.read(this.functions[role], "common", COMMON.status, 1);
  }

  /** The attacked device kept going: DRIVER_OK, no NEEDS_RESET, and the model agrees. */
  async expectStillRunning(role: Role): Promise<void> {
    const status = await this.status(role);
    expect(status & STATUS.NEEDS_RESET, `${role} status 0x${status.toString(16)}: ${this.model(role).lastError}`).toBe(0);
    expect(status, `${role} status`).toBe(RUNNING);
    expect(this.model(role).active).toBe(true);
  }

  /** The device does its job for the guest (Linux's driver bound), and the work reached ringside's device. */
  async expectWorks(role: Role): Promise<void> {
    if (role === "console") {
      const marker = `ringside-console-probe-${++this.probes}`;
      await this.guest.sh(`timeout 10 sh -c 'echo ${marker} > /dev/hvc0'`);
      expect(await this.consolePrinted(marker), "the console printed the probe").toBe(true);
    } else if (role === "rng") {
      const before = this.model("rng").queues[0]!.ring?.counters.buffers ?? 0;
      expect(await this.guest.sh("timeout 20 dd if=/dev/hwrng bs=512 count=8 2>/dev/null | wc -c")).toBe("4096\n");
      expect(this.model("rng").queues[0]!.ring?.counters.buffers ?? 0).toBeGreaterThan(before);
    } else if (role === "net") {
      expect(await this.downloadWorks(), "a download over the network card, sha256 checked").toBe(true);
    } else {
      const want = role === "vda" ? this.data : this.tool;
      const dev = await this.blockName(role);
      // Dropping the page cache makes the read reach the device.
      const out = await this.guest.sh(`echo 3 > /proc/sys/vm/drop_caches; timeout 60 dd if=/dev/${dev} bs=64k 2>/dev/null | sha256sum`);
      expect(out.split(" ")[0], `${role} contents`).toBe(want.sha256);
    }
  }

  /** Waits (at most 5 s) for the console to have printed `text`. */
  async consolePrinted(text: string): Promise<boolean> {
    for (let i = 0; i < 50 && !this.console.includes(text); i++) await new Promise((r) => setTimeout(r, 100));
    return this.console.includes(text);
  }

  /** A new connection: downloads a blob and compares its sha256 with the server's; true when they match (false when wget fails). */
  async downloadWorks(): Promise<boolean> {
    const url = `http://10.0.2.2/blob?bytes=${BLOB_BYTES}&seed=${++this.probes}`;
    const { output } = await this.vm.shell.run(
      `timeout 30 wget -q -O - '${url}' | sha256sum | cut -d' ' -f1; timeout 30 wget -q -O - '${url.replace("/blob?", "/blob-sha256?")}'`,
      90_000,
    );
    const [got, want] = output.trim().split(/\s+/);
    return got !== undefined && /^[0-9a-f]{64}$/.test(got) && got === want;
  }

  async expectOthersWork(target: Role): Promise<void> {
    for (const role of ROLES) if (role !== target) await this.expectWorks(role);
  }

  /** Unbind Linux's virtio-pci driver (if bound) and bind it again: the probe resets the device. */
  async driverReset(role: Role): Promise<void> {
    const fn = this.functions[role];
    if (await this.guest.bound(fn)) await this.guest.unbind(fn);
    await this.guest.bind(fn);
    if (role === "net") {
      // ip= configured the first eth0 at boot; the new one needs its address again.
      await this.guest.sh(`ifconfig $(ls /sys/bus/pci/devices/${fn.address}/virtio*/net) 10.0.2.15 netmask 255.255.255.0 up`);
    }
    expect(await this.status(role)).toBe(RUNNING);
    expect(this.model(role).active).toBe(true);
  }

  /** After an attack on `role`: the machine runs, the others work, and Linux's driver brings `role` back. */
  async expectAftermath(role: Role): Promise<void> {
    await this.expectMachineRuns();
    await this.expectOthersWork(role);
    await this.driverReset(role);
    await this.expectWorks(role);
  }

  async destroy(): Promise<void> {
    await this.vm.destroy();
  }
}
