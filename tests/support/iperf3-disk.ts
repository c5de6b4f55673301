// The tools disk with Debian's i386 iperf3, built by images/tools/build-iperf3-disk.sh: the
// first build downloads about 5 MB of Debian packages (seconds); after that the script only
// prints where its cache is, without touching the network. Several test files may ask at
// once: the script takes a lock, and within one process the build runs once.
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BUILD_IPERF3_SCRIPT = fileURLToPath(new URL("../../images/tools/build-iperf3-disk.sh", import.meta.url));

/** Long enough for a first build on a slow mirror; a later call takes milliseconds. */
export const IPERF3_BUILD_TIMEOUT_MS = 300_000;

/** Where the guest mounts the disk, and the command that runs iperf3 from it. */
export const TOOLS_MOUNT = "/mnt/tools";
export const GUEST_IPERF3 = `${TOOLS_MOUNT}/iperf3`;

export interface Iperf3Disk {
  /** The ext2 image (attach it read-only: it is shared by every test and the bench). */
  path: string;
  /** Each package on the disk with its exact version ("iperf3:i386" → "3.12-1+deb12u2"). */
  versions: ReadonlyMap<string, string>;
  /** iperf3's upstream version, what `iperf3 --version` prints ("3.12"). */
  upstreamVersion: string;
}

let built: Promise<Iperf3Disk> | undefined;

/** Runs build-iperf3-disk.sh once per process and reads the versions it recorded. */
export function iperf3Disk(): Promise<Iperf3Disk> {
  built ??= build();
  return built;
}

async function build(): Promise<Iperf3Disk> {
  const path = await new Promise<string>((resolve, reject) => {
    execFile("bash", [BUILD_IPERF3_SCRIPT], { timeout: IPERF3_BUILD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`images/tools/build-iperf3-disk.sh failed: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve(stdout.trim().split("\n").pop() ?? "");
    });
  });
  if (!path.endsWith("/iperf3.img")) throw new Error(`build-iperf3-disk.sh printed no image path: ${JSON.stringify(path)}`);
  const versions = new Map<string, string>();
  for (const line of readFileSync(join(dirname(path), "VERSIONS"), "utf8").split("\n")) {
    const [name, version] = line.split(" ");
    if (name && version) versions.set(name, version);
  }
  const full = versions.get("iperf3:i386");
  if (!full) throw new Error(`${dirname(path)}/VERSIONS names no iperf3:i386`);
  // Debian's version is [epoch:]upstream[-revision]; iperf3 prints only the upstream part.
  const upstreamVersion = full.replace(/^\d+:/, "").replace(/-[^-]*$/, "");
  return { path, versions, upstreamVersion };
}

/** Guest shell commands that mount the disk (the `index`-th virtio-blk, vda first) read-only. */
export function mountToolsDisk(index = 0): string {
  const dev = `/dev/vd${String.fromCharCode(97 + index)}`;
  return `mkdir -p ${TOOLS_MOUNT} && mount -t ext2 -o ro ${dev} ${TOOLS_MOUNT}`;
}

// --- the host's native iperf3 server and the guest's client ------------------------------

/** What one iperf3 run (its -J report) says about the bytes moved, the sender's and the receiver's view. */
export interface Iperf3Sums {
  sentBytes: number;
  receivedBytes: number;
  /** The receiver's measured time, s. */
  receivedSeconds: number;
}

/** The sums of an iperf3 -J report, or an error naming what is missing (iperf3 reports its own errors in "error"). */
export function parseIperf3Json(text: string): Iperf3Sums {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end < start) throw new Error(`iperf3 printed no JSON report: ${text.slice(0, 2000)}`);
  const report: unknown = JSON.parse(text.slice(start, end + 1));
  const field = (value: unknown, key: string): unknown => (typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined);
  const error = field(report, "error");
  if (typeof error === "string") throw new Error(`iperf3 reported an error: ${error}`);
  const number = (path: string[]): number => {
    const v = path.reduce<unknown>(field, report);
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`iperf3's report has no number at ${path.join(".")}`);
    return v;
  };
  return {
    sentBytes: number(["end", "sum_sent", "bytes"]),
    receivedBytes: number(["end", "sum_received", "bytes"]),
    receivedSeconds: number(["end", "sum_received", "seconds"]),
  };
}

export interface HostIperf3Server {
  port: number;
  /** The server's own -J report once its one test is over (it exits then: -1). */
  report: Promise<string>;
  stop(): void;
}

/**
 * Starts the host's native `iperf3 -s -1` on 127.0.0.1 at a free port, for one test, and
 * waits until it listens. It only serves loopback: the guest reaches it as 10.0.2.2 through
 * user-mode networking.
 */
export async function startHostIperf3Server(): Promise<HostIperf3Server> {
  const port = await freePort();
  const child = spawn("iperf3", ["-s", "-1", "-J", "-p", String(port), "--bind", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const report = new Promise<string>((resolve, reject) => {
    child.on("error", (e) => reject(new Error(`cannot start the host's iperf3 (Debian package iperf3; scripts/ensure-prerequisites.sh installs it): ${e.message}`)));
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`host iperf3 -s exited with ${code}: ${stderr}${stdout.slice(0, 2000)}`))));
  });
  report.catch(() => {}); // awaited by whoever wants the report; a stop() must not be unhandled
  // With -J the server prints nothing until its test is over, and a probe connection would
  // be its one test: watch the kernel's socket table for its listening socket instead.
  const needle = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 0A`;
  for (let waited = 0; !(await readFile("/proc/net/tcp", "utf8")).includes(needle); waited += 20) {
    if (child.exitCode !== null || waited > 5000) {
      child.kill();
      throw new Error(`host iperf3 -s never listened on 127.0.0.1:${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, report, stop: () => child.exitCode === null && child.kill() };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** The guest command for one iperf3 client run against the host (10.0.2.2 in user-mode networking). */
export function guestIperf3Client(port: number, seconds: number, reverse: boolean): string {
  return `${GUEST_IPERF3} -c 10.0.2.2 -p ${port} -t ${seconds} -J${reverse ? " -R" : ""}`;
}
