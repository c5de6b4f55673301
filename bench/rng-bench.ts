// /dev/hwrng throughput with our virtio-rng behind it, timed in the guest by busybox
// `time`. Linux 6.1's virtio-rng posts one small buffer at a time (32 bytes here: its
// buffer is SMP_CACHE_BYTES) and sleeps until it comes back, so every 32 bytes cost a
// kick, an interrupt and a wake-up: interrupts per MiB is in the tens of thousands.
import { MiB, T, type DeviceMachine } from "./device-machine.js";
import { parseRealSeconds } from "./guest-workloads.js";

const TIME_FILE = "/tmp/rng-bench.time";
const BLOCK = 4096;

export interface RngRun {
  mibPerS: number;
  kicksPerMiB: number;
  irqsPerMiB: number;
  /** Bytes our device wrote per buffer the driver posted. */
  bytesPerBuffer: number;
}

/** One timed `dd if=/dev/hwrng bs=4096 count=blocks`. */
export async function runRng(m: DeviceMachine, blocks: number): Promise<RngRun> {
  const q0 = m.counters("virtio-rng", 0);
  await m.sh(`time dd if=/dev/hwrng of=/dev/null bs=${BLOCK} count=${blocks} 2>${TIME_FILE}`, T);
  const q1 = m.counters("virtio-rng", 0);
  const report = await m.sh(`cat ${TIME_FILE}`);
  const records = /^(\d+)\+(\d+) records in/m.exec(report);
  if (!records || Number(records[1]) !== blocks || Number(records[2]) !== 0) {
    throw new Error(`dd did not read ${blocks} full blocks from /dev/hwrng:\n${report}`);
  }
  const seconds = parseRealSeconds(report);
  if (seconds === undefined || seconds <= 0) throw new Error(`no usable time in: ${report}`);
  const written = q1.bytesWritten - q0.bytesWritten;
  const buffers = q1.buffers - q0.buffers;
  const mib = (blocks * BLOCK) / MiB;
  if (written < blocks * BLOCK) throw new Error(`our rng wrote ${written} bytes for a ${blocks * BLOCK}-byte read`);
  return {
    mibPerS: mib / seconds,
    kicksPerMiB: (q1.kicks - q0.kicks) / mib,
    irqsPerMiB: (q1.interrupts - q0.interrupts) / mib,
    bytesPerBuffer: buffers > 0 ? written / buffers : 0,
  };
}
