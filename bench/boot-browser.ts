// Boot-to-shell in Chromium: the built page, with the machine in the worker (under each
// scheduler, and with v86's own JIT settings instead of ringside's) or on the page's main
// thread, timed by the page itself.
import type { BrowserContext } from "playwright-core";
import type { BootPhase } from "../src/machine/boot-phases.js";
import { breakdown, parseRunInit, type BootBreakdown } from "./boot-phases.js";
import { ddCommand, ddResultPattern, parseDdMiBps } from "./guest-workloads.js";
import { typeLine, waitForScreen } from "../tests/support/terminal-screen.js";

export interface BrowserVariant {
  name: string;
  query: string;
}

// No disk in the worker variants (the page's default has one), so all four boot the
// same machine: the main thread cannot have the OPFS disk.
export const OWN_JIT_BROWSER = "chromium worker (v86's own JIT settings)";
export const MAIN_THREAD_BROWSER = "chromium main thread (v86 as usual)";
export const BROWSER_VARIANTS: BrowserVariant[] = [
  { name: "chromium worker (ringside scheduler)", query: "?disk=none" },
  { name: OWN_JIT_BROWSER, query: "?jit=v86-default&disk=none" },
  { name: "chromium worker (v86's own scheduler)", query: "?scheduler=v86-default&disk=none" },
  { name: MAIN_THREAD_BROWSER, query: "?thread=main" },
];

export async function bootBrowserOnce(context: BrowserContext, siteUrl: string, variant: BrowserVariant): Promise<BootBreakdown> {
  const page = await context.newPage();
  try {
    await page.goto(siteUrl + variant.query);
    await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", null, { timeout: 120_000 });
    if ((await page.evaluate(() => document.body.dataset.state)) === "error") {
      throw new Error(`${variant.name}: ${await page.locator("#error-panel").innerText()}`);
    }
    const at = await page.evaluate(() => (window as unknown as { ringsideBoot: Partial<Record<BootPhase, number>> }).ringsideBoot);
    await page.locator("#terminal").click();
    await typeLine(page, "dmesg | grep 'Run /init'");
    const screen = await waitForScreen(page, /\] Run \/init as init process/);
    await typeLine(page, `clear; ${ddCommand("page")}`);
    const dd = await waitForScreen(page, ddResultPattern("page"), 120_000);
    return { ...breakdown(at, parseRunInit(screen)), ddMiBps: parseDdMiBps(dd, "page") };
  } finally {
    await page.close();
  }
}
