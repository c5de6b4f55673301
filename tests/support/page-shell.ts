// Waiting for the page's guest shell: the page says "ready" (or "error", which fails at
// once with what the page shows) and the terminal shows the prompt; then the terminal has
// the keyboard. Right after a navigation the new page has no state yet: only a state the
// page set counts, never the absence of one.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { BOOT_TIMEOUT } from "./built-site.js";
import { waitForScreen } from "./terminal-screen.js";

export const SHELL_PROMPT = /ringside:~# /;

export async function waitForShell(page: Page, prompt: RegExp = SHELL_PROMPT, promptTimeout = BOOT_TIMEOUT): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", null, { timeout: BOOT_TIMEOUT });
  expect(await page.evaluate(() => document.body.dataset.state)).toBe("ready");
  await waitForScreen(page, prompt, promptTimeout);
  await page.locator("#terminal").click();
}
