// The download (host to guest, busybox wget of /blob to /dev/null, as the net section of
// run.ts does it) in Node, tree against tree, at the speed a machine settles at: for each
// checkout given, one machine on its own host network, with its own code and guest images;
// the machines take turns in one process, each warmed up by WARM downloads first. A
// machine's downloads keep getting faster over its first few hundred MiB (and a new machine
// in the same process starts over: it is the machine's state, not V8's compiled code), so
// the net section's 32 MiB runs after two warm-ups measure it part-way; this measures where
// it ends up.
//
//   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/
//   npx tsx bench/download-ab.ts [--runs N] [--warm N] [--mib N] /tmp/before .
//
// --mib sets each download's size (64 MiB by default). The guest's `time` counts in 10 ms
// steps, so a 64 MiB download at 250 MiB/s is timed to within 4%; 256 MiB runs to within 1%.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { summarize } from "./stats.js";
import { parseAbArgs } from "./ab-args.js";
import { parseRealSeconds } from "./guest-workloads.js";

const MiB = 1024 * 1024;
const T = 600_000;

type NodeMachineModule = typeof import("../src/node/node-machine.js");
type HostNetworkModule = typeof import("../src/backends/net/host/host-network.js");
type ServicesModule = typeof import("../src/backends/net/services/standard-services.js");

interface Tree {
  root: string;
  download(): Promise<number>;
  destroy(): Promise<void>;
  rates: number[];
}

/** A machine of the tree's own code (its src/ and images/, as they were then), on a host network of its own. */
async function bootTree(root: string, mib: number): Promise<Tree> {
  const from = (path: string): Promise<unknown> => import(join(root, "src", path));
  const [machine, network, services] = await Promise.all([from("node/node-machine.ts"), from("backends/net/host/host-network.ts"), from("backends/net/services/standard-services.ts")]);
  const { startNodeMachine } = machine as NodeMachineModule;
  const { HostNetwork } = network as HostNetworkModule;
  const { createStandardServices } = services as ServicesModule;
  const host = new HostNetwork({ services: createStandardServices() });
  const vm = await startNodeMachine({ network: { backend: host, tick: (now: number) => host.tick(now) }, policy: "shared" });
  await vm.shell.waitUntilReady(T);
  const command = `wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=${mib * MiB}&seed=1'`;
  return {
    root,
    rates: [],
    async download() {
      const { output, status } = await vm.shell.run(`time sh -c "${command}"`, T);
      const seconds = parseRealSeconds(output);
      if (status !== 0 || seconds === undefined || seconds <= 0) throw new Error(`download-ab: "${command}" failed in ${root}: ${output}`);
      return mib / seconds;
    },
    destroy: () => vm.destroy(),
  };
}

function parseArgs(argv: string[]): { runs: number; warm: number; mib: number; roots: string[] } {
  const { runs, counts, paths } = parseAbArgs(argv, 8, [], "npx tsx bench/download-ab.ts [--runs N] [--warm N] [--mib N] CHECKOUT CHECKOUT...", { warm: 8, mib: 64 });
  if (counts["mib"]! < 1 || counts["mib"]! > 4096) throw new Error(`--mib wants 1 to 4096, not ${counts["mib"]}`);
  const roots = paths.map((p) => resolve(p));
  for (const root of roots) if (!existsSync(join(root, "src/node/node-machine.ts"))) throw new Error(`${root} is not a ringside checkout (no src/node/node-machine.ts)`);
  return { runs, warm: counts["warm"]!, mib: counts["mib"]!, roots };
}

async function main(): Promise<void> {
  const { runs, warm, mib, roots } = parseArgs(process.argv.slice(2));
  const trees: Tree[] = [];
  try {
    for (const root of roots) trees.push(await bootTree(root, mib));
    for (let round = 0; round < warm + runs; round++) {
      const order = round % 2 === 0 ? trees : [...trees].reverse();
      for (const tree of order) {
        const rate = await tree.download();
        if (round >= warm) tree.rates.push(rate);
        process.stderr.write(`download-ab: round ${round + 1}${round < warm ? " (warm-up)" : ""}, ${tree.root}: ${rate.toFixed(1)} MiB/s\n`);
      }
    }
  } finally {
    for (const tree of trees) await tree.destroy();
  }
  const medians = trees.map((t) => summarize(t.rates).median);
  const lines = [`download, ${mib} MiB runs after ${warm} warm-ups, MiB/s (min / median / max of ${runs}; ratio of medians to the first)`];
  trees.forEach((t, i) => {
    const s = summarize(t.rates);
    lines.push(`${t.root}: ${s.min.toFixed(1)} / ${s.median.toFixed(1)} / ${s.max.toFixed(1)}; ${(medians[i]! / medians[0]!).toFixed(2)}`);
  });
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
