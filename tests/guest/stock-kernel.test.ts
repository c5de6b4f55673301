// A kernel nobody here built: Debian's stock i386 kernel (linux-image-6.1.0-NN-686, its
// virtio drivers as modules) with the initrd images/stock/build-stock.sh makes from Debian
// packages, booted from files named in the machine description. Its /init loads the
// modules and every ringside device binds and works: the shell on hvc0 (with Ctrl-C), the
// rng, a disk round trip compared with the host file's bytes, a download from the host
// network. The first run builds the kernel and initrd into .cache/stock (about 20 s).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { parseMachineDescription } from "../../src/description/parse-machine.js";
import { MACHINE_DESCRIPTION_VERSION } from "../../src/description/machine-description.js";
import { STOCK_BUILD_TIMEOUT_MS, stockKernel, type StockKernel } from "../support/stock-kernel.js";

const T = 60_000;
const SHELL_TIMEOUT_MS = 120_000;
const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("Debian's stock i386 kernel with an initrd built from Debian packages", () => {
  let stock: StockKernel;
  let vm: NodeMachine;
  let dir: string;
  let diskPath: string;
  /** What the disk's first MiB holds before boot; the host knows these bytes. */
  const known = new Uint8Array(randomBytes(MiB));
  /** The console's recent output, for waiting on a line a command prints before it blocks. */
  let consoleTail = "";
  const run = async (command: string) => {
    const r = await vm.shell.run(command, T);
    expect(r.status, `${command}\n${r.output}`).toBe(0);
    return r.output;
  };

  beforeAll(async () => {
    stock = await stockKernel();
    dir = mkdtempSync(join(tmpdir(), "ringside-stock-"));
    diskPath = join(dir, "disk.img");
    const image = new Uint8Array(8 * MiB);
    image.set(known);
    writeFileSync(diskPath, image);
    const description = parseMachineDescription({
      version: MACHINE_DESCRIPTION_VERSION,
      memoryMiB: 256,
      // The stock kernel has no CONFIG_IP_PNP: images/stock/init reads stock.ip and stock.gw.
      cmdline: "console=ttyS0 cryptomgr.notests noisapnp stock.ip=10.0.2.15/24 stock.gw=10.0.2.2",
      boot: { kind: "kernel", kernel: { kind: "file", path: stock.vmlinuz }, initrd: { kind: "file", path: stock.initrd } },
      devices: [
        { type: "virtio-console", transport: { kind: "pci" } },
        { type: "virtio-rng", transport: { kind: "pci" } },
        { type: "virtio-blk", transport: { kind: "pci" }, options: { backend: { kind: "file", path: diskPath }, readOnly: false } },
        { type: "virtio-net", transport: { kind: "pci" }, options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } },
      ],
    });
    const t0 = performance.now();
    vm = await startNodeMachine({
      description,
      onConsole: (bytes) => {
        consoleTail = (consoleTail + new TextDecoder().decode(bytes)).slice(-4096);
      },
    });
    try {
      await vm.shell.waitUntilReady(SHELL_TIMEOUT_MS);
    } catch (e) {
      const report = vm.machine.bootReport();
      throw new Error(`no shell: ${String(e)}; phase ${report.phase}; serial:\n${report.serialTail.join("\n")}`);
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(`stock kernel ${stock.release} (${stock.packageVersion}): boot to shell ${seconds.toFixed(1)} s`);
  }, STOCK_BUILD_TIMEOUT_MS + SHELL_TIMEOUT_MS);

  afterAll(async () => {
    await vm?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs Debian's kernel, with the virtio modules loaded from the initrd", async () => {
    expect(await run("uname -r")).toBe(`${stock.release}\n`);
    expect(await run("cat /proc/version")).toContain(`Debian ${stock.packageVersion} `);
    const modules = (await run("cut -d' ' -f1 /proc/modules")).split("\n");
    expect(modules).toEqual(expect.arrayContaining(["virtio", "virtio_ring", "virtio_pci", "virtio_console", "virtio_blk", "virtio_net", "virtio_rng"]));
  });

  it("binds every ringside device to its driver, and each is live on the host side", async () => {
    // One line per virtio device: its device ID and the driver bound to it.
    const bound = await run("for d in /sys/bus/virtio/devices/*; do echo $(cat $d/device) $(basename $(readlink $d/driver)); done");
    expect(bound.trim().split("\n").sort()).toEqual(["0x0001 virtio_net", "0x0002 virtio_blk", "0x0003 virtio_console", "0x0004 virtio_rng"]);
    const views = vm.machine.deviceViews();
    expect(views.map((v) => v.virtio.name).sort()).toEqual(["virtio-blk", "virtio-console", "virtio-net", "virtio-rng"]);
    for (const v of views) expect(v.virtio.active, v.virtio.name).toBe(true);
  });

  it("has its shell on hvc0, and Ctrl-C stops the foreground job", async () => {
    expect(await run("tty <&1")).toBe("/dev/hvc0\n");
    // The trap keeps the shell's own line going after the Ctrl-C, so the command ends.
    const started = performance.now();
    const pending = vm.shell.run("trap 'echo interrupted' INT; echo sleeping; sleep 50; echo after=$?; trap - INT", T);
    const deadline = Date.now() + 20_000;
    while (!consoleTail.includes("sleeping") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    vm.machine.sendInput("\x03");
    const r = await pending;
    expect(r.output).toContain("interrupted");
    expect(r.output).toContain("after=130");
    expect(performance.now() - started).toBeLessThan(40_000);
  });

  it("reads random bytes from /dev/hwrng, served by the virtio rng", async () => {
    expect(await run("cat /sys/class/misc/hw_random/rng_current")).toBe("virtio_rng.0\n");
    const words = (await run("head -c 256 /dev/hwrng | od -An -v -tx1")).trim().split(/\s+/);
    expect(words).toHaveLength(256);
    expect(new Set(words).size).toBeGreaterThan(100);
  });

  it("round-trips known bytes through the disk, and the host file holds them", async () => {
    expect(await run("dd if=/dev/vda bs=64k count=16 2>/dev/null | sha256sum")).toBe(`${sha256(known)}  -\n`);
    // Copy the first MiB to the second, then read it back from the device, not the cache.
    await run("dd if=/dev/vda of=/dev/vda bs=64k count=16 seek=16 conv=fsync 2>/dev/null && echo 3 >/proc/sys/vm/drop_caches");
    expect(await run("dd if=/dev/vda bs=64k skip=16 count=16 2>/dev/null | sha256sum")).toBe(`${sha256(known)}  -\n`);
    const file = new Uint8Array(readFileSync(diskPath));
    expect(sha256(file.subarray(MiB, 2 * MiB))).toBe(sha256(known));
  });

  it("downloads from the host network over eth0, and the sha256 matches", async () => {
    const query = "bytes=4194304&seed=14";
    const got = await run(`wget -q -O - 'http://10.0.2.2/blob?${query}' | sha256sum`);
    const want = await run(`wget -q -O - 'http://10.0.2.2/blob-sha256?${query}'`);
    expect(want.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(got).toBe(`${want.trim()}  -\n`);
  });
});
