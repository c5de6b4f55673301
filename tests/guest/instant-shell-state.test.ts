// The instant shell's snapshot (images/shell.state) restored in Node: the guest it holds is
// the one images/make-shell-state.ts describes. busybox's applet links, which rc.boot makes
// in the background after the prompt, were all there before the save; e2fsprogs' archive
// is not in it (a machine without a disk boots without it: src/machine/bundled-initrd.ts),
// and its tools say so instead of failing obscurely.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { DEFAULT_IMAGES_DIR } from "../../src/node/node-images.js";
import { hostNetworkChoice } from "../../src/machine/host-network-choice.js";
import { readMachineState } from "../../src/machine/machine-state.js";
import { SHELL_STATE_FILE } from "../../src/machine/shell-state.js";
import { decodeStateFile } from "../../src/snapshot/state-file.js";

const T = 60_000;

describe("the instant shell's snapshot", () => {
  let vm: NodeMachine;
  beforeAll(async () => {
    const state = readMachineState(await decodeStateFile(new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, SHELL_STATE_FILE)))));
    vm = await startNodeMachine({ network: hostNetworkChoice(), restore: state });
    await vm.shell.adopt(T);
  }, 120_000);
  afterAll(async () => {
    await vm?.destroy();
  });

  it("has every busybox applet link, made by rc.boot before the save", async () => {
    const { output } = await vm.shell.run("ls /bin /sbin /usr/bin /usr/sbin | grep -c .; readlink /bin/ls; readlink /sbin/ifconfig", T);
    const [count, ...links] = output.trim().split("\n");
    // 268 applets less busybox's own mke2fs, plus the few other files in those folders.
    expect(Number(count)).toBeGreaterThan(260);
    expect(links).toEqual(["/bin/busybox", "/bin/busybox"]);
  });

  it("leaves e2fsprogs' archive out, and mkfs.ext4 says why", async () => {
    expect((await vm.shell.run("test -e /usr/lib/e2fsprogs.tar.xz; echo archive-$?", T)).output).toBe("archive-1\n");
    const { output } = await vm.shell.run("mkfs.ext4 /dev/null 2>&1; echo exit-$?", T);
    expect(output).toMatch(/^mkfs\.ext4: e2fsprogs is not in this machine: it has no disk/);
    expect(output).toMatch(/exit-127\n$/);
  });
});
