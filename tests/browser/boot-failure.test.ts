// Boot and failure visible, in Chromium. A share link whose kernel panics (the bundled kernel
// with no initrd: no root filesystem to mount) with the inspector open: the step the boot was
// in is the one marked failed, the inspector stops asking the machine (its calls are counted
// on the page), the Machine panel says failed and why, and the boot report offers the ways
// out: the bundled images, and the plain page (followed here). The instant shell's header
// offers the way back to the normal boot, still there after a reload. Screenshots go to
// test-results/ and /work/screens/boot-*.png.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import type { ShareContent } from "../../src/share/share-content.js";

const LONG = 120_000;
const SCREENS = existsSync("/work/screens") ? "/work/screens" : artifacts;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${artifacts}/boot-${name}.png` });
  if (SCREENS !== artifacts) await page.screenshot({ path: `${SCREENS}/boot-${name}.png` });
}

const pci = { kind: "pci" as const };
/** The bundled kernel without an initrd: it panics, unable to mount a root filesystem. */
const PANICS: ShareContent = {
  machine: {
    version: 1,
    memoryMiB: 256,
    boot: { kind: "kernel", kernel: { kind: "bundled" } },
    devices: [{ type: "virtio-console", transport: pci }, { type: "virtio-rng", transport: pci }],
  },
  cmdlineExtras: "",
  script: "echo never-typed\n",
  panel: "inspector",
  focus: { device: "virtio-rng" },
};

const inspectCalls = (page: Page): Promise<number> => page.evaluate(() => Number(document.body.dataset.inspectCalls ?? 0));

describe("boot and failure visible", () => {
  let site: BuiltSite;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
  });
  afterAll(async () => {
    await site?.close();
  });

  it("a kernel panic: its step marked, the inspector stops asking, the Machine panel says why, the ways out work", async () => {
    await page.goto(`${site.url}#${await encodeShareFragment(PANICS)}`);
    const header = () => page.locator("header").evaluate((h) => h.getBoundingClientRect().height);
    const before = await header();
    // The inspector asks while the machine boots.
    await page.waitForFunction(() => Number(document.body.dataset.inspectCalls ?? 0) > 3, null, { timeout: BOOT_TIMEOUT });
    await page.waitForFunction(() => document.body.dataset.boot === "panic" || document.body.dataset.state === "error", null, { timeout: BOOT_TIMEOUT });
    expect(await page.evaluate(() => document.body.dataset.boot)).toBe("panic");
    // The kernel's step, reached last, is the one marked; the firmware before it is done and the shell after it untouched.
    expect(await page.locator("#boot-progress li").evaluateAll((lis) => lis.map((li) => li.className))).toEqual(["done", "done", "failed", ""]);
    expect(await page.locator("#boot-progress").getAttribute("data-failed")).toBe("Kernel");
    // The header keeps its height at the default width too, from before the boot to the failure.
    expect(await header()).toBe(before);
    const stopped = await inspectCalls(page);
    await page.waitForTimeout(800);
    expect(await inspectCalls(page)).toBe(stopped);
    expect(await page.locator("#inspector").getAttribute("data-stopped")).toBe("true");
    expect(await page.locator("#inspector .inspector-message").innerText()).toMatch(/^no more updates: the kernel panicked: Kernel panic - not syncing: VFS: Unable to mount root fs/);
    expect(await page.locator("#state-panel").getAttribute("data-origin")).toBe("failed");
    expect(await page.locator("#state-panel .state-origin").innerText()).toMatch(/^failed: the kernel panicked: Kernel panic - not syncing/);
    // The blank terminal's boot screen: the kernel log, and the failure in words.
    expect(await page.locator("#terminal .boot-screen .boot-screen-failed").innerText()).toMatch(/^failed: the kernel panicked/);
    const report = page.locator("#boot-report");
    await report.waitFor({ state: "visible" });
    expect(await report.locator(".boot-report-bundled").innerText()).toBe("Use the bundled images");
    const plain = report.locator("a.boot-report-plain");
    expect(await plain.getAttribute("href")).toBe(site.url);
    await shot(page, "panic");
    // The plain page: no link, no options, a page that starts afresh (its boot is not waited for).
    await Promise.all([page.waitForEvent("load"), plain.click()]);
    expect(page.url()).toBe(site.url);
    await page.waitForFunction(() => document.body.dataset.state === "booting");
    expect(await page.locator("#share-banner").isHidden()).toBe(true);
  }, LONG);

  it("the instant shell offers the way back to the normal boot, after a reload too", async () => {
    await page.goto(`${site.url}?start=snapshot&policy=per-queue`);
    const back = page.locator("#instant-shell");
    await page.waitForFunction(() => document.querySelector("#instant-shell")?.getAttribute("data-way") === "back");
    expect(await back.innerText()).toBe("Boot normally");
    expect(await back.getAttribute("href")).toBe(`${site.url}?policy=per-queue`);
    await page.waitForFunction(() => document.body.dataset.state === "ready", null, { timeout: BOOT_TIMEOUT });
    await shot(page, "instant-way-back");
    await page.reload();
    await page.waitForFunction(() => document.querySelector("#instant-shell")?.getAttribute("data-way") === "back");
    await Promise.all([page.waitForEvent("load"), back.click()]);
    expect(page.url()).toBe(`${site.url}?policy=per-queue`);
    await page.waitForFunction(() => document.body.dataset.state === "booting");
    expect(await back.innerText()).toBe("Instant shell");
    expect(errors).toEqual([]);
  }, LONG);
});
