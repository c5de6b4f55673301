// The instant shell, build against build: navigation to the prompt on the page
// (?start=snapshot) for two or more built sites, taking turns in one Chromium page, so
// that the machine's noise falls on all of them alike. The prompt is seen when the
// terminal's rows show it (raf polling, the page's own clock from the navigation), as the
// snapshot section of run.ts does.
//
//   npm run build && cp -r dist /tmp/after
//   git stash && npm run build && cp -r dist /tmp/before && git stash pop
//   npx tsx bench/instant-shell-ab.ts [--runs N] /tmp/before /tmp/after
//
// One warm-up round first (compiled code cached, files in the HTTP cache), as a reader
// who comes back has them; the order within a round alternates.
import { existsSync } from "node:fs";
import { launchChromium } from "../tests/support/chromium.js";
import { serveStatic } from "../tests/support/static-server.js";
import { summarize } from "./stats.js";

const PROMPT_TIMEOUT_MS = 30_000;

function parseArgs(argv: string[]): { runs: number; sites: string[] } {
  let runs = 15;
  const sites: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--runs") {
      runs = Number(argv[++i]);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a positive whole number, not ${argv[i]}`);
    } else sites.push(argv[i]!);
  }
  if (sites.length < 2) throw new Error("usage: npx tsx bench/instant-shell-ab.ts [--runs N] BUILT_SITE BUILT_SITE...");
  for (const site of sites) if (!existsSync(`${site}/index.html`)) throw new Error(`${site} is not a built site (no index.html): npm run build makes one in dist/`);
  return { runs, sites };
}

async function main(): Promise<void> {
  const { runs, sites } = parseArgs(process.argv.slice(2));
  const servers = await Promise.all(sites.map((site) => serveStatic(site)));
  const browser = await launchChromium();
  const times: number[][] = sites.map(() => []);
  try {
    const page = await browser.context.newPage();
    for (let round = 0; round <= runs; round++) {
      const order = sites.map((_, i) => (round % 2 === 0 ? i : sites.length - 1 - i));
      for (const i of order) {
        await page.goto(`${servers[i]!.url}?start=snapshot`);
        const ms = await (
          await page.waitForFunction(
            () => (/ringside:~# /.test(document.querySelector<HTMLElement>("#terminal .xterm-rows")?.innerText ?? "") ? performance.now() : 0),
            null,
            { polling: "raf", timeout: PROMPT_TIMEOUT_MS },
          )
        ).jsonValue();
        if (round > 0) times[i]!.push(ms);
        process.stderr.write(`instant-shell-ab: round ${round}${round === 0 ? " (warm-up)" : ""}, ${sites[i]}: ${Math.round(ms)} ms\n`);
      }
    }
  } finally {
    await browser.close();
    for (const server of servers) await server.close();
  }
  const medians = times.map((list) => summarize(list).median);
  const lines = [`navigation to prompt, ms (min / median / max of ${runs}; ratio of medians to the first)`];
  sites.forEach((site, i) => {
    const s = summarize(times[i]!);
    lines.push(`${site}: ${Math.round(s.min)} / ${Math.round(s.median)} / ${Math.round(s.max)}; ${(medians[i]! / medians[0]!).toFixed(2)}`);
  });
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
