// Boot-to-shell from the snapshot shipped with the site (images/shell.state, the page's
// ?start=snapshot) against a cold boot of the same machine (no disk, host network), the
// two taking turns (cold, snapshot, snapshot, cold, ...) so a slow stretch of this shared
// machine hits both alike. In Node and in Chromium (the built page, machine in the worker).
//
// Per run: "to shell" from the start of loading (images, wasm and, for the snapshot, the
// state file) to the shell phase, on the machine's own clock; "first command", from
// sending `echo $((6*7))` to its answer (after a restore v86 starts with no compiled
// code, so this shows what that costs); in Chromium also "page to prompt", from the
// navigation to the prompt on the screen, which is what a reader waits for: from a blank
// page, to the moment the terminal's rows first hold it, noted by the page itself
// (prompt-watch.ts). Before 7 December 2026 this bench navigated from the page before and
// found the prompt by polling once the page said it was ready; page-start-ab.ts --polled
// still measures that way.
import type { Page } from "playwright-core";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startNodeMachine } from "../src/node/node-machine.js";
import { DEFAULT_IMAGES_DIR } from "../src/node/node-images.js";
import { hostNetworkChoice } from "../src/machine/host-network-choice.js";
import { readMachineState } from "../src/machine/machine-state.js";
import { SHELL_STATE_FILE } from "../src/machine/shell-state.js";
import { PROMPT_PATTERN } from "../src/machine/prompt.js";
import type { BootPhase } from "../src/machine/boot-phases.js";
import { decodeStateFile } from "../src/snapshot/state-file.js";
import { openBuiltSite } from "../tests/support/built-site.js";
import { summarize, type Summary } from "./stats.js";
import { formatMiB } from "../src/util/format-bytes.js";
import { waitUntil } from "../tests/support/wait-until.js";
import { openAndTimePrompt, watchForPrompt } from "./prompt-watch.js";

const T = 120_000;
const COMMAND = "echo $((6*7))";
const ANSWER = /\n42\r?\n/;
type Start = "cold" | "snapshot";
const ORDER: readonly Start[][] = [["cold", "snapshot"], ["snapshot", "cold"]];

interface Run {
  toShellMs: number;
  firstCommandMs: number;
  pageToPromptMs?: number;
}

export interface SnapshotScenario {
  to_shell_ms: Summary;
  first_command_ms: Summary;
  page_to_prompt_ms?: Summary;
}

export interface SnapshotResults {
  node: Record<Start, SnapshotScenario>;
  chromium: Record<Start, SnapshotScenario>;
  /** Cold over snapshot, medians of "to shell": how many times sooner the snapshot's shell is there. */
  node_speedup: number;
  chromium_speedup: number;
  state_file_bytes: number;
  note: string;
}


async function nodeOnce(start: Start): Promise<Run> {
  const t0 = performance.now();
  const at: Partial<Record<BootPhase, number>> = {};
  let screen = "";
  const decoder = new TextDecoder();
  const restore = start === "snapshot"
    ? readMachineState(await decodeStateFile(new Uint8Array(await readFile(join(DEFAULT_IMAGES_DIR, SHELL_STATE_FILE)))))
    : undefined;
  const vm = await startNodeMachine({
    network: hostNetworkChoice(),
    restore,
    onPhase: (phase) => (at[phase] = performance.now() - t0),
    onConsole: (bytes) => {
      screen = (screen + decoder.decode(bytes, { stream: true })).slice(-4096);
    },
  });
  try {
    // A cold boot prints its prompt; a restored shell printed it before the save.
    if (start === "cold") await waitUntil(() => PROMPT_PATTERN.test(screen), "the prompt", T, 1);
    const toShellMs = at.shell;
    if (toShellMs === undefined) throw new Error("snapshot bench: no shell phase");
    screen = "";
    const sent = performance.now();
    vm.machine.sendInput(`${COMMAND}\r`);
    await waitUntil(() => ANSWER.test(screen), "the answer", T, 1);
    return { toShellMs, firstCommandMs: performance.now() - sent };
  } finally {
    await vm.destroy();
  }
}

async function chromiumOnce(page: Page, siteUrl: string, start: Start): Promise<Run> {
  const pageToPromptMs = await openAndTimePrompt(page, `${siteUrl}${start === "cold" ? "?disk=none" : "?start=snapshot"}`, T);
  await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", null, { timeout: T });
  // The panel names the machine's origin when the boot's result comes back, which may be just after "ready".
  const origin = await (
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#state-panel")?.dataset.origin ?? "", null, { timeout: T })
  ).jsonValue();
  if (origin !== (start === "cold" ? "booted" : "instant")) {
    throw new Error(`snapshot bench: the page started "${origin ?? "?"}" for ${start}: ${await page.locator("#state-panel").innerText()}`);
  }
  const rows = "#terminal .xterm-rows";
  const toShellMs = await page.evaluate(() => (window as unknown as { ringsideBoot: Partial<Record<string, number>> }).ringsideBoot.shell ?? Number.NaN);
  await page.locator("#terminal").click();
  const sent = await page.evaluate(() => performance.now());
  await page.keyboard.insertText(COMMAND);
  await page.keyboard.press("Enter");
  const answered = await (
    await page.waitForFunction((sel) => (/^42$/m.test(document.querySelector<HTMLElement>(sel)?.innerText ?? "") ? performance.now() : 0), rows, { polling: "raf", timeout: T })
  ).jsonValue();
  return { toShellMs, firstCommandMs: answered - sent, pageToPromptMs };
}

function scenario(runs: Run[]): SnapshotScenario {
  const out: SnapshotScenario = { to_shell_ms: summarize(runs.map((r) => r.toShellMs)), first_command_ms: summarize(runs.map((r) => r.firstCommandMs)) };
  const page = runs.map((r) => r.pageToPromptMs).filter((v): v is number => v !== undefined);
  if (page.length > 0) out.page_to_prompt_ms = summarize(page);
  return out;
}

/** Runs both starts `runs` times each, alternating, after one warm-up of each. */
async function alternate(runs: number, once: (start: Start) => Promise<Run>, label: string, progress: (m: string) => void): Promise<Record<Start, SnapshotScenario>> {
  const results: Record<Start, Run[]> = { cold: [], snapshot: [] };
  for (const start of ORDER[0]!) await once(start); // warm-up: wasm compiled, files cached
  for (let i = 0; i < runs; i++) {
    for (const start of ORDER[i % 2]!) {
      const run = await once(start);
      results[start].push(run);
      progress(`snapshot ${label} ${start} run ${i + 1}/${runs}: shell at ${Math.round(run.toShellMs)} ms, first command ${Math.round(run.firstCommandMs)} ms`);
    }
  }
  return { cold: scenario(results.cold), snapshot: scenario(results.snapshot) };
}

export async function benchSnapshot(runs: number, progress: (message: string) => void): Promise<SnapshotResults> {
  const stateBytes = (await readFile(join(DEFAULT_IMAGES_DIR, SHELL_STATE_FILE))).length;
  const node = await alternate(runs, nodeOnce, "node", progress);
  const site = await openBuiltSite();
  let chromium: Record<Start, SnapshotScenario>;
  try {
    const page = await site.context.newPage();
    await watchForPrompt(page, /ringside:~# /);
    chromium = await alternate(runs, (start) => chromiumOnce(page, site.url, start), "chromium", progress);
  } finally {
    await site.close();
  }
  const speedup = (r: Record<Start, SnapshotScenario>): number => r.cold.to_shell_ms.median / r.snapshot.to_shell_ms.median;
  return {
    node,
    chromium,
    node_speedup: speedup(node),
    chromium_speedup: speedup(chromium),
    state_file_bytes: stateBytes,
    note:
      "the same machine both ways (no disk, host network, 256 MiB); cold and snapshot alternate after one warm-up of each; " +
      "chromium is the built page (?disk=none against ?start=snapshot), machine in the worker",
  };
}

export function formatSnapshot(r: SnapshotResults): string {
  const ms = (s: Summary | undefined): string => (s ? `${Math.round(s.min)} / ${Math.round(s.median)} / ${Math.round(s.max)}` : "-");
  const lines = ["snapshot (ms, min / median / max) | to shell | first command | page to prompt"];
  for (const [where, results] of [["node", r.node], ["chromium", r.chromium]] as const) {
    for (const start of ["cold", "snapshot"] as const) {
      const s = results[start];
      lines.push(`${where} ${start === "cold" ? "cold boot" : "from shell.state"} | ${ms(s.to_shell_ms)} | ${ms(s.first_command_ms)} | ${ms(s.page_to_prompt_ms)}`);
    }
  }
  lines.push(
    `cold / snapshot, to shell (medians): node ${r.node_speedup.toFixed(1)}x, chromium ${r.chromium_speedup.toFixed(1)}x; ` +
      `shell.state is ${formatMiB(r.state_file_bytes, 2)}`,
    r.note,
  );
  return lines.join("\n");
}
