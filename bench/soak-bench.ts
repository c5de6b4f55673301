// The soak: one machine with ringside's virtio-net on the host network and a 512 MiB
// in-memory virtio-blk disk moves 1 GiB each way through the network and 512 MiB onto the
// disk and back, every byte checked with SHA-256, while the process's memory is sampled
// after forced garbage collections. The claim it checks: nothing grows beyond the bytes the
// disk backend holds.
//
// Chunk k (64 MiB) is blob (64 MiB, seed SEED_BASE + k) from the host's web server:
//   download  wget into the guest's tmpfs; the guest's sha256sum must equal the host's
//             own (node:crypto over the same generator);
//   upload    the same file POSTed back; the host's hash of what arrived (and its byte
//             count) must equal the guest's hash of what it sent;
//   write     (first 8 chunks) dd onto /dev/vda at k * 64 MiB with fsync; the host's hash
//             of the backend's bytes must equal the guest's.
// Then every chunk is read back from /dev/vda with the page cache dropped, and the guest's
// hash must equal the one it wrote and the backend's bytes' hash. Distinct seeds make a
// chunk in the wrong place a mismatch too.
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import { hostNetworkChoice } from "../src/machine/host-network-choice.js";
import { CheckedDisk } from "../src/backends/checked-disk.js";
import { MemoryDisk } from "../src/backends/memory-disk.js";
import { diskRangeSha256, referenceBlobSha256 } from "./soak-hashes.js";
import { download, guestSha256, readFromDisk, sh, upload, writeToDisk, type Timed } from "./soak-guest.js";
import { memoryGrowth, sampleMemory, type MemoryGrowth, type MemorySample } from "./soak-memory.js";
import { summarize, type Summary } from "./stats.js";
import { formatMiB } from "../src/util/format-bytes.js";

const MiB = 1024 * 1024;
export const SOAK_CHUNK_MIB = 64;
/** Through virtio-net, each way. */
export const SOAK_NET_MIB = 1024;
/** Through virtio-blk, written and read back; also the disk's size. */
export const SOAK_DISK_MIB = 512;
const CHUNK = SOAK_CHUNK_MIB * MiB;
const SEED_BASE = 0x50a0;

export interface SoakPhase {
  mib: number;
  /** Sum of the guest-timed transfers (hashing and checks excluded). */
  seconds: number;
  mib_per_s: number;
  /** Each chunk's MiB/s: a device that slows down as the soak goes on shows here. */
  chunk_mib_per_s: Summary;
  first_chunk_mib_per_s: number;
  last_chunk_mib_per_s: number;
  kicks_per_mib: number;
  irqs_per_mib: number;
  chunks_checked: number;
  sha256_match: boolean;
}

export interface SoakResults {
  net_download: SoakPhase;
  net_upload: SoakPhase;
  blk_write: SoakPhase;
  blk_read: SoakPhase;
  sha256_all_match: boolean;
  /** One line per failed check. */
  mismatches: string[];
  /** From just after boot to the end. */
  memory: MemoryGrowth;
  /** From after the first chunk (v86 has compiled the hot guest code) to the end. */
  memory_after_warmup: MemoryGrowth;
  /** From after the last disk write to the end: network and disk reads only, so nothing should grow. */
  memory_after_disk_writes: MemoryGrowth;
  /** After boot, after each chunk, at the end. */
  memory_samples: MemorySample[];
  wall_seconds: number;
  note: string;
}

/** One phase's transfers and checks as they come. */
class PhaseTally {
  private readonly steps: Array<Timed & { mib: number }> = [];
  private checked = 0;
  private failed = 0;

  constructor(private readonly mismatches: string[]) {}

  add(step: Timed, mib: number, ok: boolean, detail: string): void {
    this.steps.push({ ...step, mib });
    this.checked++;
    if (!ok) {
      this.failed++;
      this.mismatches.push(detail);
    }
  }

  result(): SoakPhase {
    const sum = (f: (s: Timed & { mib: number }) => number) => this.steps.reduce((a, s) => a + f(s), 0);
    const mib = sum((s) => s.mib);
    const seconds = sum((s) => s.seconds);
    const rates = this.steps.map((s) => s.mib / s.seconds);
    return {
      mib,
      seconds,
      mib_per_s: mib / seconds,
      chunk_mib_per_s: summarize(rates),
      first_chunk_mib_per_s: rates[0] ?? Number.NaN,
      last_chunk_mib_per_s: rates.at(-1) ?? Number.NaN,
      kicks_per_mib: sum((s) => s.kicks) / mib,
      irqs_per_mib: sum((s) => s.irqs) / mib,
      chunks_checked: this.checked,
      sha256_match: this.failed === 0,
    };
  }
}

export async function benchSoak(progress: (message: string) => void): Promise<SoakResults> {
  const t0 = performance.now();
  const disk = new CheckedDisk(new MemoryDisk((SOAK_DISK_MIB * MiB) / 512));
  const vm: NodeMachine = await startNodeMachine({ network: hostNetworkChoice(), disk });
  try {
    await vm.shell.waitUntilReady(120_000);
    const samples = [await sampleMemory("after boot", disk.backend.allocatedBytes)];
    progress(`soak: booted; ${describe(samples[0]!)}`);
    const mismatches: string[] = [];
    const down = new PhaseTally(mismatches);
    const up = new PhaseTally(mismatches);
    const write = new PhaseTally(mismatches);
    const read = new PhaseTally(mismatches);
    const written: string[] = [];

    for (let k = 0; k < SOAK_NET_MIB / SOAK_CHUNK_MIB; k++) {
      const seed = SEED_BASE + k;
      const served = referenceBlobSha256(CHUNK, seed);
      const d = await download(vm, CHUNK, seed);
      const received = await guestSha256(vm);
      down.add(d, SOAK_CHUNK_MIB, received === served, `download ${k}: guest got ${received}, host served ${served}`);

      const u = await upload(vm, CHUNK);
      up.add(u, SOAK_CHUNK_MIB, u.hostSha256 === received && u.hostBytes === CHUNK,
        `upload ${k}: guest sent ${received} (${CHUNK} bytes), host got ${u.hostSha256 ?? "no digest"} (${u.hostBytes ?? "?"} bytes)`);

      let line = `soak chunk ${k + 1}: down ${rate(d)} up ${rate(u)}`;
      if (k < SOAK_DISK_MIB / SOAK_CHUNK_MIB) {
        const w = await writeToDisk(vm, k * SOAK_CHUNK_MIB, SOAK_CHUNK_MIB);
        const stored = diskRangeSha256(disk, k * CHUNK, CHUNK);
        write.add(w, SOAK_CHUNK_MIB, stored === received, `disk write ${k}: guest wrote ${received}, backend holds ${stored}`);
        written.push(received);
        line += ` write ${rate(w)}`;
      }
      samples.push(await sampleMemory(`after chunk ${k + 1}`, disk.backend.allocatedBytes));
      progress(`${line} MiB/s; ${describe(samples.at(-1)!)}`);
    }

    for (const [k, wrote] of written.entries()) {
      const r = await readFromDisk(vm, k * SOAK_CHUNK_MIB, SOAK_CHUNK_MIB);
      const back = await guestSha256(vm);
      const stored = diskRangeSha256(disk, k * CHUNK, CHUNK);
      read.add(r, SOAK_CHUNK_MIB, back === wrote && back === stored,
        `disk read ${k}: guest read back ${back}, wrote ${wrote}, backend holds ${stored}`);
      progress(`soak read ${k + 1}/${written.length}: ${rate(r)} MiB/s`);
    }

    // The guest's tmpfs lives in guest RAM (a fixed wasm memory): emptying it changes
    // nothing on the host, but leaves the guest as it was after boot.
    await sh(vm, "rm -f /tmp/soak");
    samples.push(await sampleMemory("after soak", disk.backend.allocatedBytes));
    progress(`soak: done; ${describe(samples.at(-1)!)}`);
    return {
      net_download: down.result(),
      net_upload: up.result(),
      blk_write: write.result(),
      blk_read: read.result(),
      sha256_all_match: mismatches.length === 0,
      mismatches,
      memory: memoryGrowth(samples[0]!, samples.at(-1)!),
      memory_after_warmup: memoryGrowth(samples[1]!, samples.at(-1)!),
      memory_after_disk_writes: memoryGrowth(samples[written.length]!, samples.at(-1)!),
      memory_samples: samples,
      wall_seconds: (performance.now() - t0) / 1000,
      note:
        `${SOAK_NET_MIB} MiB each way through virtio-net and ${SOAK_DISK_MIB} MiB written to and read back from virtio-blk ` +
        `(an in-memory disk of that size), in ${SOAK_CHUNK_MIB} MiB chunks of the host's /blob through a file in the guest's tmpfs; ` +
        "MiB/s times the transfers only (the guest's sha256sum, about 8 MiB/s under emulation, and the host's checks are outside). " +
        "Memory: this Node process, after forced GCs; growth beyond disk = growth minus the bytes the disk backend gained.",
    };
  } finally {
    await vm.destroy();
  }
}

function rate(t: Timed): string {
  return (SOAK_CHUNK_MIB / t.seconds).toFixed(1);
}

function describe(s: MemorySample): string {
  return `heap ${formatMiB(s.heap_used)}, array buffers ${formatMiB(s.array_buffers)}, rss ${formatMiB(s.rss)}, disk ${formatMiB(s.disk_bytes)}`;
}
