// The built page (dist/) served under a sub-path, as any static host would, with a fresh
// Chromium to open it in. Browser tests start from here.
import type { BrowserContext } from "playwright-core";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.js";
import { serveStatic } from "./static-server.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** Where browser tests save screenshots. */
export const ARTIFACTS = `${root}test-results`;
/** How long a page may take to reach its shell (or its error panel). */
export const BOOT_TIMEOUT = 90_000;

export interface BuiltSite {
  /** The site's URL, ending in "/". */
  url: string;
  /** A persistent context on a fresh profile: OPFS lasts as long as this site does. */
  context: BrowserContext;
  close(): Promise<void>;
}

export async function openBuiltSite(): Promise<BuiltSite> {
  // RINGSIDE_DIST: a build elsewhere, so that several builds of work in progress can be tested side by side.
  const dist = process.env.RINGSIDE_DIST ?? `${root}dist`;
  if (!existsSync(`${dist}/index.html`)) throw new Error("dist/ is missing: npm test builds it first (npm run build)");
  await mkdir(ARTIFACTS, { recursive: true });
  const server = await serveStatic(dist);
  const browser = await launchChromium();
  return {
    url: server.url,
    context: browser.context,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
