// Restoring the instant shell's snapshot in Node, tree against tree: for each checkout
// given, build the machine from the shipped state (images/shell.state of this tree) and
// restore it, the trees taking turns in one process so that the machine's noise falls on
// all of them alike. Times Machine.start with the restore (the state already inflated and
// read, as the page has it when its download worker is done), after two warm-up rounds.
//
//   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/
//   npx tsx bench/restore-ab.ts [--runs N] /tmp/before .
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { summarize } from "./stats.js";
import { parseAbArgs } from "./ab-args.js";
import { SHELL_STATE_FILE } from "../src/machine/shell-state.js";
import { DEFAULT_IMAGES_DIR } from "../src/node/node-images.js";

const WARM_UP = 2;

interface Tree {
  root: string;
  restoreOnce(file: Uint8Array): Promise<number>;
  times: number[];
}

type NodeMachineModule = typeof import("../src/node/node-machine.js");
type NetworkChoiceModule = typeof import("../src/machine/host-network-choice.js");
type MachineStateModule = typeof import("../src/machine/machine-state.js");
type StateFileModule = typeof import("../src/snapshot/state-file.js");

/** The tree's own code for reading a state and starting a machine from it (its src/, as it was then; typed as this tree's). */
async function loadTree(root: string): Promise<Tree> {
  const from = (path: string): Promise<unknown> => import(join(root, "src", path));
  const [machine, network, state, file] = await Promise.all([
    from("node/node-machine.ts"), from("machine/host-network-choice.ts"), from("machine/machine-state.ts"), from("snapshot/state-file.ts"),
  ]);
  const { startNodeMachine } = machine as NodeMachineModule;
  const { hostNetworkChoice } = network as NetworkChoiceModule;
  const { readMachineState } = state as MachineStateModule;
  const { decodeStateFile } = file as StateFileModule;
  return {
    root,
    times: [],
    async restoreOnce(bytes) {
      const restore = readMachineState(await decodeStateFile(bytes));
      const t0 = performance.now();
      const vm = await startNodeMachine({ network: hostNetworkChoice(), restore, onPhase: () => {}, onConsole: () => {} });
      const ms = performance.now() - t0;
      await vm.destroy();
      return ms;
    },
  };
}

function parseArgs(argv: string[]): { runs: number; roots: string[] } {
  const { runs, paths } = parseAbArgs(argv, 20, [], "npx tsx bench/restore-ab.ts [--runs N] CHECKOUT CHECKOUT...");
  const roots = paths.map((p) => resolve(p));
  for (const root of roots) if (!existsSync(join(root, "src/node/node-machine.ts"))) throw new Error(`${root} is not a ringside checkout (no src/node/node-machine.ts)`);
  return { runs, roots };
}

async function main(): Promise<void> {
  const { runs, roots } = parseArgs(process.argv.slice(2));
  const file = new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, SHELL_STATE_FILE)));
  const trees = await Promise.all(roots.map(loadTree));
  for (let round = 0; round < WARM_UP + runs; round++) {
    for (const tree of round % 2 === 0 ? trees : [...trees].reverse()) {
      const ms = await tree.restoreOnce(file);
      if (round >= WARM_UP) tree.times.push(ms);
    }
  }
  const first = summarize(trees[0]!.times).median;
  console.log(`start and restore of ${SHELL_STATE_FILE}, ms (min / median / max of ${runs}; ratio of medians to the first)`);
  for (const tree of trees) {
    const s = summarize(tree.times);
    console.log(`${tree.root}: ${s.min.toFixed(1)} / ${s.median.toFixed(1)} / ${s.max.toFixed(1)}; ${(s.median / first).toFixed(2)}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
