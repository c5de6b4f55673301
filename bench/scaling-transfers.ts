// How the network card's cost grows with concurrent transfers: N downloads at once (N = 1,
// 2, 4, 8), each a wget of the host network's /blob to /dev/null started in the background,
// the same total of bytes split N ways, timed by the guest from the first start to the last
// end. Per MiB: the card's kicks (rx and tx apart) and interrupts (its queue counters, as
// in net-bench.ts), the times it had a frame and no receive buffer (rx stalls), and the
// frames the host network sent. Per run: the most port-80 connections the host network
// carried at once (sampled every few milliseconds; a run fails unless it reaches N) and its
// retransmissions. One machine, the counts of N taken in a rotated order run after run,
// after warm-up downloads.
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import { hostNetworkChoice } from "../src/machine/host-network-choice.js";
import type { HostNetwork } from "../src/backends/net/host/host-network.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { summarize, type Summary } from "./stats.js";

const T = 600_000;
const MiB = 1024 * 1024;
export const CONCURRENCY = [1, 2, 4, 8];
/** The same bytes whatever N: 128 MiB, 16 MiB each at N = 8. */
const TOTAL_MIB = 128;
const WARM_UPS = 2;
/** How often the host network's connection table is sampled during a transfer. */
const SAMPLE_MS = 5;

export interface TransferScaling {
  transfers: number;
  mib_per_transfer: number;
  total_mib_per_s: Summary;
  kicks_per_mib: Summary;
  /** Of those, the receive queue's (the guest handing back buffers) and the transmit queue's. */
  rx_kicks_per_mib: Summary;
  tx_kicks_per_mib: Summary;
  irqs_per_mib: Summary;
  /** Times the device had a frame for the guest and no receive buffer to put it in. */
  rx_stalls_per_mib: Summary;
  frames_per_mib: Summary;
  /** The most connections to port 80 seen at once in each run. */
  most_connections: Summary;
  retransmitted_segments: Summary;
}

interface Sample {
  mibps: number;
  kicks: number;
  rxKicks: number;
  txKicks: number;
  irqs: number;
  rxStalls: number;
  frames: number;
  mostConnections: number;
  retransmitted: number;
}

/**
 * N wgets in the background, each waited for by its pid so that any one failing fails the
 * run (busybox ash's bare `wait` would say 0).
 */
function concurrentDownloads(n: number, bytesEach: number): string {
  const starts = Array.from({ length: n }, (_, i) => `wget -q -O /dev/null "http://10.0.2.2/blob?bytes=${bytesEach}&seed=${i + 1}" & p="$p $!"`);
  return `time sh -c 'p=""; ${starts.join("; ")}; f=0; for j in $p; do wait $j || f=1; done; exit $f'`;
}

/** The card's receive and transmit queues' counters so far. */
function counts(vm: NodeMachine): { rxKicks: number; txKicks: number; irqs: number; rxStalls: number } {
  const card = vm.machine.deviceViews().find((d) => d.type === "virtio-net");
  const [rx, tx] = [card?.virtio.queues[0]?.ring?.counters, card?.virtio.queues[1]?.ring?.counters];
  if (card?.type !== "virtio-net" || !rx || !tx) throw new Error("scaling bench: the network card's queues are not running");
  return { rxKicks: rx.kicks, txKicks: tx.kicks, irqs: rx.interrupts + tx.interrupts, rxStalls: card.stats.rx.stalls };
}

async function measure(vm: NodeMachine, host: HostNetwork, n: number): Promise<Sample> {
  const mibEach = TOTAL_MIB / n;
  let most = 0;
  const sampler = setInterval(() => {
    const open = host.stats().connections.filter((c) => c.localPort === 80 && c.state !== "TIME_WAIT" && c.state !== "CLOSED").length;
    most = Math.max(most, open);
  }, SAMPLE_MS);
  const before = counts(vm);
  const s0 = host.stats();
  let output: string;
  let status: number;
  try {
    ({ output, status } = await vm.shell.run(concurrentDownloads(n, mibEach * MiB), T));
  } finally {
    clearInterval(sampler);
  }
  const after = counts(vm);
  const s1 = host.stats();
  const seconds = parseRealSeconds(output);
  if (status !== 0 || seconds === undefined || seconds <= 0) throw new Error(`scaling bench: ${n} downloads failed (status ${status}): ${output}`);
  const sent = s1.tcp.bytesOut - s0.tcp.bytesOut;
  if (sent < TOTAL_MIB * MiB) throw new Error(`scaling bench: the host network sent ${sent} bytes for ${TOTAL_MIB} MiB of downloads`);
  // Otherwise the downloads ran one after another, not at once, and the row measures the wrong thing.
  if (most < n) throw new Error(`scaling bench: ${n} downloads, but the host network carried at most ${most} connections at once`);
  return {
    mibps: TOTAL_MIB / seconds,
    kicks: (after.rxKicks + after.txKicks - before.rxKicks - before.txKicks) / TOTAL_MIB,
    rxKicks: (after.rxKicks - before.rxKicks) / TOTAL_MIB,
    txKicks: (after.txKicks - before.txKicks) / TOTAL_MIB,
    rxStalls: (after.rxStalls - before.rxStalls) / TOTAL_MIB,
    irqs: (after.irqs - before.irqs) / TOTAL_MIB,
    frames: (s1.framesToGuest - s0.framesToGuest) / TOTAL_MIB,
    mostConnections: most,
    retransmitted: s1.tcp.retransmittedSegments - s0.tcp.retransmittedSegments,
  };
}

export async function benchTransferScaling(runs: number, progress: (message: string) => void): Promise<TransferScaling[]> {
  const network = hostNetworkChoice();
  const vm = await startNodeMachine({ network });
  try {
    await vm.shell.waitUntilReady(T);
    for (let i = 0; i < WARM_UPS; i++) await measure(vm, network.host, CONCURRENCY.at(-1)!);
    const samples = new Map<number, Sample[]>(CONCURRENCY.map((n) => [n, []]));
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < CONCURRENCY.length; k++) {
        const n = CONCURRENCY[(k + i) % CONCURRENCY.length]!;
        const s = await measure(vm, network.host, n);
        samples.get(n)!.push(s);
        progress(
          `scaling transfers ${n} at once run ${i + 1}/${runs}: ${s.mibps.toFixed(1)} MiB/s, ${s.kicks.toFixed(2)} kicks/MiB, ` +
            `${s.irqs.toFixed(1)} interrupts/MiB, ${s.mostConnections} connections at most`,
        );
      }
    }
    return CONCURRENCY.map((n) => {
      const s = samples.get(n)!;
      const of = (key: keyof Sample) => summarize(s.map((x) => x[key]));
      return {
        transfers: n,
        mib_per_transfer: TOTAL_MIB / n,
        total_mib_per_s: of("mibps"),
        kicks_per_mib: of("kicks"),
        rx_kicks_per_mib: of("rxKicks"),
        tx_kicks_per_mib: of("txKicks"),
        irqs_per_mib: of("irqs"),
        rx_stalls_per_mib: of("rxStalls"),
        frames_per_mib: of("frames"),
        most_connections: of("mostConnections"),
        retransmitted_segments: of("retransmitted"),
      };
    });
  } finally {
    await vm.destroy();
  }
}
