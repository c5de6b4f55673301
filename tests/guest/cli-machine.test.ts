// The machine description from the CLI: two disks and two network cards at once with
// --device (the guest sees vda and vdb, eth0 and eth1, each usable; and an rng on
// virtio-mmio), --print-machine, and
// its output fed back with --machine booting the same machine.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-run.js";
import { parseMachineDescription } from "../../src/description/parse-machine.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(`${tmpdir()}/ringside-machine-`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a machine of several disks and cards from the CLI", () => {
  it("gives the guest vda and vdb, eth0 and eth1, each one working", async () => {
    const a = `${dir}/a.img`;
    const b = `${dir}/b.img`;
    const blob = "/blob?bytes=300000&seed=7";
    const r = await runCli([
      "--disk", a, "--disk-size", "8",
      "--device", `virtio-blk,file=${b},size=4`,
      "--device", "virtio-net",
      "--device", "virtio-rng,transport=mmio",
      "--exec", "cat /sys/block/vda/size /sys/block/vdb/size",
      // Different bytes on each disk, written raw and read back through the device.
      "--exec", "echo disk-a-bytes | dd of=/dev/vda conv=fsync 2>/dev/null; echo disk-b-bytes | dd of=/dev/vdb conv=fsync 2>/dev/null; echo 3 > /proc/sys/vm/drop_caches; head -c 13 /dev/vda; head -c 13 /dev/vdb",
      "--exec", "for i in eth0 eth1; do ip -4 -o addr show $i | awk '{print $2, $4}'; done",
      // One download through each card, from each card's own host network.
      "--exec", `wget -q -O - 'http://10.0.2.2${blob}' | sha256sum | cut -c1-64; wget -q -O - 'http://10.0.3.2${blob}' | sha256sum | cut -c1-64; wget -q -O - 'http://10.0.3.2${blob.replace("/blob?", "/blob-sha256?")}'`,
      // The rng on virtio-mmio, bound under its platform device, and its bytes.
      "--exec", "cat /sys/bus/platform/devices/virtio-mmio.0/virtio*/device; head -c 4096 /dev/hwrng | wc -c",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [sizes, disks, addrs, sums] = [r.stdout.split("\n").slice(0, 2), r.stdout.split("\n").slice(2, 4), r.stdout.split("\n").slice(4, 6), r.stdout.split("\n").slice(6, 9)];
    expect(sizes).toEqual(["16384", "8192"]);
    expect(r.stdout.split("\n").slice(9, 11)).toEqual(["0x0004", "4096"]);
    expect(disks).toEqual(["disk-a-bytes", "disk-b-bytes"]);
    expect(addrs).toEqual(["eth0 10.0.2.15/24", "eth1 10.0.3.15/24"]);
    expect(sums![0]).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(sums)).toEqual(new Set([sums![0]]));
    // And on the host side, the bytes the guest wrote are in each file.
    expect(new TextDecoder().decode((await readFile(a)).subarray(0, 12))).toBe("disk-a-bytes");
    expect(new TextDecoder().decode((await readFile(b)).subarray(0, 12))).toBe("disk-b-bytes");
  });

  it("prints the machine it would boot, and that description boots the same machine", async () => {
    const c = `${dir}/c.img`;
    const printed = await runCli(["--mem", "192", "--disk", c, "--disk-size", "2", "--device", "virtio-net,mac=52:54:00:ab:cd:ef,policy=per-queue", "--print-machine"]);
    expect(printed.code).toBe(0);
    const machine = parseMachineDescription(JSON.parse(printed.stdout));
    expect(machine.memoryMiB).toBe(192);
    expect(machine.devices.map((d) => d.type)).toEqual(["virtio-console", "virtio-rng", "virtio-blk", "virtio-net", "virtio-net"]);
    // Every device placed: the printed description says where each one sits.
    expect(machine.devices.every((d) => Number.isInteger(d.transport.kind === "pci" && d.transport.slot))).toBe(true);
    const file = `${dir}/m.json`;
    await writeFile(file, printed.stdout);
    const again = await runCli(["--machine", file, "--print-machine"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(printed.stdout));
    const booted = await runCli(["--machine", file, "--exec", "cat /sys/class/net/eth1/address; grep -c . /proc/meminfo >/dev/null && free -m | awk '/Mem/ {print ($2 > 150 && $2 <= 192)}'"]);
    expect(booted).toMatchObject({ code: 0, stdout: "52:54:00:ab:cd:ef\n1\n" });
  });

  it("explains a bad --device or --machine and exits 2 without booting", async () => {
    const bad = await runCli(["--device", "virtio-blk,fil=x", "--exec", "true"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--device virtio-blk,fil=x: unknown key "fil" for virtio-blk/);
    const file = `${dir}/bad.json`;
    await writeFile(file, JSON.stringify({ version: 1, memoryMiB: 256, cmdline: "", devices: [{ type: "virtio-blk", options: { backend: { kind: "opfs", name: "x", sizeMiB: 4 } } }] }));
    const opfs = await runCli(["--machine", file, "--exec", "true"]);
    expect(opfs.code).toBe(2);
    expect(opfs.stderr).toMatch(/devices\[0\]: a disk in the browser's storage \(opfs "x"\) exists only on the page/);
  });
});
