// The soak in a real browser worker: the built page in Chromium, cross-origin isolated,
// with the machine in its Web Worker as users run it (its OPFS disk, the host network in
// the worker), driven through the page's terminal. 512 MiB each way through virtio-net and
// the whole 256 MiB OPFS disk written and read back, in 64 MiB chunks, every chunk checked
// with SHA-256, and the worker's memory measured after boot, after each chunk and at the end.
//
// The chunk scheme is the Node soak's (soak-bench.ts): chunk k is the host's
// /blob?bytes=64MiB&seed=SEED_BASE+k.
//   download  wget into the guest's tmpfs; the guest's sha256sum must equal node:crypto's
//             over the same generator;
//   upload    the file POSTed back to /upload; the host network's hash of what arrived (and
//             its byte count) must equal the guest's hash of what it sent;
//   write     (first 4 chunks) dd onto /dev/vda at k * 64 MiB with fsync; the page's
//             crypto.subtle hash of the OPFS file's bytes must equal the guest's.
// Then each chunk is read back from /dev/vda with the page cache dropped: the guest's hash
// must equal the one it wrote, and the OPFS bytes' hash.
//
// The disk: the page's is 256 MiB (PAGE_DISK) with ext4 at /mnt. Rather than add a page
// option for a larger one, the soak unmounts /mnt and writes the disk raw, whole: exactly
// the 256 MiB asked for, with no change to the page.
import type { Page } from "playwright-core";
import { PAGE_DISK } from "../src/share/page-machine.js";
import { waitForScreen } from "../tests/support/terminal-screen.js";
import type { SoakPhase } from "./soak-bench.js";
import { openIsolatedSite } from "./soak-browser-site.js";
import { download, guestSha256, readFromDisk, releaseDisk, sh, upload, writeToDisk } from "./soak-browser-guest.js";
import { browserMemoryGrowth, sampleBrowserMemory, type BrowserMemoryGrowth, type BrowserMemorySample } from "./soak-browser-memory.js";
import { opfsRangeSha256 } from "./soak-browser-opfs.js";
import { referenceBlobSha256 } from "./soak-hashes.js";
import { PhaseTally } from "./soak-tally.js";
import type { Timed } from "./soak-guest.js";
import { formatMiB } from "../src/util/format-bytes.js";

const MiB = 1024 * 1024;
export const BROWSER_SOAK_CHUNK_MIB = 64;
/** Through virtio-net, each way. */
export const BROWSER_SOAK_NET_MIB = 512;
/** Through virtio-blk onto OPFS, written and read back: the page's whole disk. */
export const BROWSER_SOAK_DISK_MIB = PAGE_DISK.sizeMiB;
const CHUNK = BROWSER_SOAK_CHUNK_MIB * MiB;
const SEED_BASE = 0x50a0;
const BOOT_TIMEOUT = 180_000;

export interface BrowserSoakResults {
  net_download: SoakPhase;
  net_upload: SoakPhase;
  blk_write: SoakPhase;
  blk_read: SoakPhase;
  sha256_all_match: boolean;
  /** One line per failed check. */
  mismatches: string[];
  cross_origin_isolated: boolean;
  /** The machine's worker script, as the memory measurement names it. */
  worker_url: string;
  /** From the page's navigation to the shell's prompt. */
  boot_seconds: number;
  /** From just after boot to the end. */
  memory: BrowserMemoryGrowth;
  /** From after the first chunk (v86 has compiled the hot guest code) to the end. */
  memory_after_warmup: BrowserMemoryGrowth;
  /** After boot, after each chunk, at the end. */
  memory_samples: BrowserMemorySample[];
  /** Uncaught errors on the page during the soak. */
  page_errors: string[];
  wall_seconds: number;
  note: string;
}

async function bootPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", null, { timeout: BOOT_TIMEOUT });
  if ((await page.evaluate(() => document.body.dataset.state)) === "error") throw new Error(`browser soak: ${await page.locator("#error-panel").innerText()}`);
  await waitForScreen(page, /ringside:~# /, BOOT_TIMEOUT);
  await page.locator("#terminal").click();
}

export async function benchBrowserSoak(progress: (message: string) => void): Promise<BrowserSoakResults> {
  const t0 = performance.now();
  const site = await openIsolatedSite();
  try {
    const page = await site.context.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    // The page's defaults: the machine in its worker, the OPFS disk, the host network.
    await bootPage(page, site.url);
    const bootSeconds = (performance.now() - t0) / 1000;
    const isolated = await page.evaluate(() => crossOriginIsolated);
    if (!isolated) throw new Error("browser soak: the page is not cross-origin isolated (COOP/COEP headers missing?)");
    const sectors = Number((await sh(page, "cat /sys/block/vda/size")).trim());
    if (sectors * 512 < BROWSER_SOAK_DISK_MIB * MiB) throw new Error(`browser soak: /dev/vda is ${sectors} sectors, less than ${BROWSER_SOAK_DISK_MIB} MiB`);
    await releaseDisk(page);
    const samples = [await sampleBrowserMemory(site.context, page, "after boot")];
    progress(`browser soak: booted in ${bootSeconds.toFixed(1)} s, cross-origin isolated; ${describe(samples[0]!)}`);

    const mismatches: string[] = [];
    const down = new PhaseTally(mismatches);
    const up = new PhaseTally(mismatches);
    const write = new PhaseTally(mismatches);
    const read = new PhaseTally(mismatches);
    const written: string[] = [];
    for (let k = 0; k < BROWSER_SOAK_NET_MIB / BROWSER_SOAK_CHUNK_MIB; k++) {
      const seed = SEED_BASE + k;
      const served = referenceBlobSha256(CHUNK, seed);
      const d = await download(page, CHUNK, seed);
      const received = await guestSha256(page);
      down.add(d, BROWSER_SOAK_CHUNK_MIB, received === served, `download ${k}: guest got ${received}, host served ${served}`);

      const u = await upload(page, CHUNK);
      up.add(u, BROWSER_SOAK_CHUNK_MIB, u.hostSha256 === received && u.hostBytes === CHUNK,
        `upload ${k}: guest sent ${received} (${CHUNK} bytes), host got ${u.hostSha256 ?? "no digest"} (${u.hostBytes ?? "?"} bytes)`);

      let line = `browser soak chunk ${k + 1}: down ${rate(d)} up ${rate(u)}`;
      if (k < BROWSER_SOAK_DISK_MIB / BROWSER_SOAK_CHUNK_MIB) {
        const w = await writeToDisk(page, k * BROWSER_SOAK_CHUNK_MIB, BROWSER_SOAK_CHUNK_MIB);
        const stored = await opfsRangeSha256(page, PAGE_DISK.name, k * CHUNK, CHUNK);
        write.add(w, BROWSER_SOAK_CHUNK_MIB, stored === received, `disk write ${k}: guest wrote ${received}, OPFS holds ${stored}`);
        written.push(received);
        line += ` write ${rate(w)}`;
      }
      samples.push(await sampleBrowserMemory(site.context, page, `after chunk ${k + 1}`));
      progress(`${line} MiB/s; ${describe(samples.at(-1)!)}`);
    }

    for (const [k, wrote] of written.entries()) {
      const r = await readFromDisk(page, k * BROWSER_SOAK_CHUNK_MIB, BROWSER_SOAK_CHUNK_MIB);
      const back = await guestSha256(page);
      const stored = await opfsRangeSha256(page, PAGE_DISK.name, k * CHUNK, CHUNK);
      read.add(r, BROWSER_SOAK_CHUNK_MIB, back === wrote && back === stored,
        `disk read ${k}: guest read back ${back}, wrote ${wrote}, OPFS holds ${stored}`);
      progress(`browser soak read ${k + 1}/${written.length}: ${rate(r)} MiB/s`);
    }

    // The guest's tmpfs is in guest RAM (a fixed wasm memory): leaves the guest as after boot.
    await sh(page, "rm -f /tmp/soak");
    samples.push(await sampleBrowserMemory(site.context, page, "after soak"));
    progress(`browser soak: done; ${describe(samples.at(-1)!)}`);
    return {
      net_download: down.result(),
      net_upload: up.result(),
      blk_write: write.result(),
      blk_read: read.result(),
      sha256_all_match: mismatches.length === 0,
      mismatches,
      cross_origin_isolated: isolated,
      worker_url: samples[0]!.worker_entries[0]?.url ?? "",
      boot_seconds: bootSeconds,
      memory: browserMemoryGrowth(samples[0]!, samples.at(-1)!),
      memory_after_warmup: browserMemoryGrowth(samples[1]!, samples.at(-1)!),
      memory_samples: samples,
      page_errors: pageErrors,
      wall_seconds: (performance.now() - t0) / 1000,
      note:
        `Chromium, the built page cross-origin isolated (COOP same-origin, COEP require-corp), the machine in its Web Worker: ` +
        `${BROWSER_SOAK_NET_MIB} MiB each way through virtio-net on the in-worker host network and the whole ${BROWSER_SOAK_DISK_MIB} MiB ` +
        `OPFS disk written raw (/mnt unmounted) and read back, in ${BROWSER_SOAK_CHUNK_MIB} MiB chunks through a file in the guest's tmpfs, ` +
        "typed into the page's terminal. MiB/s times the transfers only (busybox time in the guest). Memory: the worker, after GCs forced " +
        "through the DevTools protocol; measureUserAgentSpecificMemory (JS objects and the ArrayBuffers they hold, from a GC's marking) " +
        "and the worker's V8 heap over CDP; neither counts the guest's RAM (a WebAssembly memory fixed at boot).",
    };
  } finally {
    await site.close();
  }
}

function rate(t: Timed): string {
  return (BROWSER_SOAK_CHUNK_MIB / t.seconds).toFixed(1);
}

function describe(s: BrowserMemorySample): string {
  return `worker ${formatMiB(s.worker_bytes)} measured (heap used ${formatMiB(s.worker_heap_used)}, array buffers ${formatMiB(s.worker_backing_storage)})`;
}
