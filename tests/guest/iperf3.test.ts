// A real, independently written network peer in the guest: Debian's i386 iperf3 from the
// tools disk images/tools/build-iperf3-disk.sh builds from Debian's packages, mounted
// read-only and run through the disk's own dynamic loader (the guest's userland is static
// busybox), against the host's native iperf3 server over user-mode networking (the guest
// reaches the host's 127.0.0.1 as 10.0.2.2), in both directions. One boot for the file.
// The first run builds the disk into .cache/iperf3-disk (seconds).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { parseMachineDescription } from "../../src/description/parse-machine.js";
import { MACHINE_DESCRIPTION_VERSION } from "../../src/description/machine-description.js";
import { DEFAULT_CMDLINE } from "../../src/description/limits.js";
import {
  GUEST_IPERF3,
  IPERF3_BUILD_TIMEOUT_MS,
  guestIperf3Client,
  iperf3Disk,
  mountToolsDisk,
  parseIperf3Json,
  startHostIperf3Server,
  type Iperf3Disk,
} from "../support/iperf3-disk.js";

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
        { type: "virtio-net", transport: { kind: "pci" }, options: { backend: { kind: "user" }, policy: "shared", ip: "auto" } },
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

  // iperf3 counts what its sockets took and gave, so the sender's total includes what was
  // still in flight when the test ended (natively on loopback too: 5.6 MB of 1.95 GB). The
  // receiver's total is what crossed; the two ends' own reports must agree on it, and the
  // in-flight rest is bounded by the sockets' buffers and the host network's.
  for (const reverse of [false, true]) {
    it(`moves data ${reverse ? "host to guest (-R)" : "guest to host"} against the host's native iperf3 -s`, async () => {
      const server = await startHostIperf3Server();
      try {
        const client = parseIperf3Json(await run(guestIperf3Client(server.port, 3, reverse)));
        const host = parseIperf3Json(await server.report);
        expect(client.receivedBytes).toBeGreaterThan(0);
        expect(client.sentBytes).toBeGreaterThanOrEqual(client.receivedBytes);
        expect(client.sentBytes - client.receivedBytes).toBeLessThan(16 * 1024 * 1024);
        // The receiving end's own report (the host's when the guest sends) is the client's sum_received.
        if (reverse) expect(host.sentBytes).toBe(client.sentBytes);
        else expect(host.receivedBytes).toBe(client.receivedBytes);
        expect(client.receivedSeconds).toBeGreaterThan(2.5);
      } finally {
        server.stop();
      }
    });
  }
});
