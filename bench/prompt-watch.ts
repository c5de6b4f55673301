// When the shell's prompt reaches the page, timed on the page itself: a MutationObserver,
// installed before the page's own scripts run, notes the page's clock (milliseconds since
// the navigation) the moment the terminal's rows first hold the prompt, inside the
// animation frame in which xterm writes them (the frame that paints them).
//
// The bench stays out of the page's way while it starts: each navigation begins from a
// blank page whose predecessor's workers have had time to stop (as a reader opening the
// link in a tab), and nothing of Playwright's runs in the page until the prompt is there.
// Polling from the bench (waitForFunction) would compile Playwright's injected script in
// the page, about 50 ms of its main thread on this 2-core machine, while the machine's
// worker loads; and its raf polling sees the prompt a frame late. page-start-ab.ts --polled
// still measures that way, to compare with figures taken before 7 December 2026.
import type { Page } from "playwright-core";

/** How long the blank page stays before the navigation: the page before it, and its machine's workers, are gone by then. */
const SETTLE_MS = 300;

/** Notes the prompt's time in every document `page` opens (call once per page); a string, so that nothing the bench's compiler adds reaches the page. */
export async function watchForPrompt(page: Page, prompt: RegExp): Promise<void> {
  await page.addInitScript({
    content: `(() => {
      const pattern = new RegExp(${JSON.stringify(prompt.source)}, ${JSON.stringify(prompt.flags)});
      let shown;
      window.__ringsidePromptShown = new Promise((resolve) => (shown = resolve));
      const observer = new MutationObserver(() => {
        const rows = document.querySelector("#terminal .xterm-rows");
        if (!rows || !pattern.test(rows.textContent || "")) return;
        observer.disconnect();
        shown(performance.now());
      });
      observer.observe(document, { childList: true, subtree: true, characterData: true });
    })();`,
  });
}

/**
 * Opens `url` from a blank page and resolves with the page's clock when its terminal first
 * showed the prompt (watchForPrompt must have been called on `page`).
 */
export async function openAndTimePrompt(page: Page, url: string, timeoutMs: number): Promise<number> {
  await page.goto("about:blank");
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await page.goto(url, { waitUntil: "commit" });
  const shown = page.evaluate(() => (window as unknown as { __ringsidePromptShown: Promise<number> }).__ringsidePromptShown);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no prompt on ${url} within ${timeoutMs} ms`)), timeoutMs)));
  try {
    return await Promise.race([shown, late]);
  } finally {
    clearTimeout(timer);
  }
}
