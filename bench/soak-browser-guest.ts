// The browser soak's guest side, typed into the page's terminal as a person would: the
// same steps as the Node soak (soak-guest.ts) on a 64 MiB file in the guest's tmpfs, timed
// by the guest's busybox `time`, with the device's kicks and interrupts read through the
// page's window.ringsideDevices() (the worker API) around each step.
import type { Page } from "playwright-core";
import type { MachineDeviceView } from "../src/worker/api.js";
import { typeLine, waitForScreen } from "../tests/support/terminal-screen.js";
import { parseRealSeconds } from "./guest-workloads.js";
import type { Timed } from "./soak-guest.js";

const T = 600_000;
const FILE = "/tmp/soak";

type DeviceName = "virtio-net" | "virtio-blk";

/** Kicks and interrupts so far of the device's data queues (net: rx and tx; blk: its one queue). */
async function counts(page: Page, device: DeviceName): Promise<{ kicks: number; irqs: number }> {
  const found = await page.evaluate(async (name) => {
    const all = await (window as unknown as { ringsideDevices(): Promise<MachineDeviceView[]> }).ringsideDevices();
    const view = all.find((d) => d.type === name);
    if (!view) return undefined;
    let kicks = 0;
    let irqs = 0;
    for (const q of view.virtio.queues.slice(0, name === "virtio-net" ? 2 : 1)) {
      kicks += q.ring?.counters.kicks ?? 0;
      irqs += q.ring?.counters.interrupts ?? 0;
    }
    return { kicks, irqs };
  }, device);
  if (!found) throw new Error(`browser soak: no ${device} among the page's devices`);
  return found;
}

/** Each command's markers are unique; see sh(). */
let serial = 0;

/**
 * Runs a command that must succeed and returns what it printed. The screen is cleared
 * first, and the begin and end markers are printed through shell arithmetic
 * (`$((7*2))` on the typed line, `14` in the output) so that the echoed command line,
 * however the terminal wraps it, can never be mistaken for them.
 */
export async function sh(page: Page, command: string, timeout = T): Promise<string> {
  const n = ++serial;
  const begin = `@@${n * 2}`;
  const end = `@@${n * 2 + 1}`;
  await typeLine(page, `clear; echo "@@$((${n}*2))"; ${command}; st=$?; echo "@@$((${n}*2+1)) $st"`);
  const text = await waitForScreen(page, new RegExp(`^${end} \\d+$`, "m"), timeout);
  const status = Number(new RegExp(`^${end} (\\d+)$`, "m").exec(text)![1]);
  const from = text.search(new RegExp(`^${begin}$`, "m"));
  const output = text.slice(from < 0 ? 0 : from + begin.length + 1, text.search(new RegExp(`^${end} `, "m")));
  if (status !== 0) throw new Error(`browser soak: guest command failed (status ${status}): ${command}\n${output.slice(0, 2000)}`);
  return output;
}

/** `command` (no single quotes in it) under busybox time, with the device's counters around it. */
async function timed(page: Page, device: DeviceName, command: string): Promise<Timed & { output: string }> {
  const before = await counts(page, device);
  const output = await sh(page, `time sh -c '${command}'`);
  const after = await counts(page, device);
  const seconds = parseRealSeconds(output);
  if (seconds === undefined) throw new Error(`browser soak: no time for "${command}": ${output.slice(0, 2000)}`);
  // busybox prints hundredths: a step faster than that still moved its bytes.
  return { seconds: Math.max(seconds, 0.01), kicks: after.kicks - before.kicks, irqs: after.irqs - before.irqs, output };
}

/** The guest's sha256sum of its soak file (about 8 MiB/s under emulation: outside the timed steps). */
export async function guestSha256(page: Page): Promise<string> {
  const output = await sh(page, `sha256sum ${FILE}`);
  const m = /^([0-9a-f]{64})\s/m.exec(output);
  if (!m) throw new Error(`browser soak: no digest in "${output}"`);
  return m[1]!;
}

/** Host to guest: wget of the host network's blob (bytes, seed) into the soak file. */
export function download(page: Page, bytes: number, seed: number): Promise<Timed> {
  return timed(page, "virtio-net", `rm -f ${FILE}; wget -q -O ${FILE} "http://10.0.2.2/blob?bytes=${bytes}&seed=${seed}"`);
}

/**
 * Guest to host: the soak file POSTed to /upload with nc (busybox wget --post-file stops
 * at the first zero byte). The host network answers with its SHA-256 of the body and the
 * byte count it read (X-Bytes); only those two lines are put on the screen.
 */
export async function upload(page: Page, bytes: number): Promise<Timed & { hostSha256: string | undefined; hostBytes: number | undefined }> {
  const request = `POST /upload HTTP/1.1\\r\\nHost: 10.0.2.2\\r\\nContent-Length: ${bytes}\\r\\n\\r\\n`;
  const result = await timed(page, "virtio-net", `{ printf "${request}"; cat ${FILE}; } | nc 10.0.2.2 80 > ${FILE}.reply`);
  const reply = await sh(page, `tr -d '\\r' < ${FILE}.reply | grep -E '^([0-9a-f]{64}|X-Bytes:.*)$'; rm -f ${FILE}.reply`);
  const sha = /^([0-9a-f]{64})$/m.exec(reply)?.[1];
  const count = /^X-Bytes:\s*(\d+)$/im.exec(reply)?.[1];
  return { ...result, hostSha256: sha, hostBytes: count === undefined ? undefined : Number(count) };
}

/**
 * Takes /dev/vda from the guest's filesystem: the page's boot script mounted its ext4 at
 * /mnt (and the shared folder at /mnt/host, on top of it, which goes first), and the soak
 * writes the whole 256 MiB disk raw, as the Node soak does.
 */
export async function releaseDisk(page: Page): Promise<void> {
  await sh(page, "for m in $(awk '$2 ~ \"^/mnt/\" {print $2}' /proc/mounts); do umount $m; done; if grep -q ' /mnt ' /proc/mounts; then umount /mnt; fi");
}

/** The soak file onto /dev/vda at `offsetMiB`, flushed (conv=fsync) before the time stops. */
export function writeToDisk(page: Page, offsetMiB: number, mib: number): Promise<Timed> {
  return timed(page, "virtio-blk", `dd if=${FILE} of=/dev/vda bs=1M seek=${offsetMiB} count=${mib} conv=fsync 2>/dev/null`);
}

/** `mib` MiB of /dev/vda from `offsetMiB` into the soak file, after dropping the page cache. */
export async function readFromDisk(page: Page, offsetMiB: number, mib: number): Promise<Timed> {
  await sh(page, `rm -f ${FILE}; sync; echo 3 > /proc/sys/vm/drop_caches`);
  return timed(page, "virtio-blk", `dd if=/dev/vda of=${FILE} bs=1M skip=${offsetMiB} count=${mib} 2>/dev/null`);
}
