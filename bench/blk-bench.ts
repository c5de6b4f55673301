// virtio-blk throughput in the guest: sequential write (with fsync) and sequential read
// (page cache dropped first) of /dev/vda in 1 MiB blocks, beside the guest's own memory
// bandwidth (dd from /dev/zero to /dev/null) as the ceiling, with kicks and interrupts
// per MiB from our request queue's counters. The disk is a sparse in-memory one, so the
// figures are the device path's, not a host disk's.
import { startNodeMachine } from "../src/node/node-machine.js";
import { MemoryDisk } from "../src/backends/memory-disk.js";
import type { QueueCounters } from "../src/virtio/queue-types.js";
import { ddCommand, parseDdMiBps, parseRealSeconds } from "./guest-workloads.js";
import { summarize, type Summary } from "./stats.js";

const MiB = 1024 * 1024;
/** MiB moved per run: a few seconds in the guest. */
const RUN_MIB = 128;
const T = 300_000;

export interface BlkScenario {
  mib_per_s: Summary;
  kicks_per_mib: Summary | null;
  irqs_per_mib: Summary | null;
}

export interface BlkResults {
  blk_seq_write: BlkScenario;
  blk_seq_read: BlkScenario;
  /** The guest's memory bandwidth: what no device can beat. */
  guest_dd_ceiling: BlkScenario;
  note: string;
}

export async function benchBlk(runs: number, progress: (message: string) => void): Promise<BlkResults> {
  const disk = new MemoryDisk((2 * RUN_MIB * MiB) / 512);
  const vm = await startNodeMachine({ disk });
  try {
    await vm.shell.waitUntilReady(T);
    const counters = (): QueueCounters => {
      const blk = vm.machine.deviceSnapshots().find((d) => d.virtio.name === "virtio-blk");
      const ring = blk?.virtio.queues[0]?.ring;
      if (!ring) throw new Error("virtio-blk is not active in the guest");
      return ring.counters;
    };
    const timed = async (command: string): Promise<{ mibps: number; kicks: number; irqs: number }> => {
      const before = counters();
      const { output, status } = await vm.shell.run(`time sh -c '${command} 2>/dev/null'`, T);
      const after = counters();
      const seconds = parseRealSeconds(output);
      if (status !== 0 || seconds === undefined || seconds <= 0) throw new Error(`blk bench: "${command}" failed: ${output}`);
      return {
        mibps: RUN_MIB / seconds,
        kicks: (after.kicks - before.kicks) / RUN_MIB,
        irqs: (after.interrupts - before.interrupts) / RUN_MIB,
      };
    };
    const write: Array<{ mibps: number; kicks: number; irqs: number }> = [];
    const read: typeof write = [];
    const ceiling: number[] = [];
    // One warm-up round: the first pass allocates the in-memory disk's chunks.
    await timed(`dd if=/dev/zero of=/dev/vda bs=1M count=${RUN_MIB} conv=fsync`);
    for (let i = 0; i < runs; i++) {
      write.push(await timed(`dd if=/dev/zero of=/dev/vda bs=1M count=${RUN_MIB} conv=fsync`));
      await vm.shell.run("sync; echo 3 > /proc/sys/vm/drop_caches", T);
      read.push(await timed(`dd if=/dev/vda of=/dev/null bs=1M count=${RUN_MIB}`));
      const dd = await vm.shell.run(ddCommand(`blk${i}`), T);
      const bandwidth = parseDdMiBps(dd.output, `blk${i}`);
      if (bandwidth !== undefined) ceiling.push(bandwidth);
      progress(`blk run ${i + 1}/${runs}: write ${write.at(-1)!.mibps.toFixed(1)} MiB/s, read ${read.at(-1)!.mibps.toFixed(1)} MiB/s`);
    }
    const scenario = (rs: typeof write): BlkScenario => ({
      mib_per_s: summarize(rs.map((r) => r.mibps)),
      kicks_per_mib: summarize(rs.map((r) => r.kicks)),
      irqs_per_mib: summarize(rs.map((r) => r.irqs)),
    });
    return {
      blk_seq_write: scenario(write),
      blk_seq_read: scenario(read),
      guest_dd_ceiling: { mib_per_s: summarize(ceiling), kicks_per_mib: null, irqs_per_mib: null },
      note:
        `${RUN_MIB} MiB per run in 1 MiB blocks on an in-memory disk; write with conv=fsync, read after drop_caches. ` +
        "Not measured yet: 4 KiB random-read IOPS (busybox has no tool for it) and v86's IDE (the guest kernel has no ATA driver).",
    };
  } finally {
    await vm.destroy();
  }
}
