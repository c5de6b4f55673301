// From arguments to a machine description (the CLI's shorthands, --device, --machine and
// a state's machine for --restore), where each network card sits and what the kernel
// command line says about it, and a saved state refused naming the device that differs.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../../src/cli/args.js";
import { forRestore, machineFromArgs } from "../../src/cli/machine-from-args.js";
import { cardAddressing, cardCmdline } from "../../src/machine/card-addressing.js";
import { stateMismatch } from "../../src/machine/state-mismatch.js";
import { STATE_FORMAT, STATE_VERSION, type MachineStateHeader } from "../../src/machine/machine-state.js";
import type { MachineDescription } from "../../src/description/machine-description.js";
import { decodeConfigField } from "../../src/virtio/device-info.js";
import { NET_INFO } from "../../src/devices/virtio-net.js";

const types = (m: MachineDescription) => m.devices.map((d) => d.type);

describe("the CLI's machine", () => {
  it("is the console, the rng, --disk's file and --net's card, then each --device in order", () => {
    const m = machineFromArgs(parseArgs(["--mem", "512", "--disk", "a.img", "--disk-size", "64", "--device", "virtio-blk,memory=32", "--device", "virtio-net,ip=dhcp"]));
    expect(m.memoryMiB).toBe(512);
    expect(types(m)).toEqual(["virtio-console", "virtio-rng", "virtio-blk", "virtio-net", "virtio-blk", "virtio-net"]);
    expect(m.devices[2]).toMatchObject({ options: { backend: { kind: "file", path: "a.img", createSizeMiB: 64 }, readOnly: false } });
    expect(m.devices[5]).toMatchObject({ options: { ip: "dhcp" } });
    expect(types(machineFromArgs(parseArgs(["--net", "none"])))).toEqual(["virtio-console", "virtio-rng"]);
  });

  it("records --kernel, --initrd and --append (QEMU's names) and --boot disk in the description", () => {
    const m = machineFromArgs(parseArgs(["--kernel", "vmlinuz", "--initrd", "initrd.gz", "--append", "console=ttyS0 quiet"]));
    expect(m.boot).toEqual({ kind: "kernel", kernel: { kind: "file", path: "vmlinuz" }, initrd: { kind: "file", path: "initrd.gz" } });
    expect(m.cmdline).toBe("console=ttyS0 quiet");
    expect(machineFromArgs(parseArgs(["--kernel", "k"])).boot).toEqual({ kind: "kernel", kernel: { kind: "file", path: "k" } });
    expect(machineFromArgs(parseArgs(["--disk", "d.img", "--boot", "disk"])).boot).toEqual({ kind: "disk" });
    expect(machineFromArgs(parseArgs([])).boot).toBeUndefined();
    expect(() => parseArgs(["--initrd", "i"])).toThrow(/--initrd needs --kernel FILE/);
    expect(() => parseArgs(["--boot", "disk", "--kernel", "k"])).toThrow(/--boot disk boots the disk's own kernel/);
    expect(() => parseArgs(["--cmdline", "a", "--append", "b"])).toThrow(/--cmdline and --append are the same option/);
    expect(() => machineFromArgs(parseArgs(["--net", "none", "--boot", "disk"]))).toThrow(/boot must be a kernel: booting from a disk needs a virtio-blk device/);
  });

  it("takes --machine FILE whole, and refuses flags that would change it", () => {
    const dir = mkdtempSync(join(tmpdir(), "ringside-machine-"));
    const file = join(dir, "m.json");
    writeFileSync(file, JSON.stringify({ version: 1, memoryMiB: 192, cmdline: "x", devices: [{ type: "virtio-rng" }] }));
    expect(machineFromArgs(parseArgs(["--machine", file]))).toEqual({ version: 1, memoryMiB: 192, cmdline: "x", devices: [{ type: "virtio-rng", transport: { kind: "pci" } }] });
    expect(() => parseArgs(["--machine", file, "--mem", "512"])).toThrow(/--mem cannot be used with --machine/);
    expect(() => machineFromArgs(parseArgs(["--machine", join(dir, "missing.json")]))).toThrow(/cannot read the machine file/);
  });

  it("puts a restored state's disks on the --disk files in order, and says how many it needs", () => {
    const saved = machineFromArgs(parseArgs(["--device", "virtio-blk,memory=8", "--device", "virtio-blk,memory=16,readonly=on"]));
    const m = forRestore(saved, ["x.img", "y.img"], "s.state");
    expect(m.devices.flatMap((d) => (d.type === "virtio-blk" ? [d.options] : []))).toEqual([
      { backend: { kind: "file", path: "x.img" }, readOnly: false },
      { backend: { kind: "file", path: "y.img" }, readOnly: true },
    ]);
    expect(() => forRestore(saved, ["x.img"], "s.state")).toThrow(/s\.state was saved with 2 disks: give --disk PATH 2 times .* \(1 given\)/);
  });
});

describe("network cards' addresses", () => {
  const auto = { backend: { kind: "host" as const }, policy: "shared" as const, ip: "auto" as const };

  it("gives card k its own 10.0.(2+k).0/24 and MAC, the first the default route", () => {
    expect(cardAddressing(0, auto)).toEqual({
      mac: "52:54:00:12:34:56",
      guest: { address: "10.0.2.15", netmask: "255.255.255.0", dns: "10.0.2.2", gateway: "10.0.2.2" },
      host: { routerIp: "10.0.2.2", guestIp: "10.0.2.15", netmask: "255.255.255.0" },
    });
    expect(cardAddressing(1, auto)).toMatchObject({ mac: "52:54:00:12:34:57", guest: { address: "10.0.3.15", gateway: "" }, host: { routerIp: "10.0.3.2" } });
    expect(cardAddressing(1, { ...auto, ip: { address: "192.168.7.9", prefix: 16 } })).toMatchObject({
      guest: { address: "192.168.7.9", netmask: "255.255.0.0" }, host: { routerIp: "192.168.0.2", guestIp: "192.168.7.9" },
    });
  });

  it("configures the first card with ip= and the others by MAC with ringside.ifup=", () => {
    const cards = [cardAddressing(0, auto), cardAddressing(1, auto), cardAddressing(2, { ...auto, ip: "dhcp" })];
    expect(cardCmdline("console=ttyS0", cards)).toBe(
      "console=ttyS0 ip=10.0.2.15::10.0.2.2:255.255.255.0:ringside:eth0:off:10.0.2.2 " +
        "ringside.ifup=52:54:00:12:34:57,10.0.3.15/24 ringside.ifup=52:54:00:12:34:58,dhcp",
    );
    // A command line that configures the network itself keeps its own ip=.
    expect(cardCmdline("ip=dhcp", cards.slice(0, 1))).toBe("ip=dhcp");
  });
});

describe("a saved state against the machine it is to go into", () => {
  const described = (devices: MachineDescription["devices"], memoryMiB = 256): MachineDescription => ({ version: 1, memoryMiB, cmdline: "", devices });
  const blk = (slot: number, sizeMiB: number) => ({ type: "virtio-blk" as const, transport: { kind: "pci" as const, slot }, options: { backend: { kind: "memory" as const, sizeMiB }, readOnly: false } });
  const rng = { type: "virtio-rng" as const, transport: { kind: "pci" as const, slot: 3 } };
  const header = (machine: MachineDescription, diskSectors: number[]): MachineStateHeader => ({
    format: STATE_FORMAT, version: STATE_VERSION, savedAt: "", v86Version: "", v86ClockMs: 0, machine, diskSectors, networksSaved: [],
  });

  it("fits the same devices, whatever backs the disks", () => {
    const m = described([rng, blk(4, 8)]);
    expect(stateMismatch(header(m, [16384]), { description: m, diskSectors: [16384] })).toBeUndefined();
  });

  it("names the device that differs, and how", () => {
    const saved = header(described([rng, blk(4, 8), blk(5, 8)]), [16384, 16384]);
    expect(stateMismatch(saved, { description: described([rng, blk(4, 8), blk(5, 8)]), diskSectors: [16384, 32768] }))
      .toBe("device 3 (virtio-blk in slot 5): the state's disk is 8 MiB (16384 sectors); this machine's is 16 MiB (32768 sectors)");
    expect(stateMismatch(saved, { description: described([rng, blk(4, 8), { ...blk(5, 8), type: "virtio-blk", transport: { kind: "pci", slot: 6 } }]), diskSectors: [16384, 16384] }))
      .toBe("device 3 (virtio-blk in slot 5): the state has it in PCI slot 5; this machine in 6");
    expect(stateMismatch(saved, { description: described([rng, blk(4, 8)]), diskSectors: [16384] }))
      .toMatch(/^the state has 3 devices \(virtio-rng, virtio-blk, virtio-blk\); this machine has 2 \(virtio-rng, virtio-blk\)$/);
    expect(stateMismatch(saved, { description: described([rng, blk(4, 8), blk(5, 8)], 512), diskSectors: [16384, 16384] }))
      .toBe("the state needs 256 MiB of RAM; this machine has 512");
  });
});

describe("config fields from a device's own description", () => {
  it("decodes numbers, hex and MACs little-endian from the config bytes", () => {
    const bytes = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x01, 0x00, 0x01, 0x00, 0xdc, 0x05];
    const read = (offset: number) => bytes[offset] ?? 0;
    const field = (name: string) => decodeConfigField(NET_INFO.config.find((f) => f.name === name)!, read);
    expect([field("mac"), field("status"), field("max_virtqueue_pairs"), field("mtu")]).toEqual(["52:54:00:12:34:56", "0x1", "1", "1500"]);
  });
});
