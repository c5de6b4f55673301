// The balloon on the page (issue 15): the Machine panel asks the guest for memory back, the
// guest's driver inflates, the panel says what it gave and the guest's own free memory, and
// the inspector shows the balloon's figures with the guest's statistics.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { waitForScreen } from "../support/terminal-screen.js";

const LONG = 180_000;

describe("the balloon in the Machine panel", () => {
  let site: BuiltSite;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${site.url}?disk=none&share=none`);
    await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: BOOT_TIMEOUT });
    await waitForScreen(page, /ringside:~# /, BOOT_TIMEOUT);
  }, LONG);
  afterAll(async () => {
    await site?.close();
  });

  it("asks the guest for 64 MiB back: the guest gives it, and its memory figures reach the panel and the inspector", async () => {
    const row = page.locator("#state-panel .state-balloon");
    await row.waitFor({ state: "visible" });
    const status = row.locator(".balloon-status");
    // The guest's statistics arrive before anything is asked.
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/^the guest has given back 0 B; it reports [\d.]+ MiB free of [\d.]+ MiB$/);

    await row.locator(".balloon-target").fill("999");
    await row.locator(".balloon-set").click();
    await expect.poll(() => status.textContent()).toMatch(/^Not set: at most \d+ MiB \(the machine has \d+ MiB\)\.$/);

    await row.locator(".balloon-target").fill("64");
    await row.locator(".balloon-set").click();
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^the guest has given back 64\.0 MiB; it reports/);
    await page.screenshot({ path: `${artifacts}/balloon-panel.png` });

    await page.locator("#inspector-toggle").click();
    const device = page.locator('#inspector details.device[data-name="virtio-balloon"]');
    await device.locator(":scope > summary").click();
    await expect.poll(() => device.locator(".device-figures").textContent(), { timeout: 10_000 }).toMatch(/guestStats\.free_memory\s+\d+/);
    expect(await device.locator(".device-figures").textContent()).toMatch(/actualBytes\s+67108864/);
    await page.screenshot({ path: `${artifacts}/balloon-inspector.png` });

    // Back to nothing asked: the guest takes its memory back.
    await row.locator(".balloon-target").fill("0");
    await row.locator(".balloon-set").click();
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^the guest has given back 0 B; it reports/);
    expect(pageErrors).toEqual([]);
  }, LONG);
});
