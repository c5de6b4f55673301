// The page's start, build against build: navigation to the prompt on the page for two or
// more built sites, taking turns in one Chromium page, so that the machine's noise falls
// on all of them alike: the instant shell (?start=snapshot), or with --cold a cold boot
// without a disk (?disk=none). Each navigation starts from a blank page, and the prompt is
// seen when the terminal's rows first hold it, on the page's own clock from the navigation
// (prompt-watch.ts), as the snapshot section of run.ts does; the page's own "boot call to
// shell" time is given too. With --polled, the way rounds before 7 December 2026 measured:
// each navigation from the page before it, still running, and the prompt found by raf
// polling from the bench.
//
//   npm run build && cp -r dist /tmp/after
//   git stash && npm run build && cp -r dist /tmp/before && git stash pop
//   npx tsx bench/page-start-ab.ts [--runs N] [--cold] [--polled] /tmp/before /tmp/after
//
// Each site is served as Netlify and Cloudflare Pages serve it, with its own _headers
// (public/_headers: the hashed assets kept for a year); a site given as PATH@strict is
// served with every file checked on every load instead, so `dist dist@strict` compares the
// two setups for one build.
//
// One warm-up round first (compiled code cached, files in the HTTP cache), as a reader
// who comes back has them; the order within a round alternates.
import { existsSync } from "node:fs";
import type { Page } from "playwright-core";
import { launchChromium } from "../tests/support/chromium.js";
import { serveStatic } from "../tests/support/static-server.js";
import { summarize } from "./stats.js";
import { parseAbArgs } from "./ab-args.js";
import { openAndTimePrompt, watchForPrompt } from "./prompt-watch.js";

const PROMPT_TIMEOUT_MS = 30_000;
const STRICT = "@strict";

interface Options {
  runs: number;
  cold: boolean;
  polled: boolean;
  sites: string[];
}

function parseArgs(argv: string[]): Options {
  const usage = "npx tsx bench/page-start-ab.ts [--runs N] [--cold] [--polled] BUILT_SITE[@strict] BUILT_SITE[@strict]...";
  const { runs, flags, paths: sites } = parseAbArgs(argv, 15, ["--cold", "--polled"], usage);
  for (const site of sites) {
    const dir = siteDir(site);
    if (!existsSync(`${dir}/index.html`)) throw new Error(`${dir} is not a built site (no index.html): npm run build makes one in dist/`);
  }
  return { runs, cold: flags.has("--cold"), polled: flags.has("--polled"), sites };
}

function siteDir(site: string): string {
  return site.endsWith(STRICT) ? site.slice(0, -STRICT.length) : site;
}

/** The old way: navigated from the page before, the prompt found by raf polling from the bench. */
async function pollForPrompt(page: Page, url: string): Promise<number> {
  await page.goto(url);
  const found = await page.waitForFunction(
    () => (/ringside:~# /.test(document.querySelector<HTMLElement>("#terminal .xterm-rows")?.innerText ?? "") ? performance.now() : 0),
    null,
    { polling: "raf", timeout: PROMPT_TIMEOUT_MS },
  );
  return (await found.jsonValue()) as number;
}

async function main(): Promise<void> {
  const { runs, cold, polled, sites } = parseArgs(process.argv.slice(2));
  const query = cold ? "?disk=none" : "?start=snapshot";
  const servers = await Promise.all(sites.map((site) => serveStatic(siteDir(site), "/ringside/", { siteHeaders: !site.endsWith(STRICT) })));
  const browser = await launchChromium();
  const times: number[][] = sites.map(() => []);
  const shells: number[][] = sites.map(() => []);
  try {
    const page = await browser.context.newPage();
    await watchForPrompt(page, /ringside:~# /);
    for (let round = 0; round <= runs; round++) {
      const order = sites.map((_, i) => (round % 2 === 0 ? i : sites.length - 1 - i));
      for (const i of order) {
        const url = `${servers[i]!.url}${query}`;
        const ms = polled ? await pollForPrompt(page, url) : await openAndTimePrompt(page, url, PROMPT_TIMEOUT_MS);
        const shell = await page.evaluate(() => (window as unknown as { ringsideBoot?: { shell?: number } }).ringsideBoot?.shell ?? Number.NaN);
        if (round > 0) {
          times[i]!.push(ms);
          shells[i]!.push(shell);
        }
        process.stderr.write(`page-start-ab: round ${round}${round === 0 ? " (warm-up)" : ""}, ${sites[i]}: prompt at ${Math.round(ms)} ms\n`);
      }
    }
  } finally {
    await browser.close();
    for (const server of servers) await server.close();
  }
  const medians = times.map((list) => summarize(list).median);
  const shellMedians = shells.map((list) => summarize(list).median);
  const fmt = (list: number[]): string => {
    const s = summarize(list);
    return `${Math.round(s.min)} / ${Math.round(s.median)} / ${Math.round(s.max)}`;
  };
  const how = polled ? "polled from the bench, navigating from the page before" : "on the page's clock, from a blank page";
  const lines = [`${cold ? "cold boot" : "instant shell"}, ms (min / median / max of ${runs}; ratio of medians to the first): navigation to prompt (${how}) | the page's boot call to shell`];
  sites.forEach((site, i) => {
    lines.push(`${site}: ${fmt(times[i]!)}; ${(medians[i]! / medians[0]!).toFixed(2)} | ${fmt(shells[i]!)}; ${(shellMedians[i]! / shellMedians[0]!).toFixed(2)}`);
  });
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
