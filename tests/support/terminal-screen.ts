// Reads the page's terminal as a person sees it: the text of xterm's rendered rows.
import type { Page } from "playwright-core";

export async function screenText(page: Page): Promise<string> {
  return page.locator("#terminal .xterm-rows").innerText();
}

export async function waitForScreen(page: Page, pattern: RegExp, timeout = 30_000): Promise<string> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = await screenText(page);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`terminal never showed ${pattern}; it shows:\n${text}`);
    await page.waitForTimeout(100);
  }
}

/** Types a command line into the focused terminal and presses Enter. */
export async function typeLine(page: Page, line: string): Promise<void> {
  await page.keyboard.type(line);
  await page.keyboard.press("Enter");
}
