// The soak's guest side: each step is one shell command on a 64 MiB file in the guest's
// tmpfs (/tmp/soak), timed by the guest's busybox `time` (its clock follows the host's),
// with the device's kicks and interrupts counted around it. Going through a file keeps the
// timed part to the device path alone: the guest's sha256sum runs at about 8 MiB/s under
// emulation, so hashing inside the transfer's pipeline would time the hash instead.
import type { NodeMachine } from "../src/node/node-machine.js";
import { parseRealSeconds } from "./guest-workloads.js";

const T = 600_000;
const FILE = "/tmp/soak";

export interface Timed {
  seconds: number;
  kicks: number;
  irqs: number;
}

type DeviceName = "virtio-net" | "virtio-blk";

/** Kicks and interrupts so far of the device's data queues (net: rx and tx; blk: its one queue). */
function counts(vm: NodeMachine, device: DeviceName): { kicks: number; irqs: number } {
  const view = vm.machine.deviceViews().find((d) => d.type === device);
  if (!view) throw new Error(`soak: no ${device} among the machine's devices`);
  const queues = view.virtio.queues.slice(0, device === "virtio-net" ? 2 : 1);
  let kicks = 0;
  let irqs = 0;
  for (const q of queues) {
    kicks += q.ring?.counters.kicks ?? 0;
    irqs += q.ring?.counters.interrupts ?? 0;
  }
  return { kicks, irqs };
}

/** Runs a command that must succeed; returns its output. */
export async function sh(vm: NodeMachine, command: string): Promise<string> {
  const { output, status } = await vm.shell.run(command, T);
  if (status !== 0) throw new Error(`soak: guest command failed (status ${status}): ${command}\n${output.slice(0, 2000)}`);
  return output;
}

/** `command` (no single quotes in it) under busybox time; its other output is returned too. */
async function timed(vm: NodeMachine, device: DeviceName, command: string): Promise<Timed & { output: string }> {
  const before = counts(vm, device);
  const output = await sh(vm, `time sh -c '${command}'`);
  const after = counts(vm, device);
  const seconds = parseRealSeconds(output);
  if (seconds === undefined) throw new Error(`soak: no time for "${command}": ${output.slice(0, 2000)}`);
  // busybox prints hundredths: a step faster than that still moved its bytes.
  return { seconds: Math.max(seconds, 0.01), kicks: after.kicks - before.kicks, irqs: after.irqs - before.irqs, output };
}

/** The guest's sha256sum of its soak file. */
export async function guestSha256(vm: NodeMachine): Promise<string> {
  const output = await sh(vm, `sha256sum ${FILE}`);
  const m = /^([0-9a-f]{64})\s/m.exec(output);
  if (!m) throw new Error(`soak: no digest in "${output}"`);
  return m[1]!;
}

/** The file's size in bytes, as the guest sees it. */
export async function guestFileBytes(vm: NodeMachine): Promise<number> {
  return Number((await sh(vm, `stat -c %s ${FILE}`)).trim());
}

/** Host to guest: wget of the host's blob (bytes, seed) into the soak file. */
export function download(vm: NodeMachine, bytes: number, seed: number): Promise<Timed> {
  return timed(vm, "virtio-net", `rm -f ${FILE}; wget -q -O ${FILE} "http://10.0.2.2/blob?bytes=${bytes}&seed=${seed}"`);
}

/**
 * Guest to host: the soak file POSTed to /upload with nc (busybox wget --post-file stops
 * at the first zero byte). Returns what the host replied: its SHA-256 of the body and the
 * byte count it read (X-Bytes).
 */
export async function upload(vm: NodeMachine, bytes: number): Promise<Timed & { hostSha256: string | undefined; hostBytes: number | undefined }> {
  const request = `POST /upload HTTP/1.1\\r\\nHost: 10.0.2.2\\r\\nContent-Length: ${bytes}\\r\\n\\r\\n`;
  const result = await timed(vm, "virtio-net", `{ printf "${request}"; cat ${FILE}; } | nc 10.0.2.2 80 > ${FILE}.reply`);
  const reply = (await sh(vm, `tr -d '\\r' < ${FILE}.reply; rm -f ${FILE}.reply`)).trim();
  const sha = /^([0-9a-f]{64})$/m.exec(reply)?.[1];
  const count = /^X-Bytes:\s*(\d+)$/im.exec(reply)?.[1];
  return { ...result, hostSha256: sha, hostBytes: count === undefined ? undefined : Number(count) };
}

/** The soak file onto /dev/vda at `offsetMiB`, flushed (conv=fsync) before the time stops. */
export function writeToDisk(vm: NodeMachine, offsetMiB: number, mib: number): Promise<Timed> {
  return timed(vm, "virtio-blk", `dd if=${FILE} of=/dev/vda bs=1M seek=${offsetMiB} count=${mib} conv=fsync 2>/dev/null`);
}

/** `mib` MiB of /dev/vda from `offsetMiB` into the soak file, after dropping the page cache. */
export async function readFromDisk(vm: NodeMachine, offsetMiB: number, mib: number): Promise<Timed> {
  await sh(vm, `rm -f ${FILE}; sync; echo 3 > /proc/sys/vm/drop_caches`);
  return timed(vm, "virtio-blk", `dd if=/dev/vda of=${FILE} bs=1M skip=${offsetMiB} count=${mib} 2>/dev/null`);
}
