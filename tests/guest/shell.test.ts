// Boots the real kernel in Node and runs commands in its shell.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { DEFAULT_CMDLINE } from "../../src/machine/options.js";

const TOKEN = `ringside.test=${Date.now().toString(36)}`;
const CMDLINE = `${DEFAULT_CMDLINE} ${TOKEN}`;
const T = 60_000;

describe("guest shell in Node", () => {
  let vm: NodeMachine;
  const phases: string[] = [];
  beforeAll(async () => {
    vm = await startNodeMachine({ cmdline: CMDLINE, memoryMiB: 192, onPhase: (p) => phases.push(p) });
    await vm.shell.waitUntilReady(120_000);
  });

  it("went through every boot phase in order (the kernel log is quiet, so no Run /init)", () => {
    expect(phases).toEqual(["loading", "firmware", "decompress", "kernel", "shell"]);
  });
  afterAll(async () => vm?.destroy());

  it("is a 32-bit x86 Linux", async () => {
    expect(await vm.shell.run("uname -m", T)).toEqual({ output: "i686\n", status: 0 });
    expect((await vm.shell.run("uname -sr", T)).output).toMatch(/^Linux 6\.1\.\d+\n$/);
  });

  it("booted with the command line that was passed", async () => {
    const { output } = await vm.shell.run("cat /proc/cmdline", T);
    expect(output.trim()).toBe(CMDLINE);
  });

  it("has the memory that was asked for", async () => {
    const { output } = await vm.shell.run("grep MemTotal /proc/meminfo", T);
    const kib = Number(/MemTotal:\s+(\d+) kB/.exec(output)?.[1]);
    // SeaBIOS reserves the top 16 MiB and the kernel keeps some for itself: what it reports
    // is well under 192 MiB, but far above what a smaller machine would have, and far below
    // the 256 MiB default.
    expect(kib).toBeGreaterThan(160 * 1024);
    expect(kib).toBeLessThanOrEqual(192 * 1024);
  });

  it("returns a failing command's exit status", async () => {
    expect((await vm.shell.run("false", T)).status).toBe(1);
    expect(await vm.shell.run("echo partial; exit_with() { return $1; }; exit_with 42", T)).toEqual({ output: "partial\n", status: 42 });
    expect((await vm.shell.run("ls /does-not-exist 2>/dev/null", T)).status).not.toBe(0);
  });

  it("sleeps for as long as asked (the 32-bit time syscalls busybox uses are there)", async () => {
    const { output } = await vm.shell.run("a=$(cut -d' ' -f1 /proc/uptime); sleep 1; b=$(cut -d' ' -f1 /proc/uptime); echo $a $b", T);
    const [a, b] = output.trim().split(" ").map(Number);
    expect(b! - a!).toBeGreaterThanOrEqual(0.99);
  });

  it("boots without e2fsprogs' archive when the machine has no disk, and mkfs.ext4 says why", async () => {
    const { output } = await vm.shell.run("test -e /usr/lib/e2fsprogs.tar.xz; echo archive-$?; fsck /dev/null 2>&1; echo exit-$?", T);
    expect(output).toMatch(/^archive-1\nfsck: e2fsprogs is not in this machine: it has no disk, .*\nexit-127\n$/);
  });

  it("keeps shell state between commands, like a terminal session", async () => {
    await vm.shell.run("cd /proc; X=7", T);
    expect(await vm.shell.run('echo "$PWD $X"', T)).toEqual({ output: "/proc 7\n", status: 0 });
  });

  it("passes output through byte for byte (no CR/LF translation)", async () => {
    const { output } = await vm.shell.run("printf 'a\\tb\\r\\nc\\n'", T);
    expect(output).toBe("a\tb\r\nc\n");
  });

  it("has no IDE, floppy, sound or ne2k device left from v86", async () => {
    const { output } = await vm.shell.run("cat /sys/bus/pci/devices/*/vendor /sys/bus/pci/devices/*/class | paste - - ", T);
    expect(output).not.toMatch(/0x0101/); // IDE class
    expect(output).not.toMatch(/0x10ec/); // Realtek ne2k-pci
    const ports = (await vm.shell.run("cat /proc/ioports", T)).output;
    expect(ports).not.toMatch(/\b01f0\b|ide|floppy/);
    // Nothing answers at the IDE status port any more: an empty bus reads 0xff.
    const ide = await vm.shell.run("dd if=/dev/port bs=1 skip=$((0x1f7)) count=1 2>/dev/null | od -An -tx1", T);
    expect(ide.output.trim()).toBe("ff");
  });
});
