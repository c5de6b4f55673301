// The page for every screen and every hand, on the instant shell (one page load): nothing
// overflows a phone's width; on a laptop the terminal keeps 80 columns beside the inspector;
// Ctrl+] leaves the terminal; the ring picture takes arrow keys and Enter opens the same
// chain a click does; the light theme follows the system setting; and axe-core finds no
// serious or critical problem after boot, with the inspector open and with the demos open,
// in both themes. Screenshots go to test-results/ (and /work/screens/ when it exists).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { waitForShell } from "../support/page-shell.js";
import { describeViolations, seriousViolations } from "../support/axe.js";

const SCREENS = existsSync("/work/screens") ? "/work/screens" : artifacts;

describe("the page on a phone, a laptop and a keyboard, in both themes", () => {
  let site: BuiltSite;
  let page: Page;
  let rxRing: Locator;
  const pageErrors: string[] = [];

  /** Elements reaching past the viewport's sides, unless a scrolling box of the page holds them. */
  const overflow = (): Promise<{ scrollWidth: number; width: number; outside: string[] }> =>
    page.evaluate(() => {
      const width = window.innerWidth;
      const outside: string[] = [];
      for (const node of document.querySelectorAll("body *")) {
        const box = node.getBoundingClientRect();
        if (box.width === 0 || (box.right <= width + 0.5 && box.left >= -0.5)) continue;
        let scrolled = false;
        for (let up = node.parentElement; up && up !== document.body && !scrolled; up = up.parentElement) {
          scrolled = !["visible", "clip"].includes(getComputedStyle(up).overflowX);
        }
        if (!scrolled) outside.push(`${node.tagName.toLowerCase()}#${node.id}.${String(node.className)} (${Math.round(box.left)}..${Math.round(box.right)})`);
      }
      return { scrollWidth: document.scrollingElement?.scrollWidth ?? 0, width, outside: outside.slice(0, 10) };
    });
  const cols = async (): Promise<number> => Number(await page.locator("#terminal").getAttribute("data-cols"));
  const settle = (): Promise<void> => page.waitForTimeout(400);
  const expectNoSeriousProblems = async (where: string): Promise<void> => {
    const problems = await seriousViolations(page);
    expect(problems, `${where}:\n${describeViolations(problems)}`).toEqual([]);
  };
  /** Every fold open (devices, timeline, PCI functions, the serial log), so axe sees all of it. */
  const unfoldAll = (): Promise<void> =>
    page.evaluate(() => {
      for (const fold of document.querySelectorAll<HTMLDetailsElement>("#inspector details, #serial-panel")) fold.open = true;
    });
  const toggle = async (button: string, open: boolean): Promise<void> => {
    const panel = button === "#inspector-toggle" ? "#inspector" : "#share-gallery";
    if ((await page.locator(panel).isVisible()) !== open) await page.locator(button).click();
    await page.locator(panel).waitFor({ state: open ? "visible" : "hidden" });
  };

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${site.url}?start=snapshot`);
    await waitForShell(page);
    rxRing = page.locator('#inspector .queue[data-device="virtio-net"][data-queue-name="receiveq1"] .ring-focus');
  });
  afterAll(async () => {
    await site?.close();
  });

  it("fits a 390x844 phone: no sideways scrolling, with the inspector and the demos open too", async () => {
    expect(await overflow()).toEqual({ scrollWidth: 390, width: 390, outside: [] });
    expect(await cols()).toBeGreaterThan(20);
    await page.screenshot({ path: `${SCREENS}/layout-phone.png` });
    await toggle("#inspector-toggle", true);
    await toggle("#demos-button", true);
    await settle();
    expect(await overflow()).toEqual({ scrollWidth: 390, width: 390, outside: [] });
    await page.screenshot({ path: `${SCREENS}/layout-phone-panels.png`, fullPage: true });
    await toggle("#demos-button", false);
    await toggle("#inspector-toggle", false);
  });

  it("has no serious or critical axe problems in the dark theme: after boot, with the inspector, with the demos", async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    await expectNoSeriousProblems("dark, after boot");
    await toggle("#inspector-toggle", true);
    await rxRing.waitFor();
    await unfoldAll();
    await settle();
    await expectNoSeriousProblems("dark, inspector open with every fold open");
    await toggle("#demos-button", true);
    await expectNoSeriousProblems("dark, demos open");
    await toggle("#demos-button", false);
  });

  it("keeps the terminal at 80 columns or more beside the inspector on a laptop, and side by side on a wide screen", async () => {
    for (const [width, height] of [[1366, 768], [1280, 720], [1920, 1080]] as const) {
      await page.setViewportSize({ width, height });
      await settle();
      expect(await cols(), `columns at ${width}x${height}`).toBeGreaterThanOrEqual(80);
      const terminal = (await page.locator("#terminal").boundingBox())!;
      const inspector = (await page.locator("#inspector").boundingBox())!;
      // Beside it (not over it) at these widths, with room to read.
      expect(inspector.x, `inspector beside the terminal at ${width}`).toBeGreaterThanOrEqual(terminal.x + terminal.width);
      expect(inspector.width).toBeGreaterThanOrEqual(480);
      if (width === 1366) await page.screenshot({ path: `${SCREENS}/layout-laptop-inspector.png` });
    }
    // Too narrow for both: below the terminal, which still has its columns.
    await page.setViewportSize({ width: 1100, height: 800 });
    await settle();
    const terminal = (await page.locator("#terminal").boundingBox())!;
    expect((await page.locator("#inspector").boundingBox())!.y).toBeGreaterThanOrEqual(terminal.y + terminal.height);
    expect(await cols()).toBeGreaterThanOrEqual(80);
    await page.setViewportSize({ width: 1366, height: 768 });
    await settle();
  });

  it("leaves the terminal with Ctrl+] (and goes back with Ctrl+Shift+]), as the hint under it says", async () => {
    expect(await page.locator("#terminal-keys").innerText()).toMatch(/Ctrl\s*\+\s*\]\s*leaves the terminal/);
    expect(await page.locator("#terminal textarea").getAttribute("aria-describedby")).toBe("terminal-keys");
    await page.locator("#terminal").click();
    expect(await page.evaluate(() => document.activeElement?.closest("#terminal") !== null)).toBe(true);
    await page.keyboard.press("Control+BracketRight");
    const forward = await page.evaluate(() => {
      const active = document.activeElement;
      const terminal = document.querySelector("#terminal");
      if (!active || !terminal || terminal.contains(active)) return "still in the terminal";
      return terminal.compareDocumentPosition(active) & Node.DOCUMENT_POSITION_FOLLOWING ? "after" : "before";
    });
    expect(forward).toBe("after");
    await page.locator("#terminal").click();
    await page.keyboard.press("Control+Shift+BracketRight");
    expect(await page.evaluate(() => (document.activeElement?.closest("#terminal") ? "terminal" : document.activeElement?.closest("header") ? "header" : "elsewhere"))).toBe("header");
  });

  it("moves a focus over the ring picture with the arrow keys, and Enter opens the chain a click on that slot opens", async () => {
    const canvas = rxRing.locator("canvas.ring-picture");
    await rxRing.scrollIntoViewIfNeeded();
    await rxRing.focus();
    expect(await rxRing.getAttribute("role")).toBe("listbox");
    expect(await rxRing.getAttribute("aria-label")).toMatch(/^receiveq1 \(queue \d+\) of virtio-net: ring of \d+ slots/);
    const geometry = await canvas.evaluate((c) => ({ ...(c as HTMLElement).dataset }));
    const [gridCols, cell, pitch, pad] = [geometry.cols, geometry.cell, geometry.pitch, geometry.pad].map(Number) as [number, number, number, number];
    const size = (geometry.slots ?? "").length;
    expect(size).toBeGreaterThan(2 * gridCols);
    await page.keyboard.press("Home");
    for (const key of ["ArrowRight", "ArrowRight", "ArrowRight", "ArrowDown", "ArrowLeft"]) await page.keyboard.press(key);
    const slot = gridCols + 2;
    expect(await rxRing.getAttribute("data-cursor")).toBe(String(slot));
    expect(await rxRing.locator('[role="option"]').innerText()).toMatch(new RegExp(`^slot ${slot} of ${size}: \\w+`));
    await page.keyboard.press("Enter");
    const chain = page.locator('#inspector .queue[data-queue-name="receiveq1"] .chain-view[data-status="shown"]');
    await chain.waitFor();
    const byKey = { title: await chain.locator(".chain-title").innerText(), flags: await chain.getAttribute("data-flags"), descriptors: await chain.getAttribute("data-descriptors") };
    expect(byKey.title).toContain(`slot ${slot}`);
    await rxRing.screenshot({ path: `${SCREENS}/layout-ring-focus.png` });
    await page.locator("#inspector .queue[data-queue-name=\"receiveq1\"] .chain-close").click();
    await canvas.click({ position: { x: pad + (slot % gridCols) * pitch + cell / 2, y: pad + Math.floor(slot / gridCols) * pitch + cell / 2 } });
    await chain.waitFor();
    expect({ title: await chain.locator(".chain-title").innerText(), flags: await chain.getAttribute("data-flags"), descriptors: await chain.getAttribute("data-descriptors") }).toEqual(byKey);
    await rxRing.focus();
    await page.keyboard.press("End");
    expect(await rxRing.getAttribute("data-cursor")).toBe(String(size - 1));
  });

  it("follows a light system setting, and has no serious or critical axe problems in it either", async () => {
    await page.emulateMedia({ colorScheme: "light" });
    await settle();
    const luminance = (selector: string): Promise<number> =>
      page.locator(selector).first().evaluate((node) => {
        const [r = 0, g = 0, b = 0] = (getComputedStyle(node).backgroundColor.match(/\d+(\.\d+)?/g) ?? []).map(Number);
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      });
    expect(await luminance("body")).toBeGreaterThan(0.85);
    // The terminal changed with the page, not only the page around it.
    expect(await luminance("#terminal .xterm-scrollable-element")).toBeGreaterThan(0.85);
    await unfoldAll();
    await expectNoSeriousProblems("light, inspector open with every fold open");
    await page.screenshot({ path: `${SCREENS}/layout-light.png` });
    await toggle("#inspector-toggle", false);
    await expectNoSeriousProblems("light, after boot");
    await toggle("#demos-button", true);
    await expectNoSeriousProblems("light, demos open");
    await page.screenshot({ path: `${SCREENS}/layout-light-demos.png` });
    expect(pageErrors).toEqual([]);
  });
});
