// Where a cold boot's CPU goes in Chromium, thread by thread: one boot of the built page
// (worker, no disk) per run, in a fresh browser each, traced with the DevTools protocol
// from navigation to the prompt. For each thread the time its tasks ran (the union of its
// trace events), and for V8's compiler threads the part spent optimising WebAssembly (the
// top tier: v86's own functions and the modules its JIT makes from guest code). With
// `?jit=v86-default` beside ringside's settings, taking turns. Two cores are shared by all
// of these, so a thread's "busy" time includes time it waited for a core.
//
//   npx tsx bench/browser-threads.ts [runs]      (needs dist/: npm run build)
import { chromium, type CDPSession } from "playwright-core";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM_PATH, CHROMIUM_ARGS } from "../tests/support/chromium.js";
import { serveStatic } from "../tests/support/static-server.js";
import { summarize, type Summary } from "./stats.js";
import { threadTimes, type ThreadTimes, type TraceEvent } from "./trace-threads.js";

const VARIANTS = [
  { name: "ringside's JIT settings", query: "?disk=none" },
  { name: "v86's own JIT settings", query: "?jit=v86-default&disk=none" },
];

async function traceBoot(url: string): Promise<ThreadTimes> {
  const userDataDir = await mkdtemp(join(tmpdir(), "ringside-threads-"));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await context.newPage();
    const cdp: CDPSession = await context.newCDPSession(page);
    const events: TraceEvent[] = [];
    cdp.on("Tracing.dataCollected", (e: { value: TraceEvent[] }) => void events.push(...e.value));
    const complete = new Promise<void>((resolve) => cdp.once("Tracing.tracingComplete", () => resolve()));
    await cdp.send("Tracing.start", {
      traceConfig: { includedCategories: ["toplevel", "v8", "v8.wasm", "devtools.timeline", "__metadata"] },
      transferMode: "ReportEvents",
    });
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", null, { timeout: 120_000 });
    const shellMs = await page.evaluate(() => (window as unknown as { ringsideBoot?: { shell?: number } }).ringsideBoot?.shell);
    await cdp.send("Tracing.end");
    await complete;
    if (shellMs === undefined) throw new Error(`no shell: ${await page.locator("#error-panel").innerText().catch(() => "(no error panel)")}`);
    return threadTimes(events, shellMs);
  } finally {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}

const fmt = (s: Summary) => `${Math.round(s.min)} / ${Math.round(s.median)} / ${Math.round(s.max)}`;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive whole number, not ${process.argv[2]}`);
  const site = await serveStatic(`${new URL("..", import.meta.url).pathname}dist`);
  const results = VARIANTS.map(() => [] as ThreadTimes[]);
  try {
    for (let r = 0; r < runs; r++) {
      for (const [k, v] of VARIANTS.entries()) {
        const t = await traceBoot(site.url + v.query);
        results[k]!.push(t);
        process.stderr.write(`browser-threads: ${v.name} run ${r + 1}/${runs}: shell at ${Math.round(t.shellMs)} ms\n`);
      }
    }
  } finally {
    await site.close();
  }
  const rows: [string, keyof ThreadTimes][] = [
    ["boot to shell (the page's clock)", "shellMs"],
    ["worker thread busy (runs the machine)", "worker"],
    ["  of which lazy wasm baseline compiles", "wasmLazyOnWorker"],
    ["page's main thread busy", "pageMain"],
    ["wasm optimising compiles (pool threads)", "wasmTopTier"],
    ["other threads busy (browser, compositor, IO)", "otherThreads"],
  ];
  const out = [`ms, min / median / max of ${runs} | ${VARIANTS.map((v) => v.name).join(" | ")}`];
  for (const [label, key] of rows) out.push(`${label} | ${results.map((list) => fmt(summarize(list.map((t) => t[key])))).join(" | ")}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

await main();
