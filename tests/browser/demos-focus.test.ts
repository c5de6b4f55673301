// The demos point at their subject, in Chromium. The disk demo opens the inspector on the
// disk (its card lit, its requests counted by type in the focus table, rising with the
// demo's dd, its fsync and its reads), shows the boot in the blank terminal before the console's first byte (the
// steps as times reached, the kernel log), and keeps the header's height from before the
// boot to after it. While that tab holds the disk, the same link in a second tab of the same
// site boots without the disk and says so; the first keeps its disk. The side-by-side demo
// shows both cards' kicks/MiB and interrupts/MiB in the same table. Screenshots go to
// test-results/ and /work/screens/demos-*.png.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import type { Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { waitForScreen } from "../support/terminal-screen.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import { DEMOS } from "../../src/share/share-demos.js";

const LONG = 180_000;
const SCREENS = existsSync("/work/screens") ? "/work/screens" : artifacts;
const demo = (id: string) => DEMOS.find((d) => d.id === id)!.content;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${artifacts}/demos-${name}.png` });
  if (SCREENS !== artifacts) await page.screenshot({ path: `${SCREENS}/demos-${name}.png` });
}

const headerHeight = (page: Page): Promise<number> => page.locator("header").evaluate((h) => h.getBoundingClientRect().height);

/** The disk's requests by type, as the focus table's line says them ("read 12 · write 40 · ..."). */
async function requests(page: Page): Promise<Record<string, number>> {
  const text = (await page.locator("#inspector .inspector-focus .focus-requests").first().textContent()) ?? "";
  return Object.fromEntries([...text.matchAll(/(\w+) (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

async function waitForState(page: Page): Promise<string> {
  await page.waitForFunction(() => ["ready", "error"].includes(document.body.dataset.state ?? ""), null, { timeout: BOOT_TIMEOUT });
  return (await page.evaluate(() => document.body.dataset.state)) ?? "";
}

describe("demos that point at their subject", () => {
  let site: BuiltSite;
  let first: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
  });
  afterAll(async () => {
    await site?.close();
  });

  it("the disk demo: the boot in the blank terminal, a steady header, the disk's card lit and its requests by type rising", async () => {
    first = await site.context.newPage();
    first.on("pageerror", (e) => errors.push(e.message));
    await first.setViewportSize({ width: 1400, height: 900 });
    await first.goto(`${site.url}#${await encodeShareFragment(demo("disk-flush"))}`);
    const before = await headerHeight(first);
    // Before the console's first byte: the steps reached, with their times, and the kernel's log.
    await first.waitForFunction(() => /\S/.test(document.querySelector(".boot-screen-log")?.textContent ?? ""), null, { timeout: BOOT_TIMEOUT });
    const screenText = await first.locator("#terminal .boot-screen").innerText();
    expect(screenText).toMatch(/fetching the images .* at 0\.\d\d s/);
    expect(screenText).toMatch(/opening the disk ringside-disk\.img in this browser's storage/);
    // A fresh profile: the page made the disk, and says who formats it ("formatting the disk").
    expect(screenText).toMatch(/created the disk ringside-disk\.img, blank: ringside's initrd formats it \(ext4\) as the guest starts/);
    expect(screenText).toMatch(/firmware \(SeaBIOS\) started at \d+\.\d\d s/);
    expect(await first.locator("#boot-progress li").first().innerText()).toMatch(/^Loading images\s*(at \d+\.\d\d s|\d+ %)$/);
    const during = await headerHeight(first);
    await shot(first, "boot-screen");
    expect(await waitForState(first)).toBe("ready");
    expect(await first.evaluate(() => document.body.dataset.bootScreen)).toBe("gone");
    expect(await first.locator("#boot-progress li").evaluateAll((lis) => lis.map((li) => li.querySelector(".detail")?.textContent ?? "")))
      .toEqual([expect.stringMatching(/^(at \d+\.\d\d s|100 %)$/), expect.stringMatching(/^at \d+\.\d\d s$/), expect.stringMatching(/^at \d+\.\d\d s$/), expect.stringMatching(/^at \d+\.\d\d s$/)]);
    expect([before, during, await headerHeight(first)]).toEqual([before, before, before]);

    // The inspector opened on the disk: its card lit, queue 0 marked, the focus table's request line.
    await first.locator("#inspector").waitFor({ state: "visible" });
    expect(await first.locator('#inspector details.device.focused').evaluateAll((ds) => ds.map((d) => (d as HTMLElement).dataset.name))).toEqual(["virtio-blk"]);
    expect(await first.locator('#inspector details.device.focused section.queue.focused').count()).toBe(1);
    await first.waitForFunction(() => /write \d+/.test(document.querySelector("#inspector .focus-requests")?.textContent ?? ""));
    const early = await requests(first);
    await waitForScreen(first, /^disk-demo-done$/m, LONG);
    // The script's disk ID, its dd's 32 MiB out in requests of at most 1 MiB (size_max) ended by
    // the fsync's flush, then the same read back from the disk (the page cache dropped).
    const rose = (r: Record<string, number>): boolean =>
      (r.getId ?? 0) > 0 && (r.write ?? 0) >= (early.write ?? 0) + 32 && (r.flush ?? 0) > (early.flush ?? 0) && (r.read ?? 0) >= (early.read ?? 0) + 32;
    await expect.poll(() => requests(first), { timeout: 10_000 }).toSatisfy(rose);
    expect(await first.locator("#inspector .focus-table tbody tr").count()).toBe(1);
    await shot(first, "disk-focus");
  }, LONG);

  it("the same link in a second tab while the first holds the disk: boots without it and says so", async () => {
    const second = await site.context.newPage();
    second.on("pageerror", (e) => errors.push(e.message));
    await second.goto(`${site.url}#${await encodeShareFragment(demo("disk-flush"))}`);
    // Not an error, not a hang: the machine starts without the disk (its boot goes on as any other).
    await second.waitForFunction(() => document.body.dataset.state === "error" || document.querySelector("#state-panel")?.getAttribute("data-origin") === "fallback", null, { timeout: BOOT_TIMEOUT });
    expect(await second.evaluate(() => document.body.dataset.state)).toBe("booting");
    expect(await second.evaluate(() => document.body.dataset.disk)).toBe("in-other-tab");
    await second.waitForFunction(() => (window as unknown as { ringsideBoot: Record<string, number> }).ringsideBoot.firmware !== undefined);
    expect(await second.locator("#share-banner .share-banner-disk").innerText()).toBe("Note: the disk is open in another tab: this machine runs without it.");
    expect(await second.locator("#state-panel .state-origin").innerText()).toMatch(/without its disk: the disk is open in another tab/);
    expect(await second.locator("#disk-panel").isHidden()).toBe(true);
    await second.locator("#inspector .focus-absent").waitFor({ state: "visible" });
    expect(await second.locator("#inspector .focus-absent").innerText()).toBe("This machine has no virtio-blk.");
    await shot(second, "second-tab");
    await second.close();
    // The first tab's guest still has its disk mounted at /mnt.
    const disks = await first.evaluate(async () => {
      const devices = await (window as unknown as { ringsideDevices(): Promise<Array<{ type: string }>> }).ringsideDevices();
      return devices.filter((d) => d.type === "virtio-blk").length;
    });
    expect(disks).toBe(1);
    expect(await first.locator("#disk-panel .disk-name").innerText()).toBe("ringside-disk.img");
    await first.close();
  }, LONG);

  it("shared channel vs per-queue side by side: both cards' counters in the same rows", async () => {
    const page = await site.context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`${site.url}#${await encodeShareFragment(demo("policies-side-by-side"))}`);
    expect(await waitForState(page)).toBe("ready");
    // eth0's 32 MiB done, eth1's download well under way: both rows have their figures per MiB.
    await waitForScreen(page, /^eth0-shared-done$/m, LONG);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>("#inspector .focus-table tbody tr")].filter((tr) => Number(tr.children[2]?.textContent) >= 8).length === 2, null, { timeout: LONG });
    const rows = await page.locator("#inspector .focus-table tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? "")));
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r[1])).toEqual(["shared", "per-queue"]);
    for (const r of rows) {
      expect(Number(r[4])).not.toBeNaN();
      expect(Number(r[6])).not.toBeNaN();
    }
    expect(await page.locator("#inspector details.device.focused").count()).toBe(2);
    // The inspector opened with the link, before the machine existed: its capture control asked again once it did.
    expect(await page.locator("#inspector .capture-control").getAttribute("data-cards")).toBe("2");
    await page.locator("#inspector .inspector-focus").scrollIntoViewIfNeeded();
    await shot(page, "side-by-side");
    await page.close();
    expect(errors).toEqual([]);
  }, LONG);
});
