// The live virtqueue inspector on the built page in Chromium: closed it asks the machine
// nothing; open it redraws at least ten times a second, its numbers and ring picture move
// while the guest downloads, a clicked slot shows its descriptor chain, and Pause freezes
// the picture until Resume.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS as artifacts, BOOT_TIMEOUT, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";

const DOWNLOAD = "wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=67108864&seed=1'";

describe("the virtqueue inspector", () => {
  let site: BuiltSite;
  let page: Page;
  let rx: Locator;
  const pageErrors: string[] = [];

  const updates = async (): Promise<number> => Number(await page.locator("#inspector").getAttribute("data-updates")) || 0;
  const rxState = async (): Promise<{ used: string | null; slots: string | null }> => ({
    used: await rx.getAttribute("data-used-idx"),
    slots: await rx.locator("canvas.ring-picture").getAttribute("data-slots"),
  });

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(`${site.url}?disk=none`);
    await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", null, { timeout: BOOT_TIMEOUT });
    expect(await page.evaluate(() => document.body.dataset.state)).toBe("ready");
    await waitForScreen(page, /ringside:~# /);
    rx = page.locator('#inspector .queue[data-device="virtio-net"][data-queue-name="receiveq1"]');
  });
  afterAll(async () => {
    await site?.close();
  });

  it("is closed by default and asks the machine nothing while closed", async () => {
    expect(await page.locator("#inspector").isHidden()).toBe(true);
    expect(await page.locator("#inspector-toggle").getAttribute("aria-expanded")).toBe("false");
    await page.waitForTimeout(500);
    expect(await page.locator("#inspector").getAttribute("data-updates")).toBeNull();
  });

  it("opens beside the terminal, shows the PCI functions and devices, and redraws at least 10 times a second", async () => {
    await page.locator("#inspector-toggle").click();
    await rx.waitFor();
    const before = await updates();
    const t0 = Date.now();
    await page.waitForTimeout(3000);
    const perSecond = ((await updates()) - before) / ((Date.now() - t0) / 1000);
    expect(perSecond).toBeGreaterThanOrEqual(10);
    // The panel's own figure, over its last two seconds.
    expect(Number(await page.locator("#inspector").getAttribute("data-updates-per-second"))).toBeGreaterThanOrEqual(10);
    const names = await page.locator("#inspector details.device").evaluateAll((ds) => ds.map((d) => (d as HTMLElement).dataset.name));
    expect(names).toEqual(expect.arrayContaining(["virtio-console", "virtio-rng", "virtio-net"]));
    // The PCI functions' table (the virtio-mmio windows' fold has one of the same kind).
    const pciTable = page.locator("#inspector details.inspector-pci:not(.inspector-mmio) .pci-table");
    expect(await pciTable.locator("tbody tr").count()).toBeGreaterThanOrEqual(5);
    expect(await pciTable.innerText()).toMatch(/BAR\d (io|mem32|mem64) 0x/);
    // Cards out of sight are not drawn (their data-* attributes still follow): look at rx.
    await rx.scrollIntoViewIfNeeded();
    await expect.poll(() => rx.locator(".queue-fields").innerText()).toMatch(/avail idx\s+\d+/);
    // The terminal is still there and still answers (once clicked: the toggle has the focus).
    await page.locator("#terminal").click();
    await typeLine(page, "echo $((6*7))");
    await waitForScreen(page, /^42$/m);
  });

  it("moves while the guest downloads: rx used idx and the ring's slot states change", async () => {
    // In the background, so the shell stays free; stopped at the end.
    await typeLine(page, `clear; (while :; do ${DOWNLOAD}; done) &`);
    await page.waitForFunction(
      () => {
        const q = document.querySelector<HTMLElement>('#inspector .queue[data-device="virtio-net"][data-queue-name="receiveq1"]');
        return q !== null && Number(q.dataset.usedIdx) > 500;
      },
      null,
      { timeout: 60_000 },
    );
    const first = await rxState();
    await page.waitForTimeout(400);
    const second = await rxState();
    expect(second.used).not.toBe(first.used);
    expect(second.slots).not.toBe(first.slots);
    expect(second.slots).toMatch(/^[fahu]+$/);
    expect(await rx.getAttribute("data-states")).toMatch(/available:\d+/);
    await page.screenshot({ path: `${artifacts}/inspector-download.png` });
  });

  it("shows the descriptor chain of a clicked available rx slot, with WRITE and a hex preview", async () => {
    const canvas = rx.locator("canvas.ring-picture");
    // A loaded machine's device may for a moment have filled every buffer the guest posted:
    // wait for a picture with an available slot, as a reader would.
    const picture = await canvas.elementHandle();
    const data = await (
      await page.waitForFunction((c) => (((c as HTMLElement).dataset.slots ?? "").includes("a") ? { ...(c as HTMLElement).dataset } : null), picture, { timeout: 30_000 })
    ).jsonValue();
    if (!data) throw new Error("no ring picture");
    const slot = (data.slots ?? "").indexOf("a");
    expect(slot).toBeGreaterThanOrEqual(0);
    const [cols, cell, pitch, pad] = [data.cols, data.cell, data.pitch, data.pad].map(Number) as [number, number, number, number];
    await canvas.click({ position: { x: pad + (slot % cols) * pitch + cell / 2, y: pad + Math.floor(slot / cols) * pitch + cell / 2 } });
    const chain = rx.locator(".chain-view");
    await rx.locator('.chain-view[data-status="shown"]').waitFor();
    expect(await chain.locator(".chain-title").innerText()).toContain(`slot ${slot}`);
    expect(await chain.getAttribute("data-flags")).toMatch(/WRITE/);
    expect(await chain.locator(".chain-descriptors tbody").innerText()).toMatch(/WRITE/);
    expect(Number(await chain.getAttribute("data-preview"))).toBeGreaterThan(0);
    // The hex dump is folded away when the buffer's old bytes decode (a receive buffer the
    // guest posts again still holds an earlier frame): open the fold, as a reader would.
    const fold = chain.locator("details.chain-preview-box");
    if (!(await fold.evaluate((d) => (d as HTMLDetailsElement).open))) await fold.locator("summary").click();
    expect(await chain.locator(".chain-preview").innerText()).toMatch(/^0000 {2}[0-9a-f]{2} [0-9a-f]{2} /);
    await chain.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${artifacts}/inspector-chain.png` });
  });

  it("freezes on Pause and moves again on Resume", async () => {
    await page.locator("#inspector .inspector-pause").click();
    expect(await page.locator("#inspector").getAttribute("data-paused")).toBe("true");
    await page.waitForTimeout(300); // a call that was already out is dropped, not drawn
    const frozen = { updates: await updates(), ...(await rxState()) };
    await page.waitForTimeout(800);
    expect({ updates: await updates(), ...(await rxState()) }).toEqual(frozen);
    expect(await page.locator("#inspector .inspector-pause").innerText()).toBe("Resume");
    await page.locator("#inspector .inspector-pause").click();
    await page.waitForTimeout(500);
    const moved = { updates: await updates(), ...(await rxState()) };
    expect(moved.updates).toBeGreaterThan(frozen.updates);
    expect(moved.used).not.toBe(frozen.used);
  });

  it("stops asking when closed, and lays out below the terminal in a narrow window", async () => {
    await rx.locator(".chain-close").click();
    await page.screenshot({ path: `${artifacts}/inspector-open.png` });
    await page.setViewportSize({ width: 900, height: 1000 });
    await page.waitForTimeout(500);
    const terminalBox = await page.locator("#terminal").boundingBox();
    const panelBox = await page.locator("#inspector").boundingBox();
    expect(panelBox!.y).toBeGreaterThanOrEqual(terminalBox!.y + terminalBox!.height);
    await page.screenshot({ path: `${artifacts}/inspector-narrow.png` });
    await page.locator("#inspector-toggle").click();
    expect(await page.locator("#inspector").isHidden()).toBe(true);
    const closedAt = await updates();
    await page.waitForTimeout(800);
    expect(await updates()).toBe(closedAt);
    await page.locator("#terminal").click();
    await typeLine(page, "kill %1; echo stopped-$((1+1))");
    await waitForScreen(page, /^stopped-2$/m);
    expect(pageErrors).toEqual([]);
  });
});
