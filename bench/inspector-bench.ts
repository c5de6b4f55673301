// What the live inspector costs the guest: the same 64 MiB download from the host network
// (wget to /dev/null, timed by the guest's busybox `time`) in the built page in Chromium,
// with the inspector closed and open in turn on one machine, in the order closed, open,
// open, closed, closed, open, ... so that neither a slow stretch of this shared machine
// nor the guest still speeding up (v86 compiles its hot paths as it goes) favours one
// side. The goal: less than 5% lost while the panel is open. Also reports how often the
// open panel really redrew.
import type { Page } from "playwright-core";
import { openBuiltSite } from "../tests/support/built-site.js";
import { typeLine, waitForScreen } from "../tests/support/terminal-screen.js";
import { parseRealSeconds } from "./guest-workloads.js";
import { summarize, type Summary } from "./stats.js";

const MIB = 64;
const URL_PATH = `http://10.0.2.2/blob?bytes=${MIB * 1024 * 1024}&seed=1`;
/**
 * Downloads per timed sample. Once warm, one 64 MiB download takes about 0.35 s here, of
 * which starting wget (fork and exec are slow under emulation) is a noticeable, variable
 * part: single downloads scattered by +-30%, so each sample times four in a row.
 */
const REPEAT = 4;
const T = 300_000;
/**
 * Samples before measuring: single downloads went 29, 46, 74, 102 MiB/s in a first trial
 * and then levelled off at 150-190 (v86 compiling the guest's hot paths).
 */
const WARM_UPS = 3;

export interface InspectorResults {
  closed_mib_per_s: Summary;
  open_mib_per_s: Summary;
  /** Open over closed, medians: 1 means the inspector costs nothing. */
  open_over_closed: number;
  /**
   * The median of each run's own open/closed ratio (the two samples of a run are taken
   * back to back): less swayed by a slow stretch of the machine than the ratio of medians.
   */
  paired_open_over_closed: number;
  /** Redraws per second while open (the panel's own count over each open run). */
  open_updates_per_s: Summary;
  note: string;
}

async function download(page: Page, tag: string): Promise<number> {
  const loop = `for i in ${Array.from({ length: REPEAT }, (_, i) => i + 1).join(" ")}; do wget -q -O /dev/null '${URL_PATH}'; done`;
  await typeLine(page, `clear; echo dl-${tag}; time sh -c "${loop}"; echo done-${tag}`);
  const text = await waitForScreen(page, new RegExp(`^done-${tag}$`, "m"), T);
  const seconds = parseRealSeconds(text.slice(text.indexOf(`dl-${tag}\n`)));
  if (seconds === undefined || seconds <= 0) throw new Error(`inspector bench: no time for download ${tag}:\n${text}`);
  return (MIB * REPEAT) / seconds;
}

async function updates(page: Page): Promise<number> {
  return Number(await page.locator("#inspector").getAttribute("data-updates")) || 0;
}

const NET_RX = '#inspector .queue[data-device="virtio-net"][data-queue-name="receiveq1"]';

/**
 * Opens or closes the panel with its button, as a reader would. Open, it shows the network
 * card's queues, as someone watching the download would have it (the busiest part of the
 * panel to draw: both rings and both charts change on every update).
 */
async function setInspector(page: Page, open: boolean): Promise<void> {
  const expanded = (await page.locator("#inspector-toggle").getAttribute("aria-expanded")) === "true";
  if (expanded !== open) await page.locator("#inspector-toggle").click();
  if (open) {
    await page.locator(NET_RX).waitFor();
    await page.locator(NET_RX).evaluate((q) => q.scrollIntoView());
  }
  await page.locator("#terminal").click();
}

export async function benchInspector(runs: number, progress: (message: string) => void): Promise<InspectorResults> {
  const site = await openBuiltSite();
  try {
    const page = await site.context.newPage();
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(`${site.url}?disk=none`);
    await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", null, { timeout: T });
    if ((await page.evaluate(() => document.body.dataset.state)) === "error") throw new Error(await page.locator("#error-panel").innerText());
    await waitForScreen(page, /ringside:~# /);
    await page.locator("#terminal").click();
    // Warm-up: the guest's downloads speed up over the first few while v86 compiles their
    // hot paths, and the first opening builds every card and chart.
    for (let i = 0; i < WARM_UPS; i++) await download(page, `warm-${i}`);
    await setInspector(page, true);
    await download(page, "warm-open");
    const closed: number[] = [];
    const open: number[] = [];
    const rates: number[] = [];
    const closedRun = async (tag: string): Promise<void> => {
      await setInspector(page, false);
      const before = await updates(page);
      closed.push(await download(page, tag));
      // Closed means no views at all: the redraw count must not have moved.
      if ((await updates(page)) !== before) throw new Error("inspector bench: the closed inspector kept polling");
    };
    const openRun = async (tag: string): Promise<void> => {
      await setInspector(page, true);
      const n0 = await updates(page);
      const t0 = Date.now();
      open.push(await download(page, tag));
      rates.push(((await updates(page)) - n0) / ((Date.now() - t0) / 1000));
    };
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        await closedRun(`closed-${i}`);
        await openRun(`open-${i}`);
      } else {
        await openRun(`open-${i}`);
        await closedRun(`closed-${i}`);
      }
      progress(`inspector run ${i + 1}/${runs}: closed ${closed.at(-1)!.toFixed(1)} MiB/s, open ${open.at(-1)!.toFixed(1)} MiB/s, ${rates.at(-1)!.toFixed(1)} updates/s`);
    }
    const closedSummary = summarize(closed);
    const openSummary = summarize(open);
    return {
      closed_mib_per_s: closedSummary,
      open_mib_per_s: openSummary,
      open_over_closed: openSummary.median / closedSummary.median,
      paired_open_over_closed: summarize(open.map((o, i) => o / closed[i]!)).median,
      open_updates_per_s: summarize(rates),
      note:
        `host_to_guest: ${REPEAT} wgets of ${MIB} MiB in a row to /dev/null per sample in Chromium (?disk=none), timed by the guest; ` +
        `inspector closed and open in ABBA order on one machine, after ${WARM_UPS} warm-up samples closed and one open.`,
    };
  } finally {
    await site.close();
  }
}

export function formatInspector(r: InspectorResults): string {
  const n = (x: number): string => x.toFixed(1);
  const range = (s: Summary): string => `${n(s.min)} / ${n(s.median)} / ${n(s.max)}`;
  return [
    "inspector (min / median / max) | MiB/s",
    `download, inspector closed | ${range(r.closed_mib_per_s)}`,
    `download, inspector open | ${range(r.open_mib_per_s)}`,
    `open / closed (medians): ${r.open_over_closed.toFixed(3)} (${n((1 - r.open_over_closed) * 100)}% lost; goal under 5%)`,
    `open / closed (median of each run's pair): ${r.paired_open_over_closed.toFixed(3)} (${n((1 - r.paired_open_over_closed) * 100)}% lost)`,
    `updates per second while open: ${range(r.open_updates_per_s)} (goal at least 10)`,
    r.note,
  ].join("\n");
}
