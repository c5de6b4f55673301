// What v86's JIT settings cost once a machine has booted: two machines in one process, the
// same devices (a 256 MiB disk in memory, a card on the host network), one as every machine
// runs (modules of one page while booting, then v86's own settings with the boot's modules
// dropped: src/machine/boot-jit.ts) and one with v86's own settings throughout, taking
// turns on the same guest work: 4 KiB random reads with O_DIRECT, a 32 MiB download, a
// 128 MiB O_DIRECT sequential read and 8 MiB through sha256sum. With ONE_PAGE=1 a third
// machine keeps one-page modules throughout (what the switch is for).
//
//   npx tsx bench/jit-steady.ts [rounds]
import { startNodeMachine, type NodeMachine } from "../src/node/node-machine.js";
import { HostNetwork } from "../src/backends/net/host/host-network.js";
import { createStandardServices } from "../src/backends/net/services/standard-services.js";
import { MemoryDisk } from "../src/backends/memory-disk.js";
import { CheckedDisk } from "../src/backends/checked-disk.js";
import { V86_OWN_JIT } from "../src/machine/v86-emulator.js";
import { BOOT_JIT } from "../src/v86/v86-jit-settings.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { summarize } from "./stats.js";

const T = 600_000;
const MiB = 1024 * 1024;

/** Guest command and the units (reads, MiB) one run of it moves. */
const WORK: Record<string, { command: string; units: number; unit: string }> = {
  "4 KiB random reads": { command: "randread /dev/vda 16000", units: 16000, unit: "IOPS" },
  "download (wget)": { command: `wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=${32 * MiB}&seed=1'`, units: 32, unit: "MiB/s" },
  "sequential read": { command: "dd if=/dev/vda of=/dev/null bs=1M count=128 iflag=direct", units: 128, unit: "MiB/s" },
  "sha256sum": { command: "dd if=/dev/zero bs=1M count=8 | sha256sum", units: 8, unit: "MiB/s" },
};

async function boot(jit: typeof V86_OWN_JIT | undefined): Promise<NodeMachine> {
  const host = new HostNetwork({ services: createStandardServices({ discardStats: { connections: 0, bytes: 0 } }) });
  const vm = await startNodeMachine({
    disk: new CheckedDisk(new MemoryDisk((256 * MiB) / 512)),
    network: { backend: host, tick: (now: number) => host.tick(now) },
    ...(jit ? { v86: { jit } } : {}),
  });
  await vm.shell.waitUntilReady(T);
  return vm;
}

async function rate(vm: NodeMachine, command: string, units: number): Promise<number> {
  const { output, status } = await vm.shell.run(`time sh -c "${command.replace(/"/g, '\\"')} >/dev/null 2>&1"`, T);
  const seconds = parseRealSeconds(output);
  if (status !== 0 || seconds === undefined || seconds <= 0) throw new Error(`jit-steady: "${command}" failed: ${output}`);
  return units / seconds;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 9);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive whole number, not ${process.argv[2]}`);
  const machines: Record<string, NodeMachine> = { "ringside (switch at the prompt)": await boot(undefined), "v86's own throughout": await boot(V86_OWN_JIT) };
  if (process.env.ONE_PAGE === "1") machines["one page throughout"] = await boot(BOOT_JIT);
  const rates = new Map<string, number[]>();
  try {
    // A warm-up pass each: the disk's chunks allocated, the paths compiled.
    for (const vm of Object.values(machines)) for (const w of Object.values(WORK)) await rate(vm, w.command, w.units);
    for (let r = 0; r < rounds; r++) {
      for (const [name, vm] of Object.entries(machines)) {
        for (const [work, w] of Object.entries(WORK)) {
          const key = `${work}|${name}`;
          rates.set(key, [...(rates.get(key) ?? []), await rate(vm, w.command, w.units)]);
        }
      }
      process.stderr.write(`jit-steady: round ${r + 1}/${rounds}\n`);
    }
  } finally {
    for (const vm of Object.values(machines)) await vm.destroy();
  }
  const names = Object.keys(machines);
  const out = [`work (unit) | ${names.map((n) => `${n}, min / median / max`).join(" | ")} | ${names.slice(1).map((n) => `ringside / ${n}`).join(" | ")}`];
  for (const [work, w] of Object.entries(WORK)) {
    const s = names.map((n) => summarize(rates.get(`${work}|${n}`)!));
    const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
    out.push(`${work} (${w.unit}) | ${s.map((x) => `${fmt(x.min)} / ${fmt(x.median)} / ${fmt(x.max)}`).join(" | ")} | ${s.slice(1).map((x) => (s[0]!.median / x.median).toFixed(2)).join(" | ")}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

await main();
process.exit(0);
