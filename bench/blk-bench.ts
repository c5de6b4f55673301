// Disk throughput in the guest, ringside's virtio-blk (/dev/vda) beside v86's own IDE disk
// (/dev/sda, through Linux's ata_piix) in the same machine and the same run, both starting
// from the same blank image: sequential write (with fsync) and sequential read (page cache
// dropped first) in 1 MiB blocks, and 4 KiB random reads with O_DIRECT (images/tools/
// randread.c) for IOPS; beside the guest's own memory bandwidth (dd from /dev/zero to
// /dev/null) as the ceiling. The random reads run twice: with no I/O scheduler, as the
// guest image's rc.boot sets every disk (a read is issued from the reading task itself), and
// under mq-deadline, the kernel's own choice for a single-queue disk, which hands each
// request to a kblockd worker: two context switches per read, for both disks. Kicks and interrupts per MiB come from our queue's counters for
// virtio-blk and from the guest's /proc/interrupts for IDE (which has no kicks). The
// virtio disk is a sparse in-memory one, so the figures are the device paths', not a host
// disk's.
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import { CheckedDisk } from "../src/backends/checked-disk.js";
import { MemoryDisk } from "../src/backends/memory-disk.js";
import type { QueueCounters } from "../src/virtio/queue-types.js";
import { ddCommand, parseDdMiBps, parseRealSeconds } from "./guest-workloads.js";
import { parseProcInterrupts } from "./proc-interrupts.js";
import { summarize, type Summary } from "./stats.js";
import { v86IdeDisk } from "./v86-extras.js";

const MiB = 1024 * 1024;
/** MiB moved per sequential run: a few seconds in the guest. */
const RUN_MIB = 64;
/** 4 KiB reads per random-read run: about a second for IDE, so `time`'s 10 ms steps are 1%. */
const RANDOM_READS = 16000;
/** O_DIRECT runs pass over the disk this many times: one pass takes only tens of ms. */
const DIRECT_PASSES = 8;
const DISK_MIB = 2 * RUN_MIB;
const T = 300_000;

export interface BlkScenario {
  mib_per_s: Summary;
  kicks_per_mib: Summary | null;
  irqs_per_mib: Summary | null;
  /** Random-read scenarios only: 4 KiB reads per second. */
  iops?: Summary;
  /** Random-read scenarios only: the guest's context switches per read (/proc/stat ctxt). */
  ctxt_per_read?: Summary;
}

export interface BlkResults {
  blk_seq_write: BlkScenario;
  blk_seq_read: BlkScenario;
  blk_rand_read_4k: BlkScenario;
  /** The same with both disks' I/O scheduler set to mq-deadline (the kernel's default). */
  blk_rand_read_4k_deadline: BlkScenario;
  blk_direct_write: BlkScenario;
  blk_direct_read: BlkScenario;
  ide_seq_write: BlkScenario;
  ide_seq_read: BlkScenario;
  ide_rand_read_4k: BlkScenario;
  ide_rand_read_4k_deadline: BlkScenario;
  ide_direct_write: BlkScenario;
  ide_direct_read: BlkScenario;
  /** The guest's memory bandwidth: what no device can beat. */
  guest_dd_ceiling: BlkScenario;
  note: string;
}

interface Sample {
  mibps: number;
  kicks: number;
  irqs: number;
  iops?: number;
  ctxt?: number;
}

interface Counts {
  kicks: number;
  irqs: number;
}

/** How to count one disk's kicks and interrupts around a command. */
type Counter = () => Promise<Counts>;

function virtioCounter(vm: NodeMachine): Counter {
  return async () => {
    const blk = vm.machine.deviceViews().find((d) => d.virtio.name === "virtio-blk");
    const ring = blk?.virtio.queues[0]?.ring;
    if (!ring) throw new Error("virtio-blk is not active in the guest");
    const c: QueueCounters = ring.counters;
    return { kicks: c.kicks, irqs: c.interrupts };
  };
}

/** ata_piix's line in /proc/interrupts: IRQ 14 carries only the primary channel (sda). */
function ideCounter(vm: NodeMachine): Counter {
  return async () => {
    const { output } = await vm.shell.run("cat /proc/interrupts", T);
    const line = parseProcInterrupts(output).find((l) => l.irq === 14 && l.names.includes("ata_piix"));
    if (!line) throw new Error(`no ata_piix on IRQ 14 in /proc/interrupts:\n${output}`);
    return { kicks: 0, irqs: line.count };
  };
}

async function timed(vm: NodeMachine, count: Counter, command: string, mib: number): Promise<Sample> {
  const before = await count();
  const { output, status } = await vm.shell.run(`time sh -c '${command} 2>/dev/null'`, T);
  const after = await count();
  const seconds = parseRealSeconds(output);
  if (status !== 0 || seconds === undefined || seconds <= 0) throw new Error(`blk bench: "${command}" failed: ${output}`);
  return { mibps: mib / seconds, kicks: (after.kicks - before.kicks) / mib, irqs: (after.irqs - before.irqs) / mib };
}

/** The guest's context switches so far. */
async function contextSwitches(vm: NodeMachine): Promise<number> {
  const { output } = await vm.shell.run("grep ctxt /proc/stat", T);
  const m = /ctxt (\d+)/.exec(output);
  if (!m) throw new Error(`no ctxt line in /proc/stat: ${output}`);
  return Number(m[1]);
}

/** RANDOM_READS random 4 KiB reads with `scheduler` as the disk's I/O scheduler. */
async function randomReads(vm: NodeMachine, device: string, count: Counter, scheduler: string): Promise<Sample> {
  const queue = `/sys/block/${device.replace("/dev/", "")}/queue/scheduler`;
  const set = await vm.shell.run(`echo ${scheduler} > ${queue} && grep -q '\\[${scheduler}\\]' ${queue}`, T);
  if (set.status !== 0) throw new Error(`blk bench: cannot set ${device}'s scheduler to ${scheduler}: ${set.output}`);
  const before = await contextSwitches(vm);
  const sample = await timed(vm, count, `randread ${device} ${RANDOM_READS}`, (RANDOM_READS * 4096) / MiB);
  // Includes the few switches of the shell and `time` around the command: about 0.01 per read.
  sample.ctxt = ((await contextSwitches(vm)) - before) / RANDOM_READS;
  sample.iops = (sample.mibps * MiB) / 4096;
  return sample;
}

interface DiskRound {
  write: Sample;
  read: Sample;
  random: Sample;
  randomDeadline: Sample;
  directWrite: Sample;
  directRead: Sample;
}

async function oneDisk(vm: NodeMachine, device: string, count: Counter): Promise<DiskRound> {
  const write = await timed(vm, count, `dd if=/dev/zero of=${device} bs=1M count=${RUN_MIB} conv=fsync`, RUN_MIB);
  await vm.shell.run("sync; echo 3 > /proc/sys/vm/drop_caches", T);
  const read = await timed(vm, count, `dd if=${device} of=/dev/null bs=1M count=${RUN_MIB}`, RUN_MIB);
  const randomDeadline = await randomReads(vm, device, count, "mq-deadline");
  // Back to the image's setting for this and every later run.
  const random = await randomReads(vm, device, count, "none");
  // O_DIRECT: no page cache, so the device path's own cost shows rather than the guest's
  // per-page work, which dominates the buffered figures for both disks.
  const passes = (dd: string) => `for i in ${Array.from({ length: DIRECT_PASSES }, (_, i) => i + 1).join(" ")}; do ${dd}; done`;
  const directMiB = RUN_MIB * DIRECT_PASSES;
  const directWrite = await timed(vm, count, passes(`dd if=/dev/zero of=${device} bs=1M count=${RUN_MIB} oflag=direct`), directMiB);
  const directRead = await timed(vm, count, passes(`dd if=${device} of=/dev/null bs=1M count=${RUN_MIB} iflag=direct`), directMiB);
  return { write, read, random, randomDeadline, directWrite, directRead };
}

function scenario(samples: Sample[], kicks: boolean): BlkScenario {
  const s: BlkScenario = {
    mib_per_s: summarize(samples.map((r) => r.mibps)),
    kicks_per_mib: kicks ? summarize(samples.map((r) => r.kicks)) : null,
    irqs_per_mib: summarize(samples.map((r) => r.irqs)),
  };
  const iops = samples.flatMap((r) => (r.iops === undefined ? [] : [r.iops]));
  if (iops.length > 0) s.iops = summarize(iops);
  const ctxt = samples.flatMap((r) => (r.ctxt === undefined ? [] : [r.ctxt]));
  if (ctxt.length > 0) s.ctxt_per_read = summarize(ctxt);
  return s;
}

export async function benchBlk(runs: number, progress: (message: string) => void): Promise<BlkResults> {
  // The same image for both: blank, DISK_MIB long.
  const image = new Uint8Array(DISK_MIB * MiB);
  const disk = new CheckedDisk(new MemoryDisk(image.length / 512, { contents: image }));
  const vm = await startNodeMachine({ disk, v86: v86IdeDisk(image.slice().buffer) });
  try {
    await vm.shell.waitUntilReady(T);
    // The first figures are the image's own setting only if rc.boot made it: check it before any change.
    const booted = await vm.shell.run("cat /sys/block/vda/queue/scheduler /sys/block/sda/queue/scheduler", T);
    if ((booted.output.match(/\[none\]/g) ?? []).length !== 2) throw new Error(`blk bench: the guest booted with an I/O scheduler: ${booted.output}`);
    const virtio = virtioCounter(vm);
    const ide = ideCounter(vm);
    // One warm-up round each: the first pass allocates the in-memory disk's chunks and
    // lets v86 compile the hot paths.
    await oneDisk(vm, "/dev/vda", virtio);
    await oneDisk(vm, "/dev/sda", ide);
    const ours: DiskRound[] = [];
    const theirs: typeof ours = [];
    const ceiling: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(await oneDisk(vm, "/dev/vda", virtio));
      theirs.push(await oneDisk(vm, "/dev/sda", ide));
      const dd = await vm.shell.run(ddCommand(`blk${i}`), T);
      const bandwidth = parseDdMiBps(dd.output, `blk${i}`);
      if (bandwidth !== undefined) ceiling.push(bandwidth);
      const o = ours.at(-1)!;
      const t = theirs.at(-1)!;
      progress(
        `blk run ${i + 1}/${runs}: virtio-blk write ${o.write.mibps.toFixed(1)} read ${o.read.mibps.toFixed(1)} MiB/s ` +
          `${o.random.iops!.toFixed(0)} IOPS (${o.randomDeadline.iops!.toFixed(0)} under mq-deadline) direct ${o.directWrite.mibps.toFixed(1)}/${o.directRead.mibps.toFixed(1)}; IDE write ${t.write.mibps.toFixed(1)} read ${t.read.mibps.toFixed(1)} MiB/s ` +
          `${t.random.iops!.toFixed(0)} IOPS (${t.randomDeadline.iops!.toFixed(0)}) direct ${t.directWrite.mibps.toFixed(1)}/${t.directRead.mibps.toFixed(1)}`,
      );
    }
    return {
      blk_seq_write: scenario(ours.map((r) => r.write), true),
      blk_seq_read: scenario(ours.map((r) => r.read), true),
      blk_rand_read_4k: scenario(ours.map((r) => r.random), true),
      blk_rand_read_4k_deadline: scenario(ours.map((r) => r.randomDeadline), true),
      blk_direct_write: scenario(ours.map((r) => r.directWrite), true),
      blk_direct_read: scenario(ours.map((r) => r.directRead), true),
      ide_seq_write: scenario(theirs.map((r) => r.write), false),
      ide_seq_read: scenario(theirs.map((r) => r.read), false),
      ide_rand_read_4k: scenario(theirs.map((r) => r.random), false),
      ide_rand_read_4k_deadline: scenario(theirs.map((r) => r.randomDeadline), false),
      ide_direct_write: scenario(theirs.map((r) => r.directWrite), false),
      ide_direct_read: scenario(theirs.map((r) => r.directRead), false),
      guest_dd_ceiling: { mib_per_s: summarize(ceiling), kicks_per_mib: null, irqs_per_mib: null },
      note:
        `${RUN_MIB} MiB per sequential run in 1 MiB blocks, write with conv=fsync, read after drop_caches, ` +
        `O_DIRECT ones ${DIRECT_PASSES} passes of that; ` +
        `${RANDOM_READS} random 4 KiB O_DIRECT reads per IOPS run, with no I/O scheduler (the guest image's setting) and under ` +
        "mq-deadline (the kernel's default) on both disks. virtio-blk (/dev/vda, in-memory disk) and v86's IDE " +
        "(/dev/sda, ata_piix) in one machine from the same blank image, taking turns.",
    };
  } finally {
    await vm.destroy();
  }
}
