// The inspector's timeline of ring events in Chromium: a share link's machine with a
// network card opens with the inspector; Record, a download in the guest, Stop. The view
// then has rows for the card's receive and transmit queues holding kicks, takes, returns
// and interrupts, an axis labelled in time units; a take clicked on the canvas shows the
// same head in its queue's ring picture and chain view (and the queue is lit in the
// timeline); Export downloads a trace-event JSON file naming the card. Screenshots go to
// test-results/ (and /work/screens/ when it exists).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Locator, Page } from "playwright-core";
import { ARTIFACTS as artifacts, openBuiltSite, type BuiltSite } from "../support/built-site.js";
import { typeLine, waitForScreen } from "../support/terminal-screen.js";
import { waitForShell } from "../support/page-shell.js";
import { seriousViolations } from "../support/axe.js";
import { encodeShareFragment } from "../../src/share/share-link.js";
import type { ShareContent } from "../../src/share/share-content.js";

const DOWNLOAD = "wget -q -O /dev/null 'http://10.0.2.2/blob?bytes=8388608&seed=1'";
const SCREENS = existsSync("/work/screens") ? "/work/screens" : artifacts;

const pci = { kind: "pci" as const };
const NET: ShareContent = {
  machine: {
    version: 1,
    memoryMiB: 256,
    devices: [
      { type: "virtio-console", transport: pci },
      { type: "virtio-net", transport: pci, options: { backend: { kind: "host" }, policy: "shared", ip: "auto" } },
    ],
  },
  cmdlineExtras: "",
  script: "",
  panel: "inspector",
};

const RX = "virtio-net · receiveq1";
const TX = "virtio-net · transmitq1";

/** A row's counts per kind, from its data-counts ("take:340,return:340,kick:12"). */
async function counts(row: Locator): Promise<Map<string, number>> {
  const text = (await row.getAttribute("data-counts")) ?? "";
  return new Map(text.split(",").filter(Boolean).map((p) => [p.split(":")[0]!, Number(p.split(":")[1])]));
}

/** Screenshots of the page and of a part of it alone (scrolled into view first). */
async function shoot(page: Page, part: Locator, name: string): Promise<void> {
  await part.scrollIntoViewIfNeeded();
  await page.waitForTimeout(100);
  await page.screenshot({ path: `${artifacts}/timeline-${name}-page.png` });
  await part.screenshot({ path: `${SCREENS}/timeline-${name}.png` });
}

describe("the inspector's timeline of ring events", () => {
  let site: BuiltSite;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    site = await openBuiltSite();
    page = await site.context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.setViewportSize({ width: 1600, height: 1100 });
    await page.goto(`${site.url}#${await encodeShareFragment(NET)}`);
    await waitForShell(page);
  });
  afterAll(async () => {
    await site?.close();
  });

  it("records a download, draws the card's queues, ties a take to its ring slot and exports a trace", async () => {
    const timeline = page.locator("#inspector .timeline");
    await timeline.locator("summary").first().click();
    const record = timeline.locator(".timeline-record");
    await record.click();
    await expect.poll(() => timeline.getAttribute("data-recording"), { message: "recording started" }).toBe("true");
    expect(await record.getAttribute("aria-pressed")).toBe("true");

    await page.locator("#terminal").click();
    await typeLine(page, `${DOWNLOAD}; echo fetched-$((1+1))`);
    // While the download runs (or just after, on a fast day), the view follows the newest events.
    await page.waitForTimeout(800);
    await shoot(page, timeline, "recording");
    await waitForScreen(page, /^fetched-2$/m, 60_000);
    await record.click();
    await expect.poll(() => timeline.getAttribute("data-recording"), { message: "recording stopped" }).toBe("false");
    await expect.poll(async () => Number(await timeline.getAttribute("data-events")), { message: "events kept" }).toBeGreaterThan(100);

    // Rows for the card's two queues, with the kinds a download makes.
    const rows = ((await timeline.getAttribute("data-rows")) ?? "").split(";");
    expect(rows).toEqual(expect.arrayContaining([RX, TX]));
    const rx = await counts(timeline.locator(`.timeline-row-text[data-device="virtio-net"][data-queue-name="receiveq1"]`));
    const tx = await counts(timeline.locator(`.timeline-row-text[data-device="virtio-net"][data-queue-name="transmitq1"]`));
    for (const [name, c] of [["rx", rx], ["tx", tx]] as const) {
      expect(c.get("take") ?? 0, `${name} takes`).toBeGreaterThan(0);
      expect(c.get("return") ?? 0, `${name} returns`).toBeGreaterThan(0);
    }
    const both = (k: string): number => (rx.get(k) ?? 0) + (tx.get(k) ?? 0);
    expect(both("kick") + both("kickSuppressed"), "kicks, sent or suppressed").toBeGreaterThan(0);
    expect(both("kick"), "kicks").toBeGreaterThan(0);
    expect(both("interrupt"), "interrupts").toBeGreaterThan(0);
    const canvas = timeline.locator("canvas.timeline-canvas");
    const ticks = ((await canvas.getAttribute("data-ticks")) ?? "").split("|");
    expect(ticks.length, "axis labels").toBeGreaterThan(2);
    for (const t of ticks) expect(t).toMatch(/^\d+(\.\d+)? (s|ms|µs)$/);
    expect(await canvas.getAttribute("aria-label")).toContain(TX);
    await shoot(page, timeline, "recorded");
    // The same in the dark theme (the canvas reads its colours again when the system switches).
    await page.emulateMedia({ colorScheme: "dark" });
    await shoot(page, timeline, "recorded-dark");
    expect(await seriousViolations(page, "#inspector .timeline"), "axe on the timeline").toEqual([]);

    // The newest take on the transmit queue, from the events in words, clicked on the canvas.
    await timeline.locator(".timeline-text > summary").click();
    const txText = timeline.locator(`.timeline-row-text[data-queue-name="transmitq1"]`);
    const take = txText.locator('tr[data-kind="take"]').last();
    await take.waitFor();
    const time = Number(await take.getAttribute("data-time"));
    await canvas.focus();
    await page.keyboard.press("End");
    const geometry = async (): Promise<Record<string, string>> => canvas.evaluate((c) => ({ ...(c as HTMLElement).dataset }) as Record<string, string>);
    const press = async (key: string): Promise<Record<string, string>> => {
      await page.keyboard.press(key);
      await page.waitForTimeout(40);
      return geometry();
    };
    const shows = (g: Record<string, string>): boolean => time >= Number(g.windowStart) && time <= Number(g.windowStart) + Number(g.windowSpan);
    // Zoom in on the newest events (End follows them), then out until the take is on show.
    let g = await geometry();
    for (let k = 0; k < 20 && Number(g.windowSpan) > 2; k++) g = await press("+");
    for (let k = 0; k < 24 && !shows(g); k++) g = await press("-");
    expect(shows(g), "the take on show").toBe(true);
    const row = rows.indexOf(TX);
    const x = Number(g.gutter) + ((time - Number(g.windowStart)) / Number(g.windowSpan)) * Number(g.plotWidth);
    const laneHeight = Number(g.laneHeight);
    // On the take's glyph, in the device lane's upper half (a return at the same instant is drawn in the lower).
    const y = Number(g.rowTops!.split(",")[row]) + Number(g.titleHeight) + g.lanes!.split(",").indexOf("device") * laneHeight + laneHeight / 4;
    await canvas.click({ position: { x, y } });
    await expect.poll(() => timeline.getAttribute("data-selected-kind"), { message: "an event picked" }).toBe("take");
    const head = await timeline.getAttribute("data-selected-a");
    const slot = await timeline.getAttribute("data-selected-b");
    expect(await timeline.getAttribute("data-selected-row")).toBe(TX);
    const txCard = page.locator('#inspector .queue[data-device="virtio-net"][data-queue-name="transmitq1"]');
    const chain = txCard.locator('.chain-view[data-status="shown"]');
    await chain.waitFor();
    expect(await chain.locator(".chain-title").innerText()).toContain(`slot ${slot}`);
    expect(await chain.locator(".chain-summary").innerText()).toMatch(new RegExp(`^head descriptor ${head} `));
    await expect.poll(() => timeline.getAttribute("data-highlight"), { message: "the queue lit in the timeline" }).toBe(TX);
    expect(await seriousViolations(page, "#inspector .timeline"), "axe on the timeline with its events in words").toEqual([]);
    await shoot(page, canvas, "picked");
    await shoot(page, txCard, "chain");

    // Export: a trace-event file for Perfetto naming the card.
    const [download] = await Promise.all([page.waitForEvent("download"), timeline.locator("button", { hasText: "Export" }).click()]);
    expect(download.suggestedFilename()).toBe("ringside-trace.json");
    const trace = JSON.parse(await readFile(await download.path(), "utf8")) as { traceEvents?: unknown[] };
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    expect(trace.traceEvents!.length).toBeGreaterThan(100);
    expect(JSON.stringify(trace.traceEvents)).toContain("virtio-net");
    expect(pageErrors).toEqual([]);
  });
});
