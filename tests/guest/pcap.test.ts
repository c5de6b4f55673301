// `npm run vm -- --pcap FILE` as a user runs it, read back by Debian's tcpdump (a reader
// nobody here wrote): the guest gets an address by DHCP, downloads a blob over HTTP from
// the host network and uploads random bytes to it, then counts its own frames. The file
// must hold exactly the frames the guest's driver counted, ARP, DHCP and TCP among them, and
// the TCP streams reassembled from the file must hash to what was sent each way. Offloaded
// frames must appear as the guest sees them: one frame larger than the MTU, both ways.
// The same run writes --trace FILE (the timeline of ring events), checked at the end.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../support/cli-run.js";
import { blobSha256 } from "../../src/backends/net/services/blob.js";
import { httpBody, packets, stream, tcpSegment } from "../support/pcap-read.js";
import { readTrace } from "../support/trace-read.js";

const T = 120_000;
const DOWN = 300_000;
const UP = 200_000;
const SEED = 11;

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("npm run vm -- --pcap FILE", () => {
  it("writes every frame the guest sent and received, which tcpdump reads back byte for byte", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ringside-pcap-"));
    const file = join(dir, "eth0.pcapng");
    const traceFile = join(dir, "rings.json");
    try {
      const run = await runCli([
        "--pcap", file, "--trace", traceFile,
        "--exec", "echo dhcp; ip addr flush dev eth0; udhcpc -i eth0 -q -n -t 3 -T 1 >/dev/null 2>&1; echo rc=$?",
        "--exec", `echo down; wget -q -O - 'http://10.0.2.2/blob?bytes=${DOWN}&seed=${SEED}' | sha256sum`,
        "--exec", `echo up; head -c ${UP} /dev/urandom > /tmp/up; sha256sum < /tmp/up; ` +
          `{ printf 'POST /upload HTTP/1.1\\r\\nHost: 10.0.2.2\\r\\nContent-Length: ${UP}\\r\\n\\r\\n'; cat /tmp/up; } | nc 10.0.2.2 80 | tail -1`,
        // The last frames (the closing ACKs) settle before the guest counts its own.
        "--exec", "sleep 1; echo counters; cd /sys/class/net/eth0/statistics; cat tx_packets rx_packets rx_dropped",
      ]);
      expect(run.code, run.stderr).toBe(0);
      const [dhcp, down, up, counters] = run.stdout.split(/^(?:dhcp|down|up|counters)\n/m).slice(1);
      expect(dhcp).toBe("rc=0\n");
      expect(down).toBe(`${blobSha256(DOWN, SEED)}  -\n`);
      const [guestUp, hostUp] = up!.trim().split("\n").map((l) => l.replace(/\s+-$/, "").trim());
      expect(hostUp).toBe(guestUp);
      const [tx, rx, rxDropped] = counters!.trim().split("\n").map(Number);
      const written = /--pcap: (\d+) frames written to .* \(1 interface\)/.exec(run.stderr);
      expect(written, run.stderr).not.toBeNull();

      const all = packets(file);
      // Exactly the frames the guest's own driver counted, and what the CLI said it wrote.
      expect(all.length).toBe(tx! + rx! + rxDropped!);
      expect(all.length).toBe(Number(written![1]));
      expect(all.some((p) => /ARP, Request who-has 10\.0\.2\.2 tell 10\.0\.2\.15/.test(p.line))).toBe(true);
      expect(all.some((p) => /ARP, Reply 10\.0\.2\.2 is-at/.test(p.line))).toBe(true);
      expect(all.filter((p) => /\.68 > .*\.67: BOOTP\/DHCP, Request/.test(p.line)).length).toBeGreaterThanOrEqual(2);
      expect(all.some((p) => /\.67 > .*\.68: BOOTP\/DHCP, Reply/.test(p.line))).toBe(true);

      // The two HTTP connections, rebuilt from the file alone.
      const segments = all.flatMap((p) => tcpSegment(p.bytes) ?? []);
      const clients = [...new Set(segments.filter((s) => s.syn && s.to === "10.0.2.2:80").map((s) => s.from))];
      expect(clients.length).toBe(2);
      const [downClient, upClient] = clients as [string, string];
      expect(sha256(httpBody(stream(segments, "10.0.2.2:80", downClient)))).toBe(blobSha256(DOWN, SEED));
      const sent = httpBody(stream(segments, upClient, "10.0.2.2:80"));
      expect(sent.length).toBe(UP);
      expect(sha256(sent)).toBe(guestUp);

      // TSO both ways was negotiated (virtio-net.test.ts): frames appear unsplit.
      const big = (from: string) => all.filter((p) => p.bytes.length > 1514 && tcpSegment(p.bytes)?.from.startsWith(from)).length;
      expect(big("10.0.2.15:")).toBeGreaterThan(0);
      expect(big("10.0.2.2:")).toBeGreaterThan(0);
      // The interface's description says so (tcpdump does not print it; Wireshark does).
      expect((await readFile(file)).includes("eth0: frames as the guest sees them; TSO/GSO segments appear unsplit, larger than the MTU")).toBe(true);

      // --trace: every ring event from boot on, as a trace-event file Perfetto can open.
      const said = /--trace: (\d+) ring events on (\d+) queues written to /.exec(run.stderr);
      expect(said, run.stderr).not.toBeNull();
      const trace = readTrace(traceFile);
      expect([trace.backwards, trace.badSpans]).toEqual([0, 0]);
      const rxq = trace.queues.get("virtio-net 00:04.0/receiveq1");
      const txq = trace.queues.get("virtio-net 00:04.0/transmitq1");
      const ctrl = trace.queues.get("virtio-net 00:04.0/controlq");
      expect(rxq && txq && ctrl, [...trace.queues.keys()].join(", ")).toBeTruthy();
      const both = (name: string) => (rxq!.get(name) ?? 0) + (txq!.get(name) ?? 0);
      // Both directions: buffers taken and returned (spans), the driver publishing and kicking,
      // interrupts, the device switching kicks off while it polls and on again, and EVENT_IDX's two fields.
      for (const name of ["span b", "span e", "publish", "kick", "kickSuppressed", "interrupt", "notifyOff", "notifyOn", "availEvent", "usedEvent"]) {
        expect(both(name), `${name}: rx ${JSON.stringify([...rxq!])} tx ${JSON.stringify([...txq!])}`).toBeGreaterThan(0);
      }
      // The receive buffers carried the 300 kB download.
      expect(rxq!.get("span e")! * 1500).toBeGreaterThan(DOWN);
      // Linux polls the control queue with its interrupts off.
      expect(ctrl!.get("interruptSuppressed")).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, T);
});
