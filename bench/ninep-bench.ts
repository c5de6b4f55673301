// Shared folders in the guest: ringside's virtio-9p (memory backend, /mnt/host) beside v86's
// own virtio-9p (its in-memory filesystem, tag host9p, /mnt/host9p) in the same machine and
// the same run, taking turns, both mounted by rc.boot with the same options (9p2000.L,
// msize 512 KiB, no cache; NINEP_CACHE=loose remounts both with that cache). The workload is the one v86's users report as slow: 2,500 small
// files (1 KiB) created, read back and deleted, then one 64 MiB file written and read back.
// The shell loops are ash builtins (no fork per file), so the figures are the 9P paths', not
// process creation. Kicks and interrupts per operation come from our queue's counters; for
// v86's device, interrupts from the guest's /proc/interrupts when its line is its own.
// NINEP_MSIX=1 gives our shared folder MSI-X (a vector per queue) instead of its INTx line.
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import type { MachineDeviceView } from "../src/machine/machine-devices.js";
import { hostShare, shareMachine } from "../tests/support/ninep-host.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { parseProcInterrupts } from "./proc-interrupts.js";
import { summarize, type Summary } from "./stats.js";
import { v86Filesystem } from "./v86-extras.js";

const MiB = 1024 * 1024;
const FILES = 2500;
const BIG_MIB = 64;
const T = 600_000;
const OURS = "/mnt/host";
const V86 = "/mnt/host9p";
/**
 * NINEP_CACHE=loose (any v9fs cache mode): both shares are remounted with it before the rounds,
 * to see what the guest's page and dentry caches change. Unset: no cache, as rc.boot mounts.
 */
const CACHE = process.env.NINEP_CACHE ?? "";
if (!/^[a-z]*$/.test(CACHE)) throw new Error(`9p bench: NINEP_CACHE must be a v9fs cache mode such as loose (got "${CACHE}")`);

const MSIX = process.env.NINEP_MSIX === "1";

type Phase = "create" | "read" | "delete" | "write64" | "read64";
const PHASES: readonly Phase[] = ["create", "read", "delete", "write64", "read64"];
/** Operations a phase does: files for the small-file phases, MiB for the big file. */
const AMOUNT: Record<Phase, number> = { create: FILES, read: FILES, delete: FILES, write64: BIG_MIB, read64: BIG_MIB };

/** The guest's scripts, written once to /tmp; $1 is the share's folder. */
const SCRIPTS: Record<Phase, string[]> = {
  // 1 KiB per file, written by ash's builtin echo (1023 characters and a newline).
  create: ['K=$(head -c 1023 /dev/zero | tr "\\0" x)', "mkdir $1/w && cd $1/w || exit 1", "i=0", `while [ $i -lt ${FILES} ]; do echo "$K" > f$i || exit 1; i=$((i+1)); done`],
  // One cat for every file: opening, reading and closing each (the glob reads the folder once).
  read: ["cd $1/w && cat f* > /dev/null"],
  delete: ["rm -r $1/w"],
  write64: [`dd if=/dev/zero of=$1/big bs=1M count=${BIG_MIB} conv=fsync 2>/dev/null`],
  read64: [`dd if=$1/big of=/dev/null bs=1M 2>/dev/null`],
};

interface Sample {
  perSecond: number;
  kicks: number;
  irqs: number;
  requests: number;
}

export interface NinepScenario {
  /** Files per second (small-file phases) or MiB/s (the 64 MiB file). */
  per_s: Summary;
  kicks_per_op: Summary | null;
  irqs_per_op: Summary | null;
  /** 9P requests per operation (ours only: the device counts them). */
  requests_per_op: Summary | null;
}

export type NinepResults = {
  [K in `${"ours" | "v86"}_${Phase}`]: NinepScenario;
} & {
  /** ours / v86, medians, per phase (above 1: ours faster). */
  ratio: Record<Phase, number>;
  note: string;
};

interface Counts {
  kicks: number;
  irqs: number;
  requests: number;
}

export async function benchNinep(runs: number, progress: (message: string) => void): Promise<NinepResults> {
  // Room for the 64 MiB file and the small ones' metadata.
  const share = hostShare("host", { maxBytes: 256 * MiB });
  const shared = shareMachine([share], 512);
  const backends = shared.backends;
  // NINEP_MSIX=1: our shared folder interrupts through MSI-X (a vector per queue) instead of
  // its INTx line; the machine then runs with v86's APIC, v86's virtio-9p included.
  const description = MSIX
    ? { ...shared.description, devices: shared.description.devices.map((d) => (d.type === "virtio-9p" && d.transport.kind === "pci" ? { ...d, transport: { ...d.transport, msix: true } } : d)) }
    : shared.description;
  const vm = await startNodeMachine({ description, backends, v86: v86Filesystem() });
  try {
    await vm.shell.waitUntilReady(T);
    const sh = async (command: string): Promise<string> => {
      const { output, status } = await vm.shell.run(command, T);
      if (status !== 0) throw new Error(`9p bench: "${command}" failed (${status}): ${output.slice(0, 2000)}`);
      return output;
    };
    for (const [tag, dir] of CACHE ? [["host", OURS], ["host9p", V86]] : []) {
      await sh(`umount ${dir} && mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=${CACHE} ${tag} ${dir}`);
    }
    const mounts = await sh("grep ' 9p ' /proc/mounts");
    if (!mounts.includes(` ${OURS} 9p `) || !mounts.includes(` ${V86} 9p `)) throw new Error(`9p bench: both shares must be mounted:\n${mounts}`);
    for (const phase of PHASES) await sh(`printf '%s\\n' ${SCRIPTS[phase].map(quote).join(" ")} > /tmp/9p-${phase}.sh`);
    const ours = oursCounter(vm);
    const theirs = await v86Counter(sh);
    const round = async (dir: string, count: () => Promise<Counts>): Promise<Record<Phase, Sample>> => {
      const out = {} as Record<Phase, Sample>;
      for (const phase of PHASES) {
        // Nothing cached from the phase before (the folder's dentries, the big file's pages).
        await sh("sync; echo 3 > /proc/sys/vm/drop_caches");
        const before = await count();
        const seconds = parseRealSeconds(await sh(`time sh /tmp/9p-${phase}.sh ${dir}`));
        const after = await count();
        if (seconds === undefined || seconds <= 0) throw new Error(`9p bench: no time for ${phase} on ${dir}`);
        const n = AMOUNT[phase];
        out[phase] = { perSecond: n / seconds, kicks: (after.kicks - before.kicks) / n, irqs: (after.irqs - before.irqs) / n, requests: (after.requests - before.requests) / n };
      }
      return out;
    };
    // A warm-up round each: v86 compiles the hot paths, the filesystems grow their tables.
    await round(OURS, ours);
    await round(V86, theirs);
    const mine: Array<Record<Phase, Sample>> = [];
    const v86: typeof mine = [];
    for (let i = 0; i < runs; i++) {
      // Alternate who goes first, so a slow stretch of this shared machine hits both alike.
      if (i % 2 === 0) {
        mine.push(await round(OURS, ours));
        v86.push(await round(V86, theirs));
      } else {
        v86.push(await round(V86, theirs));
        mine.push(await round(OURS, ours));
      }
      const o = mine.at(-1)!;
      const t = v86.at(-1)!;
      const line = (r: Record<Phase, Sample>) => PHASES.map((p) => `${p} ${r[p].perSecond.toFixed(p.endsWith("64") ? 1 : 0)}`).join(" ");
      progress(`9p run ${i + 1}/${runs}: ours ${line(o)}; v86 ${line(t)} (files/s, MiB/s)`);
    }
    const result = {} as Record<`${"ours" | "v86"}_${Phase}`, NinepScenario>;
    const ratio = {} as Record<Phase, number>;
    for (const p of PHASES) {
      result[`ours_${p}`] = scenario(mine.map((r) => r[p]), true, theirs.irqsKnown);
      result[`v86_${p}`] = scenario(v86.map((r) => r[p]), false, theirs.irqsKnown);
      ratio[p] = result[`ours_${p}`].per_s.median / result[`v86_${p}`].per_s.median;
    }
    return {
      ...result,
      ratio,
      note:
        `${FILES} files of 1 KiB created (ash builtin echo), read (one cat), deleted (rm -r); ${BIG_MIB} MiB written ` +
        "(dd bs=1M conv=fsync) and read back (dd bs=1M), caches dropped before each phase. ringside's virtio-9p on a " +
        "memory filesystem (/mnt/host) and v86's virtio-9p on its own (/mnt/host9p), one machine, taking turns; " +
        `9p2000.L, msize 512 KiB, ${CACHE ? `cache=${CACHE}` : "no cache"} on both.`,
    };
  } finally {
    await vm.destroy();
  }
}

function quote(line: string): string {
  return `'${line.replace(/'/g, "'\\''")}'`;
}

function scenario(samples: Sample[], ours: boolean, v86IrqsKnown: boolean): NinepScenario {
  return {
    per_s: summarize(samples.map((s) => s.perSecond)),
    kicks_per_op: ours ? summarize(samples.map((s) => s.kicks)) : null,
    irqs_per_op: ours || v86IrqsKnown ? summarize(samples.map((s) => s.irqs)) : null,
    requests_per_op: ours ? summarize(samples.map((s) => s.requests)) : null,
  };
}

function oursCounter(vm: NodeMachine): () => Promise<Counts> {
  return async () => {
    const view = vm.machine.deviceViews().find((d): d is Extract<MachineDeviceView, { type: "virtio-9p" }> => d.type === "virtio-9p");
    const ring = view?.virtio.queues[0]?.ring;
    if (!view || !ring) throw new Error("9p bench: our virtio-9p is not active in the guest");
    return { kicks: ring.counters.kicks, irqs: ring.counters.interrupts, requests: view.stats.requests };
  };
}

/** v86's 9p device is the 9pnet_virtio device tagged host9p; its interrupts count only if it has its line alone. */
async function v86Counter(sh: (command: string) => Promise<string>): Promise<(() => Promise<Counts>) & { irqsKnown: boolean }> {
  const listing = await sh("for d in /sys/bus/virtio/drivers/9pnet_virtio/virtio*; do echo $(basename $d) $(cat $d/mount_tag); done");
  const name = /^(virtio\d+) host9p/m.exec(listing)?.[1];
  if (!name) throw new Error(`9p bench: v86's 9p device is not bound:\n${listing}`);
  const line = parseProcInterrupts(await sh("cat /proc/interrupts")).find((l) => l.names.includes(name));
  const irqsKnown = line !== undefined && line.names.length === 1;
  const counter = async (): Promise<Counts> => {
    if (!irqsKnown) return { kicks: 0, irqs: 0, requests: 0 };
    const now = parseProcInterrupts(await sh("cat /proc/interrupts")).find((l) => l.names.includes(name));
    return { kicks: 0, irqs: now?.count ?? 0, requests: 0 };
  };
  return Object.assign(counter, { irqsKnown });
}

export function formatNinep(r: NinepResults): string {
  const n = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  const range = (s: Summary | null, d: number) => (s ? `${n(s.min, d)} / ${n(s.median, d)} / ${n(s.max, d)}` : "-");
  const label: Record<Phase, string> = {
    create: "create 1 KiB files, files/s", read: "read 1 KiB files, files/s", delete: "delete files, files/s",
    write64: "write 64 MiB, MiB/s", read64: "read 64 MiB, MiB/s",
  };
  const lines = ["9p (min / median / max) | per s | ours/v86 | kicks per op | interrupts per op | 9P requests per op"];
  for (const p of PHASES) {
    const o = r[`ours_${p}`];
    const t = r[`v86_${p}`];
    lines.push(`ours ${label[p]} | ${range(o.per_s, 1)} | ${n(r.ratio[p], 2)}x | ${range(o.kicks_per_op, 2)} | ${range(o.irqs_per_op, 2)} | ${range(o.requests_per_op, 2)}`);
    lines.push(`v86  ${label[p]} | ${range(t.per_s, 1)} | | - | ${range(t.irqs_per_op, 2)} | -`);
  }
  lines.push(r.note);
  return lines.join("\n");
}
