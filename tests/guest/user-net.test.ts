// User-mode networking from the CLI (--net user, QEMU's -netdev user): the guest reaches
// this computer's own loopback at 10.0.2.2 over TCP (a download and an upload whose sha256
// match) and UDP (a TFTP transfer), a closed port is refused, and a hostfwd rule carries a
// connection from 127.0.0.1:HOSTPORT to a server in the guest. Only loopback is used.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-run.js";
import { startTftpServer, type TftpServer } from "../support/tftp-server.js";

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
const blob = randomBytes(3 * 1024 * 1024);
const tftpFile = { name: "hello.txt", bytes: randomBytes(1500) };
let http: Server;
let httpPort = 0;
let tftp: TftpServer;
const uploads: string[] = [];

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Connects to 127.0.0.1:`port` until something answers with bytes (bounded: `tries` times). */
async function readForwarded(port: number, tries: number): Promise<string> {
  for (let i = 0; i < tries; i++) {
    const text = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      let got = "";
      socket.on("data", (d: Buffer) => (got += d.toString()));
      socket.on("error", () => resolve(""));
      socket.on("close", () => resolve(got));
      socket.setTimeout(5000, () => socket.destroy());
    });
    if (text !== "") return text;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return "";
}

beforeAll(async () => {
  http = createServer((request, response) => {
    if (request.method === "POST") {
      const hash = createHash("sha256");
      request.on("data", (d: Buffer) => hash.update(d));
      request.on("end", () => {
        const digest = hash.digest("hex");
        uploads.push(digest);
        response.end(`${digest}\n`);
      });
      return;
    }
    response.setHeader("content-length", blob.length);
    response.end(blob);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  httpPort = (http.address() as AddressInfo).port;
  tftp = await startTftpServer(tftpFile);
});

afterAll(() => {
  http.close();
  tftp.close();
});

describe("--net user", () => {
  it("reaches the host's loopback over TCP and UDP, refuses a closed port, and forwards a host port to the guest", async () => {
    const forwarded = await freePort();
    const closed = await freePort();
    const run = runCli([
      "--net", `user,hostfwd=tcp::${forwarded}-:8022`,
      "--exec", `wget -q -O - http://10.0.2.2:${httpPort}/blob | sha256sum | cut -c1-64`,
      "--exec", `head -c 1500000 /dev/urandom | base64 > /tmp/up; sha256sum /tmp/up | cut -c1-64; wget -q -O - --post-file /tmp/up http://10.0.2.2:${httpPort}/upload`,
      "--exec", `tftp -g -r ${tftpFile.name} -l /tmp/t 10.0.2.2 ${tftp.port} && sha256sum /tmp/t | cut -c1-64`,
      "--exec", `wget -q -O - http://10.0.2.2:${closed}/ 2>&1; echo "exit $?"`,
      // A server in the guest, reached from the host through the forward while the guest waits.
      "--exec", "(nc -l -p 8022 -e echo hello-from-the-guest &); sleep 0.5; echo listening",
      "--exec", "sleep 5; echo done",
    ]);
    const fromGuest = readForwarded(forwarded, 100);
    const [r, forwardedText] = await Promise.all([run, fromGuest]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe(sha256(blob));
    // The upload (text: busybox wget posts a file as a string, up to its first NUL): the
    // guest's own sum of what it sent, then the host's sum of what arrived.
    expect(lines[1]).toMatch(/^[0-9a-f]{64}$/);
    expect(lines[2]).toBe(lines[1]);
    expect(uploads).toEqual([lines[1]]);
    expect(lines[3]).toBe(sha256(tftpFile.bytes));
    expect(tftp.requests).toEqual([tftpFile.name]);
    // The guest's handshake completes before the host's socket tries (as the host network
    // ends every connection itself), so a refusal reaches it as a reset; the log names it.
    expect(lines[4]).toMatch(/Connection reset by peer/);
    expect(lines[5]).toBe("exit 1");
    expect(r.stderr).toContain(`user network: 127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}; the guest's connection is reset`);
    expect(forwardedText).toBe("hello-from-the-guest\n");
  });
});
