// ringside's virtio-net from inside the guest, against the in-worker host network: DHCP,
// ping, DNS, 64 MiB each way over HTTP with sha256 compared, both directions at once, and
// the signature: kicks and interrupts per MiB during bulk transfers under the shared
// notification channel, against the plain per-queue policy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNodeMachine, type NodeMachine } from "../../src/node/node-machine.js";
import { hostNetworkChoice } from "../../src/machine/host-network-choice.js";
import { blobSha256 } from "../../src/backends/net/services/blob.js";
import type { NotificationPolicy } from "../../src/devices/virtio-net.js";
import type { MachineDeviceView } from "../../src/machine/machine-devices.js";

const T = 300_000;
const MiB = 1024 * 1024;
const BULK = 64 * MiB;

/**
 * An HTTP upload of a guest file with nc: busybox wget --post-file sends the file as a C
 * string (it stops at the first zero byte), so it cannot upload binary data. The last
 * line of the reply is the host's sha256 of the body.
 */
function uploadCommand(file: string, bytes: number): string {
  return `{ printf 'POST /upload HTTP/1.1\\r\\nHost: 10.0.2.2\\r\\nContent-Length: ${bytes}\\r\\n\\r\\n'; cat ${file}; } | nc 10.0.2.2 80 | tail -1`;
}

async function boot(policy: NotificationPolicy = "shared"): Promise<NodeMachine> {
  const vm = await startNodeMachine({ network: hostNetworkChoice(), policy });
  await vm.shell.waitUntilReady(T);
  return vm;
}

function net(vm: NodeMachine): MachineDeviceView {
  const d = vm.machine.deviceViews().find((s) => s.type === "virtio-net");
  if (!d) throw new Error("no virtio-net");
  return d;
}

/** Kicks and interrupts of the rx and tx queues together. */
function notifications(vm: NodeMachine): { kicks: number; irqs: number } {
  const queues = net(vm).virtio.queues.slice(0, 2);
  let kicks = 0;
  let irqs = 0;
  for (const q of queues) {
    kicks += q.ring?.counters.kicks ?? 0;
    irqs += q.ring?.counters.interrupts ?? 0;
  }
  return { kicks, irqs };
}

async function perMiB(vm: NodeMachine, command: string, mib: number): Promise<{ output: string; kicks: number; irqs: number }> {
  const before = notifications(vm);
  const { output, status } = await vm.shell.run(command, T);
  expect(status, output).toBe(0);
  const after = notifications(vm);
  return { output, kicks: (after.kicks - before.kicks) / mib, irqs: (after.irqs - before.irqs) / mib };
}

describe("virtio-net in the guest, on the host network", () => {
  let vm: NodeMachine;
  beforeAll(async () => {
    vm = await boot();
  }, T);
  afterAll(async () => {
    await vm?.destroy();
  });

  it("comes up as eth0 with the address from ip=, and udhcpc gets 10.0.2.15 from the router", async () => {
    const up = await vm.shell.run("cat /sys/class/net/eth0/address; ip -4 addr show eth0 | grep -o 'inet [0-9./]*'", T);
    expect(up.output).toBe("52:54:00:12:34:56\ninet 10.0.2.15/24\n");
    const dhcp = await vm.shell.run("ip addr flush dev eth0; udhcpc -i eth0 -q -n -t 3 -T 1 >/dev/null 2>&1; echo rc=$?; ip -4 addr show eth0 | grep -o 'inet [0-9./]*'; ip route | grep default; cat /etc/resolv.conf", T);
    expect(dhcp.output).toMatch(/^rc=0\ninet 10\.0\.2\.15\/24\ndefault via 10\.0\.2\.2 dev eth0/);
    expect(dhcp.output).toMatch(/^nameserver 10\.0\.2\.2$/m);
    expect(net(vm).virtio.featuresNegotiatedNames).toEqual(expect.arrayContaining(["NET_F_MRG_RXBUF", "NET_F_GUEST_TSO4", "NET_F_HOST_TSO4"]));
  });

  it("pings the router, resolves names through its DNS, and echoes over TCP", async () => {
    const ping = await vm.shell.run("ping -c 3 -W 2 10.0.2.2", T);
    expect(ping.output).toMatch(/3 packets transmitted, 3 packets received, 0% packet loss/);
    const dns = await vm.shell.run("nslookup ringside.host 2>&1; nslookup nosuch.example 2>&1; ping -c 1 -W 2 router | head -1", T);
    expect(dns.output).toMatch(/^Name:\s+ringside\.host\nAddress: 10\.0\.2\.2$/m);
    expect(dns.output).toMatch(/NXDOMAIN/);
    expect(dns.output).toMatch(/PING router \(10\.0\.2\.2\)/);
    // (busybox nc has no UDP mode: UDP echo is covered by the host network's unit tests.)
    const echo = await vm.shell.run("echo ringside-tcp | nc -w 1 10.0.2.2 7", T);
    expect(echo.output).toBe("ringside-tcp\n");
    const page = await vm.shell.run("wget -q -O - http://host/ | grep -c blob-sha256", T);
    expect(Number(page.output.trim())).toBeGreaterThan(0);
  });

  it("downloads 64 MiB whose sha256 matches /blob-sha256, with almost no kicks", async () => {
    const url = `http://10.0.2.2/blob?bytes=${BULK}&seed=7`;
    const got = await perMiB(vm, `wget -q -O - '${url}' | sha256sum`, BULK / MiB);
    const expected = blobSha256(BULK, 7);
    expect(got.output.trim()).toBe(`${expected}  -`);
    const served = await vm.shell.run(`wget -q -O - 'http://10.0.2.2/blob-sha256?bytes=${BULK}&seed=7'`, T);
    expect(served.output.trim()).toBe(expected);
    // The signature: far below one kick per 64 KiB (16 per MiB), and few interrupts.
    expect(got.kicks).toBeLessThan(1);
    expect(got.irqs).toBeLessThan(64);
  });

  it("uploads 64 MiB and the reply matches the guest's sha256, with almost no kicks", async () => {
    await vm.shell.run(`dd if=/dev/urandom of=/tmp/up bs=1M count=${BULK / MiB} 2>/dev/null`, T);
    const local = (await vm.shell.run("sha256sum /tmp/up | cut -d' ' -f1", T)).output.trim();
    const got = await perMiB(vm, uploadCommand("/tmp/up", BULK), BULK / MiB);
    expect(got.output.trim()).toBe(local);
    expect(got.kicks).toBeLessThan(1);
    expect(got.irqs).toBeLessThan(64);
  });

  it("moves 64 MiB both ways at once, both intact", async () => {
    const local = (await vm.shell.run("sha256sum /tmp/up | cut -d' ' -f1", T)).output.trim();
    const both = await vm.shell.run(
      `wget -q -O - 'http://10.0.2.2/blob?bytes=${BULK}&seed=9' | sha256sum > /tmp/down.sum & ` +
        `${uploadCommand("/tmp/up", BULK)} > /tmp/up.sum; wait; cat /tmp/down.sum /tmp/up.sum; rm /tmp/up`,
      T,
    );
    expect(both.output).toBe(`${blobSha256(BULK, 9)}  -\n${local}\n`);
  });
});

describe("the same download with plain per-queue kicks", () => {
  it("kicks many times more than the shared channel", async () => {
    const mib = 16;
    const url = `http://10.0.2.2/blob?bytes=${mib * MiB}&seed=3`;
    const results: Record<string, { kicks: number; irqs: number }> = {};
    for (const policy of ["shared", "per-queue"] as const) {
      const vm = await boot(policy);
      try {
        const got = await perMiB(vm, `wget -q -O - '${url}' | sha256sum`, mib);
        expect(got.output.trim()).toBe(`${blobSha256(mib * MiB, 3)}  -`);
        results[policy] = got;
      } finally {
        await vm.destroy();
      }
    }
    // Per-queue: every ACK the guest sends is a tx kick; shared: the device polls tx.
    expect(results["per-queue"]!.kicks).toBeGreaterThan(10 * Math.max(results.shared!.kicks, 0.1));
  }, 2 * T);
});
