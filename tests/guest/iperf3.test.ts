// A real, independently written network peer in the guest: Debian's i386 iperf3 from the
// tools disk images/tools/build-iperf3-disk.sh builds from Debian's packages, mounted
// read-only and run through the disk's own dynamic loader (the guest's userland is static
// busybox). The first run builds the disk into .cache/iperf3-disk (seconds).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { parseMachineDescription } from "../../src/description/parse-machine.js";
import { MACHINE_DESCRIPTION_VERSION } from "../../src/description/machine-description.js";
import { DEFAULT_CMDLINE } from "../../src/description/limits.js";
import { GUEST_IPERF3, IPERF3_BUILD_TIMEOUT_MS, iperf3Disk, mountToolsDisk, type Iperf3Disk } from "../support/iperf3-disk.js";

const T = 60_000;

describe("Debian's iperf3 in the guest", () => {
  let disk: Iperf3Disk;
  let vm: NodeMachine | undefined;
  const run = async (command: string) => {
    const r = await vm!.shell.run(command, T);
    expect(r.status, `${command}\n${r.output}`).toBe(0);
    return r.output;
  };

  beforeAll(async () => {
    disk = await iperf3Disk();
    const description = parseMachineDescription({
      version: MACHINE_DESCRIPTION_VERSION,
      memoryMiB: 256,
      cmdline: DEFAULT_CMDLINE,
      devices: [
        { type: "virtio-console", transport: { kind: "pci" } },
        { type: "virtio-rng", transport: { kind: "pci" } },
        { type: "virtio-blk", transport: { kind: "pci" }, options: { backend: { kind: "file", path: disk.path }, readOnly: true } },
      ],
    });
    vm = await startNodeMachine({ description });
    await vm.shell.waitUntilReady(T);
    await run(mountToolsDisk(0));
  }, IPERF3_BUILD_TIMEOUT_MS + T);

  afterAll(async () => {
    await vm?.destroy();
  });

  it("runs from the read-only tools disk and is the version the build recorded", async () => {
    const out = await run(`${GUEST_IPERF3} --version`);
    // "iperf 3.12 (cJSON 1.7.15)", then uname and the optional features.
    expect(out.split("\n")[0]).toMatch(new RegExp(`^iperf ${disk.upstreamVersion.replace(/\./g, "\\.")} `));
    expect(out).toMatch(/Linux .* i686/);
  });
});
