// The built page for the browser soak: dist/ served cross-origin isolated (COOP/COEP on
// every answer), because performance.measureUserAgentSpecificMemory() exists only on such
// pages, opened in Debian's Chromium on a fresh profile. Launched here rather than through
// tests/support/chromium.ts for one more flag: ForceEagerMeasureMemory makes a measurement
// run at once instead of at some random later garbage collection (up to 20 s here).
import { chromium, type BrowserContext } from "playwright-core";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_PATH } from "../tests/support/chromium.js";
import { serveStatic } from "../tests/support/static-server.js";

/** dist/ unless RINGSIDE_DIST names another build (e.g. one of a clean checkout while the tree is being edited). */
const dist = process.env.RINGSIDE_DIST ?? fileURLToPath(new URL("../dist", import.meta.url));

export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export interface IsolatedSite {
  /** The site's URL, ending in "/". */
  url: string;
  /** A persistent context on a throw-away profile: OPFS is real (on disk), as for a user. */
  context: BrowserContext;
  close(): Promise<void>;
}

export async function openIsolatedSite(): Promise<IsolatedSite> {
  if (!existsSync(`${dist}/index.html`)) throw new Error(`${dist}/index.html is missing: npm run build first`);
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium or set CHROMIUM_PATH`);
  const server = await serveStatic(dist, "/ringside/", { headers: ISOLATION_HEADERS });
  const userDataDir = await mkdtemp(join(tmpdir(), "ringside-soak-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        // The same flags as every other browser test and benchmark here...
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        // ...and the one this bench needs.
        "--enable-blink-features=ForceEagerMeasureMemory",
      ],
      viewport: { width: 1600, height: 1000 },
    });
    return {
      url: server.url,
      context,
      close: async () => {
        await context.close();
        await server.close();
        await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server.close();
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
}
